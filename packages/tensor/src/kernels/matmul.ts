import { checkTensor } from '../args.js';
import { gemm } from '../backend/index.js';
import { allocate, floatDtype, promote } from '../dtype.js';
import { ShapeError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor.js';

/**
 * Matrix product with NumPy semantics: 2-D × 2-D; batched over leading dimensions that broadcast; a 1-D
 * `a` is a row vector and a 1-D `b` a column vector, and the added dimension is removed again (so
 * vector·vector gives a 0-d tensor). The result dtype is `promote(a, b)`; int32 operands are multiplied in
 * float and give float32 (float64 if the other operand is float64). A 2-D operand laid out as a transposed
 * contiguous matrix (e.g. `w.T`) is read in place via the GEMM transpose flag; other non-contiguous
 * matrices are copied first. float32 products run on the active backend (`getBackend()` in `@tapegrad/tensor/backend`).
 * @example matmul(x, w.T)   // [batch, in] · [out, in]ᵀ → [batch, out], no copy of w
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', a, 'a');
  checkTensor('matmul', b, 'b');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: operands need at least 1 dimension, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}; use mul to scale by a scalar`,
    );
  }
  const dtype = floatDtype(promote(a.dtype, b.dtype));
  if (a.dtype === 'int32') a = a.astype(dtype);
  if (b.dtype === 'int32') b = b.astype(dtype);

  const aVec = a.ndim === 1;
  const bVec = b.ndim === 1;
  let A = aVec ? a.unsqueeze(0) : a;
  let B = bVec ? b.unsqueeze(1) : b;
  const m = A.shape[A.ndim - 2]!;
  const k = A.shape[A.ndim - 1]!;
  const kb = B.shape[B.ndim - 2]!;
  const n = B.shape[B.ndim - 1]!;
  if (k !== kb) {
    throw new ShapeError(`matmul: inner dimensions differ: a is ${fmtShape(a.shape)}, b is ${fmtShape(b.shape)} (${k} ≠ ${kb})`);
  }
  const batch = broadcastBatch(A.shape.slice(0, -2), B.shape.slice(0, -2), a, b);
  const outShape = [...batch, ...(aVec ? [] : [m]), ...(bVec ? [] : [n])];
  let batchSize = 1;
  for (const d of batch) batchSize *= d;
  const out = allocate(dtype, batchSize * m * n) as Float32Array | Float64Array;
  if (out.length === 0 || k === 0) return new Tensor(out, outShape);

  let la = layout(A);
  if (la === null) {
    A = A.contiguous();
    la = layout(A)!;
  }
  let lb = layout(B);
  if (lb === null) {
    B = B.contiguous();
    lb = layout(B)!;
  }

  // Two matrices: one GEMM (the common case, kept free of the batch bookkeeping below).
  if (A.ndim === 2 && B.ndim === 2) {
    gemm(la.trans, lb.trans, m, n, k, A.data, A.offset, la.ld, B.data, B.offset, lb.ld, out, 0, n);
    return new Tensor(out, outShape);
  }

  // [..., m, k] · [k, n] with a contiguous `a`: one GEMM over all the rows (the Dense-layer case).
  if (B.ndim === 2 && A.ndim > 2 && A.isContiguous) {
    gemm(false, lb.trans, batchSize * m, n, k, A.data, A.offset, k, B.data, B.offset, lb.ld, out, 0, n);
    return new Tensor(out, outShape);
  }

  const Ae = A.expand([...batch, m, k]);
  const Be = B.expand([...batch, k, n]);
  const nb = batch.length;
  const index = new Array<number>(nb).fill(0);
  let aOff = Ae.offset;
  let bOff = Be.offset;
  for (let t = 0; t < batchSize; t++) {
    gemm(la.trans, lb.trans, m, n, k, Ae.data, aOff, la.ld, Be.data, bOff, lb.ld, out, t * m * n, n);
    for (let d = nb - 1; d >= 0; d--) {
      aOff += Ae.strides[d]!;
      bOff += Be.strides[d]!;
      if (++index[d]! < batch[d]!) break;
      aOff -= Ae.strides[d]! * batch[d]!;
      bOff -= Be.strides[d]! * batch[d]!;
      index[d] = 0;
    }
  }
  return new Tensor(out, outShape);
}

/**
 * How GEMM can read the last two dimensions of `t` in place: row-major with leading dimension `ld`, or
 * (`trans`) the transpose of a row-major matrix with leading dimension `ld`; null when neither fits.
 */
function layout(t: Tensor): { trans: boolean; ld: number } | null {
  const nd = t.ndim;
  const rows = t.shape[nd - 2]!;
  const cols = t.shape[nd - 1]!;
  const rs = t.strides[nd - 2]!;
  const cs = t.strides[nd - 1]!;
  if ((cs === 1 || cols <= 1) && (rows <= 1 || rs >= Math.max(cols, 1))) {
    return { trans: false, ld: rows <= 1 ? Math.max(cols, 1) : rs };
  }
  if ((rs === 1 || rows <= 1) && (cols <= 1 || cs >= Math.max(rows, 1))) {
    return { trans: true, ld: cols <= 1 ? Math.max(rows, 1) : cs };
  }
  return null;
}

function broadcastBatch(ba: readonly number[], bb: readonly number[], a: Tensor, b: Tensor): number[] {
  const nd = Math.max(ba.length, bb.length);
  const out = new Array<number>(nd);
  for (let i = 0; i < nd; i++) {
    const x = ba[ba.length - nd + i] ?? 1;
    const y = bb[bb.length - nd + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShapeError(
        `matmul: batch dimensions ${fmtShape(ba)} of a ${fmtShape(a.shape)} and ${fmtShape(bb)} of b ${fmtShape(b.shape)} ` +
          `cannot broadcast (${x} vs ${y}); each must be equal or 1`,
      );
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}
