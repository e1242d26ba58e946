/**
 * Every error tapegrad raises is a {@link TapegradError}. Subclasses say what kind of contract was broken;
 * the message always names the function, what it received and what it expected.
 */
export class TapegradError extends Error {
  override name = 'TapegradError';
}

/** Shapes that cannot broadcast, a matmul inner-size mismatch, a reshape to the wrong size, … */
export class ShapeError extends TapegradError {
  override name = 'ShapeError';
}

/** An axis, index or slice bound outside the tensor. */
export class IndexError extends TapegradError {
  override name = 'IndexError';
}

/** An operation on a dtype it does not support, or on mixed dtypes. */
export class DTypeError extends TapegradError {
  override name = 'DTypeError';
}

/** An argument whose value is outside the allowed range (a negative size, a NaN where a number is needed). */
export class ValueError extends TapegradError {
  override name = 'ValueError';
}

/** Formats a shape as `[2, 3]` for error messages. */
export const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** This copy's Tensor class, registered by tensor.ts (errors.ts cannot import it: tensor.ts imports errors.ts). */
let tensorClass: (abstract new (...args: never[]) => object) | null = null;

/** Registers this copy's Tensor class for {@link fmtValue} (called once by tensor.ts). @internal */
export function registerTensorClass(cls: abstract new (...args: never[]) => object): void {
  tensorClass = cls;
}

/**
 * ` (from another copy of @tapegrad/…)` when `v` is an instance of a class named like `cls` that is not `cls` — the
 * ESM and CommonJS builds loaded in one process, or two installs — else `''`: what to append to "expected a X, got a X".
 */
export function otherCopyHint(v: unknown, cls: abstract new (...args: never[]) => object): string {
  if (v === null || typeof v !== 'object' || v instanceof cls || (v as object).constructor?.name !== cls.name) return '';
  const why = 'their ESM and CommonJS builds loaded in one process, or two installs; load them one way';
  return ` from another copy of the @tapegrad packages (${why})`;
}

/**
 * Describes any argument for an error message, so that a value's type is never hidden: numbers as they print,
 * strings quoted and labelled (`"2" (a string)`, which a shape printed as `[2]` would hide; one over 40 characters by
 * its length), `null`, `undefined`, booleans labelled, arrays and typed arrays by length, tensors by shape and dtype,
 * other objects by class. The one description of a bad argument that every package's messages use.
 */
export function fmtValue(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return String(v);
    case 'string':
      return v.length > 40 ? `a string of length ${v.length}` : `${JSON.stringify(v)} (a string)`;
    case 'boolean':
      return `${v} (a boolean)`;
    case 'bigint':
      return `${v}n (a bigint)`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return `${String(v)} (a symbol)`;
    case 'function':
      return 'a function';
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) {
    const length = (v as { length?: unknown }).length;
    return `a ${v.constructor.name}${typeof length === 'number' ? ` of length ${length}` : ''}`;
  }
  const name = (v as object).constructor?.name;
  const { shape, dtype } = v as { shape?: unknown; dtype?: unknown };
  if (name === 'Tensor' && Array.isArray(shape)) {
    const hint = tensorClass === null ? '' : otherCopyHint(v, tensorClass);
    return `a Tensor of shape ${fmtShape(shape as number[])} (${String(dtype)})${hint}`;
  }
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}
