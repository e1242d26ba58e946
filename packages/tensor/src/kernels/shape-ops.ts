import { checkTensor } from '../args.js';
import { allocate, promote, type DType } from '../dtype.js';
import { IndexError, ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { MAX_NDIM, contiguousStrides, normalizeAxis, shapesEqual, sizeOf } from '../shape.js';
import { Tensor, type NestedArray } from '../tensor.js';

/** Indices for {@link take}, {@link gather}, …: an int32 (or integral float) tensor, or plain numbers. */
export type IndicesLike = Tensor | NestedArray;

/** Options of {@link oneHot}. */
export interface OneHotOptions {
  /** Element type of the result; `float32` by default. */
  dtype?: DType;
}

/** Reads `indices` into a row-major Int32Array, checking each is an integer in [-n, n) and wrapping negatives. */
function resolveIndices(fn: string, indices: IndicesLike, n: number, axis: number | null): { idx: Int32Array; shape: number[] } {
  const { shape, values } = readIndices(fn, indices);
  const idx = new Int32Array(values.length);
  const where = axis === null ? `the flattened tensor of size ${n}` : `axis ${axis} with size ${n}`;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) throw new ValueError(`${fn}: index ${v} is not an integer; expected integral indices`);
    if (v < -n || v >= n) throw new IndexError(`${fn}: index ${v} is out of bounds for ${where} (expected ${-n} ≤ index < ${n})`);
    idx[i] = v < 0 ? v + n : v;
  }
  return { idx, shape };
}

/** The shape and row-major values of a tensor or nested array of indices (a tensor's values are not copied when contiguous). */
function readIndices(fn: string, indices: IndicesLike): { shape: number[]; values: ArrayLike<number> } {
  if (indices instanceof Tensor) return { shape: [...indices.shape], values: indices.values() };
  const values: number[] = [];
  return { shape: nestedInto(fn, indices, values, 0), values };
}

function nestedInto(fn: string, v: unknown, flat: number[], depth: number): number[] {
  if (typeof v === 'number') {
    flat.push(v);
    return [];
  }
  if (!Array.isArray(v)) throw new ValueError(`${fn}: indices contain ${fmtValue(v)}; expected integers (or a Tensor)`);
  if (depth === MAX_NDIM) throw new ValueError(`${fn}: indices are nested more than ${MAX_NDIM} levels deep (MAX_NDIM)`);
  const shape = [v.length];
  let inner: number[] | null = null;
  for (const e of v as unknown[]) {
    const s = nestedInto(fn, e, flat, depth + 1);
    if (inner === null) inner = s;
    else if (!shapesEqual(inner, s)) {
      throw new ShapeError(`${fn}: indices are ragged (${fmtShape(inner)} vs ${fmtShape(s)}); expected a regular nested array`);
    }
  }
  return inner === null ? shape : [...shape, ...inner];
}

/** `x` as a contiguous tensor of `dtype` (copied only when the layout or dtype differ). */
function contiguousAs(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype && x.isContiguous ? x : x.astype(dtype);
}

/** Throws unless `tensors` is an array (a ValueError) of Tensors (a DTypeError naming the first that is not). */
function checkTensorList(fn: string, tensors: unknown): void {
  if (!Array.isArray(tensors)) throw new ValueError(`${fn}: expected an array of tensors, got ${fmtValue(tensors)}`);
  tensors.forEach((x: unknown, i) => checkTensor(fn, x, `tensors[${i}]`));
}

