import { Tensor, ValueError, fmtValue } from '@tapegrad/tensor';
import { MAX_HYPERPARAMETER } from '../io/limits.js';
import type { Sequential } from '../model/sequential.js';
import type { Logs, TrainingCallback } from './callback-list.js';
import type { History } from './history.js';
import { checkBooleanOption, checkChoice, checkEpochCount, checkNumberOption, checkStringOption } from './option-checks.js';
import { plotHistory, type PlotOptions } from './plot.js';

/**
 * A training hook (Keras-style) for a {@link Sequential} model. Any object with some of these methods works as a
 * custom callback; `setModel` is called first with the model being trained, which may set `model.stopTraining`.
 */
export type Callback = TrainingCallback<Sequential>;

/** Base class for the built-in callbacks: keeps the model. */
export abstract class BaseCallback implements Callback {
  /** The model being trained (set by `fit`). */
  model: Sequential | null = null;

  /** Called by `fit` with the model being trained. */
  setModel(model: Sequential): void {
    this.model = model;
  }

  protected requireModel(): Sequential {
    if (!this.model) throw new ValueError(`${this.constructor.name}: used outside fit (no model set)`);
    return this.model;
  }
}

/** `'min'` for losses, `'max'` for accuracies, `'auto'` picks from the monitored name. */
export type MonitorMode = 'min' | 'max' | 'auto';

const MODES: readonly MonitorMode[] = ['auto', 'min', 'max'];

/** The checked `mode` option of `cls`, with `'auto'` resolved from the monitored name. */
function resolveMode(cls: string, option: unknown, monitor: string): 'min' | 'max' {
  const mode = checkChoice(cls, 'mode', option, 'auto', MODES);
  if (mode === 'min' || mode === 'max') return mode;
  return /acc|auc|precision|recall/.test(monitor) ? 'max' : 'min';
}

function monitored(cb: string, monitor: string, logs: Logs): number | null {
  const v = logs[monitor];
  if (v === undefined) {
    if (monitor.startsWith('val_')) {
      throw new ValueError(
        `${cb}: monitor '${monitor}' is not in the logs (${Object.keys(logs).join(', ')}); ` +
          `pass validationSplit or validationData to fit, or monitor 'loss'`,
      );
    }
    throw new ValueError(`${cb}: monitor '${monitor}' is not in the logs (${Object.keys(logs).join(', ')})`);
  }
  return Number.isNaN(v) ? null : v;
}

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  monitor?: string;
  /** Smallest change that counts as an improvement. */
  minDelta?: number;
  /** Epochs without improvement before stopping. */
  patience?: number;
  mode?: MonitorMode;
  /** Put the best epoch's weights back when training ends — however it ends (early stop, last epoch, error). */
  restoreBestWeights?: boolean;
  /** A value the monitor must beat (Keras): improvements that do not beat it do not reset the patience. */
  baseline?: number;
}

