import { ValueError, zerosLike, type Tensor } from '@tapegrad/tensor';
import { Variable, apply, isZeroTangent, type Op, type OpContext, type Operand } from './core.js';
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
 * and needs the backward to return a gradient for every input that carries a tangent.
 * @example
 * const softplus = defineOp({
 *   name: 'softplus',
 *   forward: ([x]) => log1p(exp(x)),                       // tensor kernels
 *   backward: (g, { inputs: [x] }) => [g.mul(x.sigmoid())], // Variable ops
 * });
 */
export function defineOp(definition: OpDefinition): (...inputs: Operand[]) => Variable {
  checkDefinition(definition);
  const op: Op = {
    name: definition.name,
    forward: definition.forward,
    backward: definition.backward,
    jvp: definition.jvp ?? ((tangents, ctx) => jvpByTransposingVjp(op, tangents, ctx)),
  };
  if (definition.formula !== undefined) op.formula = definition.formula;
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

/** J·v = ∂⟨Jᵀu, v⟩/∂u for a dummy cotangent u (the VJP is linear in u, so any u gives the same result). */
function jvpByTransposingVjp(op: Op, tangents: Variable[], ctx: OpContext): Variable {
  const record = isGradEnabled();
  return withGradMode(true, () => {
    const u = new Variable(zerosLike(ctx.output.value), { requiresGrad: true });
    const cotangents = op.backward(u, ctx);
    let dot: Variable | null = null;
    for (let k = 0; k < tangents.length; k++) {
      const [t, w] = [tangents[k]!, cotangents[k]];
      if (w === null || w === undefined) {
        if (isZeroTangent(t)) continue;
        throw new ValueError(
          `jvp: the backward of op '${op.name}' returned no gradient for input ${k}, which carries a tangent; ` +
            'forward mode derives the JVP from the backward, so return a gradient for every input (or give the op a jvp)',
        );
      }
      const term = w.mul(t).sum();
      dot = dot === null ? term : dot.add(term);
    }
    if (dot === null || !dot.requiresGrad) return new Variable(zerosLike(ctx.output.value));
    return gradients(dot, [u], { createGraph: record })[0]!;
  });
}
