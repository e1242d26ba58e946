import { checkTensor } from '../args.js';
import { allocate, floatDtype, type DType, type TypedArray } from '../dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { contiguousStrides, normalizeAxes, normalizeAxis, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Which axes to reduce: one axis, a list, or `null`/`undefined` for all of them. */
export type ReduceAxes = number | readonly number[] | null | undefined;

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions {
  /** Keep reduced axes as size-1 dimensions. */
  keepDims?: boolean;
  /** Subtracted from the element count in the divisor: 0 = population (default), 1 = sample (Bessel). */
  correction?: number;
}

// Accumulation kinds of the reduction engine. The shifted ones take a per-output shift from a first pass.
const SUM = 0;
const PROD = 1;
const MAX = 2;
const MIN = 3;
const SUM_EXP_SHIFTED = 4;
const SUM_SQ_SHIFTED = 5;
type Kind = 0 | 1 | 2 | 3 | 4 | 5;

const INIT = [0, 1, -Infinity, Infinity, 0, 0] as const;

/**
 * A reduction laid out for iteration: the kept axes (in output order) and the reduced axes, each with
 * size-1 axes dropped and adjacent axes merged when their strides allow it. A contiguous full reduction
 * thus becomes a single stride-1 row, a contiguous last-axes reduction one stride-1 row per output, and a
 * leading-axes reduction a set of columns.
 */
interface Plan {
  keptShape: number[];
  keptStrides: number[];
  redShape: number[];
  redStrides: number[];
  outSize: number;
  redSize: number;
  /** Shape of the result without keepDims. */
  outShape: number[];
  /** Shape of the result with keepDims. */
  keepShape: number[];
}

function coalesce(shape: number[], strides: number[]): [number[], number[]] {
  const s: number[] = [];
  const st: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = s.length - 1;
    if (last >= 0 && st[last] === strides[i]! * d) {
      s[last] = s[last]! * d;
      st[last] = strides[i]!;
    } else {
      s.push(d);
      st.push(strides[i]!);
    }
  }
  return [s, st];
}

function makePlan(x: Tensor, axes: readonly number[], sortReduced: boolean): Plan {
  const isRed = new Array<boolean>(x.ndim).fill(false);
  for (const a of axes) isRed[a] = true;
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  let red: number[] = [];
  const outShape: number[] = [];
  const keepShape: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (isRed[i]) {
      red.push(i);
      keepShape.push(1);
    } else {
      keptShape.push(x.shape[i]!);
      keptStrides.push(x.strides[i]!);
      outShape.push(x.shape[i]!);
      keepShape.push(x.shape[i]!);
    }
  }
  // The order of reduced axes does not change the result (up to rounding): visit memory outermost-first.
  if (sortReduced) red = red.sort((a, b) => Math.abs(x.strides[b]!) - Math.abs(x.strides[a]!));
  const [ks, kst] = coalesce(keptShape, keptStrides);
  const [rs, rst] = coalesce(
    red.map((a) => x.shape[a]!),
    red.map((a) => x.strides[a]!),
  );
  return {
    keptShape: ks,
    keptStrides: kst,
    redShape: rs,
    redStrides: rst,
    outSize: sizeOf(outShape),
    redSize: sizeOf(red.map((a) => x.shape[a]!)),
    outShape,
    keepShape,
  };
}

/**
 * One step of an odometer over dimensions `0..last` of `shape` (the innermost counts fastest): bumps
 * `counter`, wrapping exhausted dimensions to 0, and returns data offset `p` moved by the matching strides.
 */
function advance(p: number, counter: number[], shape: readonly number[], strides: readonly number[], last: number): number {
  for (let d = last; d >= 0; d--) {
    p += strides[d]!;
    if (++counter[d]! < shape[d]!) return p;
    p -= strides[d]! * shape[d]!;
    counter[d] = 0;
  }
  return p;
}

