/**
 * Section "matmul": GFLOP/s of tapegrad's JS and wasm backends (and wasm with one worker thread) and of
 * the peers, on the MLP's products and n³.
 */
import { stopGemmWorkers, useGemmWorkers } from '@tapegrad/nn/node';
import { Generator, matmul, randn, type Tensor } from '@tapegrad/tensor';
import { getBackend, setBackend, wasmSupported, type BackendName } from '@tapegrad/tensor/backend';
import { gflops, matmulCases, type MatmulCase } from './cases.js';
import { tfMatmul } from './peers/tfjs.js';
import { runTorch, torchUnavailable } from './peers/torch.js';
import { measure, rowCollector, type BenchContext, type Row, type Section } from './util.js';

function operands(c: MatmulCase, g: Generator): [Tensor, Tensor] {
  const a = c.transA ? randn([c.k, c.m], { generator: g }).T : randn([c.m, c.k], { generator: g });
  const b = c.transB ? randn([c.n, c.k], { generator: g }).T : randn([c.k, c.n], { generator: g });
  return [a, b];
}

/**
 * ms of the memory traffic the wasm backend adds around the kernel: copying both operands into wasm
 * memory and the result out (measured as plain Float32Array.set copies of the same sizes).
 */
function copyMs(c: MatmulCase, minMs: number): number {
  const heap = new Float32Array(c.m * c.k + c.k * c.n + c.m * c.n);
  const a = new Float32Array(c.m * c.k);
  const b = new Float32Array(c.k * c.n);
  const out = new Float32Array(c.m * c.n);
  return measure(() => {
    heap.set(a, 0);
    heap.set(b, a.length);
    out.set(heap.subarray(0, out.length));
  }, minMs);
}

/** tapegrad-wasm with one worker thread on the second core (rows `tapegrad-wasm-2t`). */
async function threaded(
  cases: MatmulCase[],
  minMs: number,
  ctx: BenchContext,
  add: (c: MatmulCase, impl: string, ms: number, note?: string) => void,
): Promise<void> {
  try {
    if ((await useGemmWorkers(1)) < 1) {
      ctx.log('  tapegrad-wasm-2t skipped: the worker did not start');
      return;
    }
    setBackend('wasm');
    const g = new Generator(1);
    for (const c of cases) {
      const [a, b] = operands(c, g);
      const ms = measure(() => void matmul(a, b), minMs);
      add(c, 'tapegrad-wasm-2t', ms, 'wasm + 1 worker thread');
      ctx.log(`  tapegrad-wasm-2t ${c.name}: ${gflops(c, ms).toFixed(2)} GFLOP/s`);
    }
  } finally {
    await stopGemmWorkers();
  }
}

export const matmulSection: Section = {
  name: 'matmul',
  title: 'matmul (float32; one thread, except the -2t rows)',
  baseline: 'tapegrad-js',
  async run(ctx: BenchContext): Promise<Row[]> {
    const cases = matmulCases(ctx.quick);
    const minMs = ctx.quick ? 150 : 600;
    const { rows, add } = rowCollector<MatmulCase>('matmul', 'GFLOP/s', gflops);

    const before = getBackend();
    const backends: BackendName[] = wasmSupported() ? ['js', 'wasm'] : ['js'];
    for (const backend of backends) {
      setBackend(backend);
      const g = new Generator(1);
      for (const c of cases) {
        const [a, b] = operands(c, g);
        const ms = measure(() => void matmul(a, b), minMs);
        let note: string | undefined;
        if (backend === 'wasm') note = `copies in/out ${((100 * copyMs(c, minMs / 2)) / ms).toFixed(1)}% of the time`;
        add(c, `tapegrad-${backend}`, ms, note);
        ctx.log(`  tapegrad-${backend} ${c.name}: ${gflops(c, ms).toFixed(2)} GFLOP/s`);
      }
    }
    if (wasmSupported()) await threaded(cases, minMs, ctx, add);
    setBackend(before);

    for (const tfBackend of ['cpu', 'wasm'] as const) {
      try {
        const ms = await tfMatmul(tfBackend, cases, minMs);
        cases.forEach((c, i) => add(c, `tfjs-${tfBackend}`, ms[i]!));
        ctx.log(`  tfjs-${tfBackend}: done`);
      } catch (e) {
        ctx.log(`  tfjs-${tfBackend} skipped: ${(e as Error).message}`);
      }
    }

    const why = torchUnavailable();
    if (why) {
      ctx.log(`  torch skipped: ${why}`);
    } else {
      const res = runTorch({ minMs, matmul: cases });
      ctx.log(`  torch ${res.info.torch}, ${res.info.threads} thread(s), BLAS: ${res.info.blas}`);
      for (const r of res.matmul)
        add(
          cases.find((c) => c.name === r.case)!,
          'torch',
          r.ms,
          res.info.openblas ? 'OpenBLAS' : undefined,
        );
    }
    return rows;
  },
};
