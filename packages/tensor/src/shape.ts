import { IndexError, ShapeError, ValueError, fmtShape, fmtValue } from './errors.js';

/**
 * The most dimensions a tensor may have: 32, NumPy's limit (also the limit of tensor files read by `@tapegrad/nn`).
 * The creation functions, `tensor()`'s nested arrays and the `Tensor` constructor refuse more.
 */
export const MAX_NDIM = 32;

/**
 * The most elements a tensor may own: 2³¹ − 1, because the kernels address elements with int32 offsets. The
 * creation functions refuse a larger shape with a ValueError naming it (a broadcast view may be larger: it owns
 * nothing, but it cannot be copied).
 */
export const MAX_SIZE = 2 ** 31 - 1;

/** Number of elements in a tensor of this shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-order) strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Checks a shape argument: an array (not a bare number: `[3]`, not `3`) of at most {@link MAX_NDIM} non-negative
 * integers whose product is at most {@link MAX_SIZE}. Throws a ValueError naming `fn` and what was wrong.
 */
export function checkShape(fn: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape)) {
    const hint = typeof shape === 'number' && Number.isInteger(shape) && shape >= 0 ? `; for a 1-D shape pass [${shape}]` : '';
    throw new ValueError(`${fn}: shape must be an array of non-negative integers, got ${fmtValue(shape)}${hint}`);
  }
  if (shape.length > MAX_NDIM) {
    throw new ValueError(`${fn}: shape has ${shape.length} dimensions; at most ${MAX_NDIM} (MAX_NDIM) are supported`);
  }
  let size = 1;
  for (const d of shape as unknown[]) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ValueError(`${fn}: shape ${fmtShapeArg(shape)} has a dimension ${fmtValue(d)}; expected non-negative integers`);
    }
    size *= d;
  }
  if (size > MAX_SIZE) {
    throw new ValueError(
      `${fn}: shape ${fmtShape(shape as number[])} has ${size} elements; at most ${MAX_SIZE} (2^31 − 1, MAX_SIZE) are supported`,
    );
  }
}

/** A shape argument as written, strings quoted (`["2"]`), so that a message does not make it look valid. */
const fmtShapeArg = (shape: readonly unknown[]): string =>
  `[${shape.map((d) => (typeof d === 'number' ? String(d) : typeof d === 'string' ? JSON.stringify(d) : fmtValue(d))).join(', ')}]`;

/**
 * Resolves a possibly negative axis against `ndim`. Throws an IndexError naming `fn` when the axis is not an integer
 * (a fraction, NaN, a string) or is out of range.
 */
export function normalizeAxis(fn: string, axis: number, ndim: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new IndexError(`${fn}: axis ${fmtValue(axis)} is not an integer; expected an integer with ${-ndim} ≤ axis < ${ndim}`);
  }
  if (axis < -ndim || axis >= ndim) {
    throw new IndexError(`${fn}: axis ${axis} is out of range for a tensor with ${ndim} dimensions (expected ${-ndim} ≤ axis < ${ndim})`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Resolves `axes` (undefined or null = all axes; one integer; an array of integers) to a sorted list of distinct
 * non-negative axes. Throws an IndexError naming `fn` for anything else, an axis out of range or a repeated axis.
 */
export function normalizeAxes(fn: string, axes: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof axes !== 'number' && !Array.isArray(axes)) {
    throw new IndexError(`${fn}: axes must be an integer, an array of integers or null (all axes), got ${fmtValue(axes)}`);
  }
  const list: readonly number[] = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(fn, a, ndim));
  const sorted = [...out].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new IndexError(`${fn}: axis ${sorted[i]} appears twice in [${list.join(', ')}]`);
  }
  return sorted;
}

/** NumPy broadcasting: the common shape of `a` and `b`, or a ShapeError naming `fn` and both shapes. */
export function broadcastShapes(fn: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${fn}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot broadcast (dimension ${i - n}: ${da} vs ${db}); ` +
          `each dimension must be equal or 1`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True when two shapes are equal element by element. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The lowest and highest element index a strided view reaches in its data: `offset` plus the negative and the positive
 * `(shape[i] − 1)·strides[i]` (meaningful for a view with at least one element).
 */
export function elementSpan(shape: readonly number[], strides: readonly number[], offset: number): [low: number, high: number] {
  let low = offset;
  let high = offset;
  for (let i = 0; i < shape.length; i++) {
    const reach = (shape[i]! - 1) * strides[i]!;
    if (reach > 0) high += reach;
    else low += reach;
  }
  return [low, high];
}
