import * as K from '@tapegrad/tensor';
import { normalizeAxes, normalizeAxis } from '@tapegrad/tensor';
import { apply, type Op } from '../op.js';
import { constant, toVariable, type Operand } from '../variable.js';
import type { Variable } from '../variable.js';
import { concat, expand, permute, reshape, slice } from './shape.js';

/** Axes to reduce over: one axis, a list, or null/undefined for all of them. */
export type Axes = number | readonly number[] | null | undefined;

/** The input shape with each reduced axis set to 1 (the keepDims shape). */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** g (reduced) broadcast back over the reduced axes of `x`. */
function spread(g: Variable, x: Variable, axes: readonly number[]): Variable {
  return expand(g.reshape(keptShape(x.shape, axes)), x.shape);
}

/** y = Σ_axes x   ∂x = g broadcast over the reduced axes */
export const Sum = (axes: readonly number[], keepDims: boolean): Op => ({
  name: 'sum',
  forward: ([x]) => K.sum(x, axes, keepDims),
  backward: (g, { inputs: [x] }) => [spread(g, x, axes)],
});

/** y = mean_axes x   ∂x = g broadcast over the reduced axes / n */
export const Mean = (axes: readonly number[], keepDims: boolean): Op => ({
  name: 'mean',
  forward: ([x]) => K.mean(x, axes, keepDims),
  backward: (g, { inputs: [x] }) => {
    let n = 1;
    for (const a of axes) n *= x.shape[a]!;
    return [spread(g, x, axes).div(n)];
  },
});

/**
 * y = Π_axes x   ∂xᵢ = g·Π_{j≠i} xⱼ — computed as g·y/x when x has no zero, else as the product of exclusive
 * prefix and suffix products along the reduced axes (exact with zeros, and differentiable again)
 */
export const Prod = (axes: readonly number[], keepDims: boolean): Op => ({
  name: 'prod',
  forward: ([x]) => K.prod(x, axes, keepDims),
  backward: (g, { inputs: [x], output: y }) => {
    const gx = spread(g, x, axes);
    if (x.size === 0) return [gx];
    // y/x is Π_{j≠i} xⱼ unless some x is 0 (0/0) or a product underflowed to 0: then multiply it out.
    if (!hasZero(x.value) && !hasZero(y.value)) return [gx.mul(spread(y, x, axes)).div(x)];
    return [gx.mul(productOfOthers(x, axes))];
  },
});

/** Whether any element of `t` is zero. */
function hasZero(t: K.Tensor): boolean {
  const v = t.values();
  for (let i = 0; i < v.length; i++) if (v[i] === 0) return true;
  return false;
}

/** Π_{j≠i} xⱼ over the reduced axes, for every element i of `x`, using only multiplications (no division). */
function productOfOthers(x: Variable, axes: readonly number[]): Variable {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...kept, ...axes];
  let m = 1;
  for (const a of kept) m *= x.shape[a]!;
  let n = 1;
  for (const a of axes) n *= x.shape[a]!;
  const rows = reshape(permute(x, order), [m, n]);
  const ones = (k: number): Variable => constant(K.ones([m, k], { dtype: x.dtype }));
  // Exclusive prefix products: [1, x₀, x₀x₁, …]; suffix products are prefix products of the reversed rows.
  const exclusive = (r: Variable): Variable => (n === 1 ? ones(1) : concat([ones(1), slice(inclusiveScan(r, n, ones), null, [0, n - 1])], 1));
  const reverse = (r: Variable): Variable => slice(r, null, [null, null, -1]);
  const others = exclusive(rows).mul(reverse(exclusive(reverse(rows))));
  const permuted = order.map((a) => x.shape[a]!);
  const inverse = new Array<number>(order.length);
  order.forEach((a, i) => (inverse[a] = i));
  return permute(reshape(others, permuted), inverse);
}

/** Inclusive cumulative product along axis 1 of an [m, n] variable in ⌈log₂ n⌉ shifted multiplications. */
function inclusiveScan(r: Variable, n: number, ones: (k: number) => Variable): Variable {
  let y = r;
  for (let s = 1; s < n; s *= 2) y = y.mul(concat([ones(s), slice(y, null, [0, n - s])], 1));
  return y;
}

/** y = max_axes x   ∂x = g at the maximum (split evenly between ties) */
export const Max = (axes: readonly number[], keepDims: boolean): Op => extremum('max', K.max, axes, keepDims);

/** y = min_axes x   ∂x = g at the minimum (split evenly between ties) */
export const Min = (axes: readonly number[], keepDims: boolean): Op => extremum('min', K.min, axes, keepDims);

function extremum(name: string, kernel: typeof K.max, axes: readonly number[], keepDims: boolean): Op {
  return {
    name,
    forward: ([x]) => kernel(x, axes, keepDims),
    backward: (g, { inputs: [x], output: y }) => {
      const hit = K.eq(x.value, y.value.reshape(keptShape(x.shape, axes)).expand(x.shape));
      const share = K.div(hit, K.sum(hit, axes, true));
      return [spread(g, x, axes).mul(constant(share))];
    },
  };
}

