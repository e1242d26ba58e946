import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, ValueError } from '@tapegrad/tensor';
import { loadIdxDataset, readIdx } from '../src/node/index.js';
import { gunzipPrefix } from '../src/node/bounded-read.js';

const dir = mkdtempSync(join(tmpdir(), 'tapegrad-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WIDTH: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** An IDX file in big-endian byte order, written independently of the reader. */
function makeIdx(type: number, dims: number[], values: number[]): Uint8Array {
  const header = 4 + 4 * dims.length;
  const w = WIDTH[type]!;
  const out = new Uint8Array(header + values.length * w);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  values.forEach((x, i) => {
    const at = header + i * w;
    if (type === 0x08) v.setUint8(at, x);
    else if (type === 0x09) v.setInt8(at, x);
    else if (type === 0x0b) v.setInt16(at, x, false);
    else if (type === 0x0c) v.setInt32(at, x, false);
    else if (type === 0x0d) v.setFloat32(at, x, false);
    else v.setFloat64(at, x, false);
  });
  return out;
}

const write = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

const pixels = Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);
const valid = makeIdx(0x08, [2, 3, 4], pixels);

describe('readIdx', () => {

  it('reads a valid uint8 file from a path, from bytes and gzipped', () => {
    const p = write('valid-idx3-ubyte', valid);
    const gz = write('valid-idx3-ubyte.gz', gzipSync(valid));
    for (const r of [readIdx(p), readIdx(valid), readIdx(gz), readIdx(gzipSync(valid))]) {
      expect(r.dims).toEqual([2, 3, 4]);
      expect(r.dtype).toBe('uint8');
      expect(Array.from(r.data)).toEqual(pixels);
      // the data owns exactly its elements (a copy, not a view into the file's bytes)
      expect(r.data.byteOffset).toBe(0);
      expect(r.data.buffer.byteLength).toBe(pixels.length);
    }
  });

  it('decodes every element type big-endian', () => {
    const cases: [number, string, number[]][] = [
      [0x09, 'int8', [-128, -1, 0, 127]],
      [0x0b, 'int16', [-32768, -2, 258, 32767]],
      [0x0c, 'int32', [-2147483648, -5, 65536 + 3, 2147483647]],
      [0x0d, 'float32', [1.5, -0.25, 3.4028234663852886e38, 0]],
      [0x0e, 'float64', [Math.PI, -1e-300, 2 ** 60, -0.5]],
    ];
    for (const [type, dtype, values] of cases) {
      const r = readIdx(makeIdx(type, [2, 2], values));
      expect(r.dtype).toBe(dtype);
      expect(r.dims).toEqual([2, 2]);
      expect(Array.from(r.data)).toEqual(values);
      // the same bytes at an odd offset inside a larger buffer
      const bytes = makeIdx(type, [2, 2], values);
      const padded = new Uint8Array(bytes.length + 8);
      padded.set(bytes, 3);
      expect(Array.from(readIdx(padded.subarray(3, 3 + bytes.length)).data)).toEqual(values);
      // decoding leaves the input bytes untouched (big-endian still)
      expect(Array.from(padded.subarray(3, 3 + bytes.length))).toEqual(Array.from(bytes));
    }
  });

  it('rejects a truncated file, naming the file and both byte counts', () => {
    const p = write('train-images-idx3-ubyte', valid.subarray(0, valid.length - 5));
    expect(() => readIdx(p)).toThrow(ValueError);
    expect(() => readIdx(p)).toThrow(
      `readIdx: ${p} is truncated: dims [2, 3, 4] of uint8 need 40 bytes (16 header + 24 data), got 35`,
    );
    const gz = write('truncated.gz', gzipSync(valid.subarray(0, 30)));
    expect(() => readIdx(gz)).toThrow(/truncated\.gz is truncated: .* need 40 bytes .* got 30/);
  });

  it('rejects trailing bytes, wrong magic, unknown types and bad headers', () => {
    const extra = new Uint8Array(valid.length + 1);
    extra.set(valid);
    expect(() => readIdx(extra)).toThrow(/has trailing bytes: .* need 40 bytes .* got 41/);
    const png = write('image.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(() => readIdx(png)).toThrow(/image\.png is not an IDX file: magic starts with 89 50; expected 00 00/);
    const badType = valid.slice();
    badType[2] = 0x0a;
    expect(() => readIdx(badType, 'bad-type')).toThrow(/bad-type has element type byte 0a; expected one of 08, 09, 0b, 0c, 0d, 0e/);
    const zeroDims = Uint8Array.from([0, 0, 8, 0]);
    expect(() => readIdx(zeroDims)).toThrow(/declares 0 dimensions/);
    expect(() => readIdx(valid.subarray(0, 10))).toThrow(/header needs 16 bytes for 3 dimensions, got 10/);
    expect(() => readIdx(Uint8Array.from([0, 0]))).toThrow(/truncated: 2 bytes/);
    const huge = makeIdx(0x08, [65536, 65536, 2], []);
    expect(() => readIdx(huge)).toThrow(/more than the 2147483647 supported/);
    const brokenGzip = gzipSync(valid).subarray(0, 20);
    expect(() => readIdx(brokenGzip, 'x.gz')).toThrow(/x\.gz is gzip-compressed but cannot be decompressed/);
    expect(() => readIdx(join(dir, 'missing-file'))).toThrow(/cannot read .*missing-file/);
  });
});

describe('readIdx reads within bounds', () => {
  it('a gzip bomb (a tiny header, then 32 MB of zeros) is refused once the header\'s size is exceeded', () => {
    const header = makeIdx(0x08, [2, 2], [1, 2, 3, 4]);
    const bomb = new Uint8Array(header.length + 32 * 2 ** 20);
    bomb.set(header);
    const p = write('bomb-idx1-ubyte.gz', gzipSync(bomb));
    expect(() => readIdx(p)).toThrow(
      /bomb-idx1-ubyte\.gz has trailing bytes: dims \[2, 2\] of uint8 need 16 bytes .* got more once decompressed \(a gzip bomb\?\)/,
    );
    // with maxItems the prefix is read without inflating the rest
    expect(Array.from(readIdx(p, undefined, { maxItems: 1 }).data)).toEqual([1, 2]);
  });

  it('gunzipPrefix never holds more than the need plus 1 MiB, even when the needed part is followed by a bomb', () => {
    const bomb = gzipSync(new Uint8Array(16 * 2 ** 20));
    const { bytes } = gunzipPrefix('test', bomb, 1000, 'bomb');
    expect(bytes.length).toBeGreaterThanOrEqual(1000);
    expect(bytes.length).toBeLessThanOrEqual(1000 + 2 ** 20);
  });

  it('maxItems reads only the first entries: a corrupted tail of a large .gz is never reached', () => {
    const g = new Generator(1);
    const values = Array.from({ length: 300 * 1000 }, () => g.int(0, 256));
    const gz = gzipSync(makeIdx(0x08, [300, 1000], values));
    gz[Math.floor(gz.length * 0.8)] ^= 0xff;
    const p = write('big-corrupt.gz', gz);
    expect(() => readIdx(p)).toThrow(/cannot be decompressed/);
    const head = readIdx(p, undefined, { maxItems: 10 });
    expect(head.dims).toEqual([10, 1000]);
    expect(head.fileDims).toEqual([300, 1000]);
    expect(Array.from(head.data)).toEqual(values.slice(0, 10_000));
    expect(() => readIdx(p, undefined, { maxItems: -1 })).toThrow(/maxItems must be a non-negative integer/);
  });

  it('from a raw file too, and a device is refused at its first bytes (/dev/zero used to be read without end)', () => {
    const p = write('head-idx3-ubyte', valid);
    const r = readIdx(p, undefined, { maxItems: 1 });
    expect(r.dims).toEqual([1, 3, 4]);
    expect(Array.from(r.data)).toEqual(pixels.slice(0, 12));
    expect(readIdx(p, undefined, { maxItems: 5 }).dims).toEqual([2, 3, 4]);
    // a size known without reading is still checked: a truncated file is refused even when its head is enough
    const short = write('short-idx3-ubyte', valid.subarray(0, valid.length - 5));
    expect(() => readIdx(short, undefined, { maxItems: 1 })).toThrow(/short-idx3-ubyte is truncated: .* got 35/);
    if (existsSync('/dev/zero')) expect(() => readIdx('/dev/zero')).toThrow(/\/dev\/zero has element type byte 00/);
  });
});

describe('loadIdxDataset', () => {
  const images = (n: number, seed: number): number[] => Array.from({ length: n * 4 * 4 }, (_, i) => (i * seed + 11) % 256);

  it('finds MNIST-style names (gz, raw and dotted variants) and scales pixels to [0, 1]', () => {
    const d = mkdtempSync(join(dir, 'mnist-'));
    const trainPixels = images(5, 7);
    writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(makeIdx(0x08, [5, 4, 4], trainPixels)));
    writeFileSync(join(d, 'train-labels-idx1-ubyte.gz'), gzipSync(makeIdx(0x08, [5], [3, 1, 4, 1, 5])));
    writeFileSync(join(d, 't10k-images.idx3-ubyte'), makeIdx(0x08, [2, 4, 4], images(2, 13)));
    writeFileSync(join(d, 't10k-labels.idx1-ubyte'), makeIdx(0x08, [2], [9, 0]));
    const ds = loadIdxDataset(d);
    expect(ds.xTrain.shape).toEqual([5, 16]);
    expect(ds.xTrain.dtype).toBe('float32');
    expect(ds.xTrain.get(1, 3)).toBeCloseTo(trainPixels[16 + 3]! / 255, 7);
    expect(Math.max(...Array.from(ds.xTrain.data))).toBeLessThanOrEqual(1);
    expect(ds.yTrain.dtype).toBe('int32');
    expect(Array.from(ds.yTrain.data)).toEqual([3, 1, 4, 1, 5]);
    expect(ds.xTest.shape).toEqual([2, 16]);
    expect(Array.from(ds.yTest.data)).toEqual([9, 0]);
    const head = loadIdxDataset(d, { trainSize: 2, testSize: 10 });
    expect(head.xTrain.shape).toEqual([2, 16]);
    expect(Array.from(head.xTrain.data)).toEqual(Array.from(ds.xTrain.data.subarray(0, 32)));
    expect(Array.from(head.yTrain.data)).toEqual([3, 1]);
    expect(head.xTest.shape).toEqual([2, 16]);
    expect(() => loadIdxDataset(d, { trainSize: -1 })).toThrow(/trainSize must be a non-negative integer, got -1/);
  });

  it('reports missing files and mismatched counts clearly', () => {
    const d = mkdtempSync(join(dir, 'broken-'));
    writeFileSync(join(d, 'train-images-idx3-ubyte'), makeIdx(0x08, [3, 4, 4], images(3, 5)));
    expect(() => loadIdxDataset(d)).toThrow(
      /no train labels file in .*; tried train-labels-idx1-ubyte, train-labels-idx1-ubyte\.gz.*found: train-images-idx3-ubyte/,
    );
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), makeIdx(0x08, [2], [1, 2]));
    expect(() => loadIdxDataset(d)).toThrow(/has 3 images but .*train-labels-idx1-ubyte has 2 labels/);
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), makeIdx(0x0c, [3], [1, 2, 3]));
    expect(() => loadIdxDataset(d)).toThrow(/holds int32 \[3\]; expected uint8 \[n\]/);
  });

  const fashion = '/usr/share/datasets/fashion-mnist';
  it.skipIf(!existsSync(fashion))('reads the installed Fashion-MNIST', () => {
    const ds = loadIdxDataset(fashion);
    expect(ds.xTrain.shape).toEqual([60000, 784]);
    expect(ds.xTest.shape).toEqual([10000, 784]);
    expect(ds.yTrain.get(0)).toBe(9); // the first training image is an ankle boot
    let max = 0;
    for (let i = 0; i < 784 * 100; i++) max = Math.max(max, ds.xTrain.data[i]!);
    expect(max).toBe(1);
    const counts = new Array<number>(10).fill(0);
    for (const l of ds.yTest.data) counts[l]!++;
    expect(counts).toEqual(new Array<number>(10).fill(1000));
  });
});
