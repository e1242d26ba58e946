/**
 * How an entry of the op table becomes an op: the TypeScript counterpart of PyTorch's `derivatives.yaml`.
 * An entry gives the op's name, its math (one line: forward, VJP per input, JVP), its forward kernel, its VJP
 * and its JVP written with Variable ops; from it come the {@link Op} that labels tape entries, the free
 * function (`mul(a, b)`) and — in `methods.ts` — the Variable method (`a.mul(b)`).
 *
 * Notation in the formulas: `g` is the gradient arriving at the output `y` (the cotangent), `∂x` the gradient
 * sent to input `x`; `ẋ` (written `dx` in code) is the tangent of `x` in forward mode and `ẏ` the output's.
 * Masks like `1[x > 0]` are constants: their derivative is zero almost everywhere.
 *
 * The kinds: {@link primitive} (the general form: views, n-ary ops, fused ops), the fixed-signature kinds in
 * `kinds.ts` (unary, binary, reduction, comparison), {@link composite} (a Variable expression with no
 * derivative of its own) and {@link nonDifferentiable} (a constant result: argmax).
 */
import { zerosLike, type Tensor } from '@tapegrad/tensor';
import { Variable, apply, isZeroTangent, type Op, type OpContext } from '../core.js';

/** The kinds of op table entries. */
export type OpKind = 'unary' | 'binary' | 'reduction' | 'primitive' | 'composite' | 'constant';

/** An op table entry as seen at run time (by the op-table test, tape listings and the tape explorer). */
export interface OpSpec {
  /** The name of the free function and the Variable method; also the label of the op's tape entries. */
  readonly name: string;
  /** The derivative table line: the forward, the VJP of each input and the JVP. */
  readonly math: string;
  /** Which kind of entry this is. */
  readonly kind: OpKind;
  /** The differentiable primitive; null for composite and constant entries, which record no entry of their own. */
  readonly op: Op | null;
}

/**
 * An op table entry's free function (`mul(a, b)`), carrying its {@link OpSpec}. With `method: true`, Variable
 * also has it as a method whose receiver is the first argument (`a.mul(b)`).
 */
export interface OpFunction<A extends unknown[], R = Variable, M extends boolean = true> {
  (...args: A): R;
  /** The table entry. */
  readonly spec: OpSpec;
  /** Whether Variable has this function as a method. */
  readonly method: M;
}

/** An op's params as seen by its formulas: an object (possibly empty) whose fields are spread into the context. */
export type ParamsOf<P> = P extends object ? P : Record<never, never>;

/** What a formula sees: the inputs (also by their names), the output `y`, the op's params and saved values. */
export type Context<N extends string, P> = { readonly [K in N]: Variable } & ParamsOf<P> & {
    /** The inputs in argument order. */
    readonly inputs: readonly Variable[];
    /** The op's output. */
    readonly y: Variable;
    /** What the forward saved with `ctx.save`. */
    readonly saved: readonly unknown[];
  };

/**
 * A VJP: one formula per input (each called only when its input needs a gradient), or one formula that
 * returns all the gradients (n-ary ops).
 */
export type Vjp<C> = readonly ((g: Variable, c: C) => Variable | null)[] | ((g: Variable, c: C) => (Variable | null)[]);

/**
 * A JVP: one term per input — the output's tangent is the sum of the terms of the inputs that carry a tangent
 * (an input without one contributes nothing, not `0·∂y/∂x`, which could be NaN) — or one rule that maps all
 * the tangents (zeros for inputs that carry none) to the output's tangent (n-ary linear ops).
 */
export type Jvp<C> = readonly ((t: Variable, c: C) => Variable)[] | ((tangents: readonly Variable[], c: C) => Variable);

/**
 * An elementwise op's partial derivatives ∂y/∂xₖ, one per input, each of the output's shape. Its Jacobian is diagonal,
 * so they give both rules: ∂xₖ = g·∂y/∂xₖ and ẏ = Σₖ ẋₖ·∂y/∂xₖ.
 */
export type Partials<C> = readonly ((c: C) => Variable)[];

/** An entry's derivative: its VJP and JVP, or (an elementwise op) the partial derivatives that give both. */
export type Rules<C> = { vjp: Vjp<C>; jvp: Jvp<C>; partials?: never } | { partials: Partials<C>; vjp?: never; jvp?: never };

/** What an entry's `args` makes of the free function's arguments: the op's inputs and params. */
export interface Applied<P> {
  /** The op's inputs, in the order the formulas see them. */
  inputs: Variable[];
  /** The op's non-tensor arguments (normalized axes, a slope, …). */
  params: P;
}

/**
 * What every differentiable entry gives: the parts {@link makeOp} turns into an {@link Op} — and its derivative,
 * written with Variable ops ({@link Rules}).
 */
export type OpParts<P, N extends string> = Rules<Context<N, P>> & {
  /** The op's name. */
  name: string;
  /** The derivative table line. */
  math: string;
  /** The inputs' names in the formulas (`['x', 'w', 'b']`); n-ary ops leave it out and use `inputs`. */
  names?: readonly N[];
  /** The forward kernel. */
  forward: (inputs: Tensor[], params: P, ctx: OpContext<P>) => Tensor;
  /** A fused backward on tensors (see `fused/`), taken when no graph is being recorded. */
  fastBackward?: Op<P>['fastBackward'];
};

