import type { GemmFn } from '../types.js';
import { GEMM_TILES, residentGemmState, sharedGemmState, wasmState, type GemmExports, type RatedTile } from './runtime.js';
import { gemmWorkersReady, packPanels, runBlock, runChunk, runParallel, wakeGemmWorkers } from './threads.js';

/** Largest depth of one packed block: an `NR`-column B panel of this depth (8 or 12 KiB) stays in L1. */
const KC = 256;
/** Rows of A per macro-kernel call (rounded down to a multiple of `MR`): an `MC×KC` packed A block (128 KiB) stays in L2. */
const MC = 128;
/**
 * Multiply-adds below which a product is not split across worker threads: the hand-off costs ~10 µs; on
 * the 2-core test machine one worker loses at 0.26 M (12 → 24 µs) and wins from 0.5 M (23 → 16 µs; 4.2 M:
 * 162 → 97 µs).
 */
const PARALLEL_MIN = 1 << 19;

/**
 * Largest span in bytes of one depth block of an operand read in place (`kc` rows of its lanes): beyond it the
 * rows fall into few cache sets and pages (1024³ drops from 59 to 26 GFLOP/s unpacked), so it is packed.
 */
const IN_PLACE_SPAN = 128 * 1024;
const align4 = (x: number): number => (x + 3) & ~3;
/** Rounds a float offset up to a 64-byte cache line (threads writing neighbouring chunks of C share no line). */
const align16 = (x: number): number => (x + 15) & ~15;

/**
 * `C = op(A)·op(B) (+ C when accumulate)` on float32 arrays with the WebAssembly SIMD kernels (layout as
 * in {@link GemmFn}). The operands are copied into wasm memory (one memcpy each), packed into panels
 * there, multiplied block by block (GotoBLAS loop order) into a C buffer, and the result is copied out —
 * except what already lies in a resident memory (views from `kernelStateArrays`): the product then runs in
 * that memory, reading such operands where they lie and, when its rows fit, writing C there too.
 * Large products split C's column panels with worker threads when the host set some up (threads.ts).
 * Summation order depends only on the shapes, so results are bit-identical run to run.
 * @function
 */
export const gemmWasm: GemmFn<Float32Array, Float32Array> = gemmVariant(false);

/**
 * {@link gemmWasm} with the relaxed-SIMD micro-kernel (`f32x4.relaxed_madd`: a fused multiply-add where the CPU
 * has one), for engines where {@link relaxedSimdSupported} is true: the same summation order with one rounding
 * per multiply-add instead of two, so its results differ from {@link gemmWasm}'s in the last bits but are
 * bit-identical run to run and with or without worker threads.
 * @function
 */
export const gemmWasmFma: GemmFn<Float32Array, Float32Array> = gemmVariant(true);

/**
 * The wasm GEMM with the plain or the relaxed-SIMD (`fma`) micro-kernel, on the tile {@link chooseTile} picks for
 * each product (the first of {@link GEMM_TILES} for products split with worker threads) or always on `tile` (one of
 * the variant's tiles; for tests).
 */
