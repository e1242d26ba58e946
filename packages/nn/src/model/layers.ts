import { Variable, linear, mul, parameter } from '@tapegrad/autograd';
import { Generator, ShapeError, Tensor, ValueError, fmtShape, fmtValue, sizeOf } from '@tapegrad/tensor';
import { kernelStateArrays } from '@tapegrad/tensor/backend';
import { MAX_UNITS, checkInputShape } from '../io/limits.js';
import { activationNames, getActivation, registeredActivationName, resolveActivation, type Activation } from './activations.js';
import { checkActivationResult, checkBoolean, checkLayerName, checkSeededLayerName } from './checks.js';
import { getInitializer, type Initializer } from './initializers.js';

/** Options shared by every layer. */
export interface LayerOptions {
  /** Unique name within a model; assigned by `Sequential.add` (`dense`, `dense_1`, …) when omitted. */
  name?: string;
  /** Feature shape of one sample (without the batch axis): `[784]`, `784` or `[28, 28]`. Only needed on the first layer. */
  inputShape?: number | readonly number[];
  /** Whether the optimizer updates this layer's parameters (default true). */
  trainable?: boolean;
}

/** A layer's serialisable configuration: plain JSON. */
export type LayerConfig = Record<string, unknown> & { name: string };

/** The per-sample shape as an array, within the bounds a model file holds (1 to 8 axes, at most 2^26 features). */
function normalizeShape(fn: string, s: number | readonly number[] | undefined): number[] | null {
  if (s === undefined || s === null) return null;
  return checkInputShape(`${fn}: inputShape`, typeof s === 'number' ? [s] : s);
}

/**
 * The base of every layer (a Module): named parameters, train/eval mode, gradient reset, lazy build from
 * the input size, and a JSON config. Layers are written only with autograd ops — no hand backward.
 */
export abstract class Layer {
  /** The layer class name used in configs and summaries (`Dense`, `Dropout`, `Flatten`). */
  abstract readonly type: string;
  name: string;
  /** Explicit per-sample input shape, if given. */
  readonly inputShape: number[] | null;
  /** Whether fit trains this layer; flipping it takes effect at the next fit or save (no recompile), state kept per parameter. */
  trainable: boolean;
  /** Training mode (dropout active); {@link Layer.eval} turns it off. */
  training = true;
  built = false;
  /** Flat input feature count, known once built. */
  inputSize: number | null = null;
  /** Flat output feature count, known once built. */
  outputSize: number | null = null;
  /** Random source for initialisation and dropout; Sequential hands its own in. */
  generator: Generator | null = null;
  protected readonly params = new Map<string, Variable>();

  constructor(options: LayerOptions = {}) {
    const fn = new.target.name;
    this.name = options.name === undefined ? '' : checkLayerName(fn, options.name);
    this.inputShape = normalizeShape(fn, options.inputShape);
    this.trainable = options.trainable === undefined ? true : checkBoolean(fn, 'trainable', options.trainable);
  }

  /** Creates the parameters for `inputSize` input features (drawing from `generator`); idempotent for the same size. */
  build(inputSize: number, generator?: Generator): void {
    if (!Number.isInteger(inputSize) || inputSize <= 0) {
      throw new ValueError(`${this.type}.build: input size must be a positive integer, got ${inputSize}`);
    }
    if (this.inputShape && sizeOf(this.inputShape) !== inputSize) {
      throw new ShapeError(
        `${this.type} '${this.name}': explicit inputShape ${fmtShape(this.inputShape)} (${sizeOf(this.inputShape)} features) ` +
          `disagrees with the incoming ${inputSize} features`,
      );
    }
    if (this.built) {
      if (this.inputSize !== inputSize) {
        throw new ShapeError(`${this.type} '${this.name}': already built for ${this.inputSize} input features, got ${inputSize}`);
      }
      return;
    }
    this.generator = generator ?? this.generator ?? new Generator(0);
    this.inputSize = inputSize;
    this.outputSize = this.createParameters(inputSize, this.generator);
    this.built = true;
  }

  /** Creates parameters and returns the output size. */
  protected abstract createParameters(inputSize: number, generator: Generator): number;

  /** The forward pass on a batch `[batch, …features]`. */
  abstract call(x: Variable): Variable;

  /** The layer's parameters, in a stable order. */
  parameters(): Variable[] {
    return [...this.params.values()];
  }

  /** `[localName, parameter]` pairs (`kernel`, `bias`). */
  namedParameters(): [string, Variable][] {
    return [...this.params.entries()];
  }

  /** Number of scalar weights. */
  countParams(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.size;
    return n;
  }

  /** Sets training mode (default true); returns the layer. */
  train(mode = true): this {
    this.training = mode;
    return this;
  }

