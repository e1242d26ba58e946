import { Tensor, ValueError, fmtShape } from '@tapegrad/tensor';
import { currentBackward, isAnomalyEnabled, isGradEnabled } from './grad-mode.js';
import { Variable } from './variable.js';

/**
 * What an op's forward leaves for its backward: the input {@link Variable}s, the output Variable (set once
 * forward returns) and anything saved with {@link OpContext.save}.
 */
export class OpContext {
  /** The inputs as Variables, so a backward can use them in differentiable expressions. */
  readonly inputs: Variable[];
  /** The result of the op; backward formulas may reuse it (tanh′ = 1 − y²) and stay twice-differentiable. */
  output!: Variable;
  /** Values stored by {@link OpContext.save}; cleared when the graph is released. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  saved: any[] = [];
  /** True once a backward without `retainGraph` has walked through this entry. */
  released = false;

  constructor(inputs: Variable[]) {
    this.inputs = inputs;
  }

  /** Keeps values (tensors, numbers, variables) for the backward pass. */
  save(...values: unknown[]): void {
    this.saved = values;
  }
}

/**
 * A differentiable operation: `forward` computes the value from input tensors; `backward` maps the output's
 * gradient to one gradient per input (null for inputs that need none), written with Variable ops so that
 * `createGraph` can differentiate it again.
 */
export interface Op {
  /** Label shown on the tape, in error messages and in graph exports. */
  name: string;
  /** Computes the output value from the input values. */
  forward(inputs: Tensor[], ctx: OpContext): Tensor;
  /** Maps the output gradient to the gradients of the inputs (same shapes as the inputs). */
  backward(grad: Variable, ctx: OpContext): (Variable | null)[];
}

/**
 * One recorded application of an op. The output owns its entry (`output.node`), and an entry points only at
 * its inputs, so a graph nobody backpropagates is garbage-collected with its last output.
 */
export interface TapeNode {
  /** Creation order, unique per process: later entries have larger ids. */
  id: number;
  /** The op applied. */
  op: Op;
  /** The input variables, in the op's argument order. */
  inputs: Variable[];
  /** What forward saved for backward. */
  ctx: OpContext;
  /**
   * The output variable, behind a `WeakRef`-shaped `deref()`. It is an ordinary (strong) reference: a real
   * WeakRef keeps its target alive until the current synchronous job ends, so a synchronous training loop
   * would retain every graph it built. The output → entry → output cycle is collected as a whole.
   */
  outputRef: OutputRef;
}

/** How a {@link TapeNode} refers to its output: `deref()` returns it. */
export class OutputRef {
  constructor(private readonly output: Variable) {}
  /** The output variable. */
  deref(): Variable {
    return this.output;
  }
}

let nextId = 0;

/**
 * Applies `op` to `inputs` and records a tape entry when recording is on and any input requires a gradient.
 * @example apply(Mul, [a, b])
 */
export function apply(op: Op, inputs: Variable[]): Variable {
  const ctx = new OpContext(inputs);
  const value = op.forward(
    inputs.map((v) => v.value),
    ctx,
  );
  if (!(value instanceof Tensor)) {
    throw new ValueError(`${op.name}: forward returned ${String(value)}; expected a Tensor`);
  }
  if (isAnomalyEnabled()) {
    const during = currentBackward();
    checkFinite(value, `${op.name} (forward${during === null ? '' : `, inside the backward of '${during}'`})`, inputs);
  }
  let record = false;
  if (isGradEnabled()) for (const v of inputs) if (v.requiresGrad) record = true;
  const output = new Variable(value, { requiresGrad: record });
  ctx.output = output;
  if (record) output.node = { id: nextId++, op, inputs, ctx, outputRef: new OutputRef(output) };
  return output;
}

/** Throws naming `where` and the input shapes when `t` holds NaN or ±Infinity (used by anomaly mode). */
export function checkFinite(t: Tensor, where: string, inputs: readonly Variable[]): void {
  const data = t.values();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const shapes = inputs.map((v) => fmtShape(v.shape)).join(', ');
      throw new ValueError(`detectAnomaly: ${where} produced ${data[i]} at flat index ${i}; input shapes ${shapes}`);
    }
  }
}
