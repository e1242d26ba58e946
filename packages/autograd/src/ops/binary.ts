/**
 * The op table, binary elementwise entries and comparisons. Broadcasting is done by the binary kind (an
 * `expand`, whose gradient is a sum), so every formula here sees operands of one shape.
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
  vjp: [(g, { b }) => g.mul(b), (g, { a }) => g.mul(a)],
  jvp: [(da, { b }) => da.mul(b), (db, { a }) => a.mul(db)],
});

/** a/b elementwise with broadcasting. */
export const div = binaryOp({
  name: 'div',
  math: 'y = a/b   ∂a = g/b   ∂b = −g·y/b   ẏ = ȧ/b − ḃ·y/b',
  kernel: K.div,
  vjp: [(g, { b }) => g.div(b), (g, { b, y }) => g.mul(y).div(b).neg()],
  jvp: [(da, { b }) => da.div(b), (db, { b, y }) => db.mul(y).div(b).neg()],
});

/** aᵇ elementwise with broadcasting. */
export const pow = binaryOp({
  name: 'pow',
  math: 'y = aᵇ   ∂a = g·b·aᵇ⁻¹   ∂b = g·y·ln a   ẏ = ȧ·b·aᵇ⁻¹ + ḃ·y·ln a',
  kernel: K.pow,
  vjp: [(g, { a, b }) => g.mul(b).mul(a.pow(b.sub(1))), (g, { a, y }) => g.mul(y).mul(a.log())],
  jvp: [(da, { a, b }) => da.mul(b).mul(a.pow(b.sub(1))), (db, { a, y }) => db.mul(y).mul(a.log())],
});

/** 1[a ≥ b] (for maximum) or 1[a ≤ b] (for minimum) as a constant: which input the result came from. */
const picksA = (pick: (a: Tensor, b: Tensor) => Tensor, a: Variable, b: Variable): Variable => constant(pick(a.value, b.value));
const picksB = (pick: (a: Tensor, b: Tensor) => Tensor, a: Variable, b: Variable): Variable => constant(K.sub(1, pick(a.value, b.value)));

/** Elementwise maximum with broadcasting. */
export const maximum = binaryOp({
  name: 'maximum',
  math: 'y = max(a, b)   ∂a = g·1[a ≥ b]   ∂b = g·1[a < b]   ẏ = ȧ·1[a ≥ b] + ḃ·1[a < b]',
  kernel: K.maximum,
  vjp: [(g, { a, b }) => g.mul(picksA(K.ge, a, b)), (g, { a, b }) => g.mul(picksB(K.ge, a, b))],
  jvp: [(da, { a, b }) => da.mul(picksA(K.ge, a, b)), (db, { a, b }) => db.mul(picksB(K.ge, a, b))],
});

/** Elementwise minimum with broadcasting. */
export const minimum = binaryOp({
  name: 'minimum',
  math: 'y = min(a, b)   ∂a = g·1[a ≤ b]   ∂b = g·1[a > b]   ẏ = ȧ·1[a ≤ b] + ḃ·1[a > b]',
  kernel: K.minimum,
  vjp: [(g, { a, b }) => g.mul(picksA(K.le, a, b)), (g, { a, b }) => g.mul(picksB(K.le, a, b))],
  jvp: [(da, { a, b }) => da.mul(picksA(K.le, a, b)), (db, { a, b }) => db.mul(picksB(K.le, a, b))],
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
  vjp: [(g, { cond }) => g.mul(chosen(cond, g)), (g, { cond }) => g.mul(chosen(cond, g, true))],
  jvp: [(da, { cond }) => da.mul(chosen(cond, da)), (db, { cond }) => db.mul(chosen(cond, db, true))],
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
