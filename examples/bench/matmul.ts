/**
 * Section "matmul": GFLOP/s of tapegrad's backends (js, wasm, wasm-fma where the engine has relaxed SIMD, and
 * the default wasm variant with one worker thread) and of the peers, on the MLPs' products and n³. It first
 * measures this machine's 128-bit SIMD ceiling — a register-only multiply-add loop in wasm, with `f32x4.mul` +
 * `f32x4.add` and with `f32x4.relaxed_madd` — and notes each wasm GEMM as a fraction of its variant's ceiling.
 */
import { stopGemmWorkers, useGemmWorkers } from '@tapegrad/nn/node';
import { Generator, matmul, randn, type Tensor } from '@tapegrad/tensor';
import {
  availableBackends,
  gemm,
  getBackend,
  relaxedSimdSupported,
  setBackend,
  simdPeakKernel,
  type BackendName,
} from '@tapegrad/tensor/backend';
import { gflops, matmulCases, type MatmulCase } from './cases.js';
import { addPeerRows } from './peers/peer-rows.js';
import { tfMatmul } from './peers/tfjs.js';
import { measure, rowCollector, type BenchContext, type Row, type Section } from './util.js';

function operands(c: MatmulCase, g: Generator): [Tensor, Tensor] {
  const a = c.transA ? randn([c.k, c.m], { generator: g }).T : randn([c.m, c.k], { generator: g });
  const b = c.transB ? randn([c.n, c.k], { generator: g }).T : randn([c.k, c.n], { generator: g });
  return [a, b];
}

/** GFLOP/s of the register-only multiply-add loop (best of several calls of ~`ms` each). */
function ceiling(fma: boolean, ms: number): number {
  const { run, flopsPerIteration } = simdPeakKernel(fma);
  let iterations = 1000;
  run(iterations);
  for (let t = 0; t < ms / 4;) {
    const t0 = performance.now();
    run(iterations);
    t = performance.now() - t0;
    if (t < ms / 4) iterations *= 2;
  }
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    run(iterations);
    best = Math.min(best, performance.now() - t0);
  }
  return (flopsPerIteration * iterations) / (best * 1e6);
}

/** The ceiling each wasm variant is held to: mul+add for `wasm`, the fused multiply-add for `wasm-fma`. */
type Ceilings = Partial<Record<BackendName, number>>;

const ofCeiling = (gf: number, peak: number | undefined, threads = 1): string =>
  peak ? `${((100 * gf) / (peak * threads)).toFixed(0)}% of the ${threads === 1 ? '' : `${threads}-core `}ceiling` : '';

export const matmulSection: Section = {
  name: 'matmul',
  title: 'matmul (float32; one thread, except the -2t rows) and the 128-bit SIMD ceiling',
  baseline: 'tapegrad-js',
  async run(ctx: BenchContext): Promise<Row[]> {
    const cases = matmulCases(ctx.quick);
    const minMs = ctx.quick ? 150 : 600;
    const { rows, add } = rowCollector<MatmulCase>('matmul', 'GFLOP/s', gflops);

    const peaks: Ceilings = {};
    const peakCase = 'SIMD ceiling: register-only multiply-add loop';
    for (const [backend, fma] of [
      ['wasm', false],
      ['wasm-fma', true],
    ] as const) {
      if (!availableBackends().includes(backend)) continue;
      const gf = (peaks[backend] = ceiling(fma, minMs));
      const how = fma ? 'f32x4.relaxed_madd' : 'f32x4.mul + f32x4.add';
      rows.push({
        section: 'matmul',
        case: peakCase,
        impl: `wasm ${fma ? 'fma' : 'mul+add'}`,
        unit: 'GFLOP/s',
        value: gf,
        ms: 0,
        note: how,
      });
      ctx.log(`  ceiling ${how}: ${gf.toFixed(1)} GFLOP/s`);
    }

    /** Times `matmul` on every case on the current backend; `note` gets each product's GFLOP/s. */
    const timeProducts = (impl: string, note: (gf: number) => string): void => {
      const g = new Generator(1);
      for (const c of cases) {
        const [a, b] = operands(c, g);
        const ms = measure(() => void matmul(a, b), minMs);
        add(c, impl, ms, note(gflops(c, ms)));
        ctx.log(`  ${impl} ${c.name}: ${gflops(c, ms).toFixed(2)} GFLOP/s`);
      }
    };
    const before = getBackend();
    for (const backend of availableBackends()) {
      setBackend(backend);
      timeProducts(`tapegrad-${backend}`, (gf) => ofCeiling(gf, peaks[backend]));
    }
    // The same products written into an existing array with the backend's gemm (what fit does for the weight
    // gradient): matmul above also pays for its fresh output, which from 128 KiB up costs page faults.
    const variant = availableBackends().pop()!;
    if (variant !== 'js') {
      setBackend(variant);
      const g = new Generator(1);
      for (const c of cases) {
        const A = randn([c.m * c.k], { generator: g }).values() as Float32Array;
        const B = randn([c.k * c.n], { generator: g }).values() as Float32Array;
        const C = new Float32Array(c.m * c.n);
        const [lda, ldb] = [c.transA ? c.m : c.k, c.transB ? c.k : c.n];
        const ms = measure(() => gemm(c.transA, c.transB, c.m, c.n, c.k, A, 0, lda, B, 0, ldb, C, 0, c.n), minMs);
        add(c, `tapegrad-${variant} into C`, ms, `backend gemm, no allocation; ${ofCeiling(gflops(c, ms), peaks[variant])}`);
      }
    }
    if (variant !== 'js') {
      try {
        if ((await useGemmWorkers(1)) < 1) ctx.log(`  tapegrad-${variant}-2t skipped: the worker did not start`);
        else {
          setBackend(variant);
          timeProducts(`tapegrad-${variant}-2t`, (gf) => `+ 1 worker thread; ${ofCeiling(gf, peaks[variant], 2)}`);
        }
      } finally {
        await stopGemmWorkers();
      }
    }
    setBackend(before);
    if (!relaxedSimdSupported()) ctx.log('  tapegrad-wasm-fma skipped: this engine has no WebAssembly relaxed SIMD');

    await addPeerRows(ctx, 'matmul', cases, minMs, tfMatmul, add);
    return rows;
  },
};
