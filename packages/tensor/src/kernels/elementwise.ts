import { BINARY_WASM_MIN, addRowVector, binaryKernel, type BinaryKernelOp } from '../backend/index.js';
import { allocate, floatDtype, promote, type DType, type TypedArray } from '../dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { broadcastShapes, elementSpan, shapesEqual } from '../shape.js';
import { Tensor, type BinaryOptions } from '../tensor.js';

export type { BinaryOptions } from '../tensor.js';

// ---- iteration plan ---------------------------------------------------------------------------------

/**
 * How to walk one or more same-shape (already broadcast) operands in row-major order: `rows` runs of
 * `inner` elements; operand `k`'s run `r` starts at `starts[k][r]` and steps by `steps[k]`. Size-1
 * dimensions are dropped and adjacent dimensions merged whenever every operand allows it, so a contiguous
 * tensor, a scalar (stride 0) or a matching contiguous pair become a single run, and `[n, m] + [m]`
 * becomes `n` runs of `m`.
 */
interface RowPlan {
  rows: number;
  inner: number;
  starts: Int32Array[];
  steps: number[];
}

function planRows(shape: readonly number[], operands: readonly Tensor[]): RowPlan {
  const k = operands.length;
  // Groups of merged dimensions, innermost first: size and, per operand, stride.
  const sizes: number[] = [];
  const strides: number[][] = operands.map(() => []);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    if (n === 1) continue;
    const g = sizes.length - 1;
    let merge = g >= 0;
    for (let j = 0; j < k && merge; j++) {
      if (operands[j]!.strides[d] !== strides[j]![g]! * sizes[g]!) merge = false;
    }
    if (merge) {
      sizes[g]! *= n;
    } else {
      sizes.push(n);
      for (let j = 0; j < k; j++) strides[j]!.push(operands[j]!.strides[d]!);
    }
  }
  if (sizes.length === 0) {
    return { rows: 1, inner: 1, starts: operands.map((t) => Int32Array.of(t.offset)), steps: operands.map(() => 0) };
  }
  const inner = sizes[0]!;
  let rows = 1;
  for (let g = 1; g < sizes.length; g++) rows *= sizes[g]!;
  const starts = operands.map(() => new Int32Array(rows));
  const pos = operands.map((t) => t.offset);
  const counter = new Array<number>(sizes.length).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) starts[j]![r] = pos[j]!;
    for (let g = 1; g < sizes.length; g++) {
      for (let j = 0; j < k; j++) pos[j]! += strides[j]![g]!;
      if (++counter[g]! < sizes[g]!) break;
      for (let j = 0; j < k; j++) pos[j]! -= strides[j]![g]! * sizes[g]!;
      counter[g] = 0;
    }
  }
  return { rows, inner, starts, steps: strides.map((s) => s[0]!) };
}

// ---- unary ------------------------------------------------------------------------------------------

/** The built-in unary kernels, each a specialised loop in `unaryRow`. */
type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'exp'
  | 'expm1'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'rsqrt'
  | 'square'
  | 'reciprocal'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'erf'
  | 'softplus'
  | 'softsign'
  | 'leakyRelu'
  | 'elu'
  | 'reluGrad'
  | 'gelu'
  | 'clip';

const SQRT1_2 = Math.SQRT1_2;
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

/** `1 / (2n + 1)`: multiplying by a table is much faster than dividing in erf's series (≤ 45 terms used). */
const INV_ODD = Float64Array.from({ length: 64 }, (_, n) => 1 / (2 * n + 1));

/**
 * The error function `erf(x) = 2/√π ∫₀ˣ e^(−t²) dt`, accurate to about 1e-15 in float64. Below |x| = 2.5 it
 * sums the all-positive series `2/√π · x·e^(−x²) · Σ (2x²)ⁿ / (1·3·…·(2n+1))` (no cancellation); above, it
 * evaluates `erfc` by Laplace's continued fraction, which converges quickly there.
 */
