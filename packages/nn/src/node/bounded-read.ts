import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
import { ValueError } from '@tapegrad/tensor';

// Reading within bounds: whole files counted as they are read (a device or a pipe reports no size), the first
// bytes of a file without reading the rest, and gzip data inflated only as far as it is needed — never past a
// size the caller states, so a gzip bomb costs at most that much memory.

/**
 * The bytes of `path`, at most `maxBytes`: refused up front when the file's size says so, and counted while reading
 * (a device or a pipe has no size; a file may grow). `checkStart` sees the first chunk and may refuse it early.
 */
export function readBounded(fn: string, path: string, maxBytes: number, checkStart?: (first: Uint8Array) => void): Buffer {
  const fd = openOrThrow(fn, path);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new ValueError(`${fn}: ${path} is ${size} bytes; refusing files over ${maxBytes} bytes`);
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const n = readOrThrow(fn, path, fd, chunk, null);
      if (n === 0) break;
      if (total === 0) checkStart?.(chunk.subarray(0, n));
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new ValueError(`${fn}: ${path} has more than ${maxBytes} bytes; refusing files over ${maxBytes} bytes`);
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks, total);
}

/** A byte stream read from its start: the first `n` bytes, or the whole stream when it must be exactly `n` bytes. */
export interface ByteSource {
  /** Whether the bytes are gzip-compressed (the source hands out the decompressed bytes). */
  readonly gzip: boolean;
  /** The stream's length when it is known without reading it (bytes in memory, a regular file), else null. */
  readonly length: number | null;
  /** The first `n` bytes (fewer when the stream is shorter). */
  prefix(n: number): Uint8Array;
  /**
   * The whole stream when it has at most `n` bytes; reads at most `n + 1`. `length` is the stream's length when
   * known, `trailing` says it is longer than `n`.
   */
  whole(n: number): { bytes: Uint8Array; trailing: boolean; length: number | null };
  /** Releases the file. */
  close(): void;
}

/** Largest compressed file read into memory (the data inflated from it is bounded separately). */
const MAX_COMPRESSED_BYTES = 2 ** 31;

/** A {@link ByteSource} over a file or bytes, gunzipping when they start with the gzip magic 1f 8b. */
export function openByteSource(fn: string, pathOrBytes: string | Uint8Array, label: string): ByteSource {
  if (typeof pathOrBytes !== 'string') return isGzip(pathOrBytes) ? gzipSource(fn, pathOrBytes, label) : memorySource(pathOrBytes);
  const fd = openOrThrow(fn, pathOrBytes);
  try {
    const magic = Buffer.alloc(2);
    const stat = fstatSync(fd);
    const regular = stat.isFile();
    const got = regular ? readOrThrow(fn, label, fd, magic, 0) : 0;
    if (regular && got === 2 && isGzip(magic)) {
      closeSync(fd);
      return gzipSource(fn, readBounded(fn, pathOrBytes, MAX_COMPRESSED_BYTES), label);
    }
    return regular ? fileSource(fn, fd, stat.size, label) : streamSource(fn, fd, label);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed above
    }
    throw e;
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function memorySource(bytes: Uint8Array): ByteSource {
  return {
    gzip: false,
    length: bytes.length,
    prefix: (n) => bytes.subarray(0, Math.min(n, bytes.length)),
    whole: (n) => ({ bytes: bytes.subarray(0, Math.min(n, bytes.length)), trailing: bytes.length > n, length: bytes.length }),
    close: () => undefined,
  };
}

/** A regular file: positional reads of what is asked, its size known without reading. */
function fileSource(fn: string, fd: number, size: number, label: string): ByteSource {
  const read = (n: number): Uint8Array => {
    const out = Buffer.allocUnsafe(Math.min(n, size));
    let done = 0;
    while (done < out.length) {
      const k = readOrThrow(fn, label, fd, out.subarray(done), done);
      if (k === 0) break;
      done += k;
    }
    return out.subarray(0, done);
  };
  return {
    gzip: false,
    length: size,
    prefix: read,
    whole: (n) => ({ bytes: read(n), trailing: size > n, length: size }),
    close: () => closeSync(fd),
  };
}

/** A device or a pipe: read in order, keeping what was read, never more than asked for plus one byte. */
function streamSource(fn: string, fd: number, label: string): ByteSource {
  let buf = Buffer.alloc(0);
  let ended = false;
  const fill = (n: number): void => {
    const chunks = [buf];
    let length = buf.length;
    while (!ended && length < n) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, n - length));
      const k = readOrThrow(fn, label, fd, chunk, null);
      if (k === 0) ended = true;
      chunks.push(chunk.subarray(0, k));
      length += k;
    }
    buf = Buffer.concat(chunks, length);
  };
  return {
    gzip: false,
    length: null,
    prefix: (n) => {
      fill(n);
      return buf.subarray(0, Math.min(n, buf.length));
    },
    whole: (n) => {
      fill(n + 1);
      return { bytes: buf.subarray(0, Math.min(n, buf.length)), trailing: buf.length > n, length: buf.length > n ? null : buf.length };
    },
    close: () => closeSync(fd),
  };
}

