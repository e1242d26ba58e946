import { describe, expect, it } from 'vitest';
import {
  Generator,
  IndexError,
  ShapeError,
  Tensor,
  ValueError,
  concat,
  gather,
  indexAdd,
  oneHot,
  randint,
  randn,
  scatterAdd,
  split,
  stack,
  take,
  tensor,
  type DType,
} from '@tapegrad/tensor';
import { LAYOUTS, flat, indicesOf, makeView, randIntFrom, type Layout } from './helpers.js';

const gen = new Generator(77001123);

const randInt = randIntFrom(gen);

/** A tensor of logical `shape` laid out in memory as `layout` says (reversed axes, odd axes expanded), with seeded normal values. */
const make = (shape: number[], layout: Layout, dtype: DType = 'float64'): Tensor =>
  makeView((s) => randn(s, { generator: gen, dtype }), shape, layout);

const randomShape = (minNdim: number, maxNdim: number, maxDim = 4): number[] =>
  Array.from({ length: randInt(minNdim, maxNdim) }, () => randInt(1, maxDim));

function expectTensor(actual: Tensor, shape: readonly number[], values: number[], dtype: DType, what: string): void {
  expect(actual.shape, what).toEqual(shape);
  expect(actual.dtype, what).toBe(dtype);
  expect(actual.isContiguous, what).toBe(true);
  expect(flat(actual), what).toEqual(values);
}

describe('concat / stack / split', () => {
  it('concat matches element-by-element placement on every layout and axis', () => {
    let cases = 0;
    for (let trial = 0; trial < 120; trial++) {
      const base = randomShape(1, 4);
      const axis = randInt(0, base.length - 1);
      const count = randInt(1, 4);
      const dtype: DType = trial % 3 === 0 ? 'float32' : 'float64';
      const parts = Array.from({ length: count }, (_, k) => {
        const s = [...base];
        s[axis] = randInt(0, 3);
        return make(s, LAYOUTS[(trial + k) % LAYOUTS.length]!, dtype);
      });
      const total = parts.reduce((a, p) => a + p.shape[axis]!, 0);
      const shape = [...base];
      shape[axis] = total;
      const expected = indicesOf(shape).map((idx) => {
        let i = idx[axis]!;
        for (const p of parts) {
          if (i < p.shape[axis]!) {
            const j = [...idx];
            j[axis] = i;
            return p.get(...j);
          }
          i -= p.shape[axis]!;
        }
        throw new Error('unreachable');
      });
      const negative = gen.random() < 0.5;
      expectTensor(
        concat(parts, negative ? axis - base.length : axis),
        shape,
        expected,
        dtype,
        `concat ${JSON.stringify(base)} axis ${axis}`,
      );
      cases++;
    }
    expect(cases).toBe(120);
  });

  it('concat promotes dtypes and rejects mismatched shapes with a message naming both', () => {
    const a = tensor([[1, 2]], undefined, { dtype: 'int32' });
    const b = tensor([[0.5, 1.5]], undefined, { dtype: 'float64' });
    expectTensor(concat([a, b]), [2, 2], [1, 2, 0.5, 1.5], 'float64', 'promote');
    expect(() => concat([a, tensor([[1, 2, 3]])])).toThrow(ShapeError);
    expect(() => concat([a, tensor([[1, 2, 3]])])).toThrow(/^concat: tensor 1 has shape \[1, 3\] but tensor 0 has \[1, 2\]/);
    expect(() => concat([a, a], 2)).toThrow(IndexError);
    expect(() => concat([])).toThrow(ValueError);
  });

  it('stack inserts a new axis at every position (negative too)', () => {
    for (let trial = 0; trial < 30; trial++) {
      const shape = randomShape(0, 3);
      const parts = Array.from({ length: randInt(1, 3) }, (_, k) => make(shape, LAYOUTS[(trial + k) % LAYOUTS.length]!));
      const axis = randInt(0, shape.length);
      const outShape = [...shape.slice(0, axis), parts.length, ...shape.slice(axis)];
      const expected = indicesOf(outShape).map((idx) => {
        const j = [...idx];
        const [k] = j.splice(axis, 1);
        return parts[k!]!.get(...j);
      });
      expectTensor(
        stack(parts, trial % 2 ? axis - shape.length - 1 : axis),
        outShape,
        expected,
        'float64',
        `stack ${JSON.stringify(shape)} ${axis}`,
      );
    }
    expect(() => stack([tensor([1, 2]), tensor([1, 2, 3])])).toThrow(/^stack: tensor 1 has shape \[3\] but tensor 0 has \[2\]/);
  });

  it('split by sections and by sizes inverts concat', () => {
    for (let trial = 0; trial < 30; trial++) {
      const shape = randomShape(1, 3, 6);
      const axis = randInt(0, shape.length - 1);
      const x = make(shape, LAYOUTS[trial % LAYOUTS.length]!);
      const n = shape[axis]!;
      const sizes: number[] = [];
      for (let left = n; left > 0;) {
        const s = randInt(0, left);
        sizes.push(s);
        left -= s;
      }
      if (sizes.length === 0) sizes.push(0);
      const pieces = split(x, sizes, axis);
      expect(pieces.map((p) => p.shape[axis])).toEqual(sizes);
      expectTensor(concat(pieces, axis), shape, flat(x), 'float64', `split sizes ${sizes}`);
      const sections = split(x, 1, axis);
      expect(sections).toHaveLength(1);
      expect(sections[0]!.data).not.toBe(x.data);
    }
    const x = make([6, 2], 'contiguous');
    expect(split(x, 3).map((p) => p.shape)).toEqual([
      [2, 2],
      [2, 2],
      [2, 2],
    ]);
    expect(() => split(x, 4)).toThrow(/^split: cannot cut axis 0 of shape \[6, 2\] \(size 6\) into 4 equal sections/);
    expect(() => split(x, [2, 2], 0)).toThrow(/^split: sizes \[2, 2\] \(total 4\)/);
    expect(() => split(x, [1, 1], 2)).toThrow(IndexError);
  });
});