/** Folds a strided run of `n` elements into `acc` according to `kind`. */
function foldRow(data: TypedArray, p: number, n: number, s: number, kind: Kind, shift: number, acc: number): number {
  switch (kind) {
    case SUM:
      if (s === 1) for (let i = 0; i < n; i++) acc += data[p + i]!;
      else for (let i = 0; i < n; i++) acc += data[p + i * s]!;
      return acc;
    case PROD:
      for (let i = 0; i < n; i++) acc *= data[p + i * s]!;
      return acc;
    case MAX:
      for (let i = 0; i < n; i++) {
        const v = data[p + i * s]!;
        if (v > acc || v !== v) acc = v;
        if (acc !== acc) return acc;
      }
      return acc;
    case MIN:
      for (let i = 0; i < n; i++) {
        const v = data[p + i * s]!;
        if (v < acc || v !== v) acc = v;
        if (acc !== acc) return acc;
      }
      return acc;
    case SUM_EXP_SHIFTED:
      for (let i = 0; i < n; i++) acc += Math.exp(data[p + i * s]! - shift);
      return acc;
    case SUM_SQ_SHIFTED:
      for (let i = 0; i < n; i++) {
        const d = data[p + i * s]! - shift;
        acc += d * d;
      }
      return acc;
    default: {
      const missing: never = kind;
      throw new ValueError(`reduction kind ${String(missing)} has no loop`);
    }
  }
}

/** Folds a strided run of `n` elements, one into each of `acc[o..o+n)`, according to `kind`. */
function foldColumns(
  data: TypedArray,
  p: number,
  n: number,
  s: number,
  kind: Kind,
  shift: Float64Array | null,
  acc: Float64Array,
  o: number,
): void {
  switch (kind) {
    case SUM:
      if (s === 1) for (let k = 0; k < n; k++) acc[o + k] += data[p + k]!;
      else for (let k = 0; k < n; k++) acc[o + k] += data[p + k * s]!;
      return;
    case PROD:
      for (let k = 0; k < n; k++) acc[o + k] *= data[p + k * s]!;
      return;
    case MAX:
      for (let k = 0; k < n; k++) {
        const v = data[p + k * s]!;
        if (v > acc[o + k]! || v !== v) acc[o + k] = v;
      }
      return;
    case MIN:
      for (let k = 0; k < n; k++) {
        const v = data[p + k * s]!;
        if (v < acc[o + k]! || v !== v) acc[o + k] = v;
      }
      return;
    case SUM_EXP_SHIFTED:
      for (let k = 0; k < n; k++) acc[o + k] += Math.exp(data[p + k * s]! - shift![o + k]!);
      return;
    case SUM_SQ_SHIFTED:
      for (let k = 0; k < n; k++) {
        const d = data[p + k * s]! - shift![o + k]!;
        acc[o + k] += d * d;
      }
      return;
    default: {
      const missing: never = kind;
      throw new ValueError(`reduction kind ${String(missing)} has no loop`);
    }
  }
}

/**
 * Runs one reduction pass: returns one float64 accumulator per output element (row-major output order).
 * Picks the loop order by memory layout: when the innermost kept axis is closer together in memory than
 * the innermost reduced axis (e.g. column sums of a row-major matrix), it sweeps whole columns at once;
 * otherwise it reduces one strided row per output.
 */
