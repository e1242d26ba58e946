/**
 * @packageDocumentation
 * `@tapegrad/tensor/backend` — the compute backends behind `@tapegrad/tensor`'s kernels, for code that needs raw
 * speed (the fused fast paths of `@tapegrad/autograd`, the optimizers' step kernels, benchmarks) or control
 * (which backend runs, worker threads for the GEMM). The main entry `@tapegrad/tensor` never exposes these:
 * everything here works on typed arrays and offsets, not tensors.
 *
 * `js` is plain TypeScript (the readable reference, the fallback and the float64 path); `wasm` runs float32
 * kernels as WebAssembly SIMD generated at run time; `wasm-fma` is `wasm` with a relaxed-SIMD GEMM
 * (`f32x4.relaxed_madd`, a fused multiply-add: one rounding per step, so its products differ from `wasm`'s in the
 * last bits). The default is `wasm-fma` when the engine validates a relaxed-SIMD module ({@link relaxedSimdSupported}:
 * Chromium, Node ≥ 22, or Node 20 once the host turned the V8 flag on), else `wasm` when it validates a SIMD module,
 * else `js`; `TAPEGRAD_BACKEND=js|wasm|wasm-fma` in the environment or {@link setBackend} forces one. Wasm
 * kernels: GEMM (all transposes) and the training-step kernels {@link adamUpdate}, {@link addRowVector},
 * {@link reluBackward}, {@link columnSum}, and the contiguous float32 binary ops ({@link binaryKernel}). The
 * elementwise ones give bit-identical results on both backends; GEMM and Adam compute in float32 on `wasm`
 * (within float32 rounding of `js`, whose Adam {@link adamUpdateJs} is the reference rule). Each backend is
 * bit-identical run to run; the two wasm variants differ only in the GEMM. Each kernel's signature exists once,
 * as a type in `types.ts` ({@link GemmFn}, {@link AdamUpdateFn}, …) that its dispatcher here and its `js/` and
 * `wasm/` versions share. New kernels go under `wasm/` against the same memory and are dispatched here the same
 * way. The host may lend the wasm GEMM worker threads ({@link setGemmWorkers}, `wasm/threads.ts`); the library
 * itself never starts threads and stays browser-safe.
 *
 * @module \@tapegrad/tensor/backend
 */
import { IndexError, ValueError } from '../errors.js';
import { gemmJs } from './js/gemm.js';
import { adamUpdateJs, addRowVectorJs, binaryJs, columnSumJs, reluBackwardJs } from './js/kernels.js';
import type {
  AdamUpdateFn,
  AddRowVectorFn,
  BinaryKernelFn,
  ColumnSumFn,
  FloatArray,
  GemmArgs,
  GemmArray,
  GemmFn,
  ReluBackwardFn,
} from './types.js';
import { gemmWasm, gemmWasmFma } from './wasm/gemm.js';
import { adamUpdateWasm, addRowVectorWasm, binaryWasm, columnSumWasm, reluBackwardWasm } from './wasm/kernels.js';
import { relaxedSimdSupported, residentArrays, wasmSupported } from './wasm/runtime.js';

export type {
  AdamUpdateFn,
  AddRowVectorFn,
  BinaryKernelFn,
  BinaryKernelOp,
  ColumnSumFn,
  GemmArgs,
  GemmArray,
  GemmFn,
  ReluBackwardFn,
  FloatArray as StepArray,
} from './types.js';
export { gemmJs } from './js/gemm.js';
export { gemmWasm, gemmWasmFma } from './wasm/gemm.js';
export { adamFlushBelow, adamUpdateJs, addRowVectorJs, binaryJs, columnSumJs, reluBackwardJs } from './js/kernels.js';
export { adamUpdateWasm, addRowVectorWasm, binaryWasm, columnSumWasm, reluBackwardWasm } from './wasm/kernels.js';
export { relaxedSimdSupported, wasmSupported } from './wasm/runtime.js';
export { simdPeakKernel } from './wasm/peak-module.js';
export { gemmWorkerSource, gemmWorkersReady, setGemmWorkers, type GemmWorker } from './wasm/threads.js';

/** The name of a compute backend (`wasm-fma`: the `wasm` backend with the relaxed-SIMD FMA GEMM). */
export type BackendName = 'js' | 'wasm' | 'wasm-fma';

