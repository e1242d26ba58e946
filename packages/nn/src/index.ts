/**
 * @packageDocumentation
 * `@tapegrad/nn` owns the neural-network layer of tapegrad: layers (Dense, Dropout, Flatten) written only
 * with autograd ops, activations, initializers, losses and metrics, the Keras-style {@link Sequential}
 * model with its training loop (`fit`, callbacks, History, progress), `mlp()` for the pluggable tutorial,
 * JSON save/load, data utilities, SVG plots, and the hand-derived reference backprop that checks the
 * autograd. It does not own gradients (`@tapegrad/autograd`), update rules (`@tapegrad/optim`) or file
 * I/O: reading and writing files lives in the Node-only entry `@tapegrad/nn/node`, so this core runs
 * unchanged in a browser.
 */
export * from './model/activations.js';
export * from './model/initializers.js';
export * from './model/layers.js';
export * from './model/sequential.js';
export * from './model/mlp.js';
export * from './training/losses.js';
export * from './training/metrics.js';
export * from './training/callback-list.js';
export * from './training/callbacks.js';
export type { CompileOptions } from './training/compile.js';
export type { MetricSpec } from './training/objective.js';
export * from './training/history.js';
export * from './training/progress.js';
export * from './training/data.js';
export * from './training/plot.js';
export {
  base64ToBytes,
  bytesToBase64,
  bytesToTypedArray,
  crc32,
  crc32Hex,
  decodeFloat32Base64,
  encodeFloat32Base64,
  typedArrayToBytes,
} from './io/binary.js';
export * from './io/tensors.js';
export * from './io/layer-config.js';
export type { ModelJSON } from './io/model-json.js';
export { assertSafeJson, parseJsonSafe, type SafeJsonOptions } from './io/safe-json.js';
export * from './reference/index.js';
