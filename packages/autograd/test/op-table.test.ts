/**
 * The table-driven op suite (STYLE.md "Writing an op", step 3) — the one op table of the package. One row
 * per op (several for broadcasting, views, zeros, special cases); every row is checked
 *   1. forward against a naive float64 reference loop written here (views against Tensor's view methods),
 *   2. forward against the @tapegrad/tensor kernel (`kernel`): within 1e-12 in float64, and bit-for-bit in
 *      float32 (except composite ops, which round differently),
 *   3. by float64 gradcheck (full Jacobian vs central differences; once through the fast backward, once
 *      through the recorded createGraph backward) and by gradgradcheck,
 * on the plain contiguous inputs, on a strided copy of every float input (axes reversed, every other element,
 * non-zero offset) and, where it makes sense, with the first input expanded from a size-1 leading axis.
 * Non-differentiable ops (comparisons, argmax/argmin) have rows with `grad: false`: their forward is checked
 * the same way, and their result must be a constant (no tape entry, no gradient) even for inputs that
 * require one. The coverage test fails when an exported op function has no row.
 */
import { describe, expect, it } from 'vitest';
import * as K from '@tapegrad/tensor';
import { Generator, Tensor, fmtShape, tensor, type DType, type SliceSpec } from '@tapegrad/tensor';
import * as AG from '../src/index.js';
import { Variable, variable } from '../src/index.js';
import { gradcheck, gradgradcheck } from '../src/gradcheck.js';
import * as unaryOps from '../src/ops/unary.js';
import * as binaryOps from '../src/ops/binary.js';
import * as reduceOps from '../src/ops/reduce.js';
import * as viewOps from '../src/ops/views.js';
import * as indexingOps from '../src/ops/indexing.js';
import * as matmulOps from '../src/ops/matmul.js';
import * as nnOps from '../src/ops/nn.js';

const gen = new Generator(20261123);

// ---- inputs -------------------------------------------------------------------------------------

function make(shape: number[], draw: () => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = draw();
  return new Tensor(data, shape);
}
/** Standard normal. */
const randn = (...shape: number[]): Tensor => make(shape, () => gen.normal());
/** Uniform in [lo, hi). */
const uniform = (lo: number, hi: number, ...shape: number[]): Tensor => make(shape, () => lo + (hi - lo) * gen.random());
/** Normal values pushed at least `gap` away from 0 (for ops with a kink at 0). */
const awayFromZero = (gap: number, ...shape: number[]): Tensor =>
  make(shape, () => {
    const x = gen.normal();
    return x + (x < 0 ? -gap : gap);
  });
/** Distinct values (a shuffled, spaced ramp plus noise): no ties for max/min/maximum. */
const distinct = (...shape: number[]): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const ramp = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.37 + 0.05 * gen.random());
  for (let i = n - 1; i > 0; i--) {
    const j = gen.int(0, i + 1);
    [ramp[i], ramp[j]] = [ramp[j]!, ramp[i]!];
  }
  return new Tensor(Float64Array.from(ramp), shape);
};
const int32 = (values: number[], shape = [values.length]): Tensor => new Tensor(Int32Array.from(values), shape);
/** Small integers in {-1, 0, 1}: many exact ties, for comparisons. */
const ties = (...shape: number[]): Tensor => make(shape, () => gen.int(-1, 2));
/** Normal values with exact zeros at the given flat positions. */
const withZeros = (t: Tensor, at: number[]): Tensor => {
  for (const i of at) (t.data as Float64Array)[i] = 0;
  return t;
};
/** A constant tensor used by several rows. */
const c34 = randn(3, 4);
const weights234 = randn(2, 3, 4);
/** Gradcheck tolerances: tighter than the defaults (float64 central differences are good to ~1e-9 here). */
const TOL = { atol: 1e-6, rtol: 1e-5 };

/** The same logical values in a non-contiguous layout: axes reversed in memory, stride 2, offset 1. */
function strided(t: Tensor): Tensor {
  const nd = t.ndim;
  const physical = [...t.shape].reverse();
  const cs = new Array<number>(nd);
  let s = 2;
  for (let j = nd - 1; j >= 0; j--) {
    cs[j] = s;
    s *= physical[j]!;
  }
  const strides = t.shape.map((_, a) => cs[nd - 1 - a]!);
  const out = new Tensor(new Float64Array(1 + 2 * t.size), t.shape, strides, 1);
  const src = t.astype('float64').data;
  const counter = new Array<number>(nd).fill(0);
  for (let e = 0; e < t.size; e++) {
    let p = 1;
    for (let a = 0; a < nd; a++) p += counter[a]! * strides[a]!;
    (out.data as Float64Array)[p] = src[e]!;
    for (let a = nd - 1; a >= 0; a--) {
      if (++counter[a]! < t.shape[a]!) break;
      counter[a] = 0;
    }
  }
  return out;
}

// ---- naive float64 references --------------------------------------------------------------------

/** A contiguous row-major float64 array with a shape: the reference implementations work on these. */
class R {
  constructor(
    readonly shape: number[],
    readonly data: Float64Array,
  ) {}
  static of(t: Tensor): R {
    return new R([...t.shape], t.astype('float64').data as Float64Array);
  }
  static build(shape: number[], f: (idx: number[]) => number): R {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    const idx = new Array<number>(shape.length).fill(0);
    for (let e = 0; e < n; e++) {
      data[e] = f([...idx]);
      for (let a = shape.length - 1; a >= 0; a--) {
        if (++idx[a]! < shape[a]!) break;
        idx[a] = 0;
      }
    }
    return new R(shape, data);
  }
  get(idx: readonly number[]): number {
    let p = 0;
    for (let a = 0; a < this.shape.length; a++) p = p * this.shape[a]! + idx[a]!;
    return this.data[p]!;
  }
  /** Broadcasting read: `idx` indexes a shape this one broadcasts to. */
  bget(idx: readonly number[]): number {
    const lead = idx.length - this.shape.length;
    return this.get(this.shape.map((d, a) => (d === 1 ? 0 : idx[lead + a]!)));
  }
  tensor(): Tensor {
    return new Tensor(Float64Array.from(this.data), this.shape);
  }
}

const bshape = (...shapes: number[][]): number[] => {
  const n = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => Math.max(...shapes.map((s) => s[s.length - n + i] ?? 1)));
};
const map = (x: R, f: (v: number) => number): R => R.build(x.shape, (i) => f(x.get(i)));
const zip = (a: R, b: R, f: (x: number, y: number) => number): R => R.build(bshape(a.shape, b.shape), (i) => f(a.bget(i), b.bget(i)));
const normAxes = (axes: number | number[] | null | undefined, nd: number): number[] =>
  axes === null || axes === undefined ? Array.from({ length: nd }, (_, i) => i) : (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + nd : a));

/** Applies `f` to the values along `axes` for every position of the other axes. */
function reduce(x: R, axes: number | number[] | null | undefined, keepDims: boolean, f: (vals: number[]) => number): R {
  const ax = normAxes(axes, x.shape.length);
  const kept = x.shape.map((d, a) => (ax.includes(a) ? 1 : d));
  const sub = x.shape.map((d, a) => (ax.includes(a) ? d : 1));
  const out = R.build(kept, (i) => {
    const vals: number[] = [];
    R.build(sub, (j) => {
      vals.push(x.get(i.map((v, a) => (ax.includes(a) ? j[a]! : v))));
      return 0;
    });
    return f(vals);
  });
  return keepDims ? out : new R(kept.filter((_, a) => !ax.includes(a)), out.data);
}

/** Replaces each lane along `axis` by `f(lane)`. */
function along(x: R, axis: number, f: (vals: number[]) => number[]): R {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const cache = new Map<string, number[]>();
  return R.build(x.shape, (i) => {
    const key = i.map((v, k) => (k === a ? '*' : v)).join(',');
    let lane = cache.get(key);
    if (!lane) {
      lane = f(Array.from({ length: x.shape[a]! }, (_, j) => x.get(i.map((v, k) => (k === a ? j : v)))));
      cache.set(key, lane);
    }
    return lane[i[a]!]!;
  });
}

