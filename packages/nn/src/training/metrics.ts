import { ShapeError, Tensor, ValueError, fmtShape, type TypedArray } from '@tapegrad/tensor';

// Metrics are plain numbers computed from tensors, never differentiated. Every function takes
// (predictions, targets) in that order — the same order as the losses. A Variable may be passed too:
// anything with a `value` tensor is accepted.

/** A tensor, or anything holding one in `value` (an autograd Variable). */
export type MetricInput = Tensor | { readonly value: Tensor };

/** A metric: (predictions, targets) → a number. */
export type MetricFn = (predictions: MetricInput, targets: MetricInput) => number;

function asTensor(fn: string, name: string, x: MetricInput): Tensor {
  if (x instanceof Tensor) return x;
  if (x !== null && typeof x === 'object' && (x as { value?: unknown }).value instanceof Tensor) return x.value;
  throw new ValueError(`${fn}: ${name} must be a Tensor or a Variable, got ${x === null ? 'null' : typeof x}`);
}

/** Drops size-1 dimensions for shape comparison. */
const squeezed = (shape: readonly number[]): number[] => shape.filter((d) => d !== 1);

function checkSameSize(fn: string, p: Tensor, t: Tensor): void {
  const a = squeezed(p.shape);
  const b = squeezed(t.shape);
  if (p.size !== t.size || a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new ShapeError(`${fn}: predictions ${fmtShape(p.shape)} and targets ${fmtShape(t.shape)} must have the same shape`);
  }
  if (p.size === 0) throw new ValueError(`${fn}: got no samples (predictions ${fmtShape(p.shape)})`);
}

/** The values of `predictions` and `targets` (contiguous, row-major) after checking that their shapes agree. */
function sameShapeValues(fn: string, predictions: MetricInput, targets: MetricInput): [TypedArray, TypedArray] {
  const p = asTensor(fn, 'predictions', predictions);
  const t = asTensor(fn, 'targets', targets);
  checkSameSize(fn, p, t);
  return [p.values(), t.values()];
}

function checkClassScores(fn: string, p: Tensor): [number, number] {
  if (p.ndim !== 2) throw new ShapeError(`${fn}: predictions must have shape [n, classes], got ${fmtShape(p.shape)}`);
  const [n, k] = p.shape as [number, number];
  if (n === 0 || k === 0) throw new ValueError(`${fn}: got no samples or no classes (predictions ${fmtShape(p.shape)})`);
  return [n, k];
}

/** Index of the largest value in row `r` of a contiguous [n, k] array (the first one on ties). */
function rowArgmax(v: TypedArray, r: number, k: number): number {
  const base = r * k;
  let best = 0;
  let bestValue = v[base]!;
  for (let j = 1; j < k; j++) {
    const x = v[base + j]!;
    if (x > bestValue || (bestValue !== bestValue && x === x)) {
      bestValue = x;
      best = j;
    }
  }
  return best;
}

/** Fraction of elements where `predictions > threshold` agrees with `targets > 0.5` (Keras `binary_accuracy`). */
export function binaryAccuracy(predictions: MetricInput, targets: MetricInput, threshold = 0.5): number {
  const [pv, tv] = sameShapeValues('binaryAccuracy', predictions, targets);
  let hits = 0;
  for (let i = 0; i < pv.length; i++) if (pv[i]! > threshold === tv[i]! > 0.5) hits++;
  return hits / pv.length;
}

/** Fraction of rows whose argmax of predictions equals the argmax of the one-hot targets. */
export function categoricalAccuracy(predictions: MetricInput, targets: MetricInput): number {
  const p = asTensor('categoricalAccuracy', 'predictions', predictions);
  const t = asTensor('categoricalAccuracy', 'targets', targets);
  const [n, k] = checkClassScores('categoricalAccuracy', p);
  if (t.ndim !== 2 || t.shape[0] !== n || t.shape[1] !== k) {
    throw new ShapeError(
      `categoricalAccuracy: targets ${fmtShape(t.shape)} must be one-hot with the predictions' shape ${fmtShape(p.shape)}`,
    );
  }
  const pv = p.values();
  const tv = t.values();
  let hits = 0;
  for (let r = 0; r < n; r++) if (rowArgmax(pv, r, k) === rowArgmax(tv, r, k)) hits++;
  return hits / n;
}

function sparseLabels(fn: string, t: Tensor, n: number, k: number): TypedArray {
  if (!((t.ndim === 1 && t.shape[0] === n) || (t.ndim === 2 && t.shape[0] === n && t.shape[1] === 1))) {
    throw new ShapeError(`${fn}: targets must be class indices of shape [${n}] or [${n}, 1], got ${fmtShape(t.shape)}`);
  }
  const tv = t.values();
  for (let i = 0; i < n; i++) {
    const v = tv[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new ValueError(`${fn}: target ${i} is ${v}; expected an integer class index in [0, ${k - 1}]`);
    }
  }
  return tv;
}

