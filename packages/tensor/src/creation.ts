import { checkNumber, checkTensor, optionDType } from './args.js';
import { allocate, fitsInt32, int32RangeError, type DType, type TypedArray } from './dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from './errors.js';
import { MAX_NDIM, MAX_SIZE, checkShape, sizeOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/**
 * Options shared by the creation functions. A shape is always an array (`zeros([3])`, not `zeros(3)`) of at most
 * {@link MAX_NDIM} non-negative integers with at most {@link MAX_SIZE} elements; anything else is a ValueError.
 */
export interface CreateOptions {
  /** Element type; `float32` unless said otherwise. */
  dtype?: DType;
}

/**
 * Creates a tensor from nested arrays, a flat array or a typed array (`shape` then says how to read it).
 * A typed array of the requested dtype is used without a copy. Nested arrays may be at most {@link MAX_NDIM}
 * levels deep and must hold numbers only (not strings or booleans).
 *
 * Into `int32` (`options.dtype`), fractions truncate toward zero (like NumPy's `astype`), but a value int32 cannot
 * hold — NaN, ±Infinity, or an integer part outside [−2³¹, 2³¹ − 1] — is refused with a ValueError naming it and its
 * flat index, where NumPy and PyTorch would silently store a wrapped or meaningless number.
 * @example tensor([[1, 2], [3, 4]])            // shape [2, 2], float32
 * @example tensor(new Float64Array(6), [2, 3])
 * @example tensor([1, 2, 3], undefined, { dtype: 'int32' })
 */
export function tensor(
  values: NestedArray | TypedArray | readonly number[],
  shape?: readonly number[],
  options: CreateOptions = {},
): Tensor {
  const requested = optionDType('tensor', options);
  if (shape !== undefined && shape !== null) {
    const arg: unknown = shape;
    if (typeof arg === 'object' && arg !== null && !Array.isArray(arg) && 'dtype' in arg) {
      throw new ValueError(
        `tensor: the second argument is the shape, got ${fmtValue(shape)} with a dtype; ` +
          `pass options third: tensor(values, undefined, { dtype })`,
      );
    }
    checkShape('tensor', shape);
  }
  if (ArrayBuffer.isView(values)) {
    const typed = values as TypedArray;
    const source = dtypeOfArray(typed);
    const dtype = requested ?? source;
    const s = shape ?? [typed.length];
    checkShape('tensor', s);
    if (sizeOf(s) !== typed.length) {
      throw new ShapeError(`tensor: ${typed.length} values cannot fill shape ${fmtShape(s)} (${sizeOf(s)} elements)`);
    }
    if (dtype === source) return new Tensor(typed, s);
    if (dtype === 'int32') {
      for (let i = 0; i < typed.length; i++) if (!fitsInt32(typed[i]!)) throw int32RangeError('tensor', typed[i]!, `flat index ${i}`);
    }
    const data = allocate(dtype, typed.length, 'tensor');
    data.set(typed);
    return new Tensor(data, s);
  }
  const inferred = nestedShape(values);
  checkShape('tensor', inferred);
  const data = allocate(requested ?? 'float32', sizeOf(inferred), 'tensor');
  fillNested(values, inferred, data);
  const s = shape ?? inferred;
  if (sizeOf(s) !== data.length) {
    throw new ShapeError(`tensor: ${data.length} values cannot fill shape ${fmtShape(s)} (${sizeOf(s)} elements)`);
  }
  return new Tensor(data, s);
}

/**
 * A 0-d tensor holding one number. Into `int32` a fraction truncates toward zero; a value int32 cannot hold (NaN,
 * ±Infinity, beyond [−2³¹, 2³¹ − 1]) is a ValueError.
 */
export function scalar(value: number, options: CreateOptions = {}): Tensor {
  checkNumber('scalar', 'value', value);
  const dtype = optionDType('scalar', options) ?? 'float32';
  if (dtype === 'int32' && !fitsInt32(value)) throw int32RangeError('scalar', value);
  const data = allocate(dtype, 1, 'scalar');
  data[0] = value;
  return new Tensor(data, []);
}

/** The creation functions that fill a shape with one value, checked and named `fn` in errors. */
function filled(fn: string, shape: readonly number[], value: number, options: CreateOptions, dflt: DType): Tensor {
  checkShape(fn, shape);
  checkNumber(fn, 'value', value);
  const dtype = optionDType(fn, options) ?? dflt;
  if (dtype === 'int32' && !fitsInt32(value)) throw int32RangeError(fn, value);
  const data = allocate(dtype, sizeOf(shape), fn);
  if (value !== 0) data.fill(value);
  return new Tensor(data, shape);
}

/**
 * A tensor of the given shape filled with `value`. `shape` is an array (`full([3], 7)`); into `int32` a fraction
 * truncates toward zero and a value int32 cannot hold is a ValueError.
 */
export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  return filled('full', shape, value, options, 'float32');
}

