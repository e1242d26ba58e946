import * as K from '@tapegrad/tensor';
import { DTypeError, Tensor, ValueError, fmtShape, type DType, type NestedArray, type SliceSpec } from '@tapegrad/tensor';
import { backward, type BackwardOptions } from './engine.js';
import type { TapeNode } from './op.js';
import * as E from './ops/elementwise.js';
import { matmul } from './ops/matmul.js';
import * as R from './ops/reduce.js';
import * as S from './ops/shape.js';

/** What an op accepts as an operand: a Variable, a Tensor (a constant) or a number (a constant scalar). */
export type Operand = Variable | Tensor | number;

/** A gradient hook: sees the gradient arriving at a variable and may return a replacement. */
export type GradHook = (grad: Variable) => Variable | Tensor | void;

/** Options of {@link variable} and {@link parameter}. */
export interface VariableOptions {
  /** Record ops on this variable so that a gradient can flow to it. */
  requiresGrad?: boolean;
  /** A label for tape listings and graph exports. */
  name?: string;
  /** Element type when creating from numbers (default float32) or converting a tensor. */
  dtype?: DType;
}

/**
 * A tensor that remembers how it was computed. `node` is the tape entry that produced it (null for a leaf
 * or a constant); `backward()` fills `grad` of every leaf that requires a gradient.
 *
 * `grad` always holds a plain Tensor (optimizers read and write it). After `backward({ createGraph: true })`,
 * `gradVariable` also holds the gradient as a Variable that is itself on the tape, for higher derivatives.
 */
export class Variable {
  /** The current value. Optimizers may update it in place. */
  value: Tensor;
  /** The accumulated gradient (a contiguous tensor of the value's shape), or null before any backward. */
  grad: Tensor | null = null;
  /** With `createGraph`, the accumulated gradient as a differentiable Variable; otherwise null. */
  gradVariable: Variable | null = null;
  /** Whether ops on this variable are recorded. */
  requiresGrad: boolean;
  /** Optional label. */
  name?: string;
  /** The tape entry that produced this variable; null for leaves and constants. */
  node: TapeNode | null = null;
  /** Hooks run, in order, on the gradient arriving here. */
  readonly hooks: GradHook[] = [];

  constructor(value: Tensor, options: { requiresGrad?: boolean; name?: string } = {}) {
    this.value = value;
    this.requiresGrad = options.requiresGrad ?? false;
    if (options.name !== undefined) this.name = options.name;
  }

  /** The shape of the value. */
  get shape(): readonly number[] {
    return this.value.shape;
  }
  /** The dtype of the value. */
  get dtype(): DType {
    return this.value.dtype;
  }
  /** The number of dimensions. */
  get ndim(): number {
    return this.value.ndim;
  }
  /** The number of elements. */
  get size(): number {
    return this.value.size;
  }
  /** True for a variable no op produced (a user-created leaf). */
  get isLeaf(): boolean {
    return this.node === null;
  }
  /** The single element as a number. */
  item(): number {
    return this.value.item();
  }
  /** The value as nested arrays. */
  toArray(): NestedArray {
    return this.value.toArray();
  }