const sumOf = (v: number[]): number => v.reduce((s, x) => s + x, 0);
const prodOf = (v: number[]): number => v.reduce((s, x) => s * x, 1);
const lse = (v: number[]): number => {
  const m = Math.max(...v);
  return m + Math.log(sumOf(v.map((x) => Math.exp(x - m))));
};
const softmaxLane = (v: number[]): number[] => {
  const l = lse(v);
  return v.map((x) => Math.exp(x - l));
};

/** NumPy matmul: 1-D operands are promoted and the added axis removed; batch axes broadcast. */
function matmulRef(a: R, b: R): R {
  const a2 = a.shape.length === 1 ? new R([1, a.shape[0]!], a.data) : a;
  const b2 = b.shape.length === 1 ? new R([b.shape[0]!, 1], b.data) : b;
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const n = b2.shape[b2.shape.length - 1]!;
  const batch = bshape(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const out = R.build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let s = 0;
    for (let p = 0; p < k; p++) s += a2.bget([...bi, i, p]) * b2.bget([...bi, p, j]);
    return s;
  });
  let shape = [...batch, m, n];
  if (a.shape.length === 1) shape = [...batch, n];
  if (b.shape.length === 1) shape = a.shape.length === 1 ? [...batch] : [...batch, m];
  return new R(shape, out.data);
}

/** Views: the reference is Tensor's own (separately tested) view method on a contiguous copy. */
const view = (x: R, f: (t: Tensor) => Tensor): R => R.of(f(x.tensor()));

function concatRef(xs: R[], axis: number): R {
  const a = axis < 0 ? axis + xs[0]!.shape.length : axis;
  const shape = [...xs[0]!.shape];
  shape[a] = sumOf(xs.map((x) => x.shape[a]!));
  return R.build(shape, (i) => {
    let p = i[a]!;
    for (const x of xs) {
      if (p < x.shape[a]!) return x.get(i.map((v, k) => (k === a ? p : v)));
      p -= x.shape[a]!;
    }
    return NaN;
  });
}
function stackRef(xs: R[], axis: number): R {
  const nd = xs[0]!.shape.length + 1;
  const a = axis < 0 ? axis + nd : axis;
  const shape = [...xs[0]!.shape];
  shape.splice(a, 0, xs.length);
  return R.build(shape, (i) => xs[i[a]!]!.get(i.filter((_, k) => k !== a)));
}
const erfRef = (x: number): number => {
  // Maclaurin series; exact to ~1e-14 for |x| < 3 (inputs are kept there).
  let term = x;
  let s = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    s += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
};
const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));

// ---- the table -----------------------------------------------------------------------------------

type Fn = (...xs: Variable[]) => Variable;
interface Row {
  /** Row label. */
  name: string;
  /** Exported op functions this row covers (for the coverage check). */
  covers: string[];
  inputs: Tensor[];
  fn: Fn;
  ref: (...xs: R[]) => R;
  /** The same computation with @tapegrad/tensor kernels (and Tensor views), on the row's input tensors. */
  kernel?: (...xs: Tensor[]) => Tensor;
  /** A composite op (several kernels): float32 results may differ from the kernel's in the last bit. */
  composite?: boolean;
  /** False for a non-differentiable op: no gradchecks; the result must be a constant. Default true. */
  grad?: boolean;
  /** Result dtype for float64 inputs (default float64; float32 for float32 inputs unless int32). */
  dtype?: DType;
  /** Run the expanded-first-input variant (default true when input 0 is float with ndim ≥ 1). */
  expand?: boolean;
  /** Run gradgradcheck (default true). */
  gradgrad?: boolean;
  /** Forward tolerance (relative+absolute), default 1e-10. */
  forwardTol?: number;
}

const unaryRows: Array<[string, (x: Variable) => Variable, (v: number) => number, Tensor, ((x: Tensor) => Tensor)?]> = [
  ['neg', (x) => AG.neg(x), (v) => -v, randn(3, 4)],
  ['abs', (x) => AG.abs(x), Math.abs, awayFromZero(0.1, 3, 4)],
  ['sign', (x) => AG.sign(x), Math.sign, awayFromZero(0.1, 3, 4)],
  ['exp', (x) => AG.exp(x), Math.exp, randn(3, 4)],
  ['expm1', (x) => AG.expm1(x), Math.expm1, randn(3, 4)],
  ['log', (x) => AG.log(x), Math.log, uniform(0.5, 2, 3, 4)],
  ['log1p', (x) => AG.log1p(x), Math.log1p, uniform(-0.5, 2, 3, 4)],
  ['sqrt', (x) => AG.sqrt(x), Math.sqrt, uniform(0.5, 2, 3, 4)],
  ['rsqrt', (x) => AG.rsqrt(x), (v) => 1 / Math.sqrt(v), uniform(0.5, 2, 3, 4)],
  ['square', (x) => AG.square(x), (v) => v * v, randn(3, 4)],
  ['reciprocal', (x) => AG.reciprocal(x), (v) => 1 / v, uniform(0.5, 2, 3, 4)],
  ['sin', (x) => AG.sin(x), Math.sin, randn(3, 4)],
  ['cos', (x) => AG.cos(x), Math.cos, randn(3, 4)],
  ['tanh', (x) => AG.tanh(x), Math.tanh, randn(3, 4)],
  ['sigmoid', (x) => AG.sigmoid(x), sigmoidRef, randn(3, 4)],
  ['relu', (x) => AG.relu(x), (v) => Math.max(v, 0), awayFromZero(0.1, 3, 4)],
  ['leakyRelu', (x) => AG.leakyRelu(x, 0.1), (v) => (v > 0 ? v : 0.1 * v), awayFromZero(0.1, 3, 4), (x) => K.leakyRelu(x, 0.1)],
  ['elu', (x) => AG.elu(x, 1.5), (v) => (v > 0 ? v : 1.5 * Math.expm1(v)), awayFromZero(0.1, 3, 4), (x) => K.elu(x, 1.5)],
  ['gelu', (x) => AG.gelu(x), (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2)), uniform(-2.5, 2.5, 3, 4)],
  ['softplus', (x) => AG.softplus(x), (v) => Math.log1p(Math.exp(v)), randn(3, 4)],
  ['erf', (x) => AG.erf(x), erfRef, uniform(-2.5, 2.5, 3, 4)],
  ['floor', (x) => AG.floor(x), Math.floor, uniform(0.1, 0.9, 3, 4).astype('float64')],
  ['ceil', (x) => AG.ceil(x), Math.ceil, uniform(0.1, 0.9, 3, 4)],
  ['round', (x) => AG.round(x), Math.round, uniform(0.1, 0.4, 3, 4)],
];