/** Gzip data: inflated only as far as asked (see {@link gunzipPrefix}); the whole stream with a size limit. */
function gzipSource(fn: string, gz: Uint8Array, label: string): ByteSource {
  let cached: Uint8Array = new Uint8Array(0);
  let complete = false;
  const whole: ByteSource['whole'] = (n) => {
    try {
      const bytes = gunzipSync(gz, { maxOutputLength: Math.max(n, 1) });
      return { bytes, trailing: false, length: bytes.length };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { bytes: new Uint8Array(0), trailing: true, length: null };
      throw corrupted(fn, label, e);
    }
  };
  return {
    gzip: true,
    length: null,
    prefix: (n) => {
      if (cached.length < n && !complete) ({ bytes: cached, complete } = gunzipPrefix(fn, gz, n, label));
      // all the input gave less than asked: inflate strictly (it is small) to tell a broken stream from a short one
      if (complete && cached.length < n) cached = whole(n).bytes;
      return cached.subarray(0, Math.min(n, cached.length));
    },
    whole,
    close: () => undefined,
  };
}

/**
 * The first `need` bytes (or all, when shorter) that gzip data inflates to, holding at most `need` + 1 MiB at once:
 * growing prefixes of the compressed bytes are inflated with Z_SYNC_FLUSH (what a prefix decodes to), doubling
 * while the output is short and bisecting when a prefix inflates past the cap (a bomb right after the needed part).
 */
export function gunzipPrefix(fn: string, gz: Uint8Array, need: number, label: string): { bytes: Uint8Array; complete: boolean } {
  const cap = need + (1 << 20);
  let lo = 0;
  let hi = Infinity;
  let p = Math.min(gz.length, 1 << 16);
  for (;;) {
    let out: Buffer | null = null;
    try {
      out = gunzipSync(gz.subarray(0, p), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: cap });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw corrupted(fn, label, e);
    }
    if (out !== null && (out.length >= need || p === gz.length)) return { bytes: out, complete: p === gz.length };
    if (out === null) hi = p;
    else lo = p;
    const next = hi === Infinity ? Math.min(gz.length, 2 * p) : lo + Math.floor((hi - lo) / 2);
    // one compressed byte inflates to a few KiB at most, far below the 1 MiB of slack, so the search always ends
    if (next <= lo || next >= hi) throw new ValueError(`${fn}: ${label} cannot be inflated in bounded steps — corrupted`);
    p = next;
  }
}

function corrupted(fn: string, label: string, e: unknown): ValueError {
  return new ValueError(`${fn}: ${label} is gzip-compressed but cannot be decompressed (${(e as Error).message}) — truncated or corrupted`);
}

function openOrThrow(fn: string, path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new ValueError(`${fn}: cannot read ${path}: ${(e as Error).message}`);
  }
}

function readOrThrow(fn: string, label: string, fd: number, into: Uint8Array, position: number | null): number {
  try {
    return readSync(fd, into, 0, into.length, position);
  } catch (e) {
    throw new ValueError(`${fn}: cannot read ${label}: ${(e as Error).message}`);
  }
}

/** The same error with the file named in front. */
export function withContext(e: unknown, file: string): Error {
  if (!(e instanceof Error)) return new ValueError(`${file}: ${String(e)}`);
  const Kind = e.constructor as new (message: string) => Error;
  return new Kind(`${file}: ${e.message}`);
}