export function erfScalar(x: number): number {
  if (x !== x) return x;
  const ax = x < 0 ? -x : x;
  if (ax >= 6) return x < 0 ? -1 : 1;
  const x2 = ax * ax;
  let r: number;
  if (ax < 2.5) {
    const twoX2 = 2 * x2;
    let term = 1;
    let sum = 1;
    for (let n = 1; term > 1e-17 * sum; n++) {
      term *= twoX2 * INV_ODD[n]!;
      sum += term;
    }
    r = TWO_OVER_SQRT_PI * ax * Math.exp(-x2) * sum;
  } else {
    let f = ax;
    for (let n = 24; n >= 1; n--) f = ax + n / 2 / f;
    r = 1 - (ONE_OVER_SQRT_PI * Math.exp(-x2)) / f;
  }
  return x < 0 ? -r : r;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  const r = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return r === 0 && v < 0 ? -0 : r;
}

/** Applies a built-in unary op to `n` elements of `src` (from `p`, step `s`) into `out` (from `o`, step 1). */
function unaryRow(op: UnaryOp, src: TypedArray, p: number, s: number, out: TypedArray, o: number, n: number, c1: number, c2: number): void {
  const end = o + n;
  let i = o;
  // One line per case: the table reads as a table.
  // prettier-ignore
  switch (op) {
    case 'neg': for (; i < end; i++, p += s) out[i] = -src[p]!; return;
    case 'abs': for (; i < end; i++, p += s) out[i] = Math.abs(src[p]!); return;
    case 'sign': for (; i < end; i++, p += s) out[i] = Math.sign(src[p]!); return;
    case 'exp': for (; i < end; i++, p += s) out[i] = Math.exp(src[p]!); return;
    case 'expm1': for (; i < end; i++, p += s) out[i] = Math.expm1(src[p]!); return;
    case 'log': for (; i < end; i++, p += s) out[i] = Math.log(src[p]!); return;
    case 'log1p': for (; i < end; i++, p += s) out[i] = Math.log1p(src[p]!); return;
    case 'sqrt': for (; i < end; i++, p += s) out[i] = Math.sqrt(src[p]!); return;
    case 'rsqrt': for (; i < end; i++, p += s) out[i] = 1 / Math.sqrt(src[p]!); return;
    case 'square': for (; i < end; i++, p += s) { const v = src[p]!; out[i] = v * v; } return;
    case 'reciprocal': for (; i < end; i++, p += s) out[i] = 1 / src[p]!; return;
    case 'sin': for (; i < end; i++, p += s) out[i] = Math.sin(src[p]!); return;
    case 'cos': for (; i < end; i++, p += s) out[i] = Math.cos(src[p]!); return;
    case 'tanh': for (; i < end; i++, p += s) out[i] = Math.tanh(src[p]!); return;
    case 'floor': for (; i < end; i++, p += s) out[i] = Math.floor(src[p]!); return;
    case 'ceil': for (; i < end; i++, p += s) out[i] = Math.ceil(src[p]!); return;
    case 'round': for (; i < end; i++, p += s) out[i] = roundHalfEven(src[p]!); return;
    case 'erf': for (; i < end; i++, p += s) out[i] = erfScalar(src[p]!); return;
    // `v <= 0 ? 0 : v` rather than `v > 0 ? v : 0` so that NaN propagates.
    case 'relu': for (; i < end; i++, p += s) { const v = src[p]!; out[i] = v <= 0 ? 0 : v; } return;
    case 'reluGrad': for (; i < end; i++, p += s) out[i] = src[p]! > 0 ? 1 : 0; return;
    case 'leakyRelu': for (; i < end; i++, p += s) { const v = src[p]!; out[i] = v < 0 ? c1 * v : v; } return;
    case 'elu': for (; i < end; i++, p += s) { const v = src[p]!; out[i] = v < 0 ? c1 * Math.expm1(v) : v; } return;
    case 'gelu': for (; i < end; i++, p += s) { const v = src[p]!; out[i] = 0.5 * v * (1 + erfScalar(v * SQRT1_2)); } return;
    case 'clip': for (; i < end; i++, p += s) { const v = src[p]!; out[i] = v < c1 ? c1 : v > c2 ? c2 : v; } return;
    case 'softsign': for (; i < end; i++, p += s) { const v = src[p]!; out[i] = v / (1 + Math.abs(v)); } return;
    // Stable forms: never exponentiate a large positive number.
    case 'sigmoid':
      for (; i < end; i++, p += s) {
        const v = src[p]!;
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else { const e = Math.exp(v); out[i] = e / (1 + e); }
      }
      return;
    case 'softplus':
      for (; i < end; i++, p += s) {
        const v = src[p]!;
        out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return;
    default: {
      const missing: never = op;
      throw new ValueError(`unary kernel '${String(missing)}' has no loop`);
    }
  }
}

/** The scalar operand of relu as `maximum(x, 0)`. */
const ZERO_F32 = new Float32Array(1);

function unary(x: Tensor, op: UnaryOp, outDtype: DType, c1 = 0, c2 = 0): Tensor {
  const out = allocate(outDtype, x.size);
  // relu of contiguous float32 is maximum(x, 0) (the same bits: NaN stays NaN, −0 → 0): the backend's kernel,
  // branch-free wasm SIMD when active (a JS loop mispredicts on the sign of every element).
  if (op === 'relu' && out instanceof Float32Array && x.data instanceof Float32Array && x.isContiguous && x.size > 0) {
    binaryKernel('maximum', x.data, x.offset, 1, ZERO_F32, 0, 0, out, 0, x.size);
    return new Tensor(out, x.shape);
  }
  if (x.size > 0) {
    const plan = planRows(x.shape, [x]);
    const starts = plan.starts[0]!;
    const step = plan.steps[0]!;
    for (let r = 0; r < plan.rows; r++) unaryRow(op, x.data, starts[r]!, step, out, r * plan.inner, plan.inner, c1, c2);
  }
  return new Tensor(out, x.shape);
}

/**
 * Applies any scalar function elementwise: a new contiguous tensor of `dtype` (default: the input's float
 * dtype). A per-element call — use it for custom or rare ops; the built-in kernels run specialised loops.
 */
export function mapUnary(x: Tensor, name: string, fn: (v: number) => number, dtype: DType = floatDtype(x.dtype)): Tensor {
  checkTensor(name, x);
  const out = allocate(dtype, x.size);
  if (x.size > 0) {
    const plan = planRows(x.shape, [x]);
    const src = x.data;
    const step = plan.steps[0]!;
    for (let r = 0; r < plan.rows; r++) {
      let p = plan.starts[0]![r]!;
      for (let i = r * plan.inner, end = i + plan.inner; i < end; i++, p += step) out[i] = fn(src[p]!);
    }
  }
  return new Tensor(out, x.shape);
}

function checkTensor(fn: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${fn}: expected a Tensor, got ${fmtValue(x)}`);
}

const floatUnary =
  (op: UnaryOp) =>
  (x: Tensor): Tensor => {
    checkTensor(op, x);
    return unary(x, op, floatDtype(x.dtype));
  };
const intPreservingUnary =
  (op: UnaryOp) =>
  (x: Tensor): Tensor => {
    checkTensor(op, x);
    return unary(x, op, x.dtype);
  };

/** y = −x        ∂x = −grad */
export const neg = intPreservingUnary('neg');
/** y = |x|        ∂x = grad·sign(x) */
export const abs = intPreservingUnary('abs');
/** y = sign(x) ∈ {−1, 0, 1}        ∂x = 0 */
export const sign = intPreservingUnary('sign');
/** y = eˣ        ∂x = grad·y */
export const exp = floatUnary('exp');
/** y = eˣ − 1 (accurate near 0)        ∂x = grad·(y + 1) */
export const expm1 = floatUnary('expm1');
/** y = ln x        ∂x = grad / x */
export const log = floatUnary('log');
/** y = ln(1 + x) (accurate near 0)        ∂x = grad / (1 + x) */
export const log1p = floatUnary('log1p');
/** y = √x        ∂x = grad / (2y) */
export const sqrt = floatUnary('sqrt');
/** y = 1/√x        ∂x = −grad·y³/2 */
export const rsqrt = floatUnary('rsqrt');
/** y = x²        ∂x = 2·grad·x */
export const square = floatUnary('square');
/** y = 1/x        ∂x = −grad·y² */
export const reciprocal = floatUnary('reciprocal');
/** y = sin x        ∂x = grad·cos x */
export const sin = floatUnary('sin');
/** y = cos x        ∂x = −grad·sin x */
export const cos = floatUnary('cos');
/** y = tanh x        ∂x = grad·(1 − y²) */
export const tanh = floatUnary('tanh');
/** y = 1/(1 + e⁻ˣ), stable for large |x|        ∂x = grad·y·(1 − y) */
export const sigmoid = floatUnary('sigmoid');
/** y = max(x, 0) (NaN stays NaN)        ∂x = grad·[x > 0] */
export const relu = floatUnary('relu');
/** y = ⌊x⌋        ∂x = 0 */
export const floor = floatUnary('floor');
/** y = ⌈x⌉        ∂x = 0 */
export const ceil = floatUnary('ceil');
/** y = x rounded to the nearest integer, halves to even (like NumPy)        ∂x = 0 */
export const round = floatUnary('round');
/** y = erf(x) = 2/√π ∫₀ˣ e^(−t²) dt        ∂x = grad·2/√π·e^(−x²) */
export const erf = floatUnary('erf');
/** y = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^(−|x|))        ∂x = grad·sigmoid(x) */
export const softplus = floatUnary('softplus');
/** y = x/(1 + |x|)        ∂x = grad/(1 + |x|)² */
export const softsign = floatUnary('softsign');
/** y = [x > 0] (1 where x > 0, else 0; the derivative of relu)        ∂x = 0 */
export const reluGrad = floatUnary('reluGrad');
/** y = x·Φ(x) = x/2·(1 + erf(x/√2)) (exact, not the tanh approximation)        ∂x = grad·(Φ(x) + x·φ(x)) */
export const gelu = floatUnary('gelu');

/** Throws a ValueError naming `fn`, the argument `name` and its value unless `v` is a finite number. */
function checkFiniteParam(fn: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${fn}: ${name} must be a finite number, got ${fmtValue(v)}`);
}

