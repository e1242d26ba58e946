import { type Variable, softmaxCrossEntropy } from '@tapegrad/autograd';
import type { Optimizer } from '@tapegrad/optim';
import { Tensor, ValueError, sigmoid as sigmoidKernel, softmax as softmaxKernel } from '@tapegrad/tensor';
import { forward } from '../model/forward.js';
import { Dense, type Layer } from '../model/layers.js';
import { toCategorical } from './data.js';
import { binaryCrossentropy, getLoss, resolveLossName, type LossFn, type LossName } from './losses.js';
import { binaryAccuracy, categoricalAccuracy, mae, mse, resolveMetricName, sparseCategoricalAccuracy } from './metrics.js';

// What a model is trained for: the loss and metrics `compile` resolved, the fused output path they allow,
// and the two things every training and evaluation batch does with them (loss of a forward pass, metric values).

/** A metric computed by `fit`/`evaluate`: a name or `(predictions, targets) => number` (mean over the batch). */
export type MetricSpec = string | ((predictions: Tensor, targets: Tensor) => number);

/** Options of {@link Sequential.compile}. */
export interface CompileOptions {
  /** Optimizer name (`'adam'`, `'sgd'`, `'iterative'`, …) or an Optimizer instance (default `'adam'`). */
  optimizer?: string | Optimizer;
  /** Loss name or alias (`'mse'`, `'cse'`, …) or a function `(predictions, targets) => scalar Variable`. */
  loss: string | LossFn;
  /** Metrics to track: `'accuracy'` (binary/categorical/sparse picked from the labels), `'mse'`, `'mae'`, or functions. */
  metrics?: MetricSpec[];
  /** Learning rate for a named optimizer (its default otherwise). */
  lr?: number;
  /** Extra options for a named optimizer (momentum, betas, …). */
  optimizerOptions?: Record<string, unknown>;
  /** The model outputs logits (a linear last layer): cross-entropies apply the softmax/sigmoid themselves. */
  fromLogits?: boolean;
}

/** The loss and metrics resolved by `compile`: `lossName` is null for a custom loss function. */
export interface Objective {
  lossName: LossName | null;
  lossFn: LossFn;
  fromLogits: boolean;
  metrics: { key: string; spec: MetricSpec }[];
}

/** The fused output path: softmax + cross-entropy, sigmoid + binary cross-entropy, or none. */
export type FusedOutput = 'softmax' | 'sigmoid' | null;

/** Resolves the loss and metrics of {@link CompileOptions}, refusing unknown names. */
export function resolveObjective(options: CompileOptions): Objective {
  if (!options || options.loss === undefined) {
    throw new ValueError(`compile: a loss is required, e.g. compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' })`);
  }
  const lossName = typeof options.loss === 'string' ? resolveLossName(options.loss) : null;
  const fromLogits = options.fromLogits ?? false;
  const lossFn = getLoss(options.loss, { fromLogits });
  const metrics = (options.metrics ?? []).map((spec) => ({ key: metricKey(spec), spec }));
  return { lossName, lossFn, fromLogits, metrics };
}

function metricKey(spec: MetricSpec): string {
  if (typeof spec === 'function') return spec.name || 'metric';
  return resolveMetricName(spec, 'compile');
}

/** Which fused output path training takes for this objective and last layer. */
export function fusedOutput(objective: Objective | null, last: Layer | undefined): FusedOutput {
  if (!objective || objective.fromLogits || !(last instanceof Dense)) return null;
  const loss = objective.lossName;
  if (last.activation === 'softmax' && (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy')) return 'softmax';
  if (last.activation === 'sigmoid' && loss === 'binaryCrossentropy') return 'sigmoid';
  return null;
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
    return { out, loss: objective.lossFn(out, y) };
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

/** One metric of a batch; `out` holds logits on a fused path, so they are turned into probabilities (or thresholded at 0). */
export function metricValue(spec: MetricSpec, out: Tensor, y: Tensor, fused: FusedOutput, lossName: string | null): number {
  if (typeof spec === 'function') return spec(fused ? probs(out, fused) : out, y);
  const name = resolveMetricName(spec, 'compile');
  const n = out.shape[0]!;
  const k = out.size / n;
  const sparse = y.ndim === 1 && k > 1;
  const o = out.reshape([n, k]);
  if (name === 'mse' || name === 'mae') {
    const p = fused ? probs(o, fused) : o;
    const t = sparse ? toCategorical(y, k) : y.reshape([n, k]);
    return name === 'mse' ? mse(p, t) : mae(p, t);
  }
  const kind = name === 'accuracy' ? (sparse ? 'sparse' : k === 1 || lossName === 'binaryCrossentropy' ? 'binary' : 'categorical') : name;
  if (kind === 'binary' || kind === 'binaryAccuracy') return binaryAccuracy(o, y.reshape([n, k]), fused === 'sigmoid' ? 0 : 0.5);
  if (kind === 'sparse' || kind === 'sparseCategoricalAccuracy') return sparseCategoricalAccuracy(o, y);
  return categoricalAccuracy(o, y.reshape([n, k]));
}

/** Probabilities from the fused path's logits: the same kernels as the Dense layer's softmax/sigmoid in `predict`. */
function probs(logits: Tensor, fused: Exclude<FusedOutput, null>): Tensor {
  return fused === 'sigmoid' ? sigmoidKernel(logits) : softmaxKernel(logits, -1);
}

/** Per-sample label shape: `[]` for sparse labels, `[1]` for 1-D labels of a single-output model. */
export function labelShape(y: Tensor, sparse: boolean): number[] {
  if (sparse) return [];
  const s = y.shape.slice(1);
  return s.length === 0 ? [1] : s;
}

/** The tensor as int32 (sparse class labels), converted only when it is not already. */
export function toInt32(t: Tensor): Tensor {
  return t.dtype === 'int32' ? t : t.astype('int32');
}
