/**
 * Inputs of the op table: seeded random tensors (each rows module draws from a generator of its own, so its
 * rows do not depend on the order modules load in) and the strided copy every row is also run on.
 */
import { Generator, Tensor } from '@tapegrad/tensor';

/** The input makers of one rows module, drawing from a generator seeded with `seed`. */
export function drawer(seed: number): {
  randn: (...shape: number[]) => Tensor;
  uniform: (lo: number, hi: number, ...shape: number[]) => Tensor;
  awayFromZero: (gap: number, ...shape: number[]) => Tensor;
  distinct: (...shape: number[]) => Tensor;
  ties: (...shape: number[]) => Tensor;
} {
  const gen = new Generator(seed);
  const make = (shape: number[], draw: () => number): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = draw();
    return new Tensor(data, shape);
  };
  return {
    /** Standard normal. */
    randn: (...shape) => make(shape, () => gen.normal()),
    /** Uniform in [lo, hi). */
    uniform: (lo, hi, ...shape) => make(shape, () => lo + (hi - lo) * gen.random()),
    /** Normal values pushed at least `gap` away from 0 (for ops with a kink at 0). */
    awayFromZero: (gap, ...shape) =>
      make(shape, () => {
        const x = gen.normal();
        return x + (x < 0 ? -gap : gap);
      }),
    /** Distinct values (a shuffled, spaced ramp plus noise): no ties for max/min/maximum. */
    distinct: (...shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const ramp = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.37 + 0.05 * gen.random());
      for (let i = n - 1; i > 0; i--) {
        const j = gen.int(0, i + 1);
        [ramp[i], ramp[j]] = [ramp[j]!, ramp[i]!];
      }
      return new Tensor(Float64Array.from(ramp), shape);
    },
    /** Small integers in {-1, 0, 1}: many exact ties, for comparisons. */
    ties: (...shape) => make(shape, () => gen.int(-1, 2)),
  };
}

/** An int32 tensor (indices, labels). */
export const int32 = (values: number[], shape = [values.length]): Tensor => new Tensor(Int32Array.from(values), shape);

/** Normal values with exact zeros at the given flat positions. */
export const withZeros = (t: Tensor, at: number[]): Tensor => {
  for (const i of at) (t.data as Float64Array)[i] = 0;
  return t;
};

/** Gradcheck tolerances: tighter than the defaults (float64 central differences are good to ~1e-9 here). */
export const TOL = { atol: 1e-6, rtol: 1e-5 };

/** The same logical values in a non-contiguous layout: axes reversed in memory, stride 2, offset 1. */
export function strided(t: Tensor): Tensor {
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
