/**
 * Compute backends. `js` is plain TypeScript (the readable reference, the fallback and the float64 path);
 * `wasm` runs float32 kernels as WebAssembly SIMD generated at run time. The default is `wasm` when the
 * engine validates a SIMD module, else `js`; `TAPEGRAD_BACKEND=js|wasm` in the environment or
 * {@link setBackend} forces one. Only GEMM has a wasm kernel today; other kernels can be added under
 * `wasm/` against the same memory and dispatched here the same way.
 */
import { IndexError, ValueError } from '../errors.js';
import { gemmJs } from './js/gemm.js';
import type { GemmArray } from './types.js';
import { gemmWasm } from './wasm/gemm.js';
import { wasmSupported } from './wasm/runtime.js';

export type { GemmArray, GemmFn } from './types.js';
export { gemmJs } from './js/gemm.js';
export { gemmWasm } from './wasm/gemm.js';
export { wasmSupported } from './wasm/runtime.js';

/** The name of a compute backend. */
export type BackendName = 'js' | 'wasm';

let current: BackendName | null = null;

function resolve(name: string, source: string): BackendName {
  if (name === 'auto') return wasmSupported() ? 'wasm' : 'js';
  if (name === 'js') return 'js';
  if (name === 'wasm') {
    if (!wasmSupported()) {
      throw new ValueError(`${source}: the 'wasm' backend needs WebAssembly with 128-bit SIMD, which this engine does not support; use 'js'`);
    }
    return 'wasm';
  }
  throw new ValueError(`${source}: unknown backend '${name}'; expected 'js', 'wasm' or 'auto'`);
}

/** The active backend: chosen on first use from `TAPEGRAD_BACKEND`, else `wasm` when supported, else `js`. */
export function getBackend(): BackendName {
  if (current === null) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TAPEGRAD_BACKEND;
    current = resolve(env && env !== '' ? env.toLowerCase() : 'auto', 'TAPEGRAD_BACKEND');
  }
  return current;
}

/** Selects the backend (`'auto'` = the default choice); throws a ValueError for `'wasm'` where SIMD is missing. */
export function setBackend(name: BackendName | 'auto'): BackendName {
  current = resolve(name, 'setBackend');
  return current;
}

/**
 * `C = op(A)·op(B) (+ C when accumulate)` on row-major typed arrays, BLAS style: `op(A)` is `m×k` with
 * element `(i, p)` at `A[aOff + i*lda + p]` (`A[aOff + p*lda + i]` when `transA`), `op(B)` is `k×n`
 * likewise with `ldb`, and `C` is `m×n` with element `(i, j)` at `C[cOff + i*ldc + j]`. Runs on the
 * active backend when all three arrays are Float32Array, otherwise on the JS backend (float64 sums).
 * @example gemm(false, true, m, n, k, x, 0, k, w, 0, k, y, 0, n)   // y = x·wᵀ
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  A: GemmArray,
  aOff: number,
  lda: number,
  B: GemmArray,
  bOff: number,
  ldb: number,
  C: Float32Array | Float64Array,
  cOff: number,
  ldc: number,
  accumulate = false,
): void {
  checkGemm(transA, transB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
  if (
    (current ?? getBackend()) === 'wasm' &&
    A instanceof Float32Array &&
    B instanceof Float32Array &&
    C instanceof Float32Array
  ) {
    gemmWasm(transA, transB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
  } else {
    gemmJs(transA, transB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
  }
}

function checkOperand(name: string, rows: number, cols: number, arr: GemmArray, off: number, ld: number, ldName: string): void {
  if (rows === 0 || cols === 0) return;
  if (!Number.isInteger(ld) || ld < cols) {
    throw new ValueError(`gemm: ${ldName} is ${ld} but the stored ${name} has ${cols} columns per row; expected ${ldName} ≥ ${cols}`);
  }
  const end = off + (rows - 1) * ld + cols;
  if (!Number.isInteger(off) || off < 0 || end > arr.length) {
    throw new IndexError(
      `gemm: ${name} (${rows}×${cols} stored with ${ldName}=${ld} at offset ${off}) needs elements up to ${end}, but the array has ${arr.length}`,
    );
  }
}

function checkGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  A: GemmArray,
  aOff: number,
  lda: number,
  B: GemmArray,
  bOff: number,
  ldb: number,
  C: GemmArray,
  cOff: number,
  ldc: number,
): void {
  for (const [name, v] of [['m', m], ['n', n], ['k', k]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`gemm: ${name} must be a non-negative integer, got ${v}`);
  }
  checkOperand('A', transA ? k : m, transA ? m : k, A, aOff, lda, 'lda');
  checkOperand('B', transB ? n : k, transB ? k : n, B, bOff, ldb, 'ldb');
  checkOperand('C', m, n, C, cOff, ldc, 'ldc');
}