function runPass(x: Tensor, plan: Plan, kind: Kind, shift: Float64Array | null): Float64Array {
  const { keptShape, keptStrides, redShape, redStrides, outSize } = plan;
  const data = x.data;
  const acc = new Float64Array(outSize).fill(INIT[kind]);
  if (outSize === 0 || plan.redSize === 0) return acc;
  const nk = keptShape.length;
  const nr = redShape.length;
  // A reduction over nothing but size-1 axes: each output sees exactly one element.
  const rShape = nr === 0 ? [1] : redShape;
  const rStrides = nr === 0 ? [0] : redStrides;
  const nrr = rShape.length;
  const rowN = rShape[nrr - 1]!;
  const rowS = rStrides[nrr - 1]!;
  const rowsPerOut = plan.redSize / rowN;
  const rCounter = new Array<number>(nrr).fill(0);

  const columnMode = nk > 0 && keptShape[nk - 1]! > 1 && Math.abs(keptStrides[nk - 1]!) < Math.abs(rowS);
  if (columnMode) {
    const colN = keptShape[nk - 1]!;
    const colS = keptStrides[nk - 1]!;
    const outer = outSize / colN;
    const kCounter = new Array<number>(nk).fill(0);
    let base = x.offset;
    for (let ob = 0; ob < outer; ob++) {
      const o = ob * colN;
      // Odometer over every reduced position, sweeping the kept column at each.
      let p = base;
      rCounter.fill(0);
      for (let r = 0; r < plan.redSize; r++) {
        foldColumns(data, p, colN, colS, kind, shift, acc, o);
        p = advance(p, rCounter, rShape, rStrides, nrr - 1);
      }
      base = advance(base, kCounter, keptShape, keptStrides, nk - 2);
    }
    return acc;
  }

  if (kind === SUM && data instanceof Float32Array && nk === 1 && nr === 1 && rowS === 1) {
    sumRows(data, x.offset, keptStrides[0]!, rowN, outSize, acc);
    return acc;
  }

  const kCounter = new Array<number>(nk).fill(0);
  let base = x.offset;
  for (let o = 0; o < outSize; o++) {
    let a: number = INIT[kind];
    const sh = shift === null ? 0 : shift[o]!;
    let p = base;
    rCounter.fill(0);
    for (let r = 0; r < rowsPerOut; r++) {
      a = foldRow(data, p, rowN, rowS, kind, sh, a);
      p = advance(p, rCounter, rShape, rStrides, nrr - 2);
    }
    acc[o] = a;
    base = advance(base, kCounter, keptShape, keptStrides, nk - 1);
  }
  return acc;
}

/**
 * `acc[o] = Σᵢ data[p + o·step + i]` for `rows` stride-1 rows of `n` float32 elements (a sum over the last
 * axis): four rows at a time with four independent float64 accumulators, each row still added left to right,
 * so the results are bit-identical to the one-row loop of {@link runPass} (about twice as fast: the adds of a
 * single row form one dependency chain).
 */
function sumRows(data: Float32Array, p: number, step: number, n: number, rows: number, acc: Float64Array): void {
  let o = 0;
  for (; o + 4 <= rows; o += 4) {
    const p0 = p + o * step,
      p1 = p0 + step,
      p2 = p1 + step,
      p3 = p2 + step;
    let a0 = 0,
      a1 = 0,
      a2 = 0,
      a3 = 0;
    for (let i = 0; i < n; i++) {
      a0 += data[p0 + i]!;
      a1 += data[p1 + i]!;
      a2 += data[p2 + i]!;
      a3 += data[p3 + i]!;
    }
    acc[o] = a0;
    acc[o + 1] = a1;
    acc[o + 2] = a2;
    acc[o + 3] = a3;
  }
  for (; o < rows; o++) {
    const q = p + o * step;
    let a = 0;
    for (let i = 0; i < n; i++) a += data[q + i]!;
    acc[o] = a;
  }
}

function finish(values: Float64Array, dtype: DType, plan: Plan, keepDims: boolean): Tensor {
  const out = allocate(dtype, values.length);
  out.set(values); // converts like element assignment (rounds to float32, truncates to int32)
  return new Tensor(out, keepDims ? plan.keepShape : plan.outShape);
}

function requireNonEmpty(fn: string, x: Tensor, plan: Plan, axes: ReduceAxes): void {
  if (plan.redSize === 0 && plan.outSize > 0) {
    throw new ValueError(
      `${fn}: cannot reduce an empty selection: ` +
        `tensor of shape ${fmtShape(x.shape)} over axes ${fmtAxes(axes)} has 0 elements per result; ` +
        `expected at least 1`,
    );
  }
}

const fmtAxes = (axes: ReduceAxes): string =>
  axes === undefined || axes === null ? 'all' : typeof axes === 'number' ? `${axes}` : `[${axes.join(', ')}]`;

function simple(fn: string, x: Tensor, axes: ReduceAxes, keepDims: boolean, kind: Kind): Tensor {
  checkTensor(fn, x);
  const plan = makePlan(x, normalizeAxes(fn, axes, x.ndim), true);
  if (kind === MAX || kind === MIN) requireNonEmpty(fn, x, plan, axes);
  return finish(runPass(x, plan, kind, null), x.dtype, plan, keepDims);
}

/** Σ over `axes` (all by default); int32 stays int32.   ∂x = broadcast(grad) */
export function sum(x: Tensor, axes?: ReduceAxes, keepDims = false): Tensor {
  return simple('sum', x, axes, keepDims, SUM);
}

