/**
 * Settings that construction, compile, setWeights or fit used to accept but save refused (or that were silently
 * ignored): each is now refused where it is given, with the limits the model file validator uses
 * (packages/nn/src/io/limits.ts), and the boundary values still train and save.
 */
import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, Tensor, ValueError, randn, tensor } from '@tapegrad/tensor';
import { Adam } from '@tapegrad/optim';
import { variable } from '@tapegrad/autograd';
import { Dense, Dropout, Flatten, LearningRateScheduler, Sequential, registerActivation } from '../src/index.js';
import { MAX_HYPERPARAMETER, MAX_LAYERS, MAX_METRICS, MAX_NAME_LENGTH, MAX_SEED_LENGTH, MAX_UNITS } from '../src/io/limits.js';

const SCCE = 'sparseCategoricalCrossentropy';

function data(n = 32, features = 4, seed = 1): { x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const x = randn([n, features], { generator: g });
  const labels = new Int32Array(n);
  const v = x.values();
  for (let i = 0; i < n; i++) labels[i] = v[i * features]! > 0 ? 1 : 0;
  return { x, y: new Tensor(labels, [n]) };
}

function small(options: ConstructorParameters<typeof Sequential>[0] = {}): Sequential {
  const m = new Sequential(options);
  m.add(new Dense(3, { activation: 'relu', inputShape: [4] }));
  m.add(new Dense(2, { activation: 'softmax' }));
  return m;
}

/** Trains one epoch and reloads the saved document: what the outside tester did before save threw. */
function trainAndReload(m: Sequential): Sequential {
  const { x, y } = data();
  m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  return Sequential.fromJSON(JSON.stringify(m.toJSON()));
}

