/** The fused backward of relu: one masking pass (a backend kernel) instead of building the mask and multiplying. */
import { isFloat, zeros, type Tensor } from '@tapegrad/tensor';
import { reluBackward } from '@tapegrad/tensor/backend';
import type { OpContext } from '../core.js';
import type { FloatArray } from './ownership.js';

/** ∂x = g·1[x > 0] in one pass over contiguous data of one float dtype; declines (null) otherwise. */
export function fusedReluBackward(g: Tensor, { inputs: [x] }: OpContext): [Tensor] | null {
  const xv = x!.value;
  if (!isFloat(g.dtype) || g.dtype !== xv.dtype || !g.isContiguous || !xv.isContiguous) return null;
  const out = zeros(g.shape, { dtype: g.dtype });
  reluBackward(g.data as FloatArray, g.offset, xv.data as FloatArray, xv.offset, out.data as FloatArray, 0, g.size);
  return [out];
}
