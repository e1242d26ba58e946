import { createOptimizer, optimizerNames, type OptimizerState } from '@tapegrad/optim';
import { type DType, Tensor, ValueError, sizeOf, zeros } from '@tapegrad/tensor';
import type { CompileOptions } from '../training/compile.js';
import { resolveLossName } from '../training/losses.js';
import { resolveMetricName } from '../training/metrics.js';
import { MAX_HYPERPARAMETER, MAX_METRICS, checkCount, checkName } from './limits.js';
import { checkExactKeys, describe, isPlainObject, listSome } from './safe-json.js';
import { decodeTensors, encodeTensors, type EncodedTensors } from './tensors.js';

// The compile section and the optimizer state of a model file. `@tapegrad/optim` does not validate a state it
// loads, so the checks live here, against optim's public API only: the hyperparameters an optimizer reports in
// `config()`, and the buffers and scalars a freshly made one keeps after one step (a probe on a one-element
// parameter). Version 1 stored the moments as JSON number arrays; version 2 stores them as base64 with a CRC-32.

/** The compile section of a model file. */
export interface CompileSection {
  optimizer: string;
  optimizerConfig: Record<string, unknown>;
  loss: string;
  fromLogits: boolean;
  metrics: string[];
}

/** One parameter's optimizer state as version 2 stores it: the step count, scalars and base64 buffers. */
export interface StoredSlot {
  step: number;
  scalars: Record<string, number>;
  buffers: EncodedTensors;
}

/** The optimizer state as version 2 stores it (the hyperparameters are in the compile section). */
export interface StoredOptimizerState {
  name: string;
  flavor: string;
  lr: number;
  iterations: number;
  slots: (StoredSlot | null)[];
}

/** A parameter the optimizer updates, as the checks see it. */
export interface ParameterInfo {
  name: string;
  shape: readonly number[];
  dtype: DType;
}

/** Buffers that hold squares or maxima of magnitudes: a negative value would reach a square root as NaN. */
const NON_NEGATIVE_BUFFERS: ReadonlySet<string> = new Set(['expAvgSq', 'maxExpAvgSq', 'squareAvg', 'accDelta', 'sum', 'expInf']);
/** Keras clipping options: in `config()` only when set. */
const OPTIONAL_HYPERPARAMETERS: ReadonlySet<string> = new Set(['clipNorm', 'globalClipNorm', 'clipValue']);

/**
 * Checks a compile section: known optimizer, loss and metric names, and hyperparameters the optimizer accepts.
 * `strict` (version 2) wants every field; version 1 files may lack `fromLogits` and hyperparameters added later.
 */
export function readCompileSection(where: string, c: unknown, strict: boolean): CompileOptions {
  if (!isPlainObject(c)) {
    throw new ValueError(`${where} must be {optimizer, optimizerConfig, loss, fromLogits, metrics}, got ${describe(c)}`);
  }
  const optimizer = checkName(`${where}.optimizer`, c.optimizer);
  if (!optimizerNames.includes(optimizer)) {
    throw new ValueError(`${where}.optimizer '${optimizer}' is not one of ${optimizerNames.join(', ')}`);
  }
  const loss = checkName(`${where}.loss`, c.loss);
  resolveLossName(loss);
  const fromLogits = c.fromLogits === undefined && !strict ? false : c.fromLogits;
  if (typeof fromLogits !== 'boolean') throw new ValueError(`${where}.fromLogits must be a boolean, got ${describe(c.fromLogits)}`);
  if (!Array.isArray(c.metrics) || c.metrics.length > MAX_METRICS) {
    throw new ValueError(`${where}.metrics must be an array of at most ${MAX_METRICS} metric names, got ${describe(c.metrics)}`);
  }
  const metrics = c.metrics.map((m, i) => {
    const metric = checkName(`${where}.metrics[${i}]`, m);
    resolveMetricName(metric, 'Sequential.fromJSON');
    return metric;
  });
  const optimizerOptions = readHyperparameters(`${where}.optimizerConfig`, optimizer, c.optimizerConfig, strict);
  return { optimizer, loss, metrics, fromLogits, optimizerOptions };
}

