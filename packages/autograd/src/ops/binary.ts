/**
 * The op table, binary elementwise entries and comparisons. Broadcasting is done by the binary kind (an
 * `expand`, whose gradient is a sum), so every formula here sees operands of one shape. An entry whose rules
 * multiply by its partial derivatives (∂a = g·∂y/∂a, ẏ = ȧ·∂y/∂a + ḃ·∂y/∂b) gives just those, as `partials`.
 */
import * as K from '@tapegrad/tensor';
import { broadcastShapes, shapesEqual, type Tensor } from '@tapegrad/tensor';
import type { Operand, Variable } from '../core.js';
import { constant, toVariable, toVariablePair } from '../variable.js';
import { binaryOp, broadcastTo, comparisonOp } from './kinds.js';
import { primitive, type OpFunction } from './spec.js';

/** a + b with broadcasting. */
export const add = binaryOp({
  name: 'add',
  math: 'y = a + b   ∂a = g   ∂b = g   ẏ = ȧ + ḃ',
  kernel: K.add,
  vjp: [(g) => g, (g) => g],
  jvp: [(da) => da, (db) => db],
});

/** a − b with broadcasting. */
export const sub = binaryOp({
  name: 'sub',
  math: 'y = a − b   ∂a = g   ∂b = −g   ẏ = ȧ − ḃ',
  kernel: K.sub,
  vjp: [(g) => g, (g) => g.neg()],
  jvp: [(da) => da, (db) => db.neg()],
});

/** a·b elementwise with broadcasting. */
export const mul = binaryOp({
  name: 'mul',
  math: 'y = a·b   ∂a = g·b   ∂b = g·a   ẏ = ȧ·b + a·ḃ',
  kernel: K.mul,
  partials: [({ b }) => b, ({ a }) => a],
});

/** a/b elementwise with broadcasting. */
export const div = binaryOp({
  name: 'div',
  math: 'y = a/b   ∂a = g/b   ∂b = −g·y/b   ẏ = ȧ/b − ḃ·y/b',
  kernel: K.div,
  vjp: [(g, { b }) => g.div(b), (g, { b, y }) => g.mul(y).div(b).neg()],
  jvp: [(da, { b }) => da.div(b), (db, { b, y }) => db.mul(y).div(b).neg()],
});

/**
 * ∂(aᵇ)/∂a = b·aᵇ⁻¹, and 0 where a = 0 = b (x⁰ is the constant 1; the formula would give 0·0⁻¹ = NaN). There it
 * is computed on a base of 1 and multiplied by a constant 0, so that neither this derivative nor the next one
 * meets an infinity.
 */
function powGradA(a: Variable, b: Variable): Variable {
  const singular = K.mul(K.eq(a.value, 0), K.eq(b.value, 0));
  if (K.sum(singular).item() === 0) return b.mul(a.pow(b.sub(1)));
  return b.mul(where(singular, 1, a).pow(b.sub(1))).mul(constant(K.sub(1, singular)));
}

/**
 * ∂(aᵇ)/∂b = aᵇ·ln a for a > 0, and its limit 0 where a = 0 ≤ b (the formula would give 0·(−∞) = NaN): there the
 * log is taken of 1 instead of a, which also keeps the second derivatives finite.
 */
function powGradB(a: Variable, b: Variable, y: Variable): Variable {
  const limit = K.mul(K.eq(a.value, 0), K.ge(b.value, 0));
  return y.mul((K.sum(limit).item() === 0 ? a : where(limit, 1, a)).log());
}

/** aᵇ elementwise with broadcasting; ∂b needs a > 0, and is its limit 0 at a = 0 ≤ b, as in PyTorch. */
export const pow = binaryOp({
  name: 'pow',
  math:
    'y = aᵇ   ∂a = g·b·aᵇ⁻¹   ∂b = g·y·ln a   ẏ = ȧ·b·aᵇ⁻¹ + ḃ·y·ln a   ' +
    '(∂b for a > 0, with its limit 0 at a = 0 ≤ b; ∂a = 0 at a = b = 0; as in PyTorch)',
  kernel: K.pow,
  partials: [({ a, b }) => powGradA(a, b), ({ a, b, y }) => powGradB(a, b, y)],
});

/**
 * The share of the gradient of max(a, b) that goes to `a` (of min(a, b) with `wins` = lt): 1 where a wins, ½ at a
 * tie, 0 where b wins — a constant. Splitting ties evenly is PyTorch's rule, agrees with the max-reduction (which
 * splits ties between all the elements attaining the maximum) and is what central differences measure at a tie.
 */
