import { Sequential } from '../model/sequential.js';
import { loadJson, writeFileAtomic } from './files.js';

/** Writes `model.toJSON()` to `path` atomically (temporary file + rename): the old file or the whole new one, never a torn one. */
export function save(model: Sequential, path: string): void {
  writeFileAtomic(path, JSON.stringify(model.toJSON()));
}

/** Reads a model file written by {@link save}, rejecting truncated, corrupted or hostile documents with a clear error. */
export function load(path: string, options: { maxBytes?: number } = {}): Sequential {
  return Sequential.fromJSON(loadJson(path, options));
}