/** A tensor of zeros; `shape` is an array (`zeros([3])`, not `zeros(3)`). */
export const zeros = (shape: readonly number[], options: CreateOptions = {}): Tensor => filled('zeros', shape, 0, options, 'float32');

/** A tensor of ones; `shape` is an array (`ones([3])`, not `ones(3)`). */
export const ones = (shape: readonly number[], options: CreateOptions = {}): Tensor => filled('ones', shape, 1, options, 'float32');

/** Zeros with the shape (and, unless given, the dtype) of `t`. */
export function zerosLike(t: Tensor, options: CreateOptions = {}): Tensor {
  checkTensor('zerosLike', t);
  return filled('zerosLike', t.shape, 0, options, t.dtype);
}

/** Ones with the shape (and, unless given, the dtype) of `t`. */
export function onesLike(t: Tensor, options: CreateOptions = {}): Tensor {
  checkTensor('onesLike', t);
  return filled('onesLike', t.shape, 1, options, t.dtype);
}

/** `value` everywhere, with the shape (and, unless given, the dtype) of `t`. */
export function fullLike(t: Tensor, value: number, options: CreateOptions = {}): Tensor {
  checkTensor('fullLike', t);
  return filled('fullLike', t.shape, value, options, t.dtype);
}

/**
 * Evenly spaced values in `[start, stop)` with `step` (NumPy's arange). `arange(n)` is `0 … n-1`. `start` and `stop`
 * must be finite and the length at most {@link MAX_SIZE} (2³¹ − 1); into `int32` every value must fit int32
 * (fractions truncate toward zero).
 */
