import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  Generator,
  ShapeError,
  Tensor,
  ValueError,
  abs,
  add,
  ceil,
  clip,
  cos,
  div,
  elu,
  eq,
  erf,
  exp,
  expm1,
  floor,
  ge,
  gelu,
  gt,
  le,
  leakyRelu,
  log,
  log1p,
  lt,
  mapUnary,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  randint,
  reciprocal,
  relu,
  reluGrad,
  round,
  rsqrt,
  sigmoid,
  sign,
  sin,
  softplus,
  sqrt,
  square,
  sub,
  tanh,
  tensor,
  uniform,
  where,
  randn,
  zeros,
  type BinaryOptions,
  type DType,
} from '@tapegrad/tensor';
import { availableBackends, getBackend, setBackend } from '@tapegrad/tensor/backend';
import { flat64, forEachIndex } from './helpers.js';

const gen = new Generator(90210);

// ---- helpers (independent of the kernels under test) ----------------------------------------------

/** Reads element `idx` of `t` as NumPy broadcasting to a larger index would (size-1 and missing dims → 0). */
function getBroadcast(t: Tensor, idx: readonly number[]): number {
  const lead = idx.length - t.ndim;
  return t.get(...t.shape.map((d, i) => (d === 1 ? 0 : idx[lead + i]!)));
}

/** Element-wise closeness with a readable failure: |x − y| ≤ atol + rtol·|y|, NaN matches NaN. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const x = actual[i]!;
    const y = expected[i]!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      throw new Error(`${what}: element ${i}: got ${x}, expected ${y}`);
    }
  }
}

const LAYOUTS = ['contiguous', 'transposed', 'stepped', 'reversed', 'offset', 'expanded'] as const;
type Layout = (typeof LAYOUTS)[number];

/** Values in [lo, hi); integer-valued when `ints` (so that comparisons hit equality). */
function draw(shape: number[], lo: number, hi: number, dtype: DType, ints: boolean): Tensor {
  return ints ? randint(Math.ceil(lo), Math.ceil(hi), shape, { generator: gen, dtype }) : uniform(shape, lo, hi, { generator: gen, dtype });
}

/** A tensor of logical shape `shape` whose memory layout is `layout`. */
function make(shape: number[], layout: Layout, lo: number, hi: number, dtype: DType = 'float32', ints = false): Tensor {
  switch (layout) {
    case 'contiguous':
      return draw(shape, lo, hi, dtype, ints);
    case 'transposed':
      return draw([...shape].reverse(), lo, hi, dtype, ints).transpose();
    case 'stepped':
      return draw(
        shape.map((d) => 2 * d),
        lo,
        hi,
        dtype,
        ints,
      ).slice(...shape.map((): [null, null, number] => [null, null, 2]));
    case 'reversed':
      return draw(
        shape.map((d) => 2 * d + 1),
        lo,
        hi,
        dtype,
        ints,
      )
        .slice(...shape.map((_, i): [number | null, null, number] => (i % 2 === 0 ? [null, null, -2] : [-2, null, -1])))
        .slice(...shape.map((d): [number, number] => [0, d]));
    case 'offset':
      return draw(
        shape.map((d) => d + 2),
        lo,
        hi,
        dtype,
        ints,
      ).slice(...shape.map((d): [number, number] => [1, d + 1]));
    case 'expanded': {
      const small = shape.map((d) => (gen.random() < 0.5 ? 1 : d));
      return draw(small, lo, hi, dtype, ints).expand(shape);
    }
  }
}

const randomShape = (maxNdim = 4, maxDim = 5): number[] => Array.from({ length: gen.int(0, maxNdim + 1) }, () => gen.int(1, maxDim + 1));

/** A shape that broadcasts to `shape`: some leading dims dropped, some dims set to 1. */
const broadcastable = (shape: number[]): number[] =>
  shape.slice(gen.int(0, shape.length + 1) === 0 ? 0 : gen.int(0, shape.length + 1)).map((d) => (gen.random() < 0.3 ? 1 : d));

const pick = <T>(xs: readonly T[]): T => xs[gen.int(0, xs.length)]!;

