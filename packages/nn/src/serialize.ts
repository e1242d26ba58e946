import { Tensor, ShapeError, ValueError, allocate, fmtShape, type DType } from '@tapegrad/tensor';

// Pure, browser-safe serialisation helpers: base64 of little-endian typed arrays, CRC-32, a validated
// tensor dictionary and a JSON parser that refuses prototype-polluting keys. No Buffer, no node:*.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE = new Uint8Array(64);
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = ALPHABET.charCodeAt(i);
  DECODE[ALPHABET.charCodeAt(i)] = i;
}
const PAD = 61; // '='

/** True on little-endian hosts (every mainstream one); big-endian hosts take the DataView path. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Standard base64 (RFC 4648, with padding) of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(4 * Math.ceil(n / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[v >>> 18]!;
    out[o++] = ENCODE[(v >>> 12) & 63]!;
    out[o++] = ENCODE[(v >>> 6) & 63]!;
    out[o++] = ENCODE[v & 63]!;
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out[o++] = ENCODE[v >>> 18]!;
    out[o++] = ENCODE[(v >>> 12) & 63]!;
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out[o++] = ENCODE[v >>> 18]!;
    out[o++] = ENCODE[(v >>> 12) & 63]!;
    out[o++] = ENCODE[(v >>> 6) & 63]!;
    out[o++] = PAD;
  }
  // Chunked to stay under engines' argument-count limits.
  let s = '';
  for (let k = 0; k < out.length; k += 8192) s += String.fromCharCode.apply(null, out.subarray(k, k + 8192) as unknown as number[]);
  return s;
}

/** The bytes of a standard padded base64 string; throws a ValueError on any malformed character or length. */
export function base64ToBytes(str: string, context = 'base64ToBytes'): Uint8Array {
  if (typeof str !== 'string') throw new ValueError(`${context}: expected a base64 string, got ${typeof str}`);
  const len = str.length;
  if (len % 4 !== 0) throw new ValueError(`${context}: base64 length ${len} is not a multiple of 4 (truncated or corrupted data)`);
  let pad = 0;
  if (len > 0 && str.charCodeAt(len - 1) === PAD) pad = str.charCodeAt(len - 2) === PAD ? 2 : 1;
  const out = new Uint8Array((len / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const last = i + 4 === len;
    const c0 = code(str, i, context);
    const c1 = code(str, i + 1, context);
    const c2 = last && pad === 2 ? 0 : code(str, i + 2, context);
    const c3 = last && pad >= 1 ? 0 : code(str, i + 3, context);
    const v = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3;
    out[o++] = v >>> 16;
    if (o < out.length) out[o++] = (v >>> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

function code(str: string, i: number, context: string): number {
  const c = str.charCodeAt(i);
  const v = c < 128 ? DECODE[c]! : -1;
  if (v < 0) throw new ValueError(`${context}: invalid base64 character ${JSON.stringify(str[i])} at position ${i}`);
  return v;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

/** The little-endian bytes of a typed array (a view on little-endian hosts when possible, otherwise a copy). */
export function typedArrayToBytes(array: Float32Array | Float64Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const out = new Uint8Array(array.byteLength);
  const view = new DataView(out.buffer);
  if (array instanceof Float32Array) for (let i = 0; i < array.length; i++) view.setFloat32(4 * i, array[i]!, true);
  else if (array instanceof Float64Array) for (let i = 0; i < array.length; i++) view.setFloat64(8 * i, array[i]!, true);
  else for (let i = 0; i < array.length; i++) view.setInt32(4 * i, array[i]!, true);
  return out;
}

/** A typed array of `dtype` read from little-endian `bytes` (whose length must be a multiple of the element size). */
export function bytesToTypedArray(bytes: Uint8Array, dtype: DType): Float32Array | Float64Array | Int32Array {
  const size = BYTES[dtype];
  if (bytes.length % size !== 0) {
    throw new ValueError(`bytesToTypedArray: ${bytes.length} bytes is not a whole number of ${dtype} elements (${size} bytes each)`);
  }
  const n = bytes.length / size;
  const out = allocate(dtype, n);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'float32') for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  else if (dtype === 'float64') for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  else for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
  return out;
}

/** Base64 of the little-endian float32 bytes of `array`, identical on every platform. */
export function encodeFloat32Base64(array: Float32Array): string {
  return bytesToBase64(typedArrayToBytes(array));
}

/** Decodes {@link encodeFloat32Base64} output, throwing a ValueError unless it holds exactly `expectedLength` floats. */
export function decodeFloat32Base64(str: string, expectedLength: number): Float32Array {
  const bytes = base64ToBytes(str, 'decodeFloat32Base64');
  if (bytes.length !== expectedLength * 4) {
    throw new ValueError(
      `decodeFloat32Base64: data holds ${bytes.length} bytes (${bytes.length / 4} floats); expected ${expectedLength} floats ` +
        `(${expectedLength * 4} bytes) — truncated or corrupted`,
    );
  }
  return bytesToTypedArray(bytes, 'float32') as Float32Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, the zlib/PNG polynomial) of `bytes` as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A CRC-32 formatted as 8 lowercase hex digits, the form stored in weight documents. */
export const crc32Hex = (bytes: Uint8Array): string => crc32(bytes).toString(16).padStart(8, '0');

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

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Encodes each named tensor (any strides) as shape, dtype, little-endian base64 data and CRC-32. */
export function encodeTensors(named: Record<string, Tensor>): EncodedTensors {
  const out: EncodedTensors = {};
  for (const [name, t] of Object.entries(named)) {
    if (FORBIDDEN_KEYS.has(name)) throw new ValueError(`encodeTensors: tensor name ${JSON.stringify(name)} is reserved`);
    if (!(t instanceof Tensor)) throw new ValueError(`encodeTensors: entry ${JSON.stringify(name)} is not a Tensor`);
    const values = t.contiguous().values() as Float32Array | Float64Array | Int32Array;
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
  if (expected) {
    const missing = Object.keys(expected).filter((k) => !Object.hasOwn(doc, k));
    const extra = names.filter((k) => !Object.hasOwn(expected, k));
    if (missing.length > 0 || extra.length > 0) {
      throw new ValueError(
        `${ctx}: tensor names do not match the model` +
          (missing.length ? `; missing ${missing.map((s) => JSON.stringify(s)).join(', ')}` : '') +
          (extra.length ? `; unexpected ${extra.map((s) => JSON.stringify(s)).join(', ')}` : ''),
      );
    }
  }
  for (const name of names) {
    const where = `${ctx}: tensor ${JSON.stringify(name)}`;
    if (FORBIDDEN_KEYS.has(name)) throw new ValueError(`${where}: reserved name`);
    const entry = (doc as Record<string, unknown>)[name];
    if (!isPlainObject(entry)) throw new ValueError(`${where}: expected {shape, dtype, data, crc32}, got ${describe(entry)}`);
    const { shape, dtype, data, crc32: checksum } = entry as Record<string, unknown>;
    if (!Array.isArray(shape) || shape.length > 32) throw new ValueError(`${where}: shape must be an array of at most 32 dimensions, got ${describe(shape)}`);
    let size = 1;
    for (const d of shape) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
        throw new ValueError(`${where}: shape ${JSON.stringify(shape)} has dimension ${JSON.stringify(d)}; expected non-negative integers`);
      }
      size *= d;
      if (size > maxElements) {
        throw new ValueError(`${where}: shape ${JSON.stringify(shape)} has more than ${maxElements} elements; refusing to allocate`);
      }
    }
    if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
      throw new ValueError(`${where}: dtype ${JSON.stringify(dtype)} is not one of float32, float64, int32`);
    }
    if (typeof data !== 'string') throw new ValueError(`${where}: data must be a base64 string, got ${describe(data)}`);
    if (typeof checksum !== 'string' || !/^[0-9a-f]{8}$/.test(checksum)) {
      throw new ValueError(`${where}: crc32 must be 8 lowercase hex digits, got ${describe(checksum)}`);
    }
    const byteLength = size * BYTES[dtype];
    const expectedChars = 4 * Math.ceil(byteLength / 3);
    if (data.length !== expectedChars) {
      throw new ValueError(
        `${where}: data has ${data.length} base64 characters; shape ${fmtShape(shape as number[])} ${dtype} needs ${expectedChars} ` +
          `(${byteLength} bytes) — truncated or corrupted`,
      );
    }
    if (expected && !sameShape(shape as number[], expected[name]!)) {
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
    out[name] = new Tensor(bytesToTypedArray(bytes, dtype), shape as number[]);
  }
  return out;
}

/** Options for {@link parseJsonSafe} and {@link assertSafeJson}. */
export interface SafeJsonOptions {
  /** Prefix for error messages, e.g. the file name. */
  context?: string;
  /** Deepest nesting accepted (default 64). */
  maxDepth?: number;
}

/**
 * `JSON.parse` that rejects `__proto__`, `constructor` and `prototype` keys (prototype pollution) and
 * over-deep nesting, reporting syntax errors (e.g. a truncated file) as ValueErrors.
 */
export function parseJsonSafe(text: string, options: SafeJsonOptions = {}): unknown {
  const ctx = options.context ? `parseJsonSafe (${options.context})` : 'parseJsonSafe';
  if (typeof text !== 'string') throw new ValueError(`${ctx}: expected a JSON string, got ${describe(text)}`);
  let value: unknown;
  try {
    // JSON.parse defines "__proto__" as an own data property (it never sets the prototype), so a walk over
    // the result finds every forbidden key — faster than a reviver called for every value.
    value = JSON.parse(text);
  } catch (e) {
    throw new ValueError(`${ctx}: invalid JSON (${(e as Error).message}); the text has ${text.length} characters — truncated or corrupted?`);
  }
  checkSafe('parseJsonSafe', value, options);
  return value;
}

/** Throws a ValueError if an already-parsed value has forbidden keys, non-plain objects, or nests too deeply. */
export function assertSafeJson(value: unknown, options: SafeJsonOptions = {}): void {
  checkSafe('assertSafeJson', value, options);
}

function checkSafe(fn: string, value: unknown, options: SafeJsonOptions): void {
  const ctx = options.context ? `${fn} (${options.context})` : fn;
  const maxDepth = options.maxDepth ?? 64;
  const stack: [unknown, number, string][] = [[value, 0, '$']];
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) throw new ValueError(`${ctx}: nesting deeper than ${maxDepth} at ${path}`);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (item !== null && typeof item === 'object') stack.push([item, depth + 1, `${path}[${i}]`]);
      }
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new ValueError(`${ctx}: ${path} is not a plain object`);
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) throw new ValueError(`${ctx}: forbidden key ${JSON.stringify(key)} at ${path} (possible prototype pollution)`);
      stack.push([(v as Record<string, unknown>)[key], depth + 1, `${path}.${key}`]);
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return v.length > 40 ? `a string of length ${v.length}` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
