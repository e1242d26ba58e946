import { describe, expect, it } from 'vitest';
import {
  Generator,
  IndexError,
  ShapeError,
  Tensor,
  ValueError,
  argmax,
  argmin,
  logSoftmax,
  logsumexp,
  max,
  mean,
  min,
  prod,
  randn,
  softmax,
  std,
  sum,
  sumTo,
  tensor,
  variance,
  type DType,
} from '@tapegrad/tensor';
import { LAYOUTS, flat, forEachIndex, makeView, randIntFrom, type Layout } from './helpers.js';

const gen = new Generator(20261123);

const randInt = randIntFrom(gen);

/** A tensor of logical `shape` laid out in memory as `layout` says (general permutation, even axes expanded), with seeded normal values. */
const make = (shape: number[], layout: Layout, dtype: DType = 'float64'): Tensor =>
  makeView((s) => randn(s, { generator: gen, dtype }), shape, layout, { transpose: 'reverse-swap', expandAxes: 'even' });

function randomShape(maxNdim = 4, maxDim = 5): number[] {
  const nd = randInt(0, maxNdim);
  return Array.from({ length: nd }, () => randInt(1, maxDim));
}

/** Every subset of the axes (as non-negative, randomly also as negative indices). */
function axisCombos(ndim: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << ndim; mask++) {
    const axes: number[] = [];
    for (let a = 0; a < ndim; a++) if (mask & (1 << a)) axes.push(gen.random() < 0.5 ? a : a - ndim);
    out.push(axes);
  }
  return out;
}

interface Ref {
  shape: number[];
  keepShape: number[];
  groups: number[][];
}

/** Groups the elements of `x` by output position of a reduction over `axes` — the naive definition. */
function groupBy(x: Tensor, axes: number[] | null): Ref {
  const red = new Set((axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + x.ndim : a)));
  const shape = x.shape.filter((_, i) => !red.has(i));
  const keepShape = x.shape.map((d, i) => (red.has(i) ? 1 : d));
  const outSize = shape.reduce((a, b) => a * b, 1);
  const groups: number[][] = Array.from({ length: outSize }, () => []);
  const values = flat(x);
  forEachIndex(x.shape, (idx, i) => {
    let o = 0;
    for (let d = 0; d < x.ndim; d++) if (!red.has(d)) o = o * x.shape[d]! + idx[d]!;
    groups[o]!.push(values[i]!);
  });
  return { shape, keepShape, groups };
}

const refSum = (v: number[]): number => v.reduce((a, b) => a + b, 0);
const refMean = (v: number[]): number => refSum(v) / v.length;
const refVar = (v: number[], c = 0): number => {
  const m = refMean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - c);
};
const refLse = (v: number[]): number => Math.log(v.reduce((a, b) => a + Math.exp(b), 0));

/** Asserts shape, dtype and values (relative tolerance `tol`, scaled by 1 + |expected|). */
function check(actual: Tensor, shape: readonly number[], expected: number[], tol: number, dtype: DType, what: string): void {
  expect(actual.shape, what).toEqual(shape);
  expect(actual.dtype, what).toBe(dtype);
  expect(actual.isContiguous, what).toBe(true);
  const got = flat(actual);
  expect(got.length, what).toBe(expected.length);
  for (let i = 0; i < got.length; i++) {
    const e = expected[i]!;
    const g = got[i]!;
    if (Number.isNaN(e)) expect(g, `${what} [${i}]`).toBeNaN();
    else if (tol === 0 || !Number.isFinite(e)) expect(g, `${what} [${i}]`).toBe(e);
    else if (Math.abs(g - e) > tol * (1 + Math.abs(e))) expect.fail(`${what} [${i}]: got ${g}, expected ${e}`);
  }
}

