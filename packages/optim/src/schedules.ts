import { ValueError, fmtValue } from '@tapegrad/tensor';
import { checkCount, checkOptionKeys, checkOptionsObject } from './checks.js';
import { Optimizer, checkRange, decodeNumber, encodeNumber, type JsonNumber } from './optimizer.js';

/** The JSON-serialisable state of a schedule. */
export interface ScheduleState {
  name: string;
  epoch: number;
  baseLr: number;
  [key: string]: unknown;
}

/**
 * The checked options object of schedule `fn`: an object (undefined only when nothing is `required`) whose keys are
 * all in `takes`, each `required` key (mapped to what it expects) present and not null.
 */
function scheduleOptions(fn: string, opts: unknown, takes: readonly string[], required: Readonly<Record<string, string>> = {}) {
  const needed = Object.keys(required);
  if (opts === undefined && needed.length > 0) {
    const wants = needed.map((k) => `${k} (${required[k]})`).join(', ');
    throw new ValueError(`${fn}: got options undefined; expected an object with ${wants} (${fn} takes ${takes.join(', ')})`);
  }
  const o = checkOptionsObject(fn, opts as Record<string, unknown> | undefined);
  if (o.name !== undefined) throw new ValueError(`${fn}: unknown option 'name'; ${fn} takes ${takes.join(', ')}`);
  checkOptionKeys(fn, o, takes, []);
  for (const k of needed) {
    if (o[k] === undefined || o[k] === null) {
      throw new ValueError(`${fn}: option ${k} is missing (got ${fmtValue(o[k])}); expected ${required[k]}`);
    }
  }
  return o;
}

/** `v` if it is an integer (a number) >= `min`, else a ValueError naming `fn` and `what`. */
function checkInteger(fn: string, what: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ValueError(`${fn}: invalid ${what} ${fmtValue(v)}; expected an integer >= ${min}`);
  }
  return v;
}

/** `v` if it is a finite number > 0, else a ValueError naming `fn` and `what`. */
function checkPositive(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
    throw new ValueError(`${fn}: invalid ${what} ${fmtValue(v)}; expected a finite number > 0`);
  }
  return v;
}

/** The epoch and baseLr of a snapshot `s` for schedule `name`, checked (nothing is changed here). */
function readState(fn: string, name: string, s: unknown): { state: Record<string, unknown>; epoch: number; baseLr: number } {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) {
    throw new ValueError(`${fn}: got ${fmtValue(s)}; expected an object from state() ({ name, epoch, baseLr })`);
  }
  const state = s as Record<string, unknown>;
  if (state['name'] !== name) {
    const got = typeof state['name'] === 'string' ? `'${state['name']}'` : fmtValue(state['name']);
    throw new ValueError(`${fn}: state is for ${got}; expected '${name}'`);
  }
  const epoch = checkCount(fn, 'epoch', state['epoch']);
  const baseLr = checkRange(fn, 'baseLr', state['baseLr'] as number, 0);
  return { state, epoch, baseLr };
}

/** An Optimizer, or an object with a number `lr` and a `step` method (an optimizer from another copy of this package). */
function isOptimizer(v: unknown): v is Optimizer {
  if (v instanceof Optimizer) return true;
  const o = v as { lr?: unknown; step?: unknown } | null;
  return typeof o === 'object' && o !== null && typeof o.lr === 'number' && typeof o.step === 'function';
}

/**
 * A learning-rate schedule (PyTorch semantics): construction records the optimizer's lr as `baseLr` and
 * sets the lr for epoch 0; each `step()` advances one epoch and writes the new lr into the optimizer.
 * `optimizer` must be an {@link Optimizer} (or an object with a number `lr` and a `step` method) whose lr is a finite
 * number >= 0. Options are refused when unknown (PyTorch spellings such as `step_size` name the tapegrad option), when
 * `options` is not an object, and when a required option is missing; a schedule that fails leaves the lr unchanged.
 */
export abstract class LRSchedule {
  abstract readonly name: string;
  readonly optimizer: Optimizer;
  baseLr: number;
  /** Number of `step()` calls so far. */
  epoch = 0;