/** y = ln Σ_axes eˣ   ∂x = g·e^(x − y) (the softmax over the axes) */
export const LogSumExp = (axes: readonly number[], keepDims: boolean): Op => ({
  name: 'logsumexp',
  forward: ([x]) => K.logsumexp(x, axes, keepDims),
  backward: (g, { inputs: [x], output: y }) => [spread(g, x, axes).mul(x.sub(spread(y, x, axes)).exp())],
});

/** y = softmax(x) along axis   ∂x = y·(g − Σ_axis g·y) */
export const Softmax = (axis: number): Op => ({
  name: 'softmax',
  forward: ([x]) => K.softmax(x, axis),
  backward: (g, { output: y }) => [y.mul(g.sub(g.mul(y).sum(axis, true)))],
});

/** y = x − logsumexp(x) along axis   ∂x = g − eʸ·Σ_axis g */
export const LogSoftmax = (axis: number): Op => ({
  name: 'logSoftmax',
  forward: ([x]) => K.logSoftmax(x, axis),
  backward: (g, { output: y }) => [g.sub(y.exp().mul(g.sum(axis, true)))],
});

// ---- free functions -----------------------------------------------------------------------------

/** Applies the reduction op `make` over `axes` (normalized against `x`, errors naming `name`). */
function reduction(name: string, make: (axes: readonly number[], keepDims: boolean) => Op, x: Operand, axes: Axes, keepDims: boolean): Variable {
  const v = toVariable(x);
  return apply(make(normalizeAxes(name, axes, v.ndim), keepDims), [v]);
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Operand, axes?: Axes, keepDims = false): Variable {
  return reduction('sum', Sum, x, axes, keepDims);
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Operand, axes?: Axes, keepDims = false): Variable {
  return reduction('mean', Mean, x, axes, keepDims);
}

/** Product over `axes` (all when omitted); the gradient is exact when inputs contain zeros. */
export function prod(x: Operand, axes?: Axes, keepDims = false): Variable {
  return reduction('prod', Prod, x, axes, keepDims);
}

/** Maximum over `axes` (all when omitted); ties share the gradient. */
export function max(x: Operand, axes?: Axes, keepDims = false): Variable {
  return reduction('max', Max, x, axes, keepDims);
}

/** Minimum over `axes` (all when omitted); ties share the gradient. */
export function min(x: Operand, axes?: Axes, keepDims = false): Variable {
  return reduction('min', Min, x, axes, keepDims);
}

/** ln Σ eˣ over `axes`, computed stably. */
export function logsumexp(x: Operand, axes?: Axes, keepDims = false): Variable {
  return reduction('logsumexp', LogSumExp, x, axes, keepDims);
}

/** Index of the largest element along `axis` (of the flattened input when omitted), as int32; no gradient. */
export function argmax(x: Operand, axis?: number | null, keepDims = false): Variable {
  return constant(K.argmax(toVariable(x).value, axis, keepDims));
}

/** Index of the smallest element along `axis` (of the flattened input when omitted), as int32; no gradient. */
export function argmin(x: Operand, axis?: number | null, keepDims = false): Variable {
  return constant(K.argmin(toVariable(x).value, axis, keepDims));
}

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions {
  /** Keep reduced axes as size 1. */
  keepDims?: boolean;
  /** Subtracted from the count in the denominator: 0 for the population variance, 1 for Bessel's. */
  correction?: number;
}

/** Σ(x − mean)² / (n − correction) over `axes`; a composite of differentiable ops (no own backward). */
export function variance(x: Operand, axes?: Axes, options: VarianceOptions = {}): Variable {
  const v = toVariable(x);
  const resolved = normalizeAxes('variance', axes, v.ndim);
  let n = 1;
  for (const a of resolved) n *= v.shape[a]!;
  const d = v.sub(mean(v, resolved, true));
  return sum(d.square(), resolved, options.keepDims ?? false).div(n - (options.correction ?? 0));
}

/** √variance over `axes`. */
export function std(x: Operand, axes?: Axes, options: VarianceOptions = {}): Variable {
  return variance(x, axes, options).sqrt();
}

/** eˣ / Σ eˣ along `axis`, computed stably. */
export function softmax(x: Operand, axis = -1): Variable {
  const v = toVariable(x);
  return apply(Softmax(normalizeAxis('softmax', axis, v.ndim)), [v]);
}

/** x − logsumexp(x) along `axis`, computed stably. */
export function logSoftmax(x: Operand, axis = -1): Variable {
  const v = toVariable(x);
  return apply(LogSoftmax(normalizeAxis('logSoftmax', axis, v.ndim)), [v]);
}