describe('reductions vs naive grouping', () => {
  const ops = [
    { name: 'sum', fn: sum, ref: refSum, exact: false },
    { name: 'mean', fn: mean, ref: refMean, exact: false },
    { name: 'max', fn: max, ref: (v: number[]) => Math.max(...v), exact: true },
    { name: 'min', fn: min, ref: (v: number[]) => Math.min(...v), exact: true },
    { name: 'prod', fn: prod, ref: (v: number[]) => v.reduce((a, b) => a * b, 1), exact: false },
    { name: 'logsumexp', fn: logsumexp, ref: refLse, exact: false },
  ] as const;

  for (const dtype of ['float64', 'float32'] as const) {
    it(`every layout and axis combination, ${dtype}`, () => {
      let cases = 0;
      const tol = dtype === 'float64' ? 1e-12 : 2e-6;
      for (let trial = 0; trial < 14; trial++) {
        const shape = randomShape(trial < 10 ? 3 : 4);
        const layout = LAYOUTS[trial % LAYOUTS.length]!;
        const x = make(shape, layout, dtype);
        const combos: (number[] | null)[] = [
          null,
          ...(shape.length <= 3 ? axisCombos(shape.length) : [[0, -1], [1, 2], [-3], [0, 1, 2, 3]]),
        ];
        for (const axes of combos) {
          const ref = groupBy(x, axes);
          for (const op of ops) {
            for (const keepDims of [false, true]) {
              const what = `${op.name} ${layout} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keepDims ${keepDims}`;
              const expected = ref.groups.map((g) => op.ref(g));
              check(op.fn(x, axes, keepDims), keepDims ? ref.keepShape : ref.shape, expected, op.exact ? 0 : tol, dtype, what);
              cases++;
            }
          }
          for (const correction of [0, 1]) {
            const skip = ref.groups.some((g) => g.length <= correction);
            if (skip) continue;
            const v = ref.groups.map((g) => refVar(g, correction));
            check(variance(x, axes, { correction }), ref.shape, v, tol * 10, dtype, `variance ${JSON.stringify(axes)}`);
            check(
              std(x, axes, { correction, keepDims: true }),
              ref.keepShape,
              v.map(Math.sqrt),
              tol * 10,
              dtype,
              `std ${JSON.stringify(axes)}`,
            );
            cases += 2;
          }
        }
      }
      expect(cases).toBeGreaterThan(300);
    });
  }

  it('int32: sum/max/min/prod stay int32, mean/variance give float32', () => {
    const x = tensor(
      [
        [1, -2, 3],
        [4, 5, -6],
      ],
      undefined,
      { dtype: 'int32' },
    );
    check(sum(x, 1), [2], [2, 3], 0, 'int32', 'sum');
    check(max(x.T, 1), [3], [4, 5, 3], 0, 'int32', 'max');
    check(min(x, 0, true), [1, 3], [1, -2, -6], 0, 'int32', 'min');
    check(prod(x), [], [720], 0, 'int32', 'prod');
    check(mean(x, 0), [3], [2.5, 1.5, -1.5], 0, 'float32', 'mean');
    check(variance(x, 0), [3], [2.25, 12.25, 20.25], 0, 'float32', 'variance');
  });

  it('a large contiguous column sum, row sum and full sum match the definition', () => {
    const x = make([257, 129], 'contiguous', 'float64');
    const cols = groupBy(x, [0]).groups.map(refSum);
    const rows = groupBy(x, [1]).groups.map(refSum);
    check(sum(x, 0), [129], cols, 1e-12, 'float64', 'column sums');
    check(sum(x, -1), [257], rows, 1e-12, 'float64', 'row sums');
    check(sum(x), [], [refSum(flat(x))], 1e-12, 'float64', 'full sum');
    check(
      max(x, 0),
      [129],
      groupBy(x, [0]).groups.map((g) => Math.max(...g)),
      0,
      'float64',
      'column max',
    );
    const m = mean(x, 0);
    check(
      variance(x, 0),
      [129],
      groupBy(x, [0]).groups.map((g) => refVar(g)),
      1e-12,
      'float64',
      'column variance',
    );
    check(logsumexp(x, 0), [129], groupBy(x, [0]).groups.map(refLse), 1e-12, 'float64', 'column logsumexp');
    expect(m.shape).toEqual([129]);
  });

  it('middle-axis reduction of a contiguous 3-D tensor uses the column sweep correctly', () => {
    const x = make([3, 17, 9], 'contiguous', 'float32');
    for (const axes of [[1], [0, 1], [1, 2]]) {
      check(sum(x, axes), groupBy(x, axes).shape, groupBy(x, axes).groups.map(refSum), 2e-6, 'float32', `sum ${axes}`);
      check(
        min(x, axes),
        groupBy(x, axes).shape,
        groupBy(x, axes).groups.map((g) => Math.min(...g)),
        0,
        'float32',
        `min ${axes}`,
      );
    }
  });
});

