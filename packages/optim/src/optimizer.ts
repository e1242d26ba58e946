import { DTypeError, ShapeError, Tensor, ValueError, fmtShape, fmtValue, shapesEqual } from '@tapegrad/tensor';
import { kernelStateArrays } from '@tapegrad/tensor/backend';
import { checkBoolean, checkCount, checkOptionKeys, checkOptionsObject, checkParams, isPlainObject } from './checks.js';

/** Anything with a value and a gradient; `@tapegrad/autograd`'s `Variable` satisfies it structurally. */
export interface Parameter {
  value: Tensor;
  grad: Tensor | null;
  name?: string;
}

/** Whose update rules and defaults an optimizer reproduces: PyTorch's (default) or Keras 3's. */
export type Flavor = 'pytorch' | 'keras';

/** The float storage of optimizer state: the parameter's own dtype. */
export type FloatArray = Float32Array | Float64Array;

/** Options every optimizer accepts. */
export interface OptimizerOptions {
  /** Learning rate (step size). */
  lr?: number;
  /** Weight decay: L2 added to the gradient (PyTorch), decoupled `x ← x − lr·wd·x` (AdamW and the Keras flavour). */
  weightDecay?: number;
  /** Ascend instead of descend (negates the gradient first). */
  maximize?: boolean;
  /** `'pytorch'` (default) or `'keras'`: which framework's update rule and defaults to reproduce. */
  flavor?: Flavor;
  /** Keras: rescale each parameter's gradient so its L2 norm is at most this. */
  clipNorm?: number;
  /** Keras: rescale all gradients together so their global L2 norm is at most this. */
  globalClipNorm?: number;
  /** Keras: clamp every gradient element to [−clipValue, clipValue]. */
  clipValue?: number;
}

/** Per-parameter state: its own step count, buffers (dtype of the parameter) and scalars. */
export interface ParamSlot {
  step: number;
  buffers: Record<string, FloatArray>;
  scalars: Record<string, number>;
}

/** A number that survives JSON (non-finite values are written as strings). */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** The JSON-serialisable snapshot returned by {@link Optimizer.state}. */
export interface OptimizerState {
  name: string;
  flavor: Flavor;
  lr: number;
  iterations: number;
  config: Record<string, unknown>;
  slots: ({
    step: number;
    scalars: Record<string, JsonNumber>;
    buffers: Record<string, { dtype: 'float32' | 'float64'; data: JsonNumber[] }>;
  } | null)[];
}

/** Encodes a number for JSON without losing NaN or infinities. */
export function encodeNumber(v: number): JsonNumber {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Inverse of {@link encodeNumber}. */
export function decodeNumber(v: JsonNumber): number {
  return typeof v === 'number' ? v : Number(v);
}

/**
 * Returns `v` if it is a finite number ≥ `min` and below `max` (at most `max` when `maxInclusive`), else
 * throws a ValueError naming `fn`, `what`, the value and the range.
 */
export function checkRange(fn: string, what: string, v: number, min: number, max?: number, maxInclusive = false): number {
  const above = max !== undefined && (maxInclusive ? v > max : v >= max);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || above) {
    const range = max === undefined ? `>= ${min}` : `in [${min}, ${max}${maxInclusive ? ']' : ')'}`;
    throw new ValueError(`${fn}: invalid ${what} ${fmtValue(v)}; expected a finite number ${range}`);
  }
  return v;
}

/** The Keras clipping options every optimizer takes (at most one of them). */
const CLIP_OPTIONS = ['clipNorm', 'globalClipNorm', 'clipValue'] as const;

/** State buffers that hold squares or maxima of magnitudes: a negative element would reach a square root as NaN. */
const NON_NEGATIVE_BUFFERS: ReadonlySet<string> = new Set(['expAvgSq', 'maxExpAvgSq', 'squareAvg', 'accDelta', 'sum', 'expInf']);

/** The range of each per-parameter scalar of the state (Nadam's product of momentum factors μᵢ ∈ [0, 1)). */
const SCALAR_RANGES: Readonly<Record<string, [min: number, max: number]>> = { muProduct: [0, 1] };

