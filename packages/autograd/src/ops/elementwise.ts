import * as K from '@tapegrad/tensor';
import { reluBackward } from '@tapegrad/tensor/backend';
import { broadcastShapes, shapesEqual, type Tensor } from '@tapegrad/tensor';
import { markFresh, newLike, type FloatArray } from '../fast.js';
import { isGradEnabled } from '../grad-mode.js';
import { apply, type Op } from '../op.js';
import { constant, toVariable, toVariablePair, type Operand } from '../variable.js';
import { Variable } from '../variable.js';
import { expand } from './shape.js';

// Notation in the doc lines: y is the output, g the gradient arriving at y, ∂x the gradient sent to x.
// Masks like [x > 0] are constants: their derivative is zero almost everywhere.

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

// ---- unary --------------------------------------------------------------------------------------

/** y = −x      ∂x = −g */
export const Neg: Op = { name: 'neg', forward: ([x]) => K.neg(x), backward: (g) => [g.neg()] };

/** y = |x|     ∂x = g·sign(x) */
export const Abs: Op = {
  name: 'abs',
  forward: ([x]) => K.abs(x),
  backward: (g, { inputs: [x] }) => [g.mul(constant(K.sign(x.value)))],
};

/** y = eˣ      ∂x = g·y */
export const Exp: Op = { name: 'exp', forward: ([x]) => K.exp(x), backward: (g, { output: y }) => [g.mul(y)] };

/** y = eˣ − 1  ∂x = g·(y + 1) */
export const Expm1: Op = { name: 'expm1', forward: ([x]) => K.expm1(x), backward: (g, { output: y }) => [g.mul(y.add(1))] };

/** y = ln x    ∂x = g / x */
export const Log: Op = { name: 'log', forward: ([x]) => K.log(x), backward: (g, { inputs: [x] }) => [g.div(x)] };

/** y = ln(1 + x)   ∂x = g / (1 + x) */
export const Log1p: Op = { name: 'log1p', forward: ([x]) => K.log1p(x), backward: (g, { inputs: [x] }) => [g.div(x.add(1))] };

/** y = √x      ∂x = g / (2y) */
export const Sqrt: Op = { name: 'sqrt', forward: ([x]) => K.sqrt(x), backward: (g, { output: y }) => [g.div(y.mul(2))] };

/** y = 1/√x    ∂x = −½·g·y³ */
export const Rsqrt: Op = {
  name: 'rsqrt',
  forward: ([x]) => K.rsqrt(x),
  backward: (g, { output: y }) => [g.mul(y.mul(y).mul(y)).mul(-0.5)],
};

/** y = x²      ∂x = 2·g·x */
export const Square: Op = { name: 'square', forward: ([x]) => K.square(x), backward: (g, { inputs: [x] }) => [g.mul(x).mul(2)] };

/** y = 1/x     ∂x = −g·y² */
export const Reciprocal: Op = {
  name: 'reciprocal',
  forward: ([x]) => K.reciprocal(x),
  backward: (g, { output: y }) => [g.mul(y.mul(y)).neg()],
};

/** y = sin x   ∂x = g·cos x */
export const Sin: Op = { name: 'sin', forward: ([x]) => K.sin(x), backward: (g, { inputs: [x] }) => [g.mul(x.cos())] };

/** y = cos x   ∂x = −g·sin x */
export const Cos: Op = { name: 'cos', forward: ([x]) => K.cos(x), backward: (g, { inputs: [x] }) => [g.mul(x.sin()).neg()] };

/** y = tanh x  ∂x = g·(1 − y²) */
export const Tanh: Op = {
  name: 'tanh',
  forward: ([x]) => K.tanh(x),
  backward: (g, { output: y }) => [g.mul(y.mul(y).neg().add(1))],
};

/** y = σ(x)    ∂x = g·y·(1 − y) */
export const Sigmoid: Op = {
  name: 'sigmoid',
  forward: ([x]) => K.sigmoid(x),
  backward: (g, { output: y }) => [g.mul(y).mul(y.neg().add(1))],
};

/** y = max(x, 0)   ∂x = g·[x > 0] */
export const Relu: Op = {
  name: 'relu',
  forward: ([x]) => K.relu(x),
  backward: (g, { inputs: [x] }) => {
    // Without createGraph: one mask pass (backend kernel) over contiguous data of one dtype: g where x > 0, else 0.
    const gv = g.value;
    const xv = x.value;
    if (!isGradEnabled() && gv.dtype === xv.dtype && gv.dtype !== 'int32' && gv.isContiguous && xv.isContiguous) {
      const ga = gv.data as FloatArray;
      const out = newLike(ga, gv.size, gv.shape);
      reluBackward(ga, gv.offset, xv.data as FloatArray, xv.offset, out.data as FloatArray, 0, gv.size);
      return [new Variable(markFresh(out))];
    }
    return [g.mul(constant(K.reluGrad(xv)))];
  },
};

