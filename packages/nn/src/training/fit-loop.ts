import { type Variable, variable } from '@tapegrad/autograd';
import type { Optimizer } from '@tapegrad/optim';
import { type Generator, Tensor, ValueError, allocate, shuffle as shuffleInPlace } from '@tapegrad/tensor';
import { kernelStateArrays } from '@tapegrad/tensor/backend';
import { setTraining } from '../model/forward.js';
import type { Layer } from '../model/layers.js';
import type { CallbackList } from './callback-list.js';
import { gatherRows } from './data.js';
import { evaluateSamples } from './evaluate.js';
import { History } from './history.js';
import { type FusedOutput, type Objective, batchTensors, flatSamples, forwardLoss, metricValue } from './objective.js';
import type { ProgressBar } from './progress.js';

/** What the loop reads and writes on the model: the stop flag callbacks set, the epoch count and the last History. */
export interface TrainingState {
  stopTraining: boolean;
  epoch: number;
  history: History | null;
}

/** Everything one `fit` needs, already checked: the layers and what updates them, the data, and the schedule. */
export interface FitPlan {
  layers: readonly Layer[];
  /** The parameters the optimizer updates; their gradients are cleared before every backward pass. */
  params: Variable[];
  optimizer: Optimizer;
  objective: Objective;
  fused: FusedOutput;
  x: Tensor;
  y: Tensor;
  validation: [Tensor, Tensor] | null;
  epochs: number;
  initialEpoch: number;
  batchSize: number;
  shuffle: boolean;
  generator: Generator;
  progress: ProgressBar;
  callbacks: CallbackList<unknown>;
  state: TrainingState;
}

const nowMs = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Storage `fit` keeps per model between calls: its parameters' gradient buffers and the float32 batch buffer, so that
 * a loop of short fits takes no new WebAssembly memory each call (with GEMM workers that memory is never returned).
 */
const kept = new WeakMap<TrainingState, { gradients: Map<Variable, Tensor>; x: Float32Array | null }>();

/**
 * The training loop as a generator: it yields after every batch and every epoch, so that {@link runFit} drives it
 * straight through and {@link runFitAsync} gives the event loop a turn in between — the same numbers either way.
 */
