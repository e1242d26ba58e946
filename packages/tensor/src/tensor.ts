import { allocate, checkDType, dtypeOf, fitsInt32, int32RangeError, type DType, type TypedArray } from './dtype.js';
import { DTypeError, IndexError, ShapeError, ValueError, fmtShape, registerTensorClass } from './errors.js';
import { MAX_NDIM, broadcastShapes, contiguousStrides, elementSpan, normalizeAxis, shapesEqual, sizeOf } from './shape.js';

/**
 * One axis of a {@link Tensor.slice}: `null` keeps the whole axis, a number picks one index and drops the
 * axis, `[start, stop, step]` (each optional, negatives count from the end, like Python) keeps a range.
 */
export type SliceSpec = number | null | readonly [start?: number | null, stop?: number | null, step?: number | null];

/** A nested array of numbers, as accepted by {@link tensor} and returned by {@link Tensor.toArray}. */
export type NestedArray = number | NestedArray[];

type Operand = Tensor | number;

/** Options of the binary elementwise ops (`add`, `sub`, `mul`, `div`, `pow`, `maximum`, `minimum`, comparisons). */
export interface BinaryOptions {
  /**
   * A contiguous tensor of the broadcast shape and the result's dtype to write the result into; it is returned
   * instead of a new tensor. Nothing is allocated: a fresh result of 128 KiB or more costs the page faults of new
   * memory, which for a large `add` take longer than the arithmetic. It may be an operand itself (the same view,
   * not broadcast), as in `add(a, b, { out: a })`, but no other view of an operand's memory. Absent or null: a new
   * tensor.
   */
  out?: Tensor;
}
type Axes = number | readonly number[] | null | undefined;
/** `keepDims` as a flag or as `{ keepDims }` (so `a.sum(1, { keepDims: true })` reads like the docs). */
export type KeepDims = boolean | { keepDims?: boolean };

/**
 * The kernels as {@link Tensor} methods, each the free function of the same name (`a.add(b)` is `add(a, b)`).
 * Declared here so that `tensor.ts` needs no kernel import; `tensor-methods.ts` implements every one (the
 * compiler checks) and the package entry installs them on `Tensor.prototype`.
 */
