/**
 * The op table, reductions (over `axes`, with `keepDims`) and the softmax family. A reduction's VJP spreads
 * the gradient back over the reduced axes; its JVP reduces the weighted tangent.
 */
import * as K from '@tapegrad/tensor';
import { normalizeAxes, normalizeAxis, type Tensor } from '@tapegrad/tensor';
import type { Operand, Variable } from '../core.js';
import { constant, toVariable } from '../variable.js';
import { where } from './binary.js';
import { concat } from './indexing.js';
import { countOver, keptShape, reductionOp, spread, unaryOp, type Axes } from './kinds.js';
import { composite, nonDifferentiable, primitive, type OpFunction } from './spec.js';

export type { Axes } from './kinds.js';

/** Sum over `axes` (all when omitted). */
export const sum = reductionOp({
  name: 'sum',
  math: 'y = Σ_axes x   ∂x = g spread over the axes   ẏ = Σ_axes ẋ',
  kernel: K.sum,
  vjp: (g, { x, axes }) => spread(g, x, axes),
  jvp: (dx, { axes, keepDims }) => dx.sum(axes, keepDims),
});

/** Mean over `axes` (all when omitted). */
export const mean = reductionOp({
  name: 'mean',
  math: 'y = mean_axes x   ∂x = g spread over the axes / n   ẏ = mean_axes ẋ',
  kernel: K.mean,
  vjp: (g, { x, axes }) => spread(g, x, axes).div(countOver(x, axes)),
  jvp: (dx, { axes, keepDims }) => dx.mean(axes, keepDims),
});

/** Π_{j≠i} xⱼ over the reduced axes for every element i: y/x when no x is 0 (and y did not underflow), else multiplied out. */
function othersProduct(x: Variable, y: Variable, axes: readonly number[]): { times: Variable; over: Variable | null } {
  if (!hasZero(x.value) && !hasZero(y.value)) return { times: spread(y, x, axes), over: x };
  return { times: productOfOthers(x, axes), over: null };
}

/** Product over `axes` (all when omitted); the gradient is exact when inputs contain zeros. */
export const prod = reductionOp({
  name: 'prod',
  math: 'y = Π_axes x   ∂xᵢ = g·Π_{j≠i} xⱼ   ẏ = Σ_axes ẋᵢ·Π_{j≠i} xⱼ',
  kernel: K.prod,
  vjp: (g, { x, y, axes }) => {
    const gx = spread(g, x, axes);
    if (x.size === 0) return gx;
    const { times, over } = othersProduct(x, y, axes);
    return over === null ? gx.mul(times) : gx.mul(times).div(over);
  },
  jvp: (dx, { x, y, axes, keepDims }) => {
    if (x.size === 0) return dx.sum(axes, keepDims);
    const { times, over } = othersProduct(x, y, axes);
    return (over === null ? dx.mul(times) : dx.mul(times).div(over)).sum(axes, keepDims);
  },
});

/** Whether any element of `t` is zero. */
function hasZero(t: Tensor): boolean {
  const v = t.values();
  for (let i = 0; i < v.length; i++) if (v[i] === 0) return true;
  return false;
}

/** Π_{j≠i} xⱼ over the reduced axes, for every element i of `x`, using only multiplications (no division). */
function productOfOthers(x: Variable, axes: readonly number[]): Variable {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...kept, ...axes];
  const m = countOver(x, kept);
  const n = countOver(x, axes);
  const rows = x.permute(order).reshape([m, n]);
  const ones = (k: number): Variable => constant(K.ones([m, k], { dtype: x.dtype }));
  // Exclusive prefix products: [1, x₀, x₀x₁, …]; suffix products are prefix products of the reversed rows.
  const exclusive = (r: Variable): Variable =>
    n === 1 ? ones(1) : concat([ones(1), inclusiveScan(r, n, ones).slice(null, [0, n - 1])], 1);
  const reverse = (r: Variable): Variable => r.slice(null, [null, null, -1]);
  const others = exclusive(rows).mul(reverse(exclusive(reverse(rows))));
  const inverse = new Array<number>(order.length);
  order.forEach((a, i) => (inverse[a] = i));
  return others.reshape(order.map((a) => x.shape[a]!)).permute(inverse);
}

