import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '@tapegrad/tensor/backend';

/**
 * Turns on WebAssembly relaxed SIMD in this process where V8 has it behind a flag (Node 20's
 * `--experimental-wasm-relaxed-simd`), so that the `wasm-fma` backend (the fused multiply-add GEMM) becomes
 * available — and the default, when called before the first tensor operation picks the backend. Returns whether
 * relaxed SIMD is available now; does nothing where it already is (Node ≥ 22, browsers).
 * @example enableRelaxedSimd(); model.fit(x, y)   // on the wasm-fma backend where the engine supports it
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported();
}
