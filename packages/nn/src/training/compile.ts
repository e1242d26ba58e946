import type { Variable } from '@tapegrad/autograd';
import { createOptimizer, type Optimizer } from '@tapegrad/optim';
import { ValueError } from '@tapegrad/tensor';
import { getLoss, resolveLossName, type LossFn } from './losses.js';
import { resolveMetricName } from './metrics.js';
import type { MetricSpec, Objective } from './objective.js';

// What `compile` resolves and keeps: the objective (loss and metrics) and how to make the optimizer once the
// model's parameters exist.

/** Options of {@link Sequential.compile}. */
export interface CompileOptions {
  /** Optimizer name (`'adam'`, `'sgd'`, `'iterative'`, …) or an Optimizer instance (default `'adam'`). */
  optimizer?: string | Optimizer;
  /** Loss name or alias (`'mse'`, `'cse'`, …) or a function `(predictions, targets) => scalar Variable`. */
  loss: string | LossFn;
  /** Metrics to track: `'accuracy'` (binary/categorical/sparse picked from the labels), `'mse'`, `'mae'`, or functions. */
  metrics?: MetricSpec[];
  /** Learning rate for a named optimizer (its default otherwise). */
  lr?: number;
  /** Extra options for a named optimizer (momentum, betas, …). */
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

/** Resolves {@link CompileOptions}: refuses a missing or unknown loss, unknown metric names and a non-optimizer. */
export function resolveCompile(options: CompileOptions): Compiled {
  if (!options || options.loss === undefined) {
    throw new ValueError(`compile: a loss is required, e.g. compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' })`);
  }
  const lossName = typeof options.loss === 'string' ? resolveLossName(options.loss) : null;
  const fromLogits = options.fromLogits ?? false;
  const lossFn = getLoss(options.loss, { fromLogits });
  const metrics = (options.metrics ?? []).map((spec) => ({ key: metricKey(spec), spec }));
  const optimizerSpec = options.optimizer ?? 'adam';
  if (typeof optimizerSpec !== 'string' && (typeof optimizerSpec !== 'object' || typeof optimizerSpec.step !== 'function')) {
    throw new ValueError(`compile: optimizer must be a name or an Optimizer, got ${String(optimizerSpec)}`);
  }
  const optimizerOptions = { ...(options.optimizerOptions ?? {}) };
  return { lossName, lossFn, fromLogits, metrics, optimizerSpec, optimizerOptions, lr: options.lr };
}

function metricKey(spec: MetricSpec): string {
  if (typeof spec === 'function') return spec.name || 'metric';
  return resolveMetricName(spec, 'compile');
}

/** Refuses an unknown optimizer name now, so that it is a compile error rather than a fit error. */
export function checkOptimizerName(compiled: Compiled): void {
  if (typeof compiled.optimizerSpec === 'string') createOptimizer(compiled.optimizerSpec, [], optimizerOptions(compiled));
}

/** The optimizer of a compile bound to `params`: created from its name, or the given instance with `lr` applied and rebound. */
export function bindOptimizer(compiled: Compiled, params: Variable[]): Optimizer {
  if (typeof compiled.optimizerSpec === 'string') return createOptimizer(compiled.optimizerSpec, params, optimizerOptions(compiled));
  const optimizer = compiled.optimizerSpec;
  if (compiled.lr !== undefined) optimizer.lr = compiled.lr;
  optimizer.setParams(params);
  return optimizer;
}

function optimizerOptions(c: Compiled): Record<string, unknown> {
  return c.lr === undefined ? { ...c.optimizerOptions } : { ...c.optimizerOptions, lr: c.lr };
}
