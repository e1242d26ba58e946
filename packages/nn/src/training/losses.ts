import { Variable, abs, clip, log, mean, mul, neg, sigmoidCrossEntropy, softmaxCrossEntropy, square, sub, sum } from '@tapegrad/autograd';
import { ShapeError, Tensor, ValueError, fmtShape, fmtValue, oneHot } from '@tapegrad/tensor';
import { normalizeName } from '../model/initializers.js';

/**
 * A loss: `(predictions, targets)` → scalar Variable, the mean over the actual batch (a short last batch
 * is averaged over its own size). Predictions come first, as in Keras' `loss(yTrue, yPred)` reversed —
 * PyTorch order.
 */
export type LossFn = (predictions: Variable, targets: Variable | Tensor) => Variable;

/** Options for the cross-entropy losses. */
export interface CrossentropyOptions {
  /** Predictions are logits (pre-activation); the loss then fuses the sigmoid/softmax stably. */
  fromLogits?: boolean;
}

/** Clipping applied to probabilities before a log (Keras' epsilon). */
export const EPSILON = 1e-7;

const tensorOf = (t: Variable | Tensor): Tensor => (t instanceof Variable ? t.value : t);

/** Refuses predictions or targets that are not a Variable or Tensor (a plain array, say) by the loss's name. */
function checkOperands(fn: string, p: unknown, t: unknown): void {
  for (const [what, v] of [
    ['predictions', p],
    ['targets', t],
  ] as const) {
    if (!(v instanceof Variable || v instanceof Tensor)) {
      throw new ValueError(`${fn}: ${what} must be a Variable or Tensor, got ${fmtValue(v)}`);
    }
  }
}

function sameShape(fn: string, p: Variable, t: Variable | Tensor): void {
  checkOperands(fn, p, t);
  const ts = tensorOf(t).shape;
  if (p.shape.length !== ts.length || p.shape.some((d: number, i: number) => d !== ts[i])) {
    throw new ShapeError(`${fn}: predictions ${fmtShape(p.shape)} and targets ${fmtShape(ts)} must have the same shape`);
  }
}

/** Mean squared error: mean((p − t)²) over all elements. */
export function meanSquaredError(predictions: Variable, targets: Variable | Tensor): Variable {
  sameShape('meanSquaredError', predictions, targets);
  return mean(square(sub(predictions, targets)));
}

/** Mean absolute error: mean(|p − t|) over all elements. */
export function meanAbsoluteError(predictions: Variable, targets: Variable | Tensor): Variable {
  sameShape('meanAbsoluteError', predictions, targets);
  return mean(abs(sub(predictions, targets)));
}

/**
 * Binary cross-entropy: −mean(t·log p + (1 − t)·log(1 − p)), p clipped to [ε, 1 − ε]; with `fromLogits` the
 * fused, stable form mean(max(z, 0) − z·t + log(1 + e^(−|z|))) ({@link sigmoidCrossEntropy}), whose gradient is
 * (σ(z) − t)/N everywhere, z = 0 included.
 */
export function binaryCrossentropy(predictions: Variable, targets: Variable | Tensor, options: CrossentropyOptions = {}): Variable {
  sameShape('binaryCrossentropy', predictions, targets);
  if (options.fromLogits) return sigmoidCrossEntropy(predictions, targets);
  const p = clip(predictions, EPSILON, 1 - EPSILON);
  const t = targets;
  // t·log p + (1 − t)·log(1 − p), written so a float target tensor needs no Variable wrapper
  const pos = mul(t, log(p));
  const negTerm = mul(sub(1, t), log(sub(1, p)));
  return neg(mean(pos.add(negTerm)));
}

/**
 * Categorical cross-entropy for one-hot (or soft) targets, the classes on the last axis (Keras): −Σ t·log p summed
 * over the classes and averaged over the rows (all other axes; a 1-D input is one row), p clipped to [ε, 1 − ε];
 * with `fromLogits` the fused, stable softmax + cross-entropy.
 */