export function arange(start: number, stop?: number | null, step = 1, options: CreateOptions = {}): Tensor {
  if (stop === undefined || stop === null) [start, stop] = [0, start];
  checkNumber('arange', 'start', start);
  checkNumber('arange', 'stop', stop);
  checkNumber('arange', 'step', step);
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a finite non-zero number, got ${step}`);
  const dtype = optionDType('arange', options) ?? 'float32';
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new ValueError(
      `arange: start and stop must be finite numbers, got start=${start}, stop=${stop}; ` +
        `a tensor holds at most ${MAX_SIZE} (2^31 − 1, MAX_SIZE) elements`,
    );
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (n > MAX_SIZE) {
    throw new ValueError(
      `arange: start=${start}, stop=${stop}, step=${step} gives ${n} elements; at most ${MAX_SIZE} (2^31 − 1, MAX_SIZE) are supported`,
    );
  }
  if (dtype === 'int32' && n > 0) {
    // The values run monotonically from the first to the last: both ends fitting means all fit.
    if (!fitsInt32(start)) throw int32RangeError('arange', start, 'flat index 0');
    const last = start + (n - 1) * step;
    if (!fitsInt32(last)) throw int32RangeError('arange', last, `flat index ${n - 1}`);
  }
  const data = allocate(dtype, n, 'arange');
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/**
 * `num` evenly spaced values from `start` to `stop`, both included. `num` is an integer from 0 to {@link MAX_SIZE};
 * into `int32` both ends must fit int32 (values in between truncate toward zero).
 */
export function linspace(start: number, stop: number, num: number, options: CreateOptions = {}): Tensor {
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'stop', stop);
  if (typeof num !== 'number' || !Number.isInteger(num) || num < 0 || num > MAX_SIZE) {
    throw new ValueError(`linspace: num must be an integer from 0 to ${MAX_SIZE} (2^31 − 1, MAX_SIZE), got ${fmtValue(num)}`);
  }
  const dtype = optionDType('linspace', options) ?? 'float32';
  if (dtype === 'int32' && num > 0) {
    if (!fitsInt32(start)) throw int32RangeError('linspace', start, 'flat index 0');
    if (num > 1 && !fitsInt32(stop)) throw int32RangeError('linspace', stop, `flat index ${num - 1}`);
  }
  const data = allocate(dtype, num, 'linspace');
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return new Tensor(data, [num]);
}

/** The `n`×`m` identity matrix (ones on the diagonal). */
export function eye(n: number, m = n, options: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const data = allocate(optionDType('eye', options) ?? 'float32', n * m, 'eye');
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m]);
}

function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  throw new ValueError(`tensor: unsupported typed array ${(a as object).constructor.name}; use Float32Array, Float64Array or Int32Array`);
}

/**
 * The shape of a nested array, read along its first elements. Refuses anything but a number or an array at the top
 * and nesting deeper than {@link MAX_NDIM} (which also stops an array that contains itself).
 */
function nestedShape(v: unknown): number[] {
  if (typeof v === 'number') return [];
  if (!Array.isArray(v)) {
    throw new ValueError(
      `tensor: expected a number, a nested array of numbers or a Float32Array, Float64Array or Int32Array, got ${fmtValue(v)}`,
    );
  }
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    if (shape.length === MAX_NDIM) {
      throw new ValueError(
        `tensor: the nested array is more than ${MAX_NDIM} levels deep; at most ${MAX_NDIM} dimensions (MAX_NDIM) are supported`,
      );
    }
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

/**
 * Writes the numbers of a nested array of `shape` into `out` in row-major order. A sub-array of the wrong length or
 * an array where a number belongs is a ShapeError (ragged); anything that is not a number (a string, a boolean,
 * null) a ValueError naming its position; into int32, a value int32 cannot hold a ValueError too.
 */
function fillNested(values: unknown, shape: readonly number[], out: TypedArray): void {
  const toInt = out instanceof Int32Array;
  const index: number[] = [];
  const at = (last?: number): string => `[${(last === undefined ? index : [...index, last]).join(', ')}]`;
  let k = 0;
  const put = (x: unknown, i: number): void => {
    if (typeof x !== 'number') {
      if (Array.isArray(x)) {
        throw new ShapeError(
          `tensor: ragged nested array: expected a number at ${at(i)} (shape ${fmtShape(shape)}), got an array of length ${x.length}`,
        );
      }
      throw new ValueError(`tensor: element ${at(i)} is ${fmtValue(x)}; expected a number`);
    }
    if (toInt && !fitsInt32(x)) throw int32RangeError('tensor', x, `${at(i)} (flat index ${k})`);
    out[k++] = x;
  };
  const walk = (v: unknown, depth: number): void => {
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      if (!Array.isArray(v) && typeof v !== 'number') {
        throw new ValueError(
          `tensor: element ${at()} is ${fmtValue(v)}; expected an array of length ${shape[depth]} (shape ${fmtShape(shape)})`,
        );
      }
      const got = Array.isArray(v) ? `${v.length}` : `the number ${v}`;
      const expected = `expected ${shape[depth]} elements at depth ${depth} (shape ${fmtShape(shape)})`;
      throw new ShapeError(`tensor: ragged nested array: ${expected}, got ${got} at ${at()}`);
    }
    if (depth === shape.length - 1) {
      for (let i = 0; i < v.length; i++) put(v[i], i);
      return;
    }
    for (let i = 0; i < v.length; i++) {
      index.push(i);
      walk(v[i], depth + 1);
      index.pop();
    }
  };
  if (shape.length === 0) put(values, 0);
  else walk(values, 0);
}
