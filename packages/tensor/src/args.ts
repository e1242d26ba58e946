/**
 * Argument checks shared by the creation functions and the kernels (internal: not exported by the package entry).
 * Each throws one of the package's errors naming the function, what it got and what it expected.
 */
import { checkDType, type DType } from './dtype.js';
import { DTypeError, ValueError, fmtValue } from './errors.js';
import { Tensor } from './tensor.js';

/** Throws a DTypeError naming `fn` (and `what`, e.g. `tensors[1]`, when given) unless `x` is a Tensor. */
export function checkTensor(fn: string, x: unknown, what?: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${fn}: expected a Tensor${what ? ` for ${what}` : ''}, got ${fmtValue(x)}`);
}

/**
 * The `dtype` of an options object (`undefined` when absent). Throws a ValueError when `options` is not an object
 * and a DTypeError when the dtype is not one of the known ones.
 */
export function optionDType(fn: string, options: unknown): DType | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`${fn}: options must be an object such as { dtype: 'float64' }, got ${fmtValue(options)}`);
  }
  const { dtype } = options as { dtype?: unknown };
  if (dtype === undefined) return undefined;
  checkDType(fn, dtype);
  return dtype;
}

/** Throws a ValueError naming `fn` and the argument `name` unless `v` is a number (NaN and ±Infinity are numbers). */
export function checkNumber(fn: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number') throw new ValueError(`${fn}: ${name} must be a number, got ${fmtValue(v)}`);
}
