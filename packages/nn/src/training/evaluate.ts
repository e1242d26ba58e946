import { noGrad, variable } from '@tapegrad/autograd';
import { ShapeError, type Tensor, fmtShape } from '@tapegrad/tensor';
import { isTraining, setTraining } from '../model/forward.js';
import type { Layer } from '../model/layers.js';
import {
  type FusedOutput,
  type MetricSpec,
  type Objective,
  type Samples,
  batchTensors,
  flatSamples,
  forwardLoss,
  metricValue,
} from './objective.js';

/**
 * Loss and metrics of (x, y) in inference mode under noGrad, `batchSize` samples at a time, each averaged over
 * the real samples; the layers' modes are restored afterwards. The data must already be checked.
 */
export function evaluateBatches(
  layers: readonly Layer[],
  objective: Objective,
  fused: FusedOutput,
  x: Tensor,
  y: Tensor,
  batchSize: number,
): Record<string, number> {
  return evaluateSamples(layers, objective, fused, flatSamples(layers, objective.lossName, x, y), batchSize);
}

/** {@link evaluateBatches} on samples already flattened (a validation set, flattened once per `fit`). */
export function evaluateSamples(
  layers: readonly Layer[],
  objective: Objective,
  fused: FusedOutput,
  s: Samples,
  batchSize: number,
): Record<string, number> {
  const { n, f, yw } = s;
  const metrics = objective.metrics;
  const wasTraining = isTraining(layers);
  setTraining(layers, false);
  let lossSum = 0;
  const sums = new Float64Array(metrics.length);
  try {
    noGrad(() => {
      for (let start = 0; start < n; start += batchSize) {
        const m = Math.min(batchSize, n - start);
        const [xb, yb] = batchTensors(s, s.xd.subarray(start * f, (start + m) * f), s.yd.subarray(start * yw, (start + m) * yw), m);
        const { out, loss } = forwardLoss(layers, objective, fused, variable(xb), yb);
        lossSum += loss.item() * m;
        for (let j = 0; j < metrics.length; j++)
          sums[j] += metricValue(metrics[j]!.spec, out.value, yb, fused, objective.lossName, objective.fromLogits) * m;
      }
    });
  } finally {
    setTraining(layers, wasTraining);
  }
  const result: Record<string, number> = { loss: lossSum / n };
  metrics.forEach((m, j) => (result[m.key] = sums[j]! / n));
  return result;
}

/** One metric of predictions `p` of the samples `x` against labels `y` (one-hot or integer classes). */
export function scorePredictions(metric: MetricSpec, p: Tensor, x: Tensor, y: Tensor, lossName: string | null, fromLogits = false): number {
  if (y.shape[0] !== x.shape[0]) {
    throw new ShapeError(
      `score: x has ${x.shape[0]} samples but y has ${y.shape[0]} (shape ${fmtShape(y.shape)}); expected one label per sample`,
    );
  }
  return metricValue(metric, p, y, null, lossName, fromLogits);
}
