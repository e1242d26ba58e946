/**
 * @packageDocumentation
 * `@tapegrad/optim` owns the update rules: optimizers read each parameter's `.grad` and write its value in
 * place, keeping their per-parameter state (moments, step counts) to themselves; learning-rate schedules and
 * gradient clipping sit beside them. Every rule reproduces PyTorch's numbers by default and Keras 3's with
 * `flavor: 'keras'`. It knows nothing about graphs or layers: a parameter is anything with `value` and `grad`.
 *
 * @module \@tapegrad/optim
 */
export * from './optimizer.js';
export * from './sgd.js';
export * from './rmsprop.js';
export * from './adagrad.js';
export * from './adadelta.js';
export * from './adam.js';
export * from './adamax.js';
export * from './nadam.js';
export * from './schedules.js';
export * from './clip.js';
export * from './registry.js';
export { optionHint } from './checks.js';