export function gemmVariant(fma: boolean, tile: RatedTile | null = null): GemmFn<Float32Array, Float32Array> {
  return (transA, transB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate = false) => {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
      if (!accumulate) for (let i = 0; i < m; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + n);
      return;
    }
    // A product split with worker threads runs on the variant's first tile, 4×8: with one worker, MLP-B's epochs took
    // 2.5 s on it against 2.7–3.0 on 3×12 (the split part is the same work; the serial packing and the chunking are not).
    const tiles = fma ? GEMM_TILES.fma : GEMM_TILES.plain;
    const split = m * n * k >= PARALLEL_MIN && gemmWorkersReady() > 0;
    // (C written where it lies needs a tile whose rows divide m; not preferred for it: for MLP-B's dW₁, 784×512, 3×12 and
    // a copy out took 1586 µs against 1617 on 4×8 in place, and the epochs were 0.7% faster)
    const { MR, NR } = tile ?? (split ? tiles[0]! : chooseTile(tiles, m, n));
    const mc = Math.floor(MC / MR) * MR;
    const mPad = Math.ceil(m / MR) * MR;
    const nPad = Math.ceil(n / NR) * NR;
    // C's rows in wasm memory: the columns rounded up to 4 (the last panel's tiles store only those), so that for n a
    // multiple of 4 the result leaves in one copy whatever the tile.
    const cw = align4(n);
    // Equal blocks (784 = 4×196, not 3×256 + 16): a thin last block would pay a full C pass for little work.
    const blocks = Math.ceil(k / KC);
    const kc0 = Math.min(k, align4(Math.ceil(k / blocks)));
    const extA = (transA ? k - 1 : m - 1) * lda + (transA ? m : k);
    const extB = (transB ? n - 1 : k - 1) * ldb + (transB ? k : n);
    // Split with worker threads, all depth blocks of A are packed first (one hand-off per product), else block by block.
    const aAll = split ? mPad * k : mPad * kc0;
    const bAll = split ? nPad * k : nPad * kc0;
    const sizes: Sizes = { aOff, extA, bOff, extB, cOff, ldc, m, n, mPad, cw, aAll, bAll };
    // Where it runs: split, in the shared memory the workers see; else in a resident memory that holds C, B or A (views
    // from kernelStateArrays: Dense kernels, fit's gradients and batches) when its free tail has room; else in the
    // GEMM's own memory. Operands that lie where it runs are read in place, and C is written there when it can.
    const home = split ? sharedGemmState(fma) : (residentGemmState(C, fma) ?? residentGemmState(B, fma) ?? residentGemmState(A, fma));
    const there = home && layout(home.holds, home.free, A, B, C, sizes);
    const view = there && (home!.grow ? home!.grow(there.end + OVERREAD) : home!.f32);
    const inHome = there !== null && view!.length >= there.end + OVERREAD;
    const { rawA, rawB, apAt, bpAt, cAt, copyA, copyB, cInPlace, end } = inHome ? there : layout(null, 0, A, B, C, sizes)!;
    const { f32, gemm } = inHome ? { f32: view!, gemm: home!.gemm } : wasmState(end, fma);
    // (a split product that cannot run in the shared memory, an operand reaching into its scratch, runs on one thread)
    const parallel = inHome && split && nPad >= 2 * NR;
    if (parallel) wakeGemmWorkers();

    if (copyA) f32.set(A.subarray(aOff, aOff + extA), rawA);
    if (copyB) f32.set(B.subarray(bOff, bOff + extB), rawB);
    if (accumulate && !cInPlace) copyRows(C, cOff, ldc, f32, cAt, cw, m, n);

    // Padding lanes of the last panels and padding columns of the C buffer keep whatever the memory held:
    // they only reach the padding rows and columns of the C buffer, which are never copied out.
    // op(A)(i, p) at rawA + i*rsA + p*csA; op(B)(p, j) at rawB + p*rsB + j*csB (in floats). An operand whose
    // lanes are contiguous (rsA = 1, csB = 1) and whose depth block spans at most IN_PLACE_SPAN is read in
    // place by the micro-kernel; the others are packed.
    const rsA = transA ? 1 : lda;
    const csA = transA ? lda : 1;
    const rsB = transB ? 1 : ldb;
    const csB = transB ? ldb : 1;
    const panels = nPad / NR;
    const aIn = rsA === 1 && csA * 4 * kc0 <= IN_PLACE_SPAN;
    const bIn = csB === 1 && rsB * 4 * kc0 <= IN_PLACE_SPAN;
    if (parallel) {
      // A is packed here (unless read in place); each thread packs the B panels of the chunks it claims (threads.ts).
      if (!aIn) {
        for (let p0 = 0; p0 < k; p0 += kc0) {
          const kc = Math.min(kc0, k - p0);
          packPanels(gemm, rawA + p0 * csA, rsA, csA, m, kc, apAt + mPad * p0, MR);
        }
      }
      const task = [accumulate ? 1 : 0, apAt, bpAt, cAt, mPad, panels, panels, k, kc0, nPad, MR, NR, mc, rawB, rsB, csB, n];
      task.push(fma ? 1 : 0, rawA, aIn ? 1 : 0, csA, bIn ? 1 : 0, cw);
      if (!runParallel(gemm, task)) runChunk(gemm, task, 0, 0, panels);
    } else {
      for (let p0 = 0; p0 < k; p0 += kc0) {
        const kc = Math.min(kc0, k - p0);
        const [a, aStep, aPanel] = blockOperand(gemm, aIn, rawA + p0 * csA, rsA, csA, m, kc, apAt, MR);
        const [b, bStep, bPanel] = blockOperand(gemm, bIn, rawB + p0 * rsB, csB, rsB, n, kc, bpAt, NR);
        runBlock(gemm, p0 === 0 && !accumulate, a, aStep, aPanel, b, bStep, bPanel, cAt, mPad, 0, panels, kc, cw, MR, NR, mc);
      }
    }
    if (!cInPlace) copyRows(f32, cAt, cw, C, cOff, ldc, m, n);
  };
}

/**
 * Floats past an operand read in place that a product may read (the lanes of a last, partial panel: the values
 * only reach C's padding); a resident memory runs a product only with this much room after its scratch.
 */
const OVERREAD = 64;

/** The extents of a product's operands that {@link layout} places (floats; see {@link gemmVariant}). */
interface Sizes {
  aOff: number;
  extA: number;
  bOff: number;
  extB: number;
  cOff: number;
  ldc: number;
  m: number;
  n: number;
  mPad: number;
  cw: number;
  aAll: number;
  bAll: number;
}

