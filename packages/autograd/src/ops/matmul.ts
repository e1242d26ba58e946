/** The op table, the matrix product. */
import * as K from '@tapegrad/tensor';
import type { Operand, Variable } from '../core.js';
import { toVariablePair } from '../variable.js';
import { primitive, type OpFunction } from './spec.js';

/**
 * Matrix product with NumPy semantics (batched, broadcasting batch dimensions; a 1-D operand is a row or
 * column vector whose added axis is removed again).
 */
export const matmul: OpFunction<[a: Operand, b: Operand]> = primitive({
  name: 'matmul',
  math: 'y = a·b (batched)   ∂a = sumTo(g·bᵀ, shape(a))   ∂b = sumTo(aᵀ·g, shape(b))   ẏ = ȧ·b + a·ḃ',
  names: ['a', 'b'],
  args: (a: Operand, b: Operand) => {
    const [va, vb] = toVariablePair('matmul', a, b);
    if (va.ndim === 0 || vb.ndim === 0) K.matmul(va.value, vb.value); // throws the kernel's error message
    if (va.ndim === 1 || vb.ndim === 1) return vectorProduct(va, vb);
    return { inputs: [va, vb], params: undefined };
  },
  forward: ([a, b]) => K.matmul(a!, b!),
  vjp: [(g, { a, b }) => g.matmul(b.swapAxes(-1, -2)).sumTo(a.shape), (g, { a, b }) => a.swapAxes(-1, -2).matmul(g).sumTo(b.shape)],
  jvp: [(da, { b }) => da.matmul(b), (db, { a }) => a.matmul(db)],
});

/** A product with a 1-D operand: promoted to a row (a) or column (b) matrix, multiplied, and the axis removed. */
function vectorProduct(a: Variable, b: Variable): Variable {
  const aVec = a.ndim === 1;
  const bVec = b.ndim === 1;
  let y = matmul(aVec ? a.unsqueeze(0) : a, bVec ? b.unsqueeze(1) : b);
  if (bVec) y = y.squeeze(-1);
  if (aVec) y = y.squeeze(-2 + (bVec ? 1 : 0));
  return y;
}
