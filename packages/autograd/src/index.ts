/**
 * @packageDocumentation
 * `@tapegrad/autograd` owns gradients: the {@link Variable} (a tensor that remembers the op that made it),
 * the tape of {@link TapeEntry | tape entries} that ops record, the reverse walk in `backward()` (see
 * `engine.ts`, readable in one screen), and the op table — one entry per op with its forward kernel, its
 * VJP and JVP written with Variable ops and its math (`ops/`, the counterpart of PyTorch's
 * `derivatives.yaml`), from which the free functions (`mul`), Variable's methods (`a.mul(b)`) and the
 * {@link Op}s that label tape entries are derived. Fused fast paths (linear, relu, softmax cross-entropy) sit
 * apart in `fused/`. Also here: user-defined ops ({@link defineOp}), the functional API in reverse mode
 * (`grad`, `valueAndGrad`, `vjp`, `hvp`, `jacrev`) and forward mode (`jvp`, `jacfwd`, `hessian`), gradient
 * checking and tape listings/graph exports. It owns no numerics: every value is computed by a
 * `@tapegrad/tensor` kernel, and broadcasting is an `expand` whose gradient is a sum, so no backward handles
 * broadcasting itself. There is no global tape: a graph lives exactly as long as its outputs.
 *
 * @module \@tapegrad/autograd
 */
import './methods.js';

export * from './grad-mode.js';
export { Variable, OpContext, OutputRef, apply, checkFinite } from './core.js';
export type { GradHook, Op, Operand, TapeEntry } from './core.js';
export * from './variable.js';
export * from './engine.js';
export { grad, hvp, jacrev, valueAndGrad, vjp, type Argnums, type DifferentiableFn, type PerArgnum, type Primal } from './functional.js';
export * from './forward.js';
export * from './custom.js';
export { binary, type Axes, type ReductionParams } from './ops/kinds.js';
export type { Context, Jvp, OpFunction, OpKind, OpSpec, Vjp } from './ops/spec.js';
export { opTable } from './ops/table.js';
export * from './ops/unary.js';
export * from './ops/binary.js';
export * from './ops/reduce.js';
export * from './ops/views.js';
export * from './ops/indexing.js';
export * from './ops/matmul.js';
export * from './ops/nn.js';
export * from './gradcheck.js';
export * from './graph.js';
