import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ValueError } from '@tapegrad/tensor';
import { readMaxBytes } from '../io/limits.js';
import { describe, isPlainObject } from '../io/safe-json.js';
import { fromTfjsArtifacts, readWeightSpecs, toTfjsArtifacts } from '../io/tfjs.js';
import type { Sequential } from '../model/sequential.js';
import { readBounded, withContext } from './bounded-read.js';
import { loadJson, makeDirectory, writeFileAtomic } from './files.js';

// The TF.js layers format on disk, as `tf.loadLayersModel('file://…/model.json')` and `tfjs.converters` read and
// write it: model.json (topology and weights manifest) beside weight shards group1-shard{i}of{n}.bin (the manifest
// lists the shards' names, so a re-export writes group1-shard{i}of{n}.{8 hex}.bin beside the shards it replaces).

/** TF.js's default shard size: 4 MiB. */
const SHARD_BYTES = 4 * 1024 * 1024;

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
 * weights in 4 MiB shards `group1-shard{i}of{n}.bin`, each written atomically, the shards before model.json. Load it
 * in TensorFlow.js with `tf.loadLayersModel('file://dir/model.json')` (tfjs-node) or over HTTP; see
 * {@link toTfjsArtifacts} for what is exported.
 *
 * An earlier export in `dir` stays intact and loadable until the new one is complete: when files of those shard
 * names are already there, the new shards are named `group1-shard{i}of{n}.{8 hex}.bin` (model.json lists them), and
 * only once the new model.json is in place are the old model.json's shards removed: the files it lists that are named
 * as shards (`group{g}-shard{i}of{n}.bin`, with or without the tag), lie directly in `dir` (symlinked folders resolved)
 * and are regular files, not symlinks — nothing else in `dir` and nothing outside it. When the export fails, the
 * shards it wrote are removed and the error says so.
 */
export function exportTfjs(model: Sequential, dir: string, options: ExportTfjsOptions = {}): ExportedTfjsFiles {
  const shardBytes = options.shardBytes ?? SHARD_BYTES;
  if (!Number.isSafeInteger(shardBytes) || shardBytes < 4) {
    throw new ValueError(`exportTfjs: shardBytes must be an integer ≥ 4, got ${describe(shardBytes)}`);
  }
  const a = toTfjsArtifacts(model);
  try {
    makeDirectory(dir);
  } catch (e) {
    throw new ValueError(`exportTfjs: ${(e as Error).message}`);
  }
  const modelJson = join(dir, 'model.json');
  const previous = listedShards(dir, modelJson);
  const bytes = new Uint8Array(a.weightData);
  const count = Math.max(1, Math.ceil(bytes.length / shardBytes));
  const paths = freeShardNames(dir, count);
  const shards = paths.map((p) => join(dir, p));
  const doc = {
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths, weights: a.weightSpecs }],
  };
  const written: string[] = [];
  try {
    shards.forEach((f, i) => {
      writeFileAtomic(f, bytes.subarray(i * shardBytes, (i + 1) * shardBytes));
      written.push(f);
    });
    writeFileAtomic(modelJson, JSON.stringify(doc));
  } catch (e) {
    written.forEach(removeQuietly);
    const what = `the shards it wrote are removed; what ${dir} held before is left as it was`;
    throw new ValueError(`exportTfjs: could not export to ${dir} (${what}): ${(e as Error).message}`);
  }
  // the new export is complete: the weights of the one it replaced go (a file that cannot be removed only takes space)
  if (previous) for (const name of previous.names) if (!paths.includes(name)) removeShard(join(previous.realDir, name));
  return { modelJson, shards };
}

/** The names of the shards TF.js and exportTfjs write: `group{g}-shard{i}of{n}.bin`, exportTfjs's re-export adds a tag. */
const SHARD_NAME = /^group[1-9][0-9]{0,5}-shard[1-9][0-9]{0,5}of[1-9][0-9]{0,5}(?:\.[0-9a-f]{8})?\.bin$/;

