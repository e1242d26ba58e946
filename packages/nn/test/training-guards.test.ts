// The training API refuses what it cannot do and does what it should (issue 11, items 5, 6 and 8): batch sizes
// everywhere, one training at a time per model, float64 models trained by fit.
import { describe, expect, it } from 'vitest';
import { DTypeError, Generator, Tensor, ValueError, randn } from '@tapegrad/tensor';
import { Dense, Sequential, toCategorical } from '../src/index.js';

function data(dtype: 'float32' | 'float64' = 'float32'): { x: Tensor; labels: Tensor; y: Tensor } {
  const g = new Generator(3);
  const x = randn([24, 4], { generator: g, dtype });
  const v = x.values();
  const lab = new Int32Array(24);
  for (let i = 0; i < 24; i++) lab[i] = (v[i * 4]! > 0 ? 1 : 0) + (v[i * 4 + 1]! > 0 ? 1 : 0);
  const labels = new Tensor(lab, [24]);
  return { x, labels, y: toCategorical(labels, 3) };
}

function model(dtype: 'float32' | 'float64' = 'float32'): Sequential {
  const m = new Sequential({ seed: 5 });
  m.add(new Dense(8, { activation: 'tanh', inputShape: [4], dtype }));
  m.add(new Dense(3, { activation: 'softmax', dtype }));
  m.compile({ optimizer: 'adam', lr: 0.02, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('batchSize is checked by predict, evaluate, score and predictClasses', () => {
  const { x, y } = data();
  const m = model();
  // 0 used to loop forever; -1, 2.5 and NaN gave raw errors
  for (const batchSize of [0, -1, 2.5, NaN, Infinity]) {
    it(`batchSize ${batchSize}`, () => {
      expect(() => m.predict(x, { batchSize })).toThrow(new ValueError(`predict: batchSize must be a positive integer, got ${batchSize}`));
      expect(() => m.predict(x, { batchSize, labels: true })).toThrow(/predict: batchSize must be a positive integer/);
      expect(() => m.predictClasses(x, { batchSize })).toThrow(/predictClasses: batchSize must be a positive integer/);
      expect(() => m.evaluate(x, y, { batchSize })).toThrow(/evaluate: batchSize must be a positive integer/);
      expect(() => m.score(x, y, { batchSize })).toThrow(/score: batchSize must be a positive integer/);
      expect(() => m.fit(x, y, { batchSize, verbose: 0 })).toThrow(/fit: batchSize must be a positive integer/);
    });
  }

  it('valid batch sizes still give the same predictions whatever the batching', () => {
    expect(m.predict(x, { batchSize: 5 }).equals(m.predict(x, { batchSize: 256 }))).toBe(true);
  });
});

describe('one training at a time per model', () => {
  it('a second fitAsync, a fit, a compile or an add during fitAsync are refused; afterwards the model is free again', async () => {
    const { x, y } = data();
    const m = model();
    const running = m.fitAsync(x, y, { epochs: 3, batchSize: 4, verbose: 0, yieldEveryMs: 0 });
    await expect(m.fitAsync(x, y, { verbose: 0 })).rejects.toThrow(
      /fitAsync: the model is training \(a fitAsync call is running\); wait for it to finish — one training at a time per model/,
    );
    expect(() => m.fit(x, y, { verbose: 0 })).toThrow(/fit: the model is training \(a fitAsync call is running\)/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse' })).toThrow(/compile: the model is training/);
    expect(() => m.add(new Dense(2))).toThrow(/add: the model is training/);
    // inference is allowed meanwhile
    expect(m.predict(x).shape).toEqual([24, 3]);
    const h = await running;
    expect(h.history.loss).toHaveLength(3);
    // the same numbers as an undisturbed run
    const quiet = model();
    const h2 = await quiet.fitAsync(x, y, { epochs: 3, batchSize: 4, verbose: 0, yieldEveryMs: 0 });
    expect(h.history.loss).toEqual(h2.history.loss);
    expect(m.fit(x, y, { epochs: 1, verbose: 0 }).history.loss).toHaveLength(1);
  });

  it('fit from inside a callback is refused, and a failed fit frees the model', () => {
    const { x, y } = data();
    const m = model();
    let inner = '';
    m.fit(x, y, {
      epochs: 1,
      verbose: 0,
      callbacks: [
        {
          onEpochEnd: () => {
            try {
              m.fit(x, y, { verbose: 0 });
            } catch (e) {
              inner = (e as Error).message;
            }
          },
        },
      ],
    });
    expect(inner).toMatch(/fit: the model is training \(a fit call is running\)/);
    expect(() =>
      m.fit(x, y, {
        callbacks: [
          {
            onBatchEnd: () => {
              throw new ValueError('stop');
            },
          },
        ],
        verbose: 0,
      }),
    ).toThrow('stop');
    expect(() => m.fit(x, y, { epochs: 1, verbose: 0 })).not.toThrow();
  });
});

describe('float64 models train with fit', () => {
  it('float32 data is cast to the model dtype; the training matches training on float64 data', () => {
    const m32data = data('float32');
    const m64data = data('float64');
    const a = model('float64');
    const b = model('float64');
    const ha = a.fit(m32data.x, m32data.y, { epochs: 3, batchSize: 8, verbose: 0 });
    const hb = b.fit(m64data.x.astype('float32').astype('float64'), m64data.y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(ha.history.loss).toEqual(hb.history.loss);
    expect(ha.history.loss![2]!).toBeLessThan(ha.history.loss![0]!);
    expect(a.getWeights()[0]!.dtype).toBe('float64');
    expect(a.predict(m32data.x).dtype).toBe('float64');
    expect(Number.isFinite(a.evaluate(m32data.x, m32data.y).loss!)).toBe(true);
    const sparse = model('float64');
    sparse.compile({ optimizer: 'sgd', lr: 0.1, loss: 'sparseCategoricalCrossentropy' });
    expect(Number.isFinite(sparse.fit(m64data.x, m64data.labels, { epochs: 1, verbose: 0 }).history.loss![0]!)).toBe(true);
    const iterative = model('float64');
    iterative.compile({ optimizer: 'iterative', lr: 0.1, loss: 'mse' });
    expect(Number.isFinite(iterative.fit(m64data.x, m64data.y, { epochs: 1, verbose: 0 }).history.loss![0]!)).toBe(true);
  });

  it('one full-batch SGD step of a float64 model equals the float64 hand computation (float32 would be off by ~1e-8)', () => {
    const { x, y } = data('float64');
    const m = new Sequential({ seed: 2 });
    m.add(new Dense(3, { inputShape: [4], dtype: 'float64' }));
    m.compile({ optimizer: 'sgd', lr: 0.1, loss: 'mse' });
    const [w, b] = m.getWeights().map((t) => t.values());
    m.fit(x, y, { epochs: 1, batchSize: 24, shuffle: false, verbose: 0 });
    // mse = mean over n·k of (o − t)², so ∂/∂b_j = 2/(n·k) · Σ_i (o_ij − t_ij) and b ← b − lr·∂b
    const xv = x.values();
    const yv = y.values();
    const grad = [0, 0, 0];
    for (let i = 0; i < 24; i++) {
      for (let j = 0; j < 3; j++) {
        let o = b![j]!;
        for (let f = 0; f < 4; f++) o += xv[i * 4 + f]! * w![f * 3 + j]!;
        grad[j]! += (2 / 72) * (o - yv[i * 3 + j]!);
      }
    }
    const after = m.getWeights()[1]!.values();
    expect(after).toBeInstanceOf(Float64Array);
    grad.forEach((gj, j) => expect(Math.abs(after[j]! - (b![j]! - 0.1 * gj))).toBeLessThan(1e-14));
  });

  it('a model mixing float32 and float64 layers is a clear DTypeError', () => {
    const { x, y } = data();
    const m = new Sequential({ seed: 1 });
    m.add(new Dense(3, { inputShape: [4], dtype: 'float64' }));
    m.add(new Dense(3, { activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    expect(() => m.fit(x, y, { verbose: 0 })).toThrow(DTypeError);
    expect(() => m.fit(x, y, { verbose: 0 })).toThrow(
      /fit: the model mixes float32 and float64 parameters \(dense float64, dense_1 float32\)/,
    );
  });
});

describe('fit checks the form of validationData', () => {
  it('refuses anything but a pair [x, y] (a lone Tensor, [x], Keras (x, y, weights), an object, nested arrays)', () => {
    const m = new Sequential({ seed: 0 });
    m.add(new Dense(1, { inputShape: [2] }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2]);
    const y = new Tensor(Float32Array.of(1, 0), [2, 1]);
    const fit = (validationData: unknown): unknown => m.fit(x, y, { epochs: 1, verbose: 0, validationData: validationData as never });
    expect(() => fit(x)).toThrow(/fit: validationData must be a pair \[x, y\] of Tensors, got a Tensor of shape \[2, 2\]/);
    expect(() => fit([x])).toThrow(/got an array of length 1/);
    expect(() => fit([x, y, y])).toThrow(/got an array of length 3/);
    expect(() => fit({ x, y })).toThrow(/got an object/);
    expect(() => fit([x, [[1], [0]]])).toThrow(/fit \(validationData\): y must be a Tensor, got an array of length 2/);
    expect(Object.keys((fit([x, y]) as { history: object }).history)).toContain('val_loss');
    expect(Object.keys((fit(null) as { history: object }).history)).not.toContain('val_loss');
  });
});

describe('float64 data for a float32 model', () => {
  it('values beyond the float32 range are refused by name (the cast would make them Infinity after the finite check)', () => {
    const m = new Sequential({ seed: 0 });
    m.add(new Dense(2, { activation: 'softmax', inputShape: [4] }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = new Tensor(Float64Array.of(1e39, 0, 0, 0), [1, 4]);
    expect(() => m.predict(x)).toThrow(/predict: x holds 1e\+39 at flat index 0 \(sample 0\), beyond the float32 range/);
    const y = new Tensor(Float64Array.of(0, -1e39), [1, 2]);
    expect(() => m.fit(new Tensor(Float64Array.of(1, 0, 0, 0), [1, 4]), y, { verbose: 0 })).toThrow(/fit: y holds -1e\+39 at flat index 1/);
    expect(m.predict(new Tensor(Float64Array.of(3e38, 0, 0, 0), [1, 4])).shape).toEqual([1, 2]); // in range: fine
  });
});

describe('flipping trainable after training', () => {
  it('takes effect at the next fit, keeps each parameter’s optimizer state, and a save/load resumes bit for bit', () => {
    const g = new Generator(1);
    const x = randn([40, 4], { generator: g });
    const y = randn([40, 4], { generator: g });
    const a = new Sequential({ seed: 3 });
    a.add(new Dense(4, { activation: 'tanh', inputShape: [4], trainable: false }));
    a.add(new Dense(4));
    a.compile({ optimizer: 'adam', lr: 0.05, loss: 'mse' });
    a.fit(x, y, { epochs: 2, verbose: 0 });
    a.layers[0]!.trainable = true;
    a.layers[1]!.trainable = false;
    const b = Sequential.fromJSON(a.toJSON()); // the state written is the state of the parameters now trained
    const w0 = a.getWeights().map((t) => [...t.values()]);
    a.fit(x, y, { epochs: 3, verbose: 0 });
    b.fit(x, y, { epochs: 3, verbose: 0 });
    const [wa, wb] = [a.getWeights(), b.getWeights()];
    expect(wa.map((t, i) => [...t.values()].some((v, j) => v !== w0[i]![j]))).toEqual([true, true, false, false]);
    wa.forEach((t, i) => expect([...t.values()]).toEqual([...wb[i]!.values()]));
  });
});
