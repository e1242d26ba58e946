import * as K from '@tapegrad/tensor';
import { ShapeError, ValueError, fmtShape, normalizeAxis, shapesEqual, type SliceSpec, type Tensor } from '@tapegrad/tensor';
import { apply, type Op } from '../op.js';
import { toVariable, type Operand } from '../variable.js';
import type { Variable } from '../variable.js';

// Views: forward is a Tensor view (no copy when the strides allow), backward is the adjoint view or scatter.

/** y = x viewed as `shape`   ∂x = reshape(g, shape(x)) */
export const Reshape = (name: string, view: (x: Tensor) => Tensor): Op => ({
  name,
  forward: ([x]) => view(x),
  backward: (g, { inputs: [x] }) => [g.reshape(x.shape)],
});

/** y = permute(x, axes)   ∂x = permute(g, axes⁻¹) */
export const Permute = (axes: readonly number[]): Op => ({
  name: 'permute',
  forward: ([x]) => x.permute(axes),
  backward: (g) => {
    const inverse = new Array<number>(axes.length);
    axes.forEach((a, i) => (inverse[a] = i));
    return [g.permute(inverse)];
  },
});

/** y = x broadcast to `shape`   ∂x = sumTo(g, shape(x)) */
export const Expand = (shape: readonly number[]): Op => ({
  name: 'expand',
  forward: ([x]) => x.expand(shape),
  backward: (g, { inputs: [x] }) => [sumTo(g, x.shape)],
});

/** y = sumTo(x, shape) (undo a broadcast)   ∂x = expand(g, shape(x)) */
export const SumTo = (shape: readonly number[]): Op => ({
  name: 'sumTo',
  forward: ([x]) => K.sumTo(x, shape),
  backward: (g, { inputs: [x] }) => [expand(g, x.shape)],
});

/** y = x[specs]   ∂x = g scattered into zeros at [specs] */
export const Slice = (specs: readonly SliceSpec[]): Op => ({
  name: 'slice',
  forward: ([x]) => x.slice(...specs),
  backward: (g, { inputs: [x] }) => [apply(SliceBackward(x.shape, specs), [g])],
});

/** y = zeros(shape) with y[specs] = x (the adjoint of slice)   ∂x = g[specs] */
export const SliceBackward = (shape: readonly number[], specs: readonly SliceSpec[]): Op => ({
  name: 'sliceBackward',
  forward: ([x]) => {
    const out = K.zeros(shape, { dtype: x.dtype });
    assignInto(out.slice(...specs), x);
    return out;
  },
  backward: (g) => [g.slice(...specs)],
});

/** y = concat(xs, axis)   ∂xᵢ = g[…, offsetᵢ : offsetᵢ + nᵢ, …] */
export const Concat = (axis: number): Op => ({
  name: 'concat',
  forward: (xs) => K.concat(xs, axis),
  backward: (g, { inputs }) => {
    let start = 0;
    return inputs.map((x) => {
      const n = x.shape[axis]!;
      const specs: SliceSpec[] = x.shape.map(() => null);
      specs[axis] = [start, start + n];
      start += n;
      return g.slice(...specs);
    });
  },
});

/** y = stack(xs, axis)   ∂xᵢ = g[…, i, …] */
export const Stack = (axis: number): Op => ({
  name: 'stack',
  forward: (xs) => K.stack(xs, axis),
  backward: (g, { inputs }) =>
    inputs.map((_, i) => {
      const specs: SliceSpec[] = g.shape.map(() => null);
      specs[axis] = i;
      return g.slice(...specs);
    }),
});

/** y = gather(x, idx, axis)   ∂x = scatterAdd(shape(x), idx, g, axis) */
export const Gather = (indices: Tensor, axis: number): Op => ({
  name: 'gather',
  forward: ([x]) => K.gather(x, indices, axis),
  backward: (g, { inputs: [x] }) => [apply(ScatterAdd(x.shape, indices, axis), [g])],
});

/** y = scatterAdd(shape, idx, x, axis)   ∂x = gather(g, idx, axis) */
export const ScatterAdd = (shape: readonly number[], indices: Tensor, axis: number): Op => ({
  name: 'scatterAdd',
  forward: ([src]) => K.scatterAdd(shape, indices, src, axis),
  backward: (g) => [apply(Gather(indices, axis), [g])],
});

/** y = take(x, idx, axis)   ∂x = indexAdd(shape(x), axis, idx, g) */
export const Take = (indices: Tensor, axis: number): Op => ({
  name: 'take',
  forward: ([x]) => K.take(x, indices, axis),
  backward: (g, { inputs: [x] }) => [apply(IndexAdd(x.shape, axis, indices), [g])],
});

/** y = indexAdd(shape, axis, idx, x)   ∂x = take(g, idx, axis) */
export const IndexAdd = (shape: readonly number[], axis: number, indices: Tensor): Op => ({
  name: 'indexAdd',
  forward: ([src]) => K.indexAdd(shape, axis, indices, src),
  backward: (g) => [apply(Take(indices, axis), [g])],
});

// ---- free functions -----------------------------------------------------------------------------

/** The same elements in a new shape (one dimension may be -1). */
export function reshape(x: Operand, shape: readonly number[]): Variable {
  const v = toVariable(x);
  return apply(Reshape('reshape', (t) => t.reshape(shape)), [v]);
}