const share = (wins: (a: Tensor, b: Tensor) => Tensor, a: Variable, b: Variable): Variable =>
  constant(K.add(wins(a.value, b.value), K.mul(K.eq(a.value, b.value), 0.5)));

/** Elementwise maximum with broadcasting; at a tie each input gets half the gradient (PyTorch's rule). */
export const maximum = binaryOp({
  name: 'maximum',
  math: 'y = max(a, b)   ∂a = g·sₐ   ∂b = g·s_b   ẏ = ȧ·sₐ + ḃ·s_b   (sₐ = 1[a > b] + ½·1[a = b], s_b = 1 − sₐ: ties split evenly)',
  kernel: K.maximum,
  partials: [({ a, b }) => share(K.gt, a, b), ({ a, b }) => share(K.gt, b, a)],
});

/** Elementwise minimum with broadcasting; at a tie each input gets half the gradient (PyTorch's rule). */
export const minimum = binaryOp({
  name: 'minimum',
  math: 'y = min(a, b)   ∂a = g·sₐ   ∂b = g·s_b   ẏ = ȧ·sₐ + ḃ·s_b   (sₐ = 1[a < b] + ½·1[a = b], s_b = 1 − sₐ: ties split evenly)',
  kernel: K.minimum,
  partials: [({ a, b }) => share(K.lt, a, b), ({ a, b }) => share(K.lt, b, a)],
});

/** The condition of {@link where}, broadcast to the result's shape (a constant). */
interface WhereParams {
  cond: Tensor;
}

/** 1[c ≠ 0] (or 1[c = 0] with `otherwise`) in the dtype of `like`, as a constant. */
const chosen = (cond: Tensor, like: Variable, otherwise = false): Variable => {
  const m = K.ne(cond, 0).astype(like.dtype);
  return constant(otherwise ? K.sub(1, m) : m);
};

/** `a` where `cond` is non-zero, `b` elsewhere; all three broadcast. `cond` carries no gradient. */
export const where: OpFunction<[cond: Variable | Tensor, a: Operand, b: Operand], Variable, false> = primitive({
  name: 'where',
  math: 'y = c ? a : b   ∂a = g·1[c ≠ 0]   ∂b = g·1[c = 0]   ẏ = ȧ·1[c ≠ 0] + ḃ·1[c = 0]   (c a constant)',
  names: ['a', 'b'],
  args: (cond: Variable | Tensor, a: Operand, b: Operand) => {
    const c = toVariable(cond).value;
    const [va, vb] = toVariablePair('where', a, b);
    const shape = broadcastShapes('where', broadcastShapes('where', c.shape, va.shape), vb.shape);
    const params = { cond: shapesEqual(c.shape, shape) ? c : c.expand(shape) };
    return { inputs: [broadcastTo(va, shape), broadcastTo(vb, shape)], params };
  },
  forward: ([a, b], { cond }: WhereParams) => K.where(cond, a!, b!),
  partials: [({ cond, y }) => chosen(cond, y), ({ cond, y }) => chosen(cond, y, true)],
  method: false,
});

/** 1 where a = b, else 0 (broadcasting; no gradient). */
export const eq = comparisonOp({ name: 'eq', math: 'y = 1[a = b]   no gradient', kernel: K.eq });
/** 1 where a ≠ b, else 0 (broadcasting; no gradient). */
export const ne = comparisonOp({ name: 'ne', math: 'y = 1[a ≠ b]   no gradient', kernel: K.ne });
/** 1 where a < b, else 0 (broadcasting; no gradient). */
export const lt = comparisonOp({ name: 'lt', math: 'y = 1[a < b]   no gradient', kernel: K.lt });
/** 1 where a ≤ b, else 0 (broadcasting; no gradient). */
export const le = comparisonOp({ name: 'le', math: 'y = 1[a ≤ b]   no gradient', kernel: K.le });
/** 1 where a > b, else 0 (broadcasting; no gradient). */
export const gt = comparisonOp({ name: 'gt', math: 'y = 1[a > b]   no gradient', kernel: K.gt });
/** 1 where a ≥ b, else 0 (broadcasting; no gradient). */
export const ge = comparisonOp({ name: 'ge', math: 'y = 1[a ≥ b]   no gradient', kernel: K.ge });
