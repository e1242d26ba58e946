import { ValueError } from '@tapegrad/tensor';

/** Logs passed to callbacks: `loss`, metrics, `val_*`, `lr`, `time` at epoch end; `batch`, `size`, `loss` at batch end. */
export type Logs = Record<string, number>;

/**
 * The hooks a training loop calls (Keras-style), for a model of type `M`. Any object with some of these
 * methods works; `setModel` is called first with the model being trained, which may set `model.stopTraining`.
 * A parameter's `.grad` seen in a hook is overwritten in place by the next step: `clone()` it to keep it.
 * {@link Callback} is this interface for a {@link Sequential} model.
 */
export interface TrainingCallback<M> {
  setModel?(model: M): void;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/**
 * Dispatches each hook to a list of callbacks, in order, after handing each the model (`setModel`);
 * Promises the hooks return are collected in `pending`.
 */
export class CallbackList<M> {
  readonly callbacks: TrainingCallback<M>[];
  /** Promises returned by hooks, awaited by `fitAsync` (and rejected by the synchronous `fit`). */
  readonly pending: Promise<unknown>[] = [];

  constructor(callbacks: TrainingCallback<M>[], model: M) {
    this.callbacks = callbacks;
    for (const cb of callbacks) {
      if (!cb || typeof cb !== 'object') {
        throw new ValueError(`fit: callbacks must be objects with onEpochEnd/onBatchEnd/… methods, got ${String(cb)}`);
      }
      cb.setModel?.(model);
    }
  }

  /** True when a callback of this class name is present. */
  has(className: string): boolean {
    return this.callbacks.some((c) => c.constructor?.name === className);
  }

  private track(r: void | Promise<void> | undefined): void {
    if (r && typeof (r as Promise<void>).then === 'function') this.pending.push(r as Promise<void>);
  }

  /** Calls every `onTrainBegin`. */
  onTrainBegin(logs: Logs): void {
    for (const c of this.callbacks) this.track(c.onTrainBegin?.(logs));
  }
  /** Calls every `onTrainEnd`. */
  onTrainEnd(logs: Logs): void {
    for (const c of this.callbacks) this.track(c.onTrainEnd?.(logs));
  }
  /** Calls every `onEpochBegin`. */
  onEpochBegin(epoch: number, logs: Logs): void {
    for (const c of this.callbacks) this.track(c.onEpochBegin?.(epoch, logs));
  }
  /** Calls every `onEpochEnd`. */
  onEpochEnd(epoch: number, logs: Logs): void {
    for (const c of this.callbacks) this.track(c.onEpochEnd?.(epoch, logs));
  }
  /** Calls every `onBatchBegin`. */
  onBatchBegin(batch: number, logs: Logs): void {
    for (const c of this.callbacks) this.track(c.onBatchBegin?.(batch, logs));
  }
  /** Calls every `onBatchEnd`. */
  onBatchEnd(batch: number, logs: Logs): void {
    for (const c of this.callbacks) this.track(c.onBatchEnd?.(batch, logs));
  }
}
