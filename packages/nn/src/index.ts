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
export * from './activations.js';
export * from './initializers.js';
export * from './layers.js';
export * from './losses.js';
export * from './sequential.js';
export * from './callbacks.js';
export * from './history.js';
export * from './progress.js';
export * from './mlp.js';
export * from './serialize.js';
export * from './plot.js';
export * from './data.js';
export * from './metrics.js';
export * from './reference/index.js';