/** y = x if x ≥ 0 else slope·x (slope a finite number)        ∂x = grad·(x > 0 ? 1 : slope) */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  checkTensor('leakyRelu', x);
  checkFiniteParam('leakyRelu', 'slope', slope);
  return unary(x, 'leakyRelu', floatDtype(x.dtype), slope);
}

/** y = x if x ≥ 0 else α·(eˣ − 1) (α a finite number)        ∂x = grad·(x > 0 ? 1 : y + α) */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkTensor('elu', x);
  checkFiniteParam('elu', 'alpha', alpha);
  return unary(x, 'elu', floatDtype(x.dtype), alpha);
}

/** A bound of {@link clip}: a number (±Infinity allowed, NaN refused by clip), or null/undefined for none (−∞ or ∞). */
function clipBound(name: 'min' | 'max', v: unknown, none: number): number {
  if (v === undefined || v === null) return none;
  if (typeof v !== 'number') throw new ValueError(`clip: ${name} must be a number, or null/undefined for no bound; got ${fmtValue(v)}`);
  return v;
}

/**
 * y = min(max(x, min), max) (NaN stays NaN; int32 stays int32 when both bounds are integers). A bound left out (or
 * null, PyTorch's None) is no bound: `clip(x, 0)` is max(x, 0).        ∂x = grad·[min ≤ x ≤ max]
 */
