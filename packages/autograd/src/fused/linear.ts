/**
 * The fused forward and backward of `linear` (y = x·W + b). The forward adds the bias into the fresh product
 * in place; the backward is two matrix products and a column sum on tensors — `matmul` reads the transposed
 * operands `W.T` and `xᵀ` in place through the GEMM transpose flag, so nothing is transposed in memory.
 */
import { add, isFloat, matmul, sizeOf, zeros, type Tensor } from '@tapegrad/tensor';
import { addRowVector, columnSum, gemm } from '@tapegrad/tensor/backend';
import type { OpContext } from '../core.js';
import type { FloatArray } from './ownership.js';

/** y = x·W + b, the bias added into the product in place when it is a contiguous 1-D vector of the same dtype. */
export function fusedLinearForward([x, w, b]: Tensor[]): Tensor {
  const y = matmul(x!, w!);
  if (!b) return y;
  if (b.ndim === 1 && b.dtype === y.dtype && b.isContiguous && isFloat(y.dtype) && y.size > 0) {
    const cols = b.shape[0]!;
    addRowVector(y.data as FloatArray, 0, y.size / cols, cols, b.data as FloatArray, b.offset, y.data as FloatArray, 0);
    return y;
  }
  return add(y, b);
}

/** `t` as a [rows, cols] matrix (its leading axes merged; a matrix already is one). */
function asMatrix(t: Tensor, rows: number, cols: number): Tensor {
  return t.ndim === 2 ? t : t.reshape(rows, cols);
}

/**
 * ∂x = g·Wᵀ, ∂W = xᵀ·g (over the rows of all batch dimensions), ∂b = Σ_rows g — only for the inputs that
 * require a gradient; ∂W and ∂b are written into `out[1]`, `out[2]` when the engine offers them (a training
 * loop's previous gradients), with the same results as into fresh tensors. Declines (null) on mixed dtypes,
 * which the differentiable formulas handle.
 */
export function fusedLinearBackward(
  g: Tensor,
  { inputs: [x, w, b] }: OpContext,
  out?: readonly (Tensor | null)[],
): (Tensor | null)[] | null {
  const X = x!.value;
  const W = w!.value;
  const dtype = g.dtype;
  if (!isFloat(dtype) || X.dtype !== dtype || W.dtype !== dtype || (b && (b.dtype !== dtype || b.ndim !== 1))) return null;
  const [nIn, nOut] = W.shape as [number, number];
  const rows = sizeOf(X.shape.slice(0, -1));
  const G = asMatrix(g.contiguous(), rows, nOut);
  let dx = x!.requiresGrad ? matmul(G, W.T) : null;
  let dw: Tensor | null = null;
  if (w!.requiresGrad) {
    const into = out?.[1];
    // xᵀ·g straight into the offered storage: the GEMM matmul would run (xᵀ read in place), without the allocation.
    if (into && X.isContiguous && rows > 0) {
      const [xd, gd] = [X.data as FloatArray, G.data as FloatArray];
      gemm(true, false, nIn, nOut, rows, xd, X.offset, nIn, gd, G.offset, nOut, into.data as FloatArray, 0, nOut);
      dw = into;
    } else dw = matmul(asMatrix(X, rows, nIn).T, G);
  }
  if (dx !== null && X.ndim !== 2) dx = dx.reshape(X.shape);
  if (!b) return [dx, dw];
  let db: Tensor | null = null;
  if (b.requiresGrad) {
    db = out?.[2] ?? zeros(b.shape, { dtype });
    // The backend's column sum (it accumulates in the storage's precision), not sum(g, 0) (float64 accumulation),
    // so that training runs stay bit-identical to the releases before this module.
    if (nOut > 0) columnSum(G.data as FloatArray, G.offset, rows, nOut, db.data as FloatArray, 0);
  }
  return [dx, dw, db];
}
