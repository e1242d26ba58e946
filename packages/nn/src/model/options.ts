import { ValueError, fmtValue } from '@tapegrad/tensor';
import { checkSeed, singleOption } from '../io/limits.js';
import { checkModelName } from './checks.js';
import type { Layer } from './layers.js';

// The small option bags of Sequential (its fit options, which name the model type, stay beside the class).

/** Options of {@link Sequential.evaluate} and {@link Sequential.predict}. */
export interface EvaluateOptions {
  batchSize?: number;
}

/** Options of {@link Sequential.toJSON} and of `save` in `@tapegrad/nn/node`. */
export interface SaveOptions {
  /** Store the optimizer's state (moments, step counts) so that training resumes exactly (default true). */
  includeOptimizer?: boolean;
}

/**
 * `includeOptimizer` of `toJSON`/`save`'s options (default true): undefined, a string (the key `JSON.stringify` passes
 * to `toJSON`) or `{ includeOptimizer?: boolean }`; other keys and non-boolean values are refused (a typo such as
 * `includeOptimiser` would otherwise silently keep the optimizer, and `'no'` is truthy).
 */
export function includeOptimizerOf(fn: string, options: unknown): boolean {
  if (typeof options === 'string') return true;
  const v = singleOption(fn, options, 'includeOptimizer', 'a boolean, default true');
  if (v !== undefined && typeof v !== 'boolean') {
    throw new ValueError(`${fn}: includeOptimizer must be true or false, got ${fmtValue(v)}`);
  }
  return v ?? true;
}

/** Options of the {@link Sequential} constructor. */
export interface SequentialOptions {
  name?: string;
  /** Seed of the model's generator (weight init, dropout, shuffling); default 0. */
  seed?: number | string;
  layers?: Layer[];
}

/**
 * The constructor's arguments (`new Sequential(layers, options)` or `new Sequential(options)`) with their defaults,
 * the name and seed checked with the bounds of the model file (io/limits.ts), so that a model that trains can be saved.
 */
export function sequentialOptions(
  layersOrOptions: Layer[] | SequentialOptions,
  options: SequentialOptions,
): { name: string; seed: number | string; layers: Layer[] } {
  const opts = Array.isArray(layersOrOptions) ? { ...options, layers: layersOrOptions } : (layersOrOptions ?? {});
  if (opts.layers !== undefined && !Array.isArray(opts.layers)) {
    throw new ValueError(`Sequential: layers must be an array of layers, got ${fmtValue(opts.layers)}`);
  }
  return {
    name: checkModelName('Sequential', opts.name ?? 'sequential'),
    seed: checkSeed('Sequential: seed', opts.seed ?? 0),
    layers: opts.layers ?? [],
  };
}