export function clip(x: Tensor, min: number | null = -Infinity, max: number | null = Infinity): Tensor {
  checkTensor('clip', x);
  const lo = clipBound('min', min, -Infinity);
  const hi = clipBound('max', max, Infinity);
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) {
    throw new ValueError(`clip: expected min ≤ max, got min=${lo}, max=${hi}`);
  }
  const keepInt = x.dtype === 'int32' && isInt32(lo === -Infinity ? 0 : lo) && isInt32(hi === Infinity ? 0 : hi);
  return unary(x, 'clip', keepInt ? 'int32' : floatDtype(x.dtype), lo, hi);
}

// ---- binary -----------------------------------------------------------------------------------------

type BinaryOp = 'add' | 'sub' | 'mul' | 'imul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** `out[o…o+n) = a[pa + i·sa] ⊕ b[pb + i·sb]`. */
function binaryRow(
  op: BinaryOp,
  a: TypedArray,
  pa: number,
  sa: number,
  b: TypedArray,
  pb: number,
  sb: number,
  out: TypedArray,
  o: number,
  n: number,
): void {
  const end = o + n;
  let i = o;
  // One line per case: the table reads as a table.
  // prettier-ignore
  switch (op) {
    case 'add': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! + b[pb]!; return;
    case 'sub': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! - b[pb]!; return;
    case 'mul': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! * b[pb]!; return;
    case 'imul': for (; i < end; i++, pa += sa, pb += sb) out[i] = Math.imul(a[pa]!, b[pb]!); return;
    case 'div': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! / b[pb]!; return;
    case 'pow': for (; i < end; i++, pa += sa, pb += sb) out[i] = Math.pow(a[pa]!, b[pb]!); return;
    case 'maximum': for (; i < end; i++, pa += sa, pb += sb) out[i] = Math.max(a[pa]!, b[pb]!); return;
    case 'minimum': for (; i < end; i++, pa += sa, pb += sb) out[i] = Math.min(a[pa]!, b[pb]!); return;
    case 'eq': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! === b[pb]! ? 1 : 0; return;
    case 'ne': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! !== b[pb]! ? 1 : 0; return;
    case 'lt': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! < b[pb]! ? 1 : 0; return;
    case 'le': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! <= b[pb]! ? 1 : 0; return;
    case 'gt': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! > b[pb]! ? 1 : 0; return;
    case 'ge': for (; i < end; i++, pa += sa, pb += sb) out[i] = a[pa]! >= b[pb]! ? 1 : 0; return;
    default: {
      const missing: never = op;
      throw new ValueError(`binary kernel '${String(missing)}' has no loop`);
    }
  }
}

