/**
 * The op table, indexing and joining: slices, gathers and takes with their adjoints (scatter-adds), concat,
 * stack and split. All are linear, so each JVP is the op itself applied to the tangent, and each VJP is the
 * adjoint op.
 */
import * as K from '@tapegrad/tensor';
import { ShapeError, ValueError, fmtShape, normalizeAxis, shapesEqual, type SliceSpec, type Tensor } from '@tapegrad/tensor';
import type { Operand, Variable } from '../core.js';
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
    const idx = Array.isArray(indices)
      ? K.tensor(indices as number[], undefined, { dtype: 'int32' })
      : toVariable(indices as Indices, undefined, 'take').value;
    return { inputs: [v], params: { indices: idx, axis: axis === null ? null : normalizeAxis('take', axis, v.ndim) } };
  },
  forward: ([x], { indices, axis }) => K.take(x!, indices, axis),
  vjp: [(g, { x, indices, axis }) => indexAdd(g, x.shape, axis, indices)],
  jvp: [(dx, { indices, axis }) => take(dx, indices, axis)],
});

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

/** Joins variables along an existing axis. */
export const concat: OpFunction<[xs: readonly Operand[], axis?: number], Variable, false> = primitive({
  name: 'concat',
  math: 'y = concat(xs, axis)   ∂xᵢ = g[…, offsetᵢ : offsetᵢ + nᵢ, …]   ẏ = concat(ẋs, axis)',
  args: (xs: readonly Operand[], axis = 0) => {
    if (xs.length === 0) throw new ValueError('concat: got an empty list; expected at least one variable');
    const vs = xs.map((x) => toVariable(x));
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

/** Joins same-shape variables along a new axis. */
export const stack: OpFunction<[xs: readonly Operand[], axis?: number], Variable, false> = primitive({
  name: 'stack',
  math: 'y = stack(xs, axis)   ∂xᵢ = g[…, i, …]   ẏ = stack(ẋs, axis)',
  args: (xs: readonly Operand[], axis = 0) => {
    if (xs.length === 0) throw new ValueError('stack: got an empty list; expected at least one variable');
    const vs = xs.map((x) => toVariable(x));
    return { inputs: vs, params: { axis: normalizeAxis('stack', axis, vs[0]!.ndim + 1) } };
  },
  forward: (xs, { axis }) => K.stack(xs, axis),
  vjp: (g, { inputs, axis }) => inputs.map((_, i) => g.slice(...along(g.ndim, axis, i))),
  jvp: (tangents, { axis }) => stack(tangents, axis),
  method: false,
});

/** Splits along `axis` into pieces of the given sizes, or into `sections` equal pieces. */
export const split: OpFunction<[x: Operand, sizesOrSections: number | readonly number[], axis?: number], Variable[]> = composite({
  name: 'split',
  math: 'ys = pieces of x along an axis   composite: slices',
  fn: (x: Operand, sizesOrSections: number | readonly number[], axis = 0) => {
    const v = toVariable(x);
    const a = normalizeAxis('split', axis, v.ndim);
    const n = v.shape[a]!;
    let sizes: number[];
    if (typeof sizesOrSections === 'number') {
      if (n % sizesOrSections !== 0) {
        throw new ShapeError(`split: axis ${a} of ${fmtShape(v.shape)} does not divide into ${sizesOrSections} equal sections`);
      }
      sizes = new Array<number>(sizesOrSections).fill(n / sizesOrSections);
    } else sizes = [...sizesOrSections];
    if (sizes.reduce((s, d) => s + d, 0) !== n) {
      throw new ShapeError(`split: sizes [${sizes.join(', ')}] do not add up to ${n} (axis ${a} of ${fmtShape(v.shape)})`);
    }
    let start = 0;
    return sizes.map((d) => {
      start += d;
      return slice(v, ...along(v.ndim, a, [start - d, start]));
    });
  },
});
