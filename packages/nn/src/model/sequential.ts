import { Variable, noGrad, softmaxCrossEntropy, variable } from '@tapegrad/autograd';
import { createOptimizer, type Optimizer } from '@tapegrad/optim';
import {
  Generator,
  ShapeError,
  Tensor,
  ValueError,
  argmax,
  fmtShape,
  shuffle as shuffleInPlace,
  sigmoid as sigmoidKernel,
  sizeOf,
  softmax as softmaxKernel,
  type TypedArray,
} from '@tapegrad/tensor';
import { type Callback, CallbackList } from '../training/callbacks.js';
import { gatherRows, toCategorical, trainValidationSplit } from '../training/data.js';
import { History } from '../training/history.js';
import { Dense, Layer, layerFromConfig, type LayerConfig } from './layers.js';
import { binaryCrossentropy, getLoss, resolveLossName, type LossFn, type LossName } from '../training/losses.js';
import { binaryAccuracy, categoricalAccuracy, mae, mse, resolveMetricName, sparseCategoricalAccuracy } from '../training/metrics.js';
import { ProgressBar, type ProgressWriter } from '../training/progress.js';
import { assertSafeJson, parseJsonSafe } from '../io/safe-json.js';
import { WEIGHTS_FORMAT, WEIGHTS_VERSION, decodeTensors, encodeTensors } from '../io/tensors.js';

/** A metric computed by `fit`/`evaluate`: a name or `(predictions, targets) => number` (mean over the batch). */
export type MetricSpec = string | ((predictions: Tensor, targets: Tensor) => number);

/** Options of {@link Sequential.compile}. */
export interface CompileOptions {
  /** Optimizer name (`'adam'`, `'sgd'`, `'iterative'`, …) or an Optimizer instance (default `'adam'`). */
  optimizer?: string | Optimizer;
  /** Loss name or alias (`'mse'`, `'cse'`, …) or a function `(predictions, targets) => scalar Variable`. */
  loss: string | LossFn;
  /** Metrics to track: `'accuracy'` (binary/categorical/sparse picked from the labels), `'mse'`, `'mae'`, or functions. */
  metrics?: MetricSpec[];
  /** Learning rate for a named optimizer (its default otherwise). */
  lr?: number;
  /** Extra options for a named optimizer (momentum, betas, …). */
  optimizerOptions?: Record<string, unknown>;
  /** The model outputs logits (a linear last layer): cross-entropies apply the softmax/sigmoid themselves. */
  fromLogits?: boolean;
}

/** Options of {@link Sequential.fit}. */
export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Reshuffle the training samples every epoch with the seeded generator (default true). */
  shuffle?: boolean;
  /** Keras semantics: the last fraction of the samples, taken before shuffling, is held out for validation. */
  validationSplit?: number;
  /** Explicit validation set (overrides validationSplit). */
  validationData?: [Tensor, Tensor];
  /** 0 silent, 1 progress bar on a TTY (one line per epoch otherwise), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback[];
  /** Epoch to start counting from (resuming). */
  initialEpoch?: number;
  /** Generator for shuffling (default: the model's, seeded by its `seed`). */
  generator?: Generator;
  /** Shuffle with a fresh generator seeded by this instead of the model's own. */
  seed?: number | string;
  /** Where progress goes (`process.stdout` in Node gives the live bar). */
  writer?: ProgressWriter;
}

/** Options of {@link Sequential.evaluate} and {@link Sequential.predict}. */
export interface EvaluateOptions {
  batchSize?: number;
}

/** Options of the {@link Sequential} constructor. */
export interface SequentialOptions {
  name?: string;
  /** Seed of the model's generator (weight init, dropout, shuffling); default 0. */
  seed?: number | string;
  layers?: Layer[];
}

/** The JSON document written by {@link Sequential.toJSON}. */
export interface ModelJSON {
  format: 'tapegrad-model';
  version: 1;
  name: string;
  seed: number | string;
  inputShape: number[] | null;
  architecture: { class: 'Sequential'; layers: { type: string; config: LayerConfig }[] };
  compile: { optimizer: string; optimizerConfig: Record<string, unknown>; loss: string; fromLogits: boolean; metrics: string[] } | null;
  optimizerState: unknown;
  generatorState: unknown;
  /** Generator states of layers with their own seed (a seeded Dropout), by layer name. */
  layerGeneratorStates?: Record<string, unknown>;
  epoch: number;
  weights: { format: string; version: number; tensors: ReturnType<typeof encodeTensors> };
}

interface Compiled {
  lossName: LossName | null;
  lossFn: LossFn;
  fromLogits: boolean;
  metrics: { key: string; spec: MetricSpec }[];
  optimizerSpec: string | Optimizer;
  optimizerOptions: Record<string, unknown>;
  lr: number | undefined;
}

type Fused = 'softmax' | 'sigmoid' | null;

/** Largest parameter count `fromJSON` accepts before allocating (2^26 floats, 256 MiB). */
const MAX_PARAMS = 2 ** 26;

const fmtInt = (n: number): string => n.toLocaleString('en-US');
const nowMs = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * A Keras-style stack of layers: `add` layers (each input size inferred from the previous layer),
 * `compile` with an optimizer, loss and metrics, `summary`, `fit` with validation and callbacks,
 * `evaluate`, `predict`, and JSON save/load that reproduces predictions and training bit for bit.
 * @example
 * const model = new Sequential({ seed: 1 });
 * model.add(new Dense(128, { activation: 'relu', inputShape: [784] }));
 * model.add(new Dense(10, { activation: 'softmax' }));
 * model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
 * const history = model.fit(x, y, { epochs: 10, batchSize: 64, validationSplit: 0.1 });
 */
