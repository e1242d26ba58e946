// Property test: random valid models (layers, activations, initializers, dtypes, dropout, trainable flags, every
// optimizer with random hyperparameters and flavours, every loss) survive save → load with bit-identical
// predictions, the same document when saved again, and a bit-identical next training epoch.
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, randn } from '@tapegrad/tensor';
import { optimizerNames } from '@tapegrad/optim';
import { Dense, Dropout, Flatten, Sequential, activationNames, initializerNames, toCategorical, type Layer } from '../src/index.js';

interface Case {
  model: Sequential;
  x: Tensor;
  y: Tensor;
  describe: string;
}

function randomCase(g: Generator, index: number): Case {
  const pick = <T>(xs: readonly T[]): T => xs[g.int(0, xs.length)]!;
  const chance = (p: number): boolean => g.random() < p;
  const dtype = chance(0.25) ? 'float64' : 'float32';
  const features = g.int(1, 6);
  const shape = chance(0.3) ? [features, 2] : [features];
  const n = g.int(6, 20);
  const x = randn([n, ...shape], { generator: g, dtype });
  const seed = chance(0.5) ? g.int(0, 1e6) : `seed-${g.int(0, 100)}`;
  const model = new Sequential({ seed, name: `case-${index}` });
  const layers: Layer[] = [];
  if (shape.length > 1) layers.push(new Flatten({ inputShape: shape }));
  const hidden = g.int(0, 3);
  const hiddenActivations = activationNames.filter((a) => a !== 'softmax' && a !== 'logSoftmax');
  for (let i = 0; i <= hidden; i++) {
    const last = i === hidden;
    const units = last ? pick([1, 2, 3]) : g.int(1, 7);
    const first = layers.length === 0;
    layers.push(
      new Dense(units, {
        ...(first ? { inputShape: shape } : {}),
        activation: last ? 'linear' : pick(hiddenActivations),
        useBias: chance(0.8),
        kernelInitializer: pick(initializerNames),
        dtype,
        trainable: !chance(0.1),
      }),
    );
    if (!last && chance(0.3)) layers.push(new Dropout(g.random() * 0.5, chance(0.5) ? { seed: g.int(0, 100) } : {}));
  }
  const k = (layers[layers.length - 1] as Dense).units;
  const losses =
    k === 1 ? ['mse', 'mae', 'binaryCrossentropy'] : ['mse', 'mae', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'];
  const loss = pick(losses);
  const fromLogits = loss.endsWith('Crossentropy') && chance(0.5);
  const output = layers[layers.length - 1] as Dense;
  if (loss.endsWith('Crossentropy') && !fromLogits) {
    layers[layers.length - 1] = new Dense(k, { activation: k === 1 ? 'sigmoid' : 'softmax', useBias: output.useBias, dtype });
    if (layers.length === 1) layers[0] = new Dense(k, { activation: k === 1 ? 'sigmoid' : 'softmax', inputShape: shape, dtype });
  }
  for (const l of layers) model.add(l);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = g.int(0, Math.max(k, 2));
  const y =
    loss === 'sparseCategoricalCrossentropy'
      ? new Tensor(labels, [n])
      : loss === 'categoricalCrossentropy'
        ? toCategorical(new Tensor(labels, [n]), k)
        : loss === 'binaryCrossentropy'
          ? new Tensor(
              Float32Array.from(labels, (c) => c % 2),
              [n, 1],
            )
          : randn([n, k], { generator: g });
  const optimizer = pick(optimizerNames);
  const flavor = chance(0.3) ? 'keras' : 'pytorch';
  const options: Record<string, unknown> = { flavor };
  if (chance(0.3)) options.weightDecay = g.random() * 0.01;
  if (chance(0.2)) options.clipNorm = 0.5 + g.random();
  if (optimizer === 'adam' || optimizer === 'adamw') options.amsgrad = chance(0.5);
  if (optimizer === 'sgd' && chance(0.6)) Object.assign(options, { momentum: 0.5 + 0.4 * g.random(), nesterov: chance(0.5) });
  if (optimizer === 'rmsprop') Object.assign(options, { centered: chance(0.5), momentum: chance(0.5) ? 0.3 : 0 });
  const lr = 0.001 + 0.05 * g.random();
  model.compile({ optimizer, lr, loss, fromLogits, metrics: chance(0.5) ? ['accuracy'] : ['mse'], optimizerOptions: options });
  const epochs = g.int(0, 3);
  if (epochs > 0) model.fit(x, y, { epochs, batchSize: g.int(1, 9), verbose: 0 });
  else model.build(shape);
  return {
    model,
    x,
    y,
    describe: `${optimizer}/${flavor} ${loss}${fromLogits ? ' (logits)' : ''} ${dtype}, ${layers.map((l) => l.type).join('-')}`,
  };
}

describe('save → load round trip of random valid models', () => {
  const g = new Generator(20251206);
  const cases = Array.from({ length: 40 }, (_, i) => randomCase(g, i));

  it.each(cases.map((c, i) => [i, c.describe, c] as const))('case %i: %s', (_i, _d, c) => {
    const text = JSON.stringify(c.model.toJSON());
    const back = Sequential.fromJSON(text);
    expect(back.predict(c.x).equals(c.model.predict(c.x))).toBe(true);
    expect(JSON.stringify(back.toJSON())).toBe(text);
    const h1 = c.model.fit(c.x, c.y, { epochs: 1, batchSize: 4, verbose: 0 });
    const h2 = back.fit(c.x, c.y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(h2.history.loss).toEqual(h1.history.loss);
    back.getWeights().forEach((w, j) => expect(w.equals(c.model.getWeights()[j]!)).toBe(true));
    expect(back.predict(c.x).equals(c.model.predict(c.x))).toBe(true);
  });
});
