import { sharedWasmState } from './runtime.js';

/**
 * Optional worker threads for the wasm GEMM. The library never creates threads itself (that needs
 * host APIs: `node:worker_threads`, or `Worker` plus cross-origin isolation in a browser); the host
 * starts workers running {@link gemmWorkerSource} and hands them to {@link setGemmWorkers}. Each call
 * then splits C's column panels between the calling thread and the workers; every element of C is
 * still summed in the same order, so results are bit-identical with or without workers.
 *
 * Protocol: one SharedArrayBuffer of control words, 16 per worker: `[seq, done, accumulate, ap, bp, c,
 * mPad, jFrom, jTo, k, kc0, nPad, MR, NR, MC, ready]`. The caller packs all depth blocks, writes a task
 * and bumps `seq`; the worker runs {@link runColumns} on its column panels, stores `seq` into `done`
 * and notifies: one hand-off per product.
 */

/** The part of a Worker (Node or browser) that {@link setGemmWorkers} uses. */
export interface GemmWorker {
  postMessage(message: unknown): void;
}

/**
 * Source of a function expression `(port) => void` to run inside a worker, where `port` receives
 * messages (`parentPort` in Node, `self` in a browser), e.g. in Node:
 * `new Worker(\`(${gemmWorkerSource})(require('node:worker_threads').parentPort)\`, { eval: true })`.
 */
export const gemmWorkerSource = `(port) => {
  const run = ${runColumnsSource()};
  const onMessage = (event) => {
    port.removeEventListener('message', onMessage);
    const { memory, bytes, ctrl, slot } = event.data;
    const gemm = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
    const c = new Int32Array(ctrl);
    const b = slot * 16;
    let seq = Atomics.load(c, b + 1);
    Atomics.store(c, b + 15, 1);
    Atomics.notify(c, b + 15);
    for (;;) {
      Atomics.wait(c, b, seq);
      seq = Atomics.load(c, b);
      if (seq < 0) return;
      run(gemm, c[b + 2] === 1, c[b + 3], c[b + 4], c[b + 5], c[b + 6], c[b + 7], c[b + 8], c[b + 9], c[b + 10], c[b + 11], c[b + 12], c[b + 13], c[b + 14]);
      Atomics.store(c, b + 1, seq);
      Atomics.notify(c, b + 1);
    }
  };
  port.addEventListener('message', onMessage);
  if (typeof port.start === 'function') port.start();
}`;

interface Pool {
  ctrl: Int32Array;
  count: number;
  seq: number;
  canBlock: boolean;
}

let pool: Pool | null = null;

/**
 * Uses `workers` (started with {@link gemmWorkerSource}) for large wasm GEMMs from now on, switching
 * the wasm kernels to shared memory; `null` stops using them (the host terminates them). Workers
 * that have not started yet are skipped until they are ready.
 */
export function setGemmWorkers(workers: readonly GemmWorker[] | null): void {
  if (pool) {
    for (let w = 0; w < pool.count; w++) {
      Atomics.store(pool.ctrl, w * 16, -1);
      Atomics.notify(pool.ctrl, w * 16);
    }
    pool = null;
  }
  if (!workers || workers.length === 0) return;
  const { memory, gemmBytes } = sharedWasmState();
  const ctrl = new Int32Array(new SharedArrayBuffer(workers.length * 16 * 4));
  workers.forEach((w, slot) => w.postMessage({ memory, bytes: gemmBytes, ctrl: ctrl.buffer, slot }));
  let canBlock = true;
  try {
    Atomics.wait(ctrl, 0, 1, 0); // throws where the calling thread may not block (a browser's main thread)
  } catch {
    canBlock = false;
  }
  pool = { ctrl, count: workers.length, seq: 0, canBlock };
}

/** Number of GEMM worker threads that are ready. */
export function gemmWorkersReady(): number {
  if (!pool) return 0;
  let n = 0;
  for (let w = 0; w < pool.count; w++) if (Atomics.load(pool.ctrl, w * 16 + 15) === 1) n++;
  return n;
}