export class Sequential {
  readonly layers: Layer[] = [];
  name: string;
  readonly seed: number | string;
  /** Source of weight init, dropout masks and per-epoch shuffles. */
  readonly generator: Generator;
  /** Per-sample input shape, once known. */
  inputShape: number[] | null = null;
  optimizer: Optimizer | null = null;
  /** Set by a callback to end `fit` after the current batch/epoch. */
  stopTraining = false;
  /** Number of epochs trained so far (across `fit` calls and save/load). */
  epoch = 0;
  /** The History of the last `fit`. */
  history: History | null = null;
  private compiled: Compiled | null = null;

  constructor(layersOrOptions: Layer[] | SequentialOptions = {}, options: SequentialOptions = {}) {
    const opts = Array.isArray(layersOrOptions) ? { ...options, layers: layersOrOptions } : layersOrOptions;
    this.name = opts.name ?? 'sequential';
    this.seed = opts.seed ?? 0;
    this.generator = new Generator(this.seed);
    for (const layer of opts.layers ?? []) this.add(layer);
  }

  // ---- structure --------------------------------------------------------------------------------

  /** Appends a layer, naming it if unnamed and building it from the previous layer's output size. */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) throw new ValueError(`Sequential.add: expected a Layer (Dense, Dropout, Flatten, …), got ${String(layer)}`);
    if (this.layers.includes(layer)) throw new ValueError(`Sequential.add: layer '${layer.name}' is already in the model; add a new layer instance (a layer cannot appear twice)`);
    if (layer.name === '') {
      const base = layer.type.toLowerCase();
      let k = 0;
      let name = base;
      while (this.layers.some((l) => l.name === name)) name = `${base}_${++k}`;
      layer.name = name;
      for (const [local, p] of layer.namedParameters()) p.name = `${layer.name}/${local}`;
    } else if (this.layers.some((l) => l.name === layer.name)) {
      throw new ValueError(`Sequential.add: a layer named '${layer.name}' already exists; layer names must be unique`);
    }
    const prev = this.layers[this.layers.length - 1];
    if (prev) {
      if (prev.outputSize !== null) this.buildLayer(layer, prev, prev.outputSize);
    } else if (layer.inputShape) {
      this.inputShape = [...layer.inputShape];
      this.buildLayer(layer, null, sizeOf(layer.inputShape));
    }
    this.layers.push(layer);
    // new parameters: the optimizer is rebound (fresh state) on the next fit
    this.optimizer = null;
    return this;
  }

  private buildLayer(layer: Layer, prev: Layer | null, inputSize: number): void {
    if (prev && layer.inputShape && sizeOf(layer.inputShape) !== inputSize) {
      throw new ShapeError(
        `Sequential.add: layer '${layer.name}' (${layer.type}) declares inputShape ${fmtShape(layer.inputShape)} ` +
          `(${sizeOf(layer.inputShape)} features) but the previous layer '${prev.name}' (${prev.type}) outputs ${inputSize} features`,
      );
    }
    layer.build(inputSize, this.generator);
  }

  /** Builds every layer for a per-sample input shape (done automatically by `add`/`fit` when possible). */
  build(inputShape: number | readonly number[]): this {
    const shape = typeof inputShape === 'number' ? [inputShape] : [...inputShape];
    if (this.inputShape && sizeOf(this.inputShape) !== sizeOf(shape)) {
      throw new ShapeError(`Sequential.build: model expects input ${fmtShape(this.inputShape)}, got ${fmtShape(shape)}`);
    }
    if (!this.inputShape) this.inputShape = shape;
    let size = sizeOf(shape);
    let prev: Layer | null = null;
    for (const layer of this.layers) {
      if (layer.inputShape && sizeOf(layer.inputShape) !== size) {
        throw new ShapeError(
          `Sequential.build: layer '${layer.name}' (${layer.type}) declares inputShape ${fmtShape(layer.inputShape)} ` +
            `(${sizeOf(layer.inputShape)} features) but ${prev ? `the previous layer '${prev.name}' (${prev.type}) outputs` : 'the data has'} ${size} features`,
        );
      }
      if (!layer.built) layer.build(size, this.generator);
      size = layer.outputSize!;
      prev = layer;
    }
    return this;
  }

  /** True when every layer has its parameters. */
  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  /** Flat output size of the last layer. */
  get outputSize(): number | null {
    return this.layers.length ? this.layers[this.layers.length - 1]!.outputSize : null;
  }

  /** Every parameter, layer by layer. */
  parameters(): Variable[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  /** Parameters the optimizer updates (those of trainable layers). */
  trainableParameters(): Variable[] {
    return this.layers.filter((l) => l.trainable).flatMap((l) => l.parameters());
  }

  /** `[layerName/kernel, parameter]` pairs in order. */
  namedParameters(): [string, Variable][] {
    return this.layers.flatMap((l) => l.namedParameters().map(([n, p]): [string, Variable] => [`${l.name}/${n}`, p]));
  }

  /** Copies of every weight tensor, in {@link Sequential.parameters} order. */
  getWeights(): Tensor[] {
    return this.parameters().map((p) => p.value.clone());
  }

  /** Writes weights (same order and shapes as {@link Sequential.getWeights}) into the parameters in place. */
  setWeights(weights: readonly Tensor[]): void {
    const params = this.parameters();
    if (weights.length !== params.length) throw new ValueError(`setWeights: got ${weights.length} tensors; the model has ${params.length} parameters`);
    params.forEach((p, i) => {
      const w = weights[i]!;
      if (w.shape.length !== p.shape.length || w.shape.some((d, j) => d !== p.shape[j])) {
        throw new ShapeError(`setWeights: tensor ${i} has shape ${fmtShape(w.shape)}; parameter '${p.name ?? i}' has ${fmtShape(p.shape)}`);
      }
      const dst = p.value.data;
      const src = w.contiguous().values();
      const off = p.value.offset;
      for (let j = 0; j < src.length; j++) dst[off + j] = src[j]!;
    });
  }

  /** Training mode on every layer. */
  train(mode = true): this {
    for (const l of this.layers) l.train(mode);
    return this;
  }

  /** Inference mode on every layer (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const l of this.layers) l.zeroGrad();
  }

  /** The forward pass of a batch Variable through every layer. */
  call(x: Variable): Variable {
    let h = x;
    for (const l of this.layers) h = l.call(h);
    return h;
  }

  // ---- compile ----------------------------------------------------------------------------------

  /** Sets the optimizer (name or instance), loss (name, alias or function) and metrics. */
  compile(options: CompileOptions): this {
    if (!options || options.loss === undefined) throw new ValueError(`compile: a loss is required, e.g. compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' })`);
    const lossName = typeof options.loss === 'string' ? resolveLossName(options.loss) : null;
    const fromLogits = options.fromLogits ?? false;
    const lossFn = getLoss(options.loss, { fromLogits });
    const metrics = (options.metrics ?? []).map((spec) => ({ key: metricKey(spec), spec }));
    const optimizerSpec = options.optimizer ?? 'adam';
    if (typeof optimizerSpec !== 'string' && (typeof optimizerSpec !== 'object' || typeof optimizerSpec.step !== 'function')) {
      throw new ValueError(`compile: optimizer must be a name or an Optimizer, got ${String(optimizerSpec)}`);
    }
    this.compiled = { lossName, lossFn, fromLogits, metrics, optimizerSpec, optimizerOptions: { ...(options.optimizerOptions ?? {}) }, lr: options.lr };
    this.optimizer = null;
    if (typeof optimizerSpec === 'string') {
      // validate the name now (an unknown optimizer is a compile error, not a fit error)
      createOptimizer(optimizerSpec, [], this.optimizerOptions());
    }
    if (this.built) this.ensureOptimizer();
    return this;
  }

  /** True once compiled. */
  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  /** The canonical loss name, or `custom`. */
  get lossName(): string | null {
    return this.compiled ? (this.compiled.lossName ?? 'custom') : null;
  }

  /** Whether the model was compiled with `fromLogits` (its outputs are logits). */
  get fromLogits(): boolean {
    return this.compiled?.fromLogits ?? false;
  }

  private optimizerOptions(): Record<string, unknown> {
    const c = this.compiled!;
    return c.lr === undefined ? { ...c.optimizerOptions } : { ...c.optimizerOptions, lr: c.lr };
  }

  private ensureOptimizer(): Optimizer {
    if (this.optimizer) return this.optimizer;
    const c = this.compiled!;
    const params = this.trainableParameters();
    if (typeof c.optimizerSpec === 'string') {
      this.optimizer = createOptimizer(c.optimizerSpec, params, this.optimizerOptions());
    } else {
      this.optimizer = c.optimizerSpec;
      if (c.lr !== undefined) this.optimizer.lr = c.lr;
      this.optimizer.setParams(params);
    }
    return this.optimizer;
  }

  /** Which fused output path training uses: softmax + cross-entropy, sigmoid + binary cross-entropy, or none. */
  get fusedOutput(): Fused {
    const c = this.compiled;
    const last = this.layers[this.layers.length - 1];
    if (!c || c.fromLogits || !(last instanceof Dense)) return null;
    if (last.activation === 'softmax' && (c.lossName === 'categoricalCrossentropy' || c.lossName === 'sparseCategoricalCrossentropy')) return 'softmax';
    if (last.activation === 'sigmoid' && c.lossName === 'binaryCrossentropy') return 'sigmoid';
    return null;
  }

  /** Forward + loss. `fused` returns the last layer's logits and a fused stable loss. */
  private forwardLoss(x: Variable, y: Tensor, fused: Fused): { out: Variable; loss: Variable } {
    if (!fused) {
      const out = this.call(x);
      return { out, loss: this.compiled!.lossFn(out, y) };
    }
    let h = x;
    const n = this.layers.length;
    for (let i = 0; i < n - 1; i++) h = this.layers[i]!.call(h);
    const logits = (this.layers[n - 1] as Dense).callLogits(h);
    const loss =
      fused === 'softmax'
        ? softmaxCrossEntropy(logits, this.compiled!.lossName === 'sparseCategoricalCrossentropy' ? toInt32(y) : y)
        : binaryCrossentropy(logits, y, { fromLogits: true });
    return { out: logits, loss };
  }

  // ---- summary ----------------------------------------------------------------------------------

  /** The layer table (name, type, input, output, activation, bias, parameters) and totals; printed unless `print: false`. */
  summary(options: { print?: boolean; writer?: ProgressWriter } = {}): string {
    const header = ['Layer (name)', 'Type', 'Input', 'Output', 'Activation', 'Bias', 'Params'];
    const rows: string[][] = [];
    let size: number | null = this.inputShape ? sizeOf(this.inputShape) : null;
    let total = 0;
    let trainable = 0;
    for (const l of this.layers) {
      const inSize = l.inputSize ?? size;
      const outSize = l.outputSize;
      const params = l.countParams();
      total += params;
      if (l.trainable) trainable += params;
      const input = l === this.layers[0] && this.inputShape ? fmtShape(this.inputShape) : inSize === null ? '?' : `[${inSize}]`;
      rows.push([l.name, l.type, input, outSize === null ? '?' : `[${outSize}]`, l.activationName, l.type === 'Dense' ? (l.hasBias ? 'yes' : 'no') : '-', fmtInt(params)]);
      size = outSize;
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string =>
      cells.map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
    const rule = '='.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
    const out = [
      `Model: "${this.name}"`,
      rule,
      line(header),
      rule.replace(/=/g, '-'),
      ...rows.map(line),
      rule,
      `Total params: ${fmtInt(total)}`,
      `Trainable params: ${fmtInt(trainable)}`,
      `Non-trainable params: ${fmtInt(total - trainable)}`,
    ].join('\n');
    if (options.print ?? true) {
      if (options.writer) options.writer.write(`${out}\n`);
      else console.log(out);
    }
    return out;
  }

  // ---- data checks ------------------------------------------------------------------------------

  private validateData(fn: string, x: Tensor, y: Tensor | null, needCompiled: boolean): void {
    if (needCompiled && !this.compiled) {
      throw new ValueError(`${fn}: the model is not compiled; call model.compile({ optimizer, loss, metrics }) first`);
    }
    if (this.layers.length === 0) throw new ValueError(`${fn}: the model has no layers; add some with model.add(...)`);
    if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor, got ${String(x)}`);
    if (x.ndim < 2) throw new ShapeError(`${fn}: x must be [samples, …features], got ${fmtShape(x.shape)}`);
    if (x.shape[0] === 0) throw new ValueError(`${fn}: x has no samples (shape ${fmtShape(x.shape)}); pass at least one sample`);
    const features = sizeOf(x.shape.slice(1));
    if (this.inputShape && sizeOf(this.inputShape) !== features) {
      throw new ShapeError(`${fn}: x has ${features} features per sample (shape ${fmtShape(x.shape)}); the model expects ${fmtShape(this.inputShape)} (${sizeOf(this.inputShape)} features)`);
    }
    checkFinite(fn, 'x', x);
    if (!this.built) this.build(x.shape.slice(1));
    if (y === null) return;
    if (!(y instanceof Tensor)) throw new ValueError(`${fn}: y must be a Tensor, got ${String(y)}`);
    if (y.ndim === 0 || y.shape[0] !== x.shape[0]) {
      throw new ShapeError(`${fn}: x has ${x.shape[0]} samples but y has ${y.ndim === 0 ? 'none (a scalar)' : y.shape[0]} (shape ${fmtShape(y.shape)}); expected equal counts`);
    }
    checkFinite(fn, 'y', y);
    const k = this.outputSize!;
    const loss = this.compiled?.lossName ?? null;
    if (loss === 'sparseCategoricalCrossentropy') {
      if (!(y.ndim === 1 || (y.ndim === 2 && y.shape[1] === 1))) {
        throw new ShapeError(`${fn}: sparseCategoricalCrossentropy expects integer labels [samples], got y ${fmtShape(y.shape)}`);
      }
      const v = y.contiguous().values();
      for (let i = 0; i < v.length; i++) {
        const c = v[i]!;
        if (!Number.isInteger(c) || c < 0 || c >= k) {
          throw new ValueError(`${fn}: label ${c} at sample ${i} is out of range; the model has ${k} outputs, so labels must be integers in [0, ${k - 1}]`);
        }
      }
      return;
    }
    if (y.ndim === 1 && k > 1 && loss === 'categoricalCrossentropy') {
      throw new ShapeError(
        `${fn}: categoricalCrossentropy expects one-hot labels [samples, ${k}], got integer labels ${fmtShape(y.shape)}; use toCategorical(y, ${k}) or loss 'sparseCategoricalCrossentropy'`,
      );
    }
    const width = y.ndim === 1 ? 1 : sizeOf(y.shape.slice(1));
    if (width !== k) {
      throw new ShapeError(`${fn}: y has width ${width} (shape ${fmtShape(y.shape)}) but the last layer '${this.layers[this.layers.length - 1]!.name}' outputs ${k}`);
    }
    if (loss === 'categoricalCrossentropy' || loss === 'binaryCrossentropy') {
      const v = y.contiguous().values();
      for (let i = 0; i < v.length; i++) {
        if (v[i]! < 0 || v[i]! > 1) {
          throw new ValueError(`${fn}: ${loss} needs targets in [0, 1]; y has ${v[i]} at flat index ${i}`);
        }
      }
    }
  }

  // ---- fit --------------------------------------------------------------------------------------

  /** Trains for `epochs` epochs of mini-batches; returns the History (also stored as `model.history`). */
  fit(x: Tensor, y: Tensor, options: FitOptions = {}): History {
    const cbs = new CallbackList(options.callbacks ?? [], this);
    const run = this.trainLoop(x, y, options, cbs);
    for (;;) {
      const r = run.next();
      if (cbs.pending.length > 0) {
        for (const p of cbs.pending.splice(0)) p.catch(() => undefined);
        run.return?.(undefined as never);
        throw new ValueError('fit: a callback returned a Promise; use `await model.fitAsync(...)` for asynchronous callbacks');
      }
      if (r.done) return r.value;
    }
  }

  /**
   * Like {@link Sequential.fit}, but yields to the event loop between batches (at most every `yieldEveryMs`,
   * default 16 ms) and awaits Promises returned by callbacks at the end of each epoch — for browsers and
   * asynchronous checkpoints. Same numbers as `fit`, bit for bit.
   */
  async fitAsync(x: Tensor, y: Tensor, options: FitOptions & { yieldEveryMs?: number } = {}): Promise<History> {
    const cbs = new CallbackList(options.callbacks ?? [], this);
    const run = this.trainLoop(x, y, options, cbs);
    const every = options.yieldEveryMs ?? 16;
    let last = nowMs();
    for (;;) {
      const r = run.next();
      if (r.done || r.value === 'epoch') {
        const pending = cbs.pending.splice(0);
        if (pending.length > 0) await Promise.all(pending);
      }
      if (r.done) return r.value;
      if (r.value === 'epoch' || nowMs() - last >= every) {
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        last = nowMs();
      }
    }
  }

  private *trainLoop(x: Tensor, y: Tensor, options: FitOptions, cbs: CallbackList): Iterator<'batch' | 'epoch', History, undefined> {
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? 32;
    const initialEpoch = options.initialEpoch ?? 0;
    if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`fit: epochs must be a non-negative integer, got ${epochs}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError(`fit: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new ValueError(`fit: initialEpoch must be a non-negative integer, got ${initialEpoch}`);
    this.validateData('fit', x, y, true);
    let xTrain = x;
    let yTrain = y;
    let val: [Tensor, Tensor] | null = null;
    if (options.validationData) {
      const [xv, yv] = options.validationData;
      this.validateData('fit (validationData)', xv, yv, true);
      val = [xv, yv];
    } else if (options.validationSplit !== undefined && options.validationSplit !== 0) {
      const s = trainValidationSplit(x, y, options.validationSplit);
      xTrain = s.xTrain;
      yTrain = s.yTrain;
      val = [s.xVal, s.yVal];
    }
    const optimizer = this.ensureOptimizer();
    const compiled = this.compiled!;
    const generator = options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : this.generator);
    const fused = this.fusedOutput;
    const n = xTrain.shape[0]!;
    const featShape = xTrain.shape.slice(1);
    const f = sizeOf(featShape);
    const sparse = compiled.lossName === 'sparseCategoricalCrossentropy';
    const yShape = labelShape(yTrain, sparse);
    const yw = sizeOf(yShape);
    const xd = toFloat32(xTrain);
    const yd = sparse ? toInt32(yTrain).values() : toFloat32(yTrain);
    const bs = Math.min(batchSize, n);
    const xBuf = new Float32Array(bs * f);
    const yBuf = sparse ? new Int32Array(bs * yw) : new Float32Array(bs * yw);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const steps = Math.ceil(n / bs);
    const history = new History({
      epochs: initialEpoch + epochs,
      batchSize: bs,
      samples: n,
      validationSamples: val ? val[0].shape[0]! : 0,
      seed: generator.seed,
      optimizer: optimizer.name,
      loss: this.lossName ?? 'custom',
      metrics: compiled.metrics.map((m) => m.key),
    });
    this.history = history;
    const progress = new ProgressBar({ verbose: options.verbose ?? 1, ...(options.writer ? { writer: options.writer } : {}) });
    const hasTerminateOnNaN = cbs.has('TerminateOnNaN');
    const params = this.trainableParameters();
    this.stopTraining = false;
    this.train(true);
    cbs.onTrainBegin({});
    try {
      for (let epoch = initialEpoch; epoch < initialEpoch + epochs; epoch++) {
        cbs.onEpochBegin(epoch, {});
        const t0 = nowMs();
        if (options.shuffle ?? true) shuffleInPlace(order, { generator });
        progress.epochBegin(epoch, initialEpoch + epochs, steps);
        let lossSum = 0;
        let seen = 0;
        const metricSums = new Float64Array(compiled.metrics.length);
        for (let step = 0; step < steps; step++) {
          const start = step * bs;
          const m = Math.min(bs, n - start);
          gatherRows(xd, f, order, start, m, xBuf);
          gatherRows(yd, yw, order, start, m, yBuf);
          const xb = new Tensor(m === bs ? xBuf : xBuf.subarray(0, m * f), [m, ...featShape]);
          const yb = new Tensor(m === bs ? yBuf : yBuf.subarray(0, m * yw), sparse ? [m] : [m, ...yShape]);
          cbs.onBatchBegin(step, { batch: step, size: m });
          let batchLoss: number;
          let out: Tensor;
          if (optimizer.perExample) {
            ({ loss: batchLoss, out } = this.perExampleSteps(xb, yb, fused, optimizer, params));
          } else {
            const { out: o, loss } = this.forwardLoss(variable(xb), yb, fused);
            batchLoss = loss.item();
            if (!Number.isFinite(batchLoss) && !hasTerminateOnNaN) {
              throw new ValueError(`fit: the loss became ${batchLoss} at epoch ${epoch + 1}, batch ${step + 1}; lower the learning rate, check the data, or add a TerminateOnNaN callback`);
            }
            for (const p of params) p.grad = null;
            loss.backward();
            optimizer.step();
            out = o.value;
          }
          lossSum += batchLoss * m;
          seen += m;
          const logs: Record<string, number> = { batch: step, size: m, loss: batchLoss };
          for (let j = 0; j < compiled.metrics.length; j++) {
            const v = this.metricValue(compiled.metrics[j]!.spec, out, yb, fused);
            metricSums[j] += v * m;
            logs[compiled.metrics[j]!.key] = v;
          }
          cbs.onBatchEnd(step, logs);
          const running: Record<string, number> = { loss: lossSum / seen };
          for (let j = 0; j < compiled.metrics.length; j++) running[compiled.metrics[j]!.key] = metricSums[j]! / seen;
          progress.batchEnd(step + 1, running);
          if (this.stopTraining) break;
          yield 'batch';
        }
        const logs: Record<string, number> = { loss: lossSum / Math.max(seen, 1) };
        for (let j = 0; j < compiled.metrics.length; j++) logs[compiled.metrics[j]!.key] = metricSums[j]! / Math.max(seen, 1);
        if (val) {
          const v = this.evaluateValidated(val[0], val[1], { batchSize: Math.max(bs, 256) });
          this.train(true);
          for (const k of Object.keys(v)) logs[`val_${k}`] = v[k]!;
        }
        logs.lr = optimizer.lr;
        logs.time = (nowMs() - t0) / 1000;
        this.epoch += 1;
        cbs.onEpochEnd(epoch, logs);
        history.record(epoch, logs);
        progress.epochEnd(logs);
        if (this.stopTraining) break;
        yield 'epoch';
      }
    } finally {
      this.train(false);
      cbs.onTrainEnd(history.last());
    }
    return history;
  }

  /** The 'iterative' optimizer: one update after every single example; returns the batch's mean loss. */
  private perExampleSteps(xb: Tensor, yb: Tensor, fused: Fused, optimizer: Optimizer, params: Variable[]): { loss: number; out: Tensor } {
    const m = xb.shape[0]!;
    const k = this.outputSize!;
    const out = new Float32Array(m * k);
    let sum = 0;
    for (let i = 0; i < m; i++) {
      const xi = xb.slice([i, i + 1]);
      const yi = yb.slice([i, i + 1]);
      const { out: o, loss } = this.forwardLoss(variable(xi), yi, fused);
      const l = loss.item();
      if (!Number.isFinite(l)) throw new ValueError(`fit: the loss became ${l} at example ${i} of a batch; lower the learning rate or check the data`);
      sum += l;
      for (const p of params) p.grad = null;
      loss.backward();
      optimizer.step();
      out.set(o.value.contiguous().values(), i * k);
    }
    return { loss: sum / m, out: new Tensor(out, [m, k]) };
  }

  /** One metric of a batch; `out` holds logits on the fused path, so they are turned into probabilities (or thresholded at 0). */
  private metricValue(spec: MetricSpec, out: Tensor, y: Tensor, fused: Fused): number {
    if (typeof spec === 'function') return spec(fused ? probs(out, fused) : out, y);
    const name = resolveMetricName(spec, 'compile');
    const n = out.shape[0]!;
    const k = out.size / n;
    const sparse = y.ndim === 1 && k > 1;
    const o = out.reshape([n, k]);
    if (name === 'mse' || name === 'mae') {
      const p = fused ? probs(o, fused) : o;
      const t = sparse ? toCategorical(y, k) : y.reshape([n, k]);
      return name === 'mse' ? mse(p, t) : mae(p, t);
    }
    const kind =
      name === 'accuracy' ? (sparse ? 'sparse' : k === 1 || this.compiled?.lossName === 'binaryCrossentropy' ? 'binary' : 'categorical') : name;
    if (kind === 'binary' || kind === 'binaryAccuracy') return binaryAccuracy(o, y.reshape([n, k]), fused === 'sigmoid' ? 0 : 0.5);
    if (kind === 'sparse' || kind === 'sparseCategoricalAccuracy') return sparseCategoricalAccuracy(o, y);
    return categoricalAccuracy(o, y.reshape([n, k]));
  }

  // ---- evaluate / predict -----------------------------------------------------------------------

  /** Loss and metrics on (x, y) in inference mode under noGrad, averaged over the real samples. */
  evaluate(x: Tensor, y: Tensor, options: EvaluateOptions = {}): Record<string, number> {
    this.validateData('evaluate', x, y, true);
    return this.evaluateValidated(x, y, options);
  }

  private evaluateValidated(x: Tensor, y: Tensor, options: EvaluateOptions): Record<string, number> {
    const compiled = this.compiled!;
    const fused = this.fusedOutput;
    const sparse = compiled.lossName === 'sparseCategoricalCrossentropy';
    const bs = options.batchSize ?? 256;
    const n = x.shape[0]!;
    const featShape = x.shape.slice(1);
    const yShape = labelShape(y, sparse);
    const f = sizeOf(featShape);
    const yw = sizeOf(yShape);
    const xd = toFloat32(x);
    const yd = sparse ? toInt32(y).values() : toFloat32(y);
    const wasTraining = this.layers.some((l) => l.training);
    this.eval();
    let lossSum = 0;
    const sums = new Float64Array(compiled.metrics.length);
    try {
      noGrad(() => {
        for (let start = 0; start < n; start += bs) {
          const m = Math.min(bs, n - start);
          const xb = new Tensor(xd.subarray(start * f, (start + m) * f), [m, ...featShape]);
          const yb = new Tensor(yd.subarray(start * yw, (start + m) * yw), sparse ? [m] : [m, ...yShape]);
          const { out, loss } = this.forwardLoss(variable(xb), yb, fused);
          lossSum += loss.item() * m;
          for (let j = 0; j < compiled.metrics.length; j++) sums[j] += this.metricValue(compiled.metrics[j]!.spec, out.value, yb, fused) * m;
        }
      });
    } finally {
      this.train(wasTraining);
    }
    const result: Record<string, number> = { loss: lossSum / n };
    compiled.metrics.forEach((m, j) => (result[m.key] = sums[j]! / n));
    return result;
  }

  /**
   * The model's outputs (probabilities for a softmax/sigmoid output) in inference mode, batched under noGrad;
   * with `labels: true` the predicted class labels instead (as {@link Sequential.predictClasses}).
   */
  predict(x: Tensor, options: EvaluateOptions & { labels?: boolean } = {}): Tensor {
    if (options.labels) return this.predictClasses(x, options.batchSize !== undefined ? { batchSize: options.batchSize } : {});
    this.validateData('predict', x, null, false);
    const bs = options.batchSize ?? 256;
    const n = x.shape[0]!;
    const featShape = x.shape.slice(1);
    const f = sizeOf(featShape);
    const k = this.outputSize!;
    const xd = toFloat32(x);
    let out: Float32Array | Float64Array = new Float32Array(0);
    const wasTraining = this.layers.some((l) => l.training);
    this.eval();
    try {
      noGrad(() => {
        for (let start = 0; start < n; start += bs) {
          const m = Math.min(bs, n - start);
          const xb = new Tensor(xd.subarray(start * f, (start + m) * f), [m, ...featShape]);
          const o = this.call(variable(xb)).value;
          if (start === 0) out = o.dtype === 'float64' ? new Float64Array(n * k) : new Float32Array(n * k);
          out.set(o.values(), start * k);
        }
      });
    } finally {
      this.train(wasTraining);
    }
    return new Tensor(out, [n, k]);
  }

  /** Predicted class per sample (int32): argmax of the outputs, or output > 0.5 for a single sigmoid unit. */
  predictClasses(x: Tensor, options: EvaluateOptions = {}): Tensor {
    const p = this.predict(x, options);
    if (p.shape[1]! > 1) return argmax(p, 1);
    const pv = p.values();
    const out = new Int32Array(pv.length);
    for (let i = 0; i < pv.length; i++) out[i] = pv[i]! > 0.5 ? 1 : 0;
    return new Tensor(out, [pv.length]);
  }

  /** One metric (default accuracy) of the predictions on (x, y); labels may be one-hot or integer classes. */
  score(x: Tensor, y: Tensor, options: { metric?: MetricSpec; batchSize?: number } | MetricSpec = {}): number {
    const opts = typeof options === 'object' ? options : { metric: options };
    const metric = opts.metric ?? 'accuracy';
    if (typeof metric === 'string') resolveMetricName(metric, 'score');
    const p = this.predict(x, opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {});
    if (y.shape[0] !== x.shape[0]) throw new ShapeError(`score: x has ${x.shape[0]} samples but y has ${y.shape[0]} (shape ${fmtShape(y.shape)}); expected one label per sample`);
    return this.metricValue(metric, p, y, null);
  }

  // ---- save / load ------------------------------------------------------------------------------

  /** One versioned JSON document: architecture, layer configs, compile config, optimizer state, seed, generator state and weights. */
  toJSON(): ModelJSON {
    if (!this.built) throw new ValueError(`toJSON: the model is not built; give the first layer an inputShape or call build()/fit() first`);
    const c = this.compiled;
    if (c && c.lossName === null) throw new ValueError(`toJSON: the model uses a custom loss function, which cannot be saved; compile with a loss name`);
    const metrics = c ? c.metrics.map((m) => (typeof m.spec === 'string' ? m.spec : null)) : [];
    if (metrics.includes(null)) throw new ValueError(`toJSON: custom metric functions cannot be saved; use metric names`);
    for (const l of this.layers) if (l instanceof Dense && l.activation === 'custom') throw new ValueError(`toJSON: layer '${l.name}' has a custom activation function, which cannot be saved; register it with registerActivation(name, fn) and pass the name`);
    const named: Record<string, Tensor> = {};
    for (const [name, p] of this.namedParameters()) named[name] = p.value;
    const opt = c ? this.ensureOptimizer() : null;
    return {
      format: 'tapegrad-model',
      version: 1,
      name: this.name,
      seed: this.seed,
      inputShape: this.inputShape ? [...this.inputShape] : null,
      architecture: { class: 'Sequential', layers: this.layers.map((l) => ({ type: l.type, config: l.getConfig() })) },
      compile:
        c && opt
          ? { optimizer: opt.name, optimizerConfig: opt.config(), loss: c.lossName!, fromLogits: c.fromLogits, metrics: metrics as string[] }
          : null,
      optimizerState: opt ? opt.state() : null,
      generatorState: this.generator.getState(),
      layerGeneratorStates: Object.fromEntries(
        this.layers.filter((l) => l.generator && l.generator !== this.generator).map((l) => [l.name, l.generator!.getState()]),
      ),
      epoch: this.epoch,
      weights: { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, tensors: encodeTensors(named) },
    };
  }

  /** Rebuilds a model from {@link Sequential.toJSON} output (object or JSON text), validating every field. */
  static fromJSON(input: unknown): Sequential {
    const fn = 'Sequential.fromJSON';
    const doc = typeof input === 'string' ? parseJsonSafe(input, { context: 'model' }) : input;
    if (typeof input !== 'string') assertSafeJson(doc, { context: 'model' });
    if (!isObject(doc)) throw new ValueError(`${fn}: expected a model document object, got ${typeof doc}`);
    if (doc.format !== 'tapegrad-model') throw new ValueError(`${fn}: not a tapegrad model (format ${JSON.stringify(doc.format)}; expected "tapegrad-model")`);
    if (doc.version !== 1) throw new ValueError(`${fn}: unsupported model version ${JSON.stringify(doc.version)}; this build reads version 1`);
    const seed = doc.seed;
    if (!((typeof seed === 'number' && Number.isFinite(seed)) || (typeof seed === 'string' && seed.length <= 1000))) throw new ValueError(`${fn}: seed must be a finite number or a string of at most 1000 characters, got ${typeof seed === 'string' ? `a string of ${seed.length}` : typeof seed === 'number' ? seed : typeof seed}`);
    if (typeof doc.name !== 'string' || doc.name.length > 200) throw new ValueError(`${fn}: name must be a string of at most 200 characters, got ${typeof doc.name === 'string' ? `one of ${doc.name.length}` : typeof doc.name}`);
    const arch = doc.architecture;
    if (!isObject(arch) || arch.class !== 'Sequential' || !Array.isArray(arch.layers)) throw new ValueError(`${fn}: architecture must be {class: "Sequential", layers: [...]}`);
    if (arch.layers.length === 0 || arch.layers.length > 1000) throw new ValueError(`${fn}: expected 1 to 1000 layers, got ${arch.layers.length}`);
    let inputShape: number[] | null = null;
    if (doc.inputShape !== null && doc.inputShape !== undefined) {
      if (!Array.isArray(doc.inputShape) || doc.inputShape.length === 0 || doc.inputShape.length > 8 || !doc.inputShape.every((d) => Number.isInteger(d) && d > 0 && d <= 1e8)) {
        throw new ValueError(`${fn}: inputShape must be an array of positive integers, got ${JSON.stringify(doc.inputShape)}`);
      }
      inputShape = doc.inputShape as number[];
    }
    const model = new Sequential({ name: doc.name, seed });
    if (inputShape) model.inputShape = [...inputShape];
    // Sizes are checked before any parameter is allocated: no unbounded allocation from a hostile file.
    let size = inputShape ? sizeOf(inputShape) : null;
    let totalParams = 0;
    for (const [i, entry] of arch.layers.entries()) {
      if (!isObject(entry)) throw new ValueError(`${fn}: layer ${i} must be {type, config}`);
      const layer = layerFromConfig(entry.type, entry.config);
      if (layer instanceof Dense) {
        const inSize = size ?? (layer.inputShape ? sizeOf(layer.inputShape) : null);
        if (inSize !== null) totalParams += inSize * layer.units + (layer.useBias ? layer.units : 0);
        size = layer.units;
      }
      if (totalParams > MAX_PARAMS) throw new ValueError(`${fn}: the architecture has ${totalParams} parameters, more than ${MAX_PARAMS}; refusing to allocate`);
      model.add(layer);
    }
    if (!model.built) {
      if (!inputShape) throw new ValueError(`${fn}: the document has no inputShape, so the model cannot be built`);
      model.build(inputShape);
    }
    const w = doc.weights;
    if (!isObject(w) || w.format !== WEIGHTS_FORMAT || w.version !== WEIGHTS_VERSION) throw new ValueError(`${fn}: weights must be {format: "${WEIGHTS_FORMAT}", version: ${WEIGHTS_VERSION}, tensors}`);
    const expected: Record<string, readonly number[]> = {};
    const named = model.namedParameters();
    for (const [name, p] of named) expected[name] = p.shape;
    const tensors = decodeTensors(w.tensors, expected, { context: 'model weights' });
    for (const [name, p] of named) {
      const t = tensors[name]!;
      if (t.dtype !== p.value.dtype) throw new ValueError(`${fn}: weight '${name}' has dtype ${t.dtype}; expected ${p.value.dtype}`);
      (p.value.data as TypedArray).set(t.values(), p.value.offset);
    }
    if (doc.epoch !== undefined) {
      if (!Number.isInteger(doc.epoch) || (doc.epoch as number) < 0) throw new ValueError(`${fn}: epoch must be a non-negative integer`);
      model.epoch = doc.epoch as number;
    }
    if (doc.generatorState !== undefined && doc.generatorState !== null) {
      const g = doc.generatorState;
      if (!isGeneratorState(g)) {
        throw new ValueError(`${fn}: generatorState must be {seed, prng: {c, s0, s1, s2}, spare}`);
      }
      model.generator.setState(g as unknown as Parameters<Generator['setState']>[0]);
    }
    if (doc.layerGeneratorStates !== undefined) {
      const states = doc.layerGeneratorStates;
      if (!isObject(states)) throw new ValueError(`${fn}: layerGeneratorStates must be an object`);
      for (const name of Object.keys(states)) {
        const layer = model.layers.find((l) => l.name === name);
        const g = states[name];
        if (!layer || !layer.generator || layer.generator === model.generator || !isGeneratorState(g)) {
          throw new ValueError(`${fn}: layerGeneratorStates.${name} does not match a seeded layer or is not {seed, prng: {c, s0, s1, s2}, spare}`);
        }
        layer.generator.setState(g as unknown as Parameters<Generator['setState']>[0]);
      }
    }
    const c = doc.compile;
    if (c !== null && c !== undefined) {
      if (!isObject(c) || typeof c.optimizer !== 'string' || typeof c.loss !== 'string' || !Array.isArray(c.metrics) || !c.metrics.every((m) => typeof m === 'string')) {
        throw new ValueError(`${fn}: compile must be {optimizer: string, optimizerConfig, loss: string, metrics: string[]}`);
      }
      const cfg = isObject(c.optimizerConfig) ? { ...c.optimizerConfig } : {};
      delete cfg.name;
      model.compile({ optimizer: c.optimizer, loss: c.loss, metrics: c.metrics as string[], fromLogits: c.fromLogits === true, optimizerOptions: cfg });
      if (doc.optimizerState !== null && doc.optimizerState !== undefined) {
        try {
          model.ensureOptimizer().loadState(doc.optimizerState as never);
        } catch (e) {
          throw new ValueError(`${fn}: invalid optimizer state: ${(e as Error).message}`);
        }
      }
    }
    return model;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isGeneratorState(g: unknown): boolean {
  return (
    isObject(g) &&
    isObject(g.prng) &&
    (g.spare === null || typeof g.spare === 'number') &&
    (typeof g.seed === 'number' || typeof g.seed === 'string') &&
    ['c', 's0', 's1', 's2'].every((k) => typeof (g.prng as Record<string, unknown>)[k] === 'number')
  );
}

function metricKey(spec: MetricSpec): string {
  if (typeof spec === 'function') return spec.name || 'metric';
  return resolveMetricName(spec, 'compile');
}

/** Probabilities from the fused path's logits: the same kernels as the Dense layer's softmax/sigmoid in `predict`. */
function probs(logits: Tensor, fused: Exclude<Fused, null>): Tensor {
  return fused === 'sigmoid' ? sigmoidKernel(logits) : softmaxKernel(logits, -1);
}

/** Per-sample label shape: `[]` for sparse labels, `[1]` for 1-D labels of a single-output model. */
function labelShape(y: Tensor, sparse: boolean): number[] {
  if (sparse) return [];
  const s = y.shape.slice(1);
  return s.length === 0 ? [1] : s;
}

function toFloat32(t: Tensor): Float32Array {
  const c = t.dtype === 'float32' ? t.contiguous() : t.astype('float32');
  return c.values() as Float32Array;
}

function toInt32(t: Tensor): Tensor {
  return t.dtype === 'int32' ? t : t.astype('int32');
}

function checkFinite(fn: string, what: string, t: Tensor): void {
  if (t.dtype === 'int32') return;
  const v = t.contiguous().values();
  // Fast pass: x·0 is ±0 for every finite x and NaN for NaN/±∞, so the sum is 0 exactly when all are finite.
  let probe = 0;
  for (let i = 0; i < v.length; i++) probe += v[i]! * 0;
  if (probe === 0) return;
  for (let i = 0; i < v.length; i++) {
    const a = v[i]!;
    if (a !== a || a === Infinity || a === -Infinity) {
      const row = t.ndim > 0 ? Math.floor(i / (t.size / t.shape[0]!)) : 0;
      throw new ValueError(`${fn}: ${what} contains ${a} at flat index ${i} (sample ${row}); clean the data first`);
    }
  }
}