const isInt32 = (v: number): boolean => v === (v | 0);

/** The binary ops the backend runs as one kernel call on contiguous float32 data. */
const KERNEL_OPS: Partial<Record<BinaryOp, true>> = { add: true, sub: true, mul: true, div: true, maximum: true, minimum: true };

/**
 * The dtype two operands compute in. A number is "weak" (as in NumPy 2 and PyTorch): it takes the
 * tensor's dtype, except that a non-integer number with an int32 tensor gives float32.
 */
function computeDtype(a: Tensor | number, b: Tensor | number): DType {
  if (typeof a === 'number' && typeof b === 'number') return 'float32';
  if (typeof a === 'number') return weak((b as Tensor).dtype, a);
  if (typeof b === 'number') return weak(a.dtype, b);
  return promote(a.dtype, b.dtype);
}

const weak = (dtype: DType, v: number): DType => (dtype === 'int32' && !isInt32(v) ? 'float32' : dtype);

/** Throws a DTypeError naming `fn` and the argument (`a`, `b`) unless `v` is a Tensor or a number. */
function checkOperand(fn: string, v: unknown, name: string): asserts v is Tensor | number {
  if (typeof v !== 'number' && !(v instanceof Tensor)) {
    throw new DTypeError(`${fn}: argument ${name} is ${fmtValue(v)}; expected a Tensor or a number`);
  }
}

function asTensor(v: Tensor | number, dtype: DType): Tensor {
  if (typeof v !== 'number') return v;
  const data = allocate(dtype, 1);
  data[0] = v;
  return new Tensor(data, []);
}

/** The bytes of its buffer a view can reach: `[first, end)`. */
function byteSpan(t: Tensor): [number, number] {
  const [low, high] = elementSpan(t.shape, t.strides, t.offset);
  const bpe = t.data.BYTES_PER_ELEMENT;
  return [t.data.byteOffset + low * bpe, t.data.byteOffset + (high + 1) * bpe];
}

/** Checks `options.out` against the result's shape and dtype and the operands' memory (see {@link BinaryOptions}). */
function checkOut(fn: string, out: unknown, shape: readonly number[], dtype: DType, operands: readonly Tensor[]): asserts out is Tensor {
  if (!(out instanceof Tensor)) throw new DTypeError(`${fn}: options.out must be a Tensor, got ${out === null ? 'null' : typeof out}`);
  if (out.dtype !== dtype) throw new DTypeError(`${fn}: options.out has dtype ${out.dtype}; expected the result's dtype ${dtype}`);
  if (!shapesEqual(out.shape, shape)) {
    throw new ShapeError(`${fn}: options.out has shape ${fmtShape(out.shape)}; expected the broadcast shape ${fmtShape(shape)}`);
  }
  if (!out.isContiguous) {
    throw new ValueError(`${fn}: options.out (shape ${fmtShape(out.shape)}) is not contiguous; expected a contiguous tensor`);
  }
  if (out.size === 0) return;
  const [o0, o1] = byteSpan(out);
  operands.forEach((t, i) => {
    if (t.size === 0 || t.data.buffer !== out.data.buffer) return;
    const same = t.data === out.data && t.offset === out.offset && t.isContiguous && shapesEqual(t.shape, shape);
    const [t0, t1] = byteSpan(t);
    if (!same && t0 < o1 && o0 < t1) {
      throw new ValueError(
        `${fn}: options.out overlaps operand ${i === 0 ? 'a' : 'b'} (shape ${fmtShape(t.shape)}) without being that same view; ` +
          `expected the operand itself or separate memory`,
      );
    }
  });
}

