import { Tensor, ValueError } from '@tapegrad/tensor';

/** Options for {@link momentumUpdate}. */
export interface MomentumOptions {
  /** Learning rate η. */
  lr: number;
  /** Momentum coefficient α (0 gives plain gradient descent). */
  momentum: number;
}

/**
 * One step of the delta rule with a momentum term, functional form: Δw(t) = α·Δw(t−1) − η·∂E/∂w, w ← w + Δw.
 * With a constant η this is PyTorch's `SGD(momentum=α)` (buf ← α·buf + g, w ← w − η·buf, Δw = −η·buf).
 * Pass `previous = null` on the first step (Δw(0) = 0). Returns the new weights and the step Δw(t) to pass back in.
 */
export function momentumUpdate(
  weights: Tensor[],
  grads: Tensor[],
  previous: Tensor[] | null,
  options: MomentumOptions,
): { weights: Tensor[]; steps: Tensor[] } {
  if (grads.length !== weights.length || (previous !== null && previous.length !== weights.length)) {
    throw new ValueError(
      `momentumUpdate: got ${weights.length} weights, ${grads.length} gradients and ${previous?.length ?? 0} previous steps; ` +
        'expected equal counts',
    );
  }
  const { lr, momentum } = options;
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
