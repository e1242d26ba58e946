import { ValueError } from '@tapegrad/tensor';
import { resolveActivation } from '../model/activations.js';
import { Dense, Dropout, Flatten, type Layer, type LayerOptions } from '../model/layers.js';
import { MAX_UNITS, checkInputShape, checkName } from './limits.js';
import { describe } from './safe-json.js';

/** Rebuilds a layer from `{ type, config }` as written by `Sequential.toJSON`; validates every field. */
export function layerFromConfig(type: unknown, config: unknown): Layer {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw new ValueError(`layerFromConfig: config of layer type ${describe(type)} must be an object, got ${describe(config)}`);
  }
  const c = config as Record<string, unknown>;
  const name = checkName('layerFromConfig: layer name', c.name);
  const base: LayerOptions = { name };
  if (c.inputShape !== undefined) base.inputShape = checkInputShape(`layerFromConfig: layer '${name}' inputShape`, c.inputShape);
  if (c.trainable !== undefined) {
    if (typeof c.trainable !== 'boolean') {
      throw new ValueError(`layerFromConfig: layer '${name}' trainable must be a boolean, got ${describe(c.trainable)}`);
    }
    base.trainable = c.trainable;
  }
  switch (type) {
    case 'Dense': {
      const units = c.units;
      if (!Number.isInteger(units) || (units as number) <= 0 || (units as number) > MAX_UNITS) {
        throw new ValueError(`layerFromConfig: Dense '${name}' units must be a positive integer ≤ ${MAX_UNITS}, got ${describe(units)}`);
      }
      const activation = checkName(`layerFromConfig: Dense '${name}' activation`, c.activation);
      if (activation === 'custom') {
        throw new ValueError(`layerFromConfig: Dense '${name}' used a custom activation function, which cannot be loaded from JSON`);
      }
      try {
        resolveActivation(activation);
      } catch {
        throw new ValueError(
          `layerFromConfig: Dense '${name}' uses activation '${activation}', which is neither built in nor registered; ` +
            `call registerActivation('${activation}', fn) before loading`,
        );
      }
      if (typeof c.useBias !== 'boolean') {
        throw new ValueError(`layerFromConfig: Dense '${name}' useBias must be a boolean, got ${describe(c.useBias)}`);
      }
      const init = (v: unknown, what: string): string => {
        if (v === undefined || v === 'custom') return 'zeros'; // weights are loaded over it
        return checkName(`layerFromConfig: Dense '${name}' ${what}`, v);
      };
      if (c.dtype !== undefined && c.dtype !== 'float32' && c.dtype !== 'float64') {
        throw new ValueError(`layerFromConfig: Dense '${name}' dtype must be float32 or float64, got ${describe(c.dtype)}`);
      }
      return new Dense(units as number, {
        ...base,
        ...(c.dtype === 'float64' ? { dtype: 'float64' as const } : {}),
        activation,
        useBias: c.useBias,
        kernelInitializer: init(c.kernelInitializer, 'kernelInitializer'),
        biasInitializer: init(c.biasInitializer, 'biasInitializer'),
      });
    }
    case 'Dropout': {
      if (typeof c.rate !== 'number' || !(c.rate >= 0 && c.rate < 1)) {
        throw new ValueError(`layerFromConfig: Dropout '${name}' rate must be in [0, 1), got ${describe(c.rate)}`);
      }
      if (c.seed !== undefined && !Number.isFinite(c.seed)) {
        throw new ValueError(`layerFromConfig: Dropout '${name}' seed must be a finite number, got ${describe(c.seed)}`);
      }
      return new Dropout(c.rate, { ...base, ...(c.seed !== undefined ? { seed: c.seed as number } : {}) });
    }
    case 'Flatten':
      return new Flatten(base);
    default:
      throw new ValueError(`layerFromConfig: unknown layer type ${describe(type)}; expected Dense, Dropout or Flatten`);
  }
}