/** Inclusive cumulative product along axis 1 of an [m, n] variable in ⌈log₂ n⌉ shifted multiplications. */
function inclusiveScan(r: Variable, n: number, ones: (k: number) => Variable): Variable {
  let y = r;
  for (let s = 1; s < n; s *= 2) y = y.mul(concat([ones(s), y.slice(null, [0, n - s])], 1));
  return y;
}

/** Where x attains its extremum y, each hit's share 1/(number of ties) — a constant. */
function tieShare(x: Variable, y: Variable, axes: readonly number[]): Variable {
  const hit = K.eq(x.value, y.value.reshape(keptShape(x.shape, axes)).expand(x.shape));
  return constant(K.div(hit, K.sum(hit, axes, true)));
}

/** An extremum over the axes: the gradient (and the tangent) goes to the elements attaining it, shared between ties. */
const extremum = (name: 'max' | 'min', kernel: typeof K.max, word: string): ReturnType<typeof reductionOp> =>
  reductionOp({
    name,
    math: `y = ${name}_axes x   ∂x = g at the ${word} (split evenly between ties)   ẏ = ẋ at the ${word} (averaged over ties)`,
    kernel,
    vjp: (g, { x, y, axes }) => spread(g, x, axes).mul(tieShare(x, y, axes)),
    jvp: (dx, { x, y, axes, keepDims }) => dx.mul(tieShare(x, y, axes)).sum(axes, keepDims),
  });

/** Maximum over `axes` (all when omitted); ties share the gradient. */
export const max = extremum('max', K.max, 'maximum');

/** Minimum over `axes` (all when omitted); ties share the gradient. */
export const min = extremum('min', K.min, 'minimum');

/** ln Σ eˣ over `axes`, computed stably. */
export const logsumexp = reductionOp({
  name: 'logsumexp',
  math: 'y = ln Σ_axes eˣ   ∂x = g·e^(x − y)   ẏ = Σ_axes ẋ·e^(x − y)   (e^(x − y) is the softmax over the axes)',
  kernel: K.logsumexp,
  vjp: (g, { x, y, axes }) => spread(g, x, axes).mul(x.sub(spread(y, x, axes)).exp()),
  jvp: (dx, { x, y, axes, keepDims }) => dx.mul(x.sub(spread(y, x, axes)).exp()).sum(axes, keepDims),
});

/** The axis of a softmax, normalized. */
interface AxisParams {
  axis: number;
}

/** The `args` of a softmax-like entry `name(x, axis = -1)`: x, and the axis normalized. */
const alongAxis =
  (name: string) =>
  (x: Operand, axis = -1): { inputs: Variable[]; params: AxisParams } => {
    const v = toVariable(x, undefined, name);
    return { inputs: [v], params: { axis: normalizeAxis(name, axis, v.ndim) } };
  };

/** eˣ / Σ eˣ along `axis`, computed stably. */
export const softmax: OpFunction<[x: Operand, axis?: number]> = primitive({
  name: 'softmax',
  math: 'y = softmax(x) along an axis   ∂x = y·(g − Σ_axis g·y)   ẏ = y·(ẋ − Σ_axis ẋ·y)',
  names: ['x'],
  args: alongAxis('softmax'),
  forward: ([x], { axis }: AxisParams) => K.softmax(x!, axis),
  vjp: [(g, { y, axis }) => y.mul(g.sub(g.mul(y).sum(axis, true)))],
  jvp: [(dx, { y, axis }) => y.mul(dx.sub(dx.mul(y).sum(axis, true)))],
});

/** x − logsumexp(x) along `axis`, computed stably. */
export const logSoftmax: OpFunction<[x: Operand, axis?: number]> = primitive({
  name: 'logSoftmax',
  math: 'y = x − logsumexp(x) along an axis   ∂x = g − eʸ·Σ_axis g   ẏ = ẋ − Σ_axis ẋ·eʸ',
  names: ['x'],
  args: alongAxis('logSoftmax'),
  forward: ([x], { axis }: AxisParams) => K.logSoftmax(x!, axis),
  vjp: [(g, { y, axis }) => g.sub(y.exp().mul(g.sum(axis, true)))],
  jvp: [(dx, { y, axis }) => dx.sub(dx.mul(y.exp()).sum(axis, true))],
});

