/**
 * @packageDocumentation
 * `@tapegrad/autograd` owns gradients: the {@link Variable} (a tensor that remembers the op that made it),
 * the tape of {@link TapeNode} entries that ops record, the reverse walk in `backward()` (see `engine.ts`,
 * readable in one screen), the built-in ops — each an {@link Op} whose doc line is its derivative —
 * user-defined ops ({@link defineOp}), the functional API (`grad`, `valueAndGrad`, `vjp`, `hvp`), gradient
 * checking and tape listings/graph exports. It owns no numerics: every value is computed by a
 * `@tapegrad/tensor` kernel, and broadcasting is an `expand` whose gradient is a sum, so no backward handles
 * broadcasting itself. There is no global tape: a graph lives exactly as long as its outputs.
 */
export * from './grad-mode.js';
export * from './op.js';
export * from './variable.js';
export * from './engine.js';
export * from './functional.js';
export * from './custom.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export * from './ops/matmul.js';
export * from './ops/nn.js';
export * from './gradcheck.js';
export * from './graph.js';
