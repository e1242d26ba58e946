import { ValueError } from '@tapegrad/tensor';
import { checkRange, decodeNumber, encodeNumber, type JsonNumber, type Optimizer } from './optimizer.js';

/** The JSON-serialisable state of a schedule. */
export interface ScheduleState {
  name: string;
  epoch: number;
  baseLr: number;
  [key: string]: unknown;
}

/**
 * A learning-rate schedule (PyTorch semantics): construction records the optimizer's lr as `baseLr` and
 * sets the lr for epoch 0; each `step()` advances one epoch and writes the new lr into the optimizer.
 */
export abstract class LRSchedule {
  abstract readonly name: string;
  readonly optimizer: Optimizer;
  baseLr: number;
  /** Number of `step()` calls so far. */
  epoch = 0;

  constructor(optimizer: Optimizer) {
    this.optimizer = optimizer;
    this.baseLr = optimizer.lr;
  }

  /** The learning rate for the current epoch (closed form). */
  abstract getLr(): number;

  /** Advances one epoch and updates the optimizer's lr (`metric` is used only by {@link PlateauLR}). */
  step(_metric?: number): void {
    this.epoch++;
    this.optimizer.lr = this.getLr();
  }

  /** A JSON-serialisable snapshot. */
  state(): ScheduleState {
    return { name: this.name, epoch: this.epoch, baseLr: this.baseLr };
  }

  /** Restores a snapshot made by {@link state}. */
  loadState(s: ScheduleState): void {
    if (!s || s.name !== this.name) {
      throw new ValueError(`${this.name}.loadState: state is for '${s?.name}'; expected '${this.name}'`);
    }
    this.epoch = s.epoch;
    this.baseLr = s.baseLr;
  }
}

/** lr = baseLr·γ^⌊epoch / stepSize⌋ (γ defaults to 0.1). */
export class StepLR extends LRSchedule {
  readonly name = 'StepLR';
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    this.stepSize = opts.stepSize;
    if (!Number.isInteger(this.stepSize) || this.stepSize < 1) {
      throw new ValueError(`StepLR: invalid stepSize ${this.stepSize}; expected an integer >= 1`);
    }
    this.gamma = checkRange('StepLR', 'gamma', opts.gamma ?? 0.1, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    return this.baseLr * this.gamma ** Math.floor(this.epoch / this.stepSize);
  }
}

/** lr = baseLr·γ^(number of milestones ≤ epoch). */
export class MultiStepLR extends LRSchedule {
  readonly name = 'MultiStepLR';
  readonly milestones: number[];
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: { milestones: number[]; gamma?: number }) {
    super(optimizer);
    this.milestones = [...opts.milestones].sort((a, b) => a - b);
    this.gamma = checkRange('MultiStepLR', 'gamma', opts.gamma ?? 0.1, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    let k = 0;
    for (const m of this.milestones) if (m <= this.epoch) k++;
    return this.baseLr * this.gamma ** k;
  }
}

/** lr = baseLr·γ^epoch. */
export class ExponentialLR extends LRSchedule {
  readonly name = 'ExponentialLR';
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: { gamma: number }) {
    super(optimizer);
    this.gamma = checkRange('ExponentialLR', 'gamma', opts.gamma, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    return this.baseLr * this.gamma ** this.epoch;
  }
}

/** lr = ηmin + (baseLr − ηmin)·(1 + cos(π·epoch/T))/2 (PyTorch's closed form, T = tMax). */
export class CosineAnnealingLR extends LRSchedule {
  readonly name = 'CosineAnnealingLR';
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer, opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    if (!(this.tMax > 0)) throw new ValueError(`CosineAnnealingLR: invalid tMax ${this.tMax}; expected > 0`);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * this.epoch) / this.tMax))) / 2;
  }
}

/**
 * Linear warm-up (PyTorch's LinearLR): lr = baseLr·(s + (e − s)·min(epoch, W)/W) with start factor s
 * (default 1/3), end factor e (default 1) and W = warmupSteps (default 5).
 */
