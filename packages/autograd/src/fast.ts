/**
 * Internal helpers for the fast paths of the fused ops (linear, relu, softmaxCrossEntropy) when a backward
 * runs without `createGraph` (their loops are the tensor package's backend kernels: gemm, columnSum,
 * reluBackward, addRowVector), and the "fresh gradient" mark that lets the engine take ownership of a
 * gradient tensor instead of copying it into a leaf's `.grad`.
 */
import { Tensor } from '@tapegrad/tensor';

/** Float storage of a tensor the fast loops handle. */
export type FloatArray = Float32Array | Float64Array;

const fresh = new WeakSet<Tensor>();

/** Marks `t` (just allocated by a backward kernel, referenced nowhere else) as ownable by the engine. */
export function markFresh(t: Tensor): Tensor {
  fresh.add(t);
  return t;
}

/**
 * True (once) when `t` was marked by {@link markFresh} and is contiguous storage of its own (offset 0, no
 * extra elements): the caller may keep it as is instead of cloning it.
 */
export function claimFresh(t: Tensor): boolean {
  if (!fresh.has(t)) return false;
  fresh.delete(t);
  return t.offset === 0 && t.data.length === t.size && t.isContiguous;
}

/** Drops the mark of {@link markFresh} from a gradient that leaves the engine (to a hook or a caller), so no leaf keeps it. */
export function unmarkFresh(t: Tensor): void {
  fresh.delete(t);
}

/** A new tensor of `shape` on a fresh array of the same float type as `like`. */
export function newLike(like: FloatArray, size: number, shape: readonly number[]): Tensor {
  return new Tensor(like instanceof Float32Array ? new Float32Array(size) : new Float64Array(size), shape);
}