/** Stops training when the monitored value stops improving for `patience` epochs. */
export class EarlyStopping extends BaseCallback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly restoreBestWeights: boolean;
  readonly baseline: number | undefined;
  /** Best value seen, its epoch, and the epoch training stopped at (−1 when it ran to the end). */
  best = NaN;
  bestEpoch = -1;
  stoppedEpoch = -1;
  wait = 0;
  private bestWeights: Tensor[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    const cls = 'EarlyStopping';
    this.monitor = checkStringOption(cls, 'monitor', options.monitor, 'val_loss');
    this.minDelta = checkNumberOption(cls, 'minDelta', options.minDelta, 0, { min: 0 });
    this.patience = checkEpochCount(cls, 'patience', options.patience, 0);
    this.mode = resolveMode(cls, options.mode, this.monitor);
    this.restoreBestWeights = checkBooleanOption(cls, 'restoreBestWeights', options.restoreBestWeights, false);
    this.baseline = options.baseline === undefined ? undefined : checkNumberOption(cls, 'baseline', options.baseline, 0);
  }

  onTrainBegin(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.bestWeights = null;
  }

  private improves(v: number, on: number): boolean {
    return this.mode === 'min' ? v < on - this.minDelta : v > on + this.minDelta;
  }

  /**
   * Keras 3's rule: the first epoch's weights are the best until a value improves on the best so far (NaN never does);
   * an improvement resets the patience only if it also beats the `baseline`.
   */
  onEpochEnd(epoch: number, logs: Logs): void {
    const model = this.requireModel();
    const v = monitored('EarlyStopping', this.monitor, logs);
    if (this.restoreBestWeights && this.bestWeights === null) {
      this.bestWeights = model.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait++;
    if (v !== null && this.improves(v, this.best)) {
      this.best = v;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights();
      if (this.baseline === undefined || this.improves(v, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights && this.model) this.model.setWeights(this.bestWeights);
  }
}

/** What {@link ModelCheckpoint} hands its save function. */
export interface CheckpointInfo {
  epoch: number;
  logs: Logs;
  /** The monitored value (NaN when saving every epoch without a monitor). */
  value: number;
}

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Called with the model to persist it — e.g. `(m) => save(m, 'best.json')` from `@tapegrad/nn/node`; the core stays browser-safe. */
  save: (model: Sequential, info: CheckpointInfo) => void;
  monitor?: string;
  mode?: MonitorMode;
  /** Save only when the monitored value improves (default true). */
  saveBestOnly?: boolean;
}

/**
 * Saves the model (through an injected save function) at the end of an epoch, by default only when it improves on the
 * best value this checkpoint has seen — across `fit` calls too, as in Keras, so a later, worse run does not overwrite it.
 */
export class ModelCheckpoint extends BaseCallback {
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly saveBestOnly: boolean;
  best: number;
  /** Epochs at which the model was saved. */
  readonly savedEpochs: number[] = [];
  private readonly saveFn: ModelCheckpointOptions['save'];

  constructor(options: ModelCheckpointOptions) {
    super();
    if (!options || typeof options.save !== 'function') {
      throw new ValueError('ModelCheckpoint: options.save must be a function (model, info) => void');
    }
    this.saveFn = options.save;
    this.monitor = checkStringOption('ModelCheckpoint', 'monitor', options.monitor, 'val_loss');
    this.mode = resolveMode('ModelCheckpoint', options.mode, this.monitor);
    this.saveBestOnly = checkBooleanOption('ModelCheckpoint', 'saveBestOnly', options.saveBestOnly, true);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const model = this.requireModel();
    if (!this.saveBestOnly) {
      this.savedEpochs.push(epoch);
      this.saveFn(model, { epoch, logs, value: logs[this.monitor] ?? NaN });
      return;
    }
    const v = monitored('ModelCheckpoint', this.monitor, logs);
    if (v === null) return;
    if (this.mode === 'min' ? v < this.best : v > this.best) {
      this.best = v;
      this.savedEpochs.push(epoch);
      this.saveFn(model, { epoch, logs, value: v });
    }
  }
}

/** An LR schedule object from `@tapegrad/optim` (StepLR, CosineAnnealingLR, …): stepped once per epoch. */
export interface EpochSchedule {
  step(metric?: number): void;
  getLr(): number;
}

/** Sets the learning rate at the start of each epoch from `schedule(epoch, lr)`, or steps an optim schedule at each epoch end. */
export class LearningRateScheduler extends BaseCallback {
  private readonly schedule: ((epoch: number, lr: number) => number) | EpochSchedule;

  constructor(schedule: ((epoch: number, lr: number) => number) | EpochSchedule) {
    super();
    if (typeof schedule !== 'function' && (typeof schedule !== 'object' || typeof schedule.step !== 'function')) {
      throw new ValueError('LearningRateScheduler: expected a function (epoch, lr) => lr or a schedule with step()');
    }
    this.schedule = schedule;
  }

  onEpochBegin(epoch: number): void {
    if (typeof this.schedule !== 'function') return;
    const opt = this.requireModel().optimizer;
    if (!opt) return;
    opt.lr = checkScheduledLr(this.schedule(epoch, opt.lr), epoch);
  }

  onEpochEnd(epoch: number): void {
    if (typeof this.schedule === 'function') return;
    this.schedule.step();
    const opt = this.requireModel().optimizer;
    if (opt) opt.lr = checkScheduledLr(this.schedule.getLr(), epoch + 1);
  }
}

/** A scheduled learning rate: a finite number in [0, MAX_HYPERPARAMETER], the range a model file stores. */
function checkScheduledLr(lr: unknown, epoch: number): number {
  if (typeof lr !== 'number' || !(lr >= 0 && lr <= MAX_HYPERPARAMETER)) {
    throw new ValueError(
      `LearningRateScheduler: schedule returned ${fmtValue(lr)} at epoch ${epoch}; ` +
        `expected a finite number in [0, ${MAX_HYPERPARAMETER}] (the range a model file stores)`,
    );
  }
  return lr;
}

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  monitor?: string;
  /** Multiply the learning rate by this (< 1). */
  factor?: number;
  patience?: number;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
  mode?: MonitorMode;
}