  constructor(optimizer: Optimizer) {
    const fn = new.target.name;
    if (!isOptimizer(optimizer)) {
      throw new ValueError(`${fn}: got optimizer ${fmtValue(optimizer)}; expected an Optimizer (such as SGD or Adam) whose lr to schedule`);
    }
    this.optimizer = optimizer;
    this.baseLr = checkRange(fn, 'optimizer.lr', optimizer.lr, 0);
  }

  /** The learning rate for the current epoch (closed form). */
  abstract getLr(): number;

  /**
   * Advances one epoch and updates the optimizer's lr (`metric` is used only by {@link PlateauLR}). A learning rate
   * that would not be a finite number >= 0 (an overflow) is refused, the epoch and lr left as they were.
   */
  step(_metric?: number): void {
    this.epoch++;
    let lr: number;
    try {
      lr = this.getLr();
      if (!(lr >= 0 && lr <= Number.MAX_VALUE)) {
        throw new ValueError(
          `${this.name}.step: the learning rate for epoch ${this.epoch} is ${fmtValue(lr)}; expected a finite number >= 0`,
        );
      }
    } catch (e) {
      this.epoch--;
      throw e;
    }
    this.optimizer.lr = lr;
  }

  /** A JSON-serialisable snapshot. */
  state(): ScheduleState {
    return { name: this.name, epoch: this.epoch, baseLr: this.baseLr };
  }

  /**
   * Restores a snapshot made by {@link state}: an object naming this schedule, with `epoch` a non-negative integer and
   * `baseLr` a finite number >= 0. Every field is checked before anything changes (the optimizer's lr is left alone).
   */
  loadState(s: ScheduleState): void {
    const { epoch, baseLr } = readState(`${this.name}.loadState`, this.name, s);
    this.epoch = epoch;
    this.baseLr = baseLr;
  }
}

/**
 * lr = baseLr·γ^⌊epoch / stepSize⌋. Options: `stepSize` (required) an integer >= 1; `gamma` a finite number >= 0
 * (default 0.1).
 */
export class StepLR extends LRSchedule {
  readonly name = 'StepLR';
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    const o = scheduleOptions('StepLR', opts, ['stepSize', 'gamma'], { stepSize: 'an integer >= 1' });
    this.stepSize = checkInteger('StepLR', 'stepSize', o['stepSize'], 1);
    this.gamma = checkRange('StepLR', 'gamma', (o['gamma'] ?? 0.1) as number, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    return this.baseLr * this.gamma ** Math.floor(this.epoch / this.stepSize);
  }
}

/**
 * lr = baseLr·γ^(number of milestones ≤ epoch). Options: `milestones` (required) an array of non-negative integers
 * (epochs, any order; a repeated milestone counts once per occurrence, as in PyTorch); `gamma` a finite number >= 0
 * (default 0.1).
 */