export interface TensorMethods {
  /** `this + other` with broadcasting. */
  add(other: Operand, options?: BinaryOptions): Tensor;
  /** `this − other` with broadcasting. */
  sub(other: Operand, options?: BinaryOptions): Tensor;
  /** `this · other` elementwise with broadcasting. */
  mul(other: Operand, options?: BinaryOptions): Tensor;
  /** `this / other` with broadcasting. */
  div(other: Operand, options?: BinaryOptions): Tensor;
  /** `this ** other` with broadcasting. */
  pow(other: Operand, options?: BinaryOptions): Tensor;
  /** Elementwise maximum with broadcasting. */
  maximum(other: Operand, options?: BinaryOptions): Tensor;
  /** Elementwise minimum with broadcasting. */
  minimum(other: Operand, options?: BinaryOptions): Tensor;
  /** 1 where `this == other`, else 0. */
  eq(other: Operand, options?: BinaryOptions): Tensor;
  /** 1 where `this != other`, else 0. */
  ne(other: Operand, options?: BinaryOptions): Tensor;
  /** 1 where `this < other`, else 0. */
  lt(other: Operand, options?: BinaryOptions): Tensor;
  /** 1 where `this <= other`, else 0. */
  le(other: Operand, options?: BinaryOptions): Tensor;
  /** 1 where `this > other`, else 0. */
  gt(other: Operand, options?: BinaryOptions): Tensor;
  /** 1 where `this >= other`, else 0. */
  ge(other: Operand, options?: BinaryOptions): Tensor;
  /** `−x`. */
  neg(): Tensor;
  /** `|x|`. */
  abs(): Tensor;
  /** −1, 0 or 1. */
  sign(): Tensor;
  /** `eˣ`. */
  exp(): Tensor;
  /** Natural logarithm. */
  log(): Tensor;
  /** `log(1 + x)`, accurate near 0. */
  log1p(): Tensor;
  /** `√x`. */
  sqrt(): Tensor;
  /** `x²`. */
  square(): Tensor;
  /** `1 / x`. */
  reciprocal(): Tensor;
  /** `sin x`. */
  sin(): Tensor;
  /** `cos x`. */
  cos(): Tensor;
  /** `tanh x`. */
  tanh(): Tensor;
  /** `1 / (1 + e⁻ˣ)`, stable for large |x|. */
  sigmoid(): Tensor;
  /** `max(x, 0)`. */
  relu(): Tensor;
  /** Clamps into `[min, max]`. */
  clip(min: number, max: number): Tensor;
  /** Sum over `axes` (all when omitted). */
  sum(axes?: Axes, keepDims?: KeepDims): Tensor;
  /** Mean over `axes` (all when omitted). */
  mean(axes?: Axes, keepDims?: KeepDims): Tensor;
  /** Maximum over `axes` (all when omitted). */
  max(axes?: Axes, keepDims?: KeepDims): Tensor;
  /** Minimum over `axes` (all when omitted). */
  min(axes?: Axes, keepDims?: KeepDims): Tensor;
  /** Product over `axes` (all when omitted). */
  prod(axes?: Axes, keepDims?: KeepDims): Tensor;
  /** `log Σ eˣ` over `axes`, stable. */
  logsumexp(axes?: Axes, keepDims?: KeepDims): Tensor;
  /** Variance over `axes` (`correction` 0 by default, like NumPy). */
  variance(axes?: Axes, options?: { keepDims?: boolean; correction?: number }): Tensor;
  /** Standard deviation over `axes`. */
  std(axes?: Axes, options?: { keepDims?: boolean; correction?: number }): Tensor;
  /** Index of the maximum along `axis` (over the flattened tensor when omitted), as int32. */
  argmax(axis?: number | null, keepDims?: KeepDims): Tensor;
  /** Index of the minimum along `axis`, as int32. */
  argmin(axis?: number | null, keepDims?: KeepDims): Tensor;
  /** Softmax along `axis` (default last), stable. */
  softmax(axis?: number): Tensor;
  /** Log-softmax along `axis` (default last), stable. */
  logSoftmax(axis?: number): Tensor;
  /** Sums a broadcast result back down to `shape`. */
  sumTo(shape: readonly number[]): Tensor;
  /** Matrix product with NumPy semantics (2-D, batched, 1-D). */
  matmul(other: Tensor): Tensor;
  /** Elements at `indices` along `axis` (NumPy `take`). */
  take(indices: Tensor | NestedArray, axis?: number | null): Tensor;
  /** `out[i][j] = this[i][indices[i][j]]` along `axis` (PyTorch `gather`). */
  gather(indices: Tensor | NestedArray, axis: number): Tensor;
  /** NumPy-like text: aligned columns, `...` elision for large tensors, shape/dtype when they matter. */
  toString(): string;
}

// The class below and this interface merge: every Tensor has the kernel methods (installed by tensor-methods.ts).
// tensor-methods.ts attaches them; the interface only types them.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface Tensor extends TensorMethods {}

