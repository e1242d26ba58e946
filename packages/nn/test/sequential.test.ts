import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, Tensor, ValueError, argmax, rand, randn, tensor } from '@tapegrad/tensor';
import { loadMnistPackage } from '@tapegrad/nn/node';
import { isGradEnabled } from '@tapegrad/autograd';
import {
  Dense,
  Dropout,
  Flatten,
  Sequential,
  categoricalCrossentropy,
  mae,
  mlp,
  mse,
  sparseCategoricalAccuracy,
  toCategorical,
} from '../src/index.js';

/** A small separable problem: class = which of 3 feature blocks has the largest sum. */
function blobs(n: number, seed: number): { x: Tensor; labels: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const x = randn([n, 6], { generator: g });
  const v = x.values();
  const lab = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = [v[i * 6]! + v[i * 6 + 1]!, v[i * 6 + 2]! + v[i * 6 + 3]!, v[i * 6 + 4]! + v[i * 6 + 5]!];
    lab[i] = s.indexOf(Math.max(...s));
  }
  const labels = new Tensor(lab, [n]);
  return { x, labels, y: toCategorical(labels, 3) };
}

function model(seed = 1, opts: { dropout?: boolean } = {}): Sequential {
  const m = new Sequential({ seed });
  m.add(new Dense(16, { activation: 'relu', inputShape: [6] }));
  if (opts.dropout) m.add(new Dropout(0.2));
  m.add(new Dense(3, { activation: 'softmax' }));
  return m;
}

describe('Sequential structure', () => {
  it('infers input sizes, names layers and reports a clear error on a disagreeing inputShape', () => {
    const m = model();
    expect(m.layers.map((l) => l.name)).toEqual(['dense', 'dense_1']);
    expect(m.layers[1]!.inputSize).toBe(16);
    expect(m.parameters().length).toBe(4);
    const bad = new Sequential();
    bad.add(new Dense(8, { inputShape: [4], name: 'first' }));
    expect(() => bad.add(new Dense(2, { inputShape: [5], name: 'second' }))).toThrow(
      /layer 'second' \(Dense\) declares inputShape \[5\] \(5 features\) but the previous layer 'first' \(Dense\) outputs 8 features/,
    );
    expect(() => bad.add(new Dense(2, { name: 'first' }))).toThrow(/already exists/);
  });

  it('builds lazily from the data shape (Flatten first)', () => {
    const m = new Sequential([new Flatten(), new Dense(4, { activation: 'relu' }), new Dense(2, { activation: 'softmax' })], { seed: 2 });
    expect(m.built).toBe(false);
    const x = rand([5, 2, 3], { generator: new Generator(1) });
    const p = m.predict(x);
    expect(p.shape).toEqual([5, 2]);
    expect(m.inputShape).toEqual([2, 3]);
    expect(m.layers[1]!.inputSize).toBe(6);
  });

  it('the same seed builds the same weights', () => {
    expect(model(3).getWeights()[0]!.equals(model(3).getWeights()[0]!)).toBe(true);
    expect(model(3).getWeights()[0]!.equals(model(4).getWeights()[0]!)).toBe(false);
  });
});