/** A primitive entry — the general form: its parts, and how the free function's arguments become inputs. */
export type PrimitiveSpec<A extends unknown[], P, N extends string, M extends boolean> = OpParts<P, N> & {
  /** Validates the free function's arguments and makes the op's inputs and params, or returns the result directly. */
  args: (...args: A) => Applied<P> | Variable;
  /** Whether Variable gets this op as a method (default true). */
  method?: M;
};

/** Builds a primitive entry: its Op, and the free function that applies it. */
export function primitive<A extends unknown[], P, N extends string = never, M extends boolean = true>(
  spec: PrimitiveSpec<A, P, N, M>,
): OpFunction<A, Variable, M> {
  const op = makeOp<P, N>(spec);
  const fn = (...args: A): Variable => {
    const applied = spec.args(...args);
    return applied instanceof Variable ? applied : apply(op, applied.inputs, applied.params);
  };
  return entry(fn, { name: spec.name, math: spec.math, kind: 'primitive', op: op as Op }, (spec.method ?? true) as M);
}

/** The {@link Op} of a table entry: its backward and jvp call the formulas with a named context. */
export function makeOp<P, N extends string>(parts: OpParts<P, N>): Op<P> {
  const names = parts.names ?? [];
  const { forward } = parts;
  const { vjp, jvp } = parts.partials === undefined ? parts : byPartials(parts.partials);
  const op: Op<P> = {
    name: parts.name,
    formula: parts.math,
    forward: (inputs, ctx) => forward(inputs, ctx.params, ctx),
    backward:
      typeof vjp === 'function'
        ? (g, ctx) => vjp(g, context<N, P>(names, ctx))
        : (g, ctx) => {
            const c = context<N, P>(names, ctx);
            return ctx.inputs.map((x, k) => (x.requiresGrad ? vjp[k]!(g, c) : null));
          },
    jvp:
      typeof jvp === 'function'
        ? (tangents, ctx) => jvp(tangents, context<N, P>(names, ctx))
        : (tangents, ctx) => {
            const c = context<N, P>(names, ctx);
            let sum: Variable | null = null;
            for (let k = 0; k < tangents.length; k++) {
              if (isZeroTangent(tangents[k]!)) continue; // an input without a tangent contributes no term
              const term = jvp[k]!(tangents[k]!, c);
              sum = sum === null ? term : sum.add(term);
            }
            return sum ?? new Variable(zerosLike(ctx.output.value));
          },
  };
  if (parts.fastBackward) op.fastBackward = parts.fastBackward;
  return op;
}

/** The rules of an elementwise op from its partial derivatives: ∂xₖ = g·∂y/∂xₖ and the JVP term ẋₖ·∂y/∂xₖ. */
function byPartials<C>(partials: Partials<C>): { vjp: Vjp<C>; jvp: Jvp<C> } {
  return {
    vjp: partials.map((d) => (g: Variable, c: C) => g.mul(d(c))),
    jvp: partials.map((d) => (t: Variable, c: C) => t.mul(d(c))),
  };
}

/** The formulas' view of an op context: params spread, inputs also by name, the output as `y`. */
function context<N extends string, P>(names: readonly N[], ctx: OpContext<P>): Context<N, P> {
  const c: Record<string, unknown> = { ...(ctx.params as object), inputs: ctx.inputs, y: ctx.output, saved: ctx.saved };
  names.forEach((n, k) => (c[n] = ctx.inputs[k]));
  return c as Context<N, P>;
}

/** Attaches the spec to a free function and names it after the op. */
export function entry<F extends (...args: never[]) => unknown, M extends boolean>(
  fn: F,
  spec: OpSpec,
  method: M,
): F & { spec: OpSpec; method: M } {
  Object.defineProperty(fn, 'name', { value: spec.name });
  return Object.assign(fn, { spec, method });
}

/** A composite entry: a Variable expression, differentiated through its parts. */
export interface CompositeSpec<A extends unknown[], R, M extends boolean> {
  /** The function's name. */
  name: string;
  /** What it computes (and that it needs no derivative of its own). */
  math: string;
  /** The expression. */
  fn: (...args: A) => R;
  /** Whether Variable gets it as a method (default true). */
  method?: M;
}

/** Builds a composite entry: no Op, no derivative to write — forward and reverse mode go through its parts. */
export function composite<A extends unknown[], R = Variable, M extends boolean = true>(spec: CompositeSpec<A, R, M>): OpFunction<A, R, M> {
  const fn = (...args: A): R => spec.fn(...args);
  return entry(fn, { name: spec.name, math: spec.math, kind: 'composite', op: null }, (spec.method ?? true) as M);
}

/** Builds a non-differentiable entry: the result is a constant (no tape entry, no tangent), like argmax. */
export function nonDifferentiable<A extends unknown[]>(spec: { name: string; math: string; fn: (...args: A) => Tensor }): OpFunction<A> {
  const fn = (...args: A): Variable => new Variable(spec.fn(...args));
  return entry(fn, { name: spec.name, math: spec.math, kind: 'constant', op: null }, true);
}