  /** Sets inference mode (dropout off); returns the layer. */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params.values()) p.grad = null;
  }

  /** The activation shown in summaries. */
  get activationName(): string {
    return '-';
  }

  /** Whether the layer adds a bias (for summaries). */
  get hasBias(): boolean {
    return false;
  }

  /** The JSON configuration that {@link layerFromConfig} rebuilds the layer from. */
  getConfig(): LayerConfig {
    const c: LayerConfig = { name: this.name };
    if (this.inputShape) c.inputShape = [...this.inputShape];
    if (!this.trainable) c.trainable = false;
    return c;
  }

  /**
   * The input a layer computes on: `[batch, inputSize]`; a batch of multi-dimensional samples `[batch, d1, d2, …]`
   * with d1·d2·… = inputSize taken flat (as the model's data checks, summary and exporters see it); else, called on
   * its own, `[batch, …, inputSize]` as it is (the layer acts on the last axis, as in Keras). Any other shape is
   * refused, naming what arrived.
   */
  protected checkInput(x: Variable): Variable {
    if (!this.built || this.inputSize === null) {
      throw new ValueError(`${this.type} '${this.name}': call before build; add it to a model or call build(inputSize)`);
    }
    const features = x.shape.length < 2 ? null : sizeOf(x.shape.slice(1));
    if (features === this.inputSize) return x.shape.length === 2 ? x : x.reshape([x.shape[0]!, this.inputSize]);
    if (x.shape.length > 2 && x.shape[x.shape.length - 1] === this.inputSize) return x;
    const why = features === null ? 'no batch axis' : `${features} features per sample, not ${this.inputSize}`;
    throw new ShapeError(`${this.type} '${this.name}': expected input [batch, ${this.inputSize}], got ${fmtShape(x.shape)} (${why})`);
  }
}

/** Options of {@link Dense}. */
export interface DenseOptions extends LayerOptions {
  /** Activation name (default `linear`) or function. */
  activation?: string | Activation | null;
  useBias?: boolean;
  /** Kernel initializer name or function (default `glorotUniform`, as Keras). */
  kernelInitializer?: string | Initializer;
  /** Bias initializer name or function (default `zeros`). */
  biasInitializer?: string | Initializer;
  /** Parameter dtype: `float32` (default) or `float64` for exact reference checks. */
  dtype?: 'float32' | 'float64';
}

/**
 * A fully connected layer: `y = f(x·W + b)` with kernel `W` of shape `[in, units]` and bias `b` of
 * shape `[units]`, computed by the fused autograd `linear` op. In a model, samples of several axes
 * (`inputShape: [28, 28]`) are read flat, as after a `Flatten`; called on its own on `[batch, …, in]`, it acts on
 * the last axis.
 */
export class Dense extends Layer {
  readonly type = 'Dense';
  readonly units: number;
  readonly useBias: boolean;
  /** Canonical activation name (built-in or registered with `registerActivation`), or `custom` for an unregistered function. */
  readonly activation: string;
  private readonly activationFn: Activation;
  private readonly kernelInit: string | Initializer;
  private readonly biasInit: string | Initializer;
  /** Parameter dtype. */
  readonly dtype: 'float32' | 'float64';

  constructor(units: number, options: DenseOptions = {}) {
    super(options);
    this.dtype = options.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new ValueError(`Dense: dtype must be float32 or float64, got ${String(this.dtype)}`);
    }
    if (!Number.isInteger(units) || units <= 0 || units > MAX_UNITS) {
      throw new ValueError(`Dense: units must be a positive integer ≤ ${MAX_UNITS}, got ${fmtValue(units)}`);
    }
    this.units = units;
    this.useBias = options.useBias === undefined ? true : checkBoolean('Dense', 'useBias', options.useBias);
    const act = options.activation;
    this.activation = typeof act === 'function' ? (registeredActivationName(act) ?? 'custom') : resolveActivation(act);
    this.activationFn = getActivation(act);
    this.kernelInit = options.kernelInitializer ?? 'glorotUniform';
    this.biasInit = options.biasInitializer ?? 'zeros';
    getInitializer(this.kernelInit);
    getInitializer(this.biasInit);
  }

  protected createParameters(inputSize: number, g: Generator): number {
    const cast = (t: Tensor): Tensor => (t.dtype === this.dtype ? t : t.astype(this.dtype));
    const kernel = kernelResident(cast(getInitializer(this.kernelInit)([inputSize, this.units], g)));
    this.params.set('kernel', parameter(kernel, { name: `${this.name}/kernel` }));
    if (this.useBias) {
      const bias = cast(getInitializer(this.biasInit)([this.units], g));
      this.params.set('bias', parameter(bias, { name: `${this.name}/bias` }));
    }
    return this.units;
  }

  /**
   * The kernel `[in, units]`. A float32 kernel's values may be a view of WebAssembly memory that also holds its
   * optimizer state (so a wasm Adam step updates it without a copy): read it through the tensor (`values()`,
   * `getWeights()` copies), not through `data.buffer`.
   */
  get kernel(): Variable {
    return this.params.get('kernel')!;
  }

  /** The bias `[units]`, or null without one. */
  get bias(): Variable | null {
    return this.params.get('bias') ?? null;
  }

  /** The pre-activation `x·W + b` (the logits of a softmax/sigmoid output layer). */
  callLogits(x: Variable): Variable {
    const h = this.checkInput(x);
    return this.bias ? linear(h, this.kernel, this.bias) : linear(h, this.kernel);
  }

  call(x: Variable): Variable {
    const z = this.callLogits(x);
    if ((activationNames as readonly string[]).includes(this.activation)) return this.activationFn(z);
    const fnName = this.activationFn.name;
    const label =
      this.activation !== 'custom' ? `'${this.activation}'` : fnName ? `'${fnName}' (a custom function)` : '(a custom function)';
    return checkActivationResult(`Dense '${this.name}'`, label, z, this.activationFn(z));
  }

  override get activationName(): string {
    return this.activation;
  }

  override get hasBias(): boolean {
    return this.useBias;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: typeof this.kernelInit === 'string' ? this.kernelInit : 'custom',
      biasInitializer: typeof this.biasInit === 'string' ? this.biasInit : 'custom',
      ...(this.dtype === 'float64' ? { dtype: 'float64' } : {}),
    };
  }
}

