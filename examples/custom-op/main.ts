/**
 * Custom op walkthrough: define an op with `defineOp` (forward with tensor kernels, backward — the VJP — with
 * Variable ops so it can be differentiated again), check it with `gradcheck` and `gradgradcheck`, show that a
 * wrong backward is caught, then use the op as the hidden activation of an MLP trained on real MNIST digits.
 *
 * Run: `pnpm example:custom-op` (or `tsx examples/custom-op/main.ts [--train 2000] [--test 1000] [--epochs 3]`).
 */
import { type Variable, defineOp, gradcheck, gradgradcheck, type GradcheckResult } from '@tapegrad/autograd';
import { Generator, mul, randn, sigmoid, type Tensor } from '@tapegrad/tensor';
import { Dense, Sequential } from '@tapegrad/nn';
import { loadMnistPackage } from '@tapegrad/nn/node';
import { runIfMain, tutorialArgs } from '../shared/cli.js';

/**
 * swish(x) = x·σ(x) (a.k.a. SiLU); swish′(x) = σ(x)·(1 + x·(1 − σ(x))).
 * Forward uses tensor kernels; backward uses Variable ops, so second derivatives work too.
 */
export const swish = defineOp({
  name: 'swish',
  forward: ([x]) => mul(x, sigmoid(x)),
  backward: (g, { inputs: [x] }) => {
    const s = x.sigmoid();
    return [g.mul(s.mul(x.mul(s.neg().add(1)).add(1)))];
  },
});

/** The same op with a classic mistake in its VJP (σ(x) alone, forgetting the product rule): gradcheck must reject it. */
export const brokenSwish = defineOp({
  name: 'swish-broken',
  forward: ([x]) => mul(x, sigmoid(x)),
  backward: (g, { inputs: [x] }) => [g.mul(x.sigmoid())],
});

/** Options of {@link run}. */
export interface CustomOpOptions {
  /** Training digits from the `mnist` package (default 2000). */
  trainSize?: number;
  /** Test digits, disjoint from the training ones (default 1000). */
  testSize?: number;
  /** Hidden units (default 64). */
  hidden?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Print progress and results (default false). */
  verbose?: boolean;
}

/** What {@link run} measured. */
export interface CustomOpResult {
  gradcheck: GradcheckResult;
  gradgradcheck: GradcheckResult;
  /** gradcheck of the deliberately wrong VJP (expected `ok: false`). */
  brokenGradcheck: GradcheckResult;
  /** Training loss per epoch. */
  loss: number[];
  testAccuracy: number;
  testLoss: number;
  model: Sequential;
}

/** Checks the op, trains a 784-h-10 MLP with swish as its hidden activation and returns the numbers. */
export function run(options: CustomOpOptions = {}): CustomOpResult {
  const { trainSize = 2000, testSize = 1000, hidden = 64, epochs = 3, batchSize = 64, lr = 1e-3, seed = 0, verbose = false } = options;
  const log = verbose ? (s: string) => console.log(s) : () => {};

  // 1. Check the VJP against float64 central differences, then the second derivative.
  const g = new Generator(seed);
  const x: Tensor = randn([4, 5], { dtype: 'float64', generator: g });
  const first = gradcheck((v) => swish(v), [x]);
  const second = gradgradcheck((v) => swish(v), [x]);
  const broken = gradcheck((v) => brokenSwish(v), [x], { raise: false });
  log(`gradcheck(swish):      ok=${first.ok}  max error ${first.maxError.toExponential(2)} (${first.checked} entries, ${first.mode})`);
  log(`gradgradcheck(swish):  ok=${second.ok}  max error ${second.maxError.toExponential(2)}`);
  const w = broken.worst;
  log(
    `gradcheck(broken VJP): ok=${broken.ok}  max error ${broken.maxError.toExponential(2)}` +
      (w ? ` — worst at input ${w.input}[${w.index.join(',')}]: analytic ${w.analytic.toFixed(4)} vs numeric ${w.numeric.toFixed(4)}` : ''),
  );

  // 2. Use it as an activation: Dense accepts any (v: Variable) => Variable.
  const data = loadMnistPackage({ trainSize, testSize, seed });
  const model = new Sequential({ seed });
  model.add(new Dense(hidden, { activation: (v: Variable) => swish(v), inputShape: [784] }));
  model.add(new Dense(10, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', lr, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  if (verbose) model.summary();
  const history = model.fit(data.xTrain, data.yTrain, { epochs, batchSize, verbose: verbose ? 1 : 0 });
  const test = model.evaluate(data.xTest, data.yTest);
  log(`test: loss ${test.loss!.toFixed(4)}  accuracy ${(100 * test.accuracy!).toFixed(2)}% on ${testSize} held-out digits`);
  return {
    gradcheck: first,
    gradgradcheck: second,
    brokenGradcheck: broken,
    loss: history.history.loss ?? [],
    testAccuracy: test.accuracy!,
    testLoss: test.loss!,
    model,
  };
}

runIfMain(import.meta.url, 'custom-op', 'usage: tsx examples/custom-op/main.ts [--train 2000] [--test 1000] [--epochs 3]', (argv) => {
  const { outDir, ...sizes } = tutorialArgs(argv);
  if (outDir !== undefined) throw new Error('--out: this example writes no files');
  run({
    verbose: true,
    ...sizes,
  });
});