/**
 * A strided view of a typed array: element `[i0, i1, …]` lives at
 * `data[offset + i0*strides[0] + i1*strides[1] + …]`. Views (transpose, slice, expand, …) share `data`
 * and cost O(ndim); kernels return new contiguous tensors and never mutate their inputs. The kernels are also
 * methods (`a.add(b)`, `a.sum(1, { keepDims: true })`, `a.matmul(b)`), attached by `tensor-methods.ts`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class Tensor {
  /** The backing storage, shared by all views of it. */
  readonly data: TypedArray;
  /** The size of each dimension. */
  readonly shape: readonly number[];
  /** How far `data` moves for a step of one along each dimension (0 on a broadcast dimension). */
  readonly strides: readonly number[];
  /** Where element `[0, 0, …]` lives in `data`. */
  readonly offset: number;
  /** The element type, derived from `data`. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;

  /**
   * Wraps `data` without copying. Throws when the layout does not fit: more than {@link MAX_NDIM} dimensions, a
   * shape entry that is not a non-negative integer, strides or offset that are not integers, or an element that
   * would fall outside `data`.
   */
  constructor(data: TypedArray, shape: readonly number[], strides?: readonly number[], offset = 0) {
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = dtypeOf(data);
    this.size = sizeOf(shape);
    checkLayout(this);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** True when the elements are laid out row-major with no gaps, starting anywhere in `data`. */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d !== 1 && this.strides[i] !== expected) return false;
      expected *= d;
    }
    return true;
  }

  /** This tensor if contiguous, otherwise a contiguous copy. */
  contiguous(): Tensor {
    return this.isContiguous ? this : this.clone();
  }

  /** A contiguous copy that owns fresh storage. */
  clone(): Tensor {
    return copyAs('clone', this, this.dtype);
  }

  /**
   * A contiguous copy converted to `dtype`. Float → int32 truncates fractions toward zero (like NumPy's `astype`) but,
   * unlike NumPy and PyTorch, which wrap or store garbage silently, refuses a value that int32 cannot hold — NaN,
   * ±Infinity, or an integer part outside [−2³¹, 2³¹ − 1] — with a ValueError naming the value and its flat
   * (row-major) index. int32 → float32 rounds integers beyond 2²⁴ to the nearest float32, as everywhere.
   */
  astype(dtype: DType): Tensor {
    checkDType('astype', dtype);
    return copyAs('astype', this, dtype);
  }

  /**
   * The elements of a contiguous tensor as a flat typed array of exactly `size` elements: a subarray view
   * when possible (no copy), otherwise a fresh copy. Do not write into the result.
   */
  values(): TypedArray {
    if (this.isContiguous) {
      return this.offset === 0 && this.data.length === this.size ? this.data : this.data.subarray(this.offset, this.offset + this.size);
    }
    return copyAs('values', this, this.dtype).data;
  }

  // ---- reading --------------------------------------------------------------------------------

  /** The single element of a tensor with one element, as a number. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} elements; expected exactly 1`);
    }
    return this.data[this.offset]!;
  }

  /** The element at the given indices (negative indices count from the end). */
  get(...indices: number[]): number {
    if (indices.length !== this.ndim) {
      throw new IndexError(`get: got ${indices.length} indices for a tensor of shape ${fmtShape(this.shape)}; expected ${this.ndim}`);
    }
    let p = this.offset;
    for (let i = 0; i < indices.length; i++) p += checkIndex('get', indices[i]!, this.shape[i]!, i) * this.strides[i]!;
    return this.data[p]!;
  }

  /** The elements as nested JavaScript arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const flat = this.values();
    if (this.ndim === 0) return flat[0]!;
    let i = 0;
    const build = (dim: number): NestedArray[] => {
      const n = this.shape[dim]!;
      const out = new Array<NestedArray>(n);
      if (dim === this.ndim - 1) for (let j = 0; j < n; j++) out[j] = flat[i++]!;
      else for (let j = 0; j < n; j++) out[j] = build(dim + 1);
      return out;
    };
    return build(0);
  }

  // ---- views ----------------------------------------------------------------------------------

  /**
   * The same elements in a new shape (one dimension may be -1). A view when the strides allow it,
   * otherwise a contiguous copy.
   */
  reshape(...shapeArg: number[] | [readonly number[]]): Tensor {
    const shape = inferShape('reshape', this.shape, flattenArgs(shapeArg));
    const strides = viewStrides(this.shape, this.strides, shape);
    if (strides) return new Tensor(this.data, shape, strides, this.offset);
    return new Tensor(this.clone().data, shape);
  }

  /** Reverses the axes, or permutes them when `axes` is given. A view. */
  transpose(...axesArg: number[] | [readonly number[]]): Tensor {
    const axes = flattenArgs(axesArg);
    return this.permute(axes.length === 0 ? this.shape.map((_, i) => this.ndim - 1 - i) : axes);
  }

  /** Reorders the axes: result axis `i` is input axis `axes[i]`. A view. */
  permute(...axesArg: number[] | [readonly number[]]): Tensor {
    const axes = flattenArgs(axesArg).map((a) => normalizeAxis('permute', a, this.ndim));
    if (axes.length !== this.ndim || new Set(axes).size !== this.ndim) {
      throw new IndexError(`permute: axes [${axes.join(', ')}] are not a permutation of the ${this.ndim} axes of ${fmtShape(this.shape)}`);
    }
    return new Tensor(
      this.data,
      axes.map((a) => this.shape[a]!),
      axes.map((a) => this.strides[a]!),
      this.offset,
    );
  }

  /** The transpose: axes reversed (for a matrix, rows and columns swapped). A view. */
  get T(): Tensor {
    return this.transpose();
  }

  /** Exchanges two axes. A view. */
  swapAxes(a: number, b: number): Tensor {
    const axes = this.shape.map((_, i) => i);
    const i = normalizeAxis('swapAxes', a, this.ndim);
    const j = normalizeAxis('swapAxes', b, this.ndim);
    [axes[i], axes[j]] = [axes[j]!, axes[i]!];
    return this.permute(axes);
  }

  /**
   * Basic indexing, one {@link SliceSpec} per leading axis (missing trailing axes are kept whole).
   * A view; integer specs drop their axis.
   * @example x.slice(null, [0, 10, 2])   // every other one of the first 10 columns
   */
  slice(...specs: SliceSpec[]): Tensor {
    if (specs.length > this.ndim) {
      throw new IndexError(`slice: got ${specs.length} slice specs for a tensor of shape ${fmtShape(this.shape)}`);
    }
    const shape: number[] = [];
    const strides: number[] = [];
    let offset = this.offset;
    for (let axis = 0; axis < this.ndim; axis++) {
      const spec = specs[axis] ?? null;
      const n = this.shape[axis]!;
      const s = this.strides[axis]!;
      if (typeof spec === 'number') {
        offset += checkIndex('slice', spec, n, axis) * s;
        continue;
      }
      const [start, stop, step] = spec === null ? [0, n, 1] : resolveRange(spec, n, axis);
      const len = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
      if (len > 0) offset += start * s;
      shape.push(len);
      strides.push(s * step);
    }
    return new Tensor(this.data, shape, strides, offset);
  }

  /** `x.index(i)` is `x[i]`: the sub-tensor at index `i` of axis 0, a view with one dimension fewer. */
  index(i: number): Tensor {
    return this.slice(i);
  }

  /** Broadcasts to `shape` by giving size-1 (or new leading) dimensions stride 0. A view. */
  expand(...shapeArg: number[] | [readonly number[]]): Tensor {
    const shape = flattenArgs(shapeArg);
    const lead = shape.length - this.ndim;
    const ok = lead >= 0 && shapesEqual(broadcastShapesOrNull(this.shape, shape) ?? [], shape);
    if (!ok) {
      throw new ShapeError(
        `expand: cannot broadcast shape ${fmtShape(this.shape)} to ${fmtShape(shape)}; each dimension must match or be 1`,
      );
    }
    const strides = shape.map((d, i) => {
      if (i < lead) return 0;
      return this.shape[i - lead] === 1 && d !== 1 ? 0 : this.strides[i - lead]!;
    });
    return new Tensor(this.data, shape, strides, this.offset);
  }

  /** Alias of {@link Tensor.expand}, NumPy's name. */
  broadcastTo(...shapeArg: number[] | [readonly number[]]): Tensor {
    return this.expand(...shapeArg);
  }

  /** Removes size-1 axes: all of them, or the ones named (which must have size 1). A view. */
  squeeze(axes?: number | readonly number[]): Tensor {
    const drop = new Set(
      axes === undefined
        ? this.shape.flatMap((d, i) => (d === 1 ? [i] : []))
        : (typeof axes === 'number' ? [axes] : axes).map((a) => normalizeAxis('squeeze', a, this.ndim)),
    );
    for (const a of drop) {
      if (this.shape[a] !== 1) {
        throw new ShapeError(`squeeze: axis ${a} of shape ${fmtShape(this.shape)} has size ${this.shape[a]}; expected 1`);
      }
    }
    const keep = this.shape.map((_, i) => i).filter((i) => !drop.has(i));
    return new Tensor(
      this.data,
      keep.map((i) => this.shape[i]!),
      keep.map((i) => this.strides[i]!),
      this.offset,
    );
  }

  /** Inserts a size-1 axis at `axis` (negative counts from the end of the result). A view. */
  unsqueeze(axis: number): Tensor {
    const a = normalizeAxis('unsqueeze', axis, this.ndim + 1);
    const shape = [...this.shape];
    const strides = [...this.strides];
    shape.splice(a, 0, 1);
    strides.splice(a, 0, a < this.ndim ? this.strides[a]! * this.shape[a]! : 1);
    return new Tensor(this.data, shape, strides, this.offset);
  }

  /** Merges axes `startAxis..endAxis` (default: all) into one. A view when possible. */
  flatten(startAxis = 0, endAxis = -1): Tensor {
    if (this.ndim === 0) return this.reshape(1);
    const s = normalizeAxis('flatten', startAxis, this.ndim);
    const e = normalizeAxis('flatten', endAxis, this.ndim);
    if (e < s) throw new IndexError(`flatten: endAxis ${endAxis} comes before startAxis ${startAxis} for shape ${fmtShape(this.shape)}`);
    const merged = sizeOf(this.shape.slice(s, e + 1));
    return this.reshape([...this.shape.slice(0, s), merged, ...this.shape.slice(e + 1)]);
  }

  /** `true` when both tensors have the same shape, dtype and elements (NaN ≠ NaN). */
  equals(other: Tensor): boolean {
    if (!shapesEqual(this.shape, other.shape) || this.dtype !== other.dtype) return false;
    const a = this.values();
    const b = other.values();
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

// fmtValue tells a Tensor of this copy from one of another copy of the package (dual ESM/CommonJS loading)
registerTensorClass(Tensor);

// ---- helpers ----------------------------------------------------------------------------------

/** A contiguous copy of `src` as `dtype`; into int32 from a float dtype, every value is checked first (see astype). */
function copyAs(fn: string, src: Tensor, dtype: DType): Tensor {
  if (dtype === 'int32' && src.dtype !== 'int32') checkFitsInt32(fn, src);
  const out = allocate(dtype, src.size, fn);
  copyStrided(src, out);
  return new Tensor(out, src.shape);
}

/** Throws {@link int32RangeError} for the first element of `src`, in row-major order, that int32 cannot hold. */
function checkFitsInt32(fn: string, src: Tensor): void {
  const { data, shape, strides, size, offset } = src;
  if (size === 0) return;
  const nd = shape.length;
  if (src.isContiguous) {
    for (let i = 0; i < size; i++) if (!fitsInt32(data[offset + i]!)) throw int32RangeError(fn, data[offset + i]!, `flat index ${i}`);
    return;
  }
  const inner = shape[nd - 1]!;
  const innerStride = strides[nd - 1]!;
  const counter = new Array<number>(nd).fill(0);
  let p = offset;
  for (let done = 0; done < size; done += inner) {
    for (let j = 0; j < inner; j++) {
      const v = data[p + j * innerStride]!;
      if (!fitsInt32(v)) throw int32RangeError(fn, v, `flat index ${done + j}`);
    }
    for (let d = nd - 2; d >= 0; d--) {
      p += strides[d]!;
      if (++counter[d]! < shape[d]!) break;
      p -= strides[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
}

/** Copies the elements of a (possibly strided) tensor, in row-major order, into `out` starting at `at`. */
export function copyStrided(src: Tensor, out: TypedArray, at = 0): void {
  const { data, shape, strides, size } = src;
  if (size === 0) return;
  const nd = shape.length;
  if (src.isContiguous) {
    if (out.constructor === data.constructor) out.set(data.subarray(src.offset, src.offset + size), at);
    else for (let i = 0; i < size; i++) out[at + i] = data[src.offset + i]!;
    return;
  }
  const inner = shape[nd - 1]!;
  const innerStride = strides[nd - 1]!;
  const counter = new Array<number>(nd).fill(0);
  let p = src.offset;
  let o = at;
  for (let done = 0; done < size; done += inner) {
    for (let j = 0; j < inner; j++) out[o++] = data[p + j * innerStride]!;
    for (let d = nd - 2; d >= 0; d--) {
      p += strides[d]!;
      if (++counter[d]! < shape[d]!) break;
      p -= strides[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
}

function flattenArgs(args: number[] | [readonly number[]]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

function checkIndex(fn: string, i: number, n: number, axis: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) {
    throw new IndexError(`${fn}: index ${i} is out of bounds for axis ${axis} with size ${n}`);
  }
  return i < 0 ? i + n : i;
}

function resolveRange(spec: readonly (number | null | undefined)[], n: number, axis: number): [number, number, number] {
  const step = spec[2] ?? 1;
  if (!Number.isInteger(step) || step === 0) throw new ValueError(`slice: step ${step} on axis ${axis} must be a non-zero integer`);
  const clampBound = (v: number | null | undefined, dflt: number, lo: number, hi: number): number => {
    if (v === null || v === undefined) return dflt;
    if (!Number.isInteger(v)) throw new ValueError(`slice: bound ${v} on axis ${axis} must be an integer`);
    const r = v < 0 ? v + n : v;
    return Math.min(Math.max(r, lo), hi);
  };
  // Python semantics: with a negative step the defaults run from the last element down past the first.
  return step > 0
    ? [clampBound(spec[0], 0, 0, n), clampBound(spec[1], n, 0, n), step]
    : [clampBound(spec[0], n - 1, -1, n - 1), clampBound(spec[1], -1, -1, n - 1), step];
}

function inferShape(fn: string, from: readonly number[], to: readonly number[]): number[] {
  const size = sizeOf(from);
  const unknown = to.indexOf(-1);
  if (unknown !== to.lastIndexOf(-1)) throw new ShapeError(`${fn}: only one dimension may be -1, got ${fmtShape(to)}`);
  const shape = [...to];
  if (unknown >= 0) {
    const known = sizeOf(to.filter((_, i) => i !== unknown));
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`${fn}: cannot reshape ${fmtShape(from)} (${size} elements) to ${fmtShape(to)}`);
    }
    shape[unknown] = size / known;
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${fn}: invalid target shape ${fmtShape(to)}`);
  }
  if (sizeOf(shape) !== size) {
    throw new ShapeError(`${fn}: cannot reshape ${fmtShape(from)} (${size} elements) to ${fmtShape(to)} (${sizeOf(shape)} elements)`);
  }
  return shape;
}

/**
 * Strides that present `shape` as a view of a tensor with `oldShape`/`oldStrides`, or null when no view
 * exists (then reshape must copy). Works group by group: each run of old dims that multiplies to a run of
 * new dims must be contiguous within itself (PyTorch's `computeStride`).
 */
function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], shape: readonly number[]): number[] | null {
  if (sizeOf(shape) === 0) return contiguousStrides(shape);
  const oldDims: number[] = [];
  const oldSt: number[] = [];
  oldShape.forEach((d, i) => {
    if (d !== 1) {
      oldDims.push(d);
      oldSt.push(oldStrides[i]!);
    }
  });
  const strides = new Array<number>(shape.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (ni < shape.length || oi < oldDims.length) {
    if (ni < shape.length && shape[ni] === 1) {
      strides[ni] = 1;
      ni++;
      continue;
    }
    if (oi >= oldDims.length || ni >= shape.length) return null;
    // Collect a group: old dims [oStart, oi) and new dims [nStart, ni) with equal products.
    const oStart = oi;
    const nStart = ni;
    let po = oldDims[oi++]!;
    let pn = shape[ni++]!;
    while (po !== pn) {
      if (po < pn) {
        if (oi >= oldDims.length) return null;
        po *= oldDims[oi++]!;
      } else {
        if (ni >= shape.length) return null;
        pn *= shape[ni++]!;
      }
    }
    for (let k = oStart; k < oi - 1; k++) if (oldSt[k] !== oldSt[k + 1]! * oldDims[k + 1]!) return null;
    let s = oldSt[oi - 1]!;
    for (let k = ni - 1; k >= nStart; k--) {
      strides[k] = s;
      s *= shape[k]!;
    }
    while (ni < shape.length && shape[ni] === 1) strides[ni++] = 1;
  }
  return strides;
}

function broadcastShapesOrNull(a: readonly number[], b: readonly number[]): number[] | null {
  try {
    return broadcastShapes('expand', a, b);
  } catch {
    return null;
  }
}

/**
 * Checks that every element of `t` lies inside `t.data`: O(ndim), run by the constructor, so a tensor
 * that exists can be read by any kernel without bounds surprises (a wrong layout is an error, never a NaN).
 */
function checkLayout(t: Tensor): void {
  const { data, shape, strides, offset } = t;
  // dtypeOf (which set t.dtype) takes whatever is neither a Float32Array nor a Float64Array for int32.
  if (t.dtype === 'int32' && !(data instanceof Int32Array)) {
    const got = data === null ? 'null' : typeof data === 'object' ? (data as object).constructor?.name : typeof data;
    throw new DTypeError(`Tensor: data must be a Float32Array, Float64Array or Int32Array, got ${got}`);
  }
  if (shape.length > MAX_NDIM) {
    throw new ShapeError(`Tensor: shape has ${shape.length} dimensions; at most ${MAX_NDIM} (MAX_NDIM) are supported`);
  }
  if (strides.length !== shape.length) {
    throw new ShapeError(
      `Tensor: ${strides.length} strides [${strides.join(', ')}] for ${shape.length} dimensions ${fmtShape(shape)}; ` +
        `expected one stride per dimension`,
    );
  }
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    const s = strides[i]!;
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`Tensor: shape ${fmtShape(shape)} has ${d} at axis ${i}; expected non-negative integers`);
    }
    if (!Number.isInteger(s)) throw new ValueError(`Tensor: strides [${strides.join(', ')}] have ${s} at axis ${i}; expected integers`);
  }
  const [low, high] = elementSpan(shape, strides, offset);
  if (!Number.isInteger(offset)) throw new ValueError(`Tensor: offset ${offset} is not an integer; expected an index into data`);
  if (t.size > 0 && (low < 0 || high >= data.length)) {
    throw new IndexError(
      `Tensor: shape ${fmtShape(shape)} with strides [${strides.join(', ')}] and offset ${offset} reads elements ${low}..${high}, ` +
        `but data has ${data.length}`,
    );
  }
}