/** y = x if x > 0 else s·x   ∂x = g·(x > 0 ? 1 : s) */
export const LeakyRelu = (slope: number): Op => ({
  name: 'leakyRelu',
  forward: ([x]) => K.leakyRelu(x, slope),
  backward: (g, { inputs: [x] }) => [g.mul(constant(K.add(K.mul(K.gt(x.value, 0), 1 - slope), slope)))],
});

/** y = x if x > 0 else α(eˣ − 1)   ∂x = g·(x > 0 ? 1 : y + α) */
export const Elu = (alpha: number): Op => ({
  name: 'elu',
  forward: ([x]) => K.elu(x, alpha),
  backward: (g, { inputs: [x], output: y }) => {
    const m = K.gt(x.value, 0);
    // m + (1 − m)(y + α), written with y so that the second derivative (αeˣ on the left) is right.
    return [g.mul(y.add(alpha).mul(constant(K.sub(1, m))).add(constant(m)))];
  },
});

/** y = x·Φ(x)  ∂x = g·(Φ(x) + x·φ(x)), Φ the normal CDF and φ its density */
export const Gelu: Op = {
  name: 'gelu',
  forward: ([x]) => K.gelu(x),
  backward: (g, { inputs: [x] }) => {
    const cdf = x.mul(SQRT1_2).erf().mul(0.5).add(0.5);
    const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
    return [g.mul(cdf.add(x.mul(pdf)))];
  },
};

/** y = ln(1 + eˣ)  ∂x = g·σ(x) */
export const Softplus: Op = { name: 'softplus', forward: ([x]) => K.softplus(x), backward: (g, { inputs: [x] }) => [g.mul(x.sigmoid())] };

/** y = erf x   ∂x = g·(2/√π)·e^(−x²) */
export const Erf: Op = {
  name: 'erf',
  forward: ([x]) => K.erf(x),
  backward: (g, { inputs: [x] }) => [g.mul(x.square().neg().exp().mul(TWO_OVER_SQRT_PI))],
};

/** A piecewise-constant op: ∂x = 0. */
const stepOp = (name: string, fn: (x: Tensor) => Tensor): Op => ({
  name,
  forward: ([x]) => fn(x),
  backward: (g) => [constant(K.zerosLike(g.value))],
});

/** y = sign x   ∂x = 0 */
export const Sign: Op = stepOp('sign', K.sign);
/** y = ⌊x⌋      ∂x = 0 */
export const Floor: Op = stepOp('floor', K.floor);
/** y = ⌈x⌉      ∂x = 0 */
export const Ceil: Op = stepOp('ceil', K.ceil);
/** y = round x  ∂x = 0 */
export const Round: Op = stepOp('round', K.round);

/** y = min(max(x, lo), hi)   ∂x = g·[lo ≤ x ≤ hi] */
export const Clip = (min: number, max: number): Op => ({
  name: 'clip',
  forward: ([x]) => K.clip(x, min, max),
  backward: (g, { inputs: [x] }) => [g.mul(constant(K.mul(K.ge(x.value, min), K.le(x.value, max))))],
});

// ---- binary (inputs already broadcast to one shape) ---------------------------------------------

/** y = a + b   ∂a = g   ∂b = g */
export const Add: Op = { name: 'add', forward: ([a, b]) => K.add(a, b), backward: (g) => [g, g] };

/** y = a − b   ∂a = g   ∂b = −g */
export const Sub: Op = { name: 'sub', forward: ([a, b]) => K.sub(a, b), backward: (g) => [g, g.neg()] };

/** y = a·b     ∂a = g·b   ∂b = g·a */
export const Mul: Op = {
  name: 'mul',
  forward: ([a, b]) => K.mul(a, b),
  backward: (g, { inputs: [a, b] }) => [a.requiresGrad ? g.mul(b) : null, b.requiresGrad ? g.mul(a) : null],
};

/** y = a/b     ∂a = g/b   ∂b = −g·y/b */
export const Div: Op = {
  name: 'div',
  forward: ([a, b]) => K.div(a, b),
  backward: (g, { inputs: [a, b], output: y }) => [a.requiresGrad ? g.div(b) : null, b.requiresGrad ? g.mul(y).div(b).neg() : null],
};