/** Π over `axes` (all by default); the product of nothing is 1.   ∂x = grad·prod/x (for x ≠ 0) */
export function prod(x: Tensor, axes?: ReduceAxes, keepDims = false): Tensor {
  return simple('prod', x, axes, keepDims, PROD);
}

/** Largest element over `axes`; NaN if any element is NaN.   ∂x = grad where x = max (ties share) */
export function max(x: Tensor, axes?: ReduceAxes, keepDims = false): Tensor {
  return simple('max', x, axes, keepDims, MAX);
}

/** Smallest element over `axes`; NaN if any element is NaN.   ∂x = grad where x = min (ties share) */
export function min(x: Tensor, axes?: ReduceAxes, keepDims = false): Tensor {
  return simple('min', x, axes, keepDims, MIN);
}

/** Arithmetic mean over `axes` (float result; int32 gives float32).   ∂x = broadcast(grad)/n */
export function mean(x: Tensor, axes?: ReduceAxes, keepDims = false): Tensor {
  checkTensor('mean', x);
  const plan = makePlan(x, normalizeAxes('mean', axes, x.ndim), true);
  requireNonEmpty('mean', x, plan, axes);
  const acc = runPass(x, plan, SUM, null);
  const n = plan.redSize;
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! / n;
  return finish(acc, floatDtype(x.dtype), plan, keepDims);
}

/** log Σ exp x over `axes`, computed as m + log Σ exp(x − m) with m the max.   ∂x = grad·softmax(x) */
export function logsumexp(x: Tensor, axes?: ReduceAxes, keepDims = false): Tensor {
  checkTensor('logsumexp', x);
  const plan = makePlan(x, normalizeAxes('logsumexp', axes, x.ndim), true);
  const m = runPass(x, plan, MAX, null);
  // An infinite or NaN max is the answer itself (and would make x − m NaN).
  const shift = new Float64Array(m.length);
  for (let i = 0; i < m.length; i++) shift[i] = Number.isFinite(m[i]!) ? m[i]! : 0;
  const s = runPass(x, plan, SUM_EXP_SHIFTED, shift);
  for (let i = 0; i < s.length; i++) s[i] = Number.isFinite(m[i]!) ? m[i]! + Math.log(s[i]!) : m[i]!;
  return finish(s, floatDtype(x.dtype), plan, keepDims);
}

/** The `correction` of a variance or std for `fn` (this kernel's and autograd's): a finite number ≥ 0. */
export function checkCorrection(fn: string, correction: unknown): number {
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0) {
    throw new ValueError(`${fn}: correction ${fmtValue(correction)} must be a non-negative number (0 = population, 1 = sample)`);
  }
  return correction;
}

function varianceValues(fn: string, x: Tensor, axes: ReduceAxes, correction: number): [Float64Array, Plan] {
  checkTensor(fn, x);
  checkCorrection(fn, correction);
  const plan = makePlan(x, normalizeAxes(fn, axes, x.ndim), true);
  requireNonEmpty(fn, x, plan, axes);
  const n = plan.redSize;
  const mu = runPass(x, plan, SUM, null);
  for (let i = 0; i < mu.length; i++) mu[i] = mu[i]! / n;
  // Two passes (mean, then squared deviations) instead of E[x²] − E[x]², which cancels catastrophically.
  const ss = runPass(x, plan, SUM_SQ_SHIFTED, mu);
  const div = Math.max(0, n - correction);
  for (let i = 0; i < ss.length; i++) ss[i] = ss[i]! / div;
  return [ss, plan];
}

/** Σ(x − mean)² / (n − correction) over `axes`.   ∂x = grad·2(x − mean)/(n − correction) */
export function variance(x: Tensor, axes?: ReduceAxes, options: VarianceOptions = {}): Tensor {
  const [v, plan] = varianceValues('variance', x, axes, options.correction ?? 0);
  return finish(v, floatDtype(x.dtype), plan, options.keepDims ?? false);
}

/** √variance over `axes`.   ∂x = grad·(x − mean)/((n − correction)·std) */
export function std(x: Tensor, axes?: ReduceAxes, options: VarianceOptions = {}): Tensor {
  const [v, plan] = varianceValues('std', x, axes, options.correction ?? 0);
  for (let i = 0; i < v.length; i++) v[i] = Math.sqrt(v[i]!);
  return finish(v, floatDtype(x.dtype), plan, options.keepDims ?? false);
}

