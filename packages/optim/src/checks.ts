import { Tensor, ValueError, fmtValue } from '@tapegrad/tensor';

// Argument checks shared by the optimizers (internal: the package index re-exports only optionHint). Every message names
// the function, the argument or field, what it got (described by its type, never a whole object) and what it expects.

/** True for `{}`-style objects (prototype Object.prototype or null): what JSON.parse makes. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A boolean option: undefined or null gives `fallback`; anything but true or false is refused (`'false'` is truthy). */
export function checkBoolean(fn: string, what: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean')
    throw new ValueError(
      `${fn}: ${what} must be a boolean (true or false), got ${fmtValue(v)}${typeof v === 'number' ? ' (a number)' : ''}`,
    );
  return v;
}

/** A count (an iteration or step number): a non-negative safe integer. */
export function checkCount(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ValueError(`${fn}: invalid ${what} ${fmtValue(v)}; expected a non-negative integer`);
  }
  return v;
}

/** The options argument of a constructor: undefined (no options) or an object of option values. */
export function checkOptionsObject<T extends object>(fn: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${fn}: options must be an object of option values, got ${fmtValue(options)}`);
  }
  return options;
}

/** Keras / TF.js / PyTorch spellings and the tapegrad option each means: a hint when an optimizer or schedule refuses the key. */
const OPTION_HINTS: Readonly<Record<string, [key: string, hint: string]>> = {
  learningRate: ['lr', 'lr'],
  learning_rate: ['lr', 'lr'],
  beta1: ['betas', 'betas: [β1, β2]'],
  beta2: ['betas', 'betas: [β1, β2]'],
  beta_1: ['betas', 'betas: [β1, β2]'],
  beta_2: ['betas', 'betas: [β1, β2]'],
  epsilon: ['eps', 'eps'],
  weight_decay: ['weightDecay', 'weightDecay'],
  clipnorm: ['clipNorm', 'clipNorm'],
  global_clipnorm: ['globalClipNorm', 'globalClipNorm'],
  clipvalue: ['clipValue', 'clipValue'],
  momentum_decay: ['momentumDecay', 'momentumDecay'],
  initial_accumulator_value: ['initialAccumulatorValue', 'initialAccumulatorValue'],
  lr_decay: ['lrDecay', 'lrDecay'],
  // the LR schedules' PyTorch spellings
  step_size: ['stepSize', 'stepSize'],
  T_max: ['tMax', 'tMax'],
  eta_min: ['etaMin', 'etaMin'],
  total_iters: ['warmupSteps', 'warmupSteps'],
  start_factor: ['startFactor', 'startFactor'],
  end_factor: ['endFactor', 'endFactor'],
  lr_lambda: ['lrLambda', 'lrLambda'],
  threshold_mode: ['thresholdMode', 'thresholdMode'],
  min_lr: ['minLr', 'minLr'],
};

/**
 * ` (use …)` naming the tapegrad option that a Keras/TF.js/PyTorch spelling `key` means, when `accepted` (an
 * optimizer's option names) has it; else `''`. For messages about an unknown option (here and in nn's compile).
 */
export function optionHint(key: string, accepted: readonly string[]): string {
  const [target, hint] = Object.hasOwn(OPTION_HINTS, key) ? OPTION_HINTS[key]! : [null, ''];
  return target !== null && accepted.includes(target) ? ` (use ${hint})` : '';
}

/**
 * Refuses an option key the optimizer does not read (it would be silently ignored), naming the tapegrad option a
 * Keras/PyTorch spelling means and listing the accepted keys. A key whose value is undefined counts as absent; a
 * `name` key (as `config()` reports it) is accepted when it names this optimizer.
 */
export function checkOptionKeys(fn: string, options: object, accepted: readonly string[], names: readonly string[]): void {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || accepted.includes(key)) continue;
    if (key === 'name') {
      if (typeof value === 'string' && names.includes(value.toLowerCase())) continue;
      throw new ValueError(`${fn}: options.name is ${fmtValue(value)}; expected '${names[0]}' (the name config() reports) or no name`);
    }
    throw new ValueError(`${fn}: unknown option '${key}'${optionHint(key, accepted)}; ${fn} takes ${accepted.join(', ')}`);
  }
}

/** A parameter as {@link checkParams} returns it (the shape of optimizer.ts's Parameter, without importing it). */
interface CheckedParameter {
  value: Tensor;
  grad: Tensor | null;
  name?: string;
}

/**
 * The parameters given to a constructor, `setParams` or `step`: an array (or other iterable) of objects with a Tensor
 * `value` (a Variable, or any `{ value, grad }`), each at most once, and no two sharing their value tensor (either
 * would be updated twice per step). Returns them as a new array.
 */
export function checkParams(fn: string, params: unknown): CheckedParameter[] {
  const iterable =
    params !== null &&
    (typeof params === 'object' || typeof params === 'function') &&
    typeof (params as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
  if (!iterable) {
    throw new ValueError(`${fn}: params must be an array (or iterable) of parameters such as Variables, got ${fmtValue(params)}`);
  }
  const list = [...(params as Iterable<unknown>)];
  const seen = new Map<unknown, number>();
  const values = new Map<Tensor, number>();
  list.forEach((p, i) => {
    if (p === null || typeof p !== 'object') {
      throw new ValueError(`${fn}: params[${i}] is ${fmtValue(p)}; expected a parameter (a Variable, or an object with a Tensor value)`);
    }
    const value = (p as { value?: unknown }).value;
    if (!(value instanceof Tensor)) {
      throw new ValueError(`${fn}: params[${i}].value is ${fmtValue(value)}; expected a Tensor (a parameter's value)`);
    }
    const first = seen.get(p) ?? values.get(value);
    if (first !== undefined) {
      const same = seen.has(p) ? 'the same parameter as' : 'a parameter sharing its value tensor with';
      throw new ValueError(
        `${fn}: params[${i}] is ${same} params[${first}]; each parameter may appear only once (it would be updated twice per step)`,
      );
    }
    seen.set(p, i);
    values.set(value, i);
  });
  return list as CheckedParameter[];
}
