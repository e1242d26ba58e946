/**
 * Variable's methods, derived from the op table: `x.mul(y)` is `mul(x, y)` for every entry whose first
 * argument is the variable it applies to. This is the one place that attaches methods to
 * `Variable.prototype`; the package index imports it, so the methods always exist.
 */
import type { Tensor } from '@tapegrad/tensor';
import { Variable } from './core.js';
import { backward, type BackwardOptions } from './engine.js';
import type { OpFunction } from './ops/spec.js';
import { opTable } from './ops/table.js';
import { transpose } from './ops/views.js';
import { where } from './ops/binary.js';

/** The method form of an entry: its free function without the first argument. */
type MethodOf<F> =
  F extends OpFunction<infer A, infer R, true> ? ([A] extends [[unknown, ...infer Rest]] ? (...args: Rest) => R : never) : never;

/** One method per op table entry that has one (`method: true`). */
type OpMethods<T> = { [K in keyof T as T[K] extends { readonly method: true } ? K : never]: MethodOf<T[K]> };

declare global {
  // Filled in here from the op table (declared empty in core.ts).
  interface TapegradVariableMethods extends OpMethods<typeof opTable> {
    /** Backpropagates from this variable, accumulating into the `.grad` of every leaf that requires one. */
    backward(options?: BackwardOptions): void;
    /** The transpose (axes reversed). */
    readonly T: Variable;
  }
}

for (const [name, fn] of Object.entries(opTable) as [string, OpFunction<unknown[], unknown, boolean>][]) {
  if (!fn.method) continue;
  // A computed-key method, so that stack traces show its name.
  const method = {
    [name](this: Variable, ...args: unknown[]): unknown {
      return fn(this, ...args);
    },
  }[name];
  Object.defineProperty(Variable.prototype, name, { value: method, writable: true, configurable: true });
}

Object.defineProperty(Variable.prototype, 'backward', {
  value: function (this: Variable, options: BackwardOptions = {}): void {
    backward(this, options);
  },
  writable: true,
  configurable: true,
});

Object.defineProperty(Variable.prototype, 'T', {
  get(this: Variable): Variable {
    return transpose(this);
  },
  configurable: true,
});

Variable.where = (cond: Variable | Tensor, a, b) => where(cond, a, b);