/** y = aᵇ      ∂a = g·b·aᵇ⁻¹   ∂b = g·y·ln a */
export const Pow: Op = {
  name: 'pow',
  forward: ([a, b]) => K.pow(a, b),
  backward: (g, { inputs: [a, b], output: y }) => [
    a.requiresGrad ? g.mul(b).mul(a.pow(b.sub(1))) : null,
    b.requiresGrad ? g.mul(y).mul(a.log()) : null,
  ],
};

/** [g·m, g·(1 − m)]: the gradient routed by a 0/1 mask `m` (a constant) to the first or second input. */
function routeByMask(g: Variable, m: Tensor): Variable[] {
  return [g.mul(constant(m)), g.mul(constant(K.sub(1, m)))];
}

/** A binary selection op: y = kernel(a, b), ∂a = g·m and ∂b = g·(1 − m) for the constant mask m = picksA(a, b). */
const selectOp = (name: string, kernel: (a: Tensor, b: Tensor) => Tensor, picksA: (a: Tensor, b: Tensor) => Tensor): Op => ({
  name,
  forward: ([a, b]) => kernel(a, b),
  backward: (g, { inputs: [a, b] }) => routeByMask(g, picksA(a.value, b.value)),
});

/** y = max(a, b)   ∂a = g·[a ≥ b]   ∂b = g·[a < b] */
export const Maximum: Op = selectOp('maximum', K.maximum, K.ge);

/** y = min(a, b)   ∂a = g·[a ≤ b]   ∂b = g·[a > b] */
export const Minimum: Op = selectOp('minimum', K.minimum, K.le);

/** y = c ? a : b   ∂a = g·[c ≠ 0]   ∂b = g·[c = 0]   (c is a constant) */
export const Where = (cond: Tensor): Op => ({
  name: 'where',
  forward: ([a, b]) => K.where(cond, a, b),
  backward: (g) => routeByMask(g, K.ne(cond, 0).astype(g.dtype)),
});

/**
 * Broadcasts both operands and applies the binary op. An operand that will receive a gradient is
 * broadcast by an `expand` (whose gradient is a sum), so the op's backward never deals with broadcasting;
 * constants are left to the kernel's own broadcasting (their gradients are never used).
 */
export function binary(op: Op, a: Operand, b: Operand): Variable {
  const [va, vb] = toVariablePair(op.name, a, b);
  const shape = broadcastShapes(op.name, va.shape, vb.shape);
  return apply(op, [broadcastTo(va, shape), broadcastTo(vb, shape)]);
}

function broadcastTo(v: Variable, shape: readonly number[]): Variable {
  return shapesEqual(v.shape, shape) || !v.requiresGrad || !isGradEnabled() ? v : expand(v, shape);
}

// ---- free functions -----------------------------------------------------------------------------

/** −x */
export const neg = (x: Operand): Variable => apply(Neg, [toVariable(x)]);
/** |x| */
export const abs = (x: Operand): Variable => apply(Abs, [toVariable(x)]);
/** sign(x) (gradient zero) */
export const sign = (x: Operand): Variable => apply(Sign, [toVariable(x)]);
/** eˣ */
export const exp = (x: Operand): Variable => apply(Exp, [toVariable(x)]);
/** eˣ − 1, accurate near 0 */
export const expm1 = (x: Operand): Variable => apply(Expm1, [toVariable(x)]);
/** Natural logarithm. */
export const log = (x: Operand): Variable => apply(Log, [toVariable(x)]);
/** ln(1 + x), accurate near 0 */
export const log1p = (x: Operand): Variable => apply(Log1p, [toVariable(x)]);
/** √x */
export const sqrt = (x: Operand): Variable => apply(Sqrt, [toVariable(x)]);
/** 1/√x */
export const rsqrt = (x: Operand): Variable => apply(Rsqrt, [toVariable(x)]);
/** x² */
export const square = (x: Operand): Variable => apply(Square, [toVariable(x)]);
/** 1/x */
export const reciprocal = (x: Operand): Variable => apply(Reciprocal, [toVariable(x)]);
/** sin x */
export const sin = (x: Operand): Variable => apply(Sin, [toVariable(x)]);
/** cos x */
export const cos = (x: Operand): Variable => apply(Cos, [toVariable(x)]);
/** tanh x */
export const tanh = (x: Operand): Variable => apply(Tanh, [toVariable(x)]);
/** The logistic function 1/(1 + e⁻ˣ). */
export const sigmoid = (x: Operand): Variable => apply(Sigmoid, [toVariable(x)]);
/** max(x, 0) */
export const relu = (x: Operand): Variable => apply(Relu, [toVariable(x)]);
/** x for x > 0, slope·x otherwise. */
export const leakyRelu = (x: Operand, slope = 0.01): Variable => apply(LeakyRelu(slope), [toVariable(x)]);
/** x for x > 0, α(eˣ − 1) otherwise. */
export const elu = (x: Operand, alpha = 1): Variable => apply(Elu(alpha), [toVariable(x)]);
/** x·Φ(x) (exact, erf form). */
export const gelu = (x: Operand): Variable => apply(Gelu, [toVariable(x)]);
/** ln(1 + eˣ) */
export const softplus = (x: Operand): Variable => apply(Softplus, [toVariable(x)]);
/** The error function. */
export const erf = (x: Operand): Variable => apply(Erf, [toVariable(x)]);
/** ⌊x⌋ (gradient zero) */
export const floor = (x: Operand): Variable => apply(Floor, [toVariable(x)]);
/** ⌈x⌉ (gradient zero) */
export const ceil = (x: Operand): Variable => apply(Ceil, [toVariable(x)]);
/** Rounds to the nearest integer (gradient zero). */
export const round = (x: Operand): Variable => apply(Round, [toVariable(x)]);
/** Clamps into [min, max]; the gradient passes where x is inside. */
export const clip = (x: Operand, min: number, max: number): Variable => apply(Clip(min, max), [toVariable(x)]);

