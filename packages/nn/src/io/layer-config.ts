import { ValueError } from '@tapegrad/tensor';
import { resolveActivation } from '../model/activations.js';
import { Dense, Dropout, Flatten, type Layer, type LayerOptions } from '../model/layers.js';

/** Rebuilds a layer from `{ type, config }` as written by `Sequential.toJSON`; validates every field. */
export function layerFromConfig(type: unknown, config: unknown): Layer {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw new ValueError(`layerFromConfig: config of layer type ${String(type)} must be an object`);
  }
  const c = config as Record<string, unknown>;
  const name = c.name;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new ValueError(`layerFromConfig: layer name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  const base: LayerOptions = { name };
  if (c.inputShape !== undefined) {
    if (!Array.isArray(c.inputShape) || c.inputShape.length > 8 || !c.inputShape.every((d) => Number.isInteger(d) && d > 0 && d <= 1e8)) {
      throw new ValueError(`layerFromConfig: layer '${name}' inputShape must be positive integers, got ${JSON.stringify(c.inputShape)}`);
    }
    base.inputShape = c.inputShape as number[];
  }
  if (c.trainable !== undefined) {
    if (typeof c.trainable !== 'boolean') throw new ValueError(`layerFromConfig: layer '${name}' trainable must be a boolean`);
    base.trainable = c.trainable;
  }
  switch (type) {
    case 'Dense': {
      const units = c.units;
      if (!Number.isInteger(units) || (units as number) <= 0 || (units as number) > 1e7) {
        throw new ValueError(`layerFromConfig: Dense '${name}' units must be a positive integer, got ${JSON.stringify(units)}`);
      }
      if (typeof c.activation !== 'string') throw new ValueError(`layerFromConfig: Dense '${name}' activation must be a name`);
      if (c.activation === 'custom') {
        throw new ValueError(`layerFromConfig: Dense '${name}' used a custom activation function, which cannot be loaded from JSON`);
      }
      try {
        resolveActivation(c.activation);
      } catch {
        throw new ValueError(
          `layerFromConfig: Dense '${name}' uses activation '${c.activation}', which is neither built in nor registered; ` +
            `call registerActivation('${c.activation}', fn) before loading`,
        );
      }
      if (typeof c.useBias !== 'boolean') throw new ValueError(`layerFromConfig: Dense '${name}' useBias must be a boolean`);
      const init = (v: unknown, what: string): string => {
        if (v === undefined || v === 'custom') return 'zeros'; // weights are loaded over it
        if (typeof v !== 'string') throw new ValueError(`layerFromConfig: Dense '${name}' ${what} must be a name`);
        return v;
      };
      if (c.dtype !== undefined && c.dtype !== 'float32' && c.dtype !== 'float64') {
        throw new ValueError(`layerFromConfig: Dense '${name}' dtype must be float32 or float64`);
      }
      return new Dense(units as number, {
        ...base,
        ...(c.dtype === 'float64' ? { dtype: 'float64' as const } : {}),
        activation: c.activation,
        useBias: c.useBias,
        kernelInitializer: init(c.kernelInitializer, 'kernelInitializer'),
        biasInitializer: init(c.biasInitializer, 'biasInitializer'),
      });
    }
    case 'Dropout': {
      if (typeof c.rate !== 'number' || !(c.rate >= 0 && c.rate < 1)) {
        throw new ValueError(`layerFromConfig: Dropout '${name}' rate must be in [0, 1)`);
      }
      if (c.seed !== undefined && !Number.isFinite(c.seed)) {
        throw new ValueError(`layerFromConfig: Dropout '${name}' seed must be a number`);
      }
      return new Dropout(c.rate, { ...base, ...(c.seed !== undefined ? { seed: c.seed as number } : {}) });
    }
    case 'Flatten':
      return new Flatten(base);
    default:
      throw new ValueError(`layerFromConfig: unknown layer type ${JSON.stringify(type)}; expected Dense, Dropout or Flatten`);
  }
}