/**
 * Checks an optimizer's hyperparameters against those a fresh optimizer of that name reports: the same keys
 * (clipping ones optional; with `strict` none missing), the same JSON types, finite numbers of magnitude at most
 * {@link MAX_HYPERPARAMETER}; then the optimizer's constructor checks their ranges. Returns them without the `name` key.
 */
function readHyperparameters(where: string, name: string, config: unknown, strict: boolean): Record<string, unknown> {
  if (!isPlainObject(config)) throw new ValueError(`${where} must be an object of hyperparameters, got ${describe(config)}`);
  if (config.name !== name) throw new ValueError(`${where}.name must be '${name}', got ${describe(config.name)}`);
  if (config.flavor !== 'pytorch' && config.flavor !== 'keras') {
    throw new ValueError(`${where}.flavor must be 'pytorch' or 'keras', got ${describe(config.flavor)}`);
  }
  const defaults = createOptimizer(name, [], { flavor: config.flavor }).config();
  const expected = Object.keys(defaults);
  // version 1 files may lack hyperparameters added later: their defaults apply
  const keys = strict ? Object.keys(config) : [...new Set([...Object.keys(config), ...expected])];
  checkExactKeys(`${where} does not match ${name}'s hyperparameters`, keys, expected, OPTIONAL_HYPERPARAMETERS);
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'name') continue;
    const d = OPTIONAL_HYPERPARAMETERS.has(k) ? 0 : defaults[k];
    const numbers = (x: unknown): boolean => typeof x === 'number' && Math.abs(x) <= MAX_HYPERPARAMETER;
    const ok =
      typeof d === 'number'
        ? numbers(v)
        : Array.isArray(d)
          ? Array.isArray(v) && v.length === d.length && v.every(numbers)
          : typeof v === typeof d;
    if (!ok) {
      const want =
        typeof d === 'number'
          ? `a finite number of magnitude ≤ ${MAX_HYPERPARAMETER}`
          : Array.isArray(d)
            ? `${d.length} finite numbers of magnitude ≤ ${MAX_HYPERPARAMETER}`
            : `a ${typeof d}`;
      throw new ValueError(`${where}.${k} must be ${want}, got ${describe(v)}`);
    }
    options[k] = Array.isArray(v) ? [...v] : v;
  }
  createOptimizer(name, [], options); // the constructor checks the ranges (betas in [0, 1), eps ≥ 0, …)
  return options;
}

/** The buffers and scalars one parameter's slot holds for this optimizer and configuration, learnt from a probe. */
function slotSchema(name: string, options: Record<string, unknown>, dtype: DType): { buffers: string[]; scalars: string[] } {
  const p = { value: zeros([1], { dtype }), grad: zeros([1], { dtype }) };
  const probe = createOptimizer(name, [p], options);
  probe.step();
  const slot = probe.state().slots[0];
  return { buffers: Object.keys(slot?.buffers ?? {}).sort(), scalars: Object.keys(slot?.scalars ?? {}).sort() };
}

/** What a stored optimizer state is checked against: the compile section it belongs to and the trainable parameters. */
export interface OptimizerExpectation {
  compile: CompileOptions;
  params: readonly ParameterInfo[];
}

