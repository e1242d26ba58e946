import { ValueError, allocate, type DType } from '@tapegrad/tensor';

// The binary layer of the model format, pure and browser-safe (no Buffer, no node:*): standard base64,
// little-endian bytes of typed arrays on any host, and CRC-32 checksums.

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

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, float64: 8, int32: 4 };

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
  const size = DTYPE_BYTES[dtype];
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
