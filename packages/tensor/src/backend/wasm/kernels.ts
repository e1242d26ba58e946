import { adamFlushBelow, binaryJs } from '../js/kernels.js';
import type { AdamUpdateFn, AddRowVectorFn, BinaryKernelFn, ColumnSumFn, ReluBackwardFn } from '../types.js';
import { CHUNK, kernelState, residentKernels, type AdamScalars } from './runtime.js';
import { runParallelAdam } from './threads.js';

/**
 * Wrappers that run the training-step kernels of {@link kernelsModule} on float32 arrays outside wasm
 * memory: each copies a chunk of its inputs in, runs the kernel, and copies the outputs back, chunk by
 * chunk so the working set stays in L2. Signatures equal those of the JS versions in `../js/kernels.ts`, and so
 * do the results, bit for bit — except Adam's, which computes the same rule in float32 arithmetic.
 */

/**
 * Adam in place on float32 arrays: {@link adamUpdateJs}'s rule in float32 SIMD arithmetic (so within float32
 * rounding of it, not bit for bit), with AMSGrad when `maxV` is given. State made by `kernelStateArrays` (views
 * of wasm memory) is updated where it lies: only θ and g are copied, 3 transfers per element instead of 7, and
 * none when θ and g lie in the same memory as the state (`kernelStateArrays` made them too).
 * @function
 */
export const adamUpdateWasm: AdamUpdateFn<Float32Array> = (
  param,
  pOff,
  grad,
  gOff,
  m,
  v,
  n,
  lr,
  beta1,
  beta2,
  eps,
  biasCorr1,
  biasCorr2,
  maxV = null,
) => {
  const scalars: AdamScalars = [beta1, 1 - beta1, beta2, 1 - beta2, eps, lr / biasCorr1, 1 / Math.sqrt(biasCorr2), adamFlushBelow(eps)];
  const states = maxV ? [m, v, maxV] : [m, v];
  const all = residentKernels(param, grad, ...states);
  if (all) {
    // θ and g live with the state (a Dense kernel and fit's gradient buffers do): nothing to copy; in the memory the
    // GEMM workers see, a large update is split with them
    const [p0, g0] = [param.byteOffset + pOff * 4, grad.byteOffset + gOff * 4];
    const at = [p0, g0, m.byteOffset, v.byteOffset, maxV ? maxV.byteOffset : -1] as const;
    if (all.shared && runParallelAdam(all.kernels, at, n, scalars)) return;
    if (maxV) all.kernels.adamMax(p0, g0, m.byteOffset, v.byteOffset, maxV.byteOffset, n, ...scalars);
    else all.kernels.adam(p0, g0, m.byteOffset, v.byteOffset, n, ...scalars);
    return;
  }
  // State from kernelStateArrays is updated where it lies; otherwise each chunk of it is copied in after θ and g.
  const home = residentKernels(...states);
  const { f32, kernels } = home ?? kernelState((2 + states.length) * CHUNK);
  const slot = (i: number): number => (2 + i) * CHUNK; // a copied state array's chunk, in floats
  const at = [0, 0, 0]; // byte addresses of the state chunks the kernel updates
  for (let j0 = 0; j0 < n; j0 += CHUNK) {
    const len = Math.min(CHUNK, n - j0);
    f32.set(param.subarray(pOff + j0, pOff + j0 + len), 0);
    f32.set(grad.subarray(gOff + j0, gOff + j0 + len), CHUNK);
    states.forEach((st, i) => {
      if (!home) f32.set(st.subarray(j0, j0 + len), slot(i));
      at[i] = home ? st.byteOffset + j0 * 4 : slot(i) * 4;
    });
    if (maxV) kernels.adamMax(0, CHUNK * 4, at[0]!, at[1]!, at[2]!, len, ...scalars);
    else kernels.adam(0, CHUNK * 4, at[0]!, at[1]!, len, ...scalars);
    param.set(f32.subarray(0, len), pOff + j0);
    if (!home) states.forEach((st, i) => st.set(f32.subarray(slot(i), slot(i) + len), j0));
  }
};

/**
 * `out[i, j] = x[i, j] + b[j]` (then ReLU) on float32 arrays; see {@link addRowVectorJs}.
 * @function
 */
export const addRowVectorWasm: AddRowVectorFn<Float32Array> = (x, xOff, rows, cols, b, bOff, out, oOff, relu = false) => {
  if (rows <= 0 || cols <= 0) return;
  const per = Math.max(1, Math.floor(CHUNK / cols));
  const bAt = per * cols;
  const { f32, kernels } = kernelState(bAt + cols);
  f32.set(b.subarray(bOff, bOff + cols), bAt);
  const fn = relu ? kernels.addRowRelu : kernels.addRow;
  for (let i0 = 0; i0 < rows; i0 += per) {
    const len = Math.min(per, rows - i0) * cols;
    f32.set(x.subarray(xOff + i0 * cols, xOff + i0 * cols + len), 0);
    fn(0, len / cols, cols, bAt * 4, 0);
    out.set(f32.subarray(0, len), oOff + i0 * cols);
  }
};