/** The version-2 form of `optimizer.state()`: buffers as base64 tensors of their parameter's shape, with checksums. */
export function writeOptimizerState(state: OptimizerState, params: readonly ParameterInfo[]): StoredOptimizerState {
  if (state.slots.length > params.length) {
    throw new ValueError(`toJSON: the optimizer has state for ${state.slots.length} parameters; the model trains ${params.length}`);
  }
  return {
    name: state.name,
    flavor: state.flavor,
    lr: state.lr,
    iterations: state.iterations,
    slots: state.slots.map((s, i) => {
      if (!s) return null;
      const p = params[i]!;
      const size = sizeOf(p.shape);
      const buffers: Record<string, Tensor> = {};
      for (const [k, b] of Object.entries(s.buffers)) {
        if (b.data.length !== size) {
          throw new ValueError(`toJSON: optimizer buffer '${k}' of '${p.name}' has ${b.data.length} elements; the parameter has ${size}`);
        }
        const data = b.dtype === 'float64' ? Float64Array.from(b.data, Number) : Float32Array.from(b.data, Number);
        buffers[k] = new Tensor(data, [...p.shape]);
      }
      return {
        step: s.step,
        scalars: Object.fromEntries(Object.entries(s.scalars).map(([k, v]) => [k, Number(v)])),
        buffers: encodeTensors(buffers),
      };
    }),
  };
}

/**
 * Checks a stored optimizer state (version 1: buffers as number arrays; version 2: base64 with checksums) against
 * the compile section and the trainable parameters, and returns it in the form `optimizer.loadState` takes.
 */
export function readOptimizerState(where: string, raw: unknown, version: 1 | 2, expected: OptimizerExpectation): OptimizerState {
  const { compile, params } = expected;
  const name = compile.optimizer as string;
  const options = compile.optimizerOptions ?? {};
  if (!isPlainObject(raw)) throw new ValueError(`${where} must be an object, got ${describe(raw)}`);
  if (raw.name !== name || raw.flavor !== options.flavor) {
    throw new ValueError(
      `${where} is for ${describe(raw.name)} (${describe(raw.flavor)}); the compile section says '${name}' (${options.flavor})`,
    );
  }
  const lr = raw.lr;
  if (typeof lr !== 'number' || !(lr >= 0 && lr <= MAX_HYPERPARAMETER)) {
    throw new ValueError(`${where}.lr must be a finite number in [0, ${MAX_HYPERPARAMETER}], got ${describe(lr)}`);
  }
  const iterations = checkCount(`${where}.iterations`, raw.iterations);
  if (version === 1 && !isPlainObject(raw.config)) throw new ValueError(`${where}.config must be an object, got ${describe(raw.config)}`);
  const slots = raw.slots;
  if (!Array.isArray(slots) || slots.length > params.length) {
    throw new ValueError(
      `${where}.slots must be an array of at most ${params.length} entries (one per trainable parameter), got ${describe(slots)}`,
    );
  }
  const schemas = new Map<DType, { buffers: string[]; scalars: string[] }>();
  const schema = (dtype: DType): { buffers: string[]; scalars: string[] } => {
    if (!schemas.has(dtype)) schemas.set(dtype, slotSchema(name, options, dtype));
    return schemas.get(dtype)!;
  };
  return {
    name,
    flavor: options.flavor as OptimizerState['flavor'],
    lr,
    iterations,
    config: { name, ...options },
    slots: slots.map((s: unknown, i: number) => {
      if (s === null) return null;
      const p = params[i]!;
      const at = `${where}.slots[${i}] (parameter '${p.name}')`;
      if (!isPlainObject(s)) throw new ValueError(`${at} must be null or {step, scalars, buffers}, got ${describe(s)}`);
      const step = checkCount(`${at}.step`, s.step, iterations);
      const want = schema(p.dtype);
      const scalars = readScalars(`${at}.scalars`, s.scalars, want.scalars);
      const buffers =
        version === 1
          ? readBuffersV1(`${at}.buffers`, s.buffers, want.buffers, p)
          : readBuffersV2(`${at}.buffers`, s.buffers, want.buffers, p);
      return { step, scalars, buffers };
    }),
  };
}

