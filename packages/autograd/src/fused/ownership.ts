/**
 * Gradient ownership. The fused fast paths (linear, relu, softmax cross-entropy) return from an op's
 * `fastBackward` only tensors they have just allocated and nobody else references — that is the contract of
 * `Op.fastBackward` — so the engine may keep such a tensor as a leaf's `.grad` as it is, without a copy and
 * without any mark on the tensor: the engine knows which gradients came from a fast backward. The helpers
 * here allocate those fresh tensors.
 */
import { Tensor, type DType } from '@tapegrad/tensor';

/** Float storage of a tensor the fused loops handle. */
export type FloatArray = Float32Array | Float64Array;

/** A new zero tensor of `shape` with float `dtype` (the fused loops write into it). */
export function zerosOf(dtype: 'float32' | 'float64', shape: readonly number[]): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(dtype === 'float32' ? new Float32Array(size) : new Float64Array(size), shape);
}

/** True when `dtype` is one the fused loops handle. */
export function isFloat(dtype: DType): dtype is 'float32' | 'float64' {
  return dtype === 'float32' || dtype === 'float64';
}