describe('reduction edge cases', () => {
  it('sum and prod over an empty selection give 0 and 1', () => {
    const x = make([3, 0], 'contiguous');
    check(sum(x, 1), [3], [0, 0, 0], 0, 'float64', 'sum');
    check(prod(x, 1, true), [3, 1], [1, 1, 1], 0, 'float64', 'prod');
    check(sum(x), [], [0], 0, 'float64', 'full');
    check(sum(x, 0), [0], [], 0, 'float64', 'empty output');
    check(max(x, 0), [0], [], 0, 'float64', 'max with empty output');
    check(logsumexp(x, 1), [3], [-Infinity, -Infinity, -Infinity], 0, 'float64', 'lse');
  });

  it('mean / max / min / variance / argmax of an empty selection throw a ValueError naming the function and shape', () => {
    const x = make([3, 0], 'contiguous');
    for (const [name, f] of [
      ['mean', () => mean(x, 1)],
      ['max', () => max(x)],
      ['min', () => min(x, -1)],
      ['variance', () => variance(x, 1)],
      ['std', () => std(x)],
      ['argmax', () => argmax(x, 1)],
    ] as const) {
      expect(f, name).toThrow(ValueError);
      expect(f, name).toThrow(new RegExp(`^${name}: .*\\[3, 0\\]`));
    }
  });

  it('max and min propagate NaN; argmax returns the first NaN', () => {
    const x = tensor(
      [
        [1, NaN, 3],
        [4, 5, 6],
      ],
      undefined,
      { dtype: 'float64' },
    );
    check(max(x, 1), [2], [NaN, 6], 0, 'float64', 'max');
    check(min(x, 1), [2], [NaN, 4], 0, 'float64', 'min');
    check(max(x, 0), [3], [4, NaN, 6], 0, 'float64', 'column max');
    check(min(x), [], [NaN], 0, 'float64', 'full min');
    check(argmax(x, 1), [2], [1, 2], 0, 'int32', 'argmax');
  });

  it('logsumexp is stable for large values and handles ±∞', () => {
    const x = tensor(
      [
        [1000, 1000],
        [-1000, -1000],
        [-Infinity, -Infinity],
        [Infinity, 0],
      ],
      undefined,
      { dtype: 'float64' },
    );
    check(logsumexp(x, 1), [4], [1000 + Math.LN2, -1000 + Math.LN2, -Infinity, Infinity], 1e-14, 'float64', 'lse');
  });

  it('variance with correction ≥ n gives non-finite values, not an error; invalid correction throws', () => {
    const x = tensor([[1, 2]], undefined, { dtype: 'float64' });
    expect(variance(x, 1, { correction: 2 }).item()).toBe(Infinity);
    expect(() => variance(x, 1, { correction: -1 })).toThrow(/variance: correction -1/);
  });

  it('variance is accurate for data with a large offset (two-pass)', () => {
    const x = tensor([1e9 + 1, 1e9 + 2, 1e9 + 3], undefined, { dtype: 'float64' });
    expect(variance(x).item()).toBeCloseTo(2 / 3, 9);
  });

  it('axis errors name the function and the axis', () => {
    const x = make([2, 3], 'contiguous');
    expect(() => sum(x, 2)).toThrow(IndexError);
    expect(() => sum(x, 2)).toThrow(/^sum: axis 2 is out of range/);
    expect(() => mean(x, [0, -2])).toThrow(/mean: axis 0 appears twice/);
    expect(() => argmin(x, -3)).toThrow(/^argmin: axis -3/);
    expect(() => softmax(x, 5)).toThrow(/^softmax: axis 5/);
  });

  it('0-d input reduces to itself', () => {
    const x = tensor(4.5, undefined, { dtype: 'float64' });
    expect(sum(x).item()).toBe(4.5);
    expect(max(x, null, true).shape).toEqual([]);
    expect(argmax(x).item()).toBe(0);
    expect(variance(x).item()).toBe(0);
  });
});

