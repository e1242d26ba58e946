/**
 * The op table, unary elementwise entries. Each entry's `math` is its derivative table line; for an
 * elementwise op the Jacobian is diagonal, so the VJP and the JVP multiply by the same derivative f′:
 * ∂x = g·f′(x) and ẏ = ẋ·f′(x). An entry gives f′ once, as its `derivative`; the few whose rule divides
 * (g/x rounds once, g·(1/x) twice), negates or is zero write their `vjp` and `jvp` out.
 */
import * as K from '@tapegrad/tensor';
import type { Tensor } from '@tapegrad/tensor';
import type { Operand, Variable } from '../core.js';
import { fusedReluBackward } from '../fused/relu.js';
import { constant } from '../variable.js';
import { unaryOp, unaryOpWith } from './kinds.js';
import type { OpFunction } from './spec.js';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** −x */
export const neg = unaryOp({
  name: 'neg',
  math: 'y = −x   ∂x = −g   ẏ = −ẋ',
  kernel: K.neg,
  vjp: (g) => g.neg(),
  jvp: (dx) => dx.neg(),
});

/** |x| */
export const abs = unaryOp({
  name: 'abs',
  math: 'y = |x|   ∂x = g·sign(x)   ẏ = ẋ·sign(x)',
  kernel: K.abs,
  derivative: ({ x }) => constant(K.sign(x.value)),
});

/** eˣ */
export const exp = unaryOp({
  name: 'exp',
  math: 'y = eˣ   ∂x = g·y   ẏ = ẋ·y',
  kernel: K.exp,
  derivative: ({ y }) => y,
});

/** eˣ − 1, accurate near 0 */
export const expm1 = unaryOp({
  name: 'expm1',
  math: 'y = eˣ − 1   ∂x = g·(y + 1)   ẏ = ẋ·(y + 1)',
  kernel: K.expm1,
  derivative: ({ y }) => y.add(1),
});

/** Natural logarithm. */
export const log = unaryOp({
  name: 'log',
  math: 'y = ln x   ∂x = g/x   ẏ = ẋ/x',
  kernel: K.log,
  vjp: (g, { x }) => g.div(x),
  jvp: (dx, { x }) => dx.div(x),
});

/** ln(1 + x), accurate near 0 */
export const log1p = unaryOp({
  name: 'log1p',
  math: 'y = ln(1 + x)   ∂x = g/(1 + x)   ẏ = ẋ/(1 + x)',
  kernel: K.log1p,
  vjp: (g, { x }) => g.div(x.add(1)),
  jvp: (dx, { x }) => dx.div(x.add(1)),
});

/** √x */
export const sqrt = unaryOp({
  name: 'sqrt',
  math: 'y = √x   ∂x = g/(2y)   ẏ = ẋ/(2y)',
  kernel: K.sqrt,
  vjp: (g, { y }) => g.div(y.mul(2)),
  jvp: (dx, { y }) => dx.div(y.mul(2)),
});

/** 1/√x */
export const rsqrt = unaryOp({
  name: 'rsqrt',
  math: 'y = 1/√x   ∂x = −½·g·y³   ẏ = −½·ẋ·y³',
  kernel: K.rsqrt,
  derivative: ({ y }) => y.mul(y).mul(y).mul(-0.5),
});

/** x² */
export const square = unaryOp({
  name: 'square',
  math: 'y = x²   ∂x = 2·g·x   ẏ = 2·ẋ·x',
  kernel: K.square,
  derivative: ({ x }) => x.mul(2),
});

/** 1/x */
export const reciprocal = unaryOp({
  name: 'reciprocal',
  math: 'y = 1/x   ∂x = −g·y²   ẏ = −ẋ·y²',
  kernel: K.reciprocal,
  derivative: ({ y }) => y.mul(y).neg(),
});

/** sin x */
export const sin = unaryOp({
  name: 'sin',
  math: 'y = sin x   ∂x = g·cos x   ẏ = ẋ·cos x',
  kernel: K.sin,
  derivative: ({ x }) => x.cos(),
});

/** cos x */
export const cos = unaryOp({
  name: 'cos',
  math: 'y = cos x   ∂x = −g·sin x   ẏ = −ẋ·sin x',
  kernel: K.cos,
  derivative: ({ x }) => x.sin().neg(),
});

/** tanh x */
export const tanh = unaryOp({
  name: 'tanh',
  math: 'y = tanh x   ∂x = g·(1 − y²)   ẏ = ẋ·(1 − y²)',
  kernel: K.tanh,
  derivative: ({ y }) => y.mul(y).neg().add(1),
});

/** The logistic function 1/(1 + e⁻ˣ). */
export const sigmoid = unaryOp({
  name: 'sigmoid',
  math: 'y = σ(x)   ∂x = g·y·(1 − y)   ẏ = ẋ·y·(1 − y)',
  kernel: K.sigmoid,
  derivative: ({ y }) => y.mul(y.neg().add(1)),
});

/** 1[x > 0] as a constant (relu′; a mask has derivative zero almost everywhere). */
const positive = (x: Variable): Variable => constant(K.reluGrad(x.value));

/**
 * max(x, 0) as an op of its own, with the subgradient 0 at x = 0 (PyTorch's choice: a unit exactly at 0 is
 * treated as off). `maximum(x, 0)` is a different op and splits the tie instead (½ at x = 0).
 */
export const relu = unaryOp({
  name: 'relu',
  math: 'y = max(x, 0)   ∂x = g·1[x > 0]   ẏ = ẋ·1[x > 0]   (0 at x = 0, as in PyTorch)',
  kernel: K.relu,
  derivative: ({ x }) => positive(x),
  fastBackward: fusedReluBackward,
});