/** Fraction of rows whose argmax of predictions equals the integer class label in targets. */
export function sparseCategoricalAccuracy(predictions: MetricInput, targets: MetricInput): number {
  const p = asTensor('sparseCategoricalAccuracy', 'predictions', predictions);
  const t = asTensor('sparseCategoricalAccuracy', 'targets', targets);
  const [n, k] = checkClassScores('sparseCategoricalAccuracy', p);
  const tv = sparseLabels('sparseCategoricalAccuracy', t, n, k);
  const pv = p.values();
  let hits = 0;
  for (let r = 0; r < n; r++) if (rowArgmax(pv, r, k) === tv[r]) hits++;
  return hits / n;
}

/** The kind of accuracy {@link accuracy} picks for these shapes. */
export type AccuracyKind = 'binary' | 'categorical' | 'sparse';

/**
 * Picks binary, categorical or sparse accuracy from the shapes, as Keras' `'accuracy'` does: one output
 * column → binary; [n, k] targets → categorical; [n] or [n, 1] integer targets with [n, k>1] predictions → sparse.
 */
export function accuracyKind(predictions: MetricInput, targets: MetricInput): AccuracyKind {
  const p = asTensor('accuracy', 'predictions', predictions);
  const t = asTensor('accuracy', 'targets', targets);
  if (p.ndim <= 1 || (p.ndim === 2 && p.shape[1] === 1)) return 'binary';
  if (p.ndim === 2 && t.ndim === 2 && t.shape[1] === p.shape[1]) return 'categorical';
  if (p.ndim === 2 && (t.ndim === 1 || (t.ndim === 2 && t.shape[1] === 1))) return 'sparse';
  throw new ShapeError(
    `accuracy: cannot tell the label format from predictions ${fmtShape(p.shape)} and targets ${fmtShape(t.shape)}; ` +
      `expected [n, 1] or [n] (binary), [n, k] and [n, k] (one-hot) or [n, k] and [n] (class indices)`,
  );
}

/** Accuracy with the binary / categorical / sparse variant picked from the label shape (see {@link accuracyKind}). */
export function accuracy(predictions: MetricInput, targets: MetricInput): number {
  switch (accuracyKind(predictions, targets)) {
    case 'binary':
      return binaryAccuracy(predictions, targets);
    case 'categorical':
      return categoricalAccuracy(predictions, targets);
    case 'sparse':
      return sparseCategoricalAccuracy(predictions, targets);
  }
}

/** Mean squared error over all elements. */
export function mse(predictions: MetricInput, targets: MetricInput): number {
  const [pv, tv] = sameShapeValues('mse', predictions, targets);
  let s = 0;
  for (let i = 0; i < pv.length; i++) {
    const d = pv[i]! - tv[i]!;
    s += d * d;
  }
  return s / pv.length;
}

/** Mean absolute error over all elements. */
export function mae(predictions: MetricInput, targets: MetricInput): number {
  const [pv, tv] = sameShapeValues('mae', predictions, targets);
  let s = 0;
  for (let i = 0; i < pv.length; i++) s += Math.abs(pv[i]! - tv[i]!);
  return s / pv.length;
}

/** Canonical metric names: the keys `Sequential.fit`/`evaluate` log them under. */
export const metricNames = Object.freeze([
  'accuracy',
  'binaryAccuracy',
  'categoricalAccuracy',
  'sparseCategoricalAccuracy',
  'mse',
  'mae',
] as const);

/** One of {@link metricNames}. */
export type MetricName = (typeof metricNames)[number];

const metricAliases: Readonly<Record<string, MetricName>> = Object.freeze({
  accuracy: 'accuracy',
  acc: 'accuracy',
  binaryAccuracy: 'binaryAccuracy',
  binary_accuracy: 'binaryAccuracy',
  categoricalAccuracy: 'categoricalAccuracy',
  categorical_accuracy: 'categoricalAccuracy',
  sparseCategoricalAccuracy: 'sparseCategoricalAccuracy',
  sparse_categorical_accuracy: 'sparseCategoricalAccuracy',
  mse: 'mse',
  meanSquaredError: 'mse',
  mean_squared_error: 'mse',
  mae: 'mae',
  meanAbsoluteError: 'mae',
  mean_absolute_error: 'mae',
});

/** Resolves a metric name or alias (`acc`, snake_case, `meanSquaredError`) to its canonical name; `fn` names the caller in the error. */
export function resolveMetricName(name: string, fn = 'getMetric'): MetricName {
  if (Object.hasOwn(metricAliases, name)) return metricAliases[name]!;
  throw new ValueError(
    `${fn}: unknown metric ${JSON.stringify(name)}; expected one of ${Object.keys(metricAliases).join(', ')}, ` +
      'or a function (predictions, targets) => number',
  );
}

const canonicalFunctions: Record<MetricName, MetricFn> = {
  accuracy,
  binaryAccuracy: (p: MetricInput, t: MetricInput) => binaryAccuracy(p, t),
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  mse,
  mae,
};

