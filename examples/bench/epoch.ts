/**
 * Section "epoch": seconds per epoch of MLP training on the 60,000 Fashion-MNIST training images (ReLU,
 * softmax cross-entropy, Adam 1e-3), several epochs each, for tapegrad's `model.fit` (progress bar off) and the
 * peers. Workloads: MLP-A 784-128-10 at batch 64 (the issue's, with TensorFlow.js too), MLP-B 784-512-512-10 at
 * batch 128, and MLP-A in float64. Each contender gets two rows: the mean over all epochs and the steady state
 * (epochs 2..N; torch's first epoch is a warm-up). Uses Debian's `dataset-fashion-mnist` when it is installed,
 * otherwise synthetic data of the same shape (said in the output). The `-2t` rows lend the wasm GEMM one worker
 * thread (`useGemmWorkers(1)`; bit-identical numbers) or give torch two threads.
 */
import { existsSync } from 'node:fs';
import { loadIdxDataset, stopGemmWorkers, useGemmWorkers } from '@tapegrad/nn/node';
import { rand, randint, Generator, type Tensor } from '@tapegrad/tensor';
import { getBackend, setBackend, type BackendName } from '@tapegrad/tensor/backend';
import { tfEpochs, type EpochSpec } from './peers/tfjs.js';
import { runTorch, torchUnavailable } from './peers/torch.js';
import { backwardAndStep, makeMlp } from './step.js';
import { tapegradEpochs, type Workload } from './workloads.js';
import { lossTrail, type BenchContext, type Row, type Section } from './util.js';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** The training data of the epoch section: images, labels, and where they came from. */
export interface EpochData {
  x: Tensor;
  labels: Tensor;
  source: string;
  dataDir: string | null;
}

/** The first `samples` Fashion-MNIST training images and labels, or synthetic data of that shape where it is missing. */
export function loadData(samples: number): EpochData {
  if (existsSync(FASHION_DIR)) {
    const d = loadIdxDataset(FASHION_DIR);
    const n = Math.min(samples, d.yTrain.shape[0]!);
    return {
      x: d.xTrain.slice([0, n]).contiguous(),
      labels: d.yTrain.slice([0, n]).contiguous(),
      source: `Fashion-MNIST (${FASHION_DIR})`,
      dataDir: FASHION_DIR,
    };
  }
  const g = new Generator(0);
  return {
    x: rand([samples, 784], { generator: g }),
    labels: randint(0, 10, [samples], { generator: g }),
    source: 'synthetic (dataset-fashion-mnist not installed)',
    dataDir: null,
  };
}

/**
 * Seconds per epoch of raw autograd steps (`linear`, `relu`, `softmaxCrossEntropy`, Adam) of a 784-h-10 MLP over
 * the same samples cut once into contiguous batches — no shuffle, gather, metrics or callbacks — with the
 * gradients reused as `fit` does: the difference to `fit` is what `fit` adds around its steps.
 */
