import { readMaxBytes } from '../io/limits.js';
import { includeOptimizerOf, type SaveOptions } from '../model/options.js';
import { Sequential } from '../model/sequential.js';
import { loadJson, writeFileAtomic } from './files.js';

/**
 * Writes `model.toJSON(options)` to `path` atomically (temporary file + rename): the old file or the whole new one,
 * never a torn one. `{ includeOptimizer: false }` leaves out the optimizer state: a small file for inference.
 */
export function save(model: Sequential, path: string, options: SaveOptions = {}): void {
  includeOptimizerOf('save', options);
  writeFileAtomic(path, JSON.stringify(model.toJSON(options)));
}

/**
 * Reads a model file written by {@link save}, rejecting truncated, corrupted or hostile documents with a clear error;
 * `maxBytes` (default 1 GiB) bounds the bytes read.
 */
export function load(path: string, options: { maxBytes?: number } = {}): Sequential {
  return Sequential.fromJSON(loadJson(path, { maxBytes: readMaxBytes('load', options, 2 ** 30) }));
}