/** The backends this engine can run, slowest first: `js`, then `wasm` and `wasm-fma` where supported. */
export function availableBackends(): BackendName[] {
  const out: BackendName[] = ['js'];
  if (wasmSupported()) out.push('wasm');
  if (relaxedSimdSupported()) out.push('wasm-fma');
  return out;
}

let current: BackendName | null = null;

function resolve(name: string, source: string): BackendName {
  if (name === 'auto') return availableBackends().pop()!;
  if (name === 'js') return 'js';
  if (name === 'wasm') {
    if (!wasmSupported()) {
      throw new ValueError(
        `${source}: the 'wasm' backend needs WebAssembly with 128-bit SIMD, which this engine does not support; use 'js'`,
      );
    }
    return 'wasm';
  }
  if (name === 'wasm-fma') {
    if (!relaxedSimdSupported()) {
      throw new ValueError(
        `${source}: the 'wasm-fma' backend needs WebAssembly relaxed SIMD, which this engine does not support ` +
          `(Node 20: call enableRelaxedSimd() from @tapegrad/nn/node first, or run node --experimental-wasm-relaxed-simd); use 'wasm'`,
      );
    }
    return 'wasm-fma';
  }
  throw new ValueError(`${source}: unknown backend '${name}'; expected 'js', 'wasm', 'wasm-fma' or 'auto'`);
}

/**
 * The active backend: chosen on first use from `TAPEGRAD_BACKEND`, else the fastest supported one
 * (`wasm-fma`, `wasm`, `js`).
 */
export function getBackend(): BackendName {
  if (current === null) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TAPEGRAD_BACKEND;
    current = resolve(env && env !== '' ? env.toLowerCase() : 'auto', 'TAPEGRAD_BACKEND');
  }
  return current;
}

/** Selects the backend (`'auto'` = the default choice); throws a ValueError for a wasm backend the engine cannot run. */
export function setBackend(name: BackendName | 'auto'): BackendName {
  current = resolve(name, 'setBackend');
  return current;
}

/**
 * `C = op(A)·op(B) (+ C when accumulate)` on row-major typed arrays, BLAS style (the layout is {@link GemmFn}'s).
 * Checks the sizes and that every operand lies inside its array, then runs on the active backend when all three
 * arrays are Float32Array ({@link gemmWasmFma} on `wasm-fma`), otherwise on the JS backend (float64 sums).
 * @example gemm(false, true, m, n, k, x, 0, k, w, 0, k, y, 0, n)   // y = x·wᵀ
 * @function
 */
export const gemm: GemmFn = (...args) => {
  checkGemm(args);
  if (wasmTakes(args)) (current === 'wasm-fma' ? gemmWasmFma : gemmWasm)(...args);
  else gemmJs(...args);
};

/** True when the wasm GEMM runs these arguments: the wasm backend is active and A, B and C are all float32. */
function wasmTakes(args: GemmArgs): args is GemmArgs<Float32Array, Float32Array> {
  const [, , , , , A, , , B, , , C] = args;
  return useWasm(A, B, C);
}

function checkOperand(name: string, rows: number, cols: number, arr: GemmArray, off: number, ld: number, ldName: string): void {
  if (rows === 0 || cols === 0) return;
  if (!Number.isInteger(ld) || ld < cols) {
    throw new ValueError(`gemm: ${ldName} is ${ld} but the stored ${name} has ${cols} columns per row; expected ${ldName} ≥ ${cols}`);
  }
  const end = off + (rows - 1) * ld + cols;
  if (!Number.isInteger(off) || off < 0 || end > arr.length) {
    throw new IndexError(
      `gemm: ${name} (${rows}×${cols} stored with ${ldName}=${ld} at offset ${off}) needs elements up to ${end}, ` +
        `but the array has ${arr.length}`,
    );
  }
}

function checkGemm([transA, transB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc]: GemmArgs): void {
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`gemm: ${name} must be a non-negative integer, got ${v}`);
  }
  checkOperand('A', transA ? k : m, transA ? m : k, A, aOff, lda, 'lda');
  checkOperand('B', transB ? n : k, transB ? k : n, B, bOff, ldb, 'ldb');
  checkOperand('C', m, n, C, cOff, ldc, 'ldc');
}