describe('A. what save refuses is refused at construction and compile, with the file limits', () => {
  it('compile refuses lr above the file limit (and non-finite), naming the value and the limit', () => {
    for (const lr of [2e6, 1e9, Infinity, NaN, -1]) {
      const m = small();
      expect(() => m.compile({ optimizer: 'adam', lr, loss: SCCE }), String(lr)).toThrow(ValueError);
      expect(() => m.compile({ optimizer: 'adam', lr, loss: SCCE }), String(lr)).toThrow(
        new RegExp(`^compile: lr must be a finite number in \\[0, ${MAX_HYPERPARAMETER}\\].*got ${lr}$`),
      );
    }
  });

  it('the largest lr the file stores is accepted, and the model saves', () => {
    const m = small();
    m.compile({ optimizer: 'sgd', lr: MAX_HYPERPARAMETER, loss: SCCE });
    expect(Sequential.fromJSON(m.toJSON()).optimizer!.lr).toBe(MAX_HYPERPARAMETER);
    const n = small();
    n.compile({ optimizer: 'adam', lr: 0.01, loss: SCCE, metrics: ['accuracy'] });
    expect(trainAndReload(n).optimizer!.lr).toBe(0.01);
  });

  it('compile refuses optimizerOptions save would refuse: magnitudes, types', () => {
    const m = small();
    expect(() => m.compile({ optimizer: 'adam', loss: SCCE, optimizerOptions: { eps: 2e6 } })).toThrow(
      /^compile: optimizerOptions\.eps must be a finite number of magnitude ≤ 1000000, got 2000000$/,
    );
    expect(() => m.compile({ optimizer: 'sgd', loss: SCCE, optimizerOptions: { momentum: 1e7 } })).toThrow(/optimizerOptions\.momentum/);
    expect(() => m.compile({ optimizer: 'adam', loss: SCCE, optimizerOptions: { weightDecay: 5e6 } })).toThrow(/weightDecay/);
    expect(() => m.compile({ optimizer: 'adam', loss: SCCE, optimizerOptions: { amsgrad: 1 } })).toThrow(
      /^compile: optimizerOptions\.amsgrad must be a boolean, got 1$/,
    );
    expect(() => m.compile({ optimizer: 'sgd', loss: SCCE, optimizerOptions: { clipNorm: 1e7 } })).toThrow(/optimizerOptions\.clipNorm/);
  });

  it('compile refuses an Optimizer instance whose settings save would refuse', () => {
    const m = small();
    expect(() => m.compile({ optimizer: new Adam([], { lr: 2e6 }), loss: SCCE })).toThrow(
      /^compile: the optimizer's lr must be a finite number of magnitude ≤ 1000000, got 2000000$/,
    );
    expect(() => m.compile({ optimizer: new Adam([], { lr: 0.1 }), lr: 5e6, loss: SCCE })).toThrow(/^compile: lr must be/);
    expect(() => m.compile({ optimizer: new Adam([], { lr: 0.1 }), loss: SCCE, optimizerOptions: { eps: 1e-3 } })).toThrow(
      /^compile: optimizerOptions apply to an optimizer given by name; give them to the adam instance itself$/,
    );
    m.compile({ optimizer: new Adam([], { lr: 0.1 }), loss: SCCE });
    expect(trainAndReload(m).optimizer!.lr).toBe(0.1);
  });

  it('compile refuses a non-boolean fromLogits and more metrics than a file holds', () => {
    const m = small();
    expect(() => m.compile({ loss: SCCE, fromLogits: 1 as unknown as boolean })).toThrow(/^compile: fromLogits must be a boolean, got 1$/);
    const many = Array.from({ length: MAX_METRICS + 1 }, () => 'accuracy');
    expect(() => m.compile({ loss: SCCE, metrics: many })).toThrow(new RegExp(`at most ${MAX_METRICS} metrics, got ${MAX_METRICS + 1}`));
  });

  it('Sequential refuses a seed that is not a finite number or a string of at most 1000 characters', () => {
    for (const seed of [NaN, Infinity, -Infinity, 'x'.repeat(MAX_SEED_LENGTH + 1), true]) {
      expect(() => new Sequential({ seed: seed as number }), String(seed).slice(0, 20)).toThrow(
        /^Sequential: seed must be a finite number or a string of at most 1000 characters, got /,
      );
    }
    expect(trainAndReload(compiled(small({ seed: 'x'.repeat(MAX_SEED_LENGTH) }))).seed).toBe('x'.repeat(MAX_SEED_LENGTH));
  });

  it('Sequential and layers refuse names longer than a file holds (and layer names a file cannot key)', () => {
    const long = 'n'.repeat(MAX_NAME_LENGTH + 1);
    expect(() => new Sequential({ name: long })).toThrow(/^Sequential: name must be a string of at most 200 characters, got a string/);
    expect(() => new Sequential({ name: 5 as unknown as string })).toThrow(/^Sequential: name must be a string .*got 5$/);
    expect(() => new Dense(2, { name: long })).toThrow(/^Dense: name must be a string of at most 200 characters/);
    expect(() => new Dropout(0.1, { name: long })).toThrow(/^Dropout: name must be/);
    expect(() => new Flatten({ name: 7 as unknown as string })).toThrow(/^Flatten: name must be a string .*got 7$/);
    // a seeded Dropout's name keys its generator state in the file
    expect(() => new Dropout(0.1, { name: 'constructor', seed: 1 })).toThrow(/^Dropout: name "constructor" is reserved for a layer with/);
    const seeded = new Dropout(0.1, { seed: 1 });
    seeded.name = '__proto__';
    expect(() => new Sequential([new Dense(2, { inputShape: [4] }), seeded])).toThrow(/^Sequential\.add: name "__proto__" is reserved/);
    expect(new Dense(2, { name: 'constructor' }).name).toBe('constructor');
    // a name changed after construction is checked when the layer joins a model
    const renamed = new Dense(2, { inputShape: [4] });
    renamed.name = long;
    expect(() => new Sequential().add(renamed)).toThrow(/^Sequential\.add: layer name must be a string of at most 200 characters/);
    const ok = 'n'.repeat(MAX_NAME_LENGTH);
    const m = new Sequential({ name: ok });
    m.add(new Dense(3, { inputShape: [4], name: ok }));
    m.add(new Dense(2, { activation: 'softmax' }));
    const back = trainAndReload(compiled(m));
    expect([back.name, back.layers[0]!.name]).toEqual([ok, ok]);
  });

  it('Dropout refuses a seed that is not a finite number', () => {
    for (const seed of [NaN, Infinity, '3']) {
      expect(() => new Dropout(0.2, { seed: seed as number }), String(seed)).toThrow(/^Dropout: seed must be a finite number, got /);
    }
    expect(() => new Dropout(0.2, { seed: '3' as unknown as number })).toThrow(/got "3" \(a string\)$/);
    const m = new Sequential();
    m.add(new Dense(3, { inputShape: [4] }));
    m.add(new Dropout(0.2, { seed: 3 }));
    m.add(new Dense(2, { activation: 'softmax' }));
    expect((trainAndReload(compiled(m)).layers[1] as Dropout).seed).toBe(3);
  });

  it('Dense and layers refuse units, input shapes, useBias and trainable values a file cannot hold', () => {
    expect(() => new Dense(MAX_UNITS + 1)).toThrow(/^Dense: units must be a positive integer ≤ 10000000, got 10000001$/);
    expect(() => new Dense(2.5)).toThrow(/^Dense: units must be a positive integer ≤ 10000000, got 2\.5$/);
    expect(() => new Dense(2, { inputShape: [1, 1, 1, 1, 1, 1, 1, 1, 1] })).toThrow(/^Dense: inputShape must be 1 to 8 positive integers/);
    expect(() => new Flatten({ inputShape: [2 ** 14, 2 ** 13] })).toThrow(/at most 67108864 features in all/);
    expect(() => new Dense(2, { useBias: 1 as unknown as boolean })).toThrow(/^Dense: useBias must be a boolean, got 1$/);
    expect(() => new Dense(2, { trainable: 'no' as unknown as boolean })).toThrow(/^Dense: trainable must be a boolean, got "no"/);
  });

  it('registerActivation refuses a name longer than a file holds', () => {
    expect(() => registerActivation('a'.repeat(MAX_NAME_LENGTH + 1), (x) => x)).toThrow(/at most 200 characters/);
  });

  it('Sequential.add refuses more layers, and more parameters, than a file holds, before allocating', () => {
    const m = new Sequential();
    m.add(new Dense(1, { inputShape: [1] }));
    for (let i = 1; i < MAX_LAYERS; i++) m.add(new Dropout(0));
    expect(() => m.add(new Dropout(0))).toThrow(/^Sequential\.add: the model has 1000 layers, the most a model may have/);
    const big = new Sequential();
    expect(() => big.add(new Dense(4097, { inputShape: [16384] }))).toThrow(
      /^Sequential\.add: layer 'dense' \(Dense\) would bring the model to 67129345 parameters, more than 67108864/,
    );
    expect(big.layers).toHaveLength(0);
    const lazy = new Sequential([new Dense(4097)]);
    expect(() => lazy.build([16384])).toThrow(/would bring the model to 67129345 parameters/);
  });

  it('LearningRateScheduler refuses a learning rate above the file limit', () => {
    const m = compiled(small());
    const { x, y } = data();
    expect(() => m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new LearningRateScheduler((e) => (e === 1 ? 2e6 : 0.01))] })).toThrow(
      /^LearningRateScheduler: schedule returned 2000000 at epoch 1; expected a finite number in \[0, 1000000\]/,
    );
  });
});