/** Index of the largest element along `axis` (of the flattened input when omitted), as int32; no gradient. */
export const argmax: OpFunction<[x: Operand, axis?: number | null, keepDims?: boolean]> = nonDifferentiable({
  name: 'argmax',
  math: 'y = argmax x (int32)   no gradient',
  fn: (x: Operand, axis?: number | null, keepDims = false) => K.argmax(toVariable(x).value, axis, keepDims),
});

/** Index of the smallest element along `axis` (of the flattened input when omitted), as int32; no gradient. */
export const argmin: OpFunction<[x: Operand, axis?: number | null, keepDims?: boolean]> = nonDifferentiable({
  name: 'argmin',
  math: 'y = argmin x (int32)   no gradient',
  fn: (x: Operand, axis?: number | null, keepDims = false) => K.argmin(toVariable(x).value, axis, keepDims),
});

/** Options of {@link variance} and {@link std}: `keepDims`, and the `correction` subtracted from the count (1 for Bessel's). */
export type VarianceOptions = K.VarianceOptions;

/**
 * Σ(x − mean)² / max(0, n − correction) over `axes`, for `fn` (variance or std). The correction is checked as the
 * tensor kernel checks it; a divisor of 0 (correction ≥ n) gives ∞, or NaN for 0/0, as the kernel and PyTorch do.
 */
function varianceOf(fn: 'variance' | 'std', x: Operand, axes: Axes, options: VarianceOptions): Variable {
  const v = toVariable(x, undefined, fn);
  const correction = K.checkCorrection(fn, options.correction ?? 0);
  const resolved = normalizeAxes(fn, axes, v.ndim);
  const d = v.sub(mean(v, resolved, true));
  return sum(d.square(), resolved, options.keepDims ?? false).div(Math.max(0, countOver(v, resolved) - correction));
}

/** Σ(x − mean)² / max(0, n − correction) over `axes`; a composite of differentiable ops (no own backward). */
export const variance: OpFunction<[x: Operand, axes?: Axes, options?: VarianceOptions]> = composite({
  name: 'variance',
  math: 'y = Σ_axes (x − mean_axes x)² / max(0, n − correction)   composite: no derivative of its own',
  fn: (x: Operand, axes?: Axes, options: VarianceOptions = {}) => varianceOf('variance', x, axes, options),
});

/**
 * g/(2y) (or the tangent v̇/(2y)) where the standard deviation y is non-zero, and 0 where y = 0: PyTorch's std
 * backward, which masks the infinite slope of √ at a group without spread. There the division is by 1 instead of y,
 * so that the second derivatives stay finite too.
 */
function overTwoStd(t: Variable, y: Variable): Variable {
  if (!hasZero(y.value)) return t.div(y.mul(2));
  const zero = K.eq(y.value, 0);
  return where(zero, 0, t.div(where(zero, 1, y).mul(2)));
}

/** √variance, the last step of {@link std}: sqrt's rules, with the gradient and the tangent 0 where y = 0. */
const sqrtOfVariance = unaryOp({
  name: 'std',
  math: 'y = √v (v the variance)   ∂v = g/(2y)   ẏ = v̇/(2y)   (both 0 where y = 0, as in PyTorch)',
  kernel: K.sqrt,
  vjp: (g, { y }) => overTwoStd(g, y),
  jvp: (dv, { y }) => overTwoStd(dv, y),
});

/** √variance over `axes`; its gradient (and tangent) is 0 where the result is 0, as in PyTorch. */
export const std: OpFunction<[x: Operand, axes?: Axes, options?: VarianceOptions]> = composite({
  name: 'std',
  math: 'y = √variance(x)   composite: no derivative of its own (∂ = 0 where y = 0, as in PyTorch)',
  fn: (x: Operand, axes?: Axes, options: VarianceOptions = {}) => sqrtOfVariance(varianceOf('std', x, axes, options)),
});
