/** Naive float64 references of the op table: plain loops over row-major arrays, independent of the kernels. */
import { Tensor } from '@tapegrad/tensor';

/** A contiguous row-major float64 array with a shape: the reference implementations work on these. */
export class R {
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

export const bshape = (...shapes: number[][]): number[] => {
  const n = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => Math.max(...shapes.map((s) => s[s.length - n + i] ?? 1)));
};
export const map = (x: R, f: (v: number) => number): R => R.build(x.shape, (i) => f(x.get(i)));
export const zip = (a: R, b: R, f: (x: number, y: number) => number): R =>
  R.build(bshape(a.shape, b.shape), (i) => f(a.bget(i), b.bget(i)));
export const normAxes = (axes: number | number[] | null | undefined, nd: number): number[] =>
  axes === null || axes === undefined
    ? Array.from({ length: nd }, (_, i) => i)
    : (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + nd : a));

/** Applies `f` to the values along `axes` for every position of the other axes. */
export function reduce(x: R, axes: number | number[] | null | undefined, keepDims: boolean, f: (vals: number[]) => number): R {
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
  return keepDims
    ? out
    : new R(
        kept.filter((_, a) => !ax.includes(a)),
        out.data,
      );
}

/** Replaces each lane along `axis` by `f(lane)`. */
export function along(x: R, axis: number, f: (vals: number[]) => number[]): R {
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

export const sumOf = (v: number[]): number => v.reduce((s, x) => s + x, 0);
export const prodOf = (v: number[]): number => v.reduce((s, x) => s * x, 1);
export const lse = (v: number[]): number => {
  const m = Math.max(...v);
  return m + Math.log(sumOf(v.map((x) => Math.exp(x - m))));
};
export const softmaxLane = (v: number[]): number[] => {
  const l = lse(v);
  return v.map((x) => Math.exp(x - l));
};

/** NumPy matmul: 1-D operands are promoted and the added axis removed; batch axes broadcast. */
export function matmulRef(a: R, b: R): R {
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
export const view = (x: R, f: (t: Tensor) => Tensor): R => R.of(f(x.tensor()));

export function concatRef(xs: R[], axis: number): R {
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
export function stackRef(xs: R[], axis: number): R {
  const nd = xs[0]!.shape.length + 1;
  const a = axis < 0 ? axis + nd : axis;
  const shape = [...xs[0]!.shape];
  shape.splice(a, 0, xs.length);
  return R.build(shape, (i) => xs[i[a]!]!.get(i.filter((_, k) => k !== a)));
}
export const erfRef = (x: number): number => {
  // Maclaurin series; exact to ~1e-14 for |x| < 3 (inputs are kept there).
  let term = x;
  let s = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    s += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
};
export const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));
