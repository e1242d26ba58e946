/**
 * @packageDocumentation
 * `@tapegrad/tensor` owns numbers and memory: the strided {@link Tensor} (`data`, `shape`, `strides`,
 * `offset`), views that copy nothing, pure kernels that return new contiguous tensors, and seeded random
 * numbers. It knows nothing about gradients — that is `@tapegrad/autograd`'s job — and uses no Node-only
 * API, so it runs unchanged in a browser.
 *
 * @module \@tapegrad/tensor
 */
// Attaches the kernel methods (`a.add(b)`, `a.sum(1)`, …) to Tensor; first, so they exist before any other module runs.
import './tensor-methods.js';
export * from './errors.js';
export * from './dtype.js';
export * from './shape.js';
export * from './tensor.js';
export * from './creation.js';
export * from './random.js';
export * from './kernels/matmul.js';
export * from './kernels/elementwise.js';
export * from './kernels/reduce.js';
export * from './kernels/shape-ops.js';
export * from './kernels/format.js';
