import type { Tensor } from '@tapegrad/tensor';
import { apply, type Op, type OpContext } from './op.js';
import { toVariable, type Operand, type Variable } from './variable.js';

/** The definition of a user op: the same shape as a built-in {@link Op}. */
export interface OpDefinition {
  /** Label on the tape. */
  name: string;
  /** Computes the output from the input tensors; may `ctx.save(...)` values for backward. */
  forward(inputs: Tensor[], ctx: OpContext): Tensor;
  /** One gradient per input (or null), written with Variable ops so that it can be differentiated again. */
  backward(grad: Variable, ctx: OpContext): (Variable | null)[];
}

/**
 * Turns an op definition into a function on variables, recorded on the tape like any built-in.
 * @example
 * const softplus = defineOp({
 *   name: 'softplus',
 *   forward: ([x]) => log1p(exp(x)),                       // tensor kernels
 *   backward: (g, { inputs: [x] }) => [g.mul(x.sigmoid())], // Variable ops
 * });
 */
export function defineOp(definition: OpDefinition): (...inputs: Operand[]) => Variable {
  const op: Op = { name: definition.name, forward: definition.forward, backward: definition.backward };
  return (...inputs) => {
    const first = inputs.find((x) => typeof x !== 'number');
    const like = first === undefined ? undefined : toVariable(first);
    return apply(op, inputs.map((x) => toVariable(x, like)));
  };
}