describe('take / indexAdd', () => {
  it('take matches numpy.take on every layout, axis and index shape (negative indices too)', () => {
    let cases = 0;
    for (let trial = 0; trial < 160; trial++) {
      const shape = randomShape(1, 3);
      const useFlat = trial % 7 === 0;
      const axis = useFlat ? null : randInt(0, shape.length - 1);
      const n = axis === null ? shape.reduce((a, b) => a * b, 1) : shape[axis]!;
      const ishape = randomShape(0, 2, 3);
      const isize = ishape.reduce((a, b) => a * b, 1);
      const raw = Array.from({ length: isize }, () => randInt(-n, n - 1));
      const asTensor = trial % 3;
      const indices =
        asTensor === 0
          ? tensor(raw, ishape, { dtype: 'int32' })
          : asTensor === 1
            ? tensor(raw, ishape, { dtype: 'float32' }).T
            : ishape.length === 1
              ? raw
              : tensor(raw, ishape, { dtype: 'int32' });
      const idxFlat = asTensor === 1 ? flat(tensor(raw, ishape).T) : raw;
      const ishapeUsed = asTensor === 1 ? [...ishape].reverse() : ishape;
      const dtype: DType = trial % 2 ? 'float32' : 'float64';
      const x = make(shape, LAYOUTS[trial % LAYOUTS.length]!, dtype);
      const xs = flat(x);
      let outShape: number[];
      let expected: number[];
      if (axis === null) {
        outShape = ishapeUsed;
        expected = idxFlat.map((i) => xs[i < 0 ? i + n : i]!);
      } else {
        outShape = [...shape.slice(0, axis), ...ishapeUsed, ...shape.slice(axis + 1)];
        const ni = ishapeUsed.length;
        const istr = ishapeUsed.map((_, k) => ishapeUsed.slice(k + 1).reduce((a, b) => a * b, 1));
        expected = indicesOf(outShape).map((o) => {
          let f = 0;
          for (let k = 0; k < ni; k++) f += o[axis + k]! * istr[k]!;
          const i = idxFlat[f]!;
          const src = [...o.slice(0, axis), i < 0 ? i + n : i, ...o.slice(axis + ni)];
          return x.get(...src);
        });
      }
      const what = `take ${JSON.stringify(shape)} axis ${axis} indices ${JSON.stringify(ishapeUsed)}`;
      const y = take(x, indices, axis);
      expectTensor(y, outShape, expected, dtype, what);

      // indexAdd is the adjoint: <take(x, i), g> = <x, indexAdd(i, g)>.
      const g = make(outShape, 'contiguous', 'float64');
      const back = indexAdd(shape, axis, indices, g);
      expect(back.shape).toEqual(shape);
      const lhs = flat(y).reduce((a, v, k) => a + v * flat(g)[k]!, 0);
      const rhs = xs.reduce((a, v, k) => a + v * flat(back)[k]!, 0);
      expect(Math.abs(lhs - rhs), what).toBeLessThan(1e-5 * (1 + Math.abs(lhs)));
      cases++;
    }
    expect(cases).toBe(160);
  });

  it('indexAdd accumulates repeated indices (reference loop)', () => {
    const src = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      undefined,
      { dtype: 'float64' },
    );
    // Axis 1 of a [2, 2] target, indices [1, 1, -2].
    expectTensor(indexAdd([2, 2], 1, [1, 1, -2], src), [2, 2], [3, 3, 6, 9], 'float64', 'indexAdd');
    // Embedding-style: rows.
    const rows = tensor(
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      undefined,
      { dtype: 'float32' },
    );
    expectTensor(
      indexAdd([3, 2], 0, tensor([2, 0, 2], undefined, { dtype: 'int32' }), rows),
      [3, 2],
      [2, 2, 0, 0, 4, 4],
      'float32',
      'rows',
    );
    expect(() => indexAdd([3, 2], 0, [0, 1], rows)).toThrow(/^indexAdd: src has shape \[3, 2\]; expected \[2, 2\]/);
  });

  it('indexAdd / scatterAdd sum in float64 and convert once to the src dtype (int32 stays int32, float32 rounds once)', () => {
    const ints = tensor(
      [
        [7, -3],
        [5, 2],
        [1, 1],
      ],
      undefined,
      { dtype: 'int32' },
    );
    expectTensor(indexAdd([2, 2], 0, [1, 1, 0], ints), [2, 2], [1, 1, 12, -1], 'int32', 'indexAdd int32');
    expectTensor(
      scatterAdd(
        [2, 2],
        [
          [1, 0],
          [1, 1],
          [0, 1],
        ],
        ints,
        0,
      ),
      [2, 2],
      [1, -3, 12, 3],
      'int32',
      'scatterAdd int32',
    );
    // 1 + 2⁻²⁴ + 2⁻²⁴: float64 accumulation keeps both small terms before the single rounding to float32.
    const small = tensor([1, 2 ** -24, 2 ** -24], undefined, { dtype: 'float32' });
    expectTensor(indexAdd([1], 0, [0, 0, 0], small), [1], [Math.fround(1 + 2 ** -23)], 'float32', 'indexAdd float32');
  });

  it('take errors: out-of-range and non-integral indices name the index and the axis size', () => {
    const x = make([3, 4], 'contiguous');
    expect(() => take(x, [4], 1)).toThrow(IndexError);
    expect(() => take(x, [4], 1)).toThrow(/^take: index 4 is out of bounds for axis 1 with size 4/);
    expect(() => take(x, [-4], 0)).toThrow(/^take: index -4 is out of bounds for axis 0 with size 3/);
    expect(() => take(x, tensor([0.5]), 0)).toThrow(ValueError);
    expect(() => take(x, [12])).toThrow(/take: index 12 is out of bounds for the flattened tensor of size 12/);
    expect(() => take(x, [0], 2)).toThrow(IndexError);
  });
});