export class MultiStepLR extends LRSchedule {
  readonly name = 'MultiStepLR';
  readonly milestones: number[];
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: { milestones: number[]; gamma?: number }) {
    super(optimizer);
    const fn = 'MultiStepLR';
    const o = scheduleOptions(fn, opts, ['milestones', 'gamma'], { milestones: 'an array of non-negative integers (epochs)' });
    const ms = o['milestones'];
    const iterable =
      typeof ms === 'object' && ms !== null && typeof (ms as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
    if (!iterable) throw new ValueError(`${fn}: invalid milestones ${fmtValue(ms)}; expected an array of non-negative integers (epochs)`);
    const list: unknown[] = [...(ms as Iterable<unknown>)];
    list.forEach((m, i) => {
      if (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 0) {
        throw new ValueError(`${fn}: milestones[${i}] is ${fmtValue(m)}; expected a non-negative integer (an epoch)`);
      }
    });
    this.milestones = (list as number[]).sort((a, b) => a - b);
    this.gamma = checkRange(fn, 'gamma', (o['gamma'] ?? 0.1) as number, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    let k = 0;
    for (const m of this.milestones) if (m <= this.epoch) k++;
    return this.baseLr * this.gamma ** k;
  }
}

/** lr = baseLr·γ^epoch. Options: `gamma` (required) a finite number >= 0. */
export class ExponentialLR extends LRSchedule {
  readonly name = 'ExponentialLR';
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: { gamma: number }) {
    super(optimizer);
    const o = scheduleOptions('ExponentialLR', opts, ['gamma'], { gamma: 'a finite number >= 0' });
    this.gamma = checkRange('ExponentialLR', 'gamma', o['gamma'] as number, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    return this.baseLr * this.gamma ** this.epoch;
  }
}

/**
 * lr = ηmin + (baseLr − ηmin)·(1 + cos(π·epoch/T))/2 (PyTorch's closed form, T = tMax). Options: `tMax` (required)
 * a finite number > 0 (epochs of a half cosine, usually an integer); `etaMin` a finite number >= 0 (default 0).
 */
export class CosineAnnealingLR extends LRSchedule {
  readonly name = 'CosineAnnealingLR';
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer, opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
    const fn = 'CosineAnnealingLR';
    const o = scheduleOptions(fn, opts, ['tMax', 'etaMin'], { tMax: 'a finite number > 0 (epochs)' });
    this.tMax = checkPositive(fn, 'tMax', o['tMax']);
    this.etaMin = checkRange(fn, 'etaMin', (o['etaMin'] ?? 0) as number, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * this.epoch) / this.tMax))) / 2;
  }
}

/**
 * Linear warm-up (PyTorch's LinearLR): lr = baseLr·(s + (e − s)·min(epoch, W)/W). Options (all optional):
 * `warmupSteps` W an integer >= 1 (default 5); `startFactor` s a number in (0, 1] (default 1/3); `endFactor` e a
 * finite number >= 0 (default 1).
 */
export class LinearWarmup extends LRSchedule {
  readonly name = 'LinearWarmup';
  readonly warmupSteps: number;
  readonly startFactor: number;
  readonly endFactor: number;

  constructor(optimizer: Optimizer, opts: { warmupSteps?: number; startFactor?: number; endFactor?: number } = {}) {
    super(optimizer);
    const fn = 'LinearWarmup';
    const o = scheduleOptions(fn, opts, ['warmupSteps', 'startFactor', 'endFactor']);
    this.warmupSteps = checkInteger(fn, 'warmupSteps', o['warmupSteps'] ?? 5, 1);
    const s = o['startFactor'] ?? 1 / 3;
    if (typeof s !== 'number' || !(s > 0 && s <= 1)) {
      throw new ValueError(`${fn}: invalid startFactor ${fmtValue(s)}; expected a number in (0, 1]`);
    }
    this.startFactor = s;
    this.endFactor = checkRange(fn, 'endFactor', (o['endFactor'] ?? 1) as number, 0);
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    const w = this.warmupSteps;
    return this.baseLr * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.epoch, w)) / w);
  }
}

/**
 * lr = baseLr·f(epoch) for a user function f (the function itself is not part of the state). Options: `lrLambda`
 * (required) a function of the epoch returning a finite number >= 0; any other result is refused (at construction,
 * `step()` or `getLr()`), the lr left as it was.
 */
export class LambdaLR extends LRSchedule {
  readonly name = 'LambdaLR';
  readonly lrLambda: (epoch: number) => number;

  constructor(optimizer: Optimizer, opts: { lrLambda: (epoch: number) => number }) {
    super(optimizer);
    const o = scheduleOptions('LambdaLR', opts, ['lrLambda'], { lrLambda: 'a function of the epoch' });
    if (typeof o['lrLambda'] !== 'function') {
      throw new ValueError(`LambdaLR: got lrLambda of type ${typeof o['lrLambda']}; expected a function of the epoch`);
    }
    this.lrLambda = o['lrLambda'] as (epoch: number) => number;
    optimizer.lr = this.getLr();
  }