// ---- layouts themselves --------------------------------------------------------------------------

describe('test layouts', () => {
  it('produce the requested shapes and are genuinely strided', () => {
    for (const layout of LAYOUTS) expect(make([3, 4], layout, -1, 1).shape).toEqual([3, 4]);
    for (const layout of ['transposed', 'stepped', 'reversed'] as const) expect(make([3, 4], layout, -1, 1).isContiguous).toBe(false);
    expect(make([3, 4], 'reversed', -1, 1).strides.some((s) => s < 0)).toBe(true);
    expect(make([3, 4], 'offset', -1, 1).offset).toBeGreaterThan(0);
    expect(make([2, 3], 'contiguous', -1, 1).expand([4, 2, 3]).strides[0]).toBe(0);
  });
});

// ---- unary ---------------------------------------------------------------------------------------

/** Reference erf: 2/√π ∫₀ˣ e^(−t²) dt by composite Simpson's rule with 4000 panels (error ≲ 1e-14 for |x| ≤ 6). */
function erfRef(x: number): number {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? x : Math.sign(x);
  const n = 4000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * Math.exp(-(i * h) * (i * h));
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
}

interface UnaryRow {
  name: string;
  fn: (x: Tensor) => Tensor;
  ref: (x: number) => number;
  lo: number;
  hi: number;
}

const UNARY: UnaryRow[] = [
  { name: 'neg', fn: neg, ref: (x) => -x, lo: -3, hi: 3 },
  { name: 'abs', fn: abs, ref: Math.abs, lo: -3, hi: 3 },
  { name: 'sign', fn: sign, ref: Math.sign, lo: -3, hi: 3 },
  { name: 'exp', fn: exp, ref: Math.exp, lo: -5, hi: 5 },
  { name: 'expm1', fn: expm1, ref: (x) => (Math.abs(x) < 1e-5 ? x + (x * x) / 2 : Math.exp(x) - 1), lo: -2, hi: 2 },
  { name: 'log', fn: log, ref: Math.log, lo: 0.01, hi: 10 },
  { name: 'log1p', fn: log1p, ref: (x) => Math.log(1 + x), lo: 0.1, hi: 5 },
  { name: 'sqrt', fn: sqrt, ref: Math.sqrt, lo: 0, hi: 9 },
  { name: 'rsqrt', fn: rsqrt, ref: (x) => Math.pow(x, -0.5), lo: 0.1, hi: 9 },
  { name: 'square', fn: square, ref: (x) => x * x, lo: -3, hi: 3 },
  { name: 'reciprocal', fn: reciprocal, ref: (x) => 1 / x, lo: 0.2, hi: 4 },
  { name: 'sin', fn: sin, ref: Math.sin, lo: -4, hi: 4 },
  { name: 'cos', fn: cos, ref: Math.cos, lo: -4, hi: 4 },
  { name: 'tanh', fn: tanh, ref: (x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1), lo: -4, hi: 4 },
  { name: 'sigmoid', fn: sigmoid, ref: (x) => 1 / (1 + Math.exp(-x)), lo: -8, hi: 8 },
  { name: 'relu', fn: relu, ref: (x) => (x > 0 ? x : 0), lo: -3, hi: 3 },
  { name: 'reluGrad', fn: reluGrad, ref: (x) => (x > 0 ? 1 : 0), lo: -3, hi: 3 },
  { name: 'floor', fn: floor, ref: Math.floor, lo: -5, hi: 5 },
  { name: 'ceil', fn: ceil, ref: Math.ceil, lo: -5, hi: 5 },
  { name: 'round', fn: round, ref: Math.round, lo: -5, hi: 5 }, // no exact halves in uniform draws
  { name: 'erf', fn: erf, ref: erfRef, lo: -4, hi: 4 },
  { name: 'softplus', fn: softplus, ref: (x) => Math.log(1 + Math.exp(x)), lo: -10, hi: 10 },
  { name: 'gelu', fn: gelu, ref: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)), lo: -4, hi: 4 },
  { name: 'leakyRelu', fn: (x) => leakyRelu(x), ref: (x) => (x > 0 ? x : 0.01 * x), lo: -3, hi: 3 },
  { name: 'leakyRelu(0.2)', fn: (x) => leakyRelu(x, 0.2), ref: (x) => (x > 0 ? x : 0.2 * x), lo: -3, hi: 3 },
  { name: 'elu', fn: (x) => elu(x), ref: (x) => (x > 0 ? x : Math.exp(x) - 1), lo: -3, hi: 3 },
  { name: 'elu(0.5)', fn: (x) => elu(x, 0.5), ref: (x) => (x > 0 ? x : 0.5 * (Math.exp(x) - 1)), lo: -3, hi: 3 },
  { name: 'clip', fn: (x) => clip(x, -0.5, 1.25), ref: (x) => Math.min(Math.max(x, -0.5), 1.25), lo: -3, hi: 3 },
];

