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

/** Options of the {@link Sequential} constructor. */
export interface SequentialOptions {
  name?: string;
  /** Seed of the model's generator (weight init, dropout, shuffling); default 0. */
  seed?: number | string;
  layers?: Layer[];
}