/**
 * `C (+)= A·B` for C's column panels `j0 ≤ j < j1` from operands packed block by block (float offsets:
 * depth block `p0` of A at `ap + mPad*p0`, of B at `bp + nPad*p0`, each `kc0` deep but the last); the
 * same loops as the single-threaded path, so every element is summed in the same order.
 */
export function runColumns(
  gemm: { macroAdd: MacroFn; macroSet: MacroFn },
  accumulate: boolean,
  ap: number,
  bp: number,
  cp: number,
  mPad: number,
  j0: number,
  j1: number,
  k: number,
  kc0: number,
  nPad: number,
  MR: number,
  NR: number,
  MC: number,
): void {
  for (let p0 = 0; p0 < k; p0 += kc0) {
    const kc = Math.min(kc0, k - p0);
    const macro = p0 > 0 || accumulate ? gemm.macroAdd : gemm.macroSet;
    for (let i0 = 0; i0 < mPad; i0 += MC) {
      const mc = Math.min(MC, mPad - i0);
      macro((ap + mPad * p0 + i0 * kc) * 4, (bp + nPad * p0 + j0 * NR * kc) * 4, (cp + i0 * nPad + j0 * NR) * 4, mc / MR, j1 - j0, kc, nPad * 4);
    }
  }
}

/** `runColumns` as plain JavaScript source for the worker (type annotations stripped). */
function runColumnsSource(): string {
  return `(gemm, accumulate, ap, bp, cp, mPad, j0, j1, k, kc0, nPad, MR, NR, MC) => {
    for (let p0 = 0; p0 < k; p0 += kc0) {
      const kc = Math.min(kc0, k - p0);
      const macro = p0 > 0 || accumulate ? gemm.macroAdd : gemm.macroSet;
      for (let i0 = 0; i0 < mPad; i0 += MC) {
        const mc = Math.min(MC, mPad - i0);
        macro((ap + mPad * p0 + i0 * kc) * 4, (bp + nPad * p0 + j0 * NR * kc) * 4, (cp + i0 * nPad + j0 * NR) * 4, mc / MR, j1 - j0, kc, nPad * 4);
      }
    }
  }`;
}

type MacroFn = (ap: number, bp: number, c: number, mp: number, np: number, kc: number, ldc: number) => void;

/**
 * Splits `C (+)= A·B` (operands packed as for {@link runColumns}) by column panels between this thread
 * and the ready workers and waits for them; returns false (nothing done) when no worker is ready.
 */
export function runParallel(
  gemm: { macroAdd: MacroFn; macroSet: MacroFn },
  accumulate: boolean,
  ap: number,
  bp: number,
  cp: number,
  mPad: number,
  nPad: number,
  k: number,
  kc0: number,
  MR: number,
  NR: number,
  MC: number,
): boolean {
  if (!pool) return false;
  const { ctrl } = pool;
  const ready: number[] = [];
  for (let w = 0; w < pool.count; w++) if (Atomics.load(ctrl, w * 16 + 15) === 1) ready.push(w);
  const panels = nPad / NR;
  if (ready.length === 0 || panels < 2) return false;
  const parts = Math.min(ready.length + 1, panels);
  const seq = ++pool.seq;
  const bound = (q: number): number => Math.round((q * panels) / parts);
  for (let q = 1; q < parts; q++) {
    const b = ready[q - 1]! * 16;
    const args = [accumulate ? 1 : 0, ap, bp, cp, mPad, bound(q), bound(q + 1), k, kc0, nPad, MR, NR, MC];
    for (let i = 0; i < args.length; i++) ctrl[b + 2 + i] = args[i]!;
    Atomics.store(ctrl, b, seq);
    Atomics.notify(ctrl, b);
  }
  runColumns(gemm, accumulate, ap, bp, cp, mPad, 0, bound(1), k, kc0, nPad, MR, NR, MC);
  for (let q = 1; q < parts; q++) {
    const b = ready[q - 1]! * 16 + 1;
    for (;;) {
      const done = Atomics.load(ctrl, b);
      if (done === seq) break;
      if (pool.canBlock) Atomics.wait(ctrl, b, done, 1000);
    }
  }
  return true;
}