function compiled(m: Sequential): Sequential {
  m.compile({ optimizer: 'adam', lr: 0.01, loss: SCCE, metrics: ['accuracy'] });
  return m;
}

describe('B. compile refuses unknown option keys instead of ignoring them', () => {
  it('names the key, lists the accepted ones and hints the tapegrad name of a Keras/TF.js one', () => {
    for (const key of ['learningRate', 'learning_rate']) {
      expect(() => small().compile({ optimizer: 'adam', [key]: 0.5, loss: SCCE } as never)).toThrow(
        new RegExp(`^compile: unknown option '${key}' \\(use lr: the learning rate\\); compile takes optimizer, loss, metrics, lr, `),
      );
    }
    expect(() => small().compile({ loss: SCCE, epochs: 3 } as never)).toThrow(
      /^compile: unknown option 'epochs'; compile takes optimizer, loss, metrics, lr, optimizerOptions, fromLogits$/,
    );
    expect(() => small().compile({ loss: SCCE, from_logits: true } as never)).toThrow(/unknown option 'from_logits' \(use fromLogits/);
  });

  it('refuses optimizerOptions keys the optimizer does not take, with Keras hints', () => {
    expect(() => small().compile({ optimizer: 'adam', loss: SCCE, optimizerOptions: { beta1: 2 } })).toThrow(
      /^compile: unknown optimizerOptions key 'beta1' for adam \(use betas: \[β1, β2\]\); adam takes .*betas, eps, amsgrad/,
    );
    for (const key of ['beta_1', 'beta_2', 'beta2']) {
      expect(() => small().compile({ loss: SCCE, optimizerOptions: { [key]: 0.9 } })).toThrow(/\(use betas: \[β1, β2\]\)/);
    }
    expect(() => small().compile({ optimizer: 'adam', loss: SCCE, optimizerOptions: { betaOne: 0.5 } })).toThrow(
      /^compile: unknown optimizerOptions key 'betaOne' for adam; adam takes flavor, lr, weightDecay, maximize, betas, eps, amsgrad, /,
    );
    expect(() => small().compile({ optimizer: 'sgd', loss: SCCE, optimizerOptions: { epsilon: 1e-7 } })).toThrow(
      /unknown optimizerOptions key 'epsilon' for sgd; sgd takes/,
    );
    expect(() => small().compile({ optimizer: 'adam', loss: SCCE, optimizerOptions: { epsilon: 1e-7 } })).toThrow(/\(use eps\)/);
    expect(() => small().compile({ optimizer: 'adam', loss: SCCE, optimizerOptions: { learning_rate: 1 } })).toThrow(/\(use lr\b/);
  });

  it('valid options of every optimizer keep working (RMSprop takes the Keras name rho)', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['adam', { betas: [0.8, 0.99], eps: 1e-7, amsgrad: true, weightDecay: 0.01, flavor: 'keras', clipNorm: 1 }],
      ['sgd', { momentum: 0.9, nesterov: true, maximize: false, lr: 0.1 }],
      ['rmsprop', { rho: 0.8, centered: true, momentum: 0.5 }],
      ['rmsprop', { alpha: 0.8, globalClipNorm: 2 }],
      ['adagrad', { lrDecay: 0.01, initialAccumulatorValue: 0.1 }],
      ['adadelta', { rho: 0.9, clipValue: 0.5 }],
      ['nadam', { momentumDecay: 0.004, torch113: true }],
      ['adamw', { weightDecay: 0.02, name: 'adamw' }],
    ];
    for (const [optimizer, optimizerOptions] of cases) {
      const m = small();
      m.compile({ optimizer, loss: SCCE, optimizerOptions });
      trainAndReload(m);
    }
    const r = small();
    r.compile({ optimizer: 'rmsprop', loss: SCCE, optimizerOptions: { rho: 0.7 } });
    expect(r.toJSON().compile!.optimizerConfig.alpha).toBe(0.7);
    expect(() => small().compile({ loss: SCCE, optimizerOptions: { name: 'sgd' } })).toThrow(/optimizerOptions\.name is 'sgd'/);
    expect(() => small().compile({ loss: SCCE, optimizerOptions: [1] as never })).toThrow(/^compile: optimizerOptions must be an object/);
  });
});

