import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ValueError } from '@tapegrad/tensor';
import { parseJsonSafe } from '../io/safe-json.js';

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory is written, fsynced and
 * renamed over the target, so a reader sees either the old file or the complete new one. On any failure
 * the temporary file is removed and the target is left untouched. Synchronous; returns once durable.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may never have been created
    }
    throw new ValueError(`writeFileAtomic: could not write ${path}: ${(e as Error).message}`);
  }
  syncDirectory(dir);
}

/** Makes the rename durable where the platform allows fsync on a directory (best effort). */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported (e.g. Windows); the data itself is already fsynced
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Options for {@link saveJson}. */
export interface SaveJsonOptions {
  /** Indentation passed to JSON.stringify (default none). */
  space?: number;
}

/** Serialises `value` as JSON and writes it with {@link writeFileAtomic}. */
export function saveJson(path: string, value: unknown, options: SaveJsonOptions = {}): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, options.space);
  } catch (e) {
    throw new ValueError(`saveJson: cannot serialise the value for ${path}: ${(e as Error).message}`);
  }
  if (text === undefined) throw new ValueError(`saveJson: the value for ${path} is not JSON-serialisable (got ${typeof value})`);
  writeFileAtomic(path, text);
}

/** Options for {@link loadJson}. */
export interface LoadJsonOptions {
  /** Largest file accepted, in bytes (default 1 GiB). */
  maxBytes?: number;
}

/**
 * Reads and parses a JSON file with {@link parseJsonSafe} (no prototype-polluting keys), refusing files
 * over `maxBytes`; errors name the file.
 */
export function loadJson(path: string, options: LoadJsonOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? 2 ** 30;
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new ValueError(`loadJson: cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > maxBytes) throw new ValueError(`loadJson: ${path} is ${size} bytes; refusing files over ${maxBytes} bytes`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValueError(`loadJson: cannot read ${path}: ${(e as Error).message}`);
  }
  return parseJsonSafe(text, { context: path });
}
