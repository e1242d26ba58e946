import { Variable, elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, softplus, tanh } from '@tapegrad/autograd';
import { ValueError } from '@tapegrad/tensor';
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

/** Resolves an activation name (camelCase or snake_case, `null`/`'none'`/`'identity'` → linear). */
export function resolveActivationName(name: string | null | undefined): ActivationName {
  if (name === null || name === undefined || name === 'none' || name === 'identity') return 'linear';
  const key = normalizeName(name);
  const canon = key === 'leakyrelu' ? 'leakyRelu' : key === 'logsoftmax' ? 'logSoftmax' : key;
  if ((activationNames as readonly string[]).includes(canon)) return canon as ActivationName;
  throw new ValueError(`getActivation: unknown activation '${name}'; expected one of ${activationNames.join(', ')}`);
}

/** Looks an activation up by name, or returns a function unchanged. */
export function getActivation(nameOrFn: string | Activation | null | undefined): Activation {
  if (typeof nameOrFn === 'function') return nameOrFn;
  return table[resolveActivationName(nameOrFn)];
}
