import { setSharedResidence, sharedWasmState, type AdamScalars, type GemmExports, type KernelExports } from './runtime.js';

/**
 * Optional worker threads for the wasm GEMM. The library never creates threads itself (that needs
 * host APIs: `node:worker_threads`, or `Worker` plus cross-origin isolation in a browser); the host
 * starts workers running {@link gemmWorkerSource} and hands them to {@link setGemmWorkers}. Each large
 * product then splits C's column panels into chunks that the calling thread and the workers claim one
 * at a time, each packing the B panels of its chunk itself unless B is read in place (A is packed before, by the
 * caller, unless it is read in place); every
 * element of C is still summed in the same order whoever computes it, so results are bit-identical with or
 * without workers. Claiming (not a fixed split) matters on a busy machine: a
 * worker descheduled for a few milliseconds just claims nothing while the caller does all chunks.
 *
 * Protocol: one SharedArrayBuffer of Int32 control words: `[claim, finished, seq]`, the task (see
 * {@link runChunk}, {@link runAdamChunk}), at word 26 its kind, at word 28 the number of sleeping workers, and from
 * word 30 one ready flag per worker. The caller
 * writes a task, sets `claim = tag << 12 | chunks` (tag = low bits of seq), bumps `seq` and claims chunks
 * itself; a thread claims chunk `left − 1` by a compare-exchange of `claim` from `tag << 12 | left` to
 * `− 1` (a stale tag or `left = 0` means nothing is left), runs it and adds one to `finished`; the caller
 * returns when `finished` reaches the chunk count, and only then may write the next task.
 */

/**
 * Polls of `seq` a worker makes after a product before blocking in `Atomics.wait` (~85 µs). A longer spin
 * (~1 ms, never sleeping during training) measured slower: the spinning worker competes with V8's GC
 * helper threads; a late-waking worker costs little since the caller claims the chunks it has not.
 */
const WORKER_SPIN = 20000;
/** Polls of `finished` the caller makes before blocking (~100 µs); it waits only for chunks in progress. */
const CALLER_SPIN = 20000;

