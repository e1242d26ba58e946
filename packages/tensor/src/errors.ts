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
