import { ShapeError, Tensor, ValueError, fmtShape, fmtValue, sizeOf } from '@tapegrad/tensor';

// Input validation for fit / evaluate / predict: every refusal names the function, what the data holds and
// what the model expects, before any batch is cut.

/** Checks that `x` is a finite Tensor `[samples, …features]` with at least one sample and the model's feature count. */
export function checkFeatures(fn: string, x: Tensor, inputShape: readonly number[] | null): void {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor, got ${fmtValue(x)}`);
  if (x.ndim < 2) throw new ShapeError(`${fn}: x must be [samples, …features], got ${fmtShape(x.shape)}`);
  if (x.shape[0] === 0) throw new ValueError(`${fn}: x has no samples (shape ${fmtShape(x.shape)}); pass at least one sample`);
  const features = sizeOf(x.shape.slice(1));
  if (inputShape && sizeOf(inputShape) !== features) {
    throw new ShapeError(
      `${fn}: x has ${features} features per sample (shape ${fmtShape(x.shape)}); ` +
        `the model expects ${fmtShape(inputShape)} (${sizeOf(inputShape)} features)`,
    );
  }
  checkFinite(fn, 'x', x);
}

/**
 * `fit`'s `validationData`: a pair `[x, y]` (Keras' `(x_val, y_val)`; a third element, Keras' sample weights, is not
 * supported and refused rather than ignored). The tensors themselves are checked like the training data.
 */
export function checkValidationData(fn: string, v: unknown): [Tensor, Tensor] {
  if (!Array.isArray(v) || v.length !== 2) {
    const got = Array.isArray(v) ? `an array of length ${v.length}` : fmtValue(v);
    throw new ValueError(`${fn}: validationData must be a pair [x, y] of Tensors, got ${got}`);
  }
  return v as [Tensor, Tensor];
}

/** What {@link checkLabels} compares the labels with: the model's output width, its loss and its last layer. */
export interface LabelTarget {
  outputs: number;
  /** Canonical loss name; null for a custom loss or an uncompiled model. */
  lossName: string | null;
  lastLayer: string;
}

/** Checks that `y` has one finite label per sample of `x`, in the form and range the loss and output width need. */
export function checkLabels(fn: string, x: Tensor, y: Tensor, target: LabelTarget): void {
  if (!(y instanceof Tensor)) throw new ValueError(`${fn}: y must be a Tensor, got ${fmtValue(y)}`);
  if (y.ndim === 0 || y.shape[0] !== x.shape[0]) {
    const got = y.ndim === 0 ? 'none (a scalar)' : y.shape[0];
    throw new ShapeError(`${fn}: x has ${x.shape[0]} samples but y has ${got} (shape ${fmtShape(y.shape)}); expected equal counts`);
  }
  checkFinite(fn, 'y', y);
  const k = target.outputs;
  const loss = target.lossName;
  if (loss === 'sparseCategoricalCrossentropy') {
    if (!(y.ndim === 1 || (y.ndim === 2 && y.shape[1] === 1))) {
      throw new ShapeError(`${fn}: sparseCategoricalCrossentropy expects integer labels [samples], got y ${fmtShape(y.shape)}`);
    }
    const v = y.values();
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= k) {
        throw new ValueError(
          `${fn}: label ${c} at sample ${i} is out of range; the model has ${k} outputs, so labels must be integers in [0, ${k - 1}]`,
        );
      }
    }
    return;
  }
  if (y.ndim === 1 && k > 1 && loss === 'categoricalCrossentropy') {
    throw new ShapeError(
      `${fn}: categoricalCrossentropy expects one-hot labels [samples, ${k}], got integer labels ${fmtShape(y.shape)}; ` +
        `use toCategorical(y, ${k}) or loss 'sparseCategoricalCrossentropy'`,
    );
  }
  const width = y.ndim === 1 ? 1 : sizeOf(y.shape.slice(1));
  if (width !== k) {
    throw new ShapeError(`${fn}: y has width ${width} (shape ${fmtShape(y.shape)}) but the last layer '${target.lastLayer}' outputs ${k}`);
  }
  if (loss === 'categoricalCrossentropy' || loss === 'binaryCrossentropy') {
    const v = y.values();
    for (let i = 0; i < v.length; i++) {
      if (v[i]! < 0 || v[i]! > 1) {
        throw new ValueError(`${fn}: ${loss} needs targets in [0, 1]; y has ${v[i]} at flat index ${i}`);
      }
    }
  }
}

/**
 * Checks the options every `fit` needs before it touches the data; returns them with their defaults (`verbose`
 * 'auto' is 1, as in Keras: a live bar on a TTY, one line per epoch otherwise).
 */
export function checkFitCounts(options: { epochs?: number; batchSize?: number; initialEpoch?: number; verbose?: unknown }): {
  epochs: number;
  batchSize: number;
  initialEpoch: number;
  verbose: 0 | 1 | 2;
} {
  const epochs = checkCount('epochs', options.epochs ?? 1);
  const batchSize = checkBatchSize('fit', options.batchSize ?? 32);
  const initialEpoch = checkCount('initialEpoch', options.initialEpoch ?? 0);
  const verbose = options.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2 && verbose !== 'auto') {
    throw new ValueError(`fit: verbose must be 0 (silent), 1 or 'auto' (progress bar) or 2 (one line per epoch), got ${fmtValue(verbose)}`);
  }
  return { epochs, batchSize, initialEpoch, verbose: verbose === 'auto' ? 1 : verbose };
}

/** A fit counter (epochs, initialEpoch): a non-negative safe integer, so that the epoch count a model file stores stays exact. */
function checkCount(what: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) {
    throw new ValueError(`fit: ${what} must be a non-negative integer, got ${fmtValue(v)}`);
  }
  return v as number;
}

/** Checks a batch size (fit, evaluate, predict, score): a positive integer. */
export function checkBatchSize(fn: string, batchSize: unknown): number {
  if (!Number.isSafeInteger(batchSize) || (batchSize as number) < 1) {
    throw new ValueError(`${fn}: batchSize must be a positive integer, got ${fmtValue(batchSize)}`);
  }
  return batchSize as number;
}

/**
 * Refuses float64 data (x, and float y) with values beyond the float32 range when the model computes in float32: the
 * cast would make them ±Infinity after {@link checkFeatures} passed them (|v| ≥ 2¹²⁸ − 2¹⁰³ rounds to ∞).
 */
export function checkCastable(fn: string, x: Tensor, y: Tensor | null, dtype: 'float32' | 'float64'): void {
  if (dtype !== 'float32') return;
  for (const [what, t] of [
    ['x', x],
    ['y', y],
  ] as const) {
    if (t === null || t.dtype !== 'float64') continue;
    const v = t.values();
    for (let i = 0; i < v.length; i++) {
      if (Number.isFinite(Math.fround(v[i]!))) continue;
      const row = Math.floor(i / (t.size / t.shape[0]!));
      throw new ValueError(
        `${fn}: ${what} holds ${v[i]} at flat index ${i} (sample ${row}), beyond the float32 range of this float32 model ` +
          `(|v| < 3.4e38); rescale the data or build the model in float64`,
      );
    }
  }
}

function checkFinite(fn: string, what: string, t: Tensor): void {
  if (t.dtype === 'int32') return;
  const v = t.values();
  // Fast pass: x·0 is ±0 for every finite x and NaN for NaN/±∞, so the sum is 0 exactly when all are finite.
  let probe = 0;
  for (let i = 0; i < v.length; i++) probe += v[i]! * 0;
  if (probe === 0) return;
  for (let i = 0; i < v.length; i++) {
    const a = v[i]!;
    if (a !== a || a === Infinity || a === -Infinity) {
      const row = t.ndim > 0 ? Math.floor(i / (t.size / t.shape[0]!)) : 0;
      throw new ValueError(`${fn}: ${what} contains ${a} at flat index ${i} (sample ${row}); clean the data first`);
    }
  }
}