  getLr(): number {
    const f: unknown = this.lrLambda(this.epoch);
    if (typeof f !== 'number' || !(f >= 0 && f <= Number.MAX_VALUE)) {
      throw new ValueError(
        `LambdaLR: lrLambda(${this.epoch}) returned ${fmtValue(f)}; expected a finite number >= 0 (the factor of baseLr)`,
      );
    }
    const lr = this.baseLr * f;
    if (lr === Infinity) {
      throw new ValueError(`LambdaLR: lrLambda(${this.epoch}) returned ${f}, and baseLr ${this.baseLr} times it overflows to Infinity`);
    }
    return lr;
  }
}

/** Options of {@link PlateauLR} (PyTorch names and defaults). */
export interface PlateauLROptions {
  /** `'min'` (default: a loss) or `'max'` (an accuracy). */
  mode?: 'min' | 'max';
  /** A finite number in [0, 1) (default 0.1). */
  factor?: number;
  /** A non-negative integer (default 10). */
  patience?: number;
  /** A finite number >= 0 (default 1e-4). */
  threshold?: number;
  /** `'rel'` (default) or `'abs'`. */
  thresholdMode?: 'rel' | 'abs';
  /** A non-negative integer (default 0). */
  cooldown?: number;
  /** A finite number >= 0 (default 0). */
  minLr?: number;
  /** A finite number >= 0 (default 1e-8). */
  eps?: number;
}

const PLATEAU_OPTIONS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'];

/**
 * Multiplies lr by `factor` (0.1) once the metric has not improved for more than `patience` (10) epochs;
 * "improved" means below best·(1 − threshold) (mode 'min', 'rel'; threshold 1e-4), then waits `cooldown`
 * epochs; lr never goes below `minLr`, and changes smaller than `eps` are skipped: PyTorch's `ReduceLROnPlateau`
 * (`@tapegrad/nn`'s `ReduceLROnPlateau` is the Keras callback). Accepted values: see {@link PlateauLROptions};
 * `step(metric)` takes a number that is not NaN.
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
    const fn = 'PlateauLR';
    const o = scheduleOptions(fn, opts, PLATEAU_OPTIONS) as PlateauLROptions;
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new ValueError(`${fn}: unknown mode ${fmtValue(mode)}; expected 'min' or 'max'`);
    this.mode = mode;
    this.factor = checkRange(fn, 'factor', o.factor ?? 0.1, 0, 1);
    this.patience = checkCount(fn, 'patience', o.patience ?? 10);
    this.threshold = checkRange(fn, 'threshold', o.threshold ?? 1e-4, 0);
    const thresholdMode = o.thresholdMode ?? 'rel';
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new ValueError(`${fn}: unknown thresholdMode ${fmtValue(thresholdMode)}; expected 'rel' or 'abs'`);
    }
    this.thresholdMode = thresholdMode;
    this.cooldown = checkCount(fn, 'cooldown', o.cooldown ?? 0);
    this.minLr = checkRange(fn, 'minLr', o.minLr ?? 0, 0);
    this.eps = checkRange(fn, 'eps', o.eps ?? 1e-8, 0);
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
      throw new ValueError(`PlateauLR.step: got metric ${fmtValue(metric)}; expected a number (e.g. the validation loss)`);
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

  /**
   * Restores a snapshot made by {@link state}: `epoch` and `baseLr` as {@link LRSchedule.loadState} checks them, `best` a
   * number or `'Infinity'`/`'-Infinity'` (not NaN), `numBadEpochs` and `cooldownCounter` non-negative integers. Every
   * field is checked before anything changes.
   */
  override loadState(s: ScheduleState): void {
    const fn = 'PlateauLR.loadState';
    const { state, epoch, baseLr } = readState(fn, this.name, s);
    const b = state['best'];
    if (!(typeof b === 'number' ? !Number.isNaN(b) : b === 'Infinity' || b === '-Infinity')) {
      throw new ValueError(`${fn}: invalid best ${fmtValue(b)}; expected a number (or 'Infinity' / '-Infinity' as state() writes them)`);
    }
    const numBadEpochs = checkCount(fn, 'numBadEpochs', state['numBadEpochs']);
    const cooldownCounter = checkCount(fn, 'cooldownCounter', state['cooldownCounter']);
    this.epoch = epoch;
    this.baseLr = baseLr;
    this.best = decodeNumber(b as JsonNumber);
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
  }
}