describe('unary kernels match a float64 reference on every layout', () => {
  for (const row of UNARY) {
    it(row.name, () => {
      for (let c = 0; c < 14; c++) {
        const shape = randomShape();
        const layout = LAYOUTS[c % LAYOUTS.length]!;
        const dtype: DType = c % 7 === 6 ? 'float64' : 'float32';
        const x = make(shape, layout, row.lo, row.hi, dtype);
        const before = flat64(x);
        const y = row.fn(x);
        expect(y.shape).toEqual(shape);
        expect(y.dtype).toBe(dtype);
        expect(y.isContiguous && y.offset === 0).toBe(true);
        expect(y.data).not.toBe(x.data);
        const tol = dtype === 'float64' ? 1e-12 : 2e-7;
        expectClose(y.values(), Array.from(before, row.ref), tol, tol, `${row.name} ${layout} ${dtype} [${shape}]`);
        expect(flat64(x)).toEqual(before); // inputs untouched
      }
    });
  }

  it('mapUnary applies any function on strided input', () => {
    const x = make([3, 5], 'transposed', -2, 2);
    const y = mapUnary(x, 'cube', (v) => v * v * v);
    expectClose(
      y.values(),
      Array.from(flat64(x), (v) => v * v * v),
      1e-6,
      1e-7,
      'mapUnary',
    );
    expect(mapUnary(x, 'toInt', Math.trunc, 'int32').dtype).toBe('int32');
  });
});

describe('unary special values', () => {
  it('sigmoid is finite and saturates for large |x|', () => {
    const y = sigmoid(tensor([-100, 100, -1000, 1000, 0], undefined, { dtype: 'float64' }));
    expect(y.get(0) / Math.exp(-100)).toBeCloseTo(1, 12);
    expect([y.get(1), y.get(2), y.get(3), y.get(4)]).toEqual([1, 0, 1, 0.5]);
    const y32 = sigmoid(tensor([-100, 100]));
    expect(y32.get(0)).toBeGreaterThanOrEqual(0);
    expect(y32.get(0)).toBeLessThan(1e-40);
    expect(y32.get(1)).toBe(1);
  });

  it('softplus neither overflows nor loses the small tail', () => {
    const y = softplus(tensor([-100, 100, 1000, -1000, 0], undefined, { dtype: 'float64' }));
    expect(y.get(0)).toBeCloseTo(Math.exp(-100), 50);
    expect(y.get(0) / Math.exp(-100)).toBeCloseTo(1, 12);
    expect(y.get(1)).toBe(100);
    expect(y.get(2)).toBe(1000);
    expect(y.get(3)).toBe(0);
    expect(y.get(4)).toBeCloseTo(Math.LN2, 15);
  });

  it('erf matches tabulated values to 1e-15 and is odd', () => {
    const xs = [0, 0.1, 0.5, 1, 2, 2.5, 3, 5, 10];
    const known = [
      0, 0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.999593047982555, 0.9999779095030014,
      0.9999999999984626, 1,
    ];
    const y = erf(tensor([...xs, ...xs.map((v) => -v)], undefined, { dtype: 'float64' }));
    expectClose(y.values(), [...known, ...known.map((v) => -v)], 0, 2e-15, 'erf table');
    expect(Array.from(erf(tensor([Infinity, -Infinity, NaN], undefined, { dtype: 'float64' })).values())).toEqual([1, -1, NaN]);
  });

  it('erf is accurate to 1e-13 on a dense grid (no low-order approximation)', () => {
    const xs = Array.from({ length: 601 }, (_, i) => -3 + i * 0.01);
    const y = erf(tensor(xs, undefined, { dtype: 'float64' }));
    expectClose(y.values(), xs.map(erfRef), 0, 1e-13, 'erf grid');
  });

  it('log, sqrt, relu, round: edge cases', () => {
    const f64 = { dtype: 'float64' as const };
    expect(log(tensor([0], undefined, f64)).item()).toBe(-Infinity);
    expect(Number.isNaN(sqrt(tensor([-1], undefined, f64)).item())).toBe(true);
    expect(Number.isNaN(relu(tensor([NaN], undefined, f64)).item())).toBe(true);
    expect(Array.from(round(tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6], undefined, f64)).values())).toEqual([
      0, 2, 2, -0, -2, -2, 2, 3, -3,
    ]);
    expect(Array.from(sign(tensor([-2, 0, 3])).values())).toEqual([-1, 0, 1]);
    expect(Array.from(reluGrad(tensor([-1, 0, 2])).values())).toEqual([0, 0, 1]);
  });

  it('clip validates its bounds and keeps NaN', () => {
    expect(() => clip(tensor([1]), 2, 1)).toThrow(ValueError);
    expect(() => clip(tensor([1]), 2, 1)).toThrow(/clip: expected min ≤ max, got min=2, max=1/);
    expect(Array.from(clip(tensor([-5, 0.5, NaN, 5]), 0, 1).values())).toEqual([0, 0.5, NaN, 1]);
    expect(Array.from(clip(tensor([-5, 5]), 0).values())).toEqual([0, 5]);
  });
});

