import { Tensor, ValueError, fmtShape } from '@tapegrad/tensor';

// Argument checks shared by the optimizers (internal: not re-exported by the package index). Every message names
// the function, the argument or field, what it got (described by its type, never a whole object) and what it expects.

/**
 * A value as an error message shows it: a number as it prints, anything else with its type, so that a numeric string
 * does not read like a number (`"0.1" (a string)`); never a whole object or a long string.
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.length > 40 ? `a string of length ${v.length}` : `${JSON.stringify(v)} (a string)`;
  if (typeof v === 'boolean') return `${v} (a boolean)`;
  if (typeof v === 'bigint') return `${v}n (a bigint)`;
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)} (${v.dtype})`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  const ctor: unknown = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof ctor === 'string' && ctor !== 'Object' && ctor !== '' ? `a ${ctor}` : 'an object';
}

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
      `${fn}: ${what} must be a boolean (true or false), got ${describeValue(v)}${typeof v === 'number' ? ' (a number)' : ''}`,
    );
  return v;
}

/** A count (an iteration or step number): a non-negative safe integer. */
export function checkCount(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ValueError(`${fn}: invalid ${what} ${describeValue(v)}; expected a non-negative integer`);
  }
  return v;
}

/** The options argument of a constructor: undefined (no options) or an object of option values. */
export function checkOptionsObject<T extends object>(fn: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${fn}: options must be an object of option values, got ${describeValue(options)}`);
  }
  return options;
}

/** Keras / TF.js / PyTorch spellings and the tapegrad option they mean: shown when the key is unknown and the optimizer takes it. */
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
};

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
      throw new ValueError(`${fn}: options.name is ${describeValue(value)}; expected '${names[0]}' (the name config() reports) or no name`);
    }
    const [target, hint] = Object.hasOwn(OPTION_HINTS, key) ? OPTION_HINTS[key]! : [null, ''];
    const use = target !== null && accepted.includes(target) ? ` (use ${hint})` : '';
    throw new ValueError(`${fn}: unknown option '${key}'${use}; ${fn} takes ${accepted.join(', ')}`);
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
    throw new ValueError(`${fn}: params must be an array (or iterable) of parameters such as Variables, got ${describeValue(params)}`);
  }
  const list = [...(params as Iterable<unknown>)];
  const seen = new Map<unknown, number>();
  const values = new Map<Tensor, number>();
  list.forEach((p, i) => {
    if (p === null || typeof p !== 'object') {
      throw new ValueError(
        `${fn}: params[${i}] is ${describeValue(p)}; expected a parameter (a Variable, or an object with a Tensor value)`,
      );
    }
    const value = (p as { value?: unknown }).value;
    if (!(value instanceof Tensor)) {
      throw new ValueError(`${fn}: params[${i}].value is ${describeValue(value)}; expected a Tensor (a parameter's value)`);
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
