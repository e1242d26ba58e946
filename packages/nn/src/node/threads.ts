import { Worker } from 'node:worker_threads';
import { ValueError } from '@tapegrad/tensor';
import { gemmWorkerSource, gemmWorkersReady, setGemmWorkers, wasmSupported } from '@tapegrad/tensor/backend';

/** Options of {@link useGemmWorkers}. */
export interface GemmWorkerOptions {
  /** How long to wait for the workers to compile the kernels and report ready (default 10 000 ms). */
  timeoutMs?: number;
}

let running: Worker[] = [];

/**
 * Starts `n` Node worker threads for the wasm GEMM (a second core for the large products of a training
 * step and for Adam on large layers; results stay bit-identical) and resolves with the number ready (0, starting
 * none, where WebAssembly SIMD is missing). Only the wasm backend uses them. Layers and optimizers created while
 * they are in use keep their float32 weights, gradients and moments in the memory the workers share (so nothing is
 * copied to them): up to 64 MiB, which stays allocated until the process ends — build models after this call to
 * profit, and reuse them. The workers do not keep the process alive; {@link stopGemmWorkers} ends them (the models
 * keep working on one thread). Replaces workers started before; overlapping calls (and {@link stopGemmWorkers}) take
 * effect one at a time, in call order.
 * @example await useGemmWorkers(1); model.fit(x, y, { epochs: 5 }); await stopGemmWorkers();
 */
export function useGemmWorkers(n = 1, options: GemmWorkerOptions = {}): Promise<number> {
  if (!Number.isInteger(n) || n < 0 || n > 64) {
    return Promise.reject(new ValueError(`useGemmWorkers: n must be an integer in [0, 64], got ${String(n)}`));
  }
  const timeoutMs = options?.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs === Infinity) {
    const got = typeof timeoutMs === 'number' ? String(timeoutMs) : JSON.stringify(timeoutMs);
    return Promise.reject(new ValueError(`useGemmWorkers: timeoutMs must be a finite number ≥ 0, got ${got}`));
  }
  return serially(() => startWorkers(n, timeoutMs));
}

/**
 * Starts and stops run one at a time, in call order: two overlapping `useGemmWorkers` calls end with the second
 * one's workers, and the first one's are terminated, not leaked.
 */
let queue: Promise<unknown> = Promise.resolve();
function serially<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task);
  queue = run.catch(() => undefined);
  return run;
}

async function startWorkers(n: number, timeoutMs: number): Promise<number> {
  await stopWorkers();
  if (n === 0 || !wasmSupported()) return 0;
  const source = `(${gemmWorkerSource})(require('node:worker_threads').parentPort)`;
  const started: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(source, { eval: true });
    w.unref();
    // A failing worker must not take the process down: stop handing work to the pool instead.
    w.on('error', () => {
      if (running.includes(w)) void stopGemmWorkers();
    });
    started.push(w);
  }
  running = started;
  setGemmWorkers(started);
  const t0 = Date.now();
  while (gemmWorkersReady() < n && Date.now() - t0 < timeoutMs && running === started) {
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
  }
  return running === started ? gemmWorkersReady() : 0;
}

/** Stops using the GEMM worker threads started by {@link useGemmWorkers} and terminates them (after any start still under way). */
export function stopGemmWorkers(): Promise<void> {
  return serially(stopWorkers);
}

async function stopWorkers(): Promise<void> {
  const old = running;
  if (old.length === 0) return;
  running = [];
  setGemmWorkers(null);
  await Promise.all(old.map((w) => w.terminate()));
}

/** Number of GEMM worker threads started by {@link useGemmWorkers} that are still in use. */
export function gemmWorkerCount(): number {
  return running.length;
}
