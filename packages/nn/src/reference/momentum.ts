import { ShapeError, Tensor, ValueError, fmtShape, fmtValue } from '@tapegrad/tensor';

/** Options for {@link momentumUpdate}. */
export interface MomentumOptions {
  /** Learning rate η, a finite number ≥ 0. */
  lr: number;
  /** Momentum coefficient α, a finite number ≥ 0 (0 gives plain gradient descent). */
  momentum: number;
}

/**
 * One step of the delta rule with a momentum term, functional form: Δw(t) = α·Δw(t−1) − η·∂E/∂w, w ← w + Δw.
 * With a constant η this is PyTorch's `SGD(momentum=α)` (buf ← α·buf + g, w ← w − η·buf, Δw = −η·buf).
 * Pass `previous = null` on the first step (Δw(0) = 0). Returns the new weights and the step Δw(t) to pass back in.
 * Every gradient and previous step must have its weight's shape (a ShapeError otherwise, as the optimizers' `update`).
 */
export function momentumUpdate(
  weights: Tensor[],
  grads: Tensor[],
  previous: Tensor[] | null,
  options: MomentumOptions,
): { weights: Tensor[]; steps: Tensor[] } {
  for (const [what, list] of [
    ['weights', weights],
    ['grads', grads],
  ] as const) {
    if (!Array.isArray(list)) throw new ValueError(`momentumUpdate: ${what} must be an array of Tensors, got ${fmtValue(list)}`);
  }
  if (previous !== null && !Array.isArray(previous)) {
    throw new ValueError(`momentumUpdate: previous must be null (first step) or the steps it returned, got ${fmtValue(previous)}`);
  }
  if (grads.length !== weights.length || (previous !== null && previous.length !== weights.length)) {
    throw new ValueError(
      `momentumUpdate: got ${weights.length} weights, ${grads.length} gradients and ${previous?.length ?? 0} previous steps; ` +
        'expected equal counts',
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`momentumUpdate: options must be an object { lr, momentum }, got ${fmtValue(options)}`);
  }
  const { lr, momentum } = options;
  for (const [what, v] of [
    ['learning rate lr', lr],
    ['momentum', momentum],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ValueError(`momentumUpdate: invalid ${what} ${fmtValue(v)}; expected a finite number >= 0`);
    }
  }
  weights.forEach((w, p) => {
    if (!(w instanceof Tensor)) throw new ValueError(`momentumUpdate: weights[${p}] is ${fmtValue(w)}; expected a Tensor`);
    for (const [what, t] of [
      ['gradient', grads[p]],
      ['previous step', previous === null ? null : previous[p]],
    ] as const) {
      if (t === null) continue;
      if (!(t instanceof Tensor)) {
        throw new ValueError(
          `momentumUpdate: ${what} ${p} is ${fmtValue(t)}; expected a Tensor of the weight's shape ${fmtShape(w.shape)}`,
        );
      }
      if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i])) {
        throw new ShapeError(
          `momentumUpdate: ${what} ${p} has shape ${fmtShape(t.shape)}; expected the weight's shape ${fmtShape(w.shape)}`,
        );
      }
    }
  });
  const newWeights: Tensor[] = [];
  const steps: Tensor[] = [];
  for (let p = 0; p < weights.length; p++) {
    const w = weights[p]!.astype('float64');
    const g = grads[p]!.astype('float64').data;
    const prev = previous === null ? null : previous[p]!.astype('float64').data;
    const wd = w.data;
    const step = new Float64Array(wd.length);
    for (let i = 0; i < wd.length; i++) {
      step[i] = (prev === null ? 0 : momentum * prev[i]!) - lr * g[i]!;
      wd[i] = wd[i]! + step[i]!;
    }
    newWeights.push(w);
    steps.push(new Tensor(step, w.shape));
  }
  return { weights: newWeights, steps };
}
