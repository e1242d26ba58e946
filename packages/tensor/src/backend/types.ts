/** A typed array a GEMM can read or write: float32 or float64 (int32 is read as numbers by the JS backend). */
export type GemmArray = Float32Array | Float64Array | Int32Array;

/**
 * The BLAS-style matrix product `C = op(A)·op(B) (+ C when accumulate)` on row-major typed arrays — the one
 * signature of every GEMM (the dispatcher `gemm`, `gemmJs`, `gemmWasm`).
 * `op(A)` is `m×k`: element `(i, p)` is `A[aOff + i*lda + p]`, or `A[aOff + p*lda + i]` when `transA`.
 * `op(B)` is `k×n`: element `(p, j)` is `B[bOff + p*ldb + j]`, or `B[bOff + j*ldb + p]` when `transB`.
 * `C` is `m×n`: element `(i, j)` is `C[cOff + i*ldc + j]`. `In` and `Out` narrow the array types an
 * implementation accepts (the wasm kernel takes float32 only).
 */
export type GemmFn<In extends GemmArray = GemmArray, Out extends Float32Array | Float64Array = Float32Array | Float64Array> = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  A: In,
  aOff: number,
  lda: number,
  B: In,
  bOff: number,
  ldb: number,
  C: Out,
  cOff: number,
  ldc: number,
  accumulate?: boolean,
) => void;

/** The arguments of a {@link GemmFn}, as one tuple. */
export type GemmArgs<In extends GemmArray = GemmArray, Out extends Float32Array | Float64Array = Float32Array | Float64Array> = Parameters<
  GemmFn<In, Out>
>;

/** A float typed array the training-step kernels read and write. */
export type FloatArray = Float32Array | Float64Array;

/**
 * One Adam step in place on `n` parameters `param[pOff…]` with gradient `grad[gOff…]` and state `m[0…n)`,
 * `v[0…n)` (and `maxV[0…n)` for AMSGrad) — the one signature of `adamUpdate`, `adamUpdateJs` and
 * `adamUpdateWasm`; the rule is written at `adamUpdate`. `biasCorr1 = 1 − β₁ᵗ`, `biasCorr2 = 1 − β₂ᵗ`.
 * `A` narrows the arrays an implementation accepts (the wasm kernel takes float32 only).
 */
export type AdamUpdateFn<A extends FloatArray = FloatArray> = (
  param: A,
  pOff: number,
  grad: A,
  gOff: number,
  m: A,
  v: A,
  n: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  biasCorr1: number,
  biasCorr2: number,
  maxV?: A | null,
) => void;

/**
 * `out[i, j] = x[i, j] + b[j]` on a contiguous `rows×cols` block, then `max(·, 0)` when `relu` (NaN → 0): the
 * dense layer's bias add, optionally fused with ReLU; `out` may be `x`. The signature of `addRowVector` and its
 * implementations.
 */
export type AddRowVectorFn<A extends FloatArray = FloatArray> = (
  x: A,
  xOff: number,
  rows: number,
  cols: number,
  b: A,
  bOff: number,
  out: A,
  oOff: number,
  relu?: boolean,
) => void;

/** `out[j] = y[j] > 0 ? dy[j] : 0` for `n` elements: ReLU's backward pass from its output `y` (`out` may be `dy`). */
export type ReluBackwardFn<A extends FloatArray = FloatArray> = (
  dy: A,
  dyOff: number,
  y: A,
  yOff: number,
  out: A,
  oOff: number,
  n: number,
) => void;

/** `out[j] = Σᵢ x[i, j]` (`+=` when `accumulate`) over a contiguous `rows×cols` block, rows in order: the bias gradient. */
export type ColumnSumFn<A extends FloatArray = FloatArray> = (
  x: A,
  xOff: number,
  rows: number,
  cols: number,
  out: A,
  oOff: number,
  accumulate?: boolean,
) => void;

/** The binary float ops with a wasm SIMD kernel (see {@link BinaryKernelFn}). */
export type BinaryKernelOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';

/**
 * `out[oOff + i] = a[aOff + i·aStep] ⊕ b[bOff + i·bStep]` for `n` elements with steps 0 (a scalar operand) or 1,
 * `⊕` one of {@link BinaryKernelOp}: the contiguous fast path of the elementwise binary ops. The signature of
 * `binaryKernel` and its implementations.
 */
export type BinaryKernelFn<A extends FloatArray = FloatArray> = (
  op: BinaryKernelOp,
  a: A,
  aOff: number,
  aStep: number,
  b: A,
  bOff: number,
  bStep: number,
  out: A,
  oOff: number,
  n: number,
) => void;