// ---- binary --------------------------------------------------------------------------------------

interface BinaryRow {
  name: string;
  fn: (a: Tensor | number, b: Tensor | number, options?: BinaryOptions) => Tensor;
  ref: (a: number, b: number) => number;
  a: [number, number];
  b: [number, number];
  ints?: boolean;
}

const BINARY: BinaryRow[] = [
  { name: 'add', fn: add, ref: (a, b) => a + b, a: [-3, 3], b: [-3, 3] },
  { name: 'sub', fn: sub, ref: (a, b) => a - b, a: [-3, 3], b: [-3, 3] },
  { name: 'mul', fn: mul, ref: (a, b) => a * b, a: [-3, 3], b: [-3, 3] },
  { name: 'div', fn: div, ref: (a, b) => a / b, a: [-3, 3], b: [0.25, 3] },
  { name: 'pow', fn: pow, ref: (a, b) => Math.exp(b * Math.log(a)), a: [0.25, 3], b: [-2, 2] },
  { name: 'maximum', fn: maximum, ref: (a, b) => (a > b ? a : b), a: [-3, 3], b: [-3, 3], ints: true },
  { name: 'minimum', fn: minimum, ref: (a, b) => (a < b ? a : b), a: [-3, 3], b: [-3, 3], ints: true },
  { name: 'eq', fn: eq, ref: (a, b) => (a === b ? 1 : 0), a: [-2, 2], b: [-2, 2], ints: true },
  { name: 'ne', fn: ne, ref: (a, b) => (a !== b ? 1 : 0), a: [-2, 2], b: [-2, 2], ints: true },
  { name: 'lt', fn: lt, ref: (a, b) => (a < b ? 1 : 0), a: [-2, 2], b: [-2, 2], ints: true },
  { name: 'le', fn: le, ref: (a, b) => (a <= b ? 1 : 0), a: [-2, 2], b: [-2, 2], ints: true },
  { name: 'gt', fn: gt, ref: (a, b) => (a > b ? 1 : 0), a: [-2, 2], b: [-2, 2], ints: true },
  { name: 'ge', fn: ge, ref: (a, b) => (a >= b ? 1 : 0), a: [-2, 2], b: [-2, 2], ints: true },
];