export class LinearWarmup extends LRSchedule {
  readonly name = 'LinearWarmup';
  readonly warmupSteps: number;
  readonly startFactor: number;
  readonly endFactor: number;

  constructor(optimizer: Optimizer, opts: { warmupSteps?: number; startFactor?: number; endFactor?: number } = {}) {
    super(optimizer);
    this.warmupSteps = opts.warmupSteps ?? 5;
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 1) {
      throw new ValueError(`LinearWarmup: invalid warmupSteps ${this.warmupSteps}; expected an integer >= 1`);
    }
    if (!(this.startFactor > 0 && this.startFactor <= 1)) {
      throw new ValueError(`LinearWarmup: invalid startFactor ${this.startFactor}; expected a number in (0, 1]`);
    }
    checkRange('LinearWarmup', 'endFactor', this.endFactor, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    const w = this.warmupSteps;
    return this.baseLr * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.epoch, w)) / w);
  }
}

/** lr = baseLr·f(epoch) for a user function f (the function itself is not part of the state). */
export class LambdaLR extends LRSchedule {
  readonly name = 'LambdaLR';
  readonly lrLambda: (epoch: number) => number;

  constructor(optimizer: Optimizer, opts: { lrLambda: (epoch: number) => number }) {
    super(optimizer);
    if (typeof opts?.lrLambda !== 'function') {
      throw new ValueError(`LambdaLR: got lrLambda of type ${typeof opts?.lrLambda}; expected a function of the epoch`);
    }
    this.lrLambda = opts.lrLambda;
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    return this.baseLr * this.lrLambda(this.epoch);
  }
}

/** Options of {@link PlateauLR} (PyTorch names and defaults). */
export interface PlateauLROptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

/**
 * Multiplies lr by `factor` (0.1) once the metric has not improved for more than `patience` (10) epochs;
 * "improved" means below best·(1 − threshold) (mode 'min', 'rel'; threshold 1e-4), then waits `cooldown`
 * epochs; lr never goes below `minLr`, and changes smaller than `eps` are skipped: PyTorch's `ReduceLROnPlateau`
 * (`@tapegrad/nn`'s `ReduceLROnPlateau` is the Keras callback).
 */
export class PlateauLR extends LRSchedule {
  readonly name = 'PlateauLR';
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(optimizer: Optimizer, opts: PlateauLROptions = {}) {
    super(optimizer);
    this.mode = opts.mode ?? 'min';
    this.factor = opts.factor ?? 0.1;
    this.patience = opts.patience ?? 10;
    this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    this.cooldown = opts.cooldown ?? 0;
    this.minLr = opts.minLr ?? 0;
    this.eps = opts.eps ?? 1e-8;
    if (this.mode !== 'min' && this.mode !== 'max') {
      throw new ValueError(`PlateauLR: unknown mode '${String(this.mode)}'; expected 'min' or 'max'`);
    }
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new ValueError(`PlateauLR: unknown thresholdMode '${String(this.thresholdMode)}'; expected 'rel' or 'abs'`);
    }
    if (!(this.factor >= 0 && this.factor < 1)) {
      throw new ValueError(`PlateauLR: invalid factor ${this.factor}; expected a number in [0, 1)`);
    }
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** The optimizer's current lr (this schedule changes it only on plateaus). */
  getLr(): number {
    return this.optimizer.lr;
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records one epoch's metric and reduces lr after a plateau. */
  override step(metric?: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) {
      throw new ValueError(`PlateauLR.step: got metric ${String(metric)}; expected a number (e.g. the validation loss)`);
    }
    this.epoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const old = this.optimizer.lr;
      const next = Math.max(old * this.factor, this.minLr);
      if (old - next > this.eps) this.optimizer.lr = next;
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  override state(): ScheduleState {
    return { ...super.state(), best: encodeNumber(this.best), numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }

  override loadState(s: ScheduleState): void {
    super.loadState(s);
    this.best = decodeNumber(s['best'] as JsonNumber);
    this.numBadEpochs = s['numBadEpochs'] as number;
    this.cooldownCounter = s['cooldownCounter'] as number;
  }
}