const useWasm = (...arrays: GemmArray[]): boolean => (current ?? getBackend()) !== 'js' && arrays.every((a) => a instanceof Float32Array);

function checkRange(fn: string, name: string, arr: FloatArray, off: number, len: number): void {
  if (!Number.isInteger(off) || off < 0 || off + len > arr.length) {
    throw new IndexError(`${fn}: ${name} needs elements [${off}, ${off + len}) but has length ${arr.length}`);
  }
}

function checkCount(fn: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
}

/** Elements below which {@link kernelStateArrays} gives ordinary arrays (their copies cost less than a memory's page). */
const RESIDENT_MIN = 4096;

/**
 * `count` zeroed arrays of `n` elements of `dtype` for a kernel's per-parameter state (Adam's moments): on a wasm
 * backend, float32 arrays of at least 4096 elements are views of WebAssembly memory that {@link adamUpdate} updates
 * where they lie (no copy in and out per step); otherwise ordinary arrays. Either kind works on every backend.
 * The memory comes in 16 MiB arenas that never move or grow; an arena is freed once no view of it is left and it
 * is no longer the one being filled (so at most 16 MiB outlives the arrays).
 */
export function kernelStateArrays(dtype: 'float32' | 'float64', n: number, count: number): FloatArray[] {
  checkCount('kernelStateArrays', 'n', n);
  checkCount('kernelStateArrays', 'count', count);
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new ValueError(`kernelStateArrays: got dtype ${String(dtype)}; expected 'float32' or 'float64'`);
  }
  if (dtype === 'float32' && n >= RESIDENT_MIN && (current ?? getBackend()) !== 'js') {
    try {
      return residentArrays(count, n);
    } catch (e) {
      // No WebAssembly memory this large (over 4 GiB, or the engine refused it): ordinary arrays work the same.
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return Array.from({ length: count }, () => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n)));
}

/**
 * One Adam step (PyTorch's rule) in place on `n` parameters `θ = param[pOff…]` with gradient `g = grad[gOff…]`
 * and state `m[0…n)`, `v[0…n)` (and `v̂ = maxV[0…n)` for AMSGrad):
 * ```
 * m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   AMSGrad: v̂ ← max(v̂, v), used for v below
 * θ ← θ − (lr/bc₁)·m / (√v·(1/√bc₂) + ε)          bc₁ = biasCorr1 = 1 − β₁ᵗ,  bc₂ = biasCorr2 = 1 − β₂ᵗ
 * ```
 * (PyTorch divides by √bc₂; the multiply is within 1 ulp). A float32 moment whose magnitude falls below 2⁻¹²⁶
 * (the subnormals) is stored as +0 when ε > 0 ({@link adamFlushBelow}): such moments come from gradients that
 * stay 0 and would otherwise sit in the subnormals forever, slowing the SIMD kernel ~1.5×, while moving their
 * parameter by less than 2⁻¹²⁶·lr/ε (TensorFlow's CPU kernels flush subnormals too). The JS backend runs the reference
 * {@link adamUpdateJs} (float64 arithmetic, moments stored in the arrays' dtype); the wasm backend, when all
 * arrays are Float32Array, runs {@link adamUpdateWasm}, the same rule in float32 SIMD arithmetic.
 * @function
 */
export const adamUpdate: AdamUpdateFn = (...args) => {
  const [param, pOff, grad, gOff, m, v, n, , , , , , , maxV] = args;
  checkCount('adamUpdate', 'n', n);
  checkRange('adamUpdate', 'param', param, pOff, n);
  checkRange('adamUpdate', 'grad', grad, gOff, n);
  checkRange('adamUpdate', 'm', m, 0, n);
  checkRange('adamUpdate', 'v', v, 0, n);
  if (maxV) checkRange('adamUpdate', 'maxV', maxV, 0, n);
  const wasm = useWasm(param, grad, m, v) && (!maxV || maxV instanceof Float32Array);
  if (wasm) adamUpdateWasm(...(args as Parameters<AdamUpdateFn<Float32Array>>));
  else adamUpdateJs(...args);
};

