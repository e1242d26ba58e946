import type { AdamUpdateFn, AddRowVectorFn, BinaryKernelFn, ColumnSumFn, ReluBackwardFn } from '../types.js';

/**
 * Plain TypeScript versions of the training-step kernels: the readable reference and the fallback.
 *
 * The elementwise kernels (bias add, ReLU backward, column sums, binary ops) store each float32 result once,
 * which equals the float32 operation, so they match the wasm kernels bit for bit. Adam computes in float64
 * and keeps its moments in the parameter's dtype (see {@link adamUpdateJs}); the wasm kernel computes the
 * same rule in float32 arithmetic. All take explicit offsets; `out` may be an input.
 */

const fround = Math.fround;

/**
 * The magnitude below which Adam stores a float32 moment as +0: the smallest normal float32 (2⁻¹²⁶), or 0 (no
 * flush) when ε = 0, where a flushed pair m = v = 0 would turn a finite step into 0/0. A moment that has
 * decayed into the subnormals (a gradient that stays 0: β·m rounds back to the same subnormal forever) slows
 * every later step's arithmetic on it several-fold, and changes a parameter by under 2⁻¹²⁶·lr/ε.
 */
export const adamFlushBelow = (eps: number): number => (eps > 0 ? 2 ** -126 : 0);

/**
 * Adam in plain TypeScript — the reference rule (written out at `adamUpdate`), for any mix of float32 and
 * float64 arrays. Arithmetic is float64; the moments are rounded to their arrays' dtype as they are stored and
 * used as stored (float32 ones below {@link adamFlushBelow} as +0), so a step gives the same bits whether the
 * gradient comes as float32 or float64 (an optimizer's prepared gradient) and the same bits run to run.
 * @function
 */
export const adamUpdateJs: AdamUpdateFn = (param, pOff, grad, gOff, m, v, n, lr, beta1, beta2, eps, biasCorr1, biasCorr2, maxV = null) => {
  const step = lr / biasCorr1;
  const invBc2 = 1 / Math.sqrt(biasCorr2); // a multiply instead of a divide per element: ≤ 1 ulp from PyTorch's √v/√bc₂
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  // Round float32 moments as they are stored, flushing subnormals to +0. One loop for both dtypes: on float64,
  // where this branch is never taken, V8 runs it ~1.3× slower than a float64-only copy would; float32 (training)
  // runs at full speed.
  const f32 = m instanceof Float32Array;
  const tiny = adamFlushBelow(eps);
  if (maxV === null) {
    for (let j = 0; j < n; j++) {
      const g = grad[gOff + j]!;
      let mj = beta1 * m[j]! + c1 * g;
      let vj = beta2 * v[j]! + c2 * (g * g);
      if (f32) {
        mj = fround(mj);
        vj = fround(vj);
        // As a ternary on |m|: written `if (mj < tiny && mj > -tiny) mj = 0`, V8 ran this loop 2.5× slower.
        mj = Math.abs(mj) < tiny ? 0 : mj;
        vj = Math.abs(vj) < tiny ? 0 : vj;
      }
      m[j] = mj;
      v[j] = vj;
      param[pOff + j] -= (step * mj) / (Math.sqrt(vj) * invBc2 + eps);
    }
    return;
  }
  // AMSGrad: the same loop with v̂ = max(v̂, v) in the denominator. Its own copy: with this branch inside, V8 runs the
  // plain float32 loop ~1.2× slower (Node 20, 10⁵ parameters), and passing v as v̂ to one loop is slower still.
  for (let j = 0; j < n; j++) {
    const g = grad[gOff + j]!;
    let mj = beta1 * m[j]! + c1 * g;
    let vj = beta2 * v[j]! + c2 * (g * g);
    if (f32) {
      mj = fround(mj);
      vj = fround(vj);
      mj = Math.abs(mj) < tiny ? 0 : mj;
      vj = Math.abs(vj) < tiny ? 0 : vj;
    }
    m[j] = mj;
    v[j] = vj;
    if (vj > maxV[j]!) maxV[j] = vj;
    param[pOff + j] -= (step * mj) / (Math.sqrt(maxV[j]!) * invBc2 + eps);
  }
};

/**
 * `out[i, j] = x[i, j] + b[j]` for a contiguous `rows×cols` block (then `max(·, 0)` when `relu`, with
 * NaN → 0): the dense layer's bias add, fused with ReLU.
 * @function
 */
export const addRowVectorJs: AddRowVectorFn = (x, xOff, rows, cols, b, bOff, out, oOff, relu = false) => {
  for (let i = 0; i < rows; i++) {
    const xi = xOff + i * cols;
    const oi = oOff + i * cols;
    for (let j = 0; j < cols; j++) {
      const s = x[xi + j]! + b[bOff + j]!; // the float32 sum has the same sign, so ReLU before rounding is exact
      out[oi + j] = relu ? (s > 0 ? s : 0) : s;
    }
  }
};

/**
 * `out[j] = y[j] > 0 ? dy[j] : 0` for `n` elements: the ReLU backward pass given its output `y`.
 * @function
 */
export const reluBackwardJs: ReluBackwardFn = (dy, dyOff, y, yOff, out, oOff, n) => {
  for (let j = 0; j < n; j++) out[oOff + j] = y[yOff + j]! > 0 ? dy[dyOff + j]! : 0;
};

/**
 * `out[j] (+)= Σᵢ x[i, j]` over a contiguous `rows×cols` block, rows added in order (the bias gradient);
 * adds into `out` when `accumulate`.
 * @function
 */
export const columnSumJs: ColumnSumFn = (x, xOff, rows, cols, out, oOff, accumulate = false) => {
  if (!accumulate) out.fill(0, oOff, oOff + cols);
  for (let i = 0; i < rows; i++) {
    const xi = xOff + i * cols;
    for (let j = 0; j < cols; j++) out[oOff + j] = out[oOff + j]! + x[xi + j]!;
  }
};

/**
 * `out[oOff + i] = a[aOff + i·aStep] ⊕ b[bOff + i·bStep]` for `n` elements with steps 0 (a scalar operand)
 * or 1: the contiguous fast path of the elementwise binary ops. `maximum`/`minimum` follow `Math.max`/`Math.min`
 * (NaN if either is NaN, −0 < +0). On Float32Array each result is rounded once to float32 by the store,
 * which equals the float32 operation for all six ops.
 * @function
 */
export const binaryJs: BinaryKernelFn = (op, a, aOff, aStep, b, bOff, bStep, out, oOff, n) => {
  const end = oOff + n;
  let i = oOff;
  let pa = aOff;
  let pb = bOff;
  // One line per case: the table reads as a table.
  // prettier-ignore
  switch (op) {
    case 'add': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = a[pa]! + b[pb]!; return;
    case 'sub': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = a[pa]! - b[pb]!; return;
    case 'mul': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = a[pa]! * b[pb]!; return;
    case 'div': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = a[pa]! / b[pb]!; return;
    case 'maximum': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = Math.max(a[pa]!, b[pb]!); return;
    case 'minimum': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = Math.min(a[pa]!, b[pb]!); return;
  }
};