function sameKeys(where: string, got: Record<string, unknown>, want: readonly string[]): void {
  const keys = Object.keys(got).sort();
  if (keys.length !== want.length || keys.some((k, i) => k !== want[i])) {
    throw new ValueError(
      `${where} must have exactly ${want.length ? listSome(want, want.length) : 'no entries'}, ` +
        `got ${keys.length ? listSome(keys) : 'none'}`,
    );
  }
}

function readScalars(where: string, raw: unknown, want: readonly string[]): Record<string, number> {
  if (!isPlainObject(raw)) throw new ValueError(`${where} must be an object, got ${describe(raw)}`);
  sameKeys(where, raw, want);
  const out: Record<string, number> = {};
  for (const k of Object.keys(raw)) {
    const v = raw[k];
    if (typeof v !== 'number' || !(Math.abs(v) <= MAX_HYPERPARAMETER)) {
      throw new ValueError(`${where}.${k} must be a finite number of magnitude ≤ ${MAX_HYPERPARAMETER}, got ${describe(v)}`);
    }
    out[k] = v;
  }
  return out;
}

/** Refuses a negative value in a buffer of squares or maxima (finite values are checked where the buffer is decoded). */
function checkSign(where: string, name: string, values: Float32Array | Float64Array): void {
  if (NON_NEGATIVE_BUFFERS.has(name)) {
    const neg = values.findIndex((v) => v < 0);
    if (neg >= 0) {
      throw new ValueError(`${where}.${name}: element ${neg} is ${values[neg]}; this buffer holds squares or maxima, never negative`);
    }
  }
}

/** Optimizer buffers in the form `optimizer.loadState` takes. */
type StateBuffers = Record<string, { dtype: 'float32' | 'float64'; data: number[] }>;

function readBuffersV1(where: string, raw: unknown, want: readonly string[], p: ParameterInfo): StateBuffers {
  if (!isPlainObject(raw)) throw new ValueError(`${where} must be an object, got ${describe(raw)}`);
  sameKeys(where, raw, want);
  const size = sizeOf(p.shape);
  const out: StateBuffers = {};
  for (const k of Object.keys(raw)) {
    const b = raw[k];
    if (!isPlainObject(b) || b.dtype !== p.dtype || !Array.isArray(b.data) || b.data.length !== size) {
      throw new ValueError(`${where}.${k} must be {dtype: '${p.dtype}', data: ${size} numbers}, got ${describe(b)}`);
    }
    const data = b.data as unknown[];
    const values = p.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
    for (let j = 0; j < size; j++) {
      const v = data[j];
      if (typeof v !== 'number') throw new ValueError(`${where}.${k}: element ${j} is ${describe(v)}; expected a finite number`);
      values[j] = v; // stored first: a finite number may still overflow float32
      if (!Number.isFinite(values[j]!)) throw new ValueError(`${where}.${k}: element ${j} is ${values[j]}; expected finite values`);
    }
    checkSign(where, k, values);
    out[k] = { dtype: p.dtype as 'float32' | 'float64', data: Array.from(values) };
  }
  return out;
}

function readBuffersV2(where: string, raw: unknown, want: readonly string[], p: ParameterInfo): StateBuffers {
  if (!isPlainObject(raw)) throw new ValueError(`${where} must be an object, got ${describe(raw)}`);
  sameKeys(where, raw, want);
  const shapes = Object.fromEntries(want.map((k) => [k, p.shape]));
  const tensors = decodeTensors(raw, shapes, { context: where, finite: true });
  const out: StateBuffers = {};
  for (const k of Object.keys(raw)) {
    const t = tensors[k]!;
    if (t.dtype !== p.dtype) throw new ValueError(`${where}.${k} has dtype ${t.dtype}; the parameter is ${p.dtype}`);
    const values = t.values() as Float32Array | Float64Array;
    checkSign(where, k, values);
    out[k] = { dtype: p.dtype as 'float32' | 'float64', data: Array.from(values) };
  }
  return out;
}
