import { ValueError } from '@tapegrad/tensor';
import { Adadelta } from './adadelta.js';
import { checkOptionsObject } from './checks.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import { Adamax } from './adamax.js';
import { Nadam } from './nadam.js';
import { Optimizer, type Parameter } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { Iterative, Momentum, SGD } from './sgd.js';

type Ctor = new (params?: Iterable<Parameter>, options?: Record<string, unknown>) => Optimizer;

const registry: Record<string, Ctor> = {
  sgd: SGD as Ctor,
  iterative: Iterative as Ctor,
  momentum: Momentum as Ctor,
  rmsprop: RMSprop as Ctor,
  adagrad: Adagrad as Ctor,
  adam: Adam as Ctor,
  adamax: Adamax as Ctor,
  adadelta: Adadelta as Ctor,
  adamw: AdamW as Ctor,
  nadam: Nadam as Ctor,
};

/**
 * True when `optimizer` is an instance of exactly the built-in class registered under its name — what a model file can
 * recreate by name. A subclass (a custom update rule under a built-in name) is not: it would load as its parent.
 */
export function isBuiltinOptimizer(optimizer: Optimizer): boolean {
  const name = optimizer.name.toLowerCase();
  return Object.hasOwn(registry, name) && Object.getPrototypeOf(optimizer) === registry[name]!.prototype;
}

/** The names `createOptimizer` and `compile` accept. */
export const optimizerNames: readonly string[] = Object.freeze(Object.keys(registry));

/**
 * An optimizer from a name (case-insensitive; `options` as the class takes them, a `name` key is ignored so
 * `config()` round-trips; a key not in {@link optimizerOptionNames} is refused) or an existing optimizer (bound to
 * `params` when given).
 * @example createOptimizer('adam', model.parameters(), { lr: 1e-3 })
 */
export function createOptimizer(
  nameOrOptimizer: string | Optimizer,
  params?: Iterable<Parameter>,
  options: Record<string, unknown> = {},
): Optimizer {
  if (nameOrOptimizer instanceof Optimizer) {
    if (params !== undefined) nameOrOptimizer.setParams(params);
    return nameOrOptimizer;
  }
  if (typeof nameOrOptimizer !== 'string') {
    throw new ValueError(
      `createOptimizer: got ${typeof nameOrOptimizer}; expected an optimizer name (${optimizerNames.join(', ')}) or an Optimizer`,
    );
  }
  const ctor = registry[nameOrOptimizer.toLowerCase()];
  if (!ctor) {
    throw new ValueError(`createOptimizer: unknown optimizer '${nameOrOptimizer}'; expected one of ${optimizerNames.join(', ')}`);
  }
  const { name: _ignored, ...rest } = checkOptionsObject(`createOptimizer('${nameOrOptimizer}')`, options);
  return new ctor(params, rest);
}

/**
 * Every option key `createOptimizer(name, params, options)` reads for the optimizer `name`: the hyperparameters its
 * `config()` reports (`flavor`, `lr`, `weightDecay`, `maximize`, then its own), the Keras clipping options and any
 * alias; `name` itself is accepted and ignored. What a caller can check unknown keys against.
 * @example optimizerOptionNames('adam') // ['flavor', 'lr', 'weightDecay', 'maximize', 'betas', 'eps', 'amsgrad', 'clipNorm', …]
 */
export function optimizerOptionNames(name: string): string[] {
  return createOptimizer(name).optionNames();
}