/**
 * `out[i, j] = x[i, j] + b[j]` on a contiguous `rows×cols` block, then `max(·, 0)` when `relu` (NaN → 0):
 * the dense layer's bias add, optionally fused with ReLU. `out` may be `x` (in place).
 * @function
 */
export const addRowVector: AddRowVectorFn = (x, xOff, rows, cols, b, bOff, out, oOff, relu = false) => {
  checkCount('addRowVector', 'rows', rows);
  checkCount('addRowVector', 'cols', cols);
  checkRange('addRowVector', 'x', x, xOff, rows * cols);
  checkRange('addRowVector', 'b', b, bOff, cols);
  checkRange('addRowVector', 'out', out, oOff, rows * cols);
  if (useWasm(x, b, out)) addRowVectorWasm(x as Float32Array, xOff, rows, cols, b as Float32Array, bOff, out as Float32Array, oOff, relu);
  else addRowVectorJs(x, xOff, rows, cols, b, bOff, out, oOff, relu);
};

/**
 * `out[j] = y[j] > 0 ? dy[j] : 0` for `n` elements: ReLU's backward pass from its output `y` (`out` may be `dy`).
 * @function
 */
export const reluBackward: ReluBackwardFn = (dy, dyOff, y, yOff, out, oOff, n) => {
  checkCount('reluBackward', 'n', n);
  checkRange('reluBackward', 'dy', dy, dyOff, n);
  checkRange('reluBackward', 'y', y, yOff, n);
  checkRange('reluBackward', 'out', out, oOff, n);
  if (useWasm(dy, y, out)) reluBackwardWasm(dy as Float32Array, dyOff, y as Float32Array, yOff, out as Float32Array, oOff, n);
  else reluBackwardJs(dy, dyOff, y, yOff, out, oOff, n);
};

/**
 * `out[j] = Σᵢ x[i, j]` (`+=` when `accumulate`) over a contiguous `rows×cols` block, rows in order: the bias gradient.
 * @function
 */
export const columnSum: ColumnSumFn = (x, xOff, rows, cols, out, oOff, accumulate = false) => {
  checkCount('columnSum', 'rows', rows);
  checkCount('columnSum', 'cols', cols);
  checkRange('columnSum', 'x', x, xOff, rows * cols);
  checkRange('columnSum', 'out', out, oOff, cols);
  if (useWasm(x, out)) columnSumWasm(x as Float32Array, xOff, rows, cols, out as Float32Array, oOff, accumulate);
  else columnSumJs(x, xOff, rows, cols, out, oOff, accumulate);
};

/** Below this many elements {@link binaryKernel} stays in JS: the wasm call and copies cost more than they save. */
export const BINARY_WASM_MIN = 512;

/**
 * `out[oOff + i] = a[aOff + i·aStep] ⊕ b[bOff + i·bStep]` for `n` elements, steps 0 (a scalar operand)
 * or 1, `⊕` one of add, sub, mul, div, maximum, minimum (NaN if either is NaN, −0 < +0): the contiguous
 * fast path of the elementwise ops. Wasm when all three arrays are Float32Array and `n ≥ BINARY_WASM_MIN`.
 * @function
 */
export const binaryKernel: BinaryKernelFn = (op, a, aOff, aStep, b, bOff, bStep, out, oOff, n) => {
  checkCount('binaryKernel', 'n', n);
  if ((aStep !== 0 && aStep !== 1) || (bStep !== 0 && bStep !== 1)) {
    throw new ValueError(`binaryKernel: steps must be 0 or 1, got aStep=${aStep}, bStep=${bStep}`);
  }
  checkRange('binaryKernel', 'a', a, aOff, n === 0 ? 0 : aStep === 0 ? 1 : n);
  checkRange('binaryKernel', 'b', b, bOff, n === 0 ? 0 : bStep === 0 ? 1 : n);
  checkRange('binaryKernel', 'out', out, oOff, n);
  if (n >= BINARY_WASM_MIN && useWasm(a, b, out)) {
    binaryWasm(op, a as Float32Array, aOff, aStep, b as Float32Array, bOff, bStep, out as Float32Array, oOff, n);
  } else {
    binaryJs(op, a, aOff, aStep, b, bOff, bStep, out, oOff, n);
  }
};
