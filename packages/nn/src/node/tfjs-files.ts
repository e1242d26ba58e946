import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { ValueError } from '@tapegrad/tensor';
import { describe, isPlainObject } from '../io/safe-json.js';
import { fromTfjsArtifacts, readWeightSpecs, toTfjsArtifacts } from '../io/tfjs.js';
import type { Sequential } from '../model/sequential.js';
import { readBounded, withContext } from './bounded-read.js';
import { loadJson, writeFileAtomic } from './files.js';

// The TF.js layers format on disk, as `tf.loadLayersModel('file://…/model.json')` and `tfjs.converters` read and
// write it: model.json (topology and weights manifest) beside weight shards group1-shard{i}of{n}.bin.

/** TF.js's default shard size: 4 MiB. */
const SHARD_BYTES = 4 * 1024 * 1024;
const SHARD_NAME = /^group1-shard\d+of\d+\.bin$/;

/** Options of {@link exportTfjs}. */
export interface ExportTfjsOptions {
  /** Largest weights file, in bytes (default 4 MiB, as TF.js). */
  shardBytes?: number;
}

/** What {@link exportTfjs} wrote. */
export interface ExportedTfjsFiles {
  modelJson: string;
  shards: string[];
}

/**
 * Writes the model in the TF.js layers format to the directory `dir` (created if needed): `model.json` and the
 * weights in 4 MiB shards, each written atomically, the shards before model.json. Load it in TensorFlow.js with
 * `tf.loadLayersModel('file://dir/model.json')` (tfjs-node) or over HTTP; see {@link toTfjsArtifacts} for what is
 * exported. Shards of an earlier export to the same directory that the new model.json does not list are removed.
 */
export function exportTfjs(model: Sequential, dir: string, options: ExportTfjsOptions = {}): ExportedTfjsFiles {
  const shardBytes = options.shardBytes ?? SHARD_BYTES;
  if (!Number.isSafeInteger(shardBytes) || shardBytes < 4) {
    throw new ValueError(`exportTfjs: shardBytes must be an integer ≥ 4, got ${describe(shardBytes)}`);
  }
  const a = toTfjsArtifacts(model);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ValueError(`exportTfjs: cannot create the directory ${dir}: ${(e as Error).message}`);
  }
  const bytes = new Uint8Array(a.weightData);
  const count = Math.max(1, Math.ceil(bytes.length / shardBytes));
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  paths.forEach((p, i) => writeFileAtomic(join(dir, p), bytes.subarray(i * shardBytes, (i + 1) * shardBytes)));
  const modelJson = join(dir, 'model.json');
  const doc = {
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths, weights: a.weightSpecs }],
  };
  writeFileAtomic(modelJson, JSON.stringify(doc));
  for (const f of readdirSync(dir)) if (SHARD_NAME.test(f) && !paths.includes(f)) unlinkSync(join(dir, f));
  return { modelJson, shards: paths.map((p) => join(dir, p)) };
}

/** Options of {@link importTfjs}. */
export interface ImportTfjsOptions {
  /** Largest model.json and largest total of weights read, in bytes (default 1 GiB each). */
  maxBytes?: number;
}

/**
 * Reads a TF.js layers model from `path` — its `model.json`, or the directory that holds it — and the weight shards
 * its manifest lists (paths inside that directory only), and builds it as {@link fromTfjsArtifacts} does. A missing
 * or truncated shard, shards that hold more or fewer bytes than the manifest's weights, and every refusal of
 * `fromTfjsArtifacts` are clear errors naming the file; nothing is built until everything checks.
 */
export function importTfjs(path: string, options: ImportTfjsOptions = {}): Sequential {
  const maxBytes = options.maxBytes ?? 2 ** 30;
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.json') : path;
  const fn = `importTfjs: ${file}`;
  const doc = loadJson(file, { maxBytes });
  if (!isPlainObject(doc) || !isPlainObject(doc.modelTopology) || !Array.isArray(doc.weightsManifest)) {
    throw new ValueError(`${fn}: not a TF.js layers model (expected {modelTopology, weightsManifest})`);
  }
  if (doc.format !== undefined && doc.format !== 'layers-model') {
    throw new ValueError(`${fn}: unsupported format ${describe(doc.format)}; tapegrad imports TF.js layers models (format layers-model)`);
  }
  const dir = dirname(file);
  const specs: unknown[] = [];
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const [g, group] of doc.weightsManifest.entries()) {
    if (!isPlainObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights) || group.paths.length > 10_000) {
      const got = isPlainObject(group) ? `paths ${describe(group.paths)}, weights ${describe(group.weights)}` : describe(group);
      throw new ValueError(`${fn}: weightsManifest[${g}] must be {paths, weights}, two arrays (at most 10000 paths); got ${got}`);
    }
    const need = readWeightSpecs(fn, group.weights).reduce((n, s) => n + 4 * s.size, 0);
    const files = group.paths.map((p: unknown) => shardPath(fn, dir, p));
    const sizes = files.map((f) => {
      if (!existsSync(f) || !statSync(f).isFile()) throw new ValueError(`${fn}: the weights file ${basename(f)} it lists is missing`);
      return statSync(f).size;
    });
    const have = sizes.reduce((a, b) => a + b, 0);
    if (have !== need) {
      throw new ValueError(
        `${fn}: the weights files of group ${g + 1} hold ${have} bytes but its weights need ${need} — truncated, or from another model`,
      );
    }
    total += need;
    if (total > maxBytes) throw new ValueError(`${fn}: the weights have more than ${maxBytes} bytes; refusing to read them`);
    files.forEach((f, i) => {
      // readBounded refuses a file that grew past its size; one that shrank since the stat comes back short
      const bytes = readBounded('importTfjs', f, sizes[i]!);
      if (bytes.length !== sizes[i]) {
        throw new ValueError(`${fn}: the weights file ${basename(f)} changed while it was read (${sizes[i]} bytes, then ${bytes.length})`);
      }
      chunks.push(bytes);
    });
    specs.push(...group.weights);
  }
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    weightData.set(c, offset);
    offset += c.length;
  }
  try {
    return fromTfjsArtifacts({ modelTopology: doc.modelTopology, weightSpecs: specs, weightData });
  } catch (e) {
    throw withContext(e, file);
  }
}

/** A shard's path inside `dir`: relative, no `..`, no scheme — a manifest may not point elsewhere on the disk. */
function shardPath(fn: string, dir: string, p: unknown): string {
  if (
    typeof p !== 'string' ||
    p === '' ||
    p.length > 1000 ||
    isAbsolute(p) ||
    /^[a-z][a-z0-9+.-]*:/i.test(p) ||
    p.split(/[\\/]/).includes('..')
  ) {
    throw new ValueError(`${fn}: weights path ${describe(p)} must be a file name relative to the model.json's directory`);
  }
  return join(dir, p);
}