  /** Backpropagates from this variable, accumulating into the `.grad` of every leaf that requires one. */
  backward(options: BackwardOptions = {}): void {
    backward(this, options);
  }
  /** Forgets the accumulated gradient. */
  zeroGrad(): void {
    this.grad = null;
    this.gradVariable = null;
  }
  /** The same value as a constant: no tape entry, no gradient flows through it. */
  detach(): Variable {
    return new Variable(this.value, this.name === undefined ? {} : { name: this.name });
  }
  /** Sets `requiresGrad` on a leaf and returns it. */
  requiresGrad_(flag = true): this {
    if (this.node !== null && !flag) {
      throw new ValueError(`requiresGrad_: cannot turn off gradients of a non-leaf variable (made by '${this.node.op.name}'); use detach()`);
    }
    if (flag && this.dtype === 'int32') {
      throw new DTypeError(`requiresGrad_: an int32 variable ${fmtShape(this.shape)} cannot require a gradient; convert it with astype('float32')`);
    }
    this.requiresGrad = flag;
    return this;
  }
  /** Adds a hook on the gradient arriving here; returns a function that removes it. */
  registerHook(hook: GradHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }
  /** Shows the value, the gradient and the op that made this variable. */
  toString(): string {
    const label = this.name ? ` '${this.name}'` : '';
    const made = this.node ? `op=${this.node.op.name}` : this.requiresGrad ? 'leaf' : 'constant';
    const grad = this.grad ? `, grad=${fmtValue(this.grad)}` : '';
    return `Variable${label}(${fmtValue(this.value)}, ${made}${grad})`;
  }

  // ---- elementwise ----
  /** this + other */ add(other: Operand): Variable { return E.add(this, other); }
  /** this − other */ sub(other: Operand): Variable { return E.sub(this, other); }
  /** this · other */ mul(other: Operand): Variable { return E.mul(this, other); }
  /** this / other */ div(other: Operand): Variable { return E.div(this, other); }
  /** this ^ other */ pow(other: Operand): Variable { return E.pow(this, other); }
  /** max(this, other) */ maximum(other: Operand): Variable { return E.maximum(this, other); }
  /** min(this, other) */ minimum(other: Operand): Variable { return E.minimum(this, other); }
  /** −this */ neg(): Variable { return E.neg(this); }
  /** |this| */ abs(): Variable { return E.abs(this); }
  /** sign(this) */ sign(): Variable { return E.sign(this); }
  /** e^this */ exp(): Variable { return E.exp(this); }
  /** e^this − 1 */ expm1(): Variable { return E.expm1(this); }
  /** ln this */ log(): Variable { return E.log(this); }
  /** ln(1 + this) */ log1p(): Variable { return E.log1p(this); }
  /** √this */ sqrt(): Variable { return E.sqrt(this); }
  /** 1/√this */ rsqrt(): Variable { return E.rsqrt(this); }
  /** this² */ square(): Variable { return E.square(this); }
  /** 1/this */ reciprocal(): Variable { return E.reciprocal(this); }
  /** sin this */ sin(): Variable { return E.sin(this); }
  /** cos this */ cos(): Variable { return E.cos(this); }
  /** tanh this */ tanh(): Variable { return E.tanh(this); }
  /** σ(this) */ sigmoid(): Variable { return E.sigmoid(this); }
  /** max(this, 0) */ relu(): Variable { return E.relu(this); }
  /** Leaky ReLU. */ leakyRelu(slope = 0.01): Variable { return E.leakyRelu(this, slope); }
  /** ELU. */ elu(alpha = 1): Variable { return E.elu(this, alpha); }
  /** GELU (erf form). */ gelu(): Variable { return E.gelu(this); }
  /** ln(1 + e^this) */ softplus(): Variable { return E.softplus(this); }
  /** erf(this) */ erf(): Variable { return E.erf(this); }
  /** ⌊this⌋ */ floor(): Variable { return E.floor(this); }
  /** ⌈this⌉ */ ceil(): Variable { return E.ceil(this); }
  /** round(this) */ round(): Variable { return E.round(this); }
  /** 1 where this = other (no gradient). */ eq(other: Operand): Variable { return E.eq(this, other); }
  /** 1 where this ≠ other (no gradient). */ ne(other: Operand): Variable { return E.ne(this, other); }
  /** 1 where this < other (no gradient). */ lt(other: Operand): Variable { return E.lt(this, other); }
  /** 1 where this ≤ other (no gradient). */ le(other: Operand): Variable { return E.le(this, other); }
  /** 1 where this > other (no gradient). */ gt(other: Operand): Variable { return E.gt(this, other); }
  /** 1 where this ≥ other (no gradient). */ ge(other: Operand): Variable { return E.ge(this, other); }
  /** Clamps into [min, max]. */ clip(min: number, max: number): Variable { return E.clip(this, min, max); }