/** Reorders the axes: result axis `i` is input axis `axes[i]`. */
export function permute(x: Operand, axes: readonly number[]): Variable {
  const v = toVariable(x);
  const resolved = axes.map((a) => normalizeAxis('permute', a, v.ndim));
  if (resolved.length !== v.ndim || new Set(resolved).size !== v.ndim) {
    throw new ShapeError(`permute: axes [${axes.join(', ')}] are not a permutation of the ${v.ndim} axes of ${fmtShape(v.shape)}`);
  }
  return apply(Permute(resolved), [v]);
}

/** Reverses the axes, or permutes them when `axes` is given. */
export function transpose(x: Operand, axes?: readonly number[]): Variable {
  const v = toVariable(x);
  return permute(v, axes && axes.length > 0 ? axes : v.shape.map((_, i) => v.ndim - 1 - i));
}

/** Exchanges two axes. */
export function swapAxes(x: Operand, a: number, b: number): Variable {
  const v = toVariable(x);
  const axes = v.shape.map((_, i) => i);
  const i = normalizeAxis('swapAxes', a, v.ndim);
  const j = normalizeAxis('swapAxes', b, v.ndim);
  [axes[i], axes[j]] = [axes[j]!, axes[i]!];
  return permute(v, axes);
}

/** Basic indexing, one spec per leading axis (see `Tensor.slice`). */
export function slice(x: Operand, ...specs: SliceSpec[]): Variable {
  return apply(Slice(specs), [toVariable(x)]);
}

/** `index(x, i)` is `x[i]` along axis 0. */
export function index(x: Operand, i: number): Variable {
  return apply(Slice([i]), [toVariable(x)]);
}

/** Broadcasts to `shape` (size-1 or new leading dimensions repeat). */
export function expand(x: Operand, shape: readonly number[]): Variable {
  const v = toVariable(x);
  if (shapesEqual(v.shape, shape)) return v;
  return apply(Expand([...shape]), [v]);
}

/** Sums a broadcast result back to `shape` (the adjoint of {@link expand}). */
export function sumTo(x: Operand, shape: readonly number[]): Variable {
  const v = toVariable(x);
  if (shapesEqual(v.shape, shape)) return v;
  return apply(SumTo([...shape]), [v]);
}

/** Removes size-1 axes (all, or the ones named). */
export function squeeze(x: Operand, axes?: number | readonly number[]): Variable {
  return apply(Reshape('squeeze', (t) => t.squeeze(axes)), [toVariable(x)]);
}

/** Inserts a size-1 axis at `axis`. */
export function unsqueeze(x: Operand, axis: number): Variable {
  return apply(Reshape('unsqueeze', (t) => t.unsqueeze(axis)), [toVariable(x)]);
}

/** Merges axes `startAxis..endAxis` (default: all) into one. */
export function flatten(x: Operand, startAxis = 0, endAxis = -1): Variable {
  return apply(Reshape('flatten', (t) => t.flatten(startAxis, endAxis)), [toVariable(x)]);
}

/** Joins variables along an existing axis. */
export function concat(xs: readonly Operand[], axis = 0): Variable {
  if (xs.length === 0) throw new ValueError('concat: got an empty list; expected at least one variable');
  const vs = xs.map((x) => toVariable(x));
  return apply(Concat(normalizeAxis('concat', axis, vs[0]!.ndim)), vs);
}

/** Joins same-shape variables along a new axis. */
export function stack(xs: readonly Operand[], axis = 0): Variable {
  if (xs.length === 0) throw new ValueError('stack: got an empty list; expected at least one variable');
  const vs = xs.map((x) => toVariable(x));
  return apply(Stack(normalizeAxis('stack', axis, vs[0]!.ndim + 1)), vs);
}

/** Splits along `axis` into pieces of the given sizes, or into `sections` equal pieces. */
export function split(x: Operand, sizesOrSections: number | readonly number[], axis = 0): Variable[] {
  const v = toVariable(x);
  const a = normalizeAxis('split', axis, v.ndim);
  const n = v.shape[a]!;
  let sizes: number[];
  if (typeof sizesOrSections === 'number') {
    if (n % sizesOrSections !== 0) throw new ShapeError(`split: axis ${a} of ${fmtShape(v.shape)} does not divide into ${sizesOrSections} equal sections`);
    sizes = new Array<number>(sizesOrSections).fill(n / sizesOrSections);
  } else sizes = [...sizesOrSections];
  if (sizes.reduce((s, d) => s + d, 0) !== n) throw new ShapeError(`split: sizes [${sizes.join(', ')}] do not add up to ${n} (axis ${a} of ${fmtShape(v.shape)})`);
  let start = 0;
  return sizes.map((d) => {
    const specs: SliceSpec[] = v.shape.map(() => null);
    specs[a] = [start, start + d];
    start += d;
    return slice(v, ...specs);
  });
}

/** torch.gather: `y[i][j] = x[idx[i][j]][j]` along `axis`; `indices` has x's ndim. */
export function gather(x: Operand, indices: Tensor | Variable, axis: number): Variable {
  const v = toVariable(x);
  return apply(Gather(toVariable(indices).value, normalizeAxis('gather', axis, v.ndim)), [v]);
}

/** numpy.take: picks whole slices along `axis` at `indices`. */
export function take(x: Operand, indices: Tensor | Variable | readonly number[], axis = 0): Variable {
  const v = toVariable(x);
  const idx = Array.isArray(indices) ? K.tensor(indices as number[], undefined, { dtype: 'int32' }) : toVariable(indices as Tensor | Variable).value;
  return apply(Take(idx, normalizeAxis('take', axis, v.ndim)), [v]);
}

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