/** Multiplies the learning rate by `factor` after `patience` epochs without improvement (Keras semantics). */
export class ReduceLROnPlateau extends BaseCallback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly mode: 'min' | 'max';
  best: number;
  wait = 0;
  private cooldownLeft = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    const cls = 'ReduceLROnPlateau';
    this.monitor = checkStringOption(cls, 'monitor', options.monitor, 'val_loss');
    this.factor = checkNumberOption(cls, 'factor', options.factor, 0.1, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    this.patience = checkEpochCount(cls, 'patience', options.patience, 10);
    this.minDelta = checkNumberOption(cls, 'minDelta', options.minDelta, 1e-4, { min: 0 });
    this.cooldown = checkEpochCount(cls, 'cooldown', options.cooldown, 0);
    this.minLr = checkNumberOption(cls, 'minLr', options.minLr, 0, { min: 0, max: MAX_HYPERPARAMETER });
    this.mode = resolveMode(cls, options.mode, this.monitor);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  onTrainBegin(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.wait = 0;
    this.cooldownLeft = 0;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const opt = this.requireModel().optimizer;
    const v = monitored('ReduceLROnPlateau', this.monitor, logs);
    if (!opt || v === null) return;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    if (this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta) {
      this.best = v;
      this.wait = 0;
    } else if (this.cooldownLeft === 0) {
      this.wait++;
      if (this.wait >= this.patience) {
        const lr = Math.max(opt.lr * this.factor, this.minLr);
        // from the next epoch on; this epoch's logs (and History) keep the rate it trained with, as in Keras
        if (lr < opt.lr) opt.lr = lr;
        this.cooldownLeft = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

/** Stops training cleanly at the first batch whose loss is NaN or infinite (without it, `fit` throws instead). */
export class TerminateOnNaN extends BaseCallback {
  /** `[epoch, batch]` where the loss went non-finite, or null. */
  terminatedAt: [number, number] | null = null;
  private epoch = 0;

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.terminatedAt = [this.epoch, batch];
      this.requireModel().stopTraining = true;
    }
  }
}

/** Options of the loggers. */
export interface LoggerOptions {
  /** Called with the full text at the end of training (e.g. to write a file from Node). */
  write?: (text: string) => void;
}

/** Base of the loggers: collects one row per epoch in memory and hands `toString()` to `write` at the end of training. */
export abstract class EpochLogger extends BaseCallback {
  readonly rows: (Logs & { epoch: number })[] = [];
  private readonly writeFn: ((text: string) => void) | undefined;

  constructor(options: LoggerOptions = {}) {
    super();
    this.writeFn = options.write;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    this.rows.push({ epoch, ...logs });
  }

  onTrainEnd(): void {
    this.writeFn?.(this.toString());
  }

  /** The collected rows as text (the format of the subclass). */
  abstract override toString(): string;
}

/** Collects one row per epoch in memory; `toString()` is CSV (`epoch,loss,accuracy,…`). */
export class CSVLogger extends EpochLogger {
  /** The rows as CSV with a header, columns in first-seen order. */
  override toString(): string {
    const cols: string[] = [];
    for (const r of this.rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
    const lines = [cols.join(',')];
    for (const r of this.rows) lines.push(cols.map((c) => (r[c] === undefined ? '' : String(r[c]))).join(','));
    return `${lines.join('\n')}\n`;
  }
}

/** Collects one object per epoch in memory; `toString()` is a JSON array (non-finite numbers as null). */
export class JSONLogger extends EpochLogger {
  /** The rows as a JSON array. */
  override toString(): string {
    return JSON.stringify(this.rows);
  }
}

/** A callback from plain functions: `new LambdaCallback({ onEpochEnd: (e, logs) => … })`. */
export class LambdaCallback extends BaseCallback {
  constructor(hooks: Omit<Callback, 'setModel'>) {
    super();
    Object.assign(this, hooks);
  }
}

/**
 * Redraws the training curves at the end of every epoch: calls `draw(svg, history)` with {@link plotHistory} of
 * the History so far — which already holds the epoch just finished, so the plot never lags. For a page:
 * @example model.fit(x, y, { callbacks: [new LivePlot((svg) => (chart.innerHTML = svg))] })
 */
export class LivePlot extends BaseCallback {
  constructor(
    private readonly draw: (svg: string, history: History) => void | Promise<void>,
    private readonly options: PlotOptions = {},
  ) {
    super();
    if (typeof draw !== 'function') throw new ValueError(`LivePlot: expected a function (svg, history) => void, got ${typeof draw}`);
  }

  /** Draws the curves of every epoch recorded so far. */
  onEpochEnd(): void | Promise<void> {
    const history = this.requireModel().history;
    if (history) return this.draw(plotHistory(history, this.options), history);
  }
}
