/**
 * Reproduces the README's accuracy bars over several seeds, printing the test accuracy after every epoch:
 * `tsx examples/mnist/bars.ts [--data DIR] [--epochs N] [--validation-split F] [--seeds 0,1,2]`.
 * Same recipe as `pnpm mnist`: 784-128-10 relu/softmax, Glorot-uniform, Adam 1e-3, batch 64.
 */
import { Dense, Sequential } from '@tapegrad/nn';
import { loadIdxDataset, loadMnistPackage } from '@tapegrad/nn/node';
import { intOption, numberOption, parseArgs } from './args.js';

const { values: v } = parseArgs(process.argv.slice(2), {
  data: { type: 'string' },
  epochs: { type: 'string' },
  'validation-split': { type: 'string' },
  seeds: { type: 'string' },
});
const data = typeof v.data === 'string' ? v.data : null;
const epochs = intOption('epochs', typeof v.epochs === 'string' ? v.epochs : data ? '5' : '10');
const split = numberOption(
  'validation-split',
  typeof v['validation-split'] === 'string' ? v['validation-split'] : '0.1',
  (x) => x >= 0 && x < 1,
  'in [0, 1)',
);
const seeds = (typeof v.seeds === 'string' ? v.seeds : '0,1,2').split(',').map((s) => intOption('seeds', s, 0));
const ds = data ? loadIdxDataset(data) : loadMnistPackage({ seed: 0 });
console.log(
  `${data ?? 'mnist package'}: ${ds.xTrain.shape[0]} train, ${ds.xTest.shape[0]} test, validation split ${split}, ${epochs} epochs`,
);
for (const seed of seeds) {
  const model = new Sequential({ seed });
  model.add(new Dense(128, { activation: 'relu', inputShape: [784] }));
  model.add(new Dense(10, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', lr: 1e-3, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const accs: string[] = [];
  const history = model.fit(ds.xTrain, ds.yTrain, {
    epochs,
    batchSize: 64,
    validationSplit: split,
    verbose: 0,
    callbacks: [{ onEpochEnd: () => void accs.push((100 * model.evaluate(ds.xTest, ds.yTest).accuracy!).toFixed(2)) }],
  });
  const seconds = history.history.time!.reduce((a, b) => a + b, 0);
  console.log(`seed ${seed}: test accuracy per epoch ${accs.join(' ')} — ${(seconds / epochs).toFixed(2)} s/epoch`);
}
