import { Variable, isGradEnabled, softmaxCrossEntropy } from '@tapegrad/autograd';
import {
  ShapeError,
  Tensor,
  type TypedArray,
  ValueError,
  argmax,
  fmtShape,
  fmtValue,
  sigmoid as sigmoidKernel,
  sizeOf,
  softmax as softmaxKernel,
} from '@tapegrad/tensor';
import { dataDType, forward, toFloatArray } from '../model/forward.js';
import { Dense, type Layer } from '../model/layers.js';
import { toCategorical } from './data.js';
import { binaryCrossentropy, type LossFn, type LossName } from './losses.js';
import { binaryAccuracy, categoricalAccuracy, mae, mse, resolveMetricName, sparseCategoricalAccuracy } from './metrics.js';

// What a model is trained for: the loss and metrics `compile` resolved, the fused output path they allow,
// and the two things every training and evaluation batch does with them (the loss of a forward pass, metric values).

/** A metric computed by `fit`/`evaluate`: a name or `(predictions, targets) => number` (mean over the batch). */
export type MetricSpec = string | ((predictions: Tensor, targets: Tensor) => number);

/** The loss and metrics resolved by `compile`: `lossName` is null for a custom loss function. */
export interface Objective {
  lossName: LossName | null;
  lossFn: LossFn;
  fromLogits: boolean;
  metrics: { key: string; spec: MetricSpec }[];
}

/** The fused output path: softmax + cross-entropy, sigmoid + binary cross-entropy, or none. */
export type FusedOutput = 'softmax' | 'sigmoid' | null;

