import { noGrad, variable } from '@tapegrad/autograd';
import { ShapeError, Tensor, fmtShape, sizeOf } from '@tapegrad/tensor';
import { dataDType, isTraining, setTraining, toFloatArray } from '../model/forward.js';
import type { Layer } from '../model/layers.js';
import { resolveMetricName } from './metrics.js';
import { type FusedOutput, type MetricSpec, type Objective, forwardLoss, labelShape, metricValue, toInt32 } from './objective.js';

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
  const sparse = objective.lossName === 'sparseCategoricalCrossentropy';
  const n = x.shape[0]!;
  const featShape = x.shape.slice(1);
  const yShape = labelShape(y, sparse);
  const f = sizeOf(featShape);
  const yw = sizeOf(yShape);
  const dtype = dataDType(layers);
  const xd = toFloatArray(x, dtype);
  const yd = sparse ? toInt32(y).values() : toFloatArray(y, dtype);
  const metrics = objective.metrics;
  const wasTraining = isTraining(layers);
  setTraining(layers, false);
  let lossSum = 0;
  const sums = new Float64Array(metrics.length);
  try {
    noGrad(() => {
      for (let start = 0; start < n; start += batchSize) {
        const m = Math.min(batchSize, n - start);
        const xb = new Tensor(xd.subarray(start * f, (start + m) * f), [m, ...featShape]);
        const yb = new Tensor(yd.subarray(start * yw, (start + m) * yw), sparse ? [m] : [m, ...yShape]);
        const { out, loss } = forwardLoss(layers, objective, fused, variable(xb), yb);
        lossSum += loss.item() * m;
        for (let j = 0; j < metrics.length; j++) sums[j] += metricValue(metrics[j]!.spec, out.value, yb, fused, objective.lossName) * m;
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
export function scorePredictions(metric: MetricSpec, p: Tensor, x: Tensor, y: Tensor, lossName: string | null): number {
  if (typeof metric === 'string') resolveMetricName(metric, 'score');
  if (y.shape[0] !== x.shape[0]) {
    throw new ShapeError(
      `score: x has ${x.shape[0]} samples but y has ${y.shape[0]} (shape ${fmtShape(y.shape)}); expected one label per sample`,
    );
  }
  return metricValue(metric, p, y, null, lossName);
}