/** Options of {@link Dropout}. */
export interface DropoutOptions extends LayerOptions {
  /** Seed for a private generator; without it the model's generator is used. */
  seed?: number;
}

/**
 * Inverted dropout: in training mode each input is zeroed with probability `rate` and survivors are
 * scaled by 1 / (1 − rate), so inference (eval mode) is the identity. The mask comes from a seeded generator.
 */
export class Dropout extends Layer {
  readonly type = 'Dropout';
  readonly rate: number;
  readonly seed: number | undefined;

  constructor(rate: number, options: DropoutOptions = {}) {
    super(options);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new ValueError(`Dropout: rate must be in [0, 1), got ${fmtValue(rate)}`);
    }
    const seed = options.seed;
    if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
      throw new ValueError(`Dropout: seed must be a finite number, got ${fmtValue(seed)}`);
    }
    if (seed !== undefined) checkSeededLayerName('Dropout', this.name);
    this.rate = rate;
    this.seed = seed;
  }

  protected createParameters(inputSize: number, g: Generator): number {
    if (this.seed !== undefined) this.generator = new Generator(this.seed);
    else this.generator = g;
    return inputSize;
  }

  call(x: Variable): Variable {
    if (!this.training || this.rate === 0) return x;
    const g = this.generator ?? (this.generator = new Generator(this.seed ?? 0));
    const n = x.size;
    const mask = x.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n); // the scale 1/(1 − rate) in x's precision
    const keep = 1 - this.rate;
    const scale = 1 / keep;
    for (let i = 0; i < n; i++) mask[i] = g.random() < keep ? scale : 0;
    return mul(x, new Tensor(mask, x.shape));
  }

  override getConfig(): LayerConfig {
    const c: LayerConfig = { ...super.getConfig(), rate: this.rate };
    if (this.seed !== undefined) c.seed = this.seed;
    return c;
  }
}

/**
 * Flattens each sample to one axis: `[batch, d1, d2, …]` → `[batch, d1·d2·…]` (`[batch]` → `[batch, 1]`, as Keras). No
 * parameters; once built, samples must have the features it was built for.
 */
export class Flatten extends Layer {
  readonly type = 'Flatten';

  protected createParameters(inputSize: number): number {
    return inputSize;
  }

  call(x: Variable): Variable {
    if (x.shape.length === 0) throw new ShapeError(`Flatten '${this.name}': expected input [batch, …], got a scalar (no batch axis)`);
    const features = sizeOf(x.shape.slice(1));
    if (this.built && this.inputSize !== null && features !== this.inputSize) {
      throw new ShapeError(
        `Flatten '${this.name}': built for ${this.inputSize} features per sample, got ${fmtShape(x.shape)} (${features})`,
      );
    }
    return x.shape.length === 2 ? x : x.reshape([x.shape[0]!, features]);
  }
}

/**
 * `t` in storage from the backend's `kernelStateArrays` when it is float32: on a wasm backend, large weights then lie
 * in the WebAssembly memory where the optimizer's Adam kernel keeps their moments, and are updated there without a
 * copy (same values, same bits; ordinary arrays elsewhere).
 */
function kernelResident(t: Tensor): Tensor {
  if (t.dtype !== 'float32') return t;
  const [data] = kernelStateArrays('float32', t.size, 1) as [Float32Array];
  data.set(t.values());
  return new Tensor(data, t.shape);
}