/**
 * `out = y > 0 ? dy : 0` on float32 arrays; see {@link reluBackwardJs}.
 * @function
 */
export const reluBackwardWasm: ReluBackwardFn<Float32Array> = (dy, dyOff, y, yOff, out, oOff, n) => {
  const { kernels } = kernelState(2 * CHUNK);
  elementwise2(kernels.reluBack, dy, dyOff, y, yOff, out, oOff, n);
};

/**
 * Runs the wasm kernel `fn(a, b, out, len)` (byte addresses) over `n` elements chunk by chunk: each chunk of
 * `a` and `b` is copied into the kernel memory (at 0 and `CHUNK`), computed in place in `a`'s slot and
 * copied out to `out[oOff…]`.
 */
function elementwise2(
  fn: (a: number, b: number, out: number, len: number) => void,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  out: Float32Array,
  oOff: number,
  n: number,
): void {
  const { f32 } = kernelState(2 * CHUNK);
  for (let j0 = 0; j0 < n; j0 += CHUNK) {
    const len = Math.min(CHUNK, n - j0);
    f32.set(a.subarray(aOff + j0, aOff + j0 + len), 0);
    f32.set(b.subarray(bOff + j0, bOff + j0 + len), CHUNK);
    fn(0, CHUNK * 4, 0, len);
    out.set(f32.subarray(0, len), oOff + j0);
  }
}

/**
 * `out[j] (+)= Σᵢ x[i, j]`, rows in order, on float32 arrays; see {@link columnSumJs}.
 * @function
 */
export const columnSumWasm: ColumnSumFn<Float32Array> = (x, xOff, rows, cols, out, oOff, accumulate = false) => {
  if (cols <= 0) return;
  const per = Math.max(1, Math.floor(CHUNK / cols));
  const oAt = per * cols;
  const { f32, kernels } = kernelState(oAt + cols);
  if (accumulate) f32.set(out.subarray(oOff, oOff + cols), oAt);
  else f32.fill(0, oAt, oAt + cols);
  for (let i0 = 0; i0 < rows; i0 += per) {
    const len = Math.min(per, rows - i0) * cols;
    f32.set(x.subarray(xOff + i0 * cols, xOff + i0 * cols + len), 0);
    kernels.colSum(0, len / cols, cols, oAt * 4);
  }
  out.set(f32.subarray(oAt, oAt + cols), oOff);
};

const BIN_NAMES = { add: 'add', sub: 'sub', mul: 'mul', div: 'div', maximum: 'max', minimum: 'min' } as const;
const COMMUTATIVE = { add: true, sub: false, mul: true, div: false, maximum: true, minimum: true } as const;

/**
 * `out[oOff + i] = a[aOff + i·aStep] ⊕ b[bOff + i·bStep]` on float32 arrays with steps 0 (scalar) or 1;
 * see {@link binaryJs}. Chunks are computed in place in the first operand's slot.
 * @function
 */
export const binaryWasm: BinaryKernelFn<Float32Array> = (op, a, aOff, aStep, b, bOff, bStep, out, oOff, n) => {
  if (n <= 0) return;
  if (aStep === 0 && bStep === 0) {
    binaryJs(op, a, aOff, 0, b, bOff, 0, out, oOff, n);
    return;
  }
  const name = BIN_NAMES[op];
  const { f32, binary } = kernelState(2 * CHUNK);
  if (aStep !== 0 && bStep !== 0) {
    elementwise2(binary[`${name}_vv`], a, aOff, b, bOff, out, oOff, n);
    return;
  }
  // One scalar operand: `vs` when it is b (or the op commutes), else `sv`.
  const scalarFirst = aStep === 0;
  const s = scalarFirst ? a[aOff]! : b[bOff]!;
  const arr = scalarFirst ? b : a;
  const off = scalarFirst ? bOff : aOff;
  const fn = binary[`${name}_${scalarFirst && !COMMUTATIVE[op] ? 'sv' : 'vs'}`];
  for (let j0 = 0; j0 < n; j0 += CHUNK) {
    const len = Math.min(CHUNK, n - j0);
    f32.set(arr.subarray(off + j0, off + j0 + len), 0);
    fn(0, s, 0, len);
    out.set(f32.subarray(0, len), oOff + j0);
  }
};
