import { IndexError, ShapeError, ValueError, fmtShape } from './errors.js';

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

/** Checks that every dimension is a non-negative integer. */
export function checkShape(fn: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(`${fn}: shape ${fmtShape(shape)} has a dimension ${d}; expected non-negative integers`);
    }
  }
}

/** Resolves a possibly negative axis against `ndim`, throwing an IndexError naming `fn` when out of range. */
export function normalizeAxis(fn: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new IndexError(`${fn}: axis ${axis} is out of range for a tensor with ${ndim} dimensions (expected ${-ndim} ≤ axis < ${ndim})`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Resolves `axes` (undefined = all axes) to a sorted list of distinct non-negative axes. */
export function normalizeAxes(fn: string, axes: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
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
