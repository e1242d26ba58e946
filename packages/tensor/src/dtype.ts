import { DTypeError, ValueError, fmtValue } from './errors.js';
import { MAX_SIZE } from './shape.js';

/** The element types a tensor can hold. `float32` is the default; `float64` exists for exact checks. */
export type DType = 'float32' | 'float64' | 'int32';

/** Every {@link DType}, in the order error messages list them. */
export const DTYPES: readonly DType[] = Object.freeze(['float32', 'float64', 'int32'] as const);

/** Throws a DTypeError naming `fn` unless `dtype` is one of {@link DTYPES} (`'int64'`, `'int8'`, … are not). */
export function checkDType(fn: string, dtype: unknown): asserts dtype is DType {
  if (!(DTYPES as readonly unknown[]).includes(dtype)) {
    const got = typeof dtype === 'string' ? JSON.stringify(dtype) : fmtValue(dtype);
    throw new DTypeError(`${fn}: unknown dtype ${got}; expected one of ${DTYPES.join(', ')}`);
  }
}

/** The typed array that backs a tensor of each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/**
 * Allocates a zero-filled typed array of `dtype` with `size` elements. Throws (naming `fn`) a DTypeError for an
 * unknown dtype, and a ValueError for a size that is not an integer in [0, {@link MAX_SIZE}] or that the JavaScript
 * engine cannot allocate.
 */
export function allocate(dtype: DType, size: number, fn = 'allocate'): TypedArray {
  checkDType(fn, dtype);
  if (!(Number.isInteger(size) && size >= 0 && size <= MAX_SIZE)) {
    throw new ValueError(
      `${fn}: cannot allocate ${fmtValue(size)} elements; expected an integer from 0 to ${MAX_SIZE} (2^31 − 1, MAX_SIZE)`,
    );
  }
  try {
    switch (dtype) {
      case 'float32':
        return new Float32Array(size);
      case 'float64':
        return new Float64Array(size);
      case 'int32':
        return new Int32Array(size);
    }
  } catch (e) {
    // The engine refused the memory (RangeError: "Array buffer allocation failed").
    const bytes = size * (dtype === 'float64' ? 8 : 4);
    throw new ValueError(`${fn}: cannot allocate ${size} ${dtype} elements (${bytes} bytes): ${(e as Error).message}`);
  }
}

/** The smallest int32. */
export const INT32_MIN = -(2 ** 31);
/** The largest int32. */
export const INT32_MAX = 2 ** 31 - 1;

/**
 * True when storing `v` in an int32 tensor keeps its value up to the documented truncation toward zero: `v` is
 * finite and its integer part lies in [{@link INT32_MIN}, {@link INT32_MAX}]. NaN, ±Infinity and 3e9 are not (a
 * typed array would store 0, 0 and −1294967296).
 */
export const fitsInt32 = (v: number): boolean => v > INT32_MIN - 1 && v < INT32_MAX + 1;

/**
 * The ValueError for a value that does not fit int32 (see {@link fitsInt32}), naming `fn`, the value and, when
 * given, where it was (`flat index 3`).
 */
export function int32RangeError(fn: string, v: number, at?: string): ValueError {
  return new ValueError(
    `${fn}: value ${v}${at === undefined ? '' : ` at ${at}`} is not representable as int32; expected a finite number ` +
      `whose integer part is in [${INT32_MIN}, ${INT32_MAX}] (fractions truncate toward zero)`,
  );
}

/** The dtype of a typed array. */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

/** True for the floating dtypes. */
export const isFloat = (dtype: DType): dtype is 'float32' | 'float64' => dtype !== 'int32';

/** The dtype a float-valued op (exp, mean, div, matmul, …) computes in: int32 gives float32, floats are kept. */
export const floatDtype = (dtype: DType): DType => (dtype === 'int32' ? 'float32' : dtype);

/** The dtype of a binary op's result: the wider float wins; int32 op int32 stays int32. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}