/** Which fused output path training takes for this objective and last layer. */
export function fusedOutput(objective: Objective | null, last: Layer | undefined): FusedOutput {
  if (!objective || objective.fromLogits || !(last instanceof Dense)) return null;
  // a subclass that overrides call/callLogits computes something else: the fused path (callLogits) would bypass it
  if (last.call !== Dense.prototype.call || last.callLogits !== Dense.prototype.callLogits) return null;
  const loss = objective.lossName;
  if (last.activation === 'softmax' && (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy')) return 'softmax';
  if (last.activation === 'sigmoid' && loss === 'binaryCrossentropy') return 'sigmoid';
  return null;
}

/** Whether the outputs are class scores read by argmax even with one unit: a categorical loss or a softmax output layer. */
export function categoricalOutput(lossName: string | null, last: Layer | undefined): boolean {
  if (lossName === 'categoricalCrossentropy' || lossName === 'sparseCategoricalCrossentropy') return true;
  return lossName === null && last instanceof Dense && last.activation === 'softmax';
}

/**
 * Predicted class per sample of outputs `p` [n, k] (int32): argmax over the outputs when k > 1 or the outputs are
 * {@link categoricalOutput} (one unit: class 0); else, a single binary unit, output > 0.5 — or > 0 for logits
 * (`fromLogits`, σ(z) > 0.5 ⇔ z > 0).
 */
export function classesOf(p: Tensor, categorical: boolean, fromLogits: boolean): Tensor {
  if (p.shape[1]! > 1 || categorical) return argmax(p, 1);
  const [pv, cut] = [p.values(), fromLogits ? 0 : 0.5];
  const out = new Int32Array(pv.length);
  for (let i = 0; i < pv.length; i++) out[i] = pv[i]! > cut ? 1 : 0;
  return new Tensor(out, [pv.length]);
}

/** Forward pass and loss of a batch; on a fused path `out` holds the last layer's logits and the loss is the fused stable one. */
export function forwardLoss(
  layers: readonly Layer[],
  objective: Objective,
  fused: FusedOutput,
  x: Variable,
  y: Tensor,
): { out: Variable; loss: Variable } {
  if (!fused) {
    const out = forward(layers, x);
    const loss = objective.lossFn(out, y);
    return { out, loss: objective.lossName === null ? checkLossResult(objective.lossFn, out, loss) : loss };
  }
  let h = x;
  const n = layers.length;
  for (let i = 0; i < n - 1; i++) h = layers[i]!.call(h);
  const logits = (layers[n - 1] as Dense).callLogits(h);
  const loss =
    fused === 'softmax'
      ? softmaxCrossEntropy(logits, objective.lossName === 'sparseCategoricalCrossentropy' ? toInt32(y) : y)
      : binaryCrossentropy(logits, y, { fromLogits: true });
  return { out: logits, loss };
}

/**
 * One metric of a batch; `out` holds logits on a fused path, so they are turned into probabilities (or thresholded at 0).
 * With `fromLogits` (compiled so: the model's outputs are logits) binary accuracy also thresholds at 0, σ(z) > 0.5 ⇔ z > 0.
 */
export function metricValue(
  spec: MetricSpec,
  out: Tensor,
  y: Tensor,
  fused: FusedOutput,
  lossName: string | null,
  fromLogits = false,
): number {
  if (typeof spec === 'function') return checkMetricResult(spec, spec(fused ? probs(out, fused) : out, y));
  const name = resolveMetricName(spec, 'compile');
  const n = out.shape[0]!;
  const k = out.size / n;
  const categorical = categoricalOutput(lossName, undefined); // one unit under a categorical loss is one class, not binary
  const sparse = y.ndim === 1 && (k > 1 || categorical);
  const o = out.reshape([n, k]);
  if (name === 'mse' || name === 'mae') {
    const p = fused ? probs(o, fused) : o;
    const t = sparse ? toCategorical(y, k) : y.reshape([n, k]);
    return name === 'mse' ? mse(p, t) : mae(p, t);
  }
  const binary = (k === 1 && !categorical) || lossName === 'binaryCrossentropy';
  const kind = name === 'accuracy' ? (sparse ? 'sparse' : binary ? 'binary' : 'categorical') : name;
  if (kind === 'binary' || kind === 'binaryAccuracy')
    return binaryAccuracy(o, y.reshape([n, k]), fused === 'sigmoid' || fromLogits ? 0 : 0.5);
  if (kind === 'sparse' || kind === 'sparseCategoricalAccuracy') return sparseCategoricalAccuracy(o, y);
  return categoricalAccuracy(o, y.reshape([n, k]));
}

/** Probabilities from the fused path's logits: the same kernels as the Dense layer's softmax/sigmoid in `predict`. */
function probs(logits: Tensor, fused: Exclude<FusedOutput, null>): Tensor {
  return fused === 'sigmoid' ? sigmoidKernel(logits) : softmaxKernel(logits, -1);
}

/** The tensor as int32 (sparse class labels), converted only when it is not already. */
export function toInt32(t: Tensor): Tensor {
  return t.dtype === 'int32' ? t : t.astype('int32');
}

/** Checked samples as flat row-major arrays, what every training and evaluation batch is cut from. */
export interface Samples {
  n: number;
  /** The float dtype of the features (the parameters' dtype); labels have it too unless they are sparse. */
  dtype: 'float32' | 'float64';
  /** Per-sample feature shape, and its size `f`. */
  featShape: number[];
  f: number;
  /** Per-sample label shape (`[]` for sparse labels, `[1]` for 1-D labels of a single output), and its size `yw`. */
  yShape: number[];
  yw: number;
  sparse: boolean;
  xd: Float32Array | Float64Array;
  /** Labels: int32 class indices for a sparse loss. */
  yd: TypedArray;
}

/** (x, y) as {@link Samples}: features (and dense labels) cast to the layers' parameter dtype; a copy only when needed. */
export function flatSamples(layers: readonly Layer[], lossName: string | null, x: Tensor, y: Tensor): Samples {
  const sparse = lossName === 'sparseCategoricalCrossentropy';
  const dtype = dataDType(layers);
  const featShape = x.shape.slice(1);
  const yShape = sparse ? [] : y.ndim === 1 ? [1] : y.shape.slice(1);
  return {
    n: x.shape[0]!,
    dtype,
    featShape,
    f: sizeOf(featShape),
    yShape,
    yw: sizeOf(yShape),
    sparse,
    xd: toFloatArray(x, dtype),
    yd: sparse ? toInt32(y).values() : toFloatArray(y, dtype),
  };
}

/** The batch tensors `[m, …featShape]` and `[m]` (sparse) or `[m, …yShape]` over `m` samples' flat values. */
export function batchTensors(s: Samples, xv: TypedArray, yv: TypedArray, m: number): [Tensor, Tensor] {
  return [new Tensor(xv, [m, ...s.featShape]), new Tensor(yv, s.sparse ? [m] : [m, ...s.yShape])];
}

/**
 * Refuses what a custom loss returned unless it is a Variable holding one value that, when gradients are recorded,
 * depends on the predictions: a number, a Tensor or a per-sample Variable would fail deep inside `fit`, and a constant
 * would train nothing. Errors name the loss function.
 */
function checkLossResult(loss: LossFn, predictions: Variable, out: unknown): Variable {
  const label = `the custom loss ${loss.name ? `'${loss.name}'` : '(an unnamed function)'}`;
  const want = `a scalar Variable (one value, e.g. mean(...) over the batch) computed from the predictions with autograd ops`;
  if (!(out instanceof Variable)) {
    const got =
      out instanceof Tensor
        ? `a Tensor ${fmtShape(out.shape)}`
        : typeof out === 'number'
          ? `the number ${out}`
          : out === null || out === undefined
            ? String(out)
            : `a ${typeof out === 'object' ? ((out as object).constructor?.name ?? 'object') : typeof out}`;
    throw new ValueError(`${label} returned ${got}; a loss must return ${want}`);
  }
  if (out.size !== 1) {
    throw new ShapeError(`${label} returned a Variable of shape ${fmtShape(out.shape)} (${out.size} values); a loss must return ${want}`);
  }
  if (isGradEnabled() && predictions.requiresGrad && !out.requiresGrad) {
    throw new ValueError(
      `${label} returned a Variable that does not depend on the predictions (a constant, or detached), so training would ` +
        `change nothing; a loss must return ${want}`,
    );
  }
  return out;
}

/**
 * The number a custom metric function returned: a finite number, or a Tensor or Variable holding one finite value;
 * anything else (a string, NaN, a per-sample tensor) is refused naming the metric, never passed on as a result.
 */
function checkMetricResult(metric: (...args: never[]) => unknown, out: unknown): number {
  const label = `the custom metric ${metric.name ? `'${metric.name}'` : '(an unnamed function)'}`;
  const tensor = out instanceof Tensor ? out : isTensorHolder(out) ? out.value : null;
  if (tensor !== null && tensor.size !== 1) {
    throw new ShapeError(`${label} returned a tensor of shape ${fmtShape(tensor.shape)}; a metric must return one finite number`);
  }
  const v = tensor !== null ? tensor.item() : out;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new ValueError(`${label} returned ${fmtValue(v)}; a metric must return a finite number (or a scalar tensor) for each batch`);
}

function isTensorHolder(v: unknown): v is { value: Tensor } {
  return v !== null && typeof v === 'object' && (v as { value?: unknown }).value instanceof Tensor;
}
