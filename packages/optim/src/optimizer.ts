import { DTypeError, ShapeError, Tensor, ValueError, fmtShape, shapesEqual } from '@tapegrad/tensor';
import { kernelStateArrays } from '@tapegrad/tensor/backend';

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
    throw new ValueError(`${fn}: invalid ${what} ${String(v)}; expected a finite number ${range}`);
  }
  return v;
}

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
    this.flavor = options.flavor ?? 'pytorch';
    if (this.flavor !== 'pytorch' && this.flavor !== 'keras') {
      throw new ValueError(`${fn}: unknown flavor '${String(this.flavor)}'; expected 'pytorch' or 'keras'`);
    }
    this.lr = checkRange(fn, 'learning rate lr', options.lr ?? defaultLr, 0);
    this.weightDecay = checkRange(fn, 'weightDecay', options.weightDecay ?? 0, 0);
    this.maximize = options.maximize ?? false;
    const clips = (['clipNorm', 'globalClipNorm', 'clipValue'] as const).filter((k) => options[k] !== undefined && options[k] !== null);
    if (clips.length > 1) {
      throw new ValueError(`${fn}: got ${clips.join(' and ')}; at most one of clipNorm, globalClipNorm, clipValue may be set`);
    }
    for (const k of clips) {
      const v = options[k]!;
      if (!(v > 0) || !Number.isFinite(v)) throw new ValueError(`${fn}: invalid ${k} ${v}; expected a finite number > 0`);
    }
    this.clipNorm = options.clipNorm ?? undefined;
    this.globalClipNorm = options.globalClipNorm ?? undefined;
    this.clipValue = options.clipValue ?? undefined;
    this.params = params ? [...params] : [];
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

  /** Rebinds the parameters; per-parameter state and step counts start afresh. */
  setParams(params: Iterable<Parameter>): void {
    this.params = [...params];
    this.slots = [];
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
    const list = params === undefined ? this.params : [...params];
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
    if (params.length !== grads.length) {
      throw new ValueError(`update: got ${params.length} parameters but ${grads.length} gradients; expected equal counts`);
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
      if (!shapesEqual(g.shape, v.shape)) {
        throw new ShapeError(
          `${this.name}.${fn}: gradient ${i} has shape ${fmtShape(g.shape)}; expected the parameter's shape ${fmtShape(v.shape)}`,
        );
      }
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
    } else {
      for (const k in slot.buffers) {
        const b = slot.buffers[k]!;
        if (b.length !== n) {
          throw new ShapeError(
            `${this.name}.step: state buffer '${k}' of parameter ${i} has ${b.length} elements but the parameter has ${n}; ` +
              `call setParams() after changing parameters`,
          );
        }
      }
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

  /** Restores a snapshot made by {@link state} (of an optimizer with the same name and flavour). */
  loadState(s: OptimizerState): void {
    if (!s || typeof s !== 'object' || !Array.isArray(s.slots)) {
      const got = s === null || typeof s !== 'object' ? String(s) : "an object without a 'slots' array";
      throw new ValueError(`${this.name}.loadState: got ${got}; expected an object from state() with a 'slots' array`);
    }
    if (s.name !== this.name || s.flavor !== this.flavor) {
      throw new ValueError(`${this.name}.loadState: state is for '${s.name}' (${s.flavor}); expected '${this.name}' (${this.flavor})`);
    }
    const slots: (ParamSlot | undefined)[] = [];
    s.slots.forEach((js, i) => {
      if (!js) return;
      const buffers: Record<string, FloatArray> = {};
      for (const [k, b] of Object.entries(js.buffers)) {
        if (!b || !Array.isArray(b.data)) {
          throw new ValueError(`${this.name}.loadState: buffer '${k}' of parameter ${i} has no 'data' array; expected { dtype, data }`);
        }
        const p = this.params[i];
        if (p && p.value.size !== b.data.length) {
          throw new ShapeError(
            `${this.name}.loadState: buffer '${k}' of parameter ${i} has ${b.data.length} elements; ` +
              `expected ${p.value.size} (shape ${fmtShape(p.value.shape)})`,
          );
        }
        // Where the backend keeps kernel state (Adam's moments in wasm memory), as initSlot would have made it.
        const [arr] = kernelStateArrays(b.dtype === 'float32' ? 'float32' : 'float64', b.data.length, 1) as [FloatArray];
        for (let j = 0; j < arr.length; j++) arr[j] = decodeNumber(b.data[j]!);
        buffers[k] = arr;
      }
      const scalars: Record<string, number> = {};
      for (const [k, v] of Object.entries(js.scalars)) scalars[k] = decodeNumber(v);
      slots[i] = { step: js.step, buffers, scalars };
    });
    this.slots = slots;
    this.lr = s.lr;
    this.iterations = s.iterations;
  }
}