/**
 * Joins tensors along an existing `axis`; all other dimensions must match. The result dtype is the
 * promotion of all inputs.   ∂xᵢ = the slice of grad that xᵢ filled
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList('concat', tensors);
  if (tensors.length === 0) throw new ValueError('concat: got an empty list of tensors; expected at least one');
  const first = tensors[0]!;
  if (first.ndim === 0) throw new ShapeError('concat: tensor 0 is 0-d; expected at least 1 dimension (use stack to join scalars)');
  const ax = normalizeAxis('concat', axis, first.ndim);
  let dtype = first.dtype;
  let total = 0;
  for (let t = 0; t < tensors.length; t++) {
    const x = tensors[t]!;
    const ok = x.ndim === first.ndim && x.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!ok) {
      throw new ShapeError(
        `concat: tensor ${t} has shape ${fmtShape(x.shape)} but tensor 0 has ${fmtShape(first.shape)}; ` +
          `expected equal shapes except along axis ${ax}`,
      );
    }
    dtype = promote(dtype, x.dtype);
    total += x.shape[ax]!;
  }
  const shape = [...first.shape];
  shape[ax] = total;
  const out = allocate(dtype, sizeOf(shape));
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const rowLen = total * inner;
  let col = 0;
  for (const x of tensors) {
    const chunk = x.shape[ax]! * inner;
    if (chunk === 0) continue;
    const c = contiguousAs(x, dtype);
    for (let o = 0; o < outer; o++) {
      const from = c.offset + o * chunk;
      out.set(c.data.subarray(from, from + chunk), o * rowLen + col);
    }
    col += chunk;
  }
  return new Tensor(out, shape);
}

/** Joins equal-shaped tensors along a new `axis`.   ∂xᵢ = grad indexed at i along axis */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList('stack', tensors);
  if (tensors.length === 0) throw new ValueError('stack: got an empty list of tensors; expected at least one');
  const first = tensors[0]!;
  const ax = normalizeAxis('stack', axis, first.ndim + 1);
  tensors.forEach((x, t) => {
    if (!shapesEqual(x.shape, first.shape)) {
      throw new ShapeError(
        `stack: tensor ${t} has shape ${fmtShape(x.shape)} but tensor 0 has ${fmtShape(first.shape)}; expected all shapes equal`,
      );
    }
  });
  return concat(
    tensors.map((x) => x.unsqueeze(ax)),
    ax,
  );
}

/**
 * The sizes of the pieces of a split of axis `ax` of `shape`, checked for `fn` (`split`, and autograd's): a positive
 * number of sections that divides the axis, or non-negative integer sizes adding up to it.
 */
export function splitSizes(fn: string, shape: readonly number[], ax: number, sizesOrSections: unknown): number[] {
  const n = shape[ax]!;
  if (typeof sizesOrSections === 'number') {
    const k = sizesOrSections;
    if (!Number.isInteger(k) || k <= 0 || n % k !== 0) {
      throw new ValueError(
        `${fn}: cannot cut axis ${ax} of shape ${fmtShape(shape)} (size ${n}) into ${k} equal sections; ` +
          `expected a positive divisor of ${n}`,
      );
    }
    return new Array<number>(k).fill(n / k);
  }
  if (!Array.isArray(sizesOrSections)) {
    throw new ValueError(`${fn}: expected a number of sections or an array of sizes, got ${fmtValue(sizesOrSections)}`);
  }
  const sizes = [...(sizesOrSections as number[])];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || total !== n) {
    throw new ValueError(
      `${fn}: sizes [${sizes.join(', ')}] (total ${total}) do not cut axis ${ax} of shape ${fmtShape(shape)} (size ${n}); ` +
        `expected non-negative integers adding up to ${n}`,
    );
  }
  return sizes;
}

/**
 * Cuts `x` along `axis` into pieces: a number asks for that many equal sections (it must divide the
 * axis), an array gives the size of each piece (they must add up to the axis). Pieces are new contiguous
 * tensors.   ∂x = concat(grads, axis)
 * @example split(x, [3, 7])   // x of shape [10, 4] → pieces [3, 4] and [7, 4]
 */
export function split(x: Tensor, sizesOrSections: number | readonly number[], axis = 0): Tensor[] {
  if (x.ndim === 0) throw new ShapeError('split: got a 0-d tensor; expected at least 1 dimension');
  const ax = normalizeAxis('split', axis, x.ndim);
  const sizes = splitSizes('split', x.shape, ax, sizesOrSections);
  const pieces: Tensor[] = [];
  let start = 0;
  const specs: (readonly [number, number] | null)[] = new Array(ax + 1).fill(null);
  for (const s of sizes) {
    specs[ax] = [start, start + s];
    pieces.push(x.slice(...specs).clone());
    start += s;
  }
  return pieces;
}

/**
 * NumPy's `take`: picks entries of `x` along `axis` (the flattened tensor when omitted) at `indices`
 * (negatives count from the end); the result shape is `x.shape[:axis] + indices.shape + x.shape[axis+1:]`.
 * ∂x = indexAdd(x.shape, axis, indices, grad)
 * @example take(embeddings, tokenIds, 0)   // [vocab, d] table, n ids → [n, d]
 */
