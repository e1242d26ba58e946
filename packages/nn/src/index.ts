/**
 * @packageDocumentation
 * `@tapegrad/nn` owns the neural-network layer of tapegrad, in four folders by job:
 *
 * - `model/` — layers (Dense, Dropout, Flatten) written only with autograd ops, activations, initializers,
 *   the Keras-style {@link Sequential} (add, build, parameters, predict, summary) and `mlp()`;
 * - `training/` — losses, metrics, the fit/fitAsync/evaluate loop, callbacks, History, progress, data
 *   utilities and SVG plots of training curves;
 * - `io/` — the JSON model format (every field, its checks and the version policy: docs/model-format.md):
 *   base64 and CRC-32 of tensors, safe JSON parsing, layer configs, optimizer and generator states, size limits;
 *   the TF.js layers format in memory ({@link toTfjsArtifacts}, {@link fromTfjsArtifacts}; docs/interop.md) and the
 *   `mnist` package's digits from an imported module ({@link mnistFromModule});
 * - `reference/` — the hand-derived backprop (delta rule, Jacobian form) that checks the autograd.
 *
 * {@link Sequential} is the face: it hands plain data (layers, parameters, optimizer, objective, tensors)
 * to those pieces. This package does not own gradients (`@tapegrad/autograd`), update rules
 * (`@tapegrad/optim`) or file I/O: reading and writing files lives in the Node-only entry
 * `@tapegrad/nn/node` (the `node/` folder), so this core runs unchanged in a browser. ONNX, which needs a protobuf
 * library, is the separate entry `@tapegrad/nn/onnx`, so this one has no dependency beyond tapegrad's own packages.
 *
 * @module \@tapegrad/nn
 */
export * from './model/activations.js';
export * from './model/initializers.js';
export * from './model/layers.js';
export * from './model/sequential.js';
export * from './model/mlp.js';

export * from './training/losses.js';
export * from './training/metrics.js';
export type { CompileOptions } from './training/compile.js';
export type { MetricSpec } from './training/objective.js';
export * from './training/callback-list.js';
export * from './training/callbacks.js';
export * from './training/history.js';
export * from './training/progress.js';
export * from './training/data.js';
export * from './training/plot.js';

export type { ModelJSON } from './io/model-json.js';
export * from './io/layer-config.js';
export * from './io/tensors.js';
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
export { assertSafeJson, parseJsonSafe, type SafeJsonOptions } from './io/safe-json.js';
export { fromTfjsArtifacts, toTfjsArtifacts, type TfjsArtifacts, type TfjsArtifactsInput, type TfjsWeightSpec } from './io/tfjs.js';
export { mnistFromModule, type ImageDataset, type MnistSplitOptions } from './io/mnist-module.js';

export * from './reference/index.js';
