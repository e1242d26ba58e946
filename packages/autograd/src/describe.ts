/**
 * How error messages show a value the caller gave where something else was expected (a hook's return, a
 * gradient, what a function under test returned): its kind and, for tensors, its shape and dtype.
 */
import { Tensor, fmtShape } from '@tapegrad/tensor';
import { Variable } from './core.js';

/** `the number 3`, `a Tensor [2] float64`, `an array of length 2`, `undefined`, … */
export function describeValue(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (x instanceof Variable) return `a Variable ${fmtShape(x.shape)} ${x.dtype}`;
  if (x instanceof Tensor) return `a Tensor ${fmtShape(x.shape)} ${x.dtype}`;
  if (typeof x === 'number') return `the number ${x}`;
  if (typeof x === 'string') return x.length > 40 ? `a string of length ${x.length}` : `the string ${JSON.stringify(x)}`;
  if (typeof x === 'boolean' || typeof x === 'bigint') return `the ${typeof x} ${String(x)}`;
  if (typeof x === 'function') return 'a function';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') {
    const name = (x as object).constructor?.name;
    return name && name !== 'Object' ? `an object (${name})` : 'an object';
  }
  return `a ${typeof x}`;
}

/** `leaf 'x' [2] float32`, `the output of 'mul' (tape entry #3) [2] float32`, … */
export function describeVariable(v: Variable): string {
  const label = v.name === undefined ? '' : ` '${v.name}'`;
  const what =
    v.entry === null
      ? `${v.requiresGrad ? 'leaf' : 'constant'}${label}`
      : `the output${label} of '${v.entry.op.name}' (tape entry #${v.entry.id})`;
  return `${what} ${fmtShape(v.shape)} ${v.dtype}`;
}
