/**
 * The op table, indexing and joining: slices, gathers and takes with their adjoints (scatter-adds), concat,
 * stack and split. All are linear, so each JVP is the op itself applied to the tangent, and each VJP is the
 * adjoint op.
 */
import * as K from '@tapegrad/tensor';
import {
  DTypeError,
  ShapeError,
  Tensor,
  ValueError,
  fmtShape,
  fmtValue,
  normalizeAxis,
  shapesEqual,
  type SliceSpec,
} from '@tapegrad/tensor';
import { Variable, type Operand } from '../core.js';
import { toVariable } from '../variable.js';
import { composite, primitive, type OpFunction } from './spec.js';

/** Basic indexing, one spec per leading axis (see `Tensor.slice`). */
export const slice: OpFunction<[x: Operand, ...specs: SliceSpec[]]> = primitive({
  name: 'slice',
  math: 'y = x[specs]   ∂x = g scattered into zeros at [specs]   ẏ = ẋ[specs]',
  names: ['x'],
  args: (x: Operand, ...specs: SliceSpec[]) => ({ inputs: [toVariable(x)], params: { specs } }),
  forward: ([x], { specs }) => x!.slice(...specs),
  vjp: [(g, { x, specs }) => sliceBackward(g, x.shape, specs)],
  jvp: [(dx, { specs }) => dx.slice(...specs)],
});

/** `x[i]` along axis 0. */
export const index: OpFunction<[x: Operand, i: number]> = composite({
  name: 'index',
  math: 'y = x[i]   composite: a slice',
  fn: (x: Operand, i: number) => slice(x, i),
});

/** zeros of `shape` with `x` written at `[specs]`: the adjoint of {@link slice}. */
export const sliceBackward: OpFunction<[x: Operand, shape: readonly number[], specs: readonly SliceSpec[]]> = primitive({
  name: 'sliceBackward',
  math: 'y = zeros(shape) with y[specs] = x   ∂x = g[specs]   ẏ = sliceBackward(ẋ)',
  names: ['x'],
  args: (x: Operand, shape: readonly number[], specs: readonly SliceSpec[]) => ({ inputs: [toVariable(x)], params: { shape, specs } }),
  forward: ([x], { shape, specs }) => {
    const out = K.zeros(shape, { dtype: x!.dtype });
    assignInto(out.slice(...specs), x!);
    return out;
  },
  vjp: [(g, { specs }) => g.slice(...specs)],
  jvp: [(dx, { shape, specs }) => sliceBackward(dx, shape, specs)],
});