const CLAIM = 0;
const FINISHED = 1;
const SEQ = 2;
const TASK = 3;
/** The task's kind, after its 23 words: 0 a GEMM ({@link runChunk}), 1 Adam ({@link runAdamChunk}). */
const KIND = TASK + 23;
/** Number of workers blocked (or about to block) in `Atomics.wait`: notifying costs ~10 µs even with no waiter. */
const SLEEPERS = 28;
const READY = 30;
/** Elements per unit of an Adam task (chunks are whole units, so every chunk but the last is a multiple of 4 lanes). */
const ADAM_UNIT = 1024;

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
  const packPanels = ${packPanelsSource()};
  const runBlock = ${runBlockSource()};
  const runGemm = ${runChunkSource()};
  const runAdam = ${runAdamChunkSource()};
  const claimChunks = ${claimChunksSource()};
  const onMessage = (event) => {
    port.removeEventListener('message', onMessage);
    const { memory, bytes, fmaBytes, kernelBytes, ctrl, slot } = event.data;
    const instance = (b) => new WebAssembly.Instance(new WebAssembly.Module(b), { env: { memory } }).exports;
    const merged = (modules) => Object.assign({}, ...modules.map(instance));
    const gemms = [merged(bytes), fmaBytes ? merged(fmaBytes) : null];
    const kernels = instance(kernelBytes);
    const c = new Int32Array(ctrl);
    const run = (c, o, j0, j1) => (c[${KIND}] === 1 ? runAdam(kernels, c, o, j0, j1) : runGemm(gemms[c[o + 17]], c, o, j0, j1));
    let seq = Atomics.load(c, ${SEQ});
    Atomics.store(c, ${READY} + slot, 1);
    Atomics.notify(c, ${READY} + slot);
    for (;;) {
      for (let s = 0; s < ${WORKER_SPIN} && Atomics.load(c, ${SEQ}) === seq; s++);
      Atomics.add(c, ${SLEEPERS}, 1);
      Atomics.wait(c, ${SEQ}, seq);
      Atomics.sub(c, ${SLEEPERS}, 1);
      const next = Atomics.load(c, ${SEQ});
      if (next < 0) return;
      if (next === seq) continue; // woken ahead of a task (wakeGemmWorkers): spin for it
      seq = next;
      claimChunks(run, c, seq);
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
  /** The workers have the relaxed-SIMD (FMA) kernels too. */
  fma: boolean;
}

let pool: Pool | null = null;

/**
 * Uses `workers` (started with {@link gemmWorkerSource}) for large wasm GEMMs from now on, switching
 * the wasm GEMM to shared memory; `null` stops using them (the host terminates them). Workers that have
 * not started yet simply claim no work until they are ready. Meanwhile `kernelStateArrays` hands out views of
 * that shared memory (see `setSharedResidence`), so that split products read and write such state where it lies.
 */
export function setGemmWorkers(workers: readonly GemmWorker[] | null): void {
  if (pool) {
    Atomics.store(pool.ctrl, SEQ, -1);
    Atomics.notify(pool.ctrl, SEQ);
    pool = null;
  }
  setSharedResidence(workers !== null && workers.length > 0);
  if (!workers || workers.length === 0) return;
  const { memory, gemmBytes, fmaBytes, kernelBytes } = sharedWasmState();
  const ctrl = new Int32Array(new SharedArrayBuffer((READY + workers.length) * 4));
  workers.forEach((w, slot) => w.postMessage({ memory, bytes: gemmBytes, fmaBytes, kernelBytes, ctrl: ctrl.buffer, slot }));
  let canBlock = true;
  try {
    Atomics.wait(ctrl, READY, 1, 0); // throws where the calling thread may not block (a browser's main thread)
  } catch {
    canBlock = false;
  }
  pool = { ctrl, count: workers.length, seq: 0, canBlock, fma: fmaBytes !== null };
}

/**
 * Wakes sleeping workers ahead of a product (they spin for the next task, then sleep again), so that
 * their wake-up latency overlaps the caller's copying and packing of the operands.
 */
export function wakeGemmWorkers(): void {
  if (pool && Atomics.load(pool.ctrl, SLEEPERS) > 0) Atomics.notify(pool.ctrl, SEQ);
}

/** Number of GEMM worker threads that are ready. */
export function gemmWorkersReady(): number {
  if (!pool) return 0;
  let n = 0;
  for (let w = 0; w < pool.count; w++) if (Atomics.load(pool.ctrl, READY + w) === 1) n++;
  return n;
}

/**
 * `C = A·B` (`first`) or `C += A·B` for one depth block `kc` deep and C's column panels `j0 ≤ j < j1`, all
 * row blocks of `MC` rows: the macro-kernel calls. A's panels start at byte `a` (`aPanel` apart, lanes `aStep`
 * apart per depth step), B's at `b` (likewise); `cp` is the C buffer (floats, `ldc` per row: the columns rounded up to
 * 4, so the last panel's tiles store only what fits). The caller and the workers run the same calls, so every
 * element is summed in the same order whoever computes it.
 */
export function runBlock(
  gemm: GemmExports,
  first: boolean,
  a: number,
  aStep: number,
  aPanel: number,
  b: number,
  bStep: number,
  bPanel: number,
  cp: number,
  mPad: number,
  j0: number,
  j1: number,
  kc: number,
  ldc: number,
  MR: number,
  NR: number,
  MC: number,
): void {
  const macro = gemm[`macro${first ? 'Set' : 'Add'}${MR}x${NR}`];
  const nvLast = Math.min(NR, ldc - (j1 - 1) * NR) / 4;
  for (let i0 = 0; i0 < mPad; i0 += MC) {
    const mc = Math.min(MC, mPad - i0);
    const c = (cp + i0 * ldc + j0 * NR) * 4;
    macro(a + (i0 / MR) * aPanel, b + j0 * bPanel, c, mc / MR, j1 - j0, kc, ldc * 4, aStep, aPanel, bStep, bPanel, nvLast);
  }
}

/** `runBlock` as plain JavaScript source for the worker (type annotations stripped). */
function runBlockSource(): string {
  return `(gemm, first, a, aStep, aPanel, b, bStep, bPanel, cp, mPad, j0, j1, kc, ldc, MR, NR, MC) => {
    const macro = gemm[(first ? 'macroSet' : 'macroAdd') + MR + 'x' + NR];
    const nvLast = Math.min(NR, ldc - (j1 - 1) * NR) / 4;
    for (let i0 = 0; i0 < mPad; i0 += MC) {
      const mc = Math.min(MC, mPad - i0);
      const c = (cp + i0 * ldc + j0 * NR) * 4;
      macro(a + (i0 / MR) * aPanel, b + j0 * bPanel, c, mc / MR, j1 - j0, kc, ldc * 4, aStep, aPanel, bStep, bPanel, nvLast);
    }
  }`;
}

/**
 * Claims and runs chunks of the task in `c` (see the protocol above) until none is left or the task is
 * no longer the one numbered `seq`. Whether a chunk is left is decided by the claim word alone (never by
 * the task words, which a late thread may see already overwritten by the next task). `gemms` are the
 * exports without and with FMA; the task says which one it needs.
 */
function claimChunks(run: RunChunk, c: Int32Array, seq: number): void {
  const tag = (seq & 0x3ffff) << 12;
  for (;;) {
    const w = Atomics.load(c, CLAIM);
    const left = w - tag;
    if (left <= 0 || left >= 4096) return;
    if (Atomics.compareExchange(c, CLAIM, w, w - 1) !== w) continue;
    // The task is still open, so its words are this task's: it cannot end before this chunk is done.
    const panels = c[TASK + 5]!;
    const chunk = c[TASK + 6]!;
    const j0 = (left - 1) * chunk;
    run(c, TASK, j0, Math.min(panels, j0 + chunk));
    if (Atomics.add(c, FINISHED, 1) + 1 === Math.ceil(panels / chunk)) Atomics.notify(c, FINISHED);
  }
}

/** Runs units `j0 ≤ j < j1` of the task at word `o` of `c` (column panels of a GEMM, or units of an Adam task). */
type RunChunk = (c: Int32Array, o: number, j0: number, j1: number) => void;

/** `claimChunks` as plain JavaScript source for the worker. */
function claimChunksSource(): string {
  return `(run, c, seq) => {
    const tag = (seq & 0x3ffff) << 12;
    for (;;) {
      const w = Atomics.load(c, ${CLAIM});
      const left = w - tag;
      if (left <= 0 || left >= 4096) return;
      if (Atomics.compareExchange(c, ${CLAIM}, w, w - 1) !== w) continue;
      const panels = c[${TASK + 5}];
      const chunk = c[${TASK + 6}];
      const j0 = (left - 1) * chunk;
      run(c, ${TASK}, j0, Math.min(panels, j0 + chunk));
      if (Atomics.add(c, ${FINISHED}, 1) + 1 === Math.ceil(panels / chunk)) Atomics.notify(c, ${FINISHED});
    }
  }`;
}

/**
 * `C (+)= A·B` with the workers, given the task {@link runChunk} reads (A packed or read in place, B raw): column
 * panels in chunks claimed by this thread and the workers; returns false (nothing done) when no worker is ready
 * or when the task needs the FMA kernels and the workers lack them.
 */
export function runParallel(gemm: GemmExports, task: readonly number[]): boolean {
  if (pool && task[17] === 1 && !pool.fma) return false;
  return runTask(0, task, (c, o, j0, j1) => runChunk(gemm, c, o, j0, j1));
}

/**
 * Runs a task of `kind` (0 GEMM, 1 Adam) with the workers: its words are copied into the control block (`task[5]` units,
 * split into chunks of `task[6]` here) and `run` does the chunks this thread claims; false when no worker is ready.
 */
function runTask(kind: number, task: ArrayLike<number>, run: RunChunk): boolean {
  if (!pool) return false;
  const { ctrl } = pool;
  const ready = gemmWorkersReady();
  const panels = task[5]!;
  if (ready === 0 || panels < 2) return false;
  // About four chunks per thread: small enough to balance, large enough that claiming costs nothing.
  const chunk = Math.max(1, Math.ceil(panels / (4 * (ready + 1))));
  const chunks = Math.ceil(panels / chunk);
  const seq = (pool.seq = (pool.seq + 1) & 0x3fffffff);
  for (let i = 0; i < task.length; i++) ctrl[TASK + i] = task[i]!;
  ctrl[TASK + 6] = chunk;
  ctrl[KIND] = kind;
  Atomics.store(ctrl, FINISHED, 0);
  Atomics.store(ctrl, CLAIM, ((seq & 0x3ffff) << 12) + chunks);
  Atomics.store(ctrl, SEQ, seq);
  // A worker that registers as a sleeper after this load sees the new seq in Atomics.wait and does not block.
  if (Atomics.load(ctrl, SLEEPERS) > 0) Atomics.notify(ctrl, SEQ);
  claimChunks(run, ctrl, seq);
  for (let s = 0; ; s++) {
    const done = Atomics.load(ctrl, FINISHED);
    if (done >= chunks) break;
    if (s >= CALLER_SPIN && pool.canBlock) Atomics.wait(ctrl, FINISHED, done, 1000);
  }
  return true;
}

/**
 * Packs `lanes×kc` of a strided matrix already in wasm memory (element `(o, p)` at float
 * `src + o*rs + p*cs`) into `R`-lane panels at float `dst`: v128 row copies when the lanes are
 * contiguous, v128 transposes (4×4, or 3×4 for 3-lane panels) when the rows are, scalar otherwise and for the
 * leftover lanes.
 */
export function packPanels(
  gemm: GemmExports,
  src: number,
  rs: number,
  cs: number,
  lanes: number,
  kc: number,
  dst: number,
  R: number,
): void {
  let from = 0;
  if (rs === 1) {
    from = Math.floor(lanes / R) * R;
    if (from > 0) gemm[`packRows${R}`](src * 4, cs * 4, from / R, kc, dst * 4);
  } else if (cs === 1 && R % 4 === 0) {
    from = lanes & ~3;
    if (from > 0) gemm.packT(src * 4, rs * 4, from / 4, kc, dst * 4, R);
  } else if (cs === 1 && R === 3) {
    from = Math.floor(lanes / 3) * 3;
    if (from > 0) gemm.packT3(src * 4, rs * 4, from / 3, kc, dst * 4);
  }
  if (from < lanes) gemm.pack(src * 4, rs * 4, cs * 4, from, lanes, kc, dst * 4, R);
}

/** `packPanels` as plain JavaScript source for the worker. */
function packPanelsSource(): string {
  return `(gemm, src, rs, cs, lanes, kc, dst, R) => {
    let from = 0;
    if (rs === 1) {
      from = Math.floor(lanes / R) * R;
      if (from > 0) gemm['packRows' + R](src * 4, cs * 4, from / R, kc, dst * 4);
    } else if (cs === 1 && R % 4 === 0) {
      from = lanes & ~3;
      if (from > 0) gemm.packT(src * 4, rs * 4, from / 4, kc, dst * 4, R);
    } else if (cs === 1 && R === 3) {
      from = Math.floor(lanes / 3) * 3;
      if (from > 0) gemm.packT3(src * 4, rs * 4, from / 3, kc, dst * 4);
    }
    if (from < lanes) gemm.pack(src * 4, rs * 4, cs * 4, from, lanes, kc, dst * 4, R);
  }`;
}

/**
 * Runs column panels `j0 ≤ j < j1` of a product described by `t[o…]` = `[accumulate, ap, bp, cp, mPad, panels,
 * chunk, k, kc0, nPad, MR, NR, MC, rawB, rsB, csB, n, fma, rawA, aIn, csA, bIn, ldc]` (float offsets; C's rows
 * `ldc` floats apart; A read in
 * place when `aIn` (`op(A)(i, p)` at `rawA + i + p*csA`), else packed block by block at `ap + mPad*p0`;
 * `op(B)(p, j)` at `rawB + p*rsB + j*csB`, read in place when `bIn` (then `csB = 1`)): depth block by depth
 * block, packs those panels of B when needed (at `bp + nPad*p0`), then {@link runBlock}.
 */
export function runChunk(gemm: GemmExports, t: ArrayLike<number>, o: number, j0: number, j1: number): void {
  const [k, kc0, nPad, MR, NR, bp, rsB, csB, rawA, aIn, csA, bIn] = [7, 8, 9, 10, 11, 2, 14, 15, 18, 19, 20, 21].map((i) => t[o + i]!);
  const lane0 = j0 * NR;
  const lanes = Math.min(t[o + 16]!, j1 * NR) - lane0;
  for (let p0 = 0; p0 < k; p0 += kc0) {
    const kc = Math.min(kc0, k - p0);
    const rawB = t[o + 13]! + p0 * rsB;
    const bBlock = bp + nPad * p0;
    if (bIn !== 1) packPanels(gemm, rawB + lane0 * csB, csB, rsB, lanes, kc, bBlock + lane0 * kc, NR);
    const [b, bStep, bPanel] = bIn === 1 ? [rawB * 4, rsB * 4, NR * 4] : [bBlock * 4, NR * 4, kc * NR * 4];
    const ap = t[o + 1]! + t[o + 4]! * p0;
    const [a, aStep, aPanel] = aIn === 1 ? [(rawA + p0 * csA) * 4, csA * 4, MR * 4] : [ap * 4, MR * 4, kc * MR * 4];
    const [cp, mPad, ldc, mc] = [t[o + 3]!, t[o + 4]!, t[o + 22]!, t[o + 12]!];
    runBlock(gemm, p0 === 0 && t[o] !== 1, a, aStep, aPanel, b, bStep, bPanel, cp, mPad, j0, j1, kc, ldc, MR, NR, mc);
  }
}

/** `runChunk` as plain JavaScript source for the worker (uses `packPanels` and `runBlock` in scope). */
function runChunkSource(): string {
  return `(gemm, t, o, j0, j1) => {
    const [k, kc0, nPad, MR, NR, bp, rsB, csB, rawA, aIn, csA, bIn] = [7, 8, 9, 10, 11, 2, 14, 15, 18, 19, 20, 21].map((i) => t[o + i]);
    const lane0 = j0 * NR;
    const lanes = Math.min(t[o + 16], j1 * NR) - lane0;
    for (let p0 = 0; p0 < k; p0 += kc0) {
      const kc = Math.min(kc0, k - p0);
      const rawB = t[o + 13] + p0 * rsB;
      const bBlock = bp + nPad * p0;
      if (bIn !== 1) packPanels(gemm, rawB + lane0 * csB, csB, rsB, lanes, kc, bBlock + lane0 * kc, NR);
      const [b, bStep, bPanel] = bIn === 1 ? [rawB * 4, rsB * 4, NR * 4] : [bBlock * 4, NR * 4, kc * NR * 4];
      const ap = t[o + 1] + t[o + 4] * p0;
      const [a, aStep, aPanel] = aIn === 1 ? [(rawA + p0 * csA) * 4, csA * 4, MR * 4] : [ap * 4, MR * 4, kc * MR * 4];
      const [cp, mPad, ldc, mc] = [t[o + 3], t[o + 4], t[o + 22], t[o + 12]];
      runBlock(gemm, p0 === 0 && t[o] !== 1, a, aStep, aPanel, b, bStep, bPanel, cp, mPad, j0, j1, kc, ldc, MR, NR, mc);
    }
  }`;
}

/** Elements below which Adam runs on the calling thread alone (a hand-off costs about what 20,000 elements take). */
const ADAM_PARALLEL_MIN = 1 << 16;

/**
 * Adam (see `adamUpdateWasm`) with the workers, on arrays that all lie in the shared memory (byte addresses `p`, `g`,
 * `m`, `v`, `vmax` or −1): units of {@link ADAM_UNIT} elements in chunks claimed by this thread and the workers. Each
 * element is updated by the same operations whoever runs it, so the bits equal one thread's. False (nothing done)
 * when there are no ready workers, `n` is small, or the workers lack the kernels.
 */
export function runParallelAdam(
  kernels: KernelExports,
  at: readonly [p: number, g: number, m: number, v: number, vmax: number],
  n: number,
  scalars: AdamScalars,
): boolean {
  if (!pool || n < ADAM_PARALLEL_MIN) return false;
  const task = new Int32Array(16);
  task.set(at, 0);
  task[5] = Math.ceil(n / ADAM_UNIT);
  task[7] = n;
  new Float32Array(task.buffer, 8 * 4, 8).set(scalars);
  return runTask(1, task, (c, o, j0, j1) => runAdamChunk(kernels, c, o, j0, j1));
}

/**
 * Runs units `j0 ≤ j < j1` of the Adam task at word `o` of `c`: `[p, g, m, v, vmax (−1: none), units, chunk, n,
 * the 8 scalars as float32 bits]` (byte addresses in the shared memory).
 */
export function runAdamChunk(kernels: KernelExports, c: Int32Array, o: number, j0: number, j1: number): void {
  const e0 = j0 * ADAM_UNIT;
  const len = Math.min(c[o + 7]!, j1 * ADAM_UNIT) - e0;
  const s = new Float32Array(c.buffer, c.byteOffset + (o + 8) * 4, 8);
  const at = (i: number): number => c[o + i]! + e0 * 4;
  if (c[o + 4]! >= 0) kernels.adamMax(at(0), at(1), at(2), at(3), at(4), len, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!);
  else kernels.adam(at(0), at(1), at(2), at(3), len, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!);
}

/** `runAdamChunk` as plain JavaScript source for the worker. */
function runAdamChunkSource(): string {
  return `(kernels, c, o, j0, j1) => {
    const e0 = j0 * ${ADAM_UNIT};
    const len = Math.min(c[o + 7], j1 * ${ADAM_UNIT}) - e0;
    const s = new Float32Array(c.buffer, c.byteOffset + (o + 8) * 4, 8);
    const at = (i) => c[o + i] + e0 * 4;
    if (c[o + 4] >= 0) kernels.adamMax(at(0), at(1), at(2), at(3), at(4), len, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    else kernels.adam(at(0), at(1), at(2), at(3), len, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
  }`;
}