/**
 * The optimizer base: binds parameters, keeps per-parameter state by position, and turns gradients into
 * updates. Each `step()` first clips (Keras options), negates (`maximize`), then applies weight decay
 * (L2 into the gradient, or decoupled on the value), then the subclass's rule.
 */
export abstract class Optimizer {
  /** Learning rate; schedules change it between steps. */
  lr: number;
  /** The bound parameters (`step()` with no argument updates these). */
  params: Parameter[];
  /** Registry name (`'adam'`, `'sgd'`, …). */
  abstract readonly name: string;
  /** Which framework's rule this optimizer reproduces. */
  readonly flavor: Flavor;
  /** True only for `'iterative'`: the trainer must step after every single example. */
  readonly perExample: boolean = false;
  /** Number of completed `step()`/`update()` calls. */
  iterations = 0;
  /** Weight-decay factor λ (see {@link OptimizerOptions.weightDecay}). */
  readonly weightDecay: number;
  /** Ascend instead of descend. */
  readonly maximize: boolean;
  /** Keras per-parameter gradient-norm clip, if set. */
  readonly clipNorm: number | undefined;
  /** Keras global gradient-norm clip, if set. */
  readonly globalClipNorm: number | undefined;
  /** Keras element-wise gradient clip, if set. */
  readonly clipValue: number | undefined;
  protected slots: (ParamSlot | undefined)[] = [];
  private scratch = new Float64Array(16);