const rows: Row[] = [
  ...unaryRows.map(([name, fn, f, x, kernel]): Row => ({
    name,
    covers: [name],
    inputs: [x],
    fn,
    ref: (r) => map(r, f),
    kernel: kernel ?? ((t) => (K as unknown as Record<string, (t: Tensor) => Tensor>)[name]!(t)),
    // Kernels for erf/gelu may use a polynomial approximation.
    forwardTol: name === 'erf' || name === 'gelu' ? 1e-6 : 1e-10,
  })),
  { name: 'clip', kernel: (x) => K.clip(x, -0.5, 0.6), covers: ['clip'], inputs: [uniform(-1, 1, 3, 4)], fn: (x) => AG.clip(x, -0.5, 0.6), ref: (r) => map(r, (v) => Math.min(Math.max(v, -0.5), 0.6)) },

  // binary, with broadcasting and number operands
  { name: 'add [3,1]+[1,4]', kernel: K.add, covers: ['add'], inputs: [randn(3, 1), randn(1, 4)], fn: (a, b) => AG.add(a, b), ref: (a, b) => zip(a, b, (x, y) => x + y), expand: false },
  { name: 'add [2,3,4]+[4]', kernel: K.add, covers: ['add'], inputs: [randn(2, 3, 4), randn(4)], fn: (a, b) => AG.add(a, b), ref: (a, b) => zip(a, b, (x, y) => x + y) },
  { name: 'add 0-d + [3]', kernel: K.add, covers: ['add'], inputs: [randn(), randn(3)], fn: (a, b) => AG.add(a, b), ref: (a, b) => zip(a, b, (x, y) => x + y) },
  { name: 'mul 0-d * 0-d', kernel: K.mul, covers: ['mul'], inputs: [randn(), randn()], fn: (a, b) => AG.mul(a, b), ref: (a, b) => zip(a, b, (x, y) => x * y) },
  { name: 'add x+2.5', kernel: (a) => K.add(a, 2.5), covers: ['add'], inputs: [randn(3, 4)], fn: (a) => AG.add(a, 2.5), ref: (a) => map(a, (x) => x + 2.5) },
  { name: 'sub [3,4]-[3,1]', kernel: K.sub, covers: ['sub'], inputs: [randn(3, 4), randn(3, 1)], fn: (a, b) => AG.sub(a, b), ref: (a, b) => zip(a, b, (x, y) => x - y) },
  { name: 'sub 1-x', kernel: (a) => K.sub(1, a), covers: ['sub'], inputs: [randn(3, 4)], fn: (a) => AG.sub(1, a), ref: (a) => map(a, (x) => 1 - x) },
  { name: 'mul [3,4]*[3,4]', kernel: K.mul, covers: ['mul'], inputs: [randn(3, 4), randn(3, 4)], fn: (a, b) => AG.mul(a, b), ref: (a, b) => zip(a, b, (x, y) => x * y) },
  { name: 'mul [4]*[3,1]', kernel: K.mul, covers: ['mul'], inputs: [randn(4), randn(3, 1)], fn: (a, b) => AG.mul(a, b), ref: (a, b) => zip(a, b, (x, y) => x * y) },
  { name: 'mul x*x (reuse)', kernel: (a) => K.mul(a, a), covers: ['mul'], inputs: [randn(3, 4)], fn: (a) => AG.mul(a, a), ref: (a) => map(a, (x) => x * x) },
  { name: 'div [3,4]/[4]', kernel: K.div, covers: ['div'], inputs: [randn(3, 4), uniform(0.5, 2, 4)], fn: (a, b) => AG.div(a, b), ref: (a, b) => zip(a, b, (x, y) => x / y) },
  { name: 'div 2/x', kernel: (a) => K.div(2, a), covers: ['div'], inputs: [uniform(0.5, 2, 3, 4)], fn: (a) => AG.div(2, a), ref: (a) => map(a, (x) => 2 / x) },
  { name: 'pow a^b [3,4]^[1,4]', kernel: K.pow, covers: ['pow'], inputs: [uniform(0.5, 2, 3, 4), randn(1, 4)], fn: (a, b) => AG.pow(a, b), ref: (a, b) => zip(a, b, Math.pow) },
  { name: 'pow x^3', kernel: (a) => K.pow(a, 3), covers: ['pow'], inputs: [randn(3, 4)], fn: (a) => AG.pow(a, 3), ref: (a) => map(a, (x) => x ** 3) },
  { name: 'pow x^2.5', kernel: (a) => K.pow(a, 2.5), covers: ['pow'], inputs: [uniform(0.5, 2, 3, 4)], fn: (a) => AG.pow(a, 2.5), ref: (a) => map(a, (x) => x ** 2.5) },
  { name: 'pow 2^x', kernel: (a) => K.pow(2, a), covers: ['pow'], inputs: [randn(3, 4)], fn: (a) => AG.pow(2, a), ref: (a) => map(a, (x) => 2 ** x) },
  { name: 'maximum [3,4],[4]', kernel: K.maximum, covers: ['maximum'], inputs: [distinct(3, 4), distinct(4)], fn: (a, b) => AG.maximum(a, b), ref: (a, b) => zip(a, b, Math.max) },
  { name: 'minimum [3,4],[3,1]', kernel: K.minimum, covers: ['minimum'], inputs: [distinct(3, 4), distinct(3, 1)], fn: (a, b) => AG.minimum(a, b), ref: (a, b) => zip(a, b, Math.min) },
  {
    name: 'where [3,4] cond, [3,4], [4]', kernel: (a, b) => K.where(int32([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], [3, 4]), a, b.expand(3, 4)),
    covers: ['where'],
    inputs: [randn(3, 4), randn(4)],
    fn: (a, b) => AG.where(int32([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], [3, 4]), a, b),
    ref: (a, b) => R.build([3, 4], (i) => ([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1][i[0]! * 4 + i[1]!] ? a.bget(i) : b.bget(i))),
    expand: false,
  },

  // reductions
  { name: 'sum all', kernel: (x) => K.sum(x), covers: ['sum'], inputs: [randn(3, 4)], fn: (x) => AG.sum(x), ref: (x) => reduce(x, null, false, sumOf) },
  { name: 'sum axis 1 keepDims', kernel: (x) => K.sum(x, 1, true), covers: ['sum'], inputs: [randn(3, 4)], fn: (x) => AG.sum(x, 1, true), ref: (x) => reduce(x, 1, true, sumOf) },
  { name: 'sum axes [0,2] of [2,3,4]', kernel: (x) => K.sum(x, [0, 2]), covers: ['sum'], inputs: [randn(2, 3, 4)], fn: (x) => AG.sum(x, [0, 2]), ref: (x) => reduce(x, [0, 2], false, sumOf) },
  { name: 'mean axis -1', kernel: (x) => K.mean(x, -1), covers: ['mean'], inputs: [randn(3, 4)], fn: (x) => AG.mean(x, -1), ref: (x) => reduce(x, -1, false, (v) => sumOf(v) / v.length) },
  { name: 'mean all keepDims', kernel: (x) => K.mean(x, null, true), covers: ['mean'], inputs: [randn(2, 3, 2)], fn: (x) => AG.mean(x, null, true), ref: (x) => reduce(x, null, true, (v) => sumOf(v) / v.length) },
  { name: 'max axis 0', kernel: (x) => K.max(x, 0), covers: ['max'], inputs: [distinct(3, 4)], fn: (x) => AG.max(x, 0), ref: (x) => reduce(x, 0, false, (v) => Math.max(...v)), expand: false },
  { name: 'max all', kernel: (x) => K.max(x), covers: ['max'], inputs: [distinct(3, 4)], fn: (x) => AG.max(x), ref: (x) => reduce(x, null, false, (v) => Math.max(...v)), expand: false },
  { name: 'min axis 1 keepDims', kernel: (x) => K.min(x, 1, true), covers: ['min'], inputs: [distinct(3, 4)], fn: (x) => AG.min(x, 1, true), ref: (x) => reduce(x, 1, true, (v) => Math.min(...v)) },
  { name: 'logsumexp axis 1', kernel: (x) => K.logsumexp(x, 1), covers: ['logsumexp'], inputs: [randn(3, 4)], fn: (x) => AG.logsumexp(x, 1), ref: (x) => reduce(x, 1, false, lse) },
  { name: 'logsumexp all', kernel: (x) => K.logsumexp(x), covers: ['logsumexp'], inputs: [randn(3, 4)], fn: (x) => AG.logsumexp(x), ref: (x) => reduce(x, null, false, lse) },
  {
    name: 'variance axis 0', kernel: (x) => K.variance(x, 0), composite: true,
    covers: ['variance'],
    inputs: [randn(4, 3)],
    fn: (x) => AG.variance(x, 0),
    ref: (x) => reduce(x, 0, false, (v) => sumOf(v.map((t) => (t - sumOf(v) / v.length) ** 2)) / v.length),
  },
  {
    name: 'variance all correction 1 keepDims', kernel: (x) => K.variance(x, null, { correction: 1, keepDims: true }), composite: true,
    covers: ['variance'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.variance(x, null, { correction: 1, keepDims: true }),
    ref: (x) => reduce(x, null, true, (v) => sumOf(v.map((t) => (t - sumOf(v) / v.length) ** 2)) / (v.length - 1)),
  },
  {
    name: 'std axis 1', kernel: (x) => K.std(x, 1), composite: true,
    covers: ['std'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.std(x, 1),
    ref: (x) => reduce(x, 1, false, (v) => Math.sqrt(sumOf(v.map((t) => (t - sumOf(v) / v.length) ** 2)) / v.length)),
  },
  { name: 'softmax axis -1', kernel: (x) => K.softmax(x), covers: ['softmax'], inputs: [randn(3, 4)], fn: (x) => AG.softmax(x), ref: (x) => along(x, -1, softmaxLane) },
  { name: 'softmax axis 0', kernel: (x) => K.softmax(x, 0), covers: ['softmax'], inputs: [randn(3, 4)], fn: (x) => AG.softmax(x, 0), ref: (x) => along(x, 0, softmaxLane) },
  { name: 'logSoftmax axis -1', kernel: (x) => K.logSoftmax(x), covers: ['logSoftmax'], inputs: [randn(3, 4)], fn: (x) => AG.logSoftmax(x), ref: (x) => along(x, -1, (v) => v.map((t) => t - lse(v))) },
  { name: 'logSoftmax axis 1 of [2,3,2]', kernel: (x) => K.logSoftmax(x, 1), covers: ['logSoftmax'], inputs: [randn(2, 3, 2)], fn: (x) => AG.logSoftmax(x, 1), ref: (x) => along(x, 1, (v) => v.map((t) => t - lse(v))) },

  // prod: without zeros, with one zero in a lane, with two zeros in a lane (gradient 0 there)
  { name: 'prod all', covers: ['prod'], inputs: [uniform(0.5, 1.5, 3, 4)], fn: (x) => AG.prod(x), ref: (x) => reduce(x, null, false, prodOf), kernel: (x) => K.prod(x) },
  { name: 'prod axis 1 keepDims', covers: ['prod'], inputs: [randn(3, 4)], fn: (x) => AG.prod(x, 1, true), ref: (x) => reduce(x, 1, true, prodOf), kernel: (x) => K.prod(x, 1, true) },
  { name: 'prod axes [0,2] of [2,3,4]', covers: ['prod'], inputs: [uniform(0.5, 1.5, 2, 3, 4)], fn: (x) => AG.prod(x, [0, 2]), ref: (x) => reduce(x, [0, 2], false, prodOf), kernel: (x) => K.prod(x, [0, 2]) },
  {
    name: 'prod axis 1 with one zero in a row',
    covers: ['prod'],
    inputs: [withZeros(randn(3, 4), [5])],
    fn: (x) => AG.prod(x, 1),
    ref: (x) => reduce(x, 1, false, prodOf),
    kernel: (x) => K.prod(x, 1),
  },
  {
    name: 'prod axis 0 with one zero and with two zeros in a column',
    covers: ['prod'],
    inputs: [withZeros(randn(3, 4), [0, 5, 9, 1])],
    fn: (x) => AG.prod(x, 0),
    ref: (x) => reduce(x, 0, false, prodOf),
    kernel: (x) => K.prod(x, 0),
  },
  {
    name: 'prod all with two zeros',
    covers: ['prod'],
    inputs: [withZeros(randn(2, 3), [1, 4])],
    fn: (x) => AG.prod(x),
    ref: (x) => reduce(x, null, false, prodOf),
    kernel: (x) => K.prod(x),
  },
  {
    name: 'prod axes [1,2] keepDims with one zero (transposed input)',
    covers: ['prod'],
    inputs: [withZeros(randn(3, 2, 2), [3])],
    fn: (x) => AG.prod(x.T, [1, 2], true),
    ref: (x) => reduce(view(x, (t) => t.T), [1, 2], true, prodOf),
    kernel: (x) => K.prod(x.T, [1, 2], true),
  },

  // non-differentiable: comparisons (broadcasting, ties) and arg-reductions
  ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).flatMap((op): Row[] => {
    const f = { eq: (x: number, y: number) => x === y, ne: (x: number, y: number) => x !== y, lt: (x: number, y: number) => x < y, le: (x: number, y: number) => x <= y, gt: (x: number, y: number) => x > y, ge: (x: number, y: number) => x >= y }[op];
    return [
      { name: `${op} [3,4],[1,4]`, covers: [op], grad: false, inputs: [ties(3, 4), ties(1, 4)], fn: (a, b) => AG[op](a, b), ref: (a, b) => zip(a, b, (x, y) => Number(f(x, y))), kernel: K[op] },
      { name: `${op} method, number`, covers: [op], grad: false, inputs: [ties(3, 4)], fn: (a) => a[op](0), ref: (a) => map(a, (x) => Number(f(x, 0))), kernel: (a) => K[op](a, 0) },
    ];
  }),
  { name: 'argmax axis 1', covers: ['argmax'], grad: false, dtype: 'int32', inputs: [distinct(3, 4)], fn: (x) => AG.argmax(x, 1), ref: (x) => reduce(x, 1, false, (v) => v.indexOf(Math.max(...v))), kernel: (x) => K.argmax(x, 1) },
  { name: 'argmax all (method)', covers: ['argmax'], grad: false, dtype: 'int32', inputs: [distinct(3, 4)], fn: (x) => x.argmax(), ref: (x) => reduce(x, null, false, (v) => v.indexOf(Math.max(...v))), kernel: (x) => K.argmax(x) },
  { name: 'argmin axis 0 keepDims', covers: ['argmin'], grad: false, dtype: 'int32', inputs: [distinct(3, 4)], fn: (x) => AG.argmin(x, 0, true), ref: (x) => reduce(x, 0, true, (v) => v.indexOf(Math.min(...v))), kernel: (x) => K.argmin(x, 0, true) },
  { name: 'argmin axis -1 (method)', covers: ['argmin'], grad: false, dtype: 'int32', inputs: [distinct(2, 3, 2)], fn: (x) => x.argmin(-1), ref: (x) => reduce(x, -1, false, (v) => v.indexOf(Math.min(...v))), kernel: (x) => K.argmin(x, -1) },

  // ops composed with views in method form (from the former ops.test.ts): the view's gradient feeds the op's
  ...(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const).map((op): Row => {
    const f = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y, pow: Math.pow, maximum: Math.max, minimum: Math.min }[op];
    return {
      name: `${op} transposed a, number b (method .T)`,
      covers: [op],
      inputs: [op === 'pow' ? uniform(0.5, 2, 2, 3) : randn(2, 3)],
      fn: (x) => AG[op](x.T, 1.5),
      ref: (x) => map(view(x, (t) => t.T), (v) => f(v, 1.5)),
      kernel: (x) => K[op](x.T, 1.5),
    };
  }),
  { name: 'mul variable [1,4] × constant tensor [3,4]', covers: ['mul'], inputs: [randn(1, 4)], fn: (x) => AG.mul(x, c34.astype(x.dtype)), ref: (x) => zip(x, R.of(c34), (p, q) => p * q), kernel: (x) => K.mul(x, c34.astype(x.dtype)) },
  { name: 'div constant tensor [3,4] / variable [3,1]', covers: ['div'], inputs: [uniform(0.5, 2, 3, 1)], fn: (x) => AG.div(c34.astype(x.dtype), x), ref: (x) => zip(R.of(c34), x, (p, q) => p / q), kernel: (x) => K.div(c34.astype(x.dtype), x) },
  { name: 'add scalar variable + [2,3]', covers: ['add'], inputs: [randn(), randn(2, 3)], fn: (a, b) => AG.add(a, b), ref: (a, b) => zip(a, b, (x, y) => x + y), kernel: K.add },
  { name: 'exp of a transposed view', covers: ['exp'], inputs: [randn(3, 4)], fn: (x) => AG.exp(x.T), ref: (x) => map(view(x, (t) => t.T), Math.exp), kernel: (x) => K.exp(x.T) },
  { name: 'tanh of a step-2 slice', covers: ['tanh'], inputs: [randn(4, 5)], fn: (x) => AG.tanh(x.slice(null, [0, 5, 2])), ref: (x) => map(view(x, (t) => t.slice(null, [0, 5, 2])), Math.tanh), kernel: (x) => K.tanh(x.slice(null, [0, 5, 2])) },
  { name: 'log of a sliced transposed view', covers: ['log'], inputs: [uniform(0.5, 2, 4, 5)], fn: (x) => AG.log(x.T.slice([1, 4])), ref: (x) => map(view(x, (t) => t.T.slice([1, 4])), Math.log), kernel: (x) => K.log(x.T.slice([1, 4])) },
  { name: 'reshape of a transposed view (copies)', covers: ['reshape'], inputs: [randn(2, 6)], fn: (x) => AG.reshape(x.T, [4, 3]), ref: (x) => view(x, (t) => t.T.reshape(4, 3)), kernel: (x) => x.T.reshape(4, 3) },
  { name: 'permute then exp', covers: ['permute'], inputs: [randn(2, 3, 4)], fn: (x) => AG.permute(x, [2, 0, 1]).exp(), ref: (x) => map(view(x, (t) => t.permute(2, 0, 1)), Math.exp), kernel: (x) => K.exp(x.permute(2, 0, 1)) },
  {
    name: 'transpose times a constant column',
    covers: ['transpose'],
    inputs: [randn(2, 3)],
    fn: (x) => AG.transpose(x).mul(tensor([[1], [2], [3]], undefined, { dtype: x.dtype })),
    ref: (x) => R.build([3, 2], (i) => x.get([i[1]!, i[0]!]) * (i[0]! + 1)),
    kernel: (x) => K.mul(x.T, tensor([[1], [2], [3]], undefined, { dtype: x.dtype })),
  },
  { name: 'slice with stop and negative step, squared', covers: ['slice'], inputs: [randn(4, 5)], fn: (x) => AG.slice(x, [1, 4], [4, 0, -2]).square(), ref: (x) => map(view(x, (t) => t.slice([1, 4], [4, 0, -2])), (v) => v * v), kernel: (x) => K.square(x.slice([1, 4], [4, 0, -2])) },
  { name: 'index -1, squared', covers: ['index'], inputs: [randn(3, 4)], fn: (x) => AG.index(x, -1).square(), ref: (x) => map(view(x, (t) => t.index(-1)), (v) => v * v), kernel: (x) => K.square(x.index(-1)) },
  { name: 'expand times weights', covers: ['expand'], inputs: [randn(3, 1)], fn: (x) => AG.expand(x, [2, 3, 4]).mul(weights234.astype(x.dtype)), ref: (x) => zip(view(x, (t) => t.expand(2, 3, 4)), R.of(weights234), (p, q) => p * q), kernel: (x) => K.mul(x.expand(2, 3, 4), weights234.astype(x.dtype)) },
  { name: 'sum axes [0,2] of a transposed input', covers: ['sum'], inputs: [randn(4, 3, 2)], fn: (x) => AG.sum(x.T, [0, 2]), ref: (x) => reduce(view(x, (t) => t.T), [0, 2], false, sumOf), kernel: (x) => K.sum(x.T, [0, 2]) },
  { name: 'softmax axis 0 of a transposed input', covers: ['softmax'], inputs: [randn(4, 3)], fn: (x) => AG.softmax(x.T, 0), ref: (x) => along(view(x, (t) => t.T), 0, softmaxLane), kernel: (x) => K.softmax(x.T, 0) },
  { name: 'stack with a .T.T operand, squared', covers: ['stack'], inputs: [randn(2, 3), randn(2, 3)], fn: (a, b) => AG.stack([a, b.T.T], -1).square(), ref: (a, b) => map(stackRef([a, b], 2), (v) => v * v), kernel: (a, b) => K.square(K.stack([a, b], -1)) },
  {
    name: 'split [2,3] axis 0, pieces re-joined',
    covers: ['split'],
    inputs: [randn(5, 2)],
    fn: (x) => {
      const [p, q] = AG.split(x, [2, 3], 0);
      return AG.concat([q!.square(), p!], 0);
    },
    ref: (x) => R.build([5, 2], (i) => (i[0]! < 3 ? x.get([i[0]! + 2, i[1]!]) ** 2 : x.get([i[0]! - 3, i[1]!]))),
    kernel: (x) => {
      const [p, q] = K.split(x, [2, 3], 0);
      return K.concat([K.square(q!), p!], 0);
    },
  },

  // matmul
  { name: 'matmul broadcast batch [2,1,2,3]x[3,3,2]', covers: ['matmul'], inputs: [randn(2, 1, 2, 3), randn(3, 3, 2)], fn: (a, b) => AG.matmul(a, b), ref: matmulRef, kernel: K.matmul },
  { name: 'matmul of transposed operands', covers: ['matmul'], inputs: [randn(3, 2), randn(4, 3)], fn: (a, b) => AG.matmul(a.T, b.T), ref: (a, b) => matmulRef(view(a, (t) => t.T), view(b, (t) => t.T)), kernel: (a, b) => K.matmul(a.T, b.T) },
  { name: 'matmul [3,4]x[4,2]', kernel: K.matmul, covers: ['matmul'], inputs: [randn(3, 4), randn(4, 2)], fn: (a, b) => AG.matmul(a, b), ref: matmulRef },
  { name: 'matmul batched [2,3,4]x[4,2]', kernel: K.matmul, covers: ['matmul'], inputs: [randn(2, 3, 4), randn(4, 2)], fn: (a, b) => AG.matmul(a, b), ref: matmulRef },
  { name: 'matmul batched [2,2,3]x[1,3,2]', kernel: K.matmul, covers: ['matmul'], inputs: [randn(2, 2, 3), randn(1, 3, 2)], fn: (a, b) => AG.matmul(a, b), ref: matmulRef },
  { name: 'matmul 1-D [4]x[4,3]', kernel: K.matmul, covers: ['matmul'], inputs: [randn(4), randn(4, 3)], fn: (a, b) => AG.matmul(a, b), ref: matmulRef },
  { name: 'matmul [3,4]x1-D [4]', kernel: K.matmul, covers: ['matmul'], inputs: [randn(3, 4), randn(4)], fn: (a, b) => AG.matmul(a, b), ref: matmulRef },
  { name: 'matmul 1-D dot [5]x[5]', kernel: K.matmul, covers: ['matmul'], inputs: [randn(5), randn(5)], fn: (a, b) => AG.matmul(a, b), ref: matmulRef },

  // fused ops used by nn
  {
    name: 'linear x·W + b', kernel: (x, w, b) => K.add(K.matmul(x, w), b), composite: true,
    covers: ['linear'],
    inputs: [randn(3, 4), randn(4, 2), randn(2)],
    fn: (x, w, b) => AG.linear(x, w, b),
    ref: (x, w, b) => zip(matmulRef(x, w), b, (p, q) => p + q),
  },
  { name: 'linear batched no bias', kernel: (x, w) => K.matmul(x, w), composite: true, covers: ['linear'], inputs: [randn(2, 2, 3), randn(3, 2)], fn: (x, w) => AG.linear(x, w), ref: matmulRef },
  {
    name: 'linear transposed weight, sliced input',
    covers: ['linear'],
    inputs: [randn(5, 3), randn(2, 3), randn(2)],
    fn: (x, w, b) => AG.linear(x.slice([0, 5, 2]), w.T, b),
    ref: (x, w, b) => zip(matmulRef(view(x, (t) => t.slice([0, 5, 2])), view(w, (t) => t.T)), b, (p, q) => p + q),
    kernel: (x, w, b) => K.add(K.matmul(x.slice([0, 5, 2]), w.T), b),
    composite: true,
  },
  {
    name: 'softmaxCrossEntropy one-hot float targets',
    covers: ['softmaxCrossEntropy'],
    inputs: [randn(2, 3)],
    fn: (z) => AG.softmaxCrossEntropy(z, tensor([[0, 1, 0], [1, 0, 0]], undefined, { dtype: 'float64' })),
    ref: (z) => {
      const ls = along(z, 1, (v) => v.map((q) => q - lse(v)));
      return new R([], Float64Array.of(-(ls.get([0, 1]) + ls.get([1, 0])) / 2));
    },
    kernel: (z) => K.scalar(-(K.logSoftmax(z).get(0, 1) + K.logSoftmax(z).get(1, 0)) / 2, { dtype: z.dtype }),
    composite: true,
  },
  {
    name: 'softmaxCrossEntropy class indices', kernel: (z) => K.mul(K.sum(K.mul(K.oneHot(int32([2, 0, 3]), 4, { dtype: z.dtype }), K.logSoftmax(z))), -1 / 3), composite: true,
    covers: ['softmaxCrossEntropy'],
    inputs: [randn(3, 4)],
    fn: (z) => AG.softmaxCrossEntropy(z, int32([2, 0, 3])),
    ref: (z) => {
      const ls = along(z, 1, (v) => v.map((t) => t - lse(v)));
      return new R([], Float64Array.of(-sumOf([2, 0, 3].map((c, n) => ls.get([n, c]))) / 3));
    },
  },
  {
    name: 'softmaxCrossEntropy soft targets', kernel: (z) => K.mul(K.sum(K.mul(new Tensor(Float64Array.of(0.2, 0.8, 0, 0, 0, 1), [2, 3]).astype(z.dtype), K.logSoftmax(z))), -1 / 2), composite: true,
    covers: ['softmaxCrossEntropy'],
    inputs: [randn(2, 3)],
    fn: (z) => AG.softmaxCrossEntropy(z, new Tensor(Float64Array.of(0.2, 0.8, 0, 0, 0, 1), [2, 3])),
    ref: (z) => {
      const t = [0.2, 0.8, 0, 0, 0, 1];
      const ls = along(z, 1, (v) => v.map((q) => q - lse(v)));
      return new R([], Float64Array.of(-sumOf(t.map((w, i) => w * ls.data[i]!)) / 2));
    },
  },

  // views
  { name: 'reshape [3,4]->[2,-1]', kernel: (t) => t.reshape(2, -1), covers: ['reshape'], inputs: [randn(3, 4)], fn: (x) => AG.reshape(x, [2, -1]), ref: (x) => view(x, (t) => t.reshape(2, -1)) },
  { name: 'transpose 2-D', kernel: (t) => t.transpose(), covers: ['transpose'], inputs: [randn(3, 4)], fn: (x) => AG.transpose(x), ref: (x) => view(x, (t) => t.transpose()) },
  { name: 'transpose axes [1,2,0]', kernel: (t) => t.transpose(1, 2, 0), covers: ['transpose'], inputs: [randn(2, 3, 2)], fn: (x) => AG.transpose(x, [1, 2, 0]), ref: (x) => view(x, (t) => t.transpose(1, 2, 0)) },
  { name: 'permute [2,0,1]', kernel: (t) => t.permute(2, 0, 1), covers: ['permute'], inputs: [randn(2, 3, 2)], fn: (x) => AG.permute(x, [2, 0, 1]), ref: (x) => view(x, (t) => t.permute(2, 0, 1)) },
  { name: 'swapAxes 0,2', kernel: (t) => t.swapAxes(0, 2), covers: ['swapAxes'], inputs: [randn(2, 3, 2)], fn: (x) => AG.swapAxes(x, 0, 2), ref: (x) => view(x, (t) => t.swapAxes(0, 2)) },
  { name: 'Variable.T', kernel: (t) => t.T, covers: [], inputs: [randn(3, 4)], fn: (x) => x.T, ref: (x) => view(x, (t) => t.T) },
  {
    name: 'slice step 2 and negative step', kernel: (t) => t.slice([null, null, -1], [0, 5, 2]),
    covers: ['slice'],
    inputs: [randn(4, 5)],
    fn: (x) => AG.slice(x, [null, null, -1], [0, 5, 2]),
    ref: (x) => view(x, (t) => t.slice([null, null, -1], [0, 5, 2])),
  },
  {
    name: 'slice int + range', kernel: (t) => t.slice([1, 3], -1),
    covers: ['slice'],
    inputs: [randn(3, 4, 2)],
    fn: (x) => AG.slice(x, [1, 3], -1 as SliceSpec),
    ref: (x) => view(x, (t) => t.slice([1, 3], -1)),
  },
  { name: 'index 1', kernel: (t) => t.index(1), covers: ['index'], inputs: [randn(3, 4)], fn: (x) => AG.index(x, 1), ref: (x) => view(x, (t) => t.index(1)) },
  { name: 'expand [3,1]->[2,3,4]', kernel: (t) => t.expand(2, 3, 4), covers: ['expand'], inputs: [randn(3, 1)], fn: (x) => AG.expand(x, [2, 3, 4]), ref: (x) => view(x, (t) => t.expand(2, 3, 4)) },
  {
    name: 'sumTo [2,3,4]->[3,1]', kernel: (x) => K.sumTo(x, [3, 1]),
    covers: ['sumTo'],
    inputs: [randn(2, 3, 4)],
    fn: (x) => AG.sumTo(x, [3, 1]),
    ref: (x) => new R([3, 1], reduce(x, [0, 2], false, sumOf).data),
  },
  { name: 'squeeze all', kernel: (t) => t.squeeze(), covers: ['squeeze'], inputs: [randn(3, 1, 4, 1)], fn: (x) => AG.squeeze(x), ref: (x) => view(x, (t) => t.squeeze()) },
  { name: 'squeeze axis 1', kernel: (t) => t.squeeze(1), covers: ['squeeze'], inputs: [randn(3, 1, 4)], fn: (x) => AG.squeeze(x, 1), ref: (x) => view(x, (t) => t.squeeze(1)) },
  { name: 'unsqueeze -1', kernel: (t) => t.unsqueeze(-1), covers: ['unsqueeze'], inputs: [randn(3, 4)], fn: (x) => AG.unsqueeze(x, -1), ref: (x) => view(x, (t) => t.unsqueeze(-1)) },
  { name: 'flatten', kernel: (t) => t.flatten(), covers: ['flatten'], inputs: [randn(2, 3, 2)], fn: (x) => AG.flatten(x), ref: (x) => view(x, (t) => t.flatten()) },
  { name: 'flatten 1..2', kernel: (t) => t.flatten(1, 2), covers: ['flatten'], inputs: [randn(2, 3, 2)], fn: (x) => AG.flatten(x, 1, 2), ref: (x) => view(x, (t) => t.flatten(1, 2)) },

  // joins and indexing
  { name: 'concat axis 1', kernel: (a, b) => K.concat([a, b], 1), covers: ['concat'], inputs: [randn(2, 3), randn(2, 2)], fn: (a, b) => AG.concat([a, b], 1), ref: (a, b) => concatRef([a, b], 1) },
  { name: 'concat axis 0 x3 (reuse)', kernel: (a, b) => K.concat([a, b, a], 0), covers: ['concat'], inputs: [randn(2, 3), randn(1, 3)], fn: (a, b) => AG.concat([a, b, a], 0), ref: (a, b) => concatRef([a, b, a], 0) },
  { name: 'stack axis 0', kernel: (a, b) => K.stack([a, b]), covers: ['stack'], inputs: [randn(2, 3), randn(2, 3)], fn: (a, b) => AG.stack([a, b]), ref: (a, b) => stackRef([a, b], 0) },
  { name: 'stack axis -1', kernel: (a, b) => K.stack([a, b], -1), covers: ['stack'], inputs: [randn(2, 3), randn(2, 3)], fn: (a, b) => AG.stack([a, b], -1), ref: (a, b) => stackRef([a, b], 2) },
  {
    name: 'split [1,3] axis 1 (second piece)', kernel: (x) => K.mul(K.split(x, [1, 3], 1)[1]!, 2),
    covers: ['split'],
    inputs: [randn(2, 4)],
    fn: (x) => AG.mul(AG.split(x, [1, 3], 1)[1]!, 2),
    ref: (x) => R.build([2, 3], (i) => 2 * x.get([i[0]!, i[1]! + 1])),
  },
  {
    name: 'gather axis 1 (repeated indices)', kernel: (x) => K.gather(x, int32([0, 0, 3, 2, 1, 1], [3, 2]), 1),
    covers: ['gather'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.gather(x, int32([0, 0, 3, 2, 1, 1], [3, 2]), 1),
    ref: (x) => R.build([3, 2], (i) => x.get([i[0]!, [0, 0, 3, 2, 1, 1][i[0]! * 2 + i[1]!]!])),
  },
  {
    name: 'gather axis 0', kernel: (x) => K.gather(x, int32([2, 0, 1, 1], [2, 2]), 0),
    covers: ['gather'],
    inputs: [randn(3, 2)],
    fn: (x) => AG.gather(x, int32([2, 0, 1, 1], [2, 2]), 0),
    ref: (x) => R.build([2, 2], (i) => x.get([[2, 0, 1, 1][i[0]! * 2 + i[1]!]!, i[1]!])),
  },
  {
    name: 'take axis 0 (repeated indices)', kernel: (x) => K.take(x, int32([2, 0, 2]), 0),
    covers: ['take'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.take(x, [2, 0, 2], 0),
    ref: (x) => R.build([3, 4], (i) => x.get([[2, 0, 2][i[0]!]!, i[1]!])),
  },
  {
    name: 'take axis 1', kernel: (x) => K.take(x, int32([3, 1]), 1),
    covers: ['take'],
    inputs: [randn(2, 4)],
    fn: (x) => AG.take(x, int32([3, 1]), 1),
    ref: (x) => R.build([2, 2], (i) => x.get([i[0]!, [3, 1][i[1]!]!])),
  },
];

// ---- running the table ---------------------------------------------------------------------------

interface Variant {
  label: string;
  inputs: Tensor[];
  fn: Fn;
}

function variantsOf(row: Row): Variant[] {
  const out: Variant[] = [{ label: 'contiguous', inputs: row.inputs, fn: row.fn }];
  if (row.inputs.some((t) => t.dtype !== 'int32' && t.size > 1)) {
    out.push({ label: 'strided (reversed axes, step 2, offset 1)', inputs: row.inputs.map((t) => (t.dtype === 'int32' ? t : strided(t))), fn: row.fn });
  }
  const first = row.inputs[0]!;
  if ((row.expand ?? true) && first.ndim >= 1 && first.shape[0]! > 1) {
    const full = [...first.shape];
    const base = first.slice([0, 1]).contiguous();
    out.push({
      label: `expanded input 0 ${fmtShape(base.shape)} -> ${fmtShape(full)}`,
      inputs: [base, ...row.inputs.slice(1)],
      fn: (x, ...rest) => row.fn(AG.expand(x, full), ...rest),
    });
  }
  return out;
}

function checkForward(row: Row, v: Variant): void {
  const out = v.fn(...v.inputs.map((t) => variable(t)));
  const expandedInputs = v.label.startsWith('expanded') ? [v.inputs[0]!.expand(row.inputs[0]!.shape), ...v.inputs.slice(1)] : v.inputs;
  const ref = row.ref(...expandedInputs.map((t) => R.of(t)));
  expect(out.shape, `${row.name} [${v.label}] shape`).toEqual(ref.shape);
  expect(out.dtype).toBe(row.dtype ?? 'float64');
  if (row.kernel) {
    const want = row.kernel(...expandedInputs);
    expect(want.shape, `${row.name} [${v.label}] kernel shape`).toEqual(out.shape);
    expect(K.maxAbsDiff(out.value, want), `${row.name} [${v.label}] forward vs kernel`).toBeLessThan(1e-12);
  }
  const got = out.value.astype('float64').data;
  const tol = row.forwardTol ?? 1e-10;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.data.length; i++) {
    const err = Math.abs(got[i]! - ref.data[i]!) / (1 + Math.abs(ref.data[i]!));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${row.name} [${v.label}] forward: element ${at} got ${got[at]} expected ${ref.data[at]}`).toBeLessThanOrEqual(tol);
}

/** float32 inputs give a float32 result that matches the float64 reference to float32 precision. */
function checkFloat32(row: Row): void {
  const inputs32 = row.inputs.map((t) => (t.dtype === 'int32' ? t : t.astype('float32')));
  const out = row.fn(...inputs32.map((t) => variable(t)));
  expect(out.dtype, `${row.name} float32 result dtype`).toBe(row.dtype === 'int32' ? 'int32' : 'float32');
  if (row.kernel) {
    // Built-in ops compute their value with exactly this kernel, so float32 results are identical.
    const want = row.kernel(...inputs32);
    expect(want.dtype).toBe(out.dtype);
    if (row.composite) expect(K.maxAbsDiff(out.value, want), `${row.name} float32 vs kernel`).toBeLessThanOrEqual(1e-5);
    else expect(out.value.equals(want), `${row.name} float32 forward equals the kernel's bit for bit`).toBe(true);
  }
  const ref = row.ref(...inputs32.map((t) => R.of(t)));
  const got = out.value.astype('float64').data;
  for (let i = 0; i < ref.data.length; i++) {
    expect(Math.abs(got[i]! - ref.data[i]!), `${row.name} float32 element ${i}`).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(ref.data[i]!)));
  }
}

