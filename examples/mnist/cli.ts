/**
 * `pnpm mnist` — train an MLP on MNIST-format digits and save the model, its history and a plot.
 * `pnpm mnist predict --model FILE [--data DIR]` — evaluate a saved model.
 * `pnpm mnist export --model FILE --format tfjs|onnx --out DIR` — write it for TensorFlow.js or ONNX Runtime.
 * `pnpm mnist --init FILE` — train on from a model (tapegrad model.json, TF.js model.json or .onnx).
 * `pnpm mnist --help` — the options.
 */
import { enableRelaxedSimd } from '@tapegrad/nn/node';
import { runCli } from './main.js';

// Before the first tensor operation picks the backend: the FMA GEMM (wasm-fma) where the engine has relaxed SIMD
// (Node 20 keeps it behind a V8 flag). TAPEGRAD_BACKEND=wasm still selects the plain SIMD GEMM.
enableRelaxedSimd();

process.exitCode = runCli(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
});