function argReduce(fn: string, x: Tensor, axis: number | undefined | null, keepDims: boolean, isMax: boolean): Tensor {
  checkTensor(fn, x);
  const axes = axis === undefined || axis === null ? normalizeAxes(fn, null, x.ndim) : [normalizeAxis(fn, axis, x.ndim)];
  // Reduced axes stay in row-major order so the running count is the flat index along them.
  const plan = makePlan(x, axes, false);
  requireNonEmpty(fn, x, plan, axis);
  const { keptShape, keptStrides, outSize } = plan;
  const rShape = plan.redShape.length === 0 ? [1] : plan.redShape;
  const rStrides = plan.redShape.length === 0 ? [0] : plan.redStrides;
  const nrr = rShape.length;
  const rowN = rShape[nrr - 1]!;
  const rowS = rStrides[nrr - 1]!;
  const rowsPerOut = plan.redSize / rowN;
  const data = x.data;
  const out = new Int32Array(outSize);
  const nk = keptShape.length;
  const kCounter = new Array<number>(nk).fill(0);
  const rCounter = new Array<number>(nrr).fill(0);
  let base = x.offset;
  for (let o = 0; o < outSize; o++) {
    let best = isMax ? -Infinity : Infinity;
    let bestI = 0;
    let count = 0;
    let p = base;
    rCounter.fill(0);
    rows: for (let r = 0; r < rowsPerOut; r++) {
      for (let i = 0; i < rowN; i++, count++) {
        const v = data[p + i * rowS]!;
        // NaN wins (first one), as in NumPy; ties keep the first index.
        if (v !== v) {
          bestI = count;
          break rows;
        }
        if (isMax ? v > best : v < best) {
          best = v;
          bestI = count;
        }
      }
      p = advance(p, rCounter, rShape, rStrides, nrr - 2);
    }
    // An all −∞ (resp. +∞) row never beats the initial value: index 0 is the first extreme element.
    out[o] = bestI;
    base = advance(base, kCounter, keptShape, keptStrides, nk - 1);
  }
  return new Tensor(out, keepDims ? plan.keepShape : plan.outShape);
}

/** Index (int32) of the largest element along `axis`, or in the flattened tensor when `axis` is omitted. */
export function argmax(x: Tensor, axis?: number | null, keepDims = false): Tensor {
  return argReduce('argmax', x, axis, keepDims, true);
}

/** Index (int32) of the smallest element along `axis`, or in the flattened tensor when `axis` is omitted. */
export function argmin(x: Tensor, axis?: number | null, keepDims = false): Tensor {
  return argReduce('argmin', x, axis, keepDims, false);
}

function softmaxImpl(fn: string, x: Tensor, axis: number, log: boolean): Tensor {
  checkTensor(fn, x);
  if (x.ndim === 0) throw new ShapeError(`${fn}: got a 0-d tensor; expected at least 1 dimension`);
  const ax = normalizeAxis(fn, axis, x.ndim);
  const out = allocate(floatDtype(x.dtype), x.size);
  if (x.size === 0) return new Tensor(out, x.shape);
  const inner = sizeOf(x.shape.slice(ax + 1));
  if (x.isContiguous && inner > 1) {
    softmaxColumns(x, ax, inner, log, out);
    return new Tensor(out, x.shape);
  }
  const outStrides = contiguousStrides(x.shape);
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const keptOut: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (i === ax) continue;
    keptShape.push(x.shape[i]!);
    keptStrides.push(x.strides[i]!);
    keptOut.push(outStrides[i]!);
  }
  const n = x.shape[ax]!;
  const s = x.strides[ax]!;
  const os = outStrides[ax]!;
  const rows = x.size / n;
  const nk = keptShape.length;
  const counter = new Array<number>(nk).fill(0);
  const data = x.data;
  let p = x.offset;
  let q = 0;
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = data[p + i * s]!;
      if (v > m || v !== v) m = v;
    }
    // Subtracting the max keeps exp from overflowing; the result is mathematically unchanged.
    let total = 0;
    if (log) {
      for (let i = 0; i < n; i++) total += Math.exp(data[p + i * s]! - m);
      const c = m + Math.log(total);
      for (let i = 0; i < n; i++) out[q + i * os] = data[p + i * s]! - c;
    } else {
      for (let i = 0; i < n; i++) {
        const e = Math.exp(data[p + i * s]! - m);
        out[q + i * os] = e;
        total += e;
      }
      const inv = 1 / total;
      for (let i = 0; i < n; i++) out[q + i * os] = out[q + i * os]! * inv;
    }
    for (let d = nk - 1; d >= 0; d--) {
      p += keptStrides[d]!;
      q += keptOut[d]!;
      if (++counter[d]! < keptShape[d]!) break;
      p -= keptStrides[d]! * keptShape[d]!;
      q -= keptOut[d]! * keptShape[d]!;
      counter[d] = 0;
    }
  }
  return new Tensor(out, x.shape);
}

