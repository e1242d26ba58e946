import type { Variable } from '@tapegrad/autograd';
import type { Optimizer } from '@tapegrad/optim';
import { Generator, ShapeError, Tensor, ValueError, fmtShape, sizeOf } from '@tapegrad/tensor';
import {
  checkSavable,
  describeParameters,
  readLayers,
  readModelHeader,
  readModelState,
  writeModelJSON,
  type ModelJSON,
} from '../io/model-json.js';
import { CallbackList, type TrainingCallback } from '../training/callback-list.js';
import { checkBatchSize, checkFeatures, checkFitCounts, checkLabels, checkCastable, checkValidationData } from '../training/check-data.js';
import { bindOptimizer, checkOptimizerName, resolveCompile, type CompileOptions, type Compiled } from '../training/compile.js';
import { trainValidationSplit } from '../training/data.js';
import { evaluateBatches, scorePredictions } from '../training/evaluate.js';
import { fitLoop, runFit, runFitAsync, trainOnBatch } from '../training/fit-loop.js';
import type { History } from '../training/history.js';
import { resolveMetricName } from '../training/metrics.js';
import { categoricalOutput, classesOf, fusedOutput, type FusedOutput, type MetricSpec } from '../training/objective.js';
import { ProgressBar, type ProgressWriter } from '../training/progress.js';
import { checkOneDType, dataDType, forward, predictBatches, setTraining } from './forward.js';
import type { Layer } from './layers.js';
import { admitLayer, assignWeights, buildAfter, buildStack } from './stack.js';
import { describeLayers, formatSummary } from './summary.js';
import { includeOptimizerOf, sequentialOptions, type EvaluateOptions, type SaveOptions, type SequentialOptions } from './options.js';

export type { EvaluateOptions, SaveOptions, SequentialOptions } from './options.js';

/** Options of {@link Sequential.fit}. */
export interface FitOptions {
  /** The epoch to stop before (Keras, TF.js): trains epochs `initialEpoch … epochs − 1`, none if epochs ≤ initialEpoch. */
  epochs?: number;
  batchSize?: number;
  /** Reshuffle the training samples every epoch with the seeded generator (default true). */
  shuffle?: boolean;
  /** Keras semantics: the last fraction of the samples, taken before shuffling, is held out for validation. */
  validationSplit?: number;
  /** Explicit validation set (overrides validationSplit). */
  validationData?: [Tensor, Tensor];
  /** 0 silent, 1 or 'auto' (as Keras) progress bar on a TTY (one line per epoch otherwise), 2 one line per epoch. */
  verbose?: 0 | 1 | 2 | 'auto';
  /** Training hooks: {@link EarlyStopping}, {@link ModelCheckpoint}, … or any object with some of the hook methods. */
  callbacks?: TrainingCallback<Sequential>[];
  /** Epoch to start at when resuming (default 0); `epochs` stays the final count, as in Keras. */
  initialEpoch?: number;
  /** Generator for shuffling (default: the model's, seeded by its `seed`). */
  generator?: Generator;
  /** Shuffle with a fresh generator seeded by this instead of the model's own. */
  seed?: number | string;
  /** Where progress goes (`process.stdout` in Node gives the live bar). */
  writer?: ProgressWriter;
}

