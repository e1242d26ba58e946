/**
 * Models in other formats for the MNIST command line: reading a model file of any format tapegrad imports (for
 * `--init` and `predict --model`), and `pnpm mnist export`, which writes a model for TensorFlow.js or ONNX Runtime.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Sequential } from '@tapegrad/nn';
import { exportOnnxFile, exportTfjs, importOnnxFile, importTfjs, loadJson, makeDirectory } from '@tapegrad/nn/node';
import { RuntimeError, UsageError, parseModelCommand, type OptionSpec } from './args.js';

/**
 * Reads a model from `path`: an ONNX file (`.onnx`), a TF.js layers model (its model.json, or the directory holding
 * it) or a tapegrad model.json — told apart by the extension and the JSON's fields. Failures are RuntimeErrors
 * naming the file.
 */
export function loadModelFile(path: string): Sequential {
  if (!existsSync(path)) throw new RuntimeError(`model file not found: ${path}`);
  try {
    if (statSync(path).isDirectory()) return importTfjs(path);
    if (extname(path).toLowerCase() === '.onnx') return importOnnxFile(path);
    const doc = loadJson(path);
    if (doc !== null && typeof doc === 'object' && 'modelTopology' in doc) return importTfjs(path);
    return Sequential.fromJSON(doc);
  } catch (e) {
    throw new RuntimeError(`cannot load model ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
}

const EXPORT_SPECS: Record<string, OptionSpec> = {
  help: { type: 'boolean' },
  model: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
};

/** `pnpm mnist export --help`. */
export const EXPORT_HELP = `Usage: pnpm mnist export --model FILE --format tfjs|onnx --out DIR

Write a trained model for another engine.

Options:
  --model FILE            the model: a model.json written by 'pnpm mnist' (or a TF.js model.json, or an .onnx file)
  --format tfjs|onnx      tfjs: DIR/model.json and weight shards for TensorFlow.js (tf.loadLayersModel);
                          onnx: DIR/model.onnx (opset 13, any batch size) for ONNX Runtime and other engines
  --out DIR               where to write (created if needed)
  -h, --help              show this help
`;

const bytes = (path: string): string => `${(statSync(path).size / 1024).toFixed(1)} KB`;

/** `pnpm mnist export --model FILE --format tfjs|onnx --out DIR`: returns the exit code (usage errors throw UsageError). */
export function exportCommand(argv: readonly string[], io: { out: (s: string) => void }): number {
  const v = parseModelCommand(argv, EXPORT_SPECS, EXPORT_HELP, io.out, 'export needs --model FILE');
  if (v === null) return 0;
  if (v.format !== 'tfjs' && v.format !== 'onnx') {
    throw new UsageError(`--format must be tfjs or onnx, got ${JSON.stringify(v.format ?? null)}`);
  }
  if (typeof v.out !== 'string' || v.out === '') throw new UsageError('export needs --out DIR');
  const model = loadModelFile(v.model);
  try {
    if (v.format === 'tfjs') {
      const files = exportTfjs(model, v.out);
      const shards = files.shards.map((s) => `${s} (${bytes(s)})`).join(', ');
      io.out(`Wrote ${files.modelJson} (${bytes(files.modelJson)}) and ${shards}\n`);
      io.out(`Load it in TensorFlow.js: await tf.loadLayersModel('file://${files.modelJson}')\n`);
    } else {
      const path = join(v.out, 'model.onnx');
      makeDirectory(v.out);
      exportOnnxFile(model, path);
      io.out(`Wrote ${path} (${bytes(path)}): ONNX opset 13, input 'input' [batch, ${model.inputShape?.join(', ')}], output 'output'\n`);
    }
  } catch (e) {
    throw new RuntimeError(`cannot export ${v.model} as ${v.format}: ${(e as Error).message.split('\n')[0]}`);
  }
  return 0;
}
