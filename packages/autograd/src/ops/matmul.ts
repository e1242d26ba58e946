import * as K from '@tapegrad/tensor';
import { markFresh } from '../fast.js';
import { isGradEnabled } from '../grad-mode.js';
import { apply, type Op } from '../op.js';
import { toVariablePair, type Operand } from '../variable.js';
import type { Variable } from '../variable.js';
import { sumTo } from './shape.js';

/** y = a·b (batched, ndim ≥ 2)   ∂a = sumTo(g·bᵀ, shape(a))   ∂b = sumTo(aᵀ·g, shape(b)) */
export const MatMul: Op = {
  name: 'matmul',
  forward: ([a, b]) => K.matmul(a, b),
  backward: (g, { inputs: [a, b] }) => {
    const grads = [
      a.requiresGrad ? sumTo(g.matmul(b.swapAxes(-1, -2)), a.shape) : null,
      b.requiresGrad ? sumTo(a.swapAxes(-1, -2).matmul(g), b.shape) : null,
    ];
    // Unrecorded, each result is a new tensor from the matmul (or sumTo) kernel: a leaf may keep it.
    if (!isGradEnabled()) for (const v of grads) if (v !== null) markFresh(v.value);
    return grads;
  },
};

/**
 * Matrix product with NumPy semantics (batched, broadcasting batch dimensions; a 1-D operand is a row or
 * column vector whose added axis is removed again).
 */
export function matmul(a: Operand, b: Operand): Variable {
  let [va, vb] = toVariablePair('matmul', a, b);
  if (va.ndim === 0 || vb.ndim === 0) {
    // Let the kernel produce its error message.
    K.matmul(va.value, vb.value);
  }
  const aVec = va.ndim === 1;
  const bVec = vb.ndim === 1;
  if (aVec) va = va.unsqueeze(0);
  if (bVec) vb = vb.unsqueeze(1);
  let y = apply(MatMul, [va, vb]);
  if (bVec) y = y.squeeze(-1);
  if (aVec) y = y.squeeze(-2 + (bVec ? 1 : 0));
  return y;
}
