/**
 * Making variables: leaves from tensors or numbers ({@link variable}, {@link parameter}), constants, and the
 * operand conversion every op applies to its arguments ({@link toVariable}, {@link toVariablePair}).
 */
import { DTypeError, Tensor, fmtShape, scalar, tensor, type DType, type NestedArray } from '@tapegrad/tensor';
import { Variable, type GradHook, type Operand } from './core.js';
import { fillsStorage } from './fused/ownership.js';

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
 * Creates a variable from a tensor, nested arrays or a number (float32 unless `dtype` says otherwise).
 * @example const x = variable([[1, 2], [3, 4]], { requiresGrad: true, name: 'x' })
 */
export function variable(x: Tensor | NestedArray | Variable, options: VariableOptions = {}): Variable {
  let t: Tensor;
  if (x instanceof Variable) t = x.value;
  else if (x instanceof Tensor) t = x;
  else {
    const dtype = options.dtype ?? 'float32';
    t = typeof x === 'number' ? scalar(x, { dtype }) : tensor(x, undefined, { dtype });
  }
  if (options.dtype !== undefined && t.dtype !== options.dtype) t = t.astype(options.dtype);
  const v = new Variable(t, options.name === undefined ? {} : { name: options.name });
  if (options.requiresGrad) v.requiresGrad_(true);
  return v;
}

/** A trainable leaf: {@link variable} with `requiresGrad: true` and a contiguous value at offset 0. */
export function parameter(x: Tensor | NestedArray, options: Omit<VariableOptions, 'requiresGrad'> = {}): Variable {
  const v = variable(x, { ...options, requiresGrad: true });
  if (!fillsStorage(v.value)) v.value = v.value.clone();
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

/**
 * Wraps an operand of op `fn` as a Variable; numbers become 0-d constants with the dtype of `like` (float32
 * without).
 */
export function toVariable(x: Operand, like?: Variable, fn = 'toVariable'): Variable {
  if (x instanceof Variable) return x;
  if (x instanceof Tensor) return new Variable(x);
  if (typeof x === 'number') return new Variable(scalar(x, { dtype: like && like.dtype !== 'int32' ? like.dtype : 'float32' }));
  const got = x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name : typeof x;
  throw new DTypeError(`${fn}: expected a Variable, Tensor or number, got ${got}`);
}

/**
 * Wraps two operands for a binary op `fn`. A constant int32 operand is converted to the other's float dtype;
 * two different float dtypes are an error.
 */
export function toVariablePair(fn: string, a: Operand, b: Operand): [Variable, Variable] {
  let va = a instanceof Variable || a instanceof Tensor ? toVariable(a) : null;
  let vb = b instanceof Variable || b instanceof Tensor ? toVariable(b) : null;
  va ??= toVariable(a, vb ?? undefined, fn);
  vb ??= toVariable(b, va, fn);
  if (va.dtype !== vb.dtype) {
    if (va.dtype === 'int32' && !va.requiresGrad) va = new Variable(va.value.astype(vb.dtype));
    else if (vb.dtype === 'int32' && !vb.requiresGrad) vb = new Variable(vb.value.astype(va.dtype));
    else {
      throw new DTypeError(
        `${fn}: operands have different dtypes ${va.dtype} ${fmtShape(va.shape)} and ${vb.dtype} ${fmtShape(vb.shape)}; ` +
          `convert one with variable(x, { dtype })`,
      );
    }
  }
  return [va, vb];
}