describe('C. compile metrics', () => {
  it('takes a single metric name (as TF.js does) and refuses other non-array values clearly', () => {
    const m = small();
    m.compile({ optimizer: 'adam', loss: SCCE, metrics: 'accuracy' as never });
    const { x, y } = data();
    expect(m.fit(x, y, { epochs: 1, verbose: 0 }).history.accuracy).toHaveLength(1);
    expect(trainAndReload(m).toJSON().compile!.metrics).toEqual(['accuracy']);
    for (const metrics of [5, { accuracy: true }, true]) {
      expect(() => small().compile({ loss: SCCE, metrics: metrics as never }), JSON.stringify(metrics)).toThrow(
        /^compile: metrics must be an array of metric names or functions \(or one of them\), got /,
      );
    }
    expect(() => small().compile({ loss: SCCE, metrics: ['accuracy', 7] as never })).toThrow(
      /^compile: metrics\[1\] must be a metric name or a function \(predictions, targets\) => number, got 7$/,
    );
  });
});

describe('D. setWeights refuses non-finite values', () => {
  it('names the weight, the flat index and the value, and writes nothing', () => {
    const m = compiled(small({ seed: 2 }));
    const before = m.getWeights();
    const cases: [number, number, number, RegExp][] = [
      [0, 0, NaN, /^setWeights: weight 'dense\/kernel' \(tensor 0, shape \[4, 3\]\) has NaN at flat index 0; weights must be finite$/],
      [1, 2, Infinity, /^setWeights: weight 'dense\/bias' \(tensor 1, shape \[3\]\) has Infinity at flat index 2;/],
      [3, 1, -Infinity, /'dense_1\/bias' \(tensor 3, shape \[2\]\) has -Infinity at flat index 1/],
    ];
    for (const [t, i, v, message] of cases) {
      const w = m.getWeights();
      w[0]!.data[1] = 42; // a valid change before the bad tensor: nothing is written either
      w[t]!.data[i] = v;
      expect(() => m.setWeights(w)).toThrow(ValueError);
      expect(() => m.setWeights(w)).toThrow(message);
      expect(m.getWeights().every((x, k) => x.equals(before[k]!))).toBe(true);
    }
    const w = m.getWeights();
    w[0] = new Tensor(Float64Array.from(w[0]!.values(), (x, k) => (k === 5 ? 1e39 : x)), [4, 3]);
    expect(() => m.setWeights(w)).toThrow(/'dense\/kernel' .* has 1e\+39 at flat index 5, beyond the float32 range/);
    expect(() => m.setWeights([1, 2, 3, 4] as never)).toThrow(/^setWeights: weight 0 must be a Tensor, got 1$/);
  });
});

