import { DTypeError, Generator, IndexError, ShapeError, Tensor, ValueError, isFloat, onesLike, randn, zerosLike } from '@tapegrad/tensor';
import {
  Variable,
  apply,
  dependsOn,
  isAllZero,
  isZeroTangent,
  markUserOp,
  tapeMark,
  type Op,
  type OpContext,
  type Operand,
} from './core.js';
import { describeValue } from './describe.js';
import { gradients } from './engine.js';
import { isGradEnabled, withGradMode } from './grad-mode.js';
import { toVariable } from './variable.js';

/** The definition of a user op: the same shape as a built-in {@link Op}. */
export interface OpDefinition {
  /** Label on the tape. */
  name: string;
  /** The derivative table line, shown by tape listings (optional). */
  formula?: string;
  /** Computes the output from the input tensors; may `ctx.save(...)` values for backward. */
  forward(inputs: Tensor[], ctx: OpContext): Tensor;
  /** One gradient per input (or null), written with Variable ops so that it can be differentiated again. */
  backward(grad: Variable, ctx: OpContext): (Variable | null)[];
  /**
   * Forward mode: the output's tangent from the inputs' tangents (zeros for inputs that carry none). When
   * omitted, forward mode transposes the backward instead (see {@link defineOp}).
   */
  jvp?(tangents: Variable[], ctx: OpContext): Variable;
}

/**
 * Turns an op definition into a function on variables, recorded on the tape like any built-in. The definition
 * is checked here: a missing or empty name, a missing forward or backward, or a jvp, forward or backward that
 * is not a function is a ValueError when the op is defined, not when it first runs.
 *
 * Forward mode (`jvp`, `jacfwd`, `hessian`) uses the definition's `jvp`. Without one it transposes the
 * backward: the VJP u ↦ Jᵀu is linear in u, so J·v = ∂⟨Jᵀu, v⟩/∂u — one backward recorded with a dummy
 * cotangent u, then differentiated with respect to u. This costs a backward and a reverse pass per tangent
 * and needs the backward to return a gradient for every input that carries a tangent, built from the
 * cotangent with Variable ops: a gradient computed outside the tape (from `g.value` with tensor kernels) is a
 * ValueError naming the op, since it cannot be transposed. Such a backward is fine for first derivatives; a
 * second derivative through it (grad of grad, `hvp`, `backward({ createGraph })` then differentiating the
 * gradient) is a ValueError too, and `gradgradcheck` reports it as a failure.
 *
 * An error thrown by the forward, backward or jvp reaches the caller with the op named (`myop: backward threw:
 * boom`), the original as its `cause`; it keeps its class when it is a ShapeError, IndexError, DTypeError or
 * ValueError and is a ValueError otherwise.
 * @example
 * const softplus = defineOp({
 *   name: 'softplus',
 *   forward: ([x]) => log1p(exp(x)),                       // tensor kernels
 *   backward: (g, { inputs: [x] }) => [g.mul(x.sigmoid())], // Variable ops
 * });
 */
export function defineOp(definition: OpDefinition): (...inputs: Operand[]) => Variable {
  checkDefinition(definition);
  const { name } = definition;
  const userJvp = definition.jvp;
  const op: Op = {
    name,
    forward: (inputs, ctx) =>
      checkForward(
        name,
        naming(name, 'forward', () => definition.forward(inputs, ctx)),
      ),
    backward: (grad, ctx) => naming(name, 'backward', () => definition.backward(grad, ctx)),
    jvp:
      userJvp === undefined
        ? (tangents, ctx) => jvpByTransposingVjp(op, tangents, ctx)
        : (tangents, ctx) => naming(name, 'jvp', () => userJvp.call(definition, tangents, ctx)),
  };
  if (definition.formula !== undefined) op.formula = definition.formula;
  markUserOp(op);
  return (...inputs) => {
    const first = inputs.find((x) => typeof x !== 'number');
    const like = first === undefined ? undefined : toVariable(first, undefined, op.name);
    return apply(
      op,
      inputs.map((x) => toVariable(x, like, op.name)),
    );
  };
}

/** Refuses, when the op is defined, a definition that would fail only once it is applied or differentiated. */
function checkDefinition(definition: OpDefinition): void {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw new ValueError(`defineOp: got ${describeValue(definition)}; expected an object { name, forward, backward }`);
  }
  const { name } = definition as { name: unknown };
  if (typeof name !== 'string' || name.trim() === '') {
    const got = typeof name === 'string' ? 'an empty string' : describeValue(name);
    throw new ValueError(`defineOp: name is ${got}; expected a non-empty string (the op's label on the tape and in errors)`);
  }
  const signatures = {
    forward: '(inputs: Tensor[], ctx) => Tensor',
    backward: '(grad: Variable, ctx) => (Variable | null)[]',
    jvp: '(tangents: Variable[], ctx) => Variable',
  } as const;
  for (const key of ['forward', 'backward', 'jvp'] as const) {
    const value: unknown = definition[key];
    if (key === 'jvp' && value === undefined) continue;
    if (typeof value !== 'function') {
      const what = value === undefined ? 'has no' : `has ${describeValue(value)} as its`;
      throw new ValueError(`defineOp: op '${name}' ${what} ${key}; expected a function ${signatures[key]}`);
    }
  }
  const { formula } = definition as { formula: unknown };
  if (formula !== undefined && typeof formula !== 'string') {
    throw new ValueError(`defineOp: op '${name}' has ${describeValue(formula)} as its formula; expected a string or nothing`);
  }
}

