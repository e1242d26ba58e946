/**
 * Plain TypeScript versions of the training-step kernels (the readable reference and the fallback).
 *
 * On Float32Array they round every operation to float32 in the same order as the wasm kernels (Adam
 * with `Math.fround`; the others by storing each result), so both backends give bit-identical results;
 * on Float64Array the same loops run in float64. All take explicit offsets; `out` may be an input.
 */

/** A float typed array the step kernels read and write. */
export type FloatArray = Float32Array | Float64Array;

const f = Math.fround;

/**
 * One Adam step (PyTorch rule) on `n` parameters in place: `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
 * `θ ← θ − (lr/bc₁)·m / (√v·(1/√bc₂) + ε)` with `bc₁ = 1−β₁ᵗ`, `bc₂ = 1−β₂ᵗ`; `m` and `v` start at index 0.
 */
export function adamUpdateJs(
  param: FloatArray,
  pOff: number,
  grad: FloatArray,
  gOff: number,
  m: FloatArray,
  v: FloatArray,
  n: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  biasCorr1: number,
  biasCorr2: number,
): void {
  const step = lr / biasCorr1;
  const invBc2 = 1 / Math.sqrt(biasCorr2); // a multiply instead of a divide per element: ≤ 1 ulp from PyTorch's √v/√bc₂
  if (!(param instanceof Float32Array)) {
    for (let j = 0; j < n; j++) {
      const g = grad[gOff + j]!;
      const mj = (m[j] = beta1 * m[j]! + (1 - beta1) * g);
      const vj = (v[j] = beta2 * v[j]! + (1 - beta2) * (g * g));
      param[pOff + j] = param[pOff + j]! - step * (mj / (Math.sqrt(vj) * invBc2 + eps));
    }
    return;
  }
  // The same formula, each operation rounded to float32 like the wasm kernel's f32x4 arithmetic.
  const b1 = f(beta1), c1 = f(1 - beta1), b2 = f(beta2), c2 = f(1 - beta2), e = f(eps), s = f(step), d = f(invBc2);
  for (let j = 0; j < n; j++) {
    const g = grad[gOff + j]!;
    const mj = f(f(b1 * m[j]!) + f(c1 * g));
    const vj = f(f(b2 * v[j]!) + f(c2 * f(g * g)));
    m[j] = mj;
    v[j] = vj;
    const denom = f(f(f(Math.sqrt(vj)) * d) + e);
    param[pOff + j] = f(param[pOff + j]! - f(s * f(mj / denom)));
  }
}

/**
 * `out[i, j] = x[i, j] + b[j]` for a contiguous `rows×cols` block (then `max(·, 0)` when `relu`, with
 * NaN → 0): the dense layer's bias add, fused with ReLU.
 */
export function addRowVectorJs(
  x: FloatArray,
  xOff: number,
  rows: number,
  cols: number,
  b: FloatArray,
  bOff: number,
  out: FloatArray,
  oOff: number,
  relu = false,
): void {
  for (let i = 0; i < rows; i++) {
    const xi = xOff + i * cols;
    const oi = oOff + i * cols;
    for (let j = 0; j < cols; j++) {
      const s = x[xi + j]! + b[bOff + j]!; // the float32 sum has the same sign, so ReLU before rounding is exact
      out[oi + j] = relu ? (s > 0 ? s : 0) : s;
    }
  }
}

/** `out[j] = y[j] > 0 ? dy[j] : 0` for `n` elements: the ReLU backward pass given its output `y`. */
export function reluBackwardJs(dy: FloatArray, dyOff: number, y: FloatArray, yOff: number, out: FloatArray, oOff: number, n: number): void {
  for (let j = 0; j < n; j++) out[oOff + j] = y[yOff + j]! > 0 ? dy[dyOff + j]! : 0;
}

/**
 * `out[j] (+)= Σᵢ x[i, j]` over a contiguous `rows×cols` block, rows added in order (the bias gradient);
 * adds into `out` when `accumulate`.
 */
export function columnSumJs(
  x: FloatArray,
  xOff: number,
  rows: number,
  cols: number,
  out: FloatArray,
  oOff: number,
  accumulate = false,
): void {
  if (!accumulate) out.fill(0, oOff, oOff + cols);
  for (let i = 0; i < rows; i++) {
    const xi = xOff + i * cols;
    for (let j = 0; j < cols; j++) out[oOff + j] = out[oOff + j]! + x[xi + j]!;
  }
}

/** The binary float ops with a wasm SIMD kernel (see {@link binaryJs}). */
export type BinaryKernelOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';

/**
 * `out[oOff + i] = a[aOff + i·aStep] ⊕ b[bOff + i·bStep]` for `n` elements with steps 0 (a scalar operand)
 * or 1: the contiguous fast path of the elementwise binary ops. `maximum`/`minimum` follow `Math.max`/`Math.min`
 * (NaN if either is NaN, −0 < +0). On Float32Array each result is rounded once to float32 by the store,
 * which equals the float32 operation for all six ops.
 */
export function binaryJs(
  op: BinaryKernelOp,
  a: FloatArray,
  aOff: number,
  aStep: number,
  b: FloatArray,
  bOff: number,
  bStep: number,
  out: FloatArray,
  oOff: number,
  n: number,
): void {
  const end = oOff + n;
  let i = oOff;
  let pa = aOff;
  let pb = bOff;
  switch (op) {
    case 'add': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = a[pa]! + b[pb]!; return;
    case 'sub': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = a[pa]! - b[pb]!; return;
    case 'mul': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = a[pa]! * b[pb]!; return;
    case 'div': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = a[pa]! / b[pb]!; return;
    case 'maximum': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = Math.max(a[pa]!, b[pb]!); return;
    case 'minimum': for (; i < end; i++, pa += aStep, pb += bStep) out[i] = Math.min(a[pa]!, b[pb]!); return;
  }
}
