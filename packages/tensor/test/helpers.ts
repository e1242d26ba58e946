/** Test-only helpers shared by the tensor test files: naive readers and index walkers, independent of the kernels. */
import type { Generator, Tensor } from '@tapegrad/tensor';

/** Calls `body` with every multi-index of `shape` in row-major order (the index array is reused) and its flat position. */
export function forEachIndex(shape: readonly number[], body: (idx: number[], flat: number) => void): void {
  const size = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    body(idx, i);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** All multi-indices of `shape` in row-major order. */
export function indicesOf(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  forEachIndex(shape, (idx) => out.push([...idx]));
  return out;
}

/** Reads any strided tensor element by element (via `get`) into a row-major Float64Array. */
export function flat64(t: Tensor): Float64Array {
  const out = new Float64Array(t.size);
  forEachIndex(t.shape, (idx, i) => (out[i] = t.get(...idx)));
  return out;
}

/** Reads any strided tensor element by element (via `get`) into a row-major array. */
export function flat(t: Tensor): number[] {
  const out: number[] = [];
  forEachIndex(t.shape, (idx) => out.push(t.get(...idx)));
  return out;
}

/** A uniform integer sampler in [lo, hi] (both inclusive) drawing from `gen`. */
export const randIntFrom =
  (gen: Generator) =>
  (lo: number, hi: number): number =>
    lo + Math.floor(gen.random() * (hi - lo + 1));

/** Memory layouts {@link makeView} lays the same logical tensor out in. */
export type Layout = 'contiguous' | 'transposed' | 'sliced' | 'negative-step' | 'expanded';
export const LAYOUTS: readonly Layout[] = ['contiguous', 'transposed', 'sliced', 'negative-step', 'expanded'];

/** The variant of the `transposed` and `expanded` layouts {@link makeView} builds. */
export interface ViewOptions {
  /**
   * `transposed`: `'reverse'` stores the axes in reverse order (`.transpose()`); `'reverse-swap'` also swaps the
   * first two of that order when ndim > 2 (a general permutation, via `.permute`). Default `'reverse'`.
   */
  transpose?: 'reverse' | 'reverse-swap';
  /** `expanded`: which axes are broadcast from size 1 — `'odd'` (1, 3, …) or `'even'` (0, 2, …). Default `'odd'`. */
  expandAxes?: 'odd' | 'even';
}

/** A tensor of logical `shape` laid out in memory as `layout` says, its storage filled by `rnd(storageShape)`. */
export function makeView(rnd: (shape: number[]) => Tensor, shape: number[], layout: Layout, options: ViewOptions = {}): Tensor {
  switch (layout) {
    case 'contiguous':
      return rnd(shape);
    case 'transposed': {
      if (options.transpose !== 'reverse-swap') return rnd([...shape].reverse()).transpose();
      const perm = shape.map((_, i) => i).reverse();
      if (perm.length > 2) [perm[0], perm[1]] = [perm[1]!, perm[0]!];
      const base = rnd(perm.map((a) => shape[a]!));
      const inv = new Array<number>(perm.length);
      perm.forEach((a, i) => (inv[a] = i));
      return base.permute(inv);
    }
    case 'sliced':
      return rnd(shape.map((d) => 2 * d + 1)).slice(...shape.map((d) => [1, 1 + 2 * d, 2] as const));
    case 'negative-step':
      return rnd(shape.map((d) => 2 * d)).slice(...shape.map((d) => [2 * d - 1, null, -2] as const));
    case 'expanded': {
      const broadcast = options.expandAxes === 'even' ? 0 : 1;
      return rnd(shape.map((d, i) => (i % 2 === broadcast ? 1 : d))).expand(shape);
    }
  }
}