/** Writes `src` (any layout, same shape) into the strided view `dst`, element by element in row-major order. */
function assignInto(dst: Tensor, src: Tensor): void {
  if (!shapesEqual(dst.shape, src.shape)) {
    throw new ShapeError(`sliceBackward: gradient of shape ${fmtShape(src.shape)} does not fit the slice of shape ${fmtShape(dst.shape)}`);
  }
  const values = src.values();
  const { data, shape, strides } = dst;
  const nd = shape.length;
  const size = values.length;
  if (size === 0) return;
  const counter = new Array<number>(nd).fill(0);
  let p = dst.offset;
  for (let i = 0; i < size; i++) {
    data[p] = values[i]!;
    for (let d = nd - 1; d >= 0; d--) {
      p += strides[d]!;
      if (++counter[d]! < shape[d]!) break;
      p -= strides[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
}

/** Index tensors given as Tensors or Variables (their values; indices carry no gradient). */
type Indices = Tensor | Variable;

/** torch.gather: `y[i][j] = x[idx[i][j]][j]` along `axis`; `indices` has x's ndim. */
export const gather: OpFunction<[x: Operand, indices: Indices, axis: number]> = primitive({
  name: 'gather',
  math: 'y = gather(x, idx, axis)   ∂x = scatterAdd(g, shape(x), idx, axis)   ẏ = gather(ẋ, idx, axis)',
  names: ['x'],
  args: (x: Operand, indices: Indices, axis: number) => {
    const v = toVariable(x);
    return { inputs: [v], params: { indices: toVariable(indices).value, axis: normalizeAxis('gather', axis, v.ndim) } };
  },
  forward: ([x], { indices, axis }) => K.gather(x!, indices, axis),
  vjp: [(g, { x, indices, axis }) => scatterAdd(g, x.shape, indices, axis)],
  jvp: [(dx, { indices, axis }) => gather(dx, indices, axis)],
});

/** zeros of `shape` with `x` added at `indices` along `axis`: the adjoint of {@link gather}. */
export const scatterAdd: OpFunction<[x: Operand, shape: readonly number[], indices: Indices, axis: number]> = primitive({
  name: 'scatterAdd',
  math: 'y = scatterAdd(zeros(shape), idx, x, axis)   ∂x = gather(g, idx, axis)   ẏ = scatterAdd(ẋ)',
  names: ['x'],
  args: (x: Operand, shape: readonly number[], indices: Indices, axis: number) => ({
    inputs: [toVariable(x)],
    params: { shape, indices: toVariable(indices).value, axis },
  }),
  forward: ([x], { shape, indices, axis }) => K.scatterAdd(shape, indices, x!, axis),
  vjp: [(g, { indices, axis }) => gather(g, indices, axis)],
  jvp: [(dx, { shape, indices, axis }) => scatterAdd(dx, shape, indices, axis)],
});

/**
 * numpy.take, like the tensor `take`: picks whole slices along `axis` at `indices` (the result has shape
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]`), or, with `axis` omitted (or null), elements of the
 * flattened `x` (the result has the indices' shape). Pass `axis` 0 to pick rows (an embedding lookup).
 * @example take(x, [1])      // x of shape [2, 3] → shape [1]: the element at flat index 1
 * @example take(x, [1], 0)   // x of shape [2, 3] → shape [1, 3]: row 1
 */
export const take: OpFunction<[x: Operand, indices: Indices | readonly number[], axis?: number | null]> = primitive({
  name: 'take',
  math: 'y = take(x, idx, axis)   ∂x = indexAdd(g, shape(x), axis, idx)   ẏ = take(ẋ, idx, axis)   (no axis: of the flattened x)',
  names: ['x'],
  args: (x: Operand, indices: Indices | readonly number[], axis: number | null = null) => {
    const v = toVariable(x, undefined, 'take');
    const idx = Array.isArray(indices) ? indexTensor(indices) : toVariable(indices as Indices, undefined, 'take').value;
    return { inputs: [v], params: { indices: idx, axis: axis === null ? null : normalizeAxis('take', axis, v.ndim) } };
  },
  forward: ([x], { indices, axis }) => K.take(x!, indices, axis),
  vjp: [(g, { x, indices, axis }) => indexAdd(g, x.shape, axis, indices)],
  jvp: [(dx, { indices, axis }) => take(dx, indices, axis)],
});

/**
 * Plain-number indices as an int32 tensor. Any that is not an int32 integer (1.5, 2³²) keeps the whole tensor in
 * float64, exact, so that the kernel refuses it at the call with its own message (the conversion to int32 would
 * truncate 1.5 to 1, and refuse 2³² under its own name).
 */
function indexTensor(indices: readonly unknown[]): Tensor {
  const exact = K.tensor(indices as number[], undefined, { dtype: 'float64' });
  const values = exact.values();
  for (let i = 0; i < values.length; i++) if (values[i] !== (values[i]! | 0)) return exact;
  return exact.astype('int32');
}

/**
 * zeros of `shape` with the slices of `x` added at `indices` along `axis` (into the flattened zeros when `axis`
 * is null): the adjoint of {@link take}.
 */
export const indexAdd: OpFunction<[x: Operand, shape: readonly number[], axis: number | null, indices: Indices]> = primitive({
  name: 'indexAdd',
  math: 'y = indexAdd(zeros(shape), axis, idx, x)   ∂x = take(g, idx, axis)   ẏ = indexAdd(ẋ)',
  names: ['x'],
  args: (x: Operand, shape: readonly number[], axis: number | null, indices: Indices) => ({
    inputs: [toVariable(x)],
    params: { shape, axis, indices: toVariable(indices).value },
  }),
  forward: ([x], { shape, axis, indices }) => K.indexAdd(shape, axis, indices, x!),
  vjp: [(g, { indices, axis }) => take(g, indices, axis)],
  jvp: [(dx, { shape, axis, indices }) => indexAdd(dx, shape, axis, indices)],
});

/** The slice specs that select `[start, start + n)` along `axis` of an `ndim`-d variable. */
function along(ndim: number, axis: number, at: SliceSpec): SliceSpec[] {
  const specs: SliceSpec[] = new Array<SliceSpec>(ndim).fill(null);
  specs[axis] = at;
  return specs;
}

/**
 * The inputs of a join (`concat`, `stack`) as variables, converted as a binary op converts its operands: numbers take
 * the dtype of the first float input, int32 constants are converted to it, and a second float dtype is a DTypeError
 * (the result would have the wider dtype, and the backward could not hand the narrower input its gradient).
 */
function joinInputs(fn: 'concat' | 'stack', xs: unknown): Variable[] {
  if (!Array.isArray(xs)) throw new ValueError(`${fn}: expected an array of variables, got ${fmtValue(xs)}`);
  if (xs.length === 0) throw new ValueError(`${fn}: got an empty list; expected at least one variable`);
  const operands = xs as Operand[];
  const given = operands.map((x) => (x instanceof Variable || x instanceof Tensor ? toVariable(x) : null));
  const like = given.find((v) => v !== null && v.dtype !== 'int32') ?? undefined;
  const vs = operands.map((x, i) => given[i] ?? toVariable(x, like, fn));
  const f = vs.findIndex((v) => v.dtype !== 'int32');
  if (f < 0) return vs;
  const first = vs[f]!;
  return vs.map((v, i) => {
    if (v.dtype === first.dtype) return v;
    if (v.dtype === 'int32' && !v.requiresGrad) return new Variable(v.value.astype(first.dtype));
    throw new DTypeError(
      `${fn}: inputs have different dtypes ${first.dtype} ${fmtShape(first.shape)} (xs[${f}]) and ${v.dtype} ${fmtShape(v.shape)} ` +
        `(xs[${i}]); convert one with variable(x, { dtype })`,
    );
  });
}

/** Joins variables along an existing axis; all must have one float dtype (int32 constants are converted to it). */
export const concat: OpFunction<[xs: readonly Operand[], axis?: number], Variable, false> = primitive({
  name: 'concat',
  math: 'y = concat(xs, axis)   ∂xᵢ = g[…, offsetᵢ : offsetᵢ + nᵢ, …]   ẏ = concat(ẋs, axis)',
  args: (xs: readonly Operand[], axis = 0) => {
    const vs = joinInputs('concat', xs);
    return { inputs: vs, params: { axis: normalizeAxis('concat', axis, vs[0]!.ndim) } };
  },
  forward: (xs, { axis }) => K.concat(xs, axis),
  vjp: (g, { inputs, axis }) => {
    let start = 0;
    return inputs.map((x) => {
      const n = x.shape[axis]!;
      start += n;
      return g.slice(...along(x.ndim, axis, [start - n, start]));
    });
  },
  jvp: (tangents, { axis }) => concat(tangents, axis),
  method: false,
});

/** Joins same-shape variables along a new axis; all must have one float dtype (int32 constants are converted to it). */
export const stack: OpFunction<[xs: readonly Operand[], axis?: number], Variable, false> = primitive({
  name: 'stack',
  math: 'y = stack(xs, axis)   ∂xᵢ = g[…, i, …]   ẏ = stack(ẋs, axis)',
  args: (xs: readonly Operand[], axis = 0) => {
    const vs = joinInputs('stack', xs);
    return { inputs: vs, params: { axis: normalizeAxis('stack', axis, vs[0]!.ndim + 1) } };
  },
  forward: (xs, { axis }) => K.stack(xs, axis),
  vjp: (g, { inputs, axis }) => inputs.map((_, i) => g.slice(...along(g.ndim, axis, i))),
  jvp: (tangents, { axis }) => stack(tangents, axis),
  method: false,
});

/**
 * Splits along `axis` into pieces of the given sizes (non-negative integers adding up to the axis), or into
 * `sections` equal pieces (a positive divisor of the axis); the errors are the tensor `split`'s.
 */
export const split: OpFunction<[x: Operand, sizesOrSections: number | readonly number[], axis?: number], Variable[]> = composite({
  name: 'split',
  math: 'ys = pieces of x along an axis   composite: slices',
  fn: (x: Operand, sizesOrSections: number | readonly number[], axis = 0) => {
    const v = toVariable(x, undefined, 'split');
    if (v.ndim === 0) throw new ShapeError('split: got a 0-d tensor; expected at least 1 dimension');
    const a = normalizeAxis('split', axis, v.ndim);
    let start = 0;
    return K.splitSizes('split', v.shape, a, sizesOrSections).map((d) => {
      start += d;
      return slice(v, ...along(v.ndim, a, [start - d, start]));
    });
  },
});