/** Refuses what a user op's forward returned unless it is a Tensor. */
function checkForward(name: string, value: unknown): Tensor {
  if (value instanceof Tensor) return value;
  const hint = value instanceof Variable ? " (forward computes on tensors: return a tensor kernel's result, not a Variable)" : '';
  throw new ValueError(`${name}: forward returned ${describeValue(value)}; expected a Tensor${hint}`);
}

/** The library's error classes, most specific first: an error of one of them keeps its class when {@link naming} wraps it. */
const errorClasses = [ShapeError, IndexError, DTypeError, ValueError] as const;

/**
 * Runs `part` (the forward, backward or jvp of user op `name`) and rethrows what it throws with the op named:
 * `myop: forward threw: boom`, the original as `cause`. An error of the library's classes (ShapeError, IndexError,
 * DTypeError, ValueError) keeps its class; anything else becomes a ValueError.
 */
function naming<T>(name: string, part: 'forward' | 'backward' | 'jvp', run: () => T): T {
  try {
    return run();
  } catch (e) {
    const kept = errorClasses.find((c) => e instanceof c);
    // Another class (a TypeError, say) is named, since the error becomes a ValueError.
    const other =
      kept === undefined && e instanceof Error && e.name !== 'Error' ? ` ${/^[aeiou]/i.test(e.name) ? 'an' : 'a'} ${e.name}` : '';
    const what = e instanceof Error ? e.message : typeof e === 'string' ? e : describeValue(e);
    throw new (kept ?? ValueError)(`${name}: ${part} threw${other}: ${what}`, { cause: e });
  }
}

/**
 * J·v = ∂⟨Jᵀu, v⟩/∂u for a dummy cotangent u (the VJP is linear in u, so any u gives the same result).
 *
 * The backward must be built from u with Variable ops for this to work. A gradient it returns that does not depend
 * on u at all is, if the backward is a VJP (linear in u), zero for every u: an input with a zero Jacobian (a step
 * function's), which adds nothing. Otherwise it was computed outside the tape (from `g.value` with tensor kernels)
 * and cannot be transposed, which {@link checkDetached} tells apart by running the backward once more.
 */
function jvpByTransposingVjp(op: Op, tangents: Variable[], ctx: OpContext): Variable {
  const record = isGradEnabled();
  return withGradMode(true, () => {
    const u = new Variable(zerosLike(ctx.output.value), { requiresGrad: true });
    const since = tapeMark();
    const cotangents: unknown = op.backward(u, ctx);
    if (!Array.isArray(cotangents)) {
      throw new ValueError(
        `jvp: the backward of op '${op.name}' returned ${describeValue(cotangents)}; ` +
          `expected a list of ${tangents.length} gradients (a Variable or null each)`,
      );
    }
    let dot: Variable | null = null;
    const detached: number[] = [];
    for (let k = 0; k < tangents.length; k++) {
      const t = tangents[k]!;
      const w: unknown = cotangents[k];
      if (w === null || w === undefined) {
        if (isZeroTangent(t)) continue;
        throw new ValueError(
          `jvp: the backward of op '${op.name}' returned no gradient for input ${k}, which carries a tangent; ` +
            'forward mode derives the JVP from the backward, so return a gradient for every input (or give the op a jvp)',
        );
      }
      if (!(w instanceof Variable)) {
        throw new ValueError(
          `jvp: the backward of op '${op.name}' returned ${describeValue(w)} for input ${k}; expected a Variable or null`,
        );
      }
      if (!dependsOn(w, u, since)) {
        if (!isZeroTangent(t)) detached.push(k);
        continue;
      }
      const term = w.mul(t).sum();
      dot = dot === null ? term : dot.add(term);
    }
    if (detached.length > 0) checkDetached(op, ctx, cotangents as unknown[], detached);
    if (dot === null || !dot.requiresGrad) return new Variable(zerosLike(ctx.output.value));
    return gradients(dot, [u], { createGraph: record })[0]!;
  });
}

/**
 * Throws when the gradient the backward returned for one of the inputs `detached` (which carry a tangent and whose
 * gradient does not depend on the cotangent) is not zero for every cotangent: its value at the zero cotangent, then
 * at a random one (a zero there means a zero Jacobian, except with probability 0).
 */
function checkDetached(op: Op, ctx: OpContext, cotangents: readonly unknown[], detached: readonly number[]): void {
  const refuse = (k: number): never => {
    throw new ValueError(
      `${op.name}: forward mode needs the backward written with Variable ops (it must depend on the cotangent) ` +
        `or a jvp in the definition; the gradient it returned for input ${k} does not depend on the cotangent g ` +
        '(it was computed outside the tape, e.g. from g.value), so jvp, jacfwd and hessian cannot transpose it',
    );
  };
  for (const k of detached) if (!isAllZero((cotangents[k] as Variable).value)) refuse(k);
  const out = ctx.output.value;
  const probe = isFloat(out.dtype) ? randn(out.shape, { generator: new Generator(0), dtype: out.dtype }) : onesLike(out);
  const again: unknown = withGradMode(false, () => op.backward(new Variable(probe), ctx));
  for (const k of detached) {
    const w: unknown = Array.isArray(again) ? again[k] : undefined;
    if (w instanceof Variable && !isAllZero(w.value)) refuse(k);
  }
}