  constructor(params: Iterable<Parameter> | undefined, options: OptimizerOptions, defaultLr: number) {
    const fn = new.target.name;
    options = checkOptionsObject(fn, options);
    this.flavor = options.flavor ?? 'pytorch';
    if (this.flavor !== 'pytorch' && this.flavor !== 'keras') {
      throw new ValueError(`${fn}: unknown flavor '${String(this.flavor)}'; expected 'pytorch' or 'keras'`);
    }
    this.lr = checkRange(fn, 'learning rate lr', options.lr ?? defaultLr, 0);
    this.weightDecay = checkRange(fn, 'weightDecay', options.weightDecay ?? 0, 0);
    this.maximize = checkBoolean(fn, 'maximize', options.maximize, false);
    const clips = CLIP_OPTIONS.filter((k) => options[k] !== undefined && options[k] !== null);
    if (clips.length > 1) {
      throw new ValueError(`${fn}: got ${clips.join(' and ')}; at most one of clipNorm, globalClipNorm, clipValue may be set`);
    }
    for (const k of clips) {
      const v = options[k]!;
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
        throw new ValueError(`${fn}: invalid ${k} ${fmtValue(v)}; expected a finite number > 0`);
      }
    }
    this.clipNorm = options.clipNorm ?? undefined;
    this.globalClipNorm = options.globalClipNorm ?? undefined;
    this.clipValue = options.clipValue ?? undefined;
    this.params = params === undefined || params === null ? [] : checkParams(fn, params);
  }

  /**
   * Every option key the constructor (and `createOptimizer`) takes: the hyperparameters {@link config} reports, the
   * Keras clipping options and any alias (RMSprop's `rho`). Anything else is refused as an unknown option.
   */
  optionNames(): string[] {
    const clips: readonly string[] = CLIP_OPTIONS;
    const hyperparameters = Object.keys(this.config()).filter((k) => k !== 'name' && !clips.includes(k));
    return [...new Set([...hyperparameters, ...clips, ...this.optionAliases()])];
  }

  /** Option keys the constructor also takes under a second name that {@link config} does not report. */
  protected optionAliases(): string[] {
    return [];
  }

  /**
   * Refuses an option key this optimizer does not read and a non-object `options`; each subclass constructor calls it
   * last (its hyperparameters set, so {@link optionNames} is complete). `fn` names the class in messages.
   */
  protected checkOptions(fn: string, options: object): void {
    checkOptionKeys(fn, checkOptionsObject(fn, options), this.optionNames(), [fn.toLowerCase(), this.name]);
  }

  /** The optimizer's hyperparameters (what `createOptimizer(name, params, config)` needs to rebuild it). */
  config(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      name: this.name,
      flavor: this.flavor,
      lr: this.lr,
      weightDecay: this.weightDecay,
      maximize: this.maximize,
    };
    if (this.clipNorm !== undefined) c['clipNorm'] = this.clipNorm;
    if (this.globalClipNorm !== undefined) c['globalClipNorm'] = this.globalClipNorm;
    if (this.clipValue !== undefined) c['clipValue'] = this.clipValue;
    return { ...c, ...this.hyper() };
  }

  /** Subclass hyperparameters for {@link config}. */
  protected abstract hyper(): Record<string, unknown>;
  /** Creates the per-parameter buffers for a parameter of `size` elements (`make()`: a zeroed array of its dtype). */
  protected abstract initSlot(slot: ParamSlot, size: number, make: () => FloatArray, dtype: 'float32' | 'float64'): void;
  /**
   * Applies the rule to `n` values `x[xo..xo+n)` given the prepared gradient `g` (clipped, signed, with L2
   * decay); `slot.step` is already the 1-based step t.
   */
  protected abstract apply(x: FloatArray, xo: number, g: Float64Array, n: number, slot: ParamSlot): void;
  /**
   * Optional fast path taken when the gradient needs no preparation (no clipping, no `maximize`, no L2 weight
   * decay; decoupled decay has already been applied to `x`) and has the value's dtype: applies the rule
   * reading `g[0..n)` directly (no scratch copy).
   * Returns false to fall back to {@link apply}. Must apply the same rule: bit for bit in TypeScript loops; a
   * compute-backend kernel (float32 SIMD) may differ by float32 rounding.
   */
  protected applyDirect(_x: FloatArray, _xo: number, _g: FloatArray, _n: number, _slot: ParamSlot): boolean {
    return false;
  }

  /** True when weight decay acts on the value (AdamW, Keras flavour) instead of being added to the gradient. */
  protected get decoupledDecay(): boolean {
    return this.flavor === 'keras';
  }

  /**
   * Rebinds the parameters; per-parameter state and step counts start afresh — or, with `keepState`, a parameter
   * bound before keeps its state (moments, step count) wherever it now sits in the list, as PyTorch keys state by
   * parameter, and new ones start afresh.
   */
  setParams(params: Iterable<Parameter>, options: { keepState?: boolean } = {}): void {
    const fn = `${this.name}.setParams`;
    const opts = checkOptionsObject(fn, options);
    checkOptionKeys(fn, opts, ['keepState'], []);
    const list = checkParams(fn, params);
    const keep = checkBoolean(fn, 'keepState', opts.keepState, false);
    const before = new Map<Parameter, ParamSlot | undefined>(this.params.map((p, i) => [p, this.slots[i]]));
    this.params = list;
    this.slots = keep ? list.map((p) => before.get(p)) : [];
  }

  /** Sets every bound parameter's gradient to null. */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /**
   * Updates each parameter's value in place from its `.grad` (parameters without a gradient are skipped).
   * State is kept per position in the list, so pass the same list (or none: the bound one) every time.
   */
  step(params?: Iterable<Parameter>): void {
    const list = checkParams(`${this.name}.step`, params === undefined ? this.params : params);
    if (params !== undefined && this.params.length === 0) this.params = list;
    const grads = list.map((p) => p.grad);
    const values = list.map((p) => p.value);
    this.run('step', values, grads, values);
  }

  /**
   * The functional form: returns new values for `params` given `grads`, without mutating either; the
   * optimizer's own state (moments, step counts) still advances, positionally as in `step()`.
   */
  update(params: Tensor[], grads: Tensor[]): Tensor[] {
    if (!Array.isArray(params) || !Array.isArray(grads)) {
      const [what, got] = Array.isArray(params) ? ['grads', grads] : ['params', params];
      throw new ValueError(`${this.name}.update: ${what} must be an array of Tensors, got ${fmtValue(got)}`);
    }
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ValueError(`${this.name}.update: params[${i}] is ${fmtValue(p)}; expected a Tensor`);
    });
    if (params.length !== grads.length) {
      throw new ValueError(`${this.name}.update: got ${params.length} parameters but ${grads.length} gradients; expected equal counts`);
    }
    const outs = params.map((p) => p.clone());
    this.run('update', params, grads, outs);
    return outs;
  }

  private run(fn: string, values: Tensor[], grads: (Tensor | null)[], targets: Tensor[]): void {
    const n = values.length;
    const gv: (ArrayLike<number> | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      const g = grads[i];
      if (v.dtype !== 'float32' && v.dtype !== 'float64') {
        throw new DTypeError(`${this.name}.${fn}: parameter ${i} has dtype ${v.dtype}; expected float32 or float64`);
      }
      if (!targets[i]!.isContiguous) {
        throw new ValueError(
          `${this.name}.${fn}: parameter ${i} value (shape ${fmtShape(v.shape)}) is not contiguous; expected a contiguous tensor`,
        );
      }
      if (g === null || g === undefined) {
        gv[i] = null;
        continue;
      }
      if (!(g instanceof Tensor)) {
        throw new ValueError(
          `${this.name}.${fn}: gradient ${i} is ${fmtValue(g)}; expected null or a Tensor of the parameter's shape ` +
            `${fmtShape(v.shape)} and dtype ${v.dtype}`,
        );
      }
      if (!shapesEqual(g.shape, v.shape)) {
        throw new ShapeError(
          `${this.name}.${fn}: gradient ${i} has shape ${fmtShape(g.shape)}; expected the parameter's shape ${fmtShape(v.shape)}`,
        );
      }
      if (g.dtype !== v.dtype) {
        throw new DTypeError(`${this.name}.${fn}: gradient ${i} has dtype ${g.dtype}; expected the parameter's dtype ${v.dtype}`);
      }
      this.checkSlot(fn, i, v);
      gv[i] = g.values();
    }
    const scales = this.clipScales(gv);
    for (let i = 0; i < n; i++) {
      const g = gv[i];
      if (g === null || g === undefined) continue;
      const t = targets[i]!;
      this.applyOne(i, t.data as FloatArray, t.offset, g, t.size, scales[i]!);
    }
    this.iterations++;
  }

  /** Refuses to step parameter `i` with state kept for another size or dtype (before any parameter is updated). */
  private checkSlot(fn: string, i: number, v: Tensor): void {
    const slot = this.slots[i];
    if (!slot) return;
    for (const k in slot.buffers) {
      const b = slot.buffers[k]!;
      if (b.length !== v.size) {
        throw new ShapeError(
          `${this.name}.${fn}: state buffer '${k}' of parameter ${i} has ${b.length} elements but the parameter has ${v.size}; ` +
            `call setParams() after changing parameters`,
        );
      }
      if (dtypeOf(b) !== v.dtype) {
        throw new DTypeError(
          `${this.name}.${fn}: state buffer '${k}' of parameter ${i} is ${dtypeOf(b)} but the parameter is ${v.dtype}; ` +
            `expected state of the parameter's dtype (call setParams() after changing parameters)`,
        );
      }
    }
  }

  private clipScales(gv: (ArrayLike<number> | null)[]): number[] {
    const scales = new Array<number>(gv.length).fill(1);
    if (this.clipNorm === undefined && this.globalClipNorm === undefined) return scales;
    let global = 0;
    for (let i = 0; i < gv.length; i++) {
      const g = gv[i];
      if (!g) continue;
      let s = 0;
      for (let j = 0; j < g.length; j++) s += g[j]! * g[j]!;
      if (this.clipNorm !== undefined) {
        const norm = Math.sqrt(s);
        scales[i] = norm > this.clipNorm ? this.clipNorm / norm : 1;
      }
      global += s;
    }
    if (this.globalClipNorm !== undefined) {
      const norm = Math.sqrt(global);
      scales.fill(norm > this.globalClipNorm ? this.globalClipNorm / norm : 1);
    }
    return scales;
  }

  private applyOne(i: number, x: FloatArray, xo: number, gsrc: ArrayLike<number>, n: number, scale: number): void {
    let slot = this.slots[i];
    if (!slot) {
      slot = { step: 0, buffers: {}, scalars: {} };
      const ctor = x instanceof Float32Array ? Float32Array : Float64Array;
      this.initSlot(slot, n, () => new ctor(n), ctor === Float32Array ? 'float32' : 'float64');
      this.slots[i] = slot;
    }
    slot.step++;
    const wd = this.weightDecay;
    const decoupled = wd !== 0 && this.decoupledDecay;
    if (decoupled) {
      // Decoupled decay acts on the value only, before the rule (so the direct path below can still apply).
      if (this.flavor === 'keras') {
        const k = wd * this.lr;
        for (let j = 0; j < n; j++) x[xo + j] = x[xo + j]! - x[xo + j]! * k;
      } else {
        const f = 1 - this.lr * wd;
        for (let j = 0; j < n; j++) x[xo + j] = x[xo + j]! * f;
      }
    }
    if (
      scale === 1 &&
      this.clipValue === undefined &&
      !this.maximize &&
      (wd === 0 || decoupled) &&
      (x instanceof Float32Array ? gsrc instanceof Float32Array : gsrc instanceof Float64Array) &&
      this.applyDirect(x, xo, gsrc as FloatArray, n, slot)
    ) {
      return;
    }
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    const g = this.scratch;
    const cv = this.clipValue;
    const sign = this.maximize ? -1 : 1;
    const coupled = wd !== 0 && !decoupled;
    for (let j = 0; j < n; j++) {
      let v = gsrc[j]! * scale;
      if (cv !== undefined) v = v > cv ? cv : v < -cv ? -cv : v;
      v *= sign;
      if (coupled) v += wd * x[xo + j]!;
      g[j] = v;
    }
    this.apply(x, xo, g, n, slot);
  }

  /** A JSON-serialisable snapshot: lr, iteration count, and every parameter's step count and buffers. */
  state(): OptimizerState {
    return {
      name: this.name,
      flavor: this.flavor,
      lr: this.lr,
      iterations: this.iterations,
      config: this.config(),
      slots: Array.from(this.slots, (s) => {
        if (!s) return null;
        const buffers: Record<string, { dtype: 'float32' | 'float64'; data: JsonNumber[] }> = {};
        for (const [k, b] of Object.entries(s.buffers)) {
          buffers[k] = { dtype: b instanceof Float32Array ? 'float32' : 'float64', data: Array.from(b, encodeNumber) };
        }
        const scalars: Record<string, JsonNumber> = {};
        for (const [k, v] of Object.entries(s.scalars)) scalars[k] = encodeNumber(v);
        return { step: s.step, scalars, buffers };
      }),
    };
  }

  /**
   * Restores a snapshot made by {@link state} (of an optimizer with the same name and flavour, and the options that
   * decide which buffers a parameter keeps: momentum, centered, amsgrad). Every field is checked before anything is
   * changed: `lr` as the constructor checks it, `iterations` and each slot's `step` non-negative integers, each slot's
   * scalars and buffers exactly those this optimizer keeps, of finite numbers (squares never negative), of a float
   * dtype and, for a bound parameter, of its size and dtype. The hyperparameters stay this optimizer's own (the
   * snapshot's `config` is only checked to be an object naming the same optimizer).
   */
  loadState(s: OptimizerState): void {
    const fn = `${this.name}.loadState`;
    if (!s || typeof s !== 'object' || !Array.isArray(s.slots)) {
      const got = s === null || typeof s !== 'object' ? fmtValue(s) : "an object without a 'slots' array";
      throw new ValueError(`${fn}: got ${got}; expected an object from state() with a 'slots' array`);
    }
    if (s.name !== this.name || s.flavor !== this.flavor) {
      throw new ValueError(`${fn}: state is for '${String(s.name)}' (${String(s.flavor)}); expected '${this.name}' (${this.flavor})`);
    }
    const lr = checkRange(fn, 'learning rate lr', s.lr, 0);
    const iterations = checkCount(fn, 'iterations', s.iterations);
    const config: unknown = s.config;
    if (config !== undefined) {
      if (!isPlainObject(config)) throw new ValueError(`${fn}: config is ${fmtValue(config)}; expected the object config() returns`);
      if (config['name'] !== undefined && config['name'] !== this.name) {
        throw new ValueError(`${fn}: config.name is ${fmtValue(config['name'])}; expected '${this.name}'`);
      }
    }
    const layout: ParamSlot = { step: 0, buffers: {}, scalars: {} };
    this.initSlot(layout, 0, () => new Float64Array(0), 'float64');
    const read: (ParamSlot | undefined)[] = [];
    for (let i = 0; i < s.slots.length; i++) {
      const js: unknown = s.slots[i];
      read.push(js === null || js === undefined ? undefined : this.readSlot(fn, i, js, layout, config));
    }
    if (this.params.length > 0 && s.slots.length > this.params.length) {
      throw new ValueError(
        `${fn}: the state has slots for ${s.slots.length} parameters; expected at most ${this.params.length} (one per bound parameter)`,
      );
    }
    // Everything is valid: copy the buffers to where the backend keeps kernel state (Adam's moments in wasm memory).
    this.slots = read.map((slot) => {
      if (!slot) return undefined;
      const buffers: Record<string, FloatArray> = {};
      for (const [k, b] of Object.entries(slot.buffers)) {
        const [arr] = kernelStateArrays(dtypeOf(b), b.length, 1) as [FloatArray];
        arr.set(b);
        buffers[k] = arr;
      }
      return { step: slot.step, scalars: slot.scalars, buffers };
    });
    this.lr = lr;
    this.iterations = iterations;
  }

  /** Checks and decodes slot `i` of a snapshot against `layout` (the buffers and scalars initSlot makes). */
  private readSlot(fn: string, i: number, js: unknown, layout: ParamSlot, config: unknown): ParamSlot {
    const at = `slots[${i}]`;
    const of = `(parameter ${i})`;
    if (!isPlainObject(js)) throw new ValueError(`${fn}: ${at} ${of} is ${fmtValue(js)}; expected null or { step, scalars, buffers }`);
    const step = checkCount(fn, `${at}.step ${of}`, js['step']);
    const scalarsIn = js['scalars'] ?? {};
    if (!isPlainObject(scalarsIn)) throw new ValueError(`${fn}: ${at}.scalars ${of} is ${fmtValue(scalarsIn)}; expected an object`);
    this.checkNames(fn, `${at}.scalars ${of}`, Object.keys(scalarsIn), Object.keys(layout.scalars), config);
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(scalarsIn)) {
      const [min, max] = SCALAR_RANGES[k] ?? [-Infinity, Infinity];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
        const range = Number.isFinite(min) ? ` in [${min}, ${max}]` : '';
        throw new ValueError(`${fn}: ${at}.scalars.${k} ${of} is ${fmtValue(v)}; expected a finite number${range}`);
      }
      scalars[k] = v;
    }
    const buffersIn = js['buffers'];
    const expected = Object.keys(layout.buffers);
    if (!isPlainObject(buffersIn)) {
      throw new ValueError(
        `${fn}: ${at}.buffers ${of} is ${fmtValue(buffersIn)}; expected an object of the buffers ${quoteList(expected)}`,
      );
    }
    this.checkNames(fn, `${at}.buffers ${of}`, Object.keys(buffersIn), expected, config);
    const p = this.params[i];
    const paramDtype = p && (p.value.dtype === 'float32' || p.value.dtype === 'float64') ? p.value.dtype : undefined;
    let dtype: 'float32' | 'float64' | undefined = paramDtype;
    let size = p ? p.value.size : undefined;
    const buffers: Record<string, FloatArray> = {};
    for (const [k, b] of Object.entries(buffersIn)) {
      const where = `${at}.buffers.${k}`;
      if (!isPlainObject(b)) throw new ValueError(`${fn}: ${where} ${of} is ${fmtValue(b)}; expected { dtype, data }`);
      if (b['dtype'] !== 'float32' && b['dtype'] !== 'float64') {
        throw new ValueError(`${fn}: ${where}.dtype ${of} is ${fmtValue(b['dtype'])}; expected 'float32' or 'float64'`);
      }
      if (dtype !== undefined && b['dtype'] !== dtype) {
        const whose = paramDtype !== undefined ? "the parameter's dtype" : "the dtype of the slot's other buffers";
        throw new ValueError(`${fn}: ${where}.dtype ${of} is '${b['dtype']}'; expected ${whose} '${dtype}'`);
      }
      dtype = b['dtype'];
      const data = b['data'];
      if (!Array.isArray(data)) throw new ValueError(`${fn}: ${where}.data ${of} is ${fmtValue(data)}; expected an array of numbers`);
      if (size !== undefined && data.length !== size) {
        const expectedSize = p ? `${size} (shape ${fmtShape(p.value.shape)})` : `${size} (as the slot's other buffers)`;
        throw new ShapeError(`${fn}: ${where} ${of} has ${data.length} elements; expected ${expectedSize}`);
      }
      size = data.length;
      const arr = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
      const nonNegative = NON_NEGATIVE_BUFFERS.has(k);
      for (let j = 0; j < size; j++) {
        const v: unknown = data[j];
        if (typeof v !== 'number') throw new ValueError(`${fn}: ${where}.data[${j}] ${of} is ${fmtValue(v)}; expected a finite number`);
        arr[j] = v;
        if (!Number.isFinite(arr[j]!)) {
          const overflow = Number.isFinite(v) ? ` (it overflows ${dtype})` : '';
          throw new ValueError(`${fn}: ${where}.data[${j}] ${of} is ${v}${overflow}; expected a finite number`);
        }
        if (nonNegative && v < 0) {
          throw new ValueError(`${fn}: ${where}.data[${j}] ${of} is ${v}; expected a number >= 0 (the buffer holds squares or maxima)`);
        }
      }
      buffers[k] = arr;
    }
    return { step, scalars, buffers };
  }

  /**
   * Refuses a slot whose buffer (or scalar) names are not exactly `expected`, naming the missing and unexpected ones
   * and, when the snapshot's config differs from this optimizer's, the hyperparameters that differ (amsgrad, momentum…).
   */
  private checkNames(fn: string, where: string, got: string[], expected: string[], config: unknown): void {
    const missing = expected.filter((k) => !got.includes(k));
    const unexpected = got.filter((k) => !expected.includes(k));
    if (missing.length === 0 && unexpected.length === 0) return;
    const parts = [missing.length ? `lacks ${quoteList(missing)}` : '', unexpected.length ? `has unexpected ${quoteList(unexpected)}` : ''];
    let differs = '';
    if (isPlainObject(config)) {
      const own = this.config();
      const keys = Object.keys(own).filter(
        (k) => k !== 'name' && k !== 'lr' && config[k] !== undefined && JSON.stringify(config[k]) !== JSON.stringify(own[k]),
      );
      if (keys.length) {
        const shown = keys.map((k) => `${k} ${shortJson(config[k])} vs ${shortJson(own[k])}`).join(', ');
        differs = `; the state was saved with other options (${shown})`;
      }
    }
    throw new ValueError(
      `${fn}: ${where} ${parts.filter(Boolean).join(' and ')}; ` +
        `expected exactly ${expected.length ? quoteList(expected) : 'none'} for this ${this.name}${differs}`,
    );
  }
}

/** The dtype of a state buffer. */
function dtypeOf(b: FloatArray): 'float32' | 'float64' {
  return b instanceof Float32Array ? 'float32' : 'float64';
}

/** `'a', 'b'` for messages. */
function quoteList(names: readonly string[]): string {
  return names.map((k) => `'${k}'`).join(', ');
}

/** A hyperparameter as a message shows it: JSON when short, else described by its type. */
function shortJson(v: unknown): string {
  const json = JSON.stringify(v);
  return typeof json === 'string' && json.length <= 40 ? json : fmtValue(v);
}