/** Where a product's operands, packed blocks and C buffer lie in the memory it runs on (float offsets). */
interface Layout {
  rawA: number;
  rawB: number;
  apAt: number;
  bpAt: number;
  cAt: number;
  copyA: boolean;
  copyB: boolean;
  /** C is computed where it lies (no copy in or out). */
  cInPlace: boolean;
  /** First float past the scratch. */
  end: number;
}

/**
 * The layout of a product in the memory whose buffers `holds` tells (null: the GEMM's own memory, which holds no operand),
 * its scratch from float `base` on: raw A | raw B | packed A block(s) | packed B block(s) | C, each 64-byte aligned.
 * An operand that lies in `mem` below `base` is read where it lies instead of copied; so is C written, when its rows
 * are exactly `cw = n` floats apart, it has no padding rows (`mPad = m`) and it overlaps no operand read in place.
 * Null when an operand lies in `mem` at or past `base` (a view made over the scratch): then it runs elsewhere.
 */
function layout(
  holds: ((buffer: ArrayBufferLike) => boolean) | null,
  base: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  s: Sizes,
): Layout | null {
  // -1: elsewhere; -2: in this memory but reaching into the scratch
  const home = (X: Float32Array, off: number, span: number): number => {
    if (holds === null || !holds(X.buffer)) return -1;
    const at = X.byteOffset / 4 + off;
    return at + span <= base ? at : -2;
  };
  const cSpan = (s.m - 1) * s.ldc + s.n;
  const [a, b, c] = [home(A, s.aOff, s.extA), home(B, s.bOff, s.extB), home(C, s.cOff, cSpan)];
  if (a === -2 || b === -2 || c === -2) return null;
  let top = base;
  const take = (floats: number): number => {
    const at = align16(top);
    top = at + floats;
    return at;
  };
  const rawA = a >= 0 ? a : take(s.extA);
  const rawB = b >= 0 ? b : take(s.extB);
  // (+ 4: room for what the packing of 3-lane panels writes past the block's end, see gemmModule)
  const apAt = take(s.aAll + 4);
  const bpAt = take(s.bAll + 4);
  const apart = (at: number, span: number): boolean => at < 0 || at + span <= c || c + cSpan <= at;
  const cInPlace = c >= 0 && s.ldc === s.cw && s.cw === s.n && s.mPad === s.m && apart(a, s.extA) && apart(b, s.extB);
  const cAt = cInPlace ? c : take(s.mPad * s.cw);
  return { rawA, rawB, apAt, bpAt, cAt, copyA: a < 0, copyB: b < 0, cInPlace, end: top };
}

/**
 * The tile that computes an `m×n` product fastest: the least padded work (`⌈m/MR⌉·MR × ⌈n/NR⌉·NR`) per unit of
 * macro-kernel speed. Any tile gives the same bits, so the choice only moves time.
 */
export function chooseTile(tiles: readonly RatedTile[], m: number, n: number): RatedTile {
  const cost = (t: RatedTile): number => (Math.ceil(m / t.MR) * t.MR * Math.ceil(n / t.NR) * t.NR) / t.speed;
  return tiles.reduce((best, t) => (cost(t) < cost(best) ? t : best));
}

/**
 * One depth block of an operand for {@link runBlock}: `[address, lane stride per depth step, panel stride]` in
 * bytes — the raw matrix at float `src` (lane `o`, depth `p` at `src + o*laneStride + p*depthStride`) read in
 * place, or its `lanes×kc` block packed into `R`-lane panels at float `packedAt`.
 */
function blockOperand(
  gemm: GemmExports,
  inPlace: boolean,
  src: number,
  laneStride: number,
  depthStride: number,
  lanes: number,
  kc: number,
  packedAt: number,
  R: number,
): [number, number, number] {
  if (inPlace) return [src * 4, depthStride * 4, R * 4];
  packPanels(gemm, src, laneStride, depthStride, lanes, kc, packedAt, R);
  return [packedAt * 4, R * 4, kc * R * 4];
}

/**
 * Copies an `m×n` block between row strides (`from` rows `fromLd` apart to `to` rows `toLd` apart): one copy
 * when both are contiguous, element by element for short rows (a view per row costs more than the row).
 */
function copyRows(
  from: Float32Array,
  fromOff: number,
  fromLd: number,
  to: Float32Array,
  toOff: number,
  toLd: number,
  m: number,
  n: number,
): void {
  if (fromLd === n && toLd === n) to.set(from.subarray(fromOff, fromOff + m * n), toOff);
  else if (n < 32) {
    for (let i = 0; i < m; i++) {
      const f = fromOff + i * fromLd;
      const t = toOff + i * toLd;
      for (let j = 0; j < n; j++) to[t + j] = from[f + j]!;
    }
  } else for (let i = 0; i < m; i++) to.set(from.subarray(fromOff + i * fromLd, fromOff + i * fromLd + n), toOff + i * toLd);
}