  // ---- linear algebra ----
  /** Matrix product. */ matmul(other: Operand): Variable { return matmul(this, other); }

  // ---- reductions ----
  /** Sum over axes. */ sum(axes?: R.Axes, keepDims = false): Variable { return R.sum(this, axes, keepDims); }
  /** Mean over axes. */ mean(axes?: R.Axes, keepDims = false): Variable { return R.mean(this, axes, keepDims); }
  /** Product over axes. */ prod(axes?: R.Axes, keepDims = false): Variable { return R.prod(this, axes, keepDims); }
  /** Maximum over axes. */ max(axes?: R.Axes, keepDims = false): Variable { return R.max(this, axes, keepDims); }
  /** Minimum over axes. */ min(axes?: R.Axes, keepDims = false): Variable { return R.min(this, axes, keepDims); }
  /** Index of the maximum along an axis, int32 (no gradient). */ argmax(axis?: number | null, keepDims = false): Variable { return R.argmax(this, axis, keepDims); }
  /** Index of the minimum along an axis, int32 (no gradient). */ argmin(axis?: number | null, keepDims = false): Variable { return R.argmin(this, axis, keepDims); }
  /** ln Σ e^this over axes. */ logsumexp(axes?: R.Axes, keepDims = false): Variable { return R.logsumexp(this, axes, keepDims); }
  /** Variance over axes. */ variance(axes?: R.Axes, options?: R.VarianceOptions): Variable { return R.variance(this, axes, options); }
  /** Standard deviation over axes. */ std(axes?: R.Axes, options?: R.VarianceOptions): Variable { return R.std(this, axes, options); }
  /** Softmax along an axis. */ softmax(axis = -1): Variable { return R.softmax(this, axis); }
  /** Log-softmax along an axis. */ logSoftmax(axis = -1): Variable { return R.logSoftmax(this, axis); }

  // ---- views ----
  /** Same elements, new shape. */
  reshape(...shape: number[] | [readonly number[]]): Variable { return S.reshape(this, flatArgs(shape)); }
  /** Reverses (or permutes) the axes. */
  transpose(...axes: number[] | [readonly number[]]): Variable { return S.transpose(this, flatArgs(axes)); }
  /** Reorders the axes. */
  permute(...axes: number[] | [readonly number[]]): Variable { return S.permute(this, flatArgs(axes)); }
  /** The transpose (axes reversed). */
  get T(): Variable { return S.transpose(this); }
  /** Exchanges two axes. */
  swapAxes(a: number, b: number): Variable { return S.swapAxes(this, a, b); }
  /** Basic indexing (see `Tensor.slice`). */
  slice(...specs: SliceSpec[]): Variable { return S.slice(this, ...specs); }
  /** `this[i]` along axis 0. */
  index(i: number): Variable { return S.index(this, i); }
  /** Broadcasts to a shape. */
  expand(...shape: number[] | [readonly number[]]): Variable { return S.expand(this, flatArgs(shape)); }
  /** Removes size-1 axes. */
  squeeze(axes?: number | readonly number[]): Variable { return S.squeeze(this, axes); }
  /** Inserts a size-1 axis. */
  unsqueeze(axis: number): Variable { return S.unsqueeze(this, axis); }
  /** Merges axes into one. */
  flatten(startAxis = 0, endAxis = -1): Variable { return S.flatten(this, startAxis, endAxis); }
  /** torch.gather along an axis. */
  gather(indices: Tensor | Variable, axis: number): Variable { return S.gather(this, indices, axis); }
  /** numpy.take along an axis. */
  take(indices: Tensor | Variable | readonly number[], axis = 0): Variable { return S.take(this, indices, axis); }

