import {
  Generator,
  IndexError,
  ShapeError,
  Tensor,
  ValueError,
  allocate,
  copyStrided,
  fmtShape,
  getDefaultGenerator,
  shuffle as shuffleInPlace,
  sizeOf,
  type TypedArray,
} from '@tapegrad/tensor';

/** Labels as a tensor ([n] or [n, 1]) or a plain array of numbers. */
export type Labels = Tensor | ArrayLike<number>;

function labelValues(fn: string, labels: Labels): ArrayLike<number> {
  if (labels instanceof Tensor) {
    if (labels.ndim > 2 || (labels.ndim === 2 && labels.shape[1] !== 1)) {
      throw new ShapeError(`${fn}: labels must have shape [n] or [n, 1], got ${fmtShape(labels.shape)}`);
    }
    return labels.values();
  }
  return labels;
}

/** One-hot encodes integer class labels into a float32 tensor of shape [n, numClasses] (Keras `to_categorical`). */
export function toCategorical(labels: Labels, numClasses?: number): Tensor {
  const values = labelValues('toCategorical', labels);
  const n = values.length;
  let max = -1;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0) {
      throw new ValueError(`toCategorical: label ${i} is ${v}; expected a non-negative integer class index`);
    }
    if (v > max) max = v;
  }
  const k = numClasses ?? max + 1;
  if (!Number.isInteger(k) || k < 1) throw new ValueError(`toCategorical: numClasses must be a positive integer, got ${numClasses}`);
  if (max >= k) {
    throw new ValueError(`toCategorical: label ${max} is out of range for numClasses=${k}; expected labels in [0, ${k - 1}]`);
  }
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) out[i * k + values[i]!] = 1;
  return new Tensor(out, [n, k]);
}

/** Options for {@link batchIndices} and {@link batches}. */
export interface BatchOptions {
  /** Shuffle the sample order first (default false). */
  shuffle?: boolean;
  /** Source of the shuffle (default: the global generator). */
  generator?: Generator;
}

/**
 * Splits `0 … n-1` (shuffled with the seeded generator when asked) into consecutive batches of
 * `batchSize`; the last batch holds the remainder.
 */
export function batchIndices(n: number, batchSize: number, options: BatchOptions = {}): Int32Array[] {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`batchIndices: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValueError(`batchIndices: batchSize must be a positive integer, got ${batchSize}`);
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (options.shuffle) shuffleInPlace(order, { generator: options.generator ?? getDefaultGenerator() });
  const out: Int32Array[] = [];
  for (let start = 0; start < n; start += batchSize) out.push(order.subarray(start, Math.min(n, start + batchSize)));
  return out;
}

/**
 * Copies rows `order[start … start+m)` of a flat row-major array with `w` values per row into `out` (no bounds
 * checks: the fast path of {@link takeRows} and of `Sequential.fit`'s batches, which reuse one buffer).
 */
export function gatherRows(src: TypedArray, w: number, order: Int32Array, start: number, m: number, out: TypedArray): void {
  if (w === 1) {
    for (let r = 0; r < m; r++) out[r] = src[order[start + r]!]!;
    return;
  }
  for (let r = 0; r < m; r++) {
    const i = order[start + r]!;
    out.set(src.subarray(i * w, i * w + w), r * w);
  }
}

/** Copies the rows `indices` (along axis 0) of `x` into a new contiguous tensor of shape [indices.length, …x.shape[1:]]. */
export function takeRows(x: Tensor, indices: ArrayLike<number>): Tensor {
  if (x.ndim === 0) throw new ShapeError(`takeRows: expected a tensor with at least one dimension, got a scalar`);
  const n = x.shape[0]!;
  const m = indices.length;
  const rowShape = x.shape.slice(1);
  const rowSize = sizeOf(rowShape);
  for (let r = 0; r < m; r++) {
    const i = indices[r]!;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new IndexError(`takeRows: index ${i} (position ${r}) is out of range for ${n} rows; expected 0 ≤ index < ${n}`);
    }
  }
  const out = allocate(x.dtype, m * rowSize);
  if (x.isContiguous) {
    const order = indices instanceof Int32Array ? indices : Int32Array.from(indices);
    gatherRows(x.data.subarray(x.offset), rowSize, order, 0, m, out);
  } else {
    for (let r = 0; r < m; r++) copyStrided(x.index(indices[r]!), out, r * rowSize);
  }
  return new Tensor(out, [m, ...rowShape]);
}

/** One batch from {@link batches}: the sample indices and the matching rows of x and y. */
export interface Batch {
  indices: Int32Array;
  x: Tensor;
  y: Tensor;
}

/** Iterates over (x, y) in batches of `batchSize` rows, shuffled with the seeded generator when asked. */
export function* batches(x: Tensor, y: Tensor, batchSize: number, options: BatchOptions = {}): IterableIterator<Batch> {
  checkSameCount('batches', x, y);
  for (const indices of batchIndices(x.shape[0]!, batchSize, options)) {
    yield { indices, x: takeRows(x, indices), y: takeRows(y, indices) };
  }
}

/** The four parts of {@link trainValidationSplit}. */
export interface TrainValidationSplit {
  xTrain: Tensor;
  yTrain: Tensor;
  xVal: Tensor;
  yVal: Tensor;
}

/**
 * Keras `validation_split`: the last `fraction` of the samples (taken before any shuffling) become the
 * validation set; the split point is `floor(n · (1 − fraction))`. The parts are views, not copies.
 */
export function trainValidationSplit(x: Tensor, y: Tensor, fraction: number): TrainValidationSplit {
  if (!(fraction > 0 && fraction < 1)) {
    throw new ValueError(`trainValidationSplit: fraction must be strictly between 0 and 1, got ${fraction}`);
  }
  checkSameCount('trainValidationSplit', x, y);
  const n = x.shape[0]!;
  const splitAt = Math.floor(n * (1 - fraction));
  if (splitAt === 0 || splitAt === n) {
    throw new ValueError(
      `trainValidationSplit: fraction ${fraction} of ${n} samples leaves ${splitAt} for training and ${n - splitAt} for ` +
        `validation; both must be non-empty`,
    );
  }
  return {
    xTrain: x.slice([0, splitAt]),
    yTrain: y.slice([0, splitAt]),
    xVal: x.slice([splitAt, n]),
    yVal: y.slice([splitAt, n]),
  };
}

function checkSameCount(fn: string, x: Tensor, y: Tensor): void {
  if (x.ndim === 0 || y.ndim === 0 || x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`${fn}: x ${fmtShape(x.shape)} and y ${fmtShape(y.shape)} must have the same number of samples along axis 0`);
  }
}