describe('argmax / argmin', () => {
  const refArg = (g: number[], isMax: boolean): number => {
    let best = 0;
    for (let i = 1; i < g.length; i++) if (isMax ? g[i]! > g[best]! : g[i]! < g[best]!) best = i;
    return best;
  };

  it('matches the naive first-extreme index on every layout and axis', () => {
    let cases = 0;
    for (let trial = 0; trial < 40; trial++) {
      const shape = randomShape(4, 5);
      const layout = LAYOUTS[trial % LAYOUTS.length]!;
      const dtype: DType = trial % 2 ? 'float32' : 'float64';
      const x = make(shape, layout, dtype);
      const choices: (number | undefined)[] = [undefined, ...shape.map((_, i) => (gen.random() < 0.5 ? i : i - shape.length))];
      for (const axis of choices) {
        const ref = groupBy(x, axis === undefined ? null : [axis]);
        for (const keepDims of [false, true]) {
          const what = `${layout} ${JSON.stringify(shape)} axis ${axis} keepDims ${keepDims}`;
          check(
            argmax(x, axis, keepDims),
            keepDims ? ref.keepShape : ref.shape,
            ref.groups.map((g) => refArg(g, true)),
            0,
            'int32',
            `argmax ${what}`,
          );
          check(
            argmin(x, axis, keepDims),
            keepDims ? ref.keepShape : ref.shape,
            ref.groups.map((g) => refArg(g, false)),
            0,
            'int32',
            `argmin ${what}`,
          );
          cases += 2;
        }
      }
    }
    expect(cases).toBeGreaterThan(300);
  });

  it('ties give the first index; flattened index is row-major even for a transposed input', () => {
    const x = tensor(
      [
        [3, 1, 3],
        [0, 3, 0],
      ],
      undefined,
      { dtype: 'float64' },
    );
    expect(argmax(x, 1).toArray()).toEqual([0, 1]);
    expect(argmin(x, 0).toArray()).toEqual([1, 0, 1]);
    // x.T = [[3, 0], [1, 3], [3, 0]]: flattened min 0 first at flat index 1.
    expect(argmin(x.T).item()).toBe(1);
    expect(argmax(x.T, undefined, true).shape).toEqual([1, 1]);
  });
});

