import { MR, NR, wasmState } from './runtime.js';

/** Depth of one packed block: an `NR`-column B panel of this depth (8 KiB) stays in L1. */
const KC = 256;
/** Rows of A per macro-kernel call: an `MC×KC` packed A block (128 KiB) stays in L2. */
const MC = 128;

const align4 = (x: number): number => (x + 3) & ~3;

/**
 * `C = op(A)·op(B) (+ C when accumulate)` on float32 arrays with the WebAssembly SIMD kernels (layout as
 * in {@link GemmFn}). The operands are copied into wasm memory (one memcpy each), packed into panels
 * there, multiplied block by block (GotoBLAS loop order), and the result is copied out.
 */
export function gemmWasm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
  accumulate = false,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + n);
    return;
  }
  const mPad = Math.ceil(m / MR) * MR;
  const nPad = Math.ceil(n / NR) * NR;
  const kc0 = Math.min(k, KC);
  const extA = (transA ? k - 1 : m - 1) * lda + (transA ? m : k);
  const extB = (transB ? n - 1 : k - 1) * ldb + (transB ? k : n);
  // Layout (float offsets, 16-byte aligned): raw A | raw B | packed A block | packed B block | C.
  const rawA = 0;
  const rawB = align4(rawA + extA);
  const apAt = align4(rawB + extB);
  const bpAt = apAt + mPad * kc0;
  const cAt = bpAt + nPad * kc0;
  const { f32, gemm } = wasmState(cAt + mPad * nPad);

  f32.set(A.subarray(aOff, aOff + extA), rawA);
  f32.set(B.subarray(bOff, bOff + extB), rawB);
  f32.fill(0, cAt, cAt + mPad * nPad);

  // Padding lanes of the last panels keep whatever the memory held: they only reach the padding rows and
  // columns of the C buffer, which are never copied out.
  // op(A)(i, p) at rawA + i*rsA + p*csA; op(B)(p, j) at rawB + p*rsB + j*csB (in floats).
  const rsA = transA ? 1 : lda;
  const csA = transA ? lda : 1;
  const rsB = transB ? 1 : ldb;
  const csB = transB ? ldb : 1;
  const mFull = Math.floor(m / MR);
  const nFull = Math.floor(n / NR);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    const aSrc = rawA + p0 * csA;
    if (rsA === 1 && mFull > 0) gemm.packRowsA(aSrc * 4, csA * 4, mFull, kc, apAt * 4);
    const aFrom = rsA === 1 ? mFull * MR : 0;
    if (aFrom < m) {
      gemm.pack((aSrc + aFrom * rsA) * 4, rsA * 4, csA * 4, m - aFrom, kc, (apAt + aFrom * kc) * 4, MR);
    }
    const bSrc = rawB + p0 * rsB;
    if (csB === 1 && nFull > 0) gemm.packRowsB(bSrc * 4, rsB * 4, nFull, kc, bpAt * 4);
    const bFrom = csB === 1 ? nFull * NR : 0;
    if (bFrom < n) {
      gemm.pack((bSrc + bFrom * csB) * 4, csB * 4, rsB * 4, n - bFrom, kc, (bpAt + bFrom * kc) * 4, NR);
    }
    for (let i0 = 0; i0 < mPad; i0 += MC) {
      const mc = Math.min(MC, mPad - i0);
      gemm.macro((apAt + i0 * kc) * 4, bpAt * 4, (cAt + i0 * nPad) * 4, mc / MR, nPad / NR, kc, nPad * 4);
    }
  }

  if (!accumulate && ldc === n && nPad === n) {
    C.set(f32.subarray(cAt, cAt + m * n), cOff);
  } else if (!accumulate) {
    for (let i = 0; i < m; i++) C.set(f32.subarray(cAt + i * nPad, cAt + i * nPad + n), cOff + i * ldc);
  } else {
    for (let i = 0; i < m; i++) {
      const s = cAt + i * nPad;
      const d = cOff + i * ldc;
      for (let j = 0; j < n; j++) C[d + j] += f32[s + j]!;
    }
  }
}
