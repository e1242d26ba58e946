import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, Tensor, ValueError } from '@tapegrad/tensor';
import {
  accuracy,
  accuracyKind,
  binaryAccuracy,
  categoricalAccuracy,
  confusionMatrix,
  formatConfusionMatrix,
  getMetric,
  mae,
  metricFunctions,
  metricNames,
  mse,
  resolveMetricName,
  sparseCategoricalAccuracy,
} from '../src/training/metrics.js';
import { Dense, Sequential, mlp } from '../src/index.js';

const g = new Generator(3);
const t = (values: number[], shape: number[]): Tensor => new Tensor(Float32Array.from(values), shape);
const randomScores = (n: number, k: number): Tensor => new Tensor(Float64Array.from({ length: n * k }, () => g.normal()), [n, k]);
const naiveArgmax = (row: number[]): number => row.indexOf(Math.max(...row));

describe('accuracy variants', () => {
  it('binary accuracy thresholds predictions (0.5 by default)', () => {
    const p = t([0.9, 0.2, 0.6, 0.4], [4, 1]);
    const y = t([1, 0, 0, 0], [4, 1]);
    expect(binaryAccuracy(p, y)).toBe(0.75);
    expect(binaryAccuracy(p, y, 0.7)).toBe(1);
    expect(binaryAccuracy(p, t([1, 0, 0, 0], [4]))).toBe(0.75); // [n] vs [n, 1]
  });

  it('one output unit under a categorical loss or softmax is one class (argmax: class 0), not a binary unit (Keras)', () => {
    const x = new Tensor(Float32Array.from({ length: 12 }, (_, i) => i / 12), [3, 4]);
    const m = mlp([4, 5, 1], { loss: 'sparseCategoricalCrossentropy', seed: 1 });
    const labels = new Tensor(Int32Array.of(0, 0, 0), [3]);
    expect(m.score(x, labels)).toBe(1); // was 0: the softmax's 1.0 thresholded at 0.5 as "class 1"
    expect(m.evaluate(x, labels).accuracy).toBe(1);
    expect([...m.predictClasses(x).values()]).toEqual([0, 0, 0]);
    const u = new Sequential({ seed: 0 }); // uncompiled: the softmax output layer says categorical
    u.add(new Dense(1, { activation: 'softmax', inputShape: [4] }));
    expect([...u.predictClasses(x).values()]).toEqual([0, 0, 0]);
    const b = new Sequential({ seed: 0 }); // one sigmoid unit stays binary
    b.add(new Dense(1, { activation: 'sigmoid', inputShape: [4] }));
    b.setWeights([t([1, 1, 1, 1], [4, 1]), t([-1], [1])]);
    expect([...b.predictClasses(x).values()]).toEqual([0, 1, 1]);
  });

  it('a model compiled with fromLogits thresholds its logits at 0 (σ(z) > 0.5 ⇔ z > 0) in fit, evaluate, score, predictClasses', () => {
    const m = new Sequential({ seed: 0 });
    m.add(new Dense(1, { inputShape: [1] })); // linear output: logits
    m.compile({ optimizer: 'sgd', lr: 0, loss: 'binaryCrossentropy', fromLogits: true, metrics: ['accuracy'] });
    m.setWeights([t([1], [1, 1]), t([0], [1])]); // logit = x
    const x = t([-2, -0.2, 0.3, 3], [4, 1]);
    const y = t([0, 0, 1, 1], [4, 1]);
    expect(m.evaluate(x, y).accuracy).toBe(1); // at 0.5, the logit 0.3 (probability 0.57) would count as class 0
    expect(m.score(x, y)).toBe(1);
    expect([...m.predictClasses(x).values()]).toEqual([0, 0, 1, 1]);
    expect(m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 }).history.accuracy).toEqual([1]);
  });

  it('categorical and sparse accuracy equal a naive argmax loop on random and strided inputs', () => {
    const n = 37;
    const k = 5;
    const scoresT = randomScores(k, n).T; // transposed → non-contiguous [n, k]
    const labels = Int32Array.from({ length: n }, () => g.int(0, k));
    const oneHot = new Tensor(new Float32Array(n * k), [n, k]);
    labels.forEach((l, i) => (oneHot.data[i * k + l] = 1));
    const rows = scoresT.toArray() as number[][];
    const expected = rows.filter((r, i) => naiveArgmax(r) === labels[i]).length / n;
    expect(expected).toBeGreaterThan(0);
    expect(categoricalAccuracy(scoresT, oneHot)).toBeCloseTo(expected, 12);
    expect(sparseCategoricalAccuracy(scoresT, new Tensor(labels, [n]))).toBeCloseTo(expected, 12);
    expect(sparseCategoricalAccuracy(scoresT, new Tensor(Float32Array.from(labels), [n, 1]))).toBeCloseTo(expected, 12);
  });

  it('accuracy picks the variant from the label shape', () => {
    const scores = t([0.1, 0.7, 0.2, 0.5, 0.3, 0.2], [2, 3]);
    expect(accuracyKind(scores, t([0, 1, 0, 1, 0, 0], [2, 3]))).toBe('categorical');
    expect(accuracyKind(scores, t([1, 0], [2]))).toBe('sparse');
    expect(accuracyKind(scores, t([1, 0], [2, 1]))).toBe('sparse');
    expect(accuracyKind(t([0.2, 0.9], [2, 1]), t([0, 1], [2, 1]))).toBe('binary');
    expect(accuracy(scores, t([0, 1, 0, 1, 0, 0], [2, 3]))).toBe(1);
    expect(accuracy(scores, t([1, 2], [2]))).toBe(0.5);
    expect(accuracy(t([0.2, 0.9], [2, 1]), t([1, 1], [2, 1]))).toBe(0.5);
    expect(() => accuracy(scores, t([1, 0, 1, 0], [2, 2]))).toThrow(/cannot tell the label format/);
  });

  it('accepts anything holding a tensor in value (Variables)', () => {
    const p = { value: t([0.1, 0.9], [1, 2]) };
    expect(accuracy(p, { value: t([1], [1]) })).toBe(1);
  });

  it('rejects mismatched shapes and bad labels', () => {
    expect(() => categoricalAccuracy(t([1, 2, 3, 4], [2, 2]), t([1, 0], [1, 2]))).toThrow(ShapeError);
    expect(() => sparseCategoricalAccuracy(t([1, 2, 3, 4], [2, 2]), t([0, 2], [2]))).toThrow(
      /target 1 is 2; expected an integer class index in \[0, 1\]/,
    );
    expect(() => sparseCategoricalAccuracy(t([1, 2, 3, 4], [2, 2]), t([0, 0.5], [2]))).toThrow(ValueError);
    expect(() => binaryAccuracy(t([1, 2, 3], [3]), t([1, 2], [2]))).toThrow(/predictions \[3\] and targets \[2\] must have the same shape/);
    expect(() => binaryAccuracy(t([], [0]), t([], [0]))).toThrow(/no samples/);
  });
});

