/** A typed array a GEMM can read or write: float32 or float64 (int32 is read as numbers by the JS backend). */
export type GemmArray = Float32Array | Float64Array | Int32Array;

/**
 * The BLAS-style matrix product `C = op(A)·op(B) (+ C when accumulate)` on row-major typed arrays.
 * `op(A)` is `m×k`: element `(i, p)` is `A[aOff + i*lda + p]`, or `A[aOff + p*lda + i]` when `transA`.
 * `op(B)` is `k×n`: element `(p, j)` is `B[bOff + p*ldb + j]`, or `B[bOff + j*ldb + p]` when `transB`.
 * `C` is `m×n`: element `(i, j)` is `C[cOff + i*ldc + j]`.
 */
export type GemmFn = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  A: GemmArray,
  aOff: number,
  lda: number,
  B: GemmArray,
  bOff: number,
  ldb: number,
  C: Float32Array | Float64Array,
  cOff: number,
  ldc: number,
  accumulate?: boolean,
) => void;
