import type { Optimizer } from '@tapegrad/optim';
import { ValueError } from '@tapegrad/tensor';
import type { Activation } from './activations.js';
import type { Initializer } from './initializers.js';
import { Dense } from './layers.js';
import type { LossFn } from '../training/losses.js';
import type { MetricSpec } from '../training/objective.js';
import { Sequential } from './sequential.js';

/** Options of {@link mlp}. */
export interface MlpOptions {
  /** Hidden-layer activation (default `relu`). */
  hidden?: string | Activation;
  /** Output activation (default `softmax`). */
  output?: string | Activation;
  /** Loss (default `categoricalCrossentropy`; `'mse'`/`'cse'` accepted). */
  loss?: string | LossFn;
  /** Optimizer name or instance (default `adam`). */
  optimizer?: string | Optimizer;
  lr?: number;
  /** Seed of the model's generator (weights, shuffles). */
  seed?: number | string;
  /** Metrics (default `['accuracy']`). */
  metrics?: MetricSpec[];
  /** Kernel initializer (default `glorotUniform`, i.e. Xavier). */
  kernelInitializer?: string | Initializer;
  name?: string;
}

/**
 * The pluggable-tutorial constructor: `mlp([784, 100, 10], { hidden: 'relu', output: 'softmax', loss, optimizer })`
 * returns a compiled {@link Sequential} of Dense layers with the given sizes (the first is the input size).
 * @example const net = mlp([5, 10, 2], { hidden: 'sigmoid', output: 'softmax', loss: 'cse', optimizer: 'sgd', lr: 0.1 });
 */
export function mlp(sizes: readonly number[], options: MlpOptions = {}): Sequential {
  if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new ValueError(`mlp: sizes must be at least [inputs, outputs] of positive integers, got ${JSON.stringify(sizes)}`);
  }
  const model = new Sequential({ seed: options.seed ?? 0, ...(options.name ? { name: options.name } : {}) });
  const kernelInitializer = options.kernelInitializer ?? 'glorotUniform';
  for (let i = 1; i < sizes.length; i++) {
    const last = i === sizes.length - 1;
    model.add(
      new Dense(sizes[i]!, {
        activation: last ? (options.output ?? 'softmax') : (options.hidden ?? 'relu'),
        kernelInitializer,
        ...(i === 1 ? { inputShape: [sizes[0]!] } : {}),
      }),
    );
  }
  model.compile({
    optimizer: options.optimizer ?? 'adam',
    loss: options.loss ?? 'categoricalCrossentropy',
    metrics: options.metrics ?? ['accuracy'],
    ...(options.lr !== undefined ? { lr: options.lr } : {}),
  });
  return model;
}
