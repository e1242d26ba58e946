import { allocate, type DType, type TypedArray } from './dtype.js';
import { ShapeError, ValueError, fmtShape } from './errors.js';
import { checkShape, sizeOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/** Options shared by the creation functions. */
export interface CreateOptions {
  /** Element type; `float32` unless said otherwise. */
  dtype?: DType;
}

/**
 * Creates a tensor from nested arrays, a flat array or a typed array (`shape` then says how to read it).
 * A typed array of the requested dtype is used without a copy.
 * @example tensor([[1, 2], [3, 4]])            // shape [2, 2], float32
 * @example tensor(new Float64Array(6), [2, 3])
 */
export function tensor(
  values: NestedArray | TypedArray | readonly number[],
  shape?: readonly number[],
  options: CreateOptions = {},
): Tensor {
  if (ArrayBuffer.isView(values)) {
    const typed = values as TypedArray;
    const dtype = options.dtype ?? dtypeOfArray(typed);
    const s = shape ?? [typed.length];
    checkShape('tensor', s);
    if (sizeOf(s) !== typed.length) {
      throw new ShapeError(`tensor: ${typed.length} values cannot fill shape ${fmtShape(s)} (${sizeOf(s)} elements)`);
    }
    if (dtype === dtypeOfArray(typed)) return new Tensor(typed, s);
    const data = allocate(dtype, typed.length);
    data.set(typed);
    return new Tensor(data, s);
  }
  const inferred = nestedShape(values as NestedArray);
  const flat: number[] = [];
  flattenInto(values as NestedArray, inferred, 0, flat);
  const s = shape ?? inferred;
  checkShape('tensor', s);
  if (sizeOf(s) !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values cannot fill shape ${fmtShape(s)} (${sizeOf(s)} elements)`);
  }
  const data = allocate(options.dtype ?? 'float32', flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = flat[i]!;
  return new Tensor(data, s);
}

/** A 0-d tensor holding one number. */
export function scalar(value: number, options: CreateOptions = {}): Tensor {
  const data = allocate(options.dtype ?? 'float32', 1);
  data[0] = value;
  return new Tensor(data, []);
}

/** A tensor of the given shape filled with `value`. */
export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  if (value !== 0) data.fill(value);
  return new Tensor(data, shape);
}

/** A tensor of zeros. */
export const zeros = (shape: readonly number[], options: CreateOptions = {}): Tensor => full(shape, 0, options);

/** A tensor of ones. */
export const ones = (shape: readonly number[], options: CreateOptions = {}): Tensor => full(shape, 1, options);

/** Zeros with the shape (and, unless given, the dtype) of `t`. */
export const zerosLike = (t: Tensor, options: CreateOptions = {}): Tensor => full(t.shape, 0, { dtype: options.dtype ?? t.dtype });

/** Ones with the shape (and, unless given, the dtype) of `t`. */
export const onesLike = (t: Tensor, options: CreateOptions = {}): Tensor => full(t.shape, 1, { dtype: options.dtype ?? t.dtype });

/** `value` everywhere, with the shape (and, unless given, the dtype) of `t`. */
export const fullLike = (t: Tensor, value: number, options: CreateOptions = {}): Tensor =>
  full(t.shape, value, { dtype: options.dtype ?? t.dtype });

/**
 * Evenly spaced values in `[start, stop)` with `step` (NumPy's arange). `arange(n)` is `0 … n-1`.
 */
export function arange(start: number, stop?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a finite non-zero number, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocate(options.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/** `num` evenly spaced values from `start` to `stop`, both included. */
export function linspace(start: number, stop: number, num: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`linspace: num must be a non-negative integer, got ${num}`);
  const data = allocate(options.dtype ?? 'float32', num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return new Tensor(data, [num]);
}

/** The `n`×`m` identity matrix (ones on the diagonal). */
export function eye(n: number, m = n, options: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const data = allocate(options.dtype ?? 'float32', n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m]);
}

function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  throw new ValueError(`tensor: unsupported typed array ${(a as object).constructor.name}; use Float32Array, Float64Array or Int32Array`);
}

function nestedShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

function flattenInto(v: NestedArray, shape: readonly number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof v !== 'number') {
      throw new ShapeError(`tensor: ragged nested array: expected a number at depth ${depth} of shape ${fmtShape(shape)}`);
    }
    out.push(v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw new ShapeError(
      `tensor: ragged nested array: expected ${shape[depth]} elements at depth ${depth} (shape ${fmtShape(shape)}), ` +
        `got ${Array.isArray(v) ? v.length : typeof v}`,
    );
  }
  for (const x of v) flattenInto(x, shape, depth + 1, out);
}