export function take(x: Tensor, indices: IndicesLike, axis?: number | null): Tensor {
  if (axis === undefined || axis === null) {
    const { idx, shape } = resolveIndices('take', indices, x.size, null);
    const flat = contiguousAs(x, x.dtype);
    const out = allocate(x.dtype, idx.length);
    const data = flat.data;
    const off = flat.offset;
    for (let i = 0; i < idx.length; i++) out[i] = data[off + idx[i]!]!;
    return new Tensor(out, shape);
  }
  if (x.ndim === 0) throw new ShapeError('take: got a 0-d tensor with an axis; expected at least 1 dimension');
  const ax = normalizeAxis('take', axis, x.ndim);
  const n = x.shape[ax]!;
  const { idx, shape: ishape } = resolveIndices('take', indices, n, ax);
  const outShape = [...x.shape.slice(0, ax), ...ishape, ...x.shape.slice(ax + 1)];
  const c = contiguousAs(x, x.dtype);
  const out = allocate(x.dtype, sizeOf(outShape));
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const m = idx.length;
  const data = c.data;
  let q = 0;
  for (let o = 0; o < outer; o++) {
    const base = c.offset + o * n * inner;
    for (let j = 0; j < m; j++) {
      const p = base + idx[j]! * inner;
      if (inner < 512) for (let i = 0; i < inner; i++) out[q++] = data[p + i]!;
      else {
        out.set(data.subarray(p, p + inner), q);
        q += inner;
      }
    }
  }
  return new Tensor(out, outShape);
}

/**
 * The adjoint of {@link take}: a zero tensor of `shape` into which `src` is added at `indices` along
 * `axis` (flattened when `axis` is null); repeated indices accumulate.   ∂src = take(grad, indices, axis)
 */
export function indexAdd(shape: readonly number[], axis: number | null | undefined, indices: IndicesLike, src: Tensor): Tensor {
  const size = sizeOf(shape);
  const flatMode = axis === undefined || axis === null;
  const ax = flatMode ? 0 : normalizeAxis('indexAdd', axis, shape.length);
  const n = flatMode ? size : shape[ax]!;
  const { idx, shape: ishape } = resolveIndices('indexAdd', indices, n, flatMode ? null : ax);
  const expected = flatMode ? ishape : [...shape.slice(0, ax), ...ishape, ...shape.slice(ax + 1)];
  if (!shapesEqual(src.shape, expected)) {
    throw new ShapeError(
      `indexAdd: src has shape ${fmtShape(src.shape)}; expected ${fmtShape(expected)} for target ${fmtShape(shape)}, ` +
        `axis ${flatMode ? 'null' : ax} and indices of shape ${fmtShape(ishape)}`,
    );
  }
  const acc = new Float64Array(size);
  const s = src.values();
  const outer = flatMode ? 1 : sizeOf(shape.slice(0, ax));
  const inner = flatMode ? 1 : sizeOf(shape.slice(ax + 1));
  const m = idx.length;
  let q = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let j = 0; j < m; j++) {
      const p = base + idx[j]! * inner;
      for (let i = 0; i < inner; i++) acc[p + i] += s[q++]!;
    }
  }
  const out = allocate(src.dtype, size);
  out.set(acc); // converts like element assignment (rounds to float32, truncates to int32)
  return new Tensor(out, shape);
}

/** Validates gather/scatterAdd index shapes against the data shape (`ax` already normalised). */
function checkGatherShapes(fn: string, dataShape: readonly number[], ishape: readonly number[], ax: number, what: string): void {
  if (ishape.length !== dataShape.length) {
    throw new ShapeError(
      `${fn}: indices have shape ${fmtShape(ishape)} but ${what} has shape ${fmtShape(dataShape)}; expected the same number of dimensions`,
    );
  }
  for (let d = 0; d < ishape.length; d++) {
    if (d !== ax && ishape[d]! > dataShape[d]!) {
      throw new ShapeError(
        `${fn}: indices of shape ${fmtShape(ishape)} exceed ${what} of shape ${fmtShape(dataShape)} in dimension ${d}; ` +
          `expected indices.shape[d] ≤ ${what}.shape[d] for d ≠ axis ${ax}`,
      );
    }
  }
}

/**
 * PyTorch's `gather`: `out[i][j][k] = x[i][indices[i][j][k]][k]` for axis 1 (likewise for other axes);
 * `indices` has the same number of dimensions as `x` and the result its shape.
 * ∂x = scatterAdd(x.shape, indices, grad, axis)
 */
