import { ValueError } from '@tapegrad/tensor';
import { describe } from './safe-json.js';

// One view of every size a model file may describe, shared by the reader and the writer: the same bounds decide
// what load accepts and what save agrees to write, and every size is checked before anything is allocated.

/** Most parameters a model may have (2^26 floats, 256 MiB of float32), counted from the architecture before allocating. */
export const MAX_PARAMETERS = 2 ** 26;
/** Most units of one Dense layer. */
export const MAX_UNITS = 1e7;
/** Most layers of a model. */
export const MAX_LAYERS = 1000;
/** Most dimensions of an input shape. */
export const MAX_INPUT_DIMS = 8;
/** Longest model, layer, activation, initializer, loss or metric name. */
export const MAX_NAME_LENGTH = 200;
/** Longest string seed. */
export const MAX_SEED_LENGTH = 1000;
/** Most metrics a compile section may list. */
export const MAX_METRICS = 32;
/**
 * Largest magnitude of a numeric hyperparameter or optimizer scalar in a file (learning rate, momentum, decays,
 * clipping bounds): beyond it one training step overflows float32, so a larger value is taken for corruption.
 */
export const MAX_HYPERPARAMETER = 1e6;

/** Checks a per-sample shape: 1 to {@link MAX_INPUT_DIMS} positive integers whose product is at most {@link MAX_PARAMETERS}. */
export function checkInputShape(where: string, shape: unknown): number[] {
  const ok =
    Array.isArray(shape) &&
    shape.length > 0 &&
    shape.length <= MAX_INPUT_DIMS &&
    shape.every((d) => Number.isInteger(d) && d > 0) &&
    shape.reduce((a: number, b: number) => a * b, 1) <= MAX_PARAMETERS;
  if (!ok) {
    throw new ValueError(
      `${where} must be 1 to ${MAX_INPUT_DIMS} positive integers with at most ${MAX_PARAMETERS} features in all, got ${describe(shape)}`,
    );
  }
  return [...(shape as number[])];
}

/** Checks a name: a non-empty string of at most {@link MAX_NAME_LENGTH} characters. */
export function checkName(where: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME_LENGTH) {
    throw new ValueError(`${where} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${describe(v)}`);
  }
  return v;
}

/** Checks a seed: a finite number or a string of at most {@link MAX_SEED_LENGTH} characters. */
export function checkSeed(where: string, v: unknown): number | string {
  if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_SEED_LENGTH)) return v;
  throw new ValueError(`${where} must be a finite number or a string of at most ${MAX_SEED_LENGTH} characters, got ${describe(v)}`);
}

/** Checks a counter (epochs, iterations, steps): a safe non-negative integer, at most `max`. */
export function checkCount(where: string, v: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > max) {
    throw new ValueError(`${where} must be an integer in [0, ${max}], got ${describe(v)}`);
  }
  return v as number;
}

/**
 * The value of `key` in the options of `fn` that take only that one option (undefined when `options` or the key is):
 * `options` must be an object, and another key with a value is refused (a typo would otherwise be ignored silently).
 */
export function singleOption(fn: string, options: unknown, key: string, what: string): unknown {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${fn}: options must be an object such as { ${key} }, got ${describe(options)}`);
  }
  for (const [k, value] of Object.entries(options)) {
    if (k !== key && value !== undefined) throw new ValueError(`${fn}: unknown option '${k}'; the only option is ${key} (${what})`);
  }
  return (options as Record<string, unknown>)[key];
}

/**
 * The `maxBytes` size limit of an importer's `options`: the default when unset, else a positive integer — NaN,
 * Infinity, a negative number or a string would silently disable the limit, so they are refused naming `fn`.
 */
export function readMaxBytes(fn: string, options: unknown, fallback: number): number {
  const v = singleOption(fn, options, 'maxBytes', 'a size limit in bytes');
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || (v as number) <= 0) {
    throw new ValueError(`${fn}: maxBytes must be a positive integer (a size limit in bytes), got ${describe(v)}`);
  }
  return v as number;
}

/** Index of the first NaN or ±Infinity in `values`, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v || v === Infinity || v === -Infinity) return i;
  }
  return -1;
}