describe('mse / mae', () => {
  it('equal naive loops, also on strided inputs', () => {
    const a = randomScores(6, 4);
    const b = randomScores(4, 6).T;
    const av = a.toArray() as number[][];
    const bv = b.toArray() as number[][];
    let se = 0;
    let ae = 0;
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 4; j++) {
        se += (av[i]![j]! - bv[i]![j]!) ** 2;
        ae += Math.abs(av[i]![j]! - bv[i]![j]!);
      }
    }
    expect(mse(a, b)).toBeCloseTo(se / 24, 12);
    expect(mae(a, b)).toBeCloseTo(ae / 24, 12);
    expect(mse(t([1, 2], [2]), t([3, 2], [2, 1]))).toBe(2);
    expect(() => mse(a, randomScores(4, 6))).toThrow(ShapeError);
  });
});

describe('getMetric', () => {
  it('resolves names and aliases and rejects unknown names', () => {
    expect(getMetric('acc')).toBe(accuracy);
    expect(getMetric('mean_squared_error')).toBe(mse);
    expect(getMetric('binary_accuracy')(t([0.7], [1, 1]), t([1], [1, 1]))).toBe(1);
    expect(() => getMetric('f1')).toThrow(/unknown metric "f1"; expected one of accuracy/);
    expect(() => getMetric('constructor')).toThrow(ValueError);
  });

  it('shares one alias table with compile: every alias resolves to a canonical name and its function', () => {
    expect(getMetric('meanSquaredError')).toBe(mse);
    expect(getMetric('meanAbsoluteError')).toBe(mae);
    expect(resolveMetricName('sparse_categorical_accuracy')).toBe('sparseCategoricalAccuracy');
    for (const [alias, fn] of Object.entries(metricFunctions)) {
      const name = resolveMetricName(alias);
      expect(metricNames).toContain(name);
      expect(fn).toBe(getMetric(name));
    }
    expect(() => resolveMetricName('f1', 'compile')).toThrow(/^compile: unknown metric "f1"; expected one of .*, or a function/);
  });
});

describe('confusionMatrix', () => {
  it('counts (true, predicted) pairs like a naive loop', () => {
    const n = 200;
    const k = 4;
    const scores = randomScores(n, k);
    const labels = Int32Array.from({ length: n }, () => g.int(0, k));
    const cm = confusionMatrix(scores, new Tensor(labels, [n]), k);
    expect(cm.dtype).toBe('int32');
    expect(cm.shape).toEqual([4, 4]);
    const rows = scores.toArray() as number[][];
    const ref = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    rows.forEach((r, i) => ref[labels[i]!]![naiveArgmax(r)]!++);
    expect(cm.toArray()).toEqual(ref);
    // trace / n equals accuracy
    let trace = 0;
    for (let i = 0; i < k; i++) trace += cm.get(i, i);
    expect(trace / n).toBeCloseTo(sparseCategoricalAccuracy(scores, new Tensor(labels, [n])), 12);
  });

  it('accepts one-hot targets, label vectors and binary probabilities', () => {
    const cm = confusionMatrix(t([0, 1, 1, 2], [4]), t([0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1], [4, 3]));
    expect(cm.toArray()).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [0, 2, 1],
    ]); // targets [1, 2, 2, 2], predictions [0, 1, 1, 2]
    const bin = confusionMatrix(t([0.9, 0.2, 0.7], [3, 1]), t([1, 0, 0], [3, 1]), 2);
    expect(bin.toArray()).toEqual([
      [1, 1],
      [0, 1],
    ]);
    expect(() => confusionMatrix(t([0, 3], [2]), t([0, 1], [2]), 3)).toThrow(/sample 1 has target 1, prediction 3/);
    expect(() => confusionMatrix(t([0, 1, 2], [3]), t([0, 1], [2]))).toThrow(ShapeError);
    expect(() => confusionMatrix(t([0.5, 1.5], [2]), t([0, 1], [2]))).toThrow(/expected integer class labels or probabilities/);
  });

  it('formats as an aligned table with totals', () => {
    const cm = new Tensor(new Int32Array([12, 3, 0, 140]), [2, 2]);
    const text = formatConfusionMatrix(cm, ['cat', 'dog']);
    expect(text).toBe(['true\\pred  cat  dog  total', 'cat         12    3     15', 'dog          0  140    140'].join('\n'));
    expect(() => formatConfusionMatrix(new Tensor(new Int32Array(6), [2, 3]))).toThrow(ShapeError);
  });
});
