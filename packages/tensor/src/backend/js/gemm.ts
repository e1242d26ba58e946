import type { GemmArray, GemmFn } from '../types.js';

/**
 * The pure TypeScript GEMM: the readable reference and the fallback (and the float64 path).
 *
 * Both operands are packed into a reused Float64Array scratch buffer as panels — `op(A)` in panels of
 * 4 rows laid out `[p][r]`, `op(B)` in panels of 4 columns laid out `[p][c]`, zero-padded to a multiple
 * of 4 — so the 4×4 micro-kernel reads both with unit stride whatever the transposes were. The
 * micro-kernel keeps its 16 sums in local doubles; they are added to C once per tile.
 */

const MR = 4;
const NR = 4;

let scratch = new Float64Array(0);

function scratchOf(size: number): Float64Array {
  if (scratch.length < size) scratch = new Float64Array(Math.max(size, scratch.length * 2));
  return scratch;
}

/** Packs `rows×k` of a strided matrix (element `(i, p)` at `src[off + i*rs + p*cs]`) into 4-row panels. */
function pack(src: GemmArray, off: number, rs: number, cs: number, rows: number, k: number, dst: Float64Array, at: number): void {
  let d = at;
  for (let i0 = 0; i0 < rows; i0 += 4) {
    const left = rows - i0;
    if (left >= 4) {
      let s0 = off + i0 * rs;
      let s1 = s0 + rs;
      let s2 = s1 + rs;
      let s3 = s2 + rs;
      for (let p = 0; p < k; p++) {
        dst[d] = src[s0]!;
        dst[d + 1] = src[s1]!;
        dst[d + 2] = src[s2]!;
        dst[d + 3] = src[s3]!;
        d += 4;
        s0 += cs;
        s1 += cs;
        s2 += cs;
        s3 += cs;
      }
    } else {
      for (let p = 0; p < k; p++) {
        for (let r = 0; r < 4; r++) dst[d + r] = r < left ? src[off + (i0 + r) * rs + p * cs]! : 0;
        d += 4;
      }
    }
  }
}

/**
 * `C = op(A)·op(B) (+ C when accumulate)` in plain TypeScript; see {@link GemmFn} for the layout.
 * @function
 */
export const gemmJs: GemmFn = (transA, transB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate = false) => {
  if (m <= 0 || n <= 0) return;
  const mp = Math.ceil(m / MR);
  const np = Math.ceil(n / NR);
  const buf = scratchOf((mp * MR + np * NR) * k);
  const bAt = mp * MR * k;
  // Pack before clearing C, so that C may alias A or B.
  pack(A, aOff, transA ? 1 : lda, transA ? lda : 1, m, k, buf, 0);
  pack(B, bOff, transB ? ldb : 1, transB ? 1 : ldb, n, k, buf, bAt);
  if (!accumulate) for (let i = 0; i < m; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  if (k <= 0) return;

  // The 4×4 micro-kernel, one row of the tile per line.
  // prettier-ignore
  for (let jp = 0; jp < np; jp++) {
    const j0 = jp * NR;
    const bBase = bAt + jp * NR * k;
    for (let ip = 0; ip < mp; ip++) {
      const i0 = ip * MR;
      let a = ip * MR * k;
      let b = bBase;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < k; p++) {
        const a0 = buf[a]!, a1 = buf[a + 1]!, a2 = buf[a + 2]!, a3 = buf[a + 3]!;
        const b0 = buf[b]!, b1 = buf[b + 1]!, b2 = buf[b + 2]!, b3 = buf[b + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        a += 4;
        b += 4;
      }
      const c0 = cOff + i0 * ldc + j0;
      if (m - i0 >= MR && n - j0 >= NR) {
        let c = c0;
        C[c] += c00; C[c + 1] += c01; C[c + 2] += c02; C[c + 3] += c03;
        c += ldc;
        C[c] += c10; C[c + 1] += c11; C[c + 2] += c12; C[c + 3] += c13;
        c += ldc;
        C[c] += c20; C[c + 1] += c21; C[c + 2] += c22; C[c + 3] += c23;
        c += ldc;
        C[c] += c30; C[c + 1] += c31; C[c + 2] += c32; C[c + 3] += c33;
      } else {
        const rows = Math.min(MR, m - i0);
        const cols = Math.min(NR, n - j0);
        edge(C, c0, ldc, rows, cols, 0, c00, c01, c02, c03);
        edge(C, c0, ldc, rows, cols, 1, c10, c11, c12, c13);
        edge(C, c0, ldc, rows, cols, 2, c20, c21, c22, c23);
        edge(C, c0, ldc, rows, cols, 3, c30, c31, c32, c33);
      }
    }
  }
};

function edge(
  C: Float32Array | Float64Array,
  c0: number,
  ldc: number,
  rows: number,
  cols: number,
  r: number,
  x0: number,
  x1: number,
  x2: number,
  x3: number,
): void {
  if (r >= rows) return;
  const c = c0 + r * ldc;
  C[c] += x0;
  if (cols > 1) C[c + 1] += x1;
  if (cols > 2) C[c + 2] += x2;
  if (cols > 3) C[c + 3] += x3;
}
