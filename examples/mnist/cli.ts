/**
 * `pnpm mnist` — train an MLP on MNIST-format digits and save the model, its history and a plot.
 * `pnpm mnist predict --model FILE [--data DIR]` — evaluate a saved model.
 * `pnpm mnist export --model FILE --format tfjs|onnx --out DIR` — write it for TensorFlow.js or ONNX Runtime.
 * `pnpm mnist --init FILE` — train on from a model (tapegrad model.json, TF.js model.json or .onnx).
 * `pnpm mnist --help` — the options.
 */
import { runCli } from './main.js';

process.exitCode = runCli(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
});