/** (x > 0 ? 1 : slope) as a constant. */
const leakySlope = (x: Variable, slope: number): Variable => constant(K.add(K.mul(K.gt(x.value, 0), 1 - slope), slope));

/** x for x > 0, slope·x otherwise; the kernel refuses a slope that is not a finite number (at the call). */
export const leakyRelu: OpFunction<[x: Operand, slope?: number]> = unaryOpWith({
  name: 'leakyRelu',
  math: 'y = x if x > 0 else s·x   ∂x = g·(x > 0 ? 1 : s)   ẏ = ẋ·(x > 0 ? 1 : s)',
  params: (slope = 0.01) => ({ slope }),
  kernel: (x, { slope }) => K.leakyRelu(x, slope),
  derivative: ({ x, slope }) => leakySlope(x, slope),
});

/** m + (1 − m)(y + α) with m = 1[x > 0], written with y so that the second derivative (αeˣ on the left) is right. */
const eluSlope = (x: Variable, y: Variable, alpha: number): Variable => {
  const m = K.gt(x.value, 0);
  return y
    .add(alpha)
    .mul(constant(K.sub(1, m)))
    .add(constant(m));
};

/** x for x > 0, α(eˣ − 1) otherwise; the kernel refuses an α that is not a finite number (at the call). */
export const elu: OpFunction<[x: Operand, alpha?: number]> = unaryOpWith({
  name: 'elu',
  math: 'y = x if x > 0 else α(eˣ − 1)   ∂x = g·(x > 0 ? 1 : y + α)   ẏ = ẋ·(x > 0 ? 1 : y + α)',
  params: (alpha = 1) => ({ alpha }),
  kernel: (x, { alpha }) => K.elu(x, alpha),
  derivative: ({ x, y, alpha }) => eluSlope(x, y, alpha),
});

/** Φ(x) + x·φ(x), with Φ the normal CDF and φ its density. */
const geluSlope = (x: Variable): Variable => {
  const cdf = x.mul(SQRT1_2).erf().mul(0.5).add(0.5);
  const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
  return cdf.add(x.mul(pdf));
};

/** x·Φ(x) (exact, erf form). */
export const gelu = unaryOp({
  name: 'gelu',
  math: 'y = x·Φ(x)   ∂x = g·(Φ(x) + x·φ(x))   ẏ = ẋ·(Φ(x) + x·φ(x))   (Φ the normal CDF, φ its density)',
  kernel: K.gelu,
  derivative: ({ x }) => geluSlope(x),
});

/** ln(1 + eˣ) */
export const softplus = unaryOp({
  name: 'softplus',
  math: 'y = ln(1 + eˣ)   ∂x = g·σ(x)   ẏ = ẋ·σ(x)',
  kernel: K.softplus,
  derivative: ({ x }) => x.sigmoid(),
});

/** x/(1 + |x|), a smooth squashing into (−1, 1). */
export const softsign = unaryOp({
  name: 'softsign',
  math: 'y = x/(1 + |x|)   ∂x = g/(1 + |x|)²   ẏ = ẋ/(1 + |x|)²',
  kernel: K.softsign,
  vjp: (g, { x }) => g.div(x.abs().add(1).square()),
  jvp: (dx, { x }) => dx.div(x.abs().add(1).square()),
});

/** The error function. */
export const erf = unaryOp({
  name: 'erf',
  math: 'y = erf x   ∂x = g·(2/√π)·e^(−x²)   ẏ = ẋ·(2/√π)·e^(−x²)',
  kernel: K.erf,
  derivative: ({ x }) => x.square().neg().exp().mul(TWO_OVER_SQRT_PI),
});

/** A piecewise-constant entry: y = kernel(x), ∂x = 0, ẏ = 0. */
const step = (name: string, what: string, kernel: (x: Tensor) => Tensor): OpFunction<[x: Operand]> =>
  unaryOp({
    name,
    math: `y = ${what}   ∂x = 0   ẏ = 0`,
    kernel,
    vjp: (g) => constant(K.zerosLike(g.value)),
    jvp: (dx) => constant(K.zerosLike(dx.value)),
  });

/** sign(x) (gradient zero) */
export const sign = step('sign', 'sign x', K.sign);
/** ⌊x⌋ (gradient zero) */
export const floor = step('floor', '⌊x⌋', K.floor);
/** ⌈x⌉ (gradient zero) */
export const ceil = step('ceil', '⌈x⌉', K.ceil);
/** Rounds to the nearest integer, halves to even (gradient zero). */
export const round = step('round', 'round x', K.round);

/** 1[lo ≤ x ≤ hi] as a constant. */
const inside = (x: Variable, min: number, max: number): Variable => constant(K.mul(K.ge(x.value, min), K.le(x.value, max)));

/**
 * Clamps into [min, max]; the gradient passes where x is inside. A bound left out (or null, PyTorch's None) is no
 * bound, as in the tensor `clip`: `clip(x, 0)` is max(x, 0) with the gradient 1[x ≥ 0]. The kernel checks the bounds.
 */
export const clip: OpFunction<[x: Operand, min?: number | null, max?: number | null]> = unaryOpWith({
  name: 'clip',
  math: 'y = min(max(x, lo), hi)   ∂x = g·1[lo ≤ x ≤ hi]   ẏ = ẋ·1[lo ≤ x ≤ hi]   (a bound left out: ∓∞)',
  params: (min?: number | null, max?: number | null) => ({ min: min ?? -Infinity, max: max ?? Infinity }),
  kernel: (x, { min, max }) => K.clip(x, min, max),
  derivative: ({ x, min, max }) => inside(x, min, max),
});