/** True when runs of `inner` elements starting at `starts` lie back to back (one contiguous block). */
function isBlock(starts: Int32Array, inner: number): boolean {
  for (let r = 1; r < starts.length; r++) if (starts[r] !== starts[0]! + r * inner) return false;
  return true;
}

/** True when every run starts at the same element (one row broadcast over the others). */
function isRepeated(starts: Int32Array): boolean {
  for (let r = 1; r < starts.length; r++) if (starts[r] !== starts[0]) return false;
  return true;
}

function binary(fn: BinaryOp, a: Tensor | number, b: Tensor | number, kind: 'keep' | 'float' | 'compare', options?: BinaryOptions): Tensor {
  checkOperand(fn, a, 'a');
  checkOperand(fn, b, 'b');
  const compute = computeDtype(a, b);
  const ta = asTensor(a, compute);
  const tb = asTensor(b, compute);
  const shape = broadcastShapes(fn, ta.shape, tb.shape);
  const outDtype = kind === 'keep' ? compute : floatDtype(compute);
  const op: BinaryOp = fn === 'mul' && outDtype === 'int32' ? 'imul' : fn;
  const ea = ta.expand(shape);
  const eb = tb.expand(shape);
  const into = options?.out ?? undefined; // null: none, as out=None in PyTorch
  if (into !== undefined) checkOut(fn, into, shape, outDtype, [ta, tb]);
  const out = into ? into.data : allocate(outDtype, ea.size);
  if (ea.size > 0) fillBinary(op, shape, ea, eb, out, into ? into.offset : 0);
  return into ?? new Tensor(out, shape);
}

/** Writes `op(ea, eb)` (both already expanded to `shape`) contiguously into `out` from `base`. */
function fillBinary(op: BinaryOp, shape: readonly number[], ea: Tensor, eb: Tensor, out: TypedArray, base: number): void {
  const plan = planRows(shape, [ea, eb]);
  const [startsA, startsB] = plan.starts as [Int32Array, Int32Array];
  const [sa, sb] = plan.steps as [number, number];
  const f32 = out instanceof Float32Array && ea.data instanceof Float32Array && eb.data instanceof Float32Array;
  // A bias — a contiguous [rows, inner] block plus one row repeated (either order: float addition commutes bit for bit):
  // the backend's bias kernel, a few calls instead of one per row.
  if (op === 'add' && f32 && plan.rows > 1 && sa === 1 && sb === 1) {
    const [block, row, bs, rs] = isBlock(startsA, plan.inner) ? [ea, eb, startsA, startsB] : [eb, ea, startsB, startsA];
    if (isBlock(bs, plan.inner) && isRepeated(rs)) {
      addRowVector(block.data as Float32Array, bs[0]!, plan.rows, plan.inner, row.data as Float32Array, rs[0]!, out, base);
      return;
    }
  }
  // Contiguous float32 runs (or one scalar): the backend's kernel (wasm SIMD when active), same results — one run, or
  // row by row when the rows are long (a column scale [n, m]·[n, 1]): per row it costs a call and three copies.
  const unitSteps = (sa === 0 || sa === 1) && (sb === 0 || sb === 1) && sa + sb > 0;
  if ((plan.rows === 1 || plan.inner >= BINARY_WASM_MIN) && unitSteps && KERNEL_OPS[op] === true && f32) {
    for (let r = 0; r < plan.rows; r++) {
      const o = base + r * plan.inner;
      binaryKernel(op as BinaryKernelOp, ea.data, startsA[r]!, sa, eb.data, startsB[r]!, sb, out, o, plan.inner);
    }
    return;
  }
  for (let r = 0; r < plan.rows; r++) {
    binaryRow(op, ea.data, startsA[r]!, sa, eb.data, startsB[r]!, sb, out, base + r * plan.inner, plan.inner);
  }
}

/**
 * A binary elementwise op: `op(a, b)` returns a new tensor, `op(a, b, { out })` writes into `out` and returns it
 * (see {@link BinaryOptions}). Two call signatures, so that `tensors.reduce(add)` still type-checks.
 */