/**
 * Softmax of a contiguous tensor along a non-last axis, viewed as [outer, n, inner]: sweeps whole rows of
 * `inner` columns at a time (memory order) instead of striding down each column.
 */
function softmaxColumns(x: Tensor, ax: number, inner: number, log: boolean, out: TypedArray): void {
  const n = x.shape[ax]!;
  const outer = x.size / (n * inner);
  const data = x.data;
  const m = new Float64Array(inner);
  const total = new Float64Array(inner);
  for (let a = 0; a < outer; a++) {
    const q0 = a * n * inner;
    const p0 = x.offset + q0;
    m.fill(-Infinity);
    total.fill(0);
    for (let r = 0; r < n; r++) {
      const p = p0 + r * inner;
      for (let k = 0; k < inner; k++) {
        const v = data[p + k]!;
        if (v > m[k]! || v !== v) m[k] = v;
      }
    }
    for (let r = 0; r < n; r++) {
      const p = p0 + r * inner;
      const q = q0 + r * inner;
      for (let k = 0; k < inner; k++) {
        const e = Math.exp(data[p + k]! - m[k]!);
        if (!log) out[q + k] = e;
        total[k] += e;
      }
    }
    if (log) for (let k = 0; k < inner; k++) m[k] = m[k]! + Math.log(total[k]!);
    else for (let k = 0; k < inner; k++) total[k] = 1 / total[k]!;
    for (let r = 0; r < n; r++) {
      const p = p0 + r * inner;
      const q = q0 + r * inner;
      if (log) for (let k = 0; k < inner; k++) out[q + k] = data[p + k]! - m[k]!;
      else for (let k = 0; k < inner; k++) out[q + k] = out[q + k]! * total[k]!;
    }
  }
}

/** exp(x − max) / Σ exp(x − max) along `axis` (default last).   ∂x = y·(grad − Σ grad·y) */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxImpl('softmax', x, axis, false);
}

/** x − max − log Σ exp(x − max) along `axis` (default last).   ∂x = grad − softmax(x)·Σ grad */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxImpl('logSoftmax', x, axis, true);
}

/**
 * Reduces a broadcast result back to `shape` (the adjoint of broadcasting): leading extra axes are summed
 * and dropped, axes where `shape` has 1 are summed and kept. Always returns a new contiguous tensor.
 * @example sumTo(grad, [10])   // grad of a [32, 10] broadcast sum → bias gradient of shape [10]
 */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('sumTo', x);
  const lead = x.ndim - shape.length;
  const fail = (why: string): never => {
    throw new ShapeError(
      `sumTo: cannot reduce shape ${fmtShape(x.shape)} to ${fmtShape(shape)}: ${why}; ` +
        `expected a shape that ${fmtShape(x.shape)} is a broadcast of`,
    );
  };
  if (lead < 0) fail(`target has more dimensions (${shape.length}) than the input (${x.ndim})`);
  const axes: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (i < lead) {
      axes.push(i);
      continue;
    }
    const t = shape[i - lead]!;
    const d = x.shape[i]!;
    if (t === d) continue;
    if (t === 1) axes.push(i);
    else fail(`dimension ${i - x.ndim} is ${d} in the input but ${t} in the target`);
  }
  if (axes.length === 0) return x.clone();
  return sum(x, axes, true).reshape(shape);
}
