import { Code, F32, I32, V128, encodeModule } from './encoder.js';

/** Independent v128 accumulators of {@link peakModule}: enough to hide the latency of a multiply-add chain. */
export const PEAK_ACCUMULATORS = 12;

/**
 * A register-only multiply-add loop: the 128-bit SIMD arithmetic ceiling a wasm kernel can reach on this
 * machine, the yardstick the benchmark holds the GEMM to. `run(iterations)` does `2·PEAK_ACCUMULATORS`
 * four-lane multiply-adds per iteration on values kept in registers (no memory access in the loop), i.e.
 * `16·PEAK_ACCUMULATORS` flops, and returns a float so that nothing is optimised away. With `fma` each step is
 * one `f32x4.relaxed_madd`, else `f32x4.mul` then `f32x4.add` (as in the two GEMM variants).
 */
export function peakModule(fma: boolean): Uint8Array<ArrayBuffer> {
  const c = new Code(1);
  const acc = Array.from({ length: PEAK_ACCUMULATORS }, () => c.local(V128));
  const a = c.local(V128);
  const b = c.local(V128);
  c.f32Const(1.0000001).f32x4Splat().set(a);
  c.f32Const(0.9999999).f32x4Splat().set(b);
  for (const x of acc) c.v128Zero().set(x);
  c.loop();
  for (let u = 0; u < 2; u++) {
    for (const x of acc) {
      if (fma) c.get(a).get(b).get(x).f32x4RelaxedMadd().set(x);
      else c.get(x).get(a).get(b).f32x4Mul().f32x4Add().set(x);
    }
  }
  c.get(0).i32(-1).add().tee(0).brIf(0);
  c.end();
  const sum = acc[0]!;
  for (const x of acc.slice(1)) c.get(sum).get(x).f32x4Add().set(sum);
  c.get(sum).f32x4ExtractLane(0);
  return encodeModule([{ name: 'run', params: [I32], results: [F32], code: c }]);
}

/**
 * A register-only multiply-add loop in wasm, instantiated — the 128-bit SIMD ceiling the benchmark holds the
 * GEMM to: `run(iterations)` (iterations ≥ 1) and the flops one iteration does (`fma`: with
 * `f32x4.relaxed_madd`, which needs relaxed SIMD, see `relaxedSimdSupported`; else `f32x4.mul` + `f32x4.add`).
 */
export function simdPeakKernel(fma: boolean): { run: (iterations: number) => number; flopsPerIteration: number } {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(peakModule(fma)), { env: { memory } });
  return { run: exports['run'] as (iterations: number) => number, flopsPerIteration: 16 * PEAK_ACCUMULATORS };
}
