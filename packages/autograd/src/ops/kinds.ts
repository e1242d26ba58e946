/**
 * The op kinds with a fixed signature — unary `f(x)`, binary `f(a, b)` with broadcasting, reductions
 * `f(x, axes?, keepDims?)` and comparisons — built on {@link makeOp} from `spec.ts`. Their entries need no
 * `args`: the kind knows how to turn the arguments into inputs.
 */
import { broadcastShapes, normalizeAxes, shapesEqual, type ReduceAxes, type Tensor } from '@tapegrad/tensor';
import { Variable, apply, hasTangent, type Op, type Operand } from '../core.js';
import { isGradEnabled } from '../grad-mode.js';
import { toVariable, toVariablePair } from '../variable.js';
import { entry, makeOp, type Context, type OpFunction, type Rules } from './spec.js';

/**
 * The derivative of a unary elementwise entry: f′ once (`derivative`; then ∂x = g·f′ and ẏ = ẋ·f′), or a
 * `vjp` and a `jvp` of their own (a rule that divides, g/x, is more exact than g·(1/x)).
 */
export type UnaryRules<C> =
  | { derivative: (c: C) => Variable; vjp?: never; jvp?: never }
  | {
      derivative?: never;
      /** ∂x from the gradient g. */
      vjp: (g: Variable, c: C) => Variable;
      /** ẏ from the tangent dx. */
      jvp: (dx: Variable, c: C) => Variable;
    };

/** The op rules of a unary entry. */
function unaryRules<C>(spec: UnaryRules<C>): Rules<C> {
  return spec.derivative === undefined ? { vjp: [spec.vjp], jvp: [spec.jvp] } : { partials: [spec.derivative] };
}

/** A unary elementwise entry: y = f(x). */
export type UnarySpec = UnaryRules<Context<'x', unknown>> & {
  /** The op's name. */
  name: string;
  /** The derivative table line. */
  math: string;
  /** The forward kernel. */
  kernel: (x: Tensor) => Tensor;
  /** A fused backward on tensors (see `fused/`). */
  fastBackward?: Op['fastBackward'];
};

/** Builds a unary elementwise entry `f(x)`. */
export function unaryOp(spec: UnarySpec): OpFunction<[x: Operand]> {
  const { name, math, kernel, fastBackward } = spec;
  const op = makeOp<unknown, 'x'>({ name, math, names: ['x'], forward: ([x]) => kernel(x!), fastBackward, ...unaryRules(spec) });
  return entry((x: Operand) => apply(op, [toVariable(x, undefined, name)]), { name, math, kind: 'unary', op }, true);
}

/** A unary elementwise entry with parameters: y = f(x; params). */
export type UnaryWithSpec<A extends unknown[], P> = UnaryRules<Context<'x', P>> & {
  /** The op's name. */
  name: string;
  /** The derivative table line. */
  math: string;
  /** The params from the arguments after x (defaults applied here). */
  params: (...args: A) => P;
  /** The forward kernel. */
  kernel: (x: Tensor, params: P) => Tensor;
};

/** Builds a unary elementwise entry with parameters, `f(x, ...params)`. */
export function unaryOpWith<A extends unknown[], P>(spec: UnaryWithSpec<A, P>): OpFunction<[x: Operand, ...args: A]> {
  const { name, math, kernel, params } = spec;
  const op = makeOp<P, 'x'>({ name, math, names: ['x'], forward: ([x], p) => kernel(x!, p), ...unaryRules(spec) });
  const fn = (x: Operand, ...args: A): Variable => apply(op, [toVariable(x, undefined, name)], params(...args));
  return entry(fn, { name, math, kind: 'unary', op: op as Op }, true);
}

/** A binary elementwise entry: y = f(a, b), the operands already broadcast to one shape. */
export type BinarySpec = Rules<Context<'a' | 'b', unknown>> & {
  /** The op's name. */
  name: string;
  /** The derivative table line. */
  math: string;
  /** The forward kernel (it broadcasts constants itself). */
  kernel: (a: Tensor, b: Tensor) => Tensor;
};

/** Builds a binary elementwise entry `f(a, b)` with broadcasting. */
export function binaryOp(spec: BinarySpec): OpFunction<[a: Operand, b: Operand]> {
  const { kernel } = spec;
  const op = makeOp<unknown, 'a' | 'b'>({ ...spec, names: ['a', 'b'], forward: ([a, b]) => kernel(a!, b!) });
  return entry((a: Operand, b: Operand) => binary(op, a, b), { name: spec.name, math: spec.math, kind: 'binary', op }, true);
}