function rawEpochs(data: EpochData, w: Workload): number[] {
  const { forward, params, opt } = makeMlp(0, w.hidden[0]!);
  const n = data.labels.shape[0]!;
  const batches: [Tensor, Tensor][] = [];
  for (let s = 0; s < n; s += w.batchSize) {
    const e = Math.min(n, s + w.batchSize);
    batches.push([data.x.slice([s, e]).contiguous(), data.labels.slice([s, e]).astype('int32')]);
  }
  const seconds: number[] = [];
  for (let epoch = 0; epoch < w.epochs; epoch++) {
    const t0 = performance.now();
    for (const [x, y] of batches) {
      const loss = forward(x, y);
      loss.item();
      backwardAndStep(loss, params, opt, true);
    }
    seconds.push((performance.now() - t0) / 1000);
  }
  return seconds;
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

/** Runs one workload on every contender and appends its rows (mean and steady state per contender). */
async function runWorkload(ctx: BenchContext, data: EpochData, w: Workload, withTf: boolean, rows: Row[]): Promise<void> {
  const n = data.labels.shape[0]!;
  const label = `${w.name} ${['784', ...w.hidden, '10'].join('-')}${w.dtype === 'float64' ? ' float64' : ''}, batch ${w.batchSize}`;
  ctx.log(`  ${label}: ${n} samples, ${w.epochs} epochs each`);
  const add = (impl: string, seconds: number[], note = ''): void => {
    const perEpoch = seconds.map((s) => s.toFixed(2)).join(' / ');
    const full = `epochs ${perEpoch}${note ? `; ${note}` : ''}`;
    const kinds: [string, number][] = [['mean', mean(seconds)]];
    if (seconds.length > 1) kinds.push([`steady (2–${seconds.length})`, mean(seconds.slice(1))]);
    for (const [what, s] of kinds) {
      // value = seconds per epoch, so the ratio column is the time ratio to torch (lower is better)
      rows.push({ section: 'epoch', case: `${label}: ${what}`, impl, unit: 's/epoch', value: s, ms: s * 1000, note: full });
    }
    ctx.log(`    ${impl}: ${perEpoch} s/epoch${note ? ` (${note})` : ''}`);
  };

  const initial = getBackend();
  const variants: BackendName[] =
    w.dtype === 'float64' || initial === 'js' ? [initial] : initial === 'wasm-fma' ? ['wasm-fma', 'wasm'] : ['wasm'];
  let first: number[] | null = null;
  for (const v of variants) {
    setBackend(v);
    const r = tapegradEpochs(data.x, data.labels, w);
    first ??= r.loss;
    const f64 = w.dtype === 'float64' ? 'float64: GEMM and Adam in TypeScript (the wasm kernels are float32); ' : '';
    add(w.dtype === 'float64' ? 'tapegrad' : `tapegrad-${v}`, r.seconds, f64 + lossTrail(r.loss));
  }
  if (w.hidden.length === 1 && w.dtype === 'float32') {
    setBackend(variants[0]!);
    const raw = rawEpochs(data, w);
    add(`tapegrad-${variants[0]} raw steps`, raw, 'autograd steps on pre-cut batches, gradients reused: no shuffle, gather, metrics');
    const fit = rows.filter((r) => r.impl === `tapegrad-${variants[0]}` && r.case.startsWith(label));
    const rawRows = rows.filter((r) => r.impl === `tapegrad-${variants[0]} raw steps` && r.case.startsWith(label));
    fit.forEach((r, i) => (r.note += `; fit ÷ raw steps ${(r.value / rawRows[i]!.value).toFixed(3)}`));
  }
  setBackend(initial);
  if (w.dtype === 'float32' && initial !== 'js') {
    try {
      const ready = await useGemmWorkers(1);
      if (ready === 0) ctx.log(`    tapegrad-${initial}-2t skipped: the GEMM worker did not start`);
      else {
        const two = tapegradEpochs(data.x, data.labels, w);
        const same = two.loss.every((l, i) => l === first![i]);
        add(
          `tapegrad-${initial}-2t`,
          two.seconds,
          `1 GEMM worker; ${lossTrail(two.loss)}${same ? ' (bit-identical)' : ' (DIFFERS from 1 thread)'}`,
        );
      }
    } catch (e) {
      ctx.log(`    tapegrad-${initial}-2t skipped: ${(e as Error).message}`);
    } finally {
      await stopGemmWorkers();
    }
  }

  const why = torchUnavailable();
  if (why) ctx.log(`    torch skipped: ${why}`);
  else {
    for (const threads of w.dtype === 'float64' ? [1] : [1, 2]) {
      const spec = { dataDir: data.dataDir, samples: n, hidden: w.hidden, batchSize: w.batchSize, lr: 1e-3, epochs: w.epochs };
      const res = runTorch({ minMs: 0, threads, epoch: { ...spec, dtype: w.dtype } });
      const blas = res.info.openblas ? 'OpenBLAS' : 'reference BLAS';
      add(
        threads === 1 ? 'torch' : `torch-${threads}t`,
        res.epoch!.seconds,
        `${res.info.torch}, ${res.info.threads} thread(s), ${blas}; ${lossTrail(res.epoch!.loss)}`,
      );
    }
  }

  if (!withTf) return;
  const x = data.x.values() as Float32Array;
  const labels = data.labels.values() as Int32Array;
  const spec: EpochSpec = { hidden: w.hidden[0]!, batchSize: w.batchSize, lr: 1e-3, epochs: w.epochs };
  for (const [backend, mode, maxBatches] of [
    ['wasm', 'loop', undefined],
    ['wasm', 'fit', undefined],
    ['cpu', 'loop', 60],
  ] as const) {
    try {
      const r = await tfEpochs(backend, mode, x, labels, {
        ...spec,
        epochs: backend === 'cpu' ? 1 : spec.epochs,
        ...(maxBatches ? { maxBatches } : {}),
      });
      add(`tfjs-${backend}-${mode}`, r.seconds, maxBatches ? `extrapolated from ${r.batchesTimed} batches` : '');
    } catch (e) {
      ctx.log(`    tfjs-${backend}-${mode} skipped: ${(e as Error).message}`);
    }
  }
}

export const epochSection: Section = {
  name: 'epoch',
  title: 'MLP epochs on Fashion-MNIST: ReLU, softmax CE, Adam 1e-3 (s/epoch; the × torch column is the time ratio, lower is better)',
  baseline: 'torch',
  async run(ctx: BenchContext): Promise<Row[]> {
    const data = loadData(ctx.quick ? 6000 : 60000);
    ctx.log(`  data: ${data.source}`);
    const epochs = ctx.quick ? 2 : 3;
    const rows: Row[] = [];
    await runWorkload(ctx, data, { name: 'MLP-A', hidden: [128], batchSize: 64, dtype: 'float32', epochs }, true, rows);
    await runWorkload(ctx, data, { name: 'MLP-B', hidden: [512, 512], batchSize: 128, dtype: 'float32', epochs }, false, rows);
    await runWorkload(ctx, data, { name: 'MLP-A', hidden: [128], batchSize: 64, dtype: 'float64', epochs: 2 }, false, rows);
    return rows;
  },
};