describe('gather / scatterAdd', () => {
  it('gather follows torch.gather on every layout and axis; scatterAdd is its adjoint', () => {
    let cases = 0;
    for (let trial = 0; trial < 160; trial++) {
      const shape = randomShape(1, 4);
      const axis = randInt(0, shape.length - 1);
      const n = shape[axis]!;
      const ishape = shape.map((d, i) => (i === axis ? randInt(1, 5) : randInt(1, d)));
      const isize = ishape.reduce((a, b) => a * b, 1);
      const idxT = randint(0, n, ishape, { generator: gen, dtype: trial % 2 ? 'int32' : 'float32' });
      const indices = trial % 4 === 3 ? idxT.astype('int32').T.contiguous().T : idxT;
      expect(indices.size).toBe(isize);
      const dtype: DType = trial % 3 ? 'float64' : 'float32';
      const x = make(shape, LAYOUTS[trial % LAYOUTS.length]!, dtype);
      const expected = indicesOf(ishape).map((o) => {
        const src = [...o];
        src[axis] = indices.get(...o);
        return x.get(...src);
      });
      const negative = gen.random() < 0.5;
      const y = gather(x, indices, negative ? axis - shape.length : axis);
      expectTensor(y, ishape, expected, dtype, `gather ${JSON.stringify(shape)} axis ${axis}`);

      const g = make(ishape, LAYOUTS[(trial + 1) % LAYOUTS.length]!, 'float64');
      const back = scatterAdd(shape, indices, g, axis);
      const ref = new Array<number>(x.size).fill(0);
      const cs = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
      indicesOf(ishape).forEach((o, k) => {
        const dst = [...o];
        dst[axis] = indices.get(...o);
        ref[dst.reduce((a, v, d) => a + v * cs[d]!, 0)] += flat(g)[k]!;
      });
      const got = flat(back);
      expect(back.shape).toEqual(shape);
      for (let k = 0; k < ref.length; k++) expect(Math.abs(got[k]! - ref[k]!)).toBeLessThan(1e-12);
      cases++;
    }
    expect(cases).toBe(160);
  });

  it('gather errors name the function and shapes', () => {
    const x = make([3, 4], 'contiguous');
    expect(() => gather(x, [[0, 1]], 1)).not.toThrow();
    expect(() => gather(x, [0, 1], 1)).toThrow(/^gather: indices have shape \[2\] but x has shape \[3, 4\]/);
    expect(() => gather(x, [[0], [1], [2], [0]], 1)).toThrow(/^gather: indices of shape \[4, 1\] exceed x of shape \[3, 4\]/);
    expect(() => gather(x, [[4]], 1)).toThrow(/^gather: index 4 is out of bounds for axis 1 with size 4/);
    expect(() => scatterAdd([3, 4], [[0, 1]], make([1, 3], 'contiguous'), 1)).toThrow(
      /^scatterAdd: indices have shape \[1, 2\] but src has \[1, 3\]/,
    );
  });
});