/** a + b with broadcasting. */
export const add = (a: Operand, b: Operand): Variable => binary(Add, a, b);
/** a − b with broadcasting. */
export const sub = (a: Operand, b: Operand): Variable => binary(Sub, a, b);
/** a·b elementwise with broadcasting. */
export const mul = (a: Operand, b: Operand): Variable => binary(Mul, a, b);
/** a/b elementwise with broadcasting. */
export const div = (a: Operand, b: Operand): Variable => binary(Div, a, b);
/** aᵇ elementwise with broadcasting. */
export const pow = (a: Operand, b: Operand): Variable => binary(Pow, a, b);
/** Elementwise maximum with broadcasting. */
export const maximum = (a: Operand, b: Operand): Variable => binary(Maximum, a, b);
/** Elementwise minimum with broadcasting. */
export const minimum = (a: Operand, b: Operand): Variable => binary(Minimum, a, b);

/** `a` where `cond` is non-zero, `b` elsewhere; all three broadcast. `cond` carries no gradient. */
export function where(cond: Variable | Tensor, a: Operand, b: Operand): Variable {
  const c = toVariable(cond).value;
  const [va, vb] = toVariablePair('where', a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, va.shape), vb.shape);
  return apply(Where(shapesEqual(c.shape, shape) ? c : c.expand(shape)), [broadcastTo(va, shape), broadcastTo(vb, shape)]);
}

// ---- comparisons (not differentiable: the result is a constant, like PyTorch's boolean tensors) ----

/** Applies a comparison kernel to the operands' values; the result never requires a gradient. */
function compare(kernel: (a: Tensor | number, b: Tensor | number) => Tensor, a: Operand, b: Operand): Variable {
  const av = typeof a === 'number' ? (typeof b === 'number' ? K.scalar(a, { dtype: 'float32' }) : a) : toVariable(a).value;
  const bv = typeof b === 'number' ? b : toVariable(b).value;
  return constant(kernel(av, bv));
}

/** 1 where a = b, else 0 (broadcasting; no gradient). */
export const eq = (a: Operand, b: Operand): Variable => compare(K.eq, a, b);
/** 1 where a ≠ b, else 0 (broadcasting; no gradient). */
export const ne = (a: Operand, b: Operand): Variable => compare(K.ne, a, b);
/** 1 where a < b, else 0 (broadcasting; no gradient). */
export const lt = (a: Operand, b: Operand): Variable => compare(K.lt, a, b);
/** 1 where a ≤ b, else 0 (broadcasting; no gradient). */
export const le = (a: Operand, b: Operand): Variable => compare(K.le, a, b);
/** 1 where a > b, else 0 (broadcasting; no gradient). */
export const gt = (a: Operand, b: Operand): Variable => compare(K.gt, a, b);
/** 1 where a ≥ b, else 0 (broadcasting; no gradient). */
export const ge = (a: Operand, b: Operand): Variable => compare(K.ge, a, b);