/** The reference result of a broadcasting binary op, computed one output index at a time. */
function binaryRef(row: BinaryRow, a: Tensor | number, b: Tensor | number, shape: number[]): Float64Array {
  const out = new Float64Array(shape.reduce((x, y) => x * y, 1));
  forEachIndex(shape, (idx, i) => {
    const x = typeof a === 'number' ? a : getBroadcast(a, idx);
    const y = typeof b === 'number' ? b : getBroadcast(b, idx);
    out[i] = row.ref(x, y);
  });
  return out;
}

describe('binary kernels broadcast like NumPy on every layout (property-style)', () => {
  for (const row of BINARY) {
    it(row.name, () => {
      for (let c = 0; c < 36; c++) {
        const shape = randomShape();
        const dtype: DType = c % 9 === 8 ? 'float64' : 'float32';
        const sa = c % 3 === 0 ? shape : broadcastable(shape);
        const sb = c % 3 === 1 ? shape : broadcastable(shape);
        const a = make(sa, pick(LAYOUTS), row.a[0], row.a[1], dtype, row.ints);
        const b = make(sb, pick(LAYOUTS), row.b[0], row.b[1], dtype, row.ints);
        const nd = Math.max(sa.length, sb.length);
        const expectedShape = Array.from({ length: nd }, (_, i) => Math.max(sa[sa.length - nd + i] ?? 1, sb[sb.length - nd + i] ?? 1));
        const y = row.fn(a, b);
        const what = `${row.name} ${dtype} a[${sa}] strides[${a.strides}] b[${sb}] strides[${b.strides}]`;
        expect(y.shape, what).toEqual(expectedShape);
        expect(y.dtype).toBe(dtype);
        const tol = dtype === 'float64' ? 1e-12 : 2e-7;
        expectClose(y.values(), binaryRef(row, a, b, [...y.shape]), tol, tol, what);
      }
    });
  }

  it('number operands on either side, including the contiguous bias case [n, m] + [m]', () => {
    for (const row of BINARY) {
      const x = make([4, 6], pick(LAYOUTS), row.a[0], row.a[1], 'float32', row.ints);
      const s = row.ints ? 1 : 0.75;
      expectClose(row.fn(x, s).values(), binaryRef(row, x, s, [4, 6]), 2e-7, 2e-7, `${row.name}(x, ${s})`);
      expectClose(row.fn(s, x.T).values(), binaryRef(row, s, x.T, [6, 4]), 2e-7, 2e-7, `${row.name}(${s}, x.T)`);
      const bias = make([6], 'contiguous', row.b[0], row.b[1], 'float32', row.ints);
      const xc = make([5, 6], 'contiguous', row.a[0], row.a[1], 'float32', row.ints);
      expectClose(row.fn(xc, bias).values(), binaryRef(row, xc, bias, [5, 6]), 2e-7, 2e-7, `${row.name} bias`);
      expectClose(row.fn(bias.unsqueeze(1).T, xc).values(), binaryRef(row, bias.unsqueeze(1).T, xc, [5, 6]), 2e-7, 2e-7, `${row.name} row`);
    }
  });

  it('0-d, size-0 and size-1 dimensions', () => {
    expect(add(tensor(2), tensor(3)).shape).toEqual([]);
    expect(add(tensor(2), tensor(3)).item()).toBe(5);
    expect(add(2, 3).item()).toBe(5);
    expect(add(2, 3).dtype).toBe('float32');
    expect(mul(tensor([[1], [2]]), tensor(3)).toArray()).toEqual([[3], [6]]);
    const empty = add(new Tensor(new Float32Array(0), [0, 3]), tensor([1, 2, 3]));
    expect(empty.shape).toEqual([0, 3]);
    expect(empty.size).toBe(0);
    expect(sub(tensor([[1, 2, 3]]), tensor([[1], [2]])).toArray()).toEqual([
      [0, 1, 2],
      [-1, 0, 1],
    ]);
  });

  it('pow and maximum/minimum follow Math on special values', () => {
    const f64 = { dtype: 'float64' as const };
    expect(Array.from(pow(tensor([0, -8, 2, NaN], undefined, f64), tensor([0, 1 / 3, -1, 0], undefined, f64)).values())).toEqual([
      1,
      NaN,
      0.5,
      1,
    ]);
    expect(Number.isNaN(maximum(tensor([NaN]), 1).item())).toBe(true);
    expect(Number.isNaN(minimum(1, tensor([NaN])).item())).toBe(true);
    expect(ne(tensor([NaN]), tensor([NaN])).item()).toBe(1);
    expect(eq(tensor([NaN]), tensor([NaN])).item()).toBe(0);
  });
});

