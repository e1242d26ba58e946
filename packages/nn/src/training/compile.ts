import type { Variable } from '@tapegrad/autograd';
import { createOptimizer, optimizerNames, type Optimizer } from '@tapegrad/optim';
import { ValueError, fmtValue } from '@tapegrad/tensor';
import { getLoss, resolveLossName, type LossFn } from './losses.js';
import { resolveMetricName } from './metrics.js';
import type { MetricSpec, Objective } from './objective.js';
import {
  checkCompileKeys,
  checkFromLogits,
  checkLearningRate,
  checkOptimizerInstance,
  checkOptimizerOptions,
  metricList,
} from './optimizer-options.js';

// What `compile` resolves and keeps: the objective (loss and metrics) and how to make the optimizer once the
// model's parameters exist.

/** Options of {@link Sequential.compile}. */
export interface CompileOptions {
  /** Optimizer name (`'adam'`, `'sgd'`, `'iterative'`, …) or an Optimizer instance (default `'adam'`). */
  optimizer?: string | Optimizer;
  /** Loss name or alias (`'mse'`, `'cse'`, …) or a function `(predictions, targets) => scalar Variable`. */
  loss: string | LossFn;
  /**
   * Metrics to track: `'accuracy'` (binary/categorical/sparse picked from the labels), `'mse'`, `'mae'`, or functions;
   * one of them alone is taken as a list of one (as TF.js does).
   */
  metrics?: MetricSpec | MetricSpec[];
  /** Learning rate (the optimizer's default otherwise), in [0, 1e6] (what a model file stores). */
  lr?: number;
  /**
   * Extra options for a named optimizer, as its class takes them (momentum, betas, eps, …; `optimizerOptionNames(name)`
   * in `@tapegrad/optim` lists them); an unknown key is an error, not ignored.
   */
  optimizerOptions?: Record<string, unknown>;
  /** The model outputs logits (a linear last layer): cross-entropies apply the softmax/sigmoid themselves. */
  fromLogits?: boolean;
}

/** A resolved compile: the objective, and the optimizer as asked for (a name with options, or an instance). */
export interface Compiled extends Objective {
  optimizerSpec: string | Optimizer;
  optimizerOptions: Record<string, unknown>;
  lr: number | undefined;
}

/**
 * Resolves {@link CompileOptions}: refuses an unknown option key, a missing or unknown loss, unknown metric names, a
 * non-optimizer, unknown optimizer options, and settings a model file could not store (lr, hyperparameters, metrics);
 * an optimizer instance is given to `model` ({@link claimOptimizer}; `previous` is the model's earlier compile).
 */
export function resolveCompile(options: CompileOptions, previous: Compiled | null, model: { readonly name: string }): Compiled {
  if (!options || options.loss === undefined) {
    throw new ValueError(`compile: a loss is required, e.g. compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' })`);
  }
  checkCompileKeys(options);
  const lossName = typeof options.loss === 'string' ? resolveLossName(options.loss) : null;
  const fromLogits = checkFromLogits(options.fromLogits);
  const lossFn = getLoss(options.loss, { fromLogits });
  const metrics = metricList(options.metrics).map((spec) => ({ key: metricKey(spec), spec }));
  const lr = checkLearningRate(options.lr);
  const optimizerSpec = options.optimizer ?? 'adam';
  if (typeof optimizerSpec !== 'string') {
    const o = optimizerSpec as unknown as Record<string, unknown> | null;
    const missing = o === null || typeof o !== 'object' ? null : ['step', 'setParams'].filter((m) => typeof o[m] !== 'function');
    if (missing === null || missing.length > 0) {
      const got = missing === null ? fmtValue(optimizerSpec) : `an object without ${missing.join(' and ')}`;
      throw new ValueError(`compile: optimizer must be a name or an Optimizer (with step and setParams methods), got ${got}`);
    }
  }
  let optimizerOptions: Record<string, unknown> = {};
  if (typeof optimizerSpec === 'string') {
    createOptimizer(optimizerSpec); // an unknown name first, listing the known ones
    optimizerOptions = checkOptimizerOptions(optimizerSpec, options.optimizerOptions);
  } else {
    if (options.optimizerOptions !== undefined) {
      throw new ValueError(
        `compile: optimizerOptions apply to an optimizer given by name; give them to the ${optimizerSpec.name} instance itself`,
      );
    }
    checkOptimizerInstance(optimizerSpec, lr);
  }
  return claimOptimizer({ lossName, lossFn, fromLogits, metrics, optimizerSpec, optimizerOptions, lr }, previous, model);
}