describe('softmax / logSoftmax', () => {
  it('match exp(x)/Σexp(x) and x − log Σ exp x on every layout and axis', () => {
    let cases = 0;
    for (let trial = 0; trial < 40; trial++) {
      const shape = randomShape(4, 5);
      if (shape.length === 0) shape.push(4);
      const layout = LAYOUTS[trial % LAYOUTS.length]!;
      const dtype: DType = trial % 2 ? 'float32' : 'float64';
      const tol = dtype === 'float64' ? 1e-13 : 2e-6;
      const x = make(shape, layout, dtype);
      const values = flat(x);
      for (let axis = -shape.length; axis < shape.length; axis++) {
        const a = axis < 0 ? axis + shape.length : axis;
        const expectedS: number[] = [];
        const expectedL: number[] = [];
        const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
        forEachIndex(shape, (idx, i) => {
          let z = 0;
          for (let j = 0; j < shape[a]!; j++) z += Math.exp(values[i + (j - idx[a]!) * strides[a]!]!);
          expectedS.push(Math.exp(values[i]!) / z);
          expectedL.push(values[i]! - Math.log(z));
        });
        check(softmax(x, axis), shape, expectedS, tol, dtype, `softmax ${layout} ${JSON.stringify(shape)} axis ${axis}`);
        check(logSoftmax(x, axis), shape, expectedL, tol, dtype, `logSoftmax ${layout} ${JSON.stringify(shape)} axis ${axis}`);
        cases += 2;
      }
    }
    expect(cases).toBeGreaterThan(150);
  });

  it('default axis is the last; large logits do not overflow', () => {
    const x = tensor(
      [
        [1000, 1001, 1002],
        [-1000, -1000, -1000],
      ],
      undefined,
      { dtype: 'float64' },
    );
    const s = softmax(x);
    const e = [1, Math.E, Math.E ** 2];
    const z = e[0]! + e[1]! + e[2]!;
    check(s, [2, 3], [...e.map((v) => v / z), 1 / 3, 1 / 3, 1 / 3], 1e-14, 'float64', 'softmax');
    check(
      logSoftmax(x),
      [2, 3],
      [...e.map((v) => Math.log(v / z)), -Math.log(3), -Math.log(3), -Math.log(3)],
      1e-13,
      'float64',
      'logSoftmax',
    );
    expect(() => softmax(tensor(1))).toThrow(ShapeError);
  });

  it('int32 input gives float32', () => {
    expect(softmax(tensor([1, 2], undefined, { dtype: 'int32' })).dtype).toBe('float32');
  });
});

describe('sumTo', () => {
  it('reduces broadcast results back to every broadcastable source shape', () => {
    let cases = 0;
    for (let trial = 0; trial < 60; trial++) {
      const shape = randomShape(4, 4);
      const layout = LAYOUTS[trial % LAYOUTS.length]!;
      const dtype: DType = trial % 2 ? 'float32' : 'float64';
      const x = make(shape, layout, dtype);
      // Random target: drop some leading dims, set some of the rest to 1.
      const lead = randInt(0, shape.length);
      const target = shape.slice(lead).map((d) => (gen.random() < 0.5 ? 1 : d));
      const axes = shape.map((_, i) => i).filter((i) => i < lead || (target[i - lead] === 1 && shape[i] !== 1));
      const expected = groupBy(x, axes).groups.map(refSum);
      check(
        sumTo(x, target),
        target,
        expected,
        dtype === 'float64' ? 1e-12 : 2e-6,
        dtype,
        `sumTo ${layout} ${JSON.stringify(shape)} → ${JSON.stringify(target)}`,
      );
      cases++;
    }
    expect(cases).toBe(60);
  });

  it('bias gradient: [batch, n] → [n] equals column sums; same shape gives a fresh copy', () => {
    const g = make([64, 10], 'contiguous', 'float32');
    check(sumTo(g, [10]), [10], groupBy(g, [0]).groups.map(refSum), 2e-6, 'float32', 'bias');
    const c = sumTo(g, [64, 10]);
    expect(c.data).not.toBe(g.data);
    expect(c.equals(g)).toBe(true);
  });

  it('throws a ShapeError naming both shapes when the target is not a broadcast source', () => {
    const x = make([4, 3], 'contiguous');
    expect(() => sumTo(x, [2])).toThrow(ShapeError);
    expect(() => sumTo(x, [2])).toThrow(/^sumTo: cannot reduce shape \[4, 3\] to \[2\]/);
    expect(() => sumTo(x, [1, 4, 3])).toThrow(/sumTo: cannot reduce shape \[4, 3\] to \[1, 4, 3\]/);
  });
});