describe('binary ops on long broadcast rows (the backend kernel row by row)', () => {
  it('give the reference results, bit-identical on every backend: [n, m] ⊕ [m], [n, 1], row slices, both orders', () => {
    const bias = make([700], 'contiguous', -3, 3, 'float32');
    const y = make([3, 700], 'contiguous', -3, 3, 'float32');
    const want = add(y, bias).values().slice();
    expect(add(bias, y, { out: y }).values()).toEqual(want); // in place, the block being out
    const x = make([3, 700], 'contiguous', -3, 3, 'float32');
    const cases: [string, Tensor | number, Tensor | number][] = [
      ['[3, 600] + [600]', x.slice([0, 3], [50, 650]), make([600], 'contiguous', -3, 3, 'float32')],
      ['[600] - [3, 600]', make([600], 'contiguous', -3, 3, 'float32'), x.slice([0, 3], [100, 700])],
      ['[3, 700] * [3, 1]', x, make([3, 1], 'contiguous', -3, 3, 'float32')],
      ['[2, 3, 700] / [700]', x.unsqueeze(0).expand([2, 3, 700]).contiguous(), make([700], 'contiguous', 0.5, 3, 'float32')],
      // a bias: a contiguous block and one row (add takes the backend's bias kernel), in both orders
      ['[3, 700] ⊕ [700]', x, make([700], 'contiguous', -3, 3, 'float32')],
      ['[1, 700] ⊕ [3, 700]', make([1, 700], 'contiguous', -3, 3, 'float32'), x],
    ];
    const before = getBackend();
    for (const [what, a, b] of cases) {
      for (const row of BINARY.filter((r) => ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'].includes(r.name))) {
        const got = availableBackends().map((be) => {
          setBackend(be);
          return row.fn(a, b).values().slice();
        });
        setBackend(before);
        const y = row.fn(a, b);
        expectClose(y.values(), binaryRef(row, a, b, [...y.shape]), 2e-7, 2e-7, `${row.name} ${what}`);
        for (const g of got.slice(1)) expect(g, `${row.name} ${what}`).toEqual(got[0]);
      }
    }
  });
});

describe('binary ops with options.out', () => {
  it('write the same values as a fresh result into out (every op, layout and dtype) and return out', () => {
    for (const row of BINARY) {
      for (let c = 0; c < 12; c++) {
        const shape = randomShape();
        const dtype: DType = c % 4 === 3 ? 'float64' : 'float32';
        const sa = c % 2 === 0 ? shape : broadcastable(shape);
        const a = make(sa, pick(LAYOUTS), row.a[0], row.a[1], dtype, row.ints);
        const b = make(shape, pick(LAYOUTS), row.b[0], row.b[1], dtype, row.ints);
        const fresh = row.fn(a, b);
        // out inside a larger buffer, at an offset: only its elements are written
        const backing = zeros([fresh.size + 5], { dtype: fresh.dtype }).data.fill(-7);
        const out = new Tensor(backing, fresh.shape, undefined, 2);
        const what = `${row.name} ${dtype} a[${sa}] strides[${a.strides}] b strides[${b.strides}]`;
        expect(row.fn(a, b, { out }), what).toBe(out);
        expect(Array.from(out.values()), what).toEqual(Array.from(fresh.values()));
        expect([backing[0], backing[1], backing[backing.length - 3], backing[backing.length - 1]]).toEqual([-7, -7, -7, -7]);
      }
    }
  });

  it('take an operand as out (in place), the 4M-element case on the backend kernel included', () => {
    const x = tensor([1, 2, 3, 4, 5]);
    expect(add(x, 10, { out: x })).toBe(x);
    expect(Array.from(x.values())).toEqual([11, 12, 13, 14, 15]);
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    mul(tensor([10, 100]), m, { out: m });
    expect(m.toArray()).toEqual([
      [10, 200],
      [30, 400],
    ]);
    const n = 1 << 22;
    const g = new Generator(3);
    const big = randn([n], { generator: g });
    const other = randn([n], { generator: g });
    const want = add(big, other).values().slice();
    add(big, other, { out: big });
    expect(big.values()).toEqual(want);
    expect(x.add(1, { out: x }).values()).toEqual(new Float32Array([12, 13, 14, 15, 16])); // the method too
    const fresh = add(x, 1, { out: null as unknown as Tensor }); // null means no out, as out=None in PyTorch
    expect(fresh).not.toBe(x);
    expect(fresh.values()).toEqual(new Float32Array([13, 14, 15, 16, 17]));
  });

  it('reject a wrong shape, dtype, non-contiguous out or an overlapping view, naming the op and what it got', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(() => add(a, 1, { out: zeros([3, 2]) })).toThrow(ShapeError);
    expect(() => add(a, 1, { out: zeros([3, 2]) })).toThrow('add: options.out has shape [3, 2]; expected the broadcast shape [2, 3]');
    expect(() => add(a, 1, { out: zeros([2, 3], { dtype: 'float64' }) })).toThrow(
      "add: options.out has dtype float64; expected the result's dtype float32",
    );
    expect(() => lt(a, 1, { out: zeros([2, 3], { dtype: 'int32' }) })).toThrow(DTypeError);
    expect(() => div(a, 2, { out: zeros([3, 2]).T })).toThrow(
      'div: options.out (shape [2, 3]) is not contiguous; expected a contiguous tensor',
    );
    expect(() => add(a, 1, { out: [1, 2] as unknown as Tensor })).toThrow('add: options.out must be a Tensor, got object');
    // a view of an operand that is not the operand itself: rows shifted by one would read what was just written
    const buf = zeros([4, 3]);
    const top = buf.slice([0, 3]);
    const bottom = buf.slice([1, 4]);
    expect(() => add(top, 1, { out: bottom })).toThrow(
      /^add: options\.out overlaps operand a \(shape \[3, 3\]\) without being that same view/,
    );
    expect(() => mul(2, a.T.contiguous(), { out: a.reshape(3, 2) })).not.toThrow(); // separate memory
    const row = tensor([1, 2, 3]);
    expect(() => add(a, row, { out: row.expand([2, 3]).contiguous() })).not.toThrow();
    expect(() => add(row.expand([2, 3]), 1, { out: new Tensor(row.data, [2, 3], [0, 1]) })).toThrow(ValueError);
    // views of one buffer that do not overlap are fine
    const left = new Tensor(buf.data, [3], [1], 0);
    const right = new Tensor(buf.data, [3], [1], 6);
    expect(add(left, 5, { out: right }).values()).toEqual(new Float32Array([5, 5, 5]));
  });
});