describe('oneHot', () => {
  it('matches the definition for int32, integral float and number[] labels', () => {
    for (let trial = 0; trial < 20; trial++) {
      const shape = randomShape(0, 2, 5);
      const k = randInt(1, 6);
      const labels = randint(0, k, shape, { generator: gen, dtype: trial % 2 ? 'int32' : 'float32' });
      const values = flat(labels);
      const dtype: DType = trial % 3 === 0 ? 'float64' : 'float32';
      const input = trial % 4 === 0 && shape.length === 1 ? values : labels;
      const expected = values.flatMap((v) => Array.from({ length: k }, (_, c) => (c === v ? 1 : 0)));
      expectTensor(
        oneHot(input, k, trial % 3 === 0 ? { dtype } : {}),
        [...shape, k],
        expected,
        dtype,
        `oneHot ${JSON.stringify(shape)} ${k}`,
      );
    }
  });

  it('an out-of-range label throws an IndexError naming the label and numClasses', () => {
    expect(() => oneHot([0, 10, 2], 10)).toThrow(IndexError);
    expect(() => oneHot([0, 10, 2], 10)).toThrow(/^oneHot: label 10 at position 1 is out of range for numClasses 10/);
    expect(() => oneHot(tensor([-1], undefined, { dtype: 'int32' }), 3)).toThrow(/label -1 .* numClasses 3/);
    expect(() => oneHot([1.5], 3)).toThrow(ValueError);
    expect(() => oneHot([1], 0)).toThrow(/^oneHot: numClasses 0 must be a positive integer/);
  });
});