export function* fitLoop(plan: FitPlan): Iterator<'batch' | 'epoch', History, undefined> {
  const { layers, optimizer, objective, fused, validation: val, epochs, initialEpoch, generator, progress, state } = plan;
  const cbs = plan.callbacks;
  const metrics = objective.metrics;
  const s = flatSamples(layers, objective.lossName, plan.x, plan.y);
  const valSamples = val && flatSamples(layers, objective.lossName, val[0], val[1]);
  const { n, f, yw } = s;
  const bs = Math.min(plan.batchSize, n);
  const keep = kept.get(state) ?? { gradients: new Map<Variable, Tensor>(), x: null };
  kept.set(state, keep);
  // float32 batches are gathered into storage from kernelStateArrays: on wasm, the memory where the layers' kernels
  // lie, whose GEMM reads the batch there instead of copying it in (twice a step: x·W and xᵀ·dy)
  if (s.dtype === 'float32' && (keep.x === null || keep.x.length < bs * f)) {
    keep.x = kernelStateArrays('float32', bs * f, 1)[0] as Float32Array;
  }
  const xBuf = s.dtype === 'float32' ? keep.x!.subarray(0, bs * f) : allocate(s.dtype, bs * f);
  const yBuf = allocate(s.sparse ? 'int32' : s.dtype, bs * yw);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const steps = Math.ceil(n / bs);
  // fit owns the parameters' gradients: each step's backward writes into the previous step's (no allocation); the
  // float32 ones start in storage from kernelStateArrays, where a wasm Adam kernel reads them without a copy
  const gradients = new Map<Variable, Tensor>();
  for (const p of plan.params) {
    if (p.dtype !== 'float32') continue;
    let g = keep.gradients.get(p);
    if (g === undefined || g.size !== p.size) {
      g = new Tensor(kernelStateArrays('float32', p.size, 1)[0]!, p.shape);
      keep.gradients.set(p, g);
    }
    gradients.set(p, g);
  }
  const history = new History({
    epochs,
    batchSize: bs,
    samples: n,
    validationSamples: val ? val[0].shape[0]! : 0,
    seed: generator.seed,
    optimizer: optimizer.name,
    loss: objective.lossName ?? 'custom',
    metrics: metrics.map((m) => m.key),
  });
  state.history = history;
  const hasTerminateOnNaN = cbs.has('TerminateOnNaN');
  state.stopTraining = false;
  setTraining(layers, true);
  cbs.onTrainBegin({});
  try {
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      cbs.onEpochBegin(epoch, {});
      const t0 = nowMs();
      if (plan.shuffle) shuffleInPlace(order, { generator });
      progress.epochBegin(epoch, epochs, steps);
      let lossSum = 0;
      let seen = 0;
      const metricSums = new Float64Array(metrics.length);
      for (let step = 0; step < steps; step++) {
        const start = step * bs;
        const m = Math.min(bs, n - start);
        gatherRows(s.xd, f, order, start, m, xBuf);
        gatherRows(s.yd, yw, order, start, m, yBuf);
        const [xb, yb] = batchTensors(s, m === bs ? xBuf : xBuf.subarray(0, m * f), m === bs ? yBuf : yBuf.subarray(0, m * yw), m);
        cbs.onBatchBegin(step, { batch: step, size: m });
        const where = hasTerminateOnNaN ? null : `fit: the loss became {loss} at epoch ${epoch + 1}, batch ${step + 1}`;
        const { loss: batchLoss, out } = optimizer.perExample
          ? perExampleSteps(plan, xb, yb, where)
          : trainStep(plan, xb, yb, where, gradients);
        lossSum += batchLoss * m;
        seen += m;
        const logs: Record<string, number> = { batch: step, size: m, loss: batchLoss };
        for (let j = 0; j < metrics.length; j++) {
          const v = metricValue(metrics[j]!.spec, out, yb, fused, objective.lossName, objective.fromLogits);
          metricSums[j] += v * m;
          logs[metrics[j]!.key] = v;
        }
        cbs.onBatchEnd(step, logs);
        const running: Record<string, number> = { loss: lossSum / seen };
        for (let j = 0; j < metrics.length; j++) running[metrics[j]!.key] = metricSums[j]! / seen;
        progress.batchEnd(step + 1, running);
        if (state.stopTraining) break;
        yield 'batch';
      }
      const logs: Record<string, number> = { loss: lossSum / Math.max(seen, 1) };
      for (let j = 0; j < metrics.length; j++) logs[metrics[j]!.key] = metricSums[j]! / Math.max(seen, 1);
      if (valSamples) {
        const v = evaluateSamples(layers, objective, fused, valSamples, Math.max(bs, 256));
        setTraining(layers, true);
        for (const k of Object.keys(v)) logs[`val_${k}`] = v[k]!;
      }
      logs.lr = optimizer.lr;
      logs.time = (nowMs() - t0) / 1000;
      state.epoch += 1;
      // recorded first, so an epoch-end callback (a live plot, a checkpoint) already sees this epoch in the History
      history.record(epoch, logs);
      cbs.onEpochEnd(epoch, logs);
      progress.epochEnd(logs);
      if (state.stopTraining) break;
      yield 'epoch';
    }
  } finally {
    setTraining(layers, false);
    cbs.onTrainEnd(history.last());
  }
  return history;
}

/** What one optimizer step on a batch needs: the layers, the parameters it updates and the objective. */
export type StepPlan = Pick<FitPlan, 'layers' | 'params' | 'optimizer' | 'objective' | 'fused'>;

/**
 * One optimizer step on a batch: forward, loss, backward, update; returns the batch loss and the outputs (logits
 * on a fused path). With `nonFinite` (a message with a `{loss}` placeholder), a NaN or infinite loss is an error
 * before anything is updated. With `reuse`, the caller owns the gradients: the previous ones are kept there and
 * the backward may write the new ones into them (`BackwardOptions.gradientBuffers`), with the same values.
 */
export function trainStep(
  plan: StepPlan,
  xb: Tensor,
  yb: Tensor,
  nonFinite: string | null,
  reuse: Map<Variable, Tensor> | null = null,
): { loss: number; out: Tensor } {
  const { layers, params, optimizer, objective, fused } = plan;
  const { out, loss } = forwardLoss(layers, objective, fused, variable(xb), yb);
  const value = loss.item();
  checkLoss(value, nonFinite, '');
  for (const p of params) {
    if (reuse !== null && p.grad !== null) reuse.set(p, p.grad);
    p.grad = null;
  }
  loss.backward(reuse === null ? {} : { gradientBuffers: reuse });
  optimizer.step();
  return { loss: value, out: out.value };
}

