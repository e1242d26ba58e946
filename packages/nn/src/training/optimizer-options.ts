import { Optimizer, createOptimizer, optimizerNames, optimizerOptionNames, optionHint } from '@tapegrad/optim';
import { ValueError, fmtValue } from '@tapegrad/tensor';
import { MAX_HYPERPARAMETER, MAX_METRICS } from '../io/limits.js';
import { checkBoolean } from '../model/checks.js';
import type { MetricSpec } from './objective.js';

// The checks of `compile`'s options that a model file would otherwise make only at save time: no unknown key
// (a Keras or TF.js spelling is named with its tapegrad one), a learning rate and optimizer hyperparameters within
// MAX_HYPERPARAMETER and of the type the optimizer reports, a boolean fromLogits and at most MAX_METRICS metrics.

/** The keys of {@link CompileOptions}, in the order messages list them. */
const COMPILE_KEYS = ['optimizer', 'loss', 'metrics', 'lr', 'optimizerOptions', 'fromLogits'];

/** Keras / TF.js / PyTorch spellings and the tapegrad option they mean (shown when the key is unknown). */
const COMPILE_HINTS: Readonly<Record<string, string>> = {
  learningRate: 'lr: the learning rate',
  learning_rate: 'lr: the learning rate',
  from_logits: 'fromLogits',
  optimizer_options: 'optimizerOptions',
  optimizerConfig: 'optimizerOptions',
};

/** Refuses an options object with a key compile does not read (it would be ignored), naming the tapegrad option it may mean. */
export function checkCompileKeys(options: object): void {
  for (const key of Object.keys(options)) {
    if (COMPILE_KEYS.includes(key)) continue;
    const hint = Object.hasOwn(COMPILE_HINTS, key) ? ` (use ${COMPILE_HINTS[key]})` : '';
    throw new ValueError(`compile: unknown option '${key}'${hint}; compile takes ${COMPILE_KEYS.join(', ')}`);
  }
}

/** The learning rate of a compile: undefined (the optimizer's default) or a finite number in [0, MAX_HYPERPARAMETER]. */
export function checkLearningRate(lr: unknown): number | undefined {
  if (lr === undefined) return undefined;
  if (typeof lr !== 'number' || !(lr >= 0 && lr <= MAX_HYPERPARAMETER)) {
    throw new ValueError(
      `compile: lr must be a finite number in [0, ${MAX_HYPERPARAMETER}] (the range a model file stores), got ${fmtValue(lr)}`,
    );
  }
  return lr;
}

/** `fromLogits` of a compile: a boolean (default false). */
export function checkFromLogits(fromLogits: unknown): boolean {
  return fromLogits === undefined ? false : checkBoolean('compile', 'fromLogits', fromLogits);
}

/** The metrics of a compile as a list: an array, or one name or function alone (as TF.js takes it); none by default. */
export function metricList(metrics: unknown): MetricSpec[] {
  if (metrics === undefined || metrics === null) return [];
  const list = typeof metrics === 'string' || typeof metrics === 'function' ? [metrics] : metrics;
  if (!Array.isArray(list)) {
    throw new ValueError(`compile: metrics must be an array of metric names or functions (or one of them), got ${fmtValue(metrics)}`);
  }
  if (list.length > MAX_METRICS) {
    throw new ValueError(`compile: at most ${MAX_METRICS} metrics, got ${list.length}; a model file holds no more`);
  }
  list.forEach((m, i) => {
    if (typeof m !== 'string' && typeof m !== 'function') {
      throw new ValueError(
        `compile: metrics[${i}] must be a metric name or a function (predictions, targets) => number, got ${fmtValue(m)}`,
      );
    }
  });
  return list as MetricSpec[];
}

/**
 * Checks the options of the named optimizer `name` (already known to exist): no key the optimizer does not take,
 * and for each hyperparameter the type of its default, numbers finite of magnitude at most MAX_HYPERPARAMETER (the
 * optimizer's constructor then checks their ranges). Returns a copy.
 */
export function checkOptimizerOptions(name: string, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`compile: optimizerOptions must be an object of option values, got ${fmtValue(options)}`);
  }
  const canonical = name.toLowerCase();
  const accepted = optimizerOptionNames(canonical);
  const defaults = createOptimizer(canonical).config();
  for (const [key, value] of Object.entries(options)) {
    if (key === 'name') {
      if (typeof value !== 'string' || value.toLowerCase() !== canonical) {
        const shown = typeof value === 'string' && value.length <= 40 ? `'${value}'` : fmtValue(value);
        throw new ValueError(`compile: optimizerOptions.name is ${shown} but the optimizer is '${canonical}'`);
      }
      continue;
    }
    if (!accepted.includes(key)) {
      const use = optionHint(key, accepted);
      throw new ValueError(
        `compile: unknown optimizerOptions key '${key}' for ${canonical}${use}; ${canonical} takes ${accepted.join(', ')}`,
      );
    }
    // clipping options and aliases (rho) are numbers; the rest take the type of their default
    checkHyperparameter(`compile: optimizerOptions.${key}`, key in defaults ? defaults[key] : 0, value);
  }
  return { ...(options as Record<string, unknown>) };
}

/**
 * Checks the settings of an optimizer instance given to compile as a model file would (its `lr` aside when compile
 * sets one): for a registered optimizer, every hyperparameter of its `config()` as {@link checkOptimizerOptions} does.
 */
export function checkOptimizerInstance(optimizer: Optimizer, lr: number | undefined): void {
  if (!(optimizer instanceof Optimizer) || !optimizerNames.includes(optimizer.name)) return;
  const defaults = createOptimizer(optimizer.name, [], { flavor: optimizer.flavor }).config();
  for (const [key, value] of Object.entries(optimizer.config())) {
    if (key === 'name' || key === 'flavor' || (key === 'lr' && lr !== undefined)) continue;
    checkHyperparameter(`compile: the optimizer's ${key}`, defaults[key] ?? 0, value);
  }
}

function checkHyperparameter(where: string, template: unknown, value: unknown): void {
  const finite = (x: unknown): boolean => typeof x === 'number' && Math.abs(x) <= MAX_HYPERPARAMETER;
  if (typeof template === 'number') {
    if (value === null || value === undefined || finite(value)) return; // null/undefined: the default (clipping: unset)
    throw new ValueError(`${where} must be a finite number of magnitude ≤ ${MAX_HYPERPARAMETER}, got ${fmtValue(value)}`);
  }
  if (Array.isArray(template)) {
    if (value === undefined || (Array.isArray(value) && value.length === template.length && value.every(finite))) return;
    throw new ValueError(`${where} must be ${template.length} finite numbers of magnitude ≤ ${MAX_HYPERPARAMETER}, got ${fmtValue(value)}`);
  }
  if (value !== undefined && typeof value !== typeof template) {
    throw new ValueError(`${where} must be a ${typeof template}, got ${fmtValue(value)}`);
  }
}