/**
 * A Keras-style stack of layers: `add` layers (each input size inferred from the previous layer),
 * `compile` with an optimizer, loss and metrics, `summary`, `fit` with validation and callbacks,
 * `evaluate`, `predict`, and JSON save/load that reproduces predictions and training bit for bit.
 * The class is the face; the work is done by the model (`model/`), training (`training/`) and
 * file-format (`io/`) modules it hands plain data to.
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
  /** The training call under way (one at a time per model), or null. */
  private running: 'fit' | 'fitAsync' | null = null;

  constructor(layersOrOptions: Layer[] | SequentialOptions = {}, options: SequentialOptions = {}) {
    const opts = sequentialOptions(layersOrOptions, options);
    this.name = opts.name;
    this.seed = opts.seed;
    this.generator = new Generator(this.seed);
    for (const layer of opts.layers) this.add(layer);
  }

  // ---- structure --------------------------------------------------------------------------------

  /** Appends a layer, naming it if unnamed and building it from the previous layer's output size. */
  add(layer: Layer): this {
    this.checkIdle('add');
    admitLayer(layer, this.layers);
    const prev = this.layers[this.layers.length - 1];
    if (prev) {
      if (prev.outputSize !== null) buildAfter(layer, this.layers, prev.outputSize, this.generator);
    } else if (layer.inputShape) {
      buildAfter(layer, this.layers, sizeOf(layer.inputShape), this.generator);
      this.inputShape = [...layer.inputShape];
    }
    this.layers.push(layer);
    // new parameters: the optimizer is rebound (fresh state) on the next fit
    this.optimizer = null;
    return this;
  }

  /** Builds every layer for a per-sample input shape (done automatically by `add`/`fit` when possible). */
  build(inputShape: number | readonly number[]): this {
    const shape = typeof inputShape === 'number' ? [inputShape] : [...inputShape];
    if (this.inputShape && sizeOf(this.inputShape) !== sizeOf(shape)) {
      throw new ShapeError(`Sequential.build: model expects input ${fmtShape(this.inputShape)}, got ${fmtShape(shape)}`);
    }
    if (!this.inputShape) this.inputShape = shape;
    buildStack(this.layers, sizeOf(shape), this.generator);
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
    assignWeights(this.parameters(), weights);
  }

  /** Training mode on every layer. */
  train(mode = true): this {
    setTraining(this.layers, mode);
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
    return forward(this.layers, x);
  }

  // ---- compile ----------------------------------------------------------------------------------

  /** Sets the optimizer (name or instance), loss (name, alias or function) and metrics. */
  compile(options: CompileOptions): this {
    this.checkIdle('compile');
    this.compiled = resolveCompile(options, this.compiled, this);
    this.optimizer = null;
    checkOptimizerName(this.compiled);
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

  private ensureOptimizer(): Optimizer {
    this.optimizer = bindOptimizer(this.compiled!, this.trainableParameters(), this.optimizer);
    return this.optimizer;
  }

  /** Which fused output path training uses: softmax + cross-entropy, sigmoid + binary cross-entropy, or none. */
  get fusedOutput(): FusedOutput {
    return fusedOutput(this.compiled, this.layers[this.layers.length - 1]);
  }

  // ---- summary ----------------------------------------------------------------------------------

  /** The layer table (name, type, input, output, activation, bias, parameters) and totals; printed unless `print: false`. */
  summary(options: { print?: boolean; writer?: ProgressWriter } = {}): string {
    const out = formatSummary(this.name, describeLayers(this.layers, this.inputShape));
    if (options.print ?? true) {
      if (options.writer) options.writer.write(`${out}\n`);
      else console.log(out);
    }
    return out;
  }

  // ---- data checks ------------------------------------------------------------------------------

  /** Refuses data the model cannot take (building the model from x's shape if it is not built yet). */
  private checkData(fn: string, x: Tensor, y: Tensor | null, needCompiled: boolean): void {
    if (needCompiled && !this.compiled) {
      throw new ValueError(`${fn}: the model is not compiled; call model.compile({ optimizer, loss, metrics }) first`);
    }
    if (this.layers.length === 0) throw new ValueError(`${fn}: the model has no layers; add some with model.add(...)`);
    checkFeatures(fn, x, this.inputShape);
    if (!this.built) this.build(x.shape.slice(1));
    checkCastable(fn, x, y, dataDType(this.layers));
    if (y === null) return;
    const lastLayer = this.layers[this.layers.length - 1]!.name;
    checkLabels(fn, x, y, { outputs: this.outputSize!, lossName: this.compiled?.lossName ?? null, lastLayer });
  }

  // ---- fit --------------------------------------------------------------------------------------

  /** Refuses to change or train the model while a `fit`/`fitAsync` runs (as TensorFlow.js does): one training at a time. */
  private checkIdle(fn: string): void {
    if (this.running) {
      throw new ValueError(
        `${fn}: the model is training (a ${this.running} call is running); wait for it to finish — one training at a time per model`,
      );
    }
  }

  /** Trains for `epochs` epochs of mini-batches; returns the History. Each step reuses the last step's `.grad` storage. */
  fit(x: Tensor, y: Tensor, options: FitOptions = {}): History {
    this.checkIdle('fit');
    const callbacks = new CallbackList(options.callbacks ?? [], this);
    const run = this.startFit('fit', x, y, options, callbacks);
    this.running = 'fit';
    try {
      return runFit(run, callbacks);
    } finally {
      this.running = null;
    }
  }

  /**
   * Like {@link Sequential.fit}, but yields to the event loop between batches (at most every `yieldEveryMs`,
   * default 16 ms) and awaits a Promise returned by any callback before the next batch — for browsers (a paused
   * page), and asynchronous checkpoints. Same numbers as `fit`, bit for bit.
   */
  async fitAsync(x: Tensor, y: Tensor, options: FitOptions & { yieldEveryMs?: number } = {}): Promise<History> {
    this.checkIdle('fitAsync');
    const callbacks = new CallbackList(options.callbacks ?? [], this);
    const run = this.startFit('fitAsync', x, y, options, callbacks);
    this.running = 'fitAsync';
    try {
      return await runFitAsync(run, callbacks, options.yieldEveryMs ?? 16);
    } finally {
      this.running = null;
    }
  }

  /** One optimizer step on the batch (x, y) in training mode (Keras' `train_on_batch`); returns its loss and metrics. */
  trainOnBatch(x: Tensor, y: Tensor): Record<string, number> {
    this.checkIdle('trainOnBatch');
    this.checkData('trainOnBatch', x, y, true);
    checkOneDType('trainOnBatch', this.layers);
    const objective = { objective: this.compiled!, fused: this.fusedOutput, optimizer: this.ensureOptimizer() };
    return trainOnBatch({ layers: this.layers, params: this.trainableParameters(), ...objective }, x, y);
  }

  /** Checks the options and data, splits off validation samples, binds the optimizer and returns the loop. */
  private startFit(
    fn: 'fit' | 'fitAsync',
    x: Tensor,
    y: Tensor,
    options: FitOptions,
    callbacks: CallbackList<Sequential>,
  ): ReturnType<typeof fitLoop> {
    const { epochs, batchSize, initialEpoch, verbose } = checkFitCounts(options);
    this.checkData('fit', x, y, true);
    checkOneDType(fn, this.layers);
    let train: [Tensor, Tensor] = [x, y];
    let validation: [Tensor, Tensor] | null = null;
    if (options.validationData !== undefined && options.validationData !== null) {
      const [xv, yv] = checkValidationData(fn, options.validationData);
      this.checkData('fit (validationData)', xv, yv, true);
      validation = [xv, yv];
    } else if (options.validationSplit !== undefined && options.validationSplit !== 0) {
      const s = trainValidationSplit(x, y, options.validationSplit);
      train = [s.xTrain, s.yTrain];
      validation = [s.xVal, s.yVal];
    }
    const optimizer = this.ensureOptimizer();
    return fitLoop({
      layers: this.layers,
      params: this.trainableParameters(),
      optimizer,
      objective: this.compiled!,
      fused: this.fusedOutput,
      x: train[0],
      y: train[1],
      validation,
      epochs,
      initialEpoch,
      batchSize,
      shuffle: options.shuffle ?? true,
      generator: options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : this.generator),
      progress: new ProgressBar({ verbose, ...(options.writer ? { writer: options.writer } : {}) }),
      callbacks,
      state: this,
    });
  }

  // ---- evaluate / predict -----------------------------------------------------------------------

  /** Loss and metrics on (x, y) in inference mode under noGrad, averaged over the real samples. */
  evaluate(x: Tensor, y: Tensor, options: EvaluateOptions = {}): Record<string, number> {
    const batchSize = checkBatchSize('evaluate', options.batchSize ?? 256);
    this.checkData('evaluate', x, y, true);
    return evaluateBatches(this.layers, this.compiled!, this.fusedOutput, x, y, batchSize);
  }

  /**
   * The model's outputs (probabilities for a softmax/sigmoid output) in inference mode, batched under noGrad;
   * with `labels: true` the predicted class labels instead (as {@link Sequential.predictClasses}).
   */
  predict(x: Tensor, options: EvaluateOptions & { labels?: boolean } = {}): Tensor {
    const batchSize = checkBatchSize('predict', options.batchSize ?? 256);
    if (options.labels) return this.predictClasses(x, { batchSize });
    this.checkData('predict', x, null, false);
    return predictBatches(this.layers, x, batchSize, this.outputSize!);
  }

  /** Predicted class per sample (int32): argmax (also of one categorical unit); one binary unit: > 0.5 (> 0 if `fromLogits`). */
  predictClasses(x: Tensor, options: EvaluateOptions = {}): Tensor {
    checkBatchSize('predictClasses', options.batchSize ?? 256);
    const categorical = categoricalOutput(this.compiled?.lossName ?? null, this.layers[this.layers.length - 1]);
    return classesOf(this.predict(x, options), categorical, this.fromLogits);
  }

  /** One metric (default accuracy) of the predictions on (x, y); labels may be one-hot or integer classes. */
  score(x: Tensor, y: Tensor, options: { metric?: MetricSpec; batchSize?: number } | MetricSpec = {}): number {
    const opts = typeof options === 'object' ? options : { metric: options };
    const metric = opts.metric ?? 'accuracy';
    if (opts.batchSize !== undefined) checkBatchSize('score', opts.batchSize);
    if (typeof metric === 'string') resolveMetricName(metric, 'score');
    const p = this.predict(x, opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {});
    return scorePredictions(metric, p, x, y, this.compiled?.lossName ?? null, this.fromLogits);
  }

  // ---- save / load ----------------------------------------------------------------------------

  /**
   * One versioned JSON document: architecture, layer configs, compile config, optimizer state (unless
   * `includeOptimizer: false`, Keras' include_optimizer), seed, generator states and weights. The document is read
   * back before it is returned, so a model that could not be loaded again is refused here, not at load time.
   */
  toJSON(options: SaveOptions | string = {}): ModelJSON {
    // JSON.stringify(model) calls toJSON with the property name ('' at the root)
    const includeOptimizer = includeOptimizerOf('toJSON', options);
    if (!this.built) throw new ValueError(`toJSON: the model is not built; give the first layer an inputShape or call build()/fit() first`);
    const c = this.compiled;
    const opt = c ? this.ensureOptimizer() : null;
    checkSavable(this.layers, c && { lossName: c.lossName, metrics: c.metrics.map((m) => m.spec) }, opt);
    const layers = this.layers.map((l) => ({ type: l.type, config: l.getConfig() }));
    const weights: Record<string, Tensor> = {};
    for (const [name, p] of this.namedParameters()) weights[name] = p.value;
    const metrics = c ? c.metrics.map((m) => m.spec as string) : [];
    const doc = writeModelJSON({
      name: this.name,
      seed: this.seed,
      inputShape: this.inputShape,
      layers,
      compile:
        c && opt ? { optimizer: opt.name, optimizerConfig: opt.config(), loss: c.lossName!, fromLogits: c.fromLogits, metrics } : null,
      optimizerState: opt && includeOptimizer ? opt.state() : null,
      trainable: describeParameters(this.trainableParameters()),
      generatorState: this.generator.getState(),
      layerGeneratorStates: Object.fromEntries(this.seededLayers().map((l) => [l.name, l.generator!.getState()])),
      epoch: this.epoch,
      weights,
    });
    try {
      Sequential.fromJSON(doc);
    } catch (e) {
      throw new ValueError(`toJSON: refusing to save a model that could not be loaded back: ${(e as Error).message}`);
    }
    return doc;
  }

  /** Layers that draw from a generator of their own (a Dropout with a seed), not the model's. */
  private seededLayers(): Layer[] {
    return this.layers.filter((l) => l.generator && l.generator !== this.generator);
  }

  /** Rebuilds a model from {@link Sequential.toJSON} output (object or JSON text, format version 1 or 2), validating every field. */
  static fromJSON(input: unknown): Sequential {
    const header = readModelHeader(input);
    // every size is checked, and the parameters counted, before the first layer allocates anything
    const layers = readLayers(header.layers, header.inputShape);
    const model = new Sequential({ name: header.name, seed: header.seed });
    if (header.inputShape) model.inputShape = [...header.inputShape];
    for (const layer of layers) model.add(layer);
    if (!model.built) model.build(model.inputShape!);
    const named = model.namedParameters();
    const state = readModelState(header.document, header.version, {
      parameters: describeParameters(named.map(([name, p]) => ({ name, shape: p.shape, value: p.value }))),
      trainable: describeParameters(model.trainableParameters()),
      seededLayers: new Set(model.seededLayers().map((l) => l.name)),
    });
    model.setWeights(named.map(([name]) => state.weights[name]!));
    if (state.epoch !== null) model.epoch = state.epoch;
    if (state.generatorState) model.generator.setState(state.generatorState);
    for (const [name, g] of state.layerGeneratorStates) model.layers.find((l) => l.name === name)!.generator!.setState(g);
    if (state.compile) {
      model.compile(state.compile);
      if (state.optimizerState) model.ensureOptimizer().loadState(state.optimizerState);
    }
    return model;
  }
}