/**
 * One optimizer step on one batch in training mode (Keras' `train_on_batch`), with the data cast to the
 * parameters' dtype; returns the batch loss and metrics, and leaves the layers in inference mode like `fit`.
 * The data must already be checked.
 */
export function trainOnBatch(plan: StepPlan, x: Tensor, y: Tensor): Record<string, number> {
  const { layers, objective, fused } = plan;
  const s = flatSamples(layers, objective.lossName, x, y);
  const [xb, yb] = batchTensors(s, s.xd, s.yd, s.n);
  setTraining(layers, true);
  try {
    const where = 'trainOnBatch: the loss became {loss}';
    const { loss, out } = plan.optimizer.perExample ? perExampleSteps(plan, xb, yb, where) : trainStep(plan, xb, yb, where);
    const logs: Record<string, number> = { loss };
    for (const m of objective.metrics) logs[m.key] = metricValue(m.spec, out, yb, fused, objective.lossName, objective.fromLogits);
    return logs;
  } finally {
    setTraining(layers, false); // as after fit
  }
}

/**
 * The 'iterative' optimizer: one update after every single example; returns the batch's mean loss and outputs.
 * `nonFinite` as in {@link trainStep}, the example named after it.
 */
function perExampleSteps(plan: StepPlan, xb: Tensor, yb: Tensor, nonFinite: string | null): { loss: number; out: Tensor } {
  const { layers, params, optimizer, objective, fused } = plan;
  const m = xb.shape[0]!;
  const k = layers[layers.length - 1]!.outputSize!;
  const out = allocate(xb.dtype, m * k);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const { out: o, loss } = forwardLoss(layers, objective, fused, variable(xb.slice([i, i + 1])), yb.slice([i, i + 1]));
    const l = loss.item();
    checkLoss(l, nonFinite, `, example ${i + 1} of the batch`);
    sum += l;
    for (const p of params) p.grad = null;
    loss.backward();
    optimizer.step();
    out.set(o.value.values(), i * k);
  }
  return { loss: sum / m, out: new Tensor(out, [m, k]) };
}

/** Refuses a NaN or infinite loss with the message `nonFinite` (its `{loss}` filled in, then `where`) unless it is null. */
function checkLoss(value: number, nonFinite: string | null, where: string): void {
  if (nonFinite !== null && !Number.isFinite(value)) {
    throw new ValueError(
      `${nonFinite.replace('{loss}', String(value))}${where}; lower the learning rate, check the data, or add a TerminateOnNaN callback`,
    );
  }
}

/** Runs the loop to the end synchronously; a callback that returns a Promise is an error here (use {@link runFitAsync}). */
export function runFit(run: Iterator<'batch' | 'epoch', History, undefined>, callbacks: CallbackList<unknown>): History {
  for (;;) {
    const r = run.next();
    if (callbacks.pending.length > 0) {
      for (const p of callbacks.pending.splice(0)) p.catch(() => undefined);
      run.return?.(undefined as never);
      throw new ValueError('fit: a callback returned a Promise; use `await model.fitAsync(...)` for asynchronous callbacks');
    }
    if (r.done) return r.value;
  }
}

/**
 * Runs the loop, yielding to the event loop between batches (at most every `yieldEveryMs`) and awaiting any
 * Promise a callback returned before the next batch runs (as TensorFlow.js awaits its callbacks).
 */
export async function runFitAsync(
  run: Iterator<'batch' | 'epoch', History, undefined>,
  callbacks: CallbackList<unknown>,
  yieldEveryMs: number,
): Promise<History> {
  let last = nowMs();
  for (;;) {
    const r = run.next();
    // a hook that returned a Promise holds the loop until it settles (a paused page, an asynchronous checkpoint)
    if (callbacks.pending.length > 0) {
      await Promise.all(callbacks.pending.splice(0));
      last = nowMs();
    }
    if (r.done) return r.value;
    if (r.value === 'epoch' || nowMs() - last >= yieldEveryMs) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      last = nowMs();
    }
  }
}