/**
 * The shards of the export an existing `modelJson` describes, which a re-export removes once it is complete: the names
 * its weights manifest lists that are shard names ({@link SHARD_NAME}) of files directly in the real `dir` (the real
 * path of the listed file's folder, symlinks resolved, is the real `dir`). Null when there is no readable TF.js
 * model.json: then no file is taken for a shard of an earlier export. A listed file of another name (`notes.txt`), in
 * a subfolder or reached through a symlinked folder that leads elsewhere is never touched.
 */
function listedShards(dir: string, modelJson: string): { realDir: string; names: string[] } | null {
  let doc: unknown;
  let realDir: string;
  try {
    doc = existsSync(modelJson) ? loadJson(modelJson) : null;
    realDir = realpathSync(dir);
  } catch {
    return null; // not a model.json we wrote (a directory, garbage): nothing is known to belong to it
  }
  if (!isPlainObject(doc) || !Array.isArray(doc.weightsManifest)) return null;
  const names = new Set<string>();
  for (const group of doc.weightsManifest) {
    if (!isPlainObject(group) || !Array.isArray(group.paths)) continue;
    for (const p of group.paths as unknown[]) {
      let f: string;
      try {
        f = shardPath('exportTfjs', dir, p);
      } catch {
        continue; // a path outside the directory is never touched
      }
      const name = basename(f);
      if (!SHARD_NAME.test(name)) continue; // not a shard exportTfjs writes (notes.txt, model.json): left alone
      try {
        if (realpathSync(dirname(f)) !== realDir) continue; // a subfolder, or a symlinked folder that leads elsewhere
      } catch {
        continue; // its folder is gone
      }
      names.add(name);
    }
  }
  return { realDir, names: [...names] };
}

/** Removes the shard `path` if it is a regular file: a symlink (or anything else) is left alone, never followed. */
function removeShard(path: string): void {
  try {
    if (lstatSync(path).isFile()) unlinkSync(path);
  } catch {
    // gone already, or not removable: nothing the caller can act on
  }
}

/**
 * Names for `count` new shards that no file in `dir` has: TF.js's `group1-shard{i}of{n}.bin`, or — when one of those
 * exists (an earlier export's, which must stay intact until the new one is complete) — the same with a random tag,
 * `group1-shard{i}of{n}.{8 hex}.bin`.
 */
function freeShardNames(dir: string, count: number): string[] {
  const stems = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}`);
  const free = (names: string[]): boolean => names.every((n) => !pathExists(join(dir, n)));
  const plain = stems.map((s) => `${s}.bin`);
  if (free(plain)) return plain;
  for (let attempt = 0; attempt < 100; attempt++) {
    const tag = randomBytes(4).toString('hex');
    const tagged = stems.map((s) => `${s}.${tag}.bin`);
    if (free(tagged)) return tagged;
  }
  throw new ValueError(`exportTfjs: found no free names for ${count} weight shards in ${dir} (tried 100 random tags)`);
}

/** Whether anything — even a dangling symlink — is at `path`. */
function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or not removable: nothing the caller can act on
  }
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
  const maxBytes = readMaxBytes('importTfjs', options, 2 ** 30);
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
    const files = group.paths.map((p: unknown) => realShardPath(fn, dir, shardPath(fn, dir, p)));
    const sizes = files.map((f) => statSync(f).size);
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

/**
 * The real path of the shard file `f` (symlinks resolved), which must be a regular file inside the real `dir`: a
 * symlink in the model's directory may not make the import read a file elsewhere on the disk.
 */
function realShardPath(fn: string, dir: string, f: string): string {
  let real: string;
  try {
    real = realpathSync(f);
  } catch {
    throw new ValueError(`${fn}: the weights file ${basename(f)} it lists is missing`);
  }
  const rel = relative(realpathSync(dir), real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ValueError(
      `${fn}: the weights file ${basename(f)} it lists resolves to ${real}, outside the model's directory; ` +
        `weight shards must be files inside the directory of the model.json (a symlink may not point elsewhere)`,
    );
  }
  if (!statSync(real).isFile()) throw new ValueError(`${fn}: the weights file ${basename(f)} it lists is not a regular file`);
  return real;
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