let gradchecks = 0;
describe('op table', () => {
  for (const row of rows) {
    describe(row.name, () => {
      for (const v of variantsOf(row)) {
        it(v.label, () => {
          for (const t of v.inputs) if (v.label.startsWith('strided') && t.dtype !== 'int32' && t.size > 1) expect(t.isContiguous).toBe(false);
          checkForward(row, v);
          if (v.label === 'contiguous') checkFloat32(row);
          if (row.grad === false) {
            // A constant result even when every float input requires a gradient (like PyTorch's comparisons).
            const out = v.fn(...v.inputs.map((t) => variable(t, { requiresGrad: t.dtype !== 'int32' })));
            expect(out.requiresGrad, `${row.name} result requires no gradient`).toBe(false);
            expect(out.entry, `${row.name} records no tape entry`).toBeNull();
            return;
          }
          const r1 = gradcheck(v.fn, v.inputs, TOL);
          expect(r1.ok).toBe(true);
          expect(r1.checked).toBeGreaterThan(0);
          gradchecks++;
          // The same first derivatives through the recorded (createGraph) backward formulas, which fused
          // ops do not use on their fast path.
          expect(gradcheck(v.fn, v.inputs, { ...TOL, createGraph: true }).ok).toBe(true);
          gradchecks++;
          if (row.gradgrad ?? true) {
            const r2 = gradgradcheck(v.fn, v.inputs, TOL);
            expect(r2.ok).toBe(true);
            gradchecks++;
          }
        });
      }
    });
  }

  it('method forms of the unary ops record the same op and value as the free functions', () => {
    let checked = 0;
    const args: Record<string, number[]> = { leakyRelu: [0.1], elu: [1.5] };
    for (const [name, fn, , x] of unaryRows) {
      const method = (Variable.prototype as unknown as Record<string, unknown>)[name];
      expect(typeof method, `Variable.prototype.${name}`).toBe('function');
      const v = variable(x, { requiresGrad: true });
      const a = (method as (this: Variable, ...p: number[]) => Variable).call(v, ...(args[name] ?? []));
      const b = fn(v);
      expect(a.entry?.op.name).toBe(b.entry?.op.name);
      expect(a.value.equals(b.value)).toBe(true);
      checked++;
    }
    expect(checked).toBe(unaryRows.length);
  });

  it('method forms of the binary ops and reductions match the free functions', () => {
    const a = variable(randn(3, 4), { requiresGrad: true });
    const b = variable(uniform(0.5, 2, 4), { requiresGrad: true });
    const pos = variable(uniform(0.5, 2, 3, 4), { requiresGrad: true });
    const call = (v: Variable, name: string, ...args: unknown[]): Variable =>
      ((Variable.prototype as unknown as Record<string, (...p: unknown[]) => Variable>)[name]!).call(v, ...args);
    const free = AG as unknown as Record<string, (...p: unknown[]) => Variable>;
    const cases: Array<[string, Variable, unknown[]]> = [
      ['add', a, [b]], ['sub', a, [b]], ['mul', a, [b]], ['div', a, [b]], ['pow', pos, [b]], ['maximum', a, [b]], ['minimum', a, [b]],
      ['sum', a, [1, true]], ['mean', a, [0]], ['max', a, [1]], ['min', a, []], ['logsumexp', a, [-1]], ['variance', a, [1]],
      ['std', a, [0]], ['softmax', a, [0]], ['logSoftmax', a, []], ['matmul', a, [a.T]], ['clip', a, [-0.3, 0.3]],
      ['prod', a, [1, true]], ['eq', a, [b]], ['ne', a, [0]], ['lt', a, [b]], ['le', a, [b]], ['gt', a, [0.5]], ['ge', a, [b]],
      ['argmax', a, [1]], ['argmin', a, []],
    ];
    for (const [name, v, args] of cases) {
      const m = call(v, name, ...args);
      const f = free[name]!(v, ...args);
      expect(m.entry?.op.name, name).toBe(f.entry?.op.name);
      expect(m.value.equals(f.value), name).toBe(true);
    }
  });

  it('every exported op function has a row', () => {
    // Everything the package exports that is not an op. A new export must be either listed here or get a row.
    const notOps = new Set([
      'apply', 'backward', 'binary', 'checkFinite', 'constant', 'currentBackward', 'defineOp', 'detectAnomaly',
      'enableGrad', 'formatTape', 'grad', 'gradcheck', 'gradgradcheck', 'gradients', 'hvp', 'inBackwardOf',
      'isAnomalyEnabled', 'isGradEnabled', 'noGrad', 'parameter', 'registerHook', 'stopGradient', 'tape', 'toDot', 'toMermaid',
      'toVariable', 'toVariablePair', 'topologicalOrder', 'valueAndGrad', 'variable', 'vjp', 'withGradMode',
    ]);
    const fromIndex = Object.entries(AG)
      .filter(([name, value]) => typeof value === 'function' && /^[a-z]/.test(name) && !notOps.has(name))
      .map(([name]) => name);
    const fromOpModules = [unaryOps, binaryOps, reduceOps, viewOps, indexingOps, matmulOps, nnOps].flatMap((m) =>
      Object.entries(m)
        .filter(([name, value]) => typeof value === 'function' && /^[a-z]/.test(name) && !notOps.has(name))
        .map(([name]) => name),
    );
    const covered = new Set(rows.flatMap((r) => r.covers));
    const missing = [...new Set([...fromIndex, ...fromOpModules])].filter((name) => !covered.has(name));
    expect(missing, `ops without a row in op-table.test.ts: ${missing.join(', ')}`).toEqual([]);
    expect(fromIndex.length).toBeGreaterThan(50);
  });

  it('ran the gradchecks', () => {
    // Counted across the rows above (vitest runs tests in a file sequentially, in order).
    // gradcheck, gradcheck with createGraph and gradgradcheck on every variant of every row.
    const differentiable = rows.filter((row) => row.grad !== false);
    const variants = differentiable.reduce((n, row) => n + variantsOf(row).length, 0);
    const withGradgrad = differentiable.reduce((n, row) => n + (row.gradgrad ?? true ? variantsOf(row).length : 0), 0);
    expect(gradchecks).toBe(2 * variants + withGradgrad);
    expect(variants).toBeGreaterThan(2.5 * rows.length);
  });
});