export function categoricalCrossentropy(predictions: Variable, targets: Variable | Tensor, options: CrossentropyOptions = {}): Variable {
  const fn = 'categoricalCrossentropy';
  sameShape(fn, predictions, targets);
  const shape = predictions.shape;
  if (shape.length === 0 || predictions.size === 0) {
    const what = shape.length === 0 ? 'a scalar' : `empty ${fmtShape(shape)}`;
    throw new ShapeError(`${fn}: predictions are ${what}; expected [..., classes] with at least one row and one class`);
  }
  const classes = shape[shape.length - 1]!;
  if (options.fromLogits) {
    if (shape.length === 2) return softmaxCrossEntropy(predictions, tensorOf(targets));
    return softmaxCrossEntropy(predictions.reshape([-1, classes]), tensorOf(targets).reshape([-1, classes]));
  }
  const p = clip(predictions, EPSILON, 1 - EPSILON);
  return neg(sum(mul(targets, log(p)))).div(predictions.size / classes);
}

function checkSparse(fn: string, predictions: Variable, targets: Tensor): void {
  if (predictions.shape.length !== 2 || targets.ndim !== 1 || targets.shape[0] !== predictions.shape[0]) {
    throw new ShapeError(
      `${fn}: expected predictions [batch, classes] and integer targets [batch], ` +
        `got ${fmtShape(predictions.shape)} and ${fmtShape(targets.shape)}`,
    );
  }
  const k = predictions.shape[1]!;
  const v = targets.values();
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= k) throw new ValueError(`${fn}: target ${c} at index ${i} is not a class index in [0, ${k})`);
  }
}

/** Sparse categorical cross-entropy: integer class targets `[batch]`, −mean(log p[i, t_i]); `fromLogits` fuses softmax. */
export function sparseCategoricalCrossentropy(
  predictions: Variable,
  targets: Variable | Tensor,
  options: CrossentropyOptions = {},
): Variable {
  checkOperands('sparseCategoricalCrossentropy', predictions, targets);
  const t = tensorOf(targets);
  checkSparse('sparseCategoricalCrossentropy', predictions, t);
  const idx = t.dtype === 'int32' ? t : t.astype('int32');
  if (options.fromLogits) return softmaxCrossEntropy(predictions, idx);
  const hot = oneHot(idx, predictions.shape[1]!, { dtype: predictions.dtype });
  return categoricalCrossentropy(predictions, hot);
}

/** Canonical loss names. */
export const lossNames = Object.freeze([
  'meanSquaredError',
  'meanAbsoluteError',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
] as const);

/** One of {@link lossNames}. */
export type LossName = (typeof lossNames)[number];

const aliases: Record<string, LossName> = {
  mse: 'meanSquaredError',
  meanSquaredError: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  meanAbsoluteError: 'meanAbsoluteError',
  bce: 'binaryCrossentropy',
  binaryCrossentropy: 'binaryCrossentropy',
  binaryCrossEntropy: 'binaryCrossentropy',
  cse: 'categoricalCrossentropy',
  cce: 'categoricalCrossentropy',
  crossEntropy: 'categoricalCrossentropy',
  categoricalCrossentropy: 'categoricalCrossentropy',
  categoricalCrossEntropy: 'categoricalCrossentropy',
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  sparseCategoricalCrossEntropy: 'sparseCategoricalCrossentropy',
  scce: 'sparseCategoricalCrossentropy',
};

/** Resolves a loss name or alias (`mse`, `mae`, `bce`, `cse`/`cce`, `scce`, snake_case) to its canonical name. */
export function resolveLossName(name: string): LossName {
  const key = normalizeName(name);
  if (Object.prototype.hasOwnProperty.call(aliases, key)) return aliases[key]!;
  throw new ValueError(`getLoss: unknown loss '${name}'; expected one of ${lossNames.join(', ')} (aliases: mse, mae, bce, cse, cce, scce)`);
}

/** Looks a loss up by name or alias (with `fromLogits` for the cross-entropies), or returns a function unchanged. */
export function getLoss(nameOrFn: string | LossFn, options: CrossentropyOptions = {}): LossFn {
  if (typeof nameOrFn === 'function') return nameOrFn;
  switch (resolveLossName(nameOrFn)) {
    case 'meanSquaredError':
      return meanSquaredError;
    case 'meanAbsoluteError':
      return meanAbsoluteError;
    case 'binaryCrossentropy':
      return (p, t) => binaryCrossentropy(p, t, options);
    case 'categoricalCrossentropy':
      return (p, t) => categoricalCrossentropy(p, t, options);
    case 'sparseCategoricalCrossentropy':
      return (p, t) => sparseCategoricalCrossentropy(p, t, options);
  }
}
