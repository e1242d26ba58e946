import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, ValueError, sizeOf } from '@tapegrad/tensor';
import type { ImageDataset } from '../io/mnist-module.js';
import { openByteSource, type ByteSource } from './bounded-read.js';

/** The element types an IDX file can declare (type byte 0x08 … 0x0E). */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A decoded IDX file: its dimensions, element type and the elements in row-major order. */
export interface IdxData {
  /** The dimensions of what was read (the first one smaller than the file's with `maxItems`). */
  dims: number[];
  /** The dimensions the file's header declares. */
  fileDims: number[];
  dtype: IdxDType;
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [IdxDType, number]> = {
  0x08: ['uint8', 1],
  0x09: ['int8', 1],
  0x0b: ['int16', 2],
  0x0c: ['int32', 4],
  0x0d: ['float32', 4],
  0x0e: ['float64', 8],
};

/** Largest element count accepted from an IDX header (guards against absurd headers). */
const MAX_IDX_ELEMENTS = 2 ** 31 - 1;

/** Options of {@link readIdx}. */
export interface ReadIdxOptions {
  /** Read only the first `maxItems` entries along the first dimension (the rest of the file is not read). */
  maxItems?: number;
}

/**
 * Reads an IDX file (the MNIST / Fashion-MNIST format) from a path or bytes, gunzipping it first when it
 * starts with the gzip magic 1f 8b. Validates the magic (00 00 type ndim), the type byte, the dimensions
 * and the exact length, and throws a ValueError naming the file, the expected and the actual byte counts.
 * Never reads or inflates more than the header declares; with `maxItems`, only the first entries.
 */
export function readIdx(pathOrBytes: string | Uint8Array, name?: string, options: ReadIdxOptions = {}): IdxData {
  const label = name ?? (typeof pathOrBytes === 'string' ? pathOrBytes : '<bytes>');
  if (typeof pathOrBytes !== 'string' && !(pathOrBytes instanceof Uint8Array)) {
    throw new ValueError(`readIdx: expected a file path or a Uint8Array, got ${typeof pathOrBytes}`);
  }
  const { maxItems } = options;
  if (maxItems !== undefined && (!Number.isSafeInteger(maxItems) || maxItems < 0)) {
    throw new ValueError(`readIdx: maxItems must be a non-negative integer, got ${maxItems}`);
  }
  const source = openByteSource('readIdx', pathOrBytes, label);
  try {
    return readFrom(source, label, maxItems);
  } finally {
    source.close();
  }
}

function readFrom(source: ByteSource, label: string, maxItems: number | undefined): IdxData {
  let head = source.prefix(4);
  if (head.length < 4) {
    throw new ValueError(`readIdx: ${label} is truncated: ${head.length} bytes, expected at least 4 for the magic number`);
  }
  if (head[0] !== 0 || head[1] !== 0) {
    throw new ValueError(
      `readIdx: ${label} is not an IDX file: magic starts with ${hex(head[0]!)} ${hex(head[1]!)}; expected 00 00 (type, ndim)`,
    );
  }
  const type = TYPES[head[2]!];
  if (!type) {
    throw new ValueError(`readIdx: ${label} has element type byte ${hex(head[2]!)}; expected one of 08, 09, 0b, 0c, 0d, 0e`);
  }
  const [dtype, width] = type;
  const ndim = head[3]!;
  if (ndim === 0) throw new ValueError(`readIdx: ${label} declares 0 dimensions; expected at least 1`);
  const headerBytes = 4 + 4 * ndim;
  head = source.prefix(headerBytes);
  if (head.length < headerBytes) {
    throw new ValueError(
      `readIdx: ${label} is truncated: the header needs ${headerBytes} bytes for ${ndim} dimensions, got ${head.length}`,
    );
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  if (count > MAX_IDX_ELEMENTS) {
    throw new ValueError(
      `readIdx: ${label} declares dims [${dims.join(', ')}] = ${count} elements; more than the ${MAX_IDX_ELEMENTS} supported`,
    );
  }
  const expected = headerBytes + count * width;
  const lengthError = (got: number | null, trailing: boolean): ValueError =>
    new ValueError(
      `readIdx: ${label} ${trailing ? 'has trailing bytes' : 'is truncated'}: ` +
        `dims [${dims.join(', ')}] of ${dtype} need ${expected} bytes ` +
        `(${headerBytes} header + ${count * width} data), got ${got ?? `more${source.gzip ? ' once decompressed (a gzip bomb?)' : ''}`}`,
    );
  // a length known without reading (a regular file, bytes) is checked even when only the first entries are read
  if (source.length !== null && source.length !== expected) throw lengthError(source.length, source.length > expected);
  const items = maxItems === undefined ? dims[0]! : Math.min(maxItems, dims[0]!);
  const itemElements = sizeOf(dims.slice(1));
  let bytes: Uint8Array;
  if (items === dims[0]) {
    const whole = source.whole(expected);
    if (whole.trailing) throw lengthError(whole.length, true);
    bytes = whole.bytes;
    if (bytes.length < expected) throw lengthError(bytes.length, false);
  } else {
    const need = headerBytes + items * itemElements * width;
    bytes = source.prefix(need);
    if (bytes.length < need) throw lengthError(bytes.length, false);
  }
  return { dims: [items, ...dims.slice(1)], fileDims: dims, dtype, data: decode(bytes, headerBytes, items * itemElements, dtype, width) };
}

/** Typed-array constructor of each IDX element type. */
const ARRAYS: Record<IdxDType, new (buffer: ArrayBuffer) => IdxData['data']> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies `n` big-endian elements of `width` bytes from `bytes[at…]` into a fresh typed array in the host's byte order. */
function decode(bytes: Uint8Array, at: number, n: number, dtype: IdxDType, width: number): IdxData['data'] {
  const out = new Uint8Array(bytes.subarray(at, at + n * width)); // a copy (Buffer.slice would be a view)
  if (width > 1 && LITTLE_ENDIAN_HOST) {
    for (let i = 0; i < out.length; i += width) {
      for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
        const t = out[lo]!;
        out[lo] = out[hi]!;
        out[hi] = t;
      }
    }
  }
  return new ARRAYS[dtype](out.buffer);
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');

export type { ImageDataset } from '../io/mnist-module.js';

/** The file names tried for one IDX part, e.g. `train-images-idx3-ubyte.gz`, `train-images.idx3-ubyte`. */
export function idxFileCandidates(split: 'train' | 't10k', part: 'images' | 'labels'): string[] {
  const idx = part === 'images' ? 'idx3' : 'idx1';
  const stems = [`${split}-${part}-${idx}-ubyte`, `${split}-${part}.${idx}-ubyte`, `${split}-${part}-ubyte`];
  return stems.flatMap((s) => [s, `${s}.gz`]);
}

function findPart(dir: string, split: 'train' | 't10k', part: 'images' | 'labels'): string {
  const candidates = idxFileCandidates(split, part);
  for (const c of candidates) {
    const p = join(dir, c);
    if (existsSync(p)) return p;
  }
  let listing = '';
  try {
    const names = readdirSync(dir);
    listing = names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
  } catch (e) {
    throw new ValueError(`loadIdxDataset: cannot read directory ${dir}: ${(e as Error).message}`);
  }
  throw new ValueError(
    `loadIdxDataset: no ${split} ${part} file in ${dir}; tried ${candidates.join(', ')}; found: ${listing || '(empty)'}`,
  );
}

/** Options for {@link loadIdxDataset}. */
export interface IdxDatasetOptions {
  /** Keep only the first `trainSize` training samples (default: all). */
  trainSize?: number;
  /** Keep only the first `testSize` test samples (default: all). */
  testSize?: number;
}

function loadSplit(dir: string, split: 'train' | 't10k', limit: number | undefined): [Tensor, Tensor] {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new ValueError(`loadIdxDataset: ${split === 'train' ? 'trainSize' : 'testSize'} must be a non-negative integer, got ${limit}`);
  }
  const imagesPath = findPart(dir, split, 'images');
  const labelsPath = findPart(dir, split, 'labels');
  // with a size limit only the first samples are read (and inflated)
  const images = readIdx(imagesPath, undefined, limit === undefined ? {} : { maxItems: limit });
  const labels = readIdx(labelsPath, undefined, limit === undefined ? {} : { maxItems: limit });
  if (images.dtype !== 'uint8' || images.dims.length !== 3) {
    throw new ValueError(
      `loadIdxDataset: ${imagesPath} holds ${images.dtype} [${images.fileDims.join(', ')}]; expected uint8 [n, rows, cols]`,
    );
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    throw new ValueError(`loadIdxDataset: ${labelsPath} holds ${labels.dtype} [${labels.fileDims.join(', ')}]; expected uint8 [n]`);
  }
  const total = images.fileDims[0]!;
  if (labels.fileDims[0] !== total) {
    throw new ValueError(`loadIdxDataset: ${imagesPath} has ${total} images but ${labelsPath} has ${labels.fileDims[0]} labels`);
  }
  const [n, rows, cols] = images.dims as [number, number, number];
  const features = rows * cols;
  const src = images.data as Uint8Array;
  let x: Float32Array;
  try {
    x = new Float32Array(n * features);
  } catch (e) {
    throw new ValueError(
      `loadIdxDataset: cannot allocate ${n} × ${features} floats for ${imagesPath}: ${(e as Error).message}; pass a smaller size`,
    );
  }
  for (let i = 0; i < x.length; i++) x[i] = src[i]! / 255;
  const y = Int32Array.from(labels.data as Uint8Array);
  return [new Tensor(x, [n, features]), new Tensor(y, [n])];
}

/**
 * Loads an MNIST-format directory (MNIST or Fashion-MNIST names, raw or `.gz`): images become float32
 * [n, rows·cols] scaled to [0, 1], labels int32 [n]; `trainSize`/`testSize` keep the first samples only.
 */
export function loadIdxDataset(dir: string, options: IdxDatasetOptions = {}): ImageDataset {
  const [xTrain, yTrain] = loadSplit(dir, 'train', options.trainSize);
  const [xTest, yTest] = loadSplit(dir, 't10k', options.testSize);
  return { xTrain, yTrain, xTest, yTest };
}