export interface BinaryFn {
  (a: Tensor | number, b: Tensor | number): Tensor;
  (a: Tensor | number, b: Tensor | number, options?: BinaryOptions): Tensor;
}

const binaryFn =
  (fn: BinaryOp, kind: 'keep' | 'float' | 'compare'): BinaryFn =>
  (a: Tensor | number, b: Tensor | number, options?: BinaryOptions): Tensor =>
    binary(fn, a, b, kind, options);

/** y = a + b (broadcast)        ∂a = sumTo(grad, a.shape)   ∂b = sumTo(grad, b.shape) */
export const add: BinaryFn = binaryFn('add', 'keep');
/** y = a − b (broadcast)        ∂a = sumTo(grad)   ∂b = −sumTo(grad) */
export const sub: BinaryFn = binaryFn('sub', 'keep');
/** y = a·b (broadcast; int32·int32 wraps like C)        ∂a = sumTo(grad·b)   ∂b = sumTo(grad·a) */
export const mul: BinaryFn = binaryFn('mul', 'keep');
/** y = a / b (broadcast; always float)        ∂a = sumTo(grad / b)   ∂b = −sumTo(grad·a / b²) */
export const div: BinaryFn = binaryFn('div', 'float');
/** y = aᵇ (broadcast; always float)        ∂a = sumTo(grad·b·aᵇ⁻¹)   ∂b = sumTo(grad·y·ln a) */
export const pow: BinaryFn = binaryFn('pow', 'float');
/** y = max(a, b) (broadcast; NaN wins)        ∂a = sumTo(grad·[a ≥ b])   ∂b = sumTo(grad·[a < b]) */
export const maximum: BinaryFn = binaryFn('maximum', 'keep');
/** y = min(a, b) (broadcast; NaN wins)        ∂a = sumTo(grad·[a ≤ b])   ∂b = sumTo(grad·[a > b]) */
export const minimum: BinaryFn = binaryFn('minimum', 'keep');
/** y = [a = b] as 1/0 in the promoted float dtype        ∂ = 0 */
export const eq: BinaryFn = binaryFn('eq', 'compare');
/** y = [a ≠ b] as 1/0 (NaN ≠ NaN)        ∂ = 0 */
export const ne: BinaryFn = binaryFn('ne', 'compare');
/** y = [a < b] as 1/0        ∂ = 0 */
export const lt: BinaryFn = binaryFn('lt', 'compare');
/** y = [a ≤ b] as 1/0        ∂ = 0 */
export const le: BinaryFn = binaryFn('le', 'compare');
/** y = [a > b] as 1/0        ∂ = 0 */
export const gt: BinaryFn = binaryFn('gt', 'compare');
/** y = [a ≥ b] as 1/0        ∂ = 0 */
export const ge: BinaryFn = binaryFn('ge', 'compare');

// ---- where ------------------------------------------------------------------------------------------

/**
 * y = cond ≠ 0 ? a : b, broadcasting all three (cond may have any dtype; NaN counts as true, as in NumPy)
 *        ∂a = sumTo(grad·[cond ≠ 0])   ∂b = sumTo(grad·[cond = 0])
 */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  checkTensor('where', cond);
  checkOperand('where', a, 'a');
  checkOperand('where', b, 'b');
  const dtype = computeDtype(a, b);
  const ta = asTensor(a, dtype);
  const tb = asTensor(b, dtype);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const ec = cond.expand(shape);
  const ea = ta.expand(shape);
  const eb = tb.expand(shape);
  const out = allocate(dtype, ec.size);
  if (ec.size > 0) {
    const plan = planRows(shape, [ec, ea, eb]);
    const [startsC, startsA, startsB] = plan.starts as [Int32Array, Int32Array, Int32Array];
    const [sc, sa, sb] = plan.steps as [number, number, number];
    const c = ec.data;
    const da = ea.data;
    const db = eb.data;
    for (let r = 0; r < plan.rows; r++) {
      let pc = startsC[r]!;
      let pa = startsA[r]!;
      let pb = startsB[r]!;
      for (let i = r * plan.inner, end = i + plan.inner; i < end; i++, pc += sc, pa += sa, pb += sb) {
        out[i] = c[pc] !== 0 ? da[pa]! : db[pb]!;
      }
    }
  }
  return new Tensor(out, shape);
}
