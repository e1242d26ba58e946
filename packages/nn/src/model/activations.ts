import { Variable, elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, softplus, tanh } from '@tapegrad/autograd';
import { ValueError } from '@tapegrad/tensor';
import { MAX_NAME_LENGTH } from '../io/limits.js';
import { normalizeName } from './initializers.js';

/** An activation: a differentiable function of a Variable built from autograd ops. */
export type Activation = (x: Variable) => Variable;

/** The activation names accepted by {@link getActivation} and `Dense`'s `activation` option. */
export const activationNames = Object.freeze([
  'linear',
  'relu',
  'sigmoid',
  'tanh',
  'softmax',
  'leakyRelu',
  'elu',
  'gelu',
  'softplus',
  'logSoftmax',
] as const);

/** One of {@link activationNames}. */
export type ActivationName = (typeof activationNames)[number];

const table: Record<ActivationName, Activation> = {
  linear: (x) => x,
  relu: (x) => relu(x),
  sigmoid: (x) => sigmoid(x),
  tanh: (x) => tanh(x),
  softmax: (x) => softmax(x, -1),
  leakyRelu: (x) => leakyRelu(x),
  elu: (x) => elu(x),
  gelu: (x) => gelu(x),
  softplus: (x) => softplus(x),
  logSoftmax: (x) => logSoftmax(x, -1),
};

/** Resolves a built-in activation name (camelCase or snake_case, `null`/`'none'`/`'identity'` → linear). */
export function resolveActivationName(name: string | null | undefined): ActivationName {
  const builtin = builtinName(name);
  if (builtin !== null) return builtin;
  throw new ValueError(`getActivation: unknown activation '${name}'; expected one of ${activationNames.join(', ')}`);
}

function builtinName(name: string | null | undefined): ActivationName | null {
  if (name === null || name === undefined || name === 'none' || name === 'identity') return 'linear';
  const key = normalizeName(name);
  const canon = key === 'leakyrelu' ? 'leakyRelu' : key === 'logsoftmax' ? 'logSoftmax' : key;
  return (activationNames as readonly string[]).includes(canon) ? (canon as ActivationName) : null;
}

/** Activations added with {@link registerActivation}, by name. */
const registered = new Map<string, Activation>();

/** Names that can never be registered: `custom` marks an unnamed function in a layer's config. */
const reserved = new Set(['none', 'identity', 'custom']);

/**
 * Makes `fn` available by `name` wherever an activation name is accepted (`Dense({ activation: name })`,
 * {@link getActivation}), so models using it show the name in `summary()` and save and load by name.
 * `name` must be a simple identifier and must not be (a spelling of) a built-in; registering a name again
 * replaces the earlier function.
 * @example registerActivation('swish', (x) => swish(x))
 */
export function registerActivation(name: string, fn: Activation): void {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.length > MAX_NAME_LENGTH) {
    const shown = typeof name === 'string' && name.length > 40 ? `a string of length ${name.length}` : JSON.stringify(name);
    throw new ValueError(
      `registerActivation: name must be a simple identifier (letters, digits, _; not starting with a digit) ` +
        `of at most ${MAX_NAME_LENGTH} characters (what a model file holds), got ${shown}`,
    );
  }
  const lower = normalizeName(name).toLowerCase();
  if (reserved.has(name) || builtinName(name) !== null || activationNames.some((b) => b.toLowerCase() === lower)) {
    throw new ValueError(
      `registerActivation: '${name}' is a built-in activation name and cannot be replaced; ` +
        `built-ins are ${activationNames.join(', ')}, and none, identity, custom are reserved`,
    );
  }
  if (typeof fn !== 'function') {
    throw new ValueError(`registerActivation: activation '${name}' must be a function (x: Variable) => Variable, got ${typeof fn}`);
  }
  registered.set(name, fn);
}

/** Removes a registered activation; returns whether it was registered. Built-ins cannot be removed. */
export function unregisterActivation(name: string): boolean {
  return registered.delete(name);
}

/** The names added with {@link registerActivation}, in registration order. */
export function registeredActivationNames(): string[] {
  return [...registered.keys()];
}

/** The registered name of an activation function, or null when it was not registered. */
export function registeredActivationName(fn: Activation): string | null {
  for (const [name, f] of registered) if (f === fn) return name;
  return null;
}

/**
 * Resolves a built-in activation name (as {@link resolveActivationName}) or a registered one (exact spelling);
 * throws naming the known names otherwise.
 */
export function resolveActivation(name: string | null | undefined): string {
  const builtin = builtinName(name);
  if (builtin !== null) return builtin;
  if (registered.has(name!)) return name!;
  const extra = registered.size > 0 ? `, or a registered one (${[...registered.keys()].join(', ')})` : '';
  throw new ValueError(
    `getActivation: unknown activation '${name}'; expected one of ${activationNames.join(', ')}${extra}; ` +
      `a custom activation must be added with registerActivation('${name}', fn) first`,
  );
}

/** Looks an activation up by name (built-in or registered), or returns a function unchanged. */
export function getActivation(nameOrFn: string | Activation | null | undefined): Activation {
  if (typeof nameOrFn === 'function') return nameOrFn;
  const name = resolveActivation(nameOrFn);
  return registered.get(name) ?? table[name as ActivationName];
}