describe('broadcasting errors', () => {
  it('name the function and both shapes', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(() => add(a, tensor([1, 2, 3, 4]))).toThrow(ShapeError);
    expect(() => add(a, tensor([1, 2, 3, 4]))).toThrow(/^add: shapes \[2, 3\] and \[4\] cannot broadcast/);
    expect(() => mul(a, a.T)).toThrow(/mul: shapes \[2, 3\] and \[3, 2\]/);
    expect(() => lt(a, tensor([1, 2]))).toThrow(/lt: shapes \[2, 3\] and \[2\]/);
    expect(() => where(tensor([1, 0]), a, 0)).toThrow(/where: shapes \[2\] and \[2, 3\]/);
    expect(() => add(a, 'x' as unknown as number)).toThrow(DTypeError);
    expect(() => exp([1, 2] as unknown as Tensor)).toThrow(/exp: expected a Tensor/);
  });
});

// ---- dtypes --------------------------------------------------------------------------------------

describe('dtype promotion', () => {
  const i32 = (v: number[]): Tensor => tensor(v, undefined, { dtype: 'int32' });
  const f64 = (v: number[]): Tensor => tensor(v, undefined, { dtype: 'float64' });

  it('int32 stays int32 only for add/sub/mul/maximum/minimum/neg/abs/sign', () => {
    for (const fn of [add, sub, mul, maximum, minimum]) expect(fn(i32([1, 2]), i32([3, 4])).dtype).toBe('int32');
    for (const fn of [neg, abs, sign]) expect(fn(i32([-1, 2])).dtype).toBe('int32');
    for (const fn of [exp, sqrt, relu, round, sigmoid, square]) expect(fn(i32([1, 2])).dtype).toBe('float32');
    expect(div(i32([7, -7]), i32([2, 2])).dtype).toBe('float32');
    expect(Array.from(div(i32([7, -7]), i32([2, 2])).values())).toEqual([3.5, -3.5]);
    expect(pow(i32([2]), i32([-1])).item()).toBe(0.5);
    expect(eq(i32([1, 2]), i32([1, 3])).dtype).toBe('float32');
    expect(Array.from(eq(i32([1, 2]), i32([1, 3])).values())).toEqual([1, 0]);
  });

  it('mixed dtypes promote; numbers are weak', () => {
    expect(add(i32([1]), tensor([0.5])).dtype).toBe('float32');
    expect(add(tensor([1]), f64([0.5])).dtype).toBe('float64');
    expect(add(i32([1]), f64([0.5])).dtype).toBe('float64');
    expect(add(i32([1]), 2).dtype).toBe('int32');
    expect(add(i32([1]), 0.5).dtype).toBe('float32');
    expect(add(i32([1]), 0.5).item()).toBe(1.5);
    expect(mul(tensor([1]), 2).dtype).toBe('float32');
    expect(mul(3, f64([1])).dtype).toBe('float64');
    expect(lt(f64([1]), 2).dtype).toBe('float64');
    expect(where(i32([1, 0]), i32([5, 6]), 7).dtype).toBe('int32');
    expect(where(i32([1, 0]), i32([5, 6]), 7.5).toArray()).toEqual([5, 7.5]);
    expect(clip(i32([-5, 5]), -1, 1).dtype).toBe('int32');
    expect(clip(i32([-5, 5]), -0.5, 1).dtype).toBe('float32');
  });

  it('int32 arithmetic wraps like C int32', () => {
    expect(mul(i32([65536, 46341]), i32([65536, 46341])).toArray()).toEqual([0, -2147479015]);
    expect(add(i32([2147483647]), 1).item()).toBe(-2147483648);
    expect(neg(i32([-2147483648])).item()).toBe(-2147483648);
  });

  it('float32 results are rounded to float32', () => {
    const y = add(tensor([0.1]), tensor([0.2]));
    expect(y.item()).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });
});