/**
 * Broadcasts both operands and applies the binary op. An operand that will receive a gradient (or carries a
 * tangent) is broadcast by an `expand`, whose gradient is a sum, so no op's backward deals with broadcasting;
 * constants are left to the kernel's own broadcasting (their gradients are never used).
 */
export function binary(op: Op, a: Operand, b: Operand): Variable {
  const [va, vb] = toVariablePair(op.name, a, b);
  const shape = broadcastShapes(op.name, va.shape, vb.shape);
  return apply(op, [broadcastTo(va, shape), broadcastTo(vb, shape)]);
}

/** `v` broadcast to `shape` by an expand when a gradient or a tangent will flow through it; else `v` itself. */
export function broadcastTo(v: Variable, shape: readonly number[]): Variable {
  if (shapesEqual(v.shape, shape)) return v;
  return (v.requiresGrad && isGradEnabled()) || hasTangent(v) ? v.expand(shape) : v;
}

/** A comparison entry: a constant 1/0 result, with broadcasting and no gradient (like PyTorch's boolean tensors). */
export function comparisonOp(spec: {
  name: string;
  math: string;
  kernel: (a: Tensor | number, b: Tensor | number) => Tensor;
}): OpFunction<[a: Operand, b: Operand]> {
  const { kernel } = spec;
  const fn = (a: Operand, b: Operand): Variable => {
    const av = typeof a === 'number' ? (typeof b === 'number' ? toVariable(a).value : a) : toVariable(a).value;
    const bv = typeof b === 'number' ? b : toVariable(b).value;
    return new Variable(kernel(av, bv));
  };
  return entry(fn, { name: spec.name, math: spec.math, kind: 'constant', op: null }, true);
}

/** Axes to reduce over: one axis, a list, or null/undefined for all of them (the tensor kernels' `ReduceAxes`). */
export type Axes = ReduceAxes;

/** The params of a reduction: the normalized axes and whether they are kept as size 1. */
export interface ReductionParams {
  /** The reduced axes, normalized (non-negative, in order). */
  axes: readonly number[];
  /** Keep reduced axes as size 1. */
  keepDims: boolean;
}

/** A reduction entry: y = f over `axes` of x. */
export interface ReductionSpec {
  /** The op's name. */
  name: string;
  /** The derivative table line. */
  math: string;
  /** The forward kernel. */
  kernel: (x: Tensor, axes: readonly number[], keepDims: boolean) => Tensor;
  /** ∂x from the gradient g. */
  vjp: (g: Variable, c: Context<'x', ReductionParams>) => Variable;
  /** ẏ from the tangent dx. */
  jvp: (dx: Variable, c: Context<'x', ReductionParams>) => Variable;
}

/** Builds a reduction entry `f(x, axes?, keepDims = false)` (all axes when omitted). */
export function reductionOp(spec: ReductionSpec): OpFunction<[x: Operand, axes?: Axes, keepDims?: boolean]> {
  const { kernel, vjp, name } = spec;
  const op = makeOp<ReductionParams, 'x'>({
    ...spec,
    names: ['x'],
    forward: ([x], p: ReductionParams) => kernel(x!, p.axes, p.keepDims),
    vjp: [vjp],
    jvp: [spec.jvp],
  });
  const fn = (x: Operand, axes?: Axes, keepDims = false): Variable => {
    const v = toVariable(x, undefined, name);
    return apply(op, [v], { axes: normalizeAxes(name, axes, v.ndim), keepDims });
  };
  return entry(fn, { name, math: spec.math, kind: 'reduction', op: op as Op }, true);
}

/** The gradient or tangent `t` of a reduced result, broadcast back over the reduced axes of `x`. */
export function spread(t: Variable, x: Variable, axes: readonly number[]): Variable {
  return t.reshape(keptShape(x.shape, axes)).expand(x.shape);
}

/** The input shape with each reduced axis set to 1 (the keepDims shape). */
export function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** The number of elements over `axes` of `x` (the n of a mean). */
export function countOver(x: Variable, axes: readonly number[]): number {
  let n = 1;
  for (const a of axes) n *= x.shape[a]!;
  return n;
}