describe('fit', () => {
  it('learns a separable problem; History has Keras keys, the seed, and is JSON-serialisable', () => {
    const { x, y } = blobs(600, 1);
    const m = model(1);
    m.compile({ optimizer: 'adam', lr: 0.02, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = m.fit(x, y, { epochs: 8, batchSize: 32, validationSplit: 0.25, verbose: 0 });
    expect(h.keys()).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'time']);
    expect(h.epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const loss = h.history.loss!;
    expect(loss[7]!).toBeLessThan(loss[0]! * 0.5);
    expect(h.history.val_accuracy![7]!).toBeGreaterThan(0.85);
    expect(h.params.seed).toBe(1);
    expect(h.params.samples).toBe(450);
    expect(h.params.validationSamples).toBe(150);
    const doc = JSON.parse(JSON.stringify(h));
    expect(doc.history.loss).toEqual(loss);
    // validation loss equals evaluate on the last 25 % (Keras split: the tail, before shuffling)
    const ev = m.evaluate(x.slice([450, 600]), y.slice([450, 600]));
    expect(ev.loss).toBeCloseTo(h.history.val_loss![7]!, 6);
  });

  it('validationData, initialEpoch and a reproducible seeded shuffle', () => {
    const { x, y } = blobs(100, 13);
    const v = blobs(30, 14);
    const run = () => {
      const m = model(4);
      m.compile({ optimizer: 'adam', lr: 0.01, loss: 'cse', metrics: ['accuracy', 'mse'] });
      return m.fit(x, y, { epochs: 5, batchSize: 16, initialEpoch: 3, validationData: [v.x, v.y], verbose: 0 });
    };
    const a = run();
    const b = run();
    expect(a.epoch).toEqual([3, 4]);
    expect(a.keys()).toEqual(['loss', 'accuracy', 'mse', 'val_loss', 'val_accuracy', 'val_mse', 'lr', 'time']);
    expect(a.history.loss).toEqual(b.history.loss);
    expect(a.history.val_mse).toEqual(b.history.val_mse);
    const c = model(4);
    c.compile({ optimizer: 'adam', lr: 0.01, loss: 'cse' });
    expect(c.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, seed: 99 }).history.loss).not.toEqual(a.history.loss);
  });

  it('epochs is the final epoch with initialEpoch (Keras, TF.js): epochs 3 from 2 trains one epoch, from 3 none', () => {
    const { x, y } = blobs(40, 15);
    const m = model(4);
    m.compile({ optimizer: 'sgd', lr: 0.1, loss: 'cse' });
    const h = m.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 8, verbose: 0 });
    expect(h.epoch).toEqual([2]);
    expect(h.params.epochs).toBe(3);
    const before = m.getWeights().map((w) => [...w.values()]);
    expect(m.fit(x, y, { epochs: 3, initialEpoch: 3, verbose: 0 }).epoch).toEqual([]);
    expect(m.fit(x, y, { epochs: 2, initialEpoch: 3, verbose: 0 }).epoch).toEqual([]);
    expect(m.getWeights().map((w) => [...w.values()])).toEqual(before);
  });

  it('non-contiguous inputs (a transposed view, a strided slice) train exactly like their contiguous copies', () => {
    const { x, y } = blobs(64, 15);
    const xt = x.clone().T.clone().T; // same values, column-major strides
    expect(xt.isContiguous).toBe(false);
    const big = blobs(128, 15);
    const ys = big.y.slice([0, 128, 2]); // every other row: a strided view
    const xs = big.x.slice([0, 128, 2]);
    const run = (xx: Tensor, yy: Tensor) => {
      const m = model(9);
      m.compile({ optimizer: 'adam', lr: 0.01, loss: 'cse' });
      return m.fit(xx, yy, { epochs: 2, batchSize: 16, verbose: 0 }).history.loss;
    };
    expect(run(xt, y)).toEqual(run(x, y));
    expect(run(xs, ys)).toEqual(run(xs.clone(), ys.clone()));
  });

  it('the training loss is the mean over real batch sizes (short last batch)', () => {
    const { x, y } = blobs(10, 2);
    const m = model(2);
    m.compile({ optimizer: 'sgd', lr: 0, loss: 'categoricalCrossentropy' });
    // lr 0: weights never change, so the epoch loss must equal evaluate's sample-weighted mean
    const h = m.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    expect(h.history.loss![0]!).toBeCloseTo(m.evaluate(x, y).loss!, 6);
  });

  it('trains through the fused softmax + cross-entropy path but predicts probabilities', () => {
    const m = model(5);
    m.compile({ optimizer: 'sgd', loss: 'cse' });
    expect(m.fusedOutput).toBe('softmax');
    const { x, labels } = blobs(20, 3);
    const p = m.predict(x);
    const pv = p.values();
    for (let i = 0; i < 20; i++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += pv[i * 3 + j]!;
      expect(s).toBeCloseTo(1, 5);
    }
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    expect(m.fusedOutput).toBeNull();
    const s = model(5);
    s.compile({ optimizer: 'adam', lr: 0.02, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const { x: xs, labels: ls } = blobs(300, 4);
    const h = s.fit(xs, ls, { epochs: 5, batchSize: 16, verbose: 0 });
    expect(h.history.accuracy![4]!).toBeGreaterThan(0.8);
    expect(s.score(xs, ls)).toBeCloseTo(s.evaluate(xs, ls).accuracy!, 6);
    expect(m.predictClasses(x).dtype).toBe('int32');
    expect(m.predict(x, { labels: true }).equals(m.predictClasses(x))).toBe(true);
    expect(labels.shape).toEqual([20]);
  });

  it('evaluate on the fused path reports the metrics.ts values of predict (probabilities, sparse labels one-hot for mse)', () => {
    const { x, labels, y } = blobs(50, 8);
    const s = model(7);
    s.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', 'mse', 'mae'] });
    expect(s.fusedOutput).toBe('softmax');
    const p = s.predict(x);
    const r = s.evaluate(x, labels, { batchSize: 64 });
    expect(r.accuracy).toBe(sparseCategoricalAccuracy(p, labels));
    expect(r.mse).toBeCloseTo(mse(p, y), 12);
    expect(r.mae).toBeCloseTo(mae(p, y), 12);
    expect(s.predictClasses(x).equals(argmax(p, 1))).toBe(true);
    expect(() => s.score(x, labels, 'f1')).toThrow(/^score: unknown metric "f1"/);
  });

  it('the fused path and the unfused path give the same gradients step', () => {
    const { x, y } = blobs(32, 6);
    const a = model(7);
    const b = model(7);
    a.compile({ optimizer: 'sgd', lr: 0.1, loss: 'categoricalCrossentropy' });
    b.compile({ optimizer: 'sgd', lr: 0.1, loss: (p, t) => categoricalCrossentropy(p, t) });
    expect(b.fusedOutput).toBeNull();
    a.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
    b.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
    const wa = a.getWeights(), wb = b.getWeights();
    for (let i = 0; i < wa.length; i++) {
      const va = wa[i]!.values(), vb = wb[i]!.values();
      for (let j = 0; j < va.length; j++) expect(va[j]!).toBeCloseTo(vb[j]!, 5);
    }
  });

  it('binary: sigmoid + binaryCrossentropy with 1-D labels trains through the fused path', () => {
    const { x, labels } = blobs(300, 12);
    const yb = new Tensor(Float32Array.from(labels.values() as Int32Array, (c) => (c === 0 ? 1 : 0)), [300]);
    const m = new Sequential({ seed: 2 });
    m.add(new Dense(8, { activation: 'tanh', inputShape: [6] }));
    m.add(new Dense(1, { activation: 'sigmoid' }));
    m.compile({ optimizer: 'adam', lr: 0.03, loss: 'bce', metrics: ['accuracy'] });
    expect(m.fusedOutput).toBe('sigmoid');
    const h = m.fit(x, yb, { epochs: 10, batchSize: 32, verbose: 0 });
    expect(h.history.accuracy![9]!).toBeGreaterThan(0.85);
    const p = m.predict(x).values();
    const cls = m.predictClasses(x).values();
    for (let i = 0; i < 300; i++) expect(cls[i]).toBe(p[i]! > 0.5 ? 1 : 0);
    // evaluate's accuracy (probabilities ≥ 0.5) equals the fused-path accuracy on logits (≥ 0)
    expect(m.evaluate(x, yb).accuracy!).toBeCloseTo(m.score(x, yb), 10);
  });

  it("'iterative' updates after every example", () => {
    const { x, y } = blobs(8, 8);
    const m = mlp([6, 5, 3], { hidden: 'sigmoid', output: 'softmax', loss: 'mse', optimizer: 'iterative', lr: 0.5, seed: 3 });
    const before = m.getWeights();
    let batches = 0;
    m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0, callbacks: [{ onBatchEnd: () => void batches++ }] });
    expect(batches).toBe(1);
    // reference: 8 single-example SGD steps == 8 batches of size 1 with plain sgd
    const r = mlp([6, 5, 3], { hidden: 'sigmoid', output: 'softmax', loss: 'mse', optimizer: 'sgd', lr: 0.5, seed: 3 });
    r.setWeights(before);
    r.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
    const wa = m.getWeights(), wb = r.getWeights();
    for (let i = 0; i < wa.length; i++) expect(wa[i]!.equals(wb[i]!)).toBe(true);
  });

  it('validates inputs before training', () => {
    const { x, y, labels } = blobs(20, 9);
    const m = model(1);
    expect(() => m.fit(x, y)).toThrow(/not compiled; call model.compile/);
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const w0 = m.getWeights()[0]!;
    expect(() => m.fit(x.slice([0, 19]), y, { verbose: 0 })).toThrow(/x has 19 samples but y has 20/);
    expect(() => m.fit(rand([20, 5]), y, { verbose: 0 })).toThrow(/x has 5 features per sample .* expects \[6\]/);
    expect(() => m.fit(x, toCategorical(labels, 4), { verbose: 0 })).toThrow(/y has width 4 .* outputs 3/);
    expect(() => m.fit(x, labels, { verbose: 0 })).toThrow(/use toCategorical\(y, 3\) or loss 'sparseCategoricalCrossentropy'/);
    const xn = x.clone();
    (xn.data as Float32Array)[13] = NaN;
    expect(() => m.fit(xn, y, { verbose: 0 })).toThrow(/x contains NaN at flat index 13 \(sample 2\)/);
    expect(() => m.fit(x, y, { batchSize: 0, verbose: 0 })).toThrow(ValueError);
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    expect(() => m.fit(x, tensor(new Int32Array(20).fill(3), [20]), { verbose: 0 })).toThrow(/label 3 at sample 0 is out of range/);
    expect(() => m.compile({ optimizer: 'adamz', loss: 'mse' })).toThrow();
    expect(m.getWeights()[0]!.equals(w0)).toBe(true);
    expect(() => m.predict(rand([3, 7]))).toThrow(ShapeError);
  });

  it('dropout is active in fit and off in predict; evaluate uses no graph', () => {
    const { x, y } = blobs(50, 10);
    const m = model(1, { dropout: true });
    m.compile({ optimizer: 'adam', loss: 'cse', metrics: ['accuracy'] });
    expect(m.predict(x).equals(m.predict(x))).toBe(true);
    m.fit(x, y, { epochs: 1, verbose: 0 });
    expect(m.layers.every((l) => !l.training)).toBe(true);
    const seen: boolean[] = [];
    const probe = (_p: Tensor, _t: Tensor): number => (seen.push(isGradEnabled()), 0);
    m.compile({ optimizer: 'adam', loss: 'cse', metrics: [probe] });
    m.evaluate(x, y, { batchSize: 25 });
    expect(seen).toEqual([false, false]);
  });

  it('a non-finite loss is a clear error', () => {
    const { x, y } = blobs(20, 11);
    const m = model(1);
    m.compile({ optimizer: 'sgd', lr: 0.1, loss: 'mse' });
    // finite weights (setWeights takes them) whose products overflow float32: a learning rate compile takes cannot
    // diverge this softmax model, which saturates
    m.setWeights(m.getWeights().map((w) => new Tensor(new Float32Array(w.size).fill(1e30), w.shape)));
    expect(() => m.fit(x, y, { epochs: 5, verbose: 0 })).toThrow(/the loss became (NaN|Infinity)/);
  });
});