describe('E. Dense on multi-dimensional samples takes them flat, everywhere', () => {
  it('predict, fit, evaluate, summary and save agree with Flatten + Dense', () => {
    const m = new Sequential({ seed: 4 });
    m.add(new Dense(4, { inputShape: [32, 2], activation: 'relu' }));
    m.add(new Dense(2, { activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: SCCE, metrics: ['accuracy'] });
    const g = new Generator(5);
    const x = randn([300, 32, 2], { generator: g });
    const y = new Tensor(Int32Array.from({ length: 300 }, (_, i) => i % 2), [300]);
    const flat = new Sequential({ seed: 4 });
    flat.add(new Flatten({ inputShape: [32, 2] }));
    flat.add(new Dense(4, { activation: 'relu' }));
    flat.add(new Dense(2, { activation: 'softmax' }));
    flat.setWeights(m.getWeights());
    const p = m.predict(x);
    expect(p.shape).toEqual([300, 2]);
    expect(p.equals(flat.predict(x))).toBe(true);
    expect(m.summary({ print: false })).toMatch(/dense\s+Dense\s+\[32, 2\]\s+\[4\]/);
    const h = m.fit(x, y, { epochs: 2, batchSize: 64, verbose: 0 });
    expect(h.history.loss).toHaveLength(2);
    expect(Number.isFinite(m.evaluate(x, y).loss)).toBe(true);
    const back = Sequential.fromJSON(JSON.stringify(m.toJSON()));
    expect(back.predict(x).equals(m.predict(x))).toBe(true);
    // a model built from the data's shape, with no inputShape anywhere
    const lazy = new Sequential([new Dense(3), new Dense(2, { activation: 'softmax' })]);
    lazy.compile({ loss: SCCE });
    lazy.fit(x, y, { epochs: 1, verbose: 0 });
    expect(lazy.inputShape).toEqual([32, 2]);
    expect(lazy.predict(x).shape).toEqual([300, 2]);
  });

  it('a sample size that does not match names what the layer got', () => {
    const d = new Dense(2, { name: 'dense' });
    d.build(8, new Generator(0));
    expect(d.call(variable(randn([5, 4, 2]))).shape).toEqual([5, 2]);
    expect(() => d.call(variable(randn([5, 3, 3])))).toThrow(ShapeError);
    expect(() => d.call(variable(randn([5, 3, 3])))).toThrow(
      /^Dense 'dense': expected input \[batch, 8\], got \[5, 3, 3\] \(9 features per sample, not 8\)$/,
    );
    expect(() => d.call(variable(tensor([1, 2, 3, 4, 5, 6, 7, 8])))).toThrow(/got \[8\] \(no batch axis\)$/);
    // called on its own, on [batch, …, inputSize], it acts on the last axis (as in Keras), like the same rows flat
    const seq = randn([5, 3, 8]);
    const out = d.call(variable(seq)).value;
    expect(out.shape).toEqual([5, 3, 2]);
    expect(out.reshape([15, 2]).equals(d.call(variable(seq.reshape([15, 8]))).value)).toBe(true);
  });
});

describe('F. messages show non-numbers as JSON; fit verbose is 0, 1, 2 or auto', () => {
  it('batchSize, epochs, initialEpoch and lr given as strings', () => {
    const m = compiled(small());
    const { x, y } = data();
    expect(() => m.fit(x, y, { batchSize: '32' as never, verbose: 0 })).toThrow(
      /^fit: batchSize must be a positive integer, got "32" \(a string\)$/,
    );
    expect(() => m.predict(x, { batchSize: '32' as never })).toThrow(
      /^predict: batchSize must be a positive integer, got "32" \(a string\)$/,
    );
    expect(() => m.fit(x, y, { epochs: '2' as never, verbose: 0 })).toThrow(
      /^fit: epochs must be a non-negative integer, got "2" \(a string\)$/,
    );
    expect(() => m.fit(x, y, { initialEpoch: '1' as never, verbose: 0 })).toThrow(/^fit: initialEpoch .* got "1" \(a string\)$/);
    expect(() => m.fit(x, y, { epochs: 2.5, verbose: 0 })).toThrow(/^fit: epochs must be a non-negative integer, got 2\.5$/);
    expect(() => small().compile({ loss: SCCE, lr: '0.1' as never })).toThrow(
      /^compile: lr must be a finite number .*"0\.1" \(a string\)$/,
    );
    expect(() => new Dense('4' as never)).toThrow(/^Dense: units must be a positive integer ≤ 10000000, got "4" \(a string\)$/);
    expect(() => new Dropout('0.5' as never)).toThrow(/^Dropout: rate must be in \[0, 1\), got "0\.5" \(a string\)$/);
  });

  it('fit refuses a verbose other than 0, 1, 2 or auto; auto is 1', () => {
    const m = compiled(small());
    const { x, y } = data();
    for (const verbose of [5, -1, 1.5, '1', true]) {
      expect(() => m.fit(x, y, { verbose: verbose as never }), String(verbose)).toThrow(
        /^fit: verbose must be 0 \(silent\), 1 or 'auto' \(progress bar\) or 2 \(one line per epoch\), got /,
      );
    }
    let out = '';
    m.fit(x, y, { epochs: 1, verbose: 'auto', writer: { write: (s: string) => void (out += s) } });
    let one = '';
    m.fit(x, y, { epochs: 1, verbose: 1, writer: { write: (s: string) => void (one += s) } });
    expect(out.replace(/[\d.]+/g, '#')).toBe(one.replace(/[\d.]+/g, '#'));
  });
});
