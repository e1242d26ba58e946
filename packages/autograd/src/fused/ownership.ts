/**
 * Gradient ownership. The fused fast paths (linear, relu, softmax cross-entropy) return from an op's
 * `fastBackward` only tensors they have just allocated and nobody else references — that is the contract of
 * `Op.fastBackward` — so the engine may keep such a tensor as a leaf's `.grad` as it is, without a copy and
 * without any mark on the tensor: the engine knows which gradients came from a fast backward.
 */
import type { Tensor } from '@tapegrad/tensor';

/** Float storage of a tensor the fused loops handle. */
export type FloatArray = Float32Array | Float64Array;

/**
 * True when `t` is exactly its storage: contiguous, from offset 0, with no element of `data` beyond its own —
 * what a leaf's `.grad` kept without a copy, or a gradient buffer written in place, must be.
 */
export function fillsStorage(t: Tensor): boolean {
  return t.offset === 0 && t.data.length === t.size && t.isContiguous;
}
