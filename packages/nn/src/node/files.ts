import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ValueError } from '@tapegrad/tensor';
import { readMaxBytes } from '../io/limits.js';
import { parseJsonSafe } from '../io/safe-json.js';
import { readBounded } from './bounded-read.js';

/**
 * Creates the directory `dir` and any missing parents (`mkdir -p`), one level at a time: Node 20's
 * `mkdirSync(dir, { recursive: true })` loops forever when the kernel answers ENOENT under a directory that exists
 * (procfs, `/proc/x`), and reports ENOENT for a read-only file system. Errors are a ValueError naming the level that
 * failed and the system's reason (EROFS, EACCES, ENOTDIR, …); an existing directory is fine.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    let st: Stats | null = null;
    try {
      st = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new ValueError(`cannot create the directory ${dir}: ${(e as Error).message}`);
    }
    if (st !== null) {
      if (!st.isDirectory()) throw new ValueError(`cannot create the directory ${dir}: ${p} exists and is not a directory`);
      break;
    }
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (e) {
      const exists = (e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(p, { throwIfNoEntry: false })?.isDirectory();
      if (!exists) throw new ValueError(`cannot create the directory ${dir}: ${(e as Error).message}`);
    }
  }
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory is written, fsynced and
 * renamed over the target, so a reader sees either the old file or the complete new one. On any failure
 * the temporary file is removed and the target is left untouched. Temporary files that a killed writer left
 * for the same path are removed first. Synchronous; returns once durable.
 *
 * A symlink is written through: the file it points to (created there when the link dangles) is replaced and the
 * link stays. An existing file keeps its permission bits (and, when running as root, its owner and group); a new
 * file is created with mode 0644 less the umask. A path to something other than a regular file (a directory,
 * a device, a FIFO, a socket) is refused and left untouched.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const { target, shown, stats } = writeTarget(path);
  if (stats !== null && !stats.isFile()) {
    throw new ValueError(`writeFileAtomic: ${shown} is ${fileKind(stats)}, not a regular file; expected a path to a file`);
  }
  const dir = dirname(target);
  removeStaleTemporaries(dir, basename(target));
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    if (stats !== null) {
      // the new file takes the place of the old one: the same owner (only root may give a file away) and mode
      if (process.getuid?.() === 0) fchownSync(fd, stats.uid, stats.gid);
      fchmodSync(fd, stats.mode & 0o777);
    }
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, target);
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
    throw new ValueError(`writeFileAtomic: could not write ${shown}: ${(e as Error).message}`);
  }
  syncDirectory(dir);
}

/** Most symlinks followed to find the file a write lands in (Linux's limit). */
const MAX_LINKS = 40;

/**
 * Where a write to `path` lands: `path` itself, or — when it is a symlink — the file it resolves to (for a dangling
 * link, the path its chain of links ends at, where the file will be created). `shown` names both for messages;
 * `stats` are the existing target's, or null when there is none yet.
 */
function writeTarget(path: string): { target: string; shown: string; stats: Stats | null } {
  let link: Stats;
  try {
    link = lstatSync(path);
  } catch {
    return { target: path, shown: path, stats: null }; // nothing there yet (or unreachable: the write says why)
  }
  if (!link.isSymbolicLink()) return { target: path, shown: path, stats: link };
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    target = danglingTarget(path);
  }
  const shown = `${path} (a symlink to ${target})`;
  try {
    return { target, shown, stats: statSync(target) };
  } catch {
    return { target, shown, stats: null };
  }
}

/** The path a chain of symlinks starting at `path` ends at, each link read relative to its own directory. */
function danglingTarget(path: string): string {
  let p = path;
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    let next: string;
    try {
      if (!lstatSync(p).isSymbolicLink()) return p;
      next = readlinkSync(p);
    } catch {
      return p; // the end of the chain: the file is created here (or the write says why it cannot be)
    }
    p = resolve(dirname(p), next);
  }
  throw new ValueError(`writeFileAtomic: ${path}: more than ${MAX_LINKS} symlinks in a row (a loop?); expected a path to a file`);
}

/** What a non-regular file is, for messages. */
function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * Removes `.<name>.<pid>.<12 hex>.tmp` files in `dir` whose writing process no longer runs: what a save killed
 * between writing and renaming leaves. A temporary file of a running process (a save in progress) is kept.
 */
function removeStaleTemporaries(dir: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return; // the write below reports a missing directory
  }
  const prefix = `.${name}.`;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(entry.slice(prefix.length));
    if (!m || processRuns(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, entry));
    } catch {
      // removed concurrently, or not ours to remove: the new write does not depend on it
    }
  }
}

/** Whether a process with this id exists (signal 0 only checks; EPERM means it exists under another user). */
function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  /** Largest file accepted, in bytes actually read (default 1 GiB). */
  maxBytes?: number;
}

/** Bytes a JSON text may start with: whitespace, then a value (`{ [ " -`, a digit, `t f n`). */
const JSON_START = new Set(Array.from(' \t\r\n{["-0123456789tfn', (c) => c.charCodeAt(0)));

/**
 * Reads and parses a JSON file with {@link parseJsonSafe} (no prototype-polluting keys), refusing files
 * over `maxBytes` (counted as they are read); errors name the file.
 */
export function loadJson(path: string, options: LoadJsonOptions = {}): unknown {
  const maxBytes = readMaxBytes('loadJson', options, 2 ** 30);
  const bytes = readBounded('loadJson', path, maxBytes, (first) => {
    // refuse at the first byte what cannot be JSON (a binary file, /dev/zero) instead of reading up to maxBytes of it
    if (!JSON_START.has(first[0]!)) {
      throw new ValueError(`loadJson: ${path} is not JSON: it starts with byte 0x${first[0]!.toString(16).padStart(2, '0')}`);
    }
  });
  return parseJsonSafe(bytes.toString('utf8'), { context: path });
}
