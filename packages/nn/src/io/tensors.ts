import { Tensor, ShapeError, ValueError, fmtShape, shapesEqual, type DType } from '@tapegrad/tensor';
import { DTYPE_BYTES, base64ToBytes, bytesToBase64, bytesToTypedArray, crc32Hex, typedArrayToBytes } from './binary.js';
import { firstNonFinite } from './limits.js';
import { FORBIDDEN_KEYS, checkExactKeys, describe, isPlainObject } from './safe-json.js';

// The weights section of the model format: a dictionary of named tensors, each with its shape, dtype,
// base64 data and CRC-32, decoded only after every field has been checked.

/** One tensor in a weights document: shape, dtype, little-endian base64 data and the CRC-32 of those bytes. */
export interface EncodedTensor {
  shape: number[];
  dtype: DType;
  data: string;
  crc32: string;
}

/** A named set of encoded tensors. */
export type EncodedTensors = Record<string, EncodedTensor>;

/** Format tag of the weights section, for documents that embed {@link encodeTensors} output. */
export const WEIGHTS_FORMAT = 'tapegrad-weights';
/** Version of the weights section's layout; bump when {@link EncodedTensor} changes. */
export const WEIGHTS_VERSION = 1;

/** The largest tensor {@link decodeTensors} accepts by default (2^27 elements, 512 MiB of float32). */
export const DEFAULT_MAX_ELEMENTS = 2 ** 27;

/** Encodes each named tensor (any strides) as shape, dtype, little-endian base64 data and CRC-32. */
export function encodeTensors(named: Record<string, Tensor>): EncodedTensors {
  const out: EncodedTensors = {};
  for (const [name, t] of Object.entries(named)) {
    if (FORBIDDEN_KEYS.has(name)) throw new ValueError(`encodeTensors: tensor name ${describe(name)} is reserved`);
    if (!(t instanceof Tensor)) throw new ValueError(`encodeTensors: entry ${describe(name)} is not a Tensor`);
    const values = t.values() as Float32Array | Float64Array | Int32Array;
    const bytes = typedArrayToBytes(values);
    out[name] = { shape: [...t.shape], dtype: t.dtype, data: bytesToBase64(bytes), crc32: crc32Hex(bytes) };
  }
  return out;
}

/** Options for {@link decodeTensors}. */
export interface DecodeTensorsOptions {
  /** Largest element count accepted per tensor (guards against unbounded allocation). */
  maxElements?: number;
  /** Prefix for error messages, e.g. the file name. */
  context?: string;
  /** Refuse NaN and ±Infinity in float tensors (values that must be usable as weights). */
  finite?: boolean;
}

/**
 * Validates and decodes a document from {@link encodeTensors}: every field's type, shape dimensions
 * (non-negative integers with a bounded product), dtype, base64 length and CRC-32. With `expected`
 * (name → shape), the names must match exactly and every shape must agree.
 */
export function decodeTensors(
  doc: unknown,
  expected?: Record<string, readonly number[]>,
  options: DecodeTensorsOptions = {},
): Record<string, Tensor> {
  const ctx = options.context ? `decodeTensors (${options.context})` : 'decodeTensors';
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (!isPlainObject(doc)) throw new ValueError(`${ctx}: expected an object of named tensors, got ${describe(doc)}`);
  const out: Record<string, Tensor> = {};
  const names = Object.keys(doc);
  if (expected) checkExactKeys(`${ctx}: tensor names do not match the model`, names, Object.keys(expected));
  for (const name of names) {
    const where = `${ctx}: tensor ${describe(name)}`;
    if (FORBIDDEN_KEYS.has(name)) throw new ValueError(`${where}: reserved name`);
    const entry = (doc as Record<string, unknown>)[name];
    if (!isPlainObject(entry)) throw new ValueError(`${where}: expected {shape, dtype, data, crc32}, got ${describe(entry)}`);
    const { shape, dtype, data, crc32: checksum } = entry as Record<string, unknown>;
    if (!Array.isArray(shape) || shape.length > 32) {
      throw new ValueError(`${where}: shape must be an array of at most 32 dimensions, got ${describe(shape)}`);
    }
    let size = 1;
    for (const d of shape) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
        throw new ValueError(`${where}: shape ${dims(shape)} has dimension ${describe(d)}; expected non-negative integers`);
      }
      size *= d;
      if (size > maxElements) {
        throw new ValueError(`${where}: shape ${dims(shape)} has more than ${maxElements} elements; refusing to allocate`);
      }
    }
    if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
      throw new ValueError(`${where}: dtype ${describe(dtype)} is not one of float32, float64, int32`);
    }
    if (typeof data !== 'string') throw new ValueError(`${where}: data must be a base64 string, got ${describe(data)}`);
    if (typeof checksum !== 'string' || !/^[0-9a-f]{8}$/.test(checksum)) {
      throw new ValueError(`${where}: crc32 must be 8 lowercase hex digits, got ${describe(checksum)}`);
    }
    const byteLength = size * DTYPE_BYTES[dtype];
    const expectedChars = 4 * Math.ceil(byteLength / 3);
    if (data.length !== expectedChars) {
      throw new ValueError(
        `${where}: data has ${data.length} base64 characters; shape ${fmtShape(shape as number[])} ${dtype} needs ${expectedChars} ` +
          `(${byteLength} bytes) — truncated or corrupted`,
      );
    }
    if (expected && !shapesEqual(shape as number[], expected[name]!)) {
      throw new ShapeError(`${where}: stored shape ${fmtShape(shape as number[])} does not match the model's ${fmtShape(expected[name]!)}`);
    }
    const bytes = base64ToBytes(data, where);
    if (bytes.length !== byteLength) {
      throw new ValueError(`${where}: data decodes to ${bytes.length} bytes; expected ${byteLength} — truncated or corrupted`);
    }
    const actual = crc32Hex(bytes);
    if (actual !== checksum) {
      throw new ValueError(`${where}: checksum mismatch (stored crc32 ${checksum}, computed ${actual}) — the data is corrupted`);
    }
    const values = bytesToTypedArray(bytes, dtype);
    if (options.finite && dtype !== 'int32') {
      const bad = firstNonFinite(values);
      if (bad >= 0) throw new ValueError(`${where}: element ${bad} is ${values[bad]}; expected finite values`);
    }
    out[name] = new Tensor(values, shape as number[]);
  }
  return out;
}

/** A stored shape of at most 32 entries for a message, each entry bounded. */
function dims(shape: readonly unknown[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? d : describe(d))).join(', ')}]`;
}
