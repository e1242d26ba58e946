/**
 * The fused fast paths (linear, relu, softmax cross-entropy) work on raw float storage. What they return
 * from an op's `fastBackward` is, by the contract of `Op.fastBackward`, a tensor they just allocated and
 * nobody else references: the engine may keep it as a leaf's `.grad` as is (gradient ownership without
 * copies, and without marks: the engine knows which gradients came from a fast backward).
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
