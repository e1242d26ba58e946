/**
 * `pnpm mnist` — train an MLP on MNIST-format digits and save the model, its history and a plot.
 * `pnpm mnist predict --model FILE [--data DIR]` — evaluate a saved model.
 * `pnpm mnist --help` — the options.
 */
import { runCli } from './main.js';

process.exitCode = runCli(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
});