  /** `a` where `cond` is non-zero, `b` elsewhere. */
  static where(cond: Variable | Tensor, a: Operand, b: Operand): Variable {
    return E.where(cond, a, b);
  }
}

function flatArgs(args: number[] | [readonly number[]]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

function fmtValue(t: Tensor): string {
  if (t.size === 1) return String(t.values()[0]);
  return K.formatTensor(t).replace(/\s*\n\s*/g, ' ');
}

/**
 * Creates a variable from a tensor, nested arrays or a number (float32 unless `dtype` says otherwise).
 * @example const x = variable([[1, 2], [3, 4]], { requiresGrad: true, name: 'x' })
 */
export function variable(x: Tensor | NestedArray | Variable, options: VariableOptions = {}): Variable {
  let t: Tensor;
  if (x instanceof Variable) t = x.value;
  else if (x instanceof Tensor) t = x;
  else t = typeof x === 'number' ? K.scalar(x, { dtype: options.dtype ?? 'float32' }) : K.tensor(x, undefined, { dtype: options.dtype ?? 'float32' });
  if (options.dtype !== undefined && t.dtype !== options.dtype) t = t.astype(options.dtype);
  const v = new Variable(t, options.name === undefined ? {} : { name: options.name });
  if (options.requiresGrad) v.requiresGrad_(true);
  return v;
}

/** A trainable leaf: {@link variable} with `requiresGrad: true` and a contiguous value at offset 0. */
export function parameter(x: Tensor | NestedArray, options: Omit<VariableOptions, 'requiresGrad'> = {}): Variable {
  const v = variable(x, { ...options, requiresGrad: true });
  if (!v.value.isContiguous || v.value.offset !== 0 || v.value.data.length !== v.size) v.value = v.value.clone();
  return v;
}

/** Adds a gradient hook to `v` (see {@link Variable.registerHook}); returns a function that removes it. */
export function registerHook(v: Variable, hook: GradHook): () => void {
  return v.registerHook(hook);
}

/** A constant: a variable that never requires a gradient. */
export function constant(t: Tensor): Variable {
  return new Variable(t);
}

/** The same value as a constant (no gradient flows back through the result). */
export function stopGradient(x: Operand): Variable {
  return toVariable(x).detach();
}

/** Wraps an operand as a Variable; numbers become 0-d constants with the dtype of `like` (float32 without). */
export function toVariable(x: Operand, like?: Variable): Variable {
  if (x instanceof Variable) return x;
  if (x instanceof Tensor) return new Variable(x);
  if (typeof x === 'number') return new Variable(K.scalar(x, { dtype: like && like.dtype !== 'int32' ? like.dtype : 'float32' }));
  throw new DTypeError(`expected a Variable, Tensor or number, got ${x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name : typeof x}`);
}

/**
 * Wraps two operands for a binary op `fn`. A constant int32 operand is converted to the other's float dtype;
 * two different float dtypes are an error.
 */
export function toVariablePair(fn: string, a: Operand, b: Operand): [Variable, Variable] {
  let va = a instanceof Variable || a instanceof Tensor ? toVariable(a) : null;
  let vb = b instanceof Variable || b instanceof Tensor ? toVariable(b) : null;
  va ??= toVariable(a, vb ?? undefined);
  vb ??= toVariable(b, va);
  if (va.dtype !== vb.dtype) {
    if (va.dtype === 'int32' && !va.requiresGrad) va = new Variable(va.value.astype(vb.dtype));
    else if (vb.dtype === 'int32' && !vb.requiresGrad) vb = new Variable(vb.value.astype(va.dtype));
    else {
      throw new DTypeError(
        `${fn}: operands have different dtypes ${va.dtype} ${fmtShape(va.shape)} and ${vb.dtype} ${fmtShape(vb.shape)}; convert one with variable(x, { dtype })`,
      );
    }
  }
  return [va, vb];
}
