import { describe, expect, it } from 'vitest';
import { Generator, IndexError, ShapeError, Tensor, ValueError } from '@tapegrad/tensor';
import { batchIndices, batches, gatherRows, takeRows, toCategorical, trainValidationSplit } from '../src/training/data.js';

const arange = (n: number, shape: number[]): Tensor => new Tensor(Float32Array.from({ length: n }, (_, i) => i), shape);

describe('toCategorical', () => {
  it('one-hot encodes arrays and tensors, inferring the class count', () => {
    const t = toCategorical([2, 0, 1, 2]);
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([4, 3]);
    expect(t.toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const fromTensor = toCategorical(new Tensor(new Int32Array([1, 3]), [2, 1]), 5);
    expect(fromTensor.toArray()).toEqual([
      [0, 1, 0, 0, 0],
      [0, 0, 0, 1, 0],
    ]);
    // a strided (sliced) float label tensor
    const labels = new Tensor(new Float32Array([0, 9, 1, 9, 2, 9]), [6]).slice([0, 6, 2]);
    expect(toCategorical(labels, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('rejects non-integer, negative and out-of-range labels', () => {
    expect(() => toCategorical([0, 1.5])).toThrow(/label 1 is 1.5; expected a non-negative integer/);
    expect(() => toCategorical([0, -1])).toThrow(ValueError);
    expect(() => toCategorical([0, 3], 3)).toThrow(/label 3 is out of range for numClasses=3/);
    expect(() => toCategorical([Number.NaN])).toThrow(ValueError);
    expect(() => toCategorical(new Tensor(new Float32Array(4), [2, 2]))).toThrow(ShapeError);
  });
});

describe('batchIndices', () => {
  it('covers 0…n-1 in order with a short last batch', () => {
    const b = batchIndices(10, 4);
    expect(b.map((x) => Array.from(x))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batchIndices(0, 4)).toEqual([]);
  });

  it('shuffles reproducibly with a seeded generator and is a permutation', () => {
    const a = batchIndices(50, 8, { shuffle: true, generator: new Generator(7) });
    const b = batchIndices(50, 8, { shuffle: true, generator: new Generator(7) });
    const c = batchIndices(50, 8, { shuffle: true, generator: new Generator(8) });
    const flat = (x: Int32Array[]): number[] => x.flatMap((v) => Array.from(v));
    expect(flat(a)).toEqual(flat(b));
    expect(flat(a)).not.toEqual(flat(c));
    expect([...flat(a)].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(flat(a)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a.map((x) => x.length)).toEqual([8, 8, 8, 8, 8, 8, 2]);
  });

  it('validates its arguments', () => {
    expect(() => batchIndices(10, 0)).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => batchIndices(-1, 2)).toThrow(ValueError);
  });
});

describe('takeRows', () => {
  const naive = (x: Tensor, idx: number[]): unknown[] => idx.map((i) => (x.toArray() as unknown[])[i]);

  it('gathers rows of contiguous tensors, keeping dtype and trailing shape', () => {
    const x = arange(24, [4, 3, 2]);
    const r = takeRows(x, new Int32Array([3, 0, 3]));
    expect(r.shape).toEqual([3, 3, 2]);
    expect(r.toArray()).toEqual(naive(x, [3, 0, 3]));
    const ints = new Tensor(new Int32Array([5, 6, 7]), [3]);
    const ri = takeRows(ints, [2, 1]);
    expect(ri.dtype).toBe('int32');
    expect(Array.from(ri.data)).toEqual([7, 6]);
  });

  it('handles transposed, sliced (offset) and expanded inputs', () => {
    const base = arange(30, [5, 6]);
    const cases = [base.T, base.slice([1, 5], [1, 5, 2]), base.slice([2, 5]), new Tensor(new Float32Array([1, 2, 3]), [1, 3]).expand(4, 3)];
    for (const x of cases) {
      const idx = Array.from({ length: 6 }, (_, i) => (i * 7) % x.shape[0]!);
      const r = takeRows(x, idx);
      expect(r.isContiguous).toBe(true);
      expect(r.toArray()).toEqual(naive(x, idx));
    }
  });

  it('gatherRows copies a window of the order into a reused buffer (rows of 1 and of 3 values)', () => {
    const src = Float32Array.from({ length: 12 }, (_, i) => i);
    const order = new Int32Array([3, 1, 0, 2]);
    const out = new Float32Array(6).fill(-1);
    gatherRows(src, 3, order, 1, 2, out);
    expect(Array.from(out)).toEqual([3, 4, 5, 0, 1, 2]);
    const out1 = new Float32Array(3).fill(-1);
    gatherRows(src, 1, order, 2, 2, out1);
    expect(Array.from(out1)).toEqual([0, 2, -1]);
  });

  it('rejects out-of-range indices', () => {
    expect(() => takeRows(arange(6, [3, 2]), [0, 3])).toThrow(IndexError);
    expect(() => takeRows(arange(6, [3, 2]), [-1])).toThrow(/index -1 \(position 0\) is out of range for 3 rows/);
  });
});

describe('trainValidationSplit', () => {
  it('takes the last fraction as validation (Keras: split at floor(n·(1−f)))', () => {
    const x = arange(20, [10, 2]);
    const y = new Tensor(Int32Array.from({ length: 10 }, (_, i) => i), [10]);
    const s = trainValidationSplit(x, y, 0.25);
    expect(s.xTrain.shape).toEqual([7, 2]);
    expect(s.xVal.shape).toEqual([3, 2]);
    expect(Array.from(s.yVal.values())).toEqual([7, 8, 9]);
    expect(Array.from(s.yTrain.values())).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.xVal.toArray()).toEqual([[14, 15], [16, 17], [18, 19]]);
  });

  it('validates fraction and sample counts', () => {
    const x = arange(20, [10, 2]);
    expect(() => trainValidationSplit(x, x, 0)).toThrow(/strictly between 0 and 1/);
    expect(() => trainValidationSplit(x, x, 1)).toThrow(ValueError);
    expect(() => trainValidationSplit(x, x, 0.95)).toThrow(/leaves 0 for training and 10 for validation; both must be non-empty/);
    expect(() => trainValidationSplit(x, x, 1e-17)).toThrow(/leaves 10 for training and 0 for validation/);
    expect(() => trainValidationSplit(x, arange(9, [9]), 0.2)).toThrow(ShapeError);
  });
});

describe('batches', () => {
  it('yields matching x and y rows covering every sample once', () => {
    const x = arange(14, [7, 2]);
    const y = new Tensor(Int32Array.from({ length: 7 }, (_, i) => 10 * i), [7]);
    const seen: number[] = [];
    for (const b of batches(x, y, 3, { shuffle: true, generator: new Generator(1) })) {
      const xv = b.x.toArray() as number[][];
      b.indices.forEach((i, r) => {
        expect(xv[r]).toEqual([2 * i, 2 * i + 1]);
        expect(b.y.get(r)).toBe(10 * i);
        seen.push(i);
      });
    }
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => [...batches(x, arange(6, [6]), 2)]).toThrow(ShapeError);
  });
});
