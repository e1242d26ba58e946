import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Tensor, ValueError } from '@tapegrad/tensor';

/** The element types an IDX file can declare (type byte 0x08 … 0x0E). */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A decoded IDX file: its dimensions, element type and the elements in row-major order. */
export interface IdxData {
  dims: number[];
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

/**
 * Reads an IDX file (the MNIST / Fashion-MNIST format) from a path or bytes, gunzipping it first when it
 * starts with the gzip magic 1f 8b. Validates the magic (00 00 type ndim), the type byte, the dimensions
 * and the exact length, and throws a ValueError naming the file, the expected and the actual byte counts.
 */
export function readIdx(pathOrBytes: string | Uint8Array, name?: string): IdxData {
  const label = name ?? (typeof pathOrBytes === 'string' ? pathOrBytes : '<bytes>');
  let bytes: Uint8Array;
  if (typeof pathOrBytes === 'string') {
    try {
      bytes = readFileSync(pathOrBytes);
    } catch (e) {
      throw new ValueError(`readIdx: cannot read ${label}: ${(e as Error).message}`);
    }
  } else if (pathOrBytes instanceof Uint8Array) {
    bytes = pathOrBytes;
  } else {
    throw new ValueError(`readIdx: expected a file path or a Uint8Array, got ${typeof pathOrBytes}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new ValueError(
        `readIdx: ${label} is gzip-compressed but cannot be decompressed (${(e as Error).message}) — truncated or corrupted`,
      );
    }
  }
  if (bytes.length < 4) {
    throw new ValueError(`readIdx: ${label} is truncated: ${bytes.length} bytes, expected at least 4 for the magic number`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new ValueError(
      `readIdx: ${label} is not an IDX file: magic starts with ${hex(bytes[0]!)} ${hex(bytes[1]!)}; expected 00 00 (type, ndim)`,
    );
  }
  const type = TYPES[bytes[2]!];
  if (!type) {
    throw new ValueError(`readIdx: ${label} has element type byte ${hex(bytes[2]!)}; expected one of 08, 09, 0b, 0c, 0d, 0e`);
  }
  const [dtype, width] = type;
  const ndim = bytes[3]!;
  if (ndim === 0) throw new ValueError(`readIdx: ${label} declares 0 dimensions; expected at least 1`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new ValueError(
      `readIdx: ${label} is truncated: the header needs ${headerBytes} bytes for ${ndim} dimensions, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'is truncated' : 'has trailing bytes';
    throw new ValueError(
      `readIdx: ${label} ${what}: dims [${dims.join(', ')}] of ${dtype} need ${expected} bytes ` +
        `(${headerBytes} header + ${count * width} data), got ${bytes.length}`,
    );
  }
  return { dims, dtype, data: decode(bytes, headerBytes, count, dtype, width) };
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

/** A train/test split of images (float32 [n, rows·cols], scaled to [0, 1]) and int32 labels [n]. */
export interface ImageDataset {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

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
    listing = readdirSync(dir).slice(0, 20).join(', ');
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
  const imagesPath = findPart(dir, split, 'images');
  const labelsPath = findPart(dir, split, 'labels');
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dtype !== 'uint8' || images.dims.length !== 3) {
    throw new ValueError(`loadIdxDataset: ${imagesPath} holds ${images.dtype} [${images.dims.join(', ')}]; expected uint8 [n, rows, cols]`);
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    throw new ValueError(`loadIdxDataset: ${labelsPath} holds ${labels.dtype} [${labels.dims.join(', ')}]; expected uint8 [n]`);
  }
  const [total, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== total) {
    throw new ValueError(`loadIdxDataset: ${imagesPath} has ${total} images but ${labelsPath} has ${labels.dims[0]} labels`);
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new ValueError(`loadIdxDataset: ${split === 'train' ? 'trainSize' : 'testSize'} must be a non-negative integer, got ${limit}`);
  }
  const n = limit === undefined ? total : Math.min(limit, total);
  const features = rows * cols;
  const src = images.data as Uint8Array;
  const x = new Float32Array(n * features);
  for (let i = 0; i < x.length; i++) x[i] = src[i]! / 255;
  const y = Int32Array.from((labels.data as Uint8Array).subarray(0, n));
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