/** Metric functions by name (Keras spellings and short aliases). */
export const metricFunctions: Readonly<Record<string, MetricFn>> = Object.freeze(
  Object.fromEntries(Object.entries(metricAliases).map(([alias, name]) => [alias, canonicalFunctions[name]])),
);

/** The metric function called `name`, or a ValueError listing the known names. */
export function getMetric(name: string | MetricFn): MetricFn {
  if (typeof name === 'function') return name;
  return canonicalFunctions[resolveMetricName(name)];
}

/** Class labels from scores ([n, k] → argmax), probabilities ([n] or [n, 1] in [0, 1] → threshold 0.5) or integer labels. */
function toLabels(fn: string, name: string, x: Tensor): Int32Array {
  const v = x.values();
  if (x.ndim === 2 && x.shape[1]! > 1) {
    const [n, k] = x.shape as [number, number];
    const out = new Int32Array(n);
    for (let r = 0; r < n; r++) out[r] = rowArgmax(v, r, k);
    return out;
  }
  if (x.ndim > 2 || (x.ndim === 2 && x.shape[1] !== 1) || x.ndim === 0) {
    throw new ShapeError(`${fn}: ${name} must have shape [n], [n, 1] or [n, classes], got ${fmtShape(x.shape)}`);
  }
  const out = new Int32Array(v.length);
  let integers = true;
  for (let i = 0; i < v.length; i++) if (!Number.isInteger(v[i]!)) integers = false;
  if (integers) {
    for (let i = 0; i < v.length; i++) out[i] = v[i]!;
    return out;
  }
  for (let i = 0; i < v.length; i++) {
    const p = v[i]!;
    if (!(p >= 0 && p <= 1)) {
      throw new ValueError(`${fn}: ${name}[${i}] is ${p}; expected integer class labels or probabilities in [0, 1]`);
    }
    out[i] = p > 0.5 ? 1 : 0;
  }
  return out;
}

/**
 * The confusion matrix as an int32 [k, k] tensor: entry [i, j] counts samples of true class i predicted as
 * class j. Each input may be class scores [n, k] (argmax), probabilities [n] / [n, 1] (threshold 0.5) or
 * integer labels. `numClasses` defaults to the largest label + 1.
 */
export function confusionMatrix(predictions: MetricInput, targets: MetricInput, numClasses?: number): Tensor {
  const p = asTensor('confusionMatrix', 'predictions', predictions);
  const t = asTensor('confusionMatrix', 'targets', targets);
  const pl = toLabels('confusionMatrix', 'predictions', p);
  const tl = toLabels('confusionMatrix', 'targets', t);
  if (pl.length !== tl.length) {
    throw new ShapeError(`confusionMatrix: predictions ${fmtShape(p.shape)} and targets ${fmtShape(t.shape)} have different sample counts`);
  }
  let max = -1;
  for (let i = 0; i < pl.length; i++) max = Math.max(max, pl[i]!, tl[i]!);
  const k = numClasses ?? Math.max(max + 1, p.ndim === 2 && p.shape[1]! > 1 ? p.shape[1]! : 0);
  if (!Number.isInteger(k) || k < 1) throw new ValueError(`confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  const out = new Int32Array(k * k);
  for (let i = 0; i < pl.length; i++) {
    const a = tl[i]!;
    const b = pl[i]!;
    if (a < 0 || a >= k || b < 0 || b >= k) {
      throw new ValueError(`confusionMatrix: sample ${i} has target ${a}, prediction ${b}; expected classes in [0, ${k - 1}]`);
    }
    out[a * k + b]!++;
  }
  return new Tensor(out, [k, k]);
}

/** Formats a confusion matrix as a text table (rows: true class, columns: predicted class) with row totals. */
export function formatConfusionMatrix(matrix: Tensor, classNames?: readonly string[]): string {
  if (matrix.ndim !== 2 || matrix.shape[0] !== matrix.shape[1]) {
    throw new ShapeError(`formatConfusionMatrix: expected a square [k, k] matrix, got ${fmtShape(matrix.shape)}`);
  }
  const k = matrix.shape[0]!;
  const names = classNames ?? Array.from({ length: k }, (_, i) => String(i));
  if (names.length !== k) throw new ValueError(`formatConfusionMatrix: got ${names.length} class names for ${k} classes`);
  const v = matrix.values();
  const cells: string[][] = [['true\\pred', ...names, 'total']];
  for (let i = 0; i < k; i++) {
    const row = [names[i]!];
    let total = 0;
    for (let j = 0; j < k; j++) {
      row.push(String(v[i * k + j]));
      total += v[i * k + j]!;
    }
    row.push(String(total));
    cells.push(row);
  }
  const widths = cells[0]!.map((_, c) => cells.reduce((w, r) => Math.max(w, r[c]!.length), 0));
  return cells.map((r) => r.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ')).join('\n');
}
