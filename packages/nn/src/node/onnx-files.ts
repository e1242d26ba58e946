import { readMaxBytes } from '../io/limits.js';
import type { Sequential } from '../model/sequential.js';
import { exportOnnx } from '../onnx/export.js';
import { importOnnx } from '../onnx/import.js';
import { readBounded, withContext } from './bounded-read.js';
import { writeFileAtomic } from './files.js';

// ONNX files: the bytes of `@tapegrad/nn/onnx`, written atomically and read within a size bound.

/** Writes {@link exportOnnx}'s bytes to `path` atomically (temporary file + rename). */
export function exportOnnxFile(model: Sequential, path: string): void {
  writeFileAtomic(path, exportOnnx(model));
}

/**
 * Reads an ONNX model file (at most `maxBytes`, default 1 GiB, counted as read) and builds it with {@link importOnnx};
 * errors name the file.
 */
export function importOnnxFile(path: string, options: { maxBytes?: number } = {}): Sequential {
  const maxBytes = readMaxBytes('importOnnxFile', options, 2 ** 30);
  const bytes = readBounded('importOnnxFile', path, maxBytes);
  try {
    return importOnnx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { maxBytes });
  } catch (e) {
    throw withContext(e, path);
  }
}