describe('trainOnBatch', () => {
  it('is one step of fit: same loss, metrics and weights, bit for bit, as a one-batch unshuffled epoch', () => {
    const { x, labels } = blobs(24, 21);
    const a = model(3).compile({ optimizer: 'adam', lr: 0.01, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const b = model(3).compile({ optimizer: 'adam', lr: 0.01, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = a.fit(x, labels, { epochs: 1, batchSize: 24, shuffle: false, verbose: 0 });
    const logs = b.trainOnBatch(x, labels);
    expect(logs).toEqual({ loss: h.history.loss![0], accuracy: h.history.accuracy![0] });
    a.getWeights().forEach((w, i) => expect(Array.from(b.getWeights()[i]!.values())).toEqual(Array.from(w.values())));
    // a second call takes a second step: the loss falls on this separable batch
    const steps = [logs.loss!];
    for (let i = 0; i < 20; i++) steps.push(b.trainOnBatch(x, labels).loss!);
    expect(steps[20]!).toBeLessThan(steps[0]! * 0.7);
    expect(b.epoch).toBe(0);
  });

  it('checks like fit: uncompiled, wrong labels, one training at a time; layers return to inference mode', async () => {
    const { x, labels, y } = blobs(16, 22);
    expect(() => model().trainOnBatch(x, y)).toThrow(/trainOnBatch: the model is not compiled/);
    const m = model(1, { dropout: true }).compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    expect(() => m.trainOnBatch(x, labels.astype('float32').reshape([16, 1]))).toThrow(ShapeError);
    m.trainOnBatch(x, y);
    expect(m.layers.every((l) => !l.training)).toBe(true);
    const running = m.fitAsync(x, y, { epochs: 2, verbose: 0, yieldEveryMs: 0, batchSize: 4 });
    expect(() => m.trainOnBatch(x, y)).toThrow(/one training at a time/);
    await running;
  });
});

describe('real MNIST digits (mnist package)', () => {
  it('a 784-32-10 MLP passes 80 % test accuracy after 3 epochs on 600 digits', () => {
    const d = loadMnistPackage({ trainSize: 600, testSize: 300, seed: 0 });
    const m = new Sequential({ seed: 0 });
    m.add(new Dense(32, { activation: 'relu', inputShape: [784] }));
    m.add(new Dense(10, { activation: 'softmax' }));
    m.compile({ optimizer: 'adam', lr: 3e-3, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = m.fit(d.xTrain, d.yTrain, { epochs: 3, batchSize: 32, verbose: 0 });
    expect(h.history.loss![2]!).toBeLessThan(h.history.loss![0]!);
    const acc = m.evaluate(d.xTest, d.yTest).accuracy!;
    expect(acc).toBeGreaterThan(0.8);
  });
});