export function gather(x: Tensor, indices: IndicesLike, axis: number): Tensor {
  if (x.ndim === 0) throw new ShapeError('gather: got a 0-d tensor; expected at least 1 dimension');
  const ax = normalizeAxis('gather', axis, x.ndim);
  const { idx, shape } = resolveIndices('gather', indices, x.shape[ax]!, ax);
  checkGatherShapes('gather', x.shape, shape, ax, 'x');
  const out = allocate(x.dtype, idx.length);
  if (idx.length === 0) return new Tensor(out, shape);
  const nd = shape.length;
  const xs = x.strides;
  const data = x.data;
  const counter = new Array<number>(nd).fill(0);
  const last = shape[nd - 1]!;
  const lastStride = ax === nd - 1 ? 0 : xs[nd - 1]!;
  const axStride = xs[ax]!;
  let p = x.offset;
  for (let q = 0; q < idx.length; q += last) {
    for (let k = 0; k < last; k++) out[q + k] = data[p + k * lastStride + idx[q + k]! * axStride]!;
    for (let d = nd - 2; d >= 0; d--) {
      const st = d === ax ? 0 : xs[d]!;
      p += st;
      if (++counter[d]! < shape[d]!) break;
      p -= st * shape[d]!;
      counter[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

/**
 * The adjoint of {@link gather}: a zero tensor of `shape` with `src[i][j][k]` added at
 * `[i][indices[i][j][k]][k]` (axis 1); `indices` and `src` have the same shape.
 * ∂src = gather(grad, indices, axis)
 */
export function scatterAdd(shape: readonly number[], indices: IndicesLike, src: Tensor, axis: number): Tensor {
  if (shape.length === 0) throw new ShapeError('scatterAdd: target shape is 0-d; expected at least 1 dimension');
  const ax = normalizeAxis('scatterAdd', axis, shape.length);
  const { idx, shape: ishape } = resolveIndices('scatterAdd', indices, shape[ax]!, ax);
  checkGatherShapes('scatterAdd', shape, ishape, ax, 'the target');
  if (!shapesEqual(ishape, src.shape)) {
    throw new ShapeError(`scatterAdd: indices have shape ${fmtShape(ishape)} but src has ${fmtShape(src.shape)}; expected equal shapes`);
  }
  const size = sizeOf(shape);
  const acc = new Float64Array(size);
  const strides = contiguousStrides(shape);
  const s = src.values();
  const nd = ishape.length;
  if (idx.length > 0) {
    const counter = new Array<number>(nd).fill(0);
    const last = ishape[nd - 1]!;
    const lastStride = ax === nd - 1 ? 0 : strides[nd - 1]!;
    const axStride = strides[ax]!;
    let p = 0;
    for (let q = 0; q < idx.length; q += last) {
      for (let k = 0; k < last; k++) acc[p + k * lastStride + idx[q + k]! * axStride] += s[q + k]!;
      for (let d = nd - 2; d >= 0; d--) {
        const st = d === ax ? 0 : strides[d]!;
        p += st;
        if (++counter[d]! < ishape[d]!) break;
        p -= st * ishape[d]!;
        counter[d] = 0;
      }
    }
  }
  const out = allocate(src.dtype, size);
  out.set(acc); // converts like element assignment (rounds to float32, truncates to int32)
  return new Tensor(out, shape);
}

/**
 * One-hot encoding: a tensor of shape `labels.shape + [numClasses]` with 1 at each label's class.
 * Labels must be integers in [0, numClasses).
 * @example oneHot([2, 0], 3)   // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(labels: IndicesLike, numClasses: number, options: OneHotOptions = {}): Tensor {
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new ValueError(`oneHot: numClasses ${numClasses} must be a positive integer`);
  }
  const { shape, values } = readIndices('oneHot', labels);
  const out = allocate(options.dtype ?? 'float32', values.length * numClasses);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) throw new ValueError(`oneHot: label ${v} at position ${i} is not an integer; expected class indices`);
    if (v < 0 || v >= numClasses) {
      throw new IndexError(
        `oneHot: label ${v} at position ${i} is out of range for numClasses ${numClasses} (expected 0 ≤ label < ${numClasses})`,
      );
    }
    out[i * numClasses + v] = 1;
  }
  return new Tensor(out, [...shape, numClasses]);
}