function metricKey(spec: MetricSpec): string {
  if (typeof spec === 'function') return spec.name || 'metric';
  return resolveMetricName(spec, 'compile');
}

/** Refuses an unknown optimizer name now, so that it is a compile error rather than a fit error. */
export function checkOptimizerName(compiled: Compiled): void {
  if (typeof compiled.optimizerSpec === 'string') createOptimizer(compiled.optimizerSpec, [], optimizerOptions(compiled));
}

/** The model that each optimizer instance given to `compile` trains: an instance holds one model's parameters and state. */
const owners = new WeakMap<object, { readonly name: string }>();

/**
 * Gives the optimizer instance of `next` (if it is one) to `model`, refusing an instance that already trains another
 * model: binding it here would silently take it away from that model, whose `fit` would then update nothing. The
 * instance of `previous` (the model's earlier compile), when `next` no longer uses it, is released for other models.
 * Returns `next`.
 */
function claimOptimizer(next: Compiled, previous: Compiled | null, model: { readonly name: string }): Compiled {
  const spec = next.optimizerSpec;
  if (typeof spec !== 'string') {
    const owner = owners.get(spec);
    if (owner !== undefined && owner !== model) {
      const name = typeof spec.name === 'string' && spec.name.length <= 40 ? spec.name : 'optimizer';
      const ctor = spec.constructor?.name && spec.constructor.name !== 'Object' ? spec.constructor.name : null;
      const byName = optimizerNames.includes(name) ? ` or give its name (optimizer: '${name}')` : '';
      throw new ValueError(
        `compile: this ${name} optimizer instance already trains another model ('${owner.name}'); an optimizer holds one ` +
          `model's parameters and state, so create one per model (${ctor ? `a new ${ctor}(…)` : 'a new optimizer'} for each)${byName}`,
      );
    }
  }
  const old = previous?.optimizerSpec;
  if (old !== undefined && typeof old !== 'string' && old !== spec && owners.get(old) === model) owners.delete(old);
  if (typeof spec !== 'string') owners.set(spec, model);
  return next;
}

/**
 * The optimizer of a compile bound to `params`: `bound` (the one already bound, if any) kept in step with them, else
 * created from its name, or the given instance with `lr` applied and rebound.
 */
export function bindOptimizer(compiled: Compiled, params: Variable[], bound: Optimizer | null = null): Optimizer {
  if (bound) return syncOptimizer(bound, params);
  if (typeof compiled.optimizerSpec === 'string') return createOptimizer(compiled.optimizerSpec, params, optimizerOptions(compiled));
  const optimizer = compiled.optimizerSpec;
  if (compiled.lr !== undefined) optimizer.lr = compiled.lr;
  optimizer.setParams(params);
  return optimizer;
}

/**
 * `optimizer` bound to `params`, the model's trainable parameters now: rebound when they changed since it was bound (a
 * layer's `trainable` flag was flipped), each parameter still trained keeping its state (PyTorch keys state by
 * parameter) — so training, and the state a save writes, follow the flags without a recompile.
 */
function syncOptimizer(optimizer: Optimizer, params: Variable[]): Optimizer {
  const bound = optimizer.params;
  if (bound.length !== params.length || bound.some((p, i) => p !== params[i])) optimizer.setParams(params, { keepState: true });
  return optimizer;
}

function optimizerOptions(c: Compiled): Record<string, unknown> {
  return c.lr === undefined ? { ...c.optimizerOptions } : { ...c.optimizerOptions, lr: c.lr };
}
