/**
 * Section "step": milliseconds per training step of the MLP (784-128-10, ReLU, softmax cross-entropy
 * on int32 labels, Adam 1e-3, batch 64) written with raw autograd — `parameter`, `linear`, `relu`,
 * `softmaxCrossEntropy`, `backward`, `Adam.step`, `zeroGrad` — on each tapegrad backend, with the breakdown
 * into forward, backward and optimizer step, and PyTorch's step time (its epoch time / steps) when available.
 * The `reuse` row hands last step's gradients to the backward as storage (`gradientBuffers`), as `fit` does.
 * Rows carry steps per second (higher is better); `ms` is the time of one step.
 */
import { linear, parameter, softmaxCrossEntropy, variable, type Variable } from '@tapegrad/autograd';
import { Adam } from '@tapegrad/optim';
import { Generator, randint, randn, zeros, type Tensor } from '@tapegrad/tensor';
import { availableBackends, getBackend, setBackend } from '@tapegrad/tensor/backend';
import { runTorch, torchUnavailable } from './peers/torch.js';
import type { BenchContext, Row, Section } from './util.js';

const BATCH = 64;
const IN = 784;
const HIDDEN = 128;
const CLASSES = 10;

/** The raw-autograd MLP 784-`hidden`-10: parameters, optimizer and the forward pass to the loss. */
export function makeMlp(
  seed: number,
  hidden = HIDDEN,
): {
  forward: (x: Tensor, y: Tensor) => Variable;
  params: Variable[];
  opt: Adam;
} {
  const g = new Generator(seed);
  const w1 = parameter(randn([IN, hidden], { generator: g }).mul(Math.sqrt(2 / IN)), { name: 'W1' });
  const b1 = parameter(zeros([hidden]), { name: 'b1' });
  const w2 = parameter(randn([hidden, CLASSES], { generator: g }).mul(Math.sqrt(1 / hidden)), { name: 'W2' });
  const b2 = parameter(zeros([CLASSES]), { name: 'b2' });
  const params = [w1, b1, w2, b2];
  const forward = (x: Tensor, y: Tensor): Variable => softmaxCrossEntropy(linear(linear(variable(x), w1, b1).relu(), w2, b2), y);
  return { forward, params, opt: new Adam(params, { lr: 1e-3 }) };
}

/**
 * The backward pass; with `reuse`, last step's gradients are handed to it as storage (`gradientBuffers`, what `fit`
 * does) instead of being dropped by `zeroGrad` after the optimizer step.
 */
function backwardPass(loss: Variable, params: Variable[], opt: Adam, reuse: boolean): void {
  if (!reuse) {
    loss.backward();
    return;
  }
  const buffers = new Map<Variable, Tensor>();
  for (const p of params) if (p.grad !== null) buffers.set(p, p.grad);
  opt.zeroGrad();
  loss.backward({ gradientBuffers: buffers });
}

/** The optimizer step that follows {@link backwardPass} (without `reuse`, the gradients are dropped after it). */
function optimizerStep(opt: Adam, reuse: boolean): void {
  opt.step();
  if (!reuse) opt.zeroGrad();
}

/** Backward and optimizer step, with or without reusing the gradients' storage (see {@link backwardPass}). */
export function backwardAndStep(loss: Variable, params: Variable[], opt: Adam, reuse: boolean): void {
  backwardPass(loss, params, opt, reuse);
  optimizerStep(opt, reuse);
}

interface StepTimes {
  total: number;
  forward: number;
  backward: number;
  optimizer: number;
  loss: number;
}

/** Median ms per step (and per phase) over `steps` steps after `warmup` steps, on synthetic batches. */
function timeSteps(steps: number, warmup: number, reuse: boolean): StepTimes {
  const g = new Generator(1);
  const nb = 8;
  const xs = Array.from({ length: nb }, () => randn([BATCH, IN], { generator: g }));
  const ys = Array.from({ length: nb }, () => randint(0, CLASSES, [BATCH], { generator: g }));
  const { forward, params, opt } = makeMlp(0);
  const fw: number[] = [];
  const bw: number[] = [];
  const op: number[] = [];
  const tot: number[] = [];
  let loss = NaN;
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const l = forward(xs[i % nb]!, ys[i % nb]!);
    const t1 = performance.now();
    backwardPass(l, params, opt, reuse);
    const t2 = performance.now();
    optimizerStep(opt, reuse);
    const t3 = performance.now();
    if (i >= warmup) {
      fw.push(t1 - t0);
      bw.push(t2 - t1);
      op.push(t3 - t2);
      tot.push(t3 - t0);
    }
    if (i === warmup + steps - 1) loss = l.item();
  }
  const median = (a: number[]): number => a.sort((p, q) => p - q)[a.length >> 1]!;
  return { total: median(tot), forward: median(fw), backward: median(bw), optimizer: median(op), loss };
}

export const stepSection: Section = {
  name: 'step',
  title: 'training step of the raw-autograd MLP 784-128-10, batch 64, Adam (steps/s; ms per step and phase)',
  baseline: 'torch',
  async run(ctx: BenchContext): Promise<Row[]> {
    const steps = ctx.quick ? 100 : 600;
    const rows: Row[] = [];
    const add = (c: string, impl: string, ms: number, note?: string): void => {
      rows.push({ section: 'step', case: c, impl, unit: 'steps/s', value: 1000 / ms, ms, ...(note ? { note } : {}) });
    };
    const before = getBackend();
    const fastest = availableBackends().pop()!;
    for (const [backend, reuse] of [...availableBackends().map((b) => [b, false] as const), [fastest, true] as const]) {
      setBackend(backend);
      const t = timeSteps(steps, ctx.quick ? 20 : 50, reuse);
      const impl = `tapegrad-${backend}${reuse ? ' reuse' : ''}`;
      add(
        'step',
        impl,
        t.total,
        `forward ${t.forward.toFixed(3)} + backward ${t.backward.toFixed(3)} + adam ${t.optimizer.toFixed(3)} ms; ` +
          `loss ${t.loss.toFixed(4)}`,
      );
      add('forward', impl, t.forward);
      add('backward', impl, t.backward);
      add('adam step', impl, t.optimizer);
      ctx.log(
        `  ${impl}: ${t.total.toFixed(3)} ms/step (forward ${t.forward.toFixed(3)}, backward ${t.backward.toFixed(3)}, ` +
          `adam ${t.optimizer.toFixed(3)})`,
      );
    }
    setBackend(before);

    const why = torchUnavailable();
    if (why) {
      ctx.log(`  torch skipped: ${why}`);
    } else {
      const samples = BATCH * (ctx.quick ? 200 : 938);
      const res = runTorch({ minMs: 0, epoch: { dataDir: null, samples, hidden: HIDDEN, batchSize: BATCH, lr: 1e-3, epochs: 2 } });
      const seconds = res.epoch!.seconds;
      const ms = (Math.min(...seconds) * 1000) / (samples / BATCH);
      add(
        'step',
        'torch',
        ms,
        `best of ${seconds.length} synthetic epochs / ${samples / BATCH} steps; ${res.info.torch}, ` +
          `${res.info.openblas ? 'OpenBLAS' : 'reference BLAS'}`,
      );
      ctx.log(`  torch: ${ms.toFixed(3)} ms/step (${res.info.openblas ? 'OpenBLAS' : 'reference BLAS'})`);
    }
    return rows;
  },
};