// ---- where ---------------------------------------------------------------------------------------

describe('where', () => {
  it('broadcasts cond, a and b three ways on any layout', () => {
    for (let c = 0; c < 60; c++) {
      const shape = randomShape();
      const sc = broadcastable(shape);
      const sa = c % 2 ? shape : broadcastable(shape);
      const sb = broadcastable(shape);
      const cond = make(sc, pick(LAYOUTS), -1, 2, 'int32', true);
      const a = make(sa, pick(LAYOUTS), -3, 3);
      const b: Tensor | number = c % 5 === 0 ? -9 : make(sb, pick(LAYOUTS), -3, 3);
      const y = where(cond, a, b);
      const expected = new Float64Array(y.size);
      forEachIndex([...y.shape], (idx, i) => {
        expected[i] = getBroadcast(cond, idx) !== 0 ? getBroadcast(a, idx) : typeof b === 'number' ? b : getBroadcast(b, idx);
      });
      const nd = Math.max(sc.length, sa.length, typeof b === 'number' ? 0 : sb.length);
      expect(y.ndim).toBe(nd);
      expectClose(y.values(), expected, 0, 0, `where c=${c}`);
    }
  });

  it('treats any nonzero (and NaN) condition as true', () => {
    expect(where(tensor([0, -0, 2, NaN, -1]), 1, 0).toArray()).toEqual([0, 0, 1, 1, 1]);
  });
});
