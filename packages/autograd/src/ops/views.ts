/**
 * The op table, views and shape changes. The forward is a Tensor view (no copy when the strides allow);
 * the VJP is the adjoint view. These ops are linear, so the JVP is the op itself applied to the tangent.
 */
import * as K from '@tapegrad/tensor';
import { ShapeError, fmtShape, normalizeAxis, shapesEqual } from '@tapegrad/tensor';
import type { Operand } from '../core.js';
import { toVariable } from '../variable.js';
import { composite, primitive, type OpFunction } from './spec.js';

/** A shape or axes list given either as separate numbers or as one array. */
export type Dims = number[] | [readonly number[]];

/** `[2, 3]` from `(2, 3)` or `([2, 3])`. */
function dims(args: Dims): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

/** The same elements in a new shape (one dimension may be -1). */
export const reshape: OpFunction<[x: Operand, ...shape: Dims]> = primitive({
  name: 'reshape',
  math: 'y = x viewed as shape   ∂x = reshape(g, shape(x))   ẏ = reshape(ẋ, shape)',
  names: ['x'],
  args: (x: Operand, ...shape: Dims) => ({ inputs: [toVariable(x)], params: { shape: dims(shape) } }),
  forward: ([x], { shape }) => x!.reshape(shape),
  vjp: [(g, { x }) => g.reshape(x.shape)],
  jvp: [(dx, { y }) => dx.reshape(y.shape)],
});

/** Reorders the axes: result axis `i` is input axis `axes[i]`. */
export const permute: OpFunction<[x: Operand, ...axes: Dims]> = primitive({
  name: 'permute',
  math: 'y = permute(x, axes)   ∂x = permute(g, axes⁻¹)   ẏ = permute(ẋ, axes)',
  names: ['x'],
  args: (x: Operand, ...axes: Dims) => {
    const v = toVariable(x);
    const given = dims(axes);
    const resolved = given.map((a) => normalizeAxis('permute', a, v.ndim));
    if (resolved.length !== v.ndim || new Set(resolved).size !== v.ndim) {
      throw new ShapeError(`permute: axes [${given.join(', ')}] are not a permutation of the ${v.ndim} axes of ${fmtShape(v.shape)}`);
    }
    return { inputs: [v], params: { axes: resolved } };
  },
  forward: ([x], { axes }) => x!.permute(axes),
  vjp: [(g, { axes }) => g.permute(inversePermutation(axes))],
  jvp: [(dx, { axes }) => dx.permute(axes)],
});

/** The permutation that undoes `axes`. */
function inversePermutation(axes: readonly number[]): number[] {
  const inverse = new Array<number>(axes.length);
  axes.forEach((a, i) => (inverse[a] = i));
  return inverse;
}

/** Reverses the axes, or permutes them when `axes` is given. */
export const transpose: OpFunction<[x: Operand, ...axes: Dims]> = composite({
  name: 'transpose',
  math: 'y = xᵀ (axes reversed, or permuted)   composite: a permute',
  fn: (x: Operand, ...axes: Dims) => {
    const v = toVariable(x);
    const given = dims(axes);
    return permute(v, given.length > 0 ? given : v.shape.map((_, i) => v.ndim - 1 - i));
  },
});

/** Exchanges two axes. */
export const swapAxes: OpFunction<[x: Operand, a: number, b: number]> = composite({
  name: 'swapAxes',
  math: 'y = x with axes a and b exchanged   composite: a permute',
  fn: (x: Operand, a: number, b: number) => {
    const v = toVariable(x);
    const axes = v.shape.map((_, i) => i);
    const i = normalizeAxis('swapAxes', a, v.ndim);
    const j = normalizeAxis('swapAxes', b, v.ndim);
    [axes[i], axes[j]] = [axes[j]!, axes[i]!];
    return permute(v, axes);
  },
});

/** Broadcasts to `shape` (size-1 or new leading dimensions repeat). */
export const expand: OpFunction<[x: Operand, ...shape: Dims]> = primitive({
  name: 'expand',
  math: 'y = x broadcast to shape   ∂x = sumTo(g, shape(x))   ẏ = expand(ẋ, shape)',
  names: ['x'],
  args: (x: Operand, ...shape: Dims) => {
    const v = toVariable(x);
    const to = dims(shape);
    return shapesEqual(v.shape, to) ? v : { inputs: [v], params: { shape: to } };
  },
  forward: ([x], { shape }) => x!.expand(shape),
  vjp: [(g, { x }) => g.sumTo(x.shape)],
  jvp: [(dx, { shape }) => dx.expand(shape)],
});

/** Sums a broadcast result back to `shape` (the adjoint of {@link expand}). */
export const sumTo: OpFunction<[x: Operand, shape: readonly number[]]> = primitive({
  name: 'sumTo',
  math: 'y = x summed back to shape (undoes a broadcast)   ∂x = expand(g, shape(x))   ẏ = sumTo(ẋ, shape)',
  names: ['x'],
  args: (x: Operand, shape: readonly number[]) => {
    const v = toVariable(x);
    return shapesEqual(v.shape, shape) ? v : { inputs: [v], params: { shape: [...shape] } };
  },
  forward: ([x], { shape }) => K.sumTo(x!, shape),
  vjp: [(g, { x }) => g.expand(x.shape)],
  jvp: [(dx, { shape }) => dx.sumTo(shape)],
});

/** Removes size-1 axes (all, or the ones named). */
export const squeeze: OpFunction<[x: Operand, axes?: number | readonly number[]]> = primitive({
  name: 'squeeze',
  math: 'y = x without size-1 axes   ∂x = reshape(g, shape(x))   ẏ = squeeze(ẋ)',
  names: ['x'],
  args: (x: Operand, axes?: number | readonly number[]) => ({ inputs: [toVariable(x)], params: { axes } }),
  forward: ([x], { axes }) => x!.squeeze(axes),
  vjp: [(g, { x }) => g.reshape(x.shape)],
  jvp: [(dx, { axes }) => dx.squeeze(axes)],
});

/** Inserts a size-1 axis at `axis`. */
export const unsqueeze: OpFunction<[x: Operand, axis: number]> = primitive({
  name: 'unsqueeze',
  math: 'y = x with a size-1 axis inserted   ∂x = reshape(g, shape(x))   ẏ = unsqueeze(ẋ)',
  names: ['x'],
  args: (x: Operand, axis: number) => ({ inputs: [toVariable(x)], params: { axis } }),
  forward: ([x], { axis }) => x!.unsqueeze(axis),
  vjp: [(g, { x }) => g.reshape(x.shape)],
  jvp: [(dx, { axis }) => dx.unsqueeze(axis)],
});

/** Merges axes `startAxis..endAxis` (default: all) into one. */
export const flatten: OpFunction<[x: Operand, startAxis?: number, endAxis?: number]> = primitive({
  name: 'flatten',
  math: 'y = x with axes start..end merged   ∂x = reshape(g, shape(x))   ẏ = flatten(ẋ)',
  names: ['x'],
  args: (x: Operand, startAxis = 0, endAxis = -1) => ({ inputs: [toVariable(x)], params: { startAxis, endAxis } }),
  forward: ([x], { startAxis, endAxis }) => x!.flatten(startAxis, endAxis),
  vjp: [(g, { x }) => g.reshape(x.shape)],
  jvp: [(dx, { startAxis, endAxis }) => dx.flatten(startAxis, endAxis)],
});
