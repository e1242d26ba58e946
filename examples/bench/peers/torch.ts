/**
 * Runs the PyTorch peer (`torch_peer.py`; not torch.py, which would shadow the torch package) in a child process,
 * on one thread unless asked for more; null when torch is unavailable.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ElementwiseCase, MatmulCase } from '../cases.js';

export const PYTHON = process.env.TAPEGRAD_BENCH_PYTHON ?? '/usr/bin/python3';

/** What the peer reports. */
export interface TorchResult {
  info: { torch: string; threads: number; blas: string; openblas: boolean };
  matmul: { case: string; ms: number }[];
  elementwise: { case: string; ms: number }[];
  epoch?: { seconds: number[]; loss: number[] };
}

/** The epoch workload for the peer: Fashion-MNIST from `dataDir` when given, else synthetic data of the same shape. */
export interface TorchEpochSpec {
  dataDir: string | null;
  samples: number;
  /** Hidden layer sizes (784-…-10). */
  hidden: number | number[];
  batchSize: number;
  lr: number;
  epochs: number;
  /** float32 (default) or float64 parameters and data. */
  dtype?: 'float32' | 'float64';
}

const envFor = (threads: number): NodeJS.ProcessEnv => {
  const t = String(threads);
  return { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t };
};
const env = envFor(1);

/** Why torch cannot run here, or null when `import torch` works. */
export function torchUnavailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { env, encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not runnable (${probe.error.message})`;
  if (probe.status !== 0) return `import torch failed under ${PYTHON}: ${probe.stderr.trim().split('\n').pop()}`;
  return null;
}

/** Measures the cases with PyTorch (on `threads` threads, default 1); throws with the peer's stderr when it fails. */
export function runTorch(spec: {
  minMs: number;
  threads?: number;
  matmul?: MatmulCase[];
  elementwise?: ElementwiseCase[];
  epoch?: TorchEpochSpec;
}): TorchResult {
  const script = fileURLToPath(new URL('./torch_peer.py', import.meta.url));
  const input = JSON.stringify(spec);
  const res = spawnSync(PYTHON, [script], { env: envFor(spec.threads ?? 1), input, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`torch peer failed (exit ${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as TorchResult;
}