describe('errors', () => {
  it('name the op and the shapes', () => {
    const x = AG.variable([[1, 2, 3]]);
    expect(() => AG.matmul(x, x)).toThrow(/matmul: inner dimensions differ.*\[1, 3\]/);
    expect(() => AG.add(x, AG.variable([1, 2]))).toThrow(/add: shapes \[1, 3\] and \[2\] cannot broadcast/);
    expect(() => AG.linear(x, AG.variable([[1], [2]]))).toThrow(/linear: input \[1, 3\] does not end in 2/);
    expect(() => AG.softmaxCrossEntropy(x, int32([3]))).toThrow(/label 3 at position 0 is outside \[0, 3\)/);
    expect(() => AG.softmaxCrossEntropy(x, int32([0, 1]))).toThrow(/class indices must have shape \[1\]/);
    expect(() => AG.softmaxCrossEntropy(x, tensor([[0, 1]]))).toThrow(/one-hot targets must have shape \[1, 3\]/);
    expect(() => AG.lt(x, AG.variable([1, 2]))).toThrow(/\[1, 3\].*\[2\]/);
  });
});

describe('known values', () => {
  it('cross-entropy of equal logits over two classes is ln 2', () => {
    const z = AG.parameter(tensor([[0.3, 0.3], [-1, -1]]));
    const loss = AG.softmaxCrossEntropy(z, int32([0, 1]));
    expect(loss.item()).toBeCloseTo(Math.LN2, 6);
    loss.backward();
    // δ = (softmax − onehot)/N
    expect(z.grad!.toArray()).toEqual([
      [-0.25, 0.25],
      [0.25, -0.25],
    ]);
  });

  it('float32 and float64 gradients agree', () => {
    const x32 = AG.parameter(tensor([[0.1, -0.2], [0.3, 0.4]]));
    const x64 = AG.parameter(tensor([[0.1, -0.2], [0.3, 0.4]], undefined, { dtype: 'float64' }));
    for (const x of [x32, x64]) x.matmul(x).tanh().logsumexp().backward();
    expect(x32.grad!.dtype).toBe('float32');
    expect(K.maxAbsDiff(x32.grad!.astype('float64'), x64.grad!)).toBeLessThan(1e-6);
  });

  it('prod gradients with zeros: one zero → product of the others, two zeros → 0 everywhere', () => {
    const x = AG.parameter(tensor([[2, 0, 3], [0, 5, 0], [1, 2, 4]], undefined, { dtype: 'float64' }));
    AG.prod(x, 1).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 6, 0],
      [0, 0, 0],
      [8, 4, 2],
    ]);
    // Second derivative at two zeros: ∂²(x₀x₁x₂)/∂x₀∂x₂ = x₁ = 5, though the first derivative is 0 there.
    const y = AG.parameter(tensor([0, 5, 0], undefined, { dtype: 'float64' }));
    // A product that underflows to 0 without a zero input still gets the exact products of the others.
    const u = AG.parameter(tensor([1e-200, 1e-200, 1e-10], undefined, { dtype: 'float64' }));
    AG.prod(u).backward();
    expect(u.grad!.toArray()).toEqual([1e-200 * 1e-10, 1e-200 * 1e-10, 0]);
    const dprod = AG.grad((v: Variable) => AG.prod(v));
    expect(dprod(y).toArray()).toEqual([0, 0, 0]);
    const h = AG.grad((v: Variable) => dprod(v).index(0))(y);
    expect(h.toArray()).toEqual([0, 0, 5]);
  });

  it('comparisons give constant 1/0 masks usable as a where condition, with no gradient', () => {
    const a = AG.parameter(tensor([[1, 2, 3], [4, 5, 6]]));
    const m = a.gt(3);
    expect(m.toArray()).toEqual([[0, 0, 0], [1, 1, 1]]);
    expect(m.requiresGrad).toBe(false);
    expect(AG.le(2, a).toArray()).toEqual([[0, 1, 1], [1, 1, 1]]);
    AG.where(m, a, a.mul(0)).sum().backward();
    expect(a.grad!.toArray()).toEqual([[0, 0, 0], [1, 1, 1]]);
    expect(a.argmax(1).dtype).toBe('int32');
    expect(a.argmax(1).toArray()).toEqual([2, 2]);
    expect(AG.argmin(a.neg()).item()).toBe(5);
  });
});
