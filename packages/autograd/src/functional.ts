/**
 * The functional API in reverse mode (JAX / TensorFlow.js style): `grad`, `valueAndGrad`, `vjp`, `hvp` and
 * `jacrev`. Forward mode (`jvp`, `jacfwd`, `hessian`) is in `forward.ts`.
 *
 * Every call makes fresh leaves for the arguments it differentiates and runs the function on them. Whether the
 * backward pass is recorded (createGraph) is decided once the function has run: it is when grad mode is on and
 * the result can depend on a variable that requires a gradient besides those fresh leaves — an argument that was
 * already on a tape (a call nested in another `grad`), or a variable the function closed over, as in
 * `grad((x) => grad((y) => x.mul(y).sum())(y0).sum())`. The results are then connected to those variables, so
 * they can be differentiated again; a first-order call of a function of its arguments alone records nothing (it
 * costs one walk over the function's graph to find that out). When the call returns, its fresh leaves become
 * constants, and a result that depends on no other variable is returned as a constant.
 */
import { DTypeError, ShapeError, Tensor, ValueError, fmtShape, shapesEqual, zeros, zerosLike, type NestedArray } from '@tapegrad/tensor';
import { Variable, inheritTangents } from './core.js';
import { describeValue } from './describe.js';
import { gradients } from './engine.js';
import { enableGrad, isGradEnabled } from './grad-mode.js';
import { stack } from './ops/indexing.js';
import { variable } from './variable.js';

/** A function of variables that returns a variable, as accepted by {@link grad} and friends. */
export type DifferentiableFn = (...args: never[]) => Variable;

/** What the functional API accepts as an argument to differentiate with respect to. */
export type Primal = Variable | Tensor | NestedArray;

/** Calls `f` with arguments whose types only the caller knows. */
export function call(f: DifferentiableFn, args: readonly unknown[]): Variable {
  return (f as (...a: unknown[]) => Variable)(...args);
}

/** Which arguments to differentiate with respect to: one index, or a list of them (−1 is the last argument). */
export type Argnums = number | readonly number[];

/** One result for a single argnum, a list of results for a list of argnums. */
export type PerArgnum<N extends Argnums> = N extends number ? Variable : Variable[];

/**
 * The argument indices of `argnums` (default 0) as a list, checked as far as they can be before a call: integers,
 * at least one. `fn` names the caller in errors.
 */
export function argList(fn: string, argnums: Argnums | undefined): number[] {
  if (argnums === undefined) return [0];
  const list: unknown[] | null = typeof argnums === 'number' ? [argnums] : Array.isArray(argnums) ? [...(argnums as unknown[])] : null;
  if (list === null || !list.every((i) => Number.isInteger(i))) {
    throw new ValueError(`${fn}: argnums is ${showArgnums(argnums)}; expected an argument index (an integer) or a list of them`);
  }
  if (list.length === 0) throw new ValueError(`${fn}: argnums is an empty list; expected at least one argument index`);
  return list as number[];
}

/**
 * The indices `nums` (from {@link argList}) for a call with `count` arguments: a negative index counts from the
 * end (−1 is the last argument, as in PyTorch and JAX). An index out of range, or one argument listed twice, is
 * an error naming `fn`, `argnums` and the number of arguments.
 */
export function resolveArgnums(fn: string, nums: readonly number[], argnums: Argnums | undefined, count: number): number[] {
  const resolved: number[] = [];
  for (const i of nums) {
    if (i >= count || i < -count) {
      throw new ValueError(
        `${fn}: argnums ${showArgnums(argnums ?? 0)} asks for argument ${i}, but ${called(count)}; ${validRange(count)}`,
      );
    }
    const k = i < 0 ? i + count : i;
    if (resolved.includes(k)) {
      throw new ValueError(`${fn}: argnums must be unique, but ${showArgnums(argnums)} lists argument ${k} twice (${called(count)})`);
    }
    resolved.push(k);
  }
  return resolved;
}

function called(count: number): string {
  return `the function was called with ${count} argument${count === 1 ? '' : 's'}`;
}

function validRange(count: number): string {
  if (count === 0) return 'so there is none to differentiate';
  if (count === 1) return 'expected 0 (or -1, the last)';
  return `expected 0 to ${count - 1}, or -${count} to -1 counting from the end`;
}

function showArgnums(argnums: unknown): string {
  if (typeof argnums === 'number') return String(argnums);
  if (!Array.isArray(argnums)) return describeValue(argnums);
  return `[${argnums.map((i: unknown) => (typeof i === 'number' ? String(i) : describeValue(i))).join(', ')}]`;
}

/** The first of `results` for a single argnum (or none given), all of them for a list. */
export function perArgnum<N extends Argnums>(argnums: N | undefined, results: Variable[]): PerArgnum<N> {
  return (typeof argnums === 'number' || argnums === undefined ? results[0]! : results) as PerArgnum<N>;
}

/** A nested array of numbers: what `tensor` makes a tensor of. */
function isNumberArray(a: unknown): a is NestedArray[] {
  return Array.isArray(a) && a.every((e) => typeof e === 'number' || isNumberArray(e));
}

/**
 * An argument that is not differentiated, as the function sees it: a Tensor or a non-empty nested array of numbers
 * becomes a constant Variable, made like a differentiated argument (float32 for arrays), so that `y.mul(x)` works on
 * it. A Variable, a number (ops take numbers as constants of the other operand's dtype, so exponents and axes keep
 * working) and anything else (options, lists of variables) is passed as given.
 */
export function constantArg(a: unknown): unknown {
  return a instanceof Tensor || (isNumberArray(a) && a.length > 0) ? variable(a) : a;
}

/** A differentiated argument checked: a Variable, Tensor, number or nested array of numbers; an error naming `fn` otherwise. */
export function checkPrimal(fn: string, a: unknown, i: number): Variable | Tensor | NestedArray {
  if (!(a instanceof Variable || a instanceof Tensor || typeof a === 'number' || isNumberArray(a))) {
    throw new ValueError(`${fn}: argument ${i} is ${describeValue(a)}; expected a Variable, Tensor, number or nested array of numbers`);
  }
  return a;
}

/** The arguments of one call, prepared by {@link prepare}. */
export interface Prepared {
  /** The variables to differentiate with respect to, one per argnum. */
  inputs: Variable[];
  /** The leaves made for this call (the inputs that were not already variables requiring a gradient). */
  fresh: Variable[];
  /** True when some input is a caller's variable that requires a gradient (as inside another `grad`). */
  nested: boolean;
  /** Whether grad mode was on at the call: nothing is recorded when it was off. */
  gradMode: boolean;
}

/**
 * Prepares the arguments of a call of `fn`, in place: `argnums` (checked by {@link argList}) are resolved; an
 * argument to differentiate that is a Variable requiring a gradient is used as is (so nested calls stay connected
 * to an outer tape), anything else becomes a fresh leaf (which keeps the argument's forward-mode tangents, so
 * `jacfwd` of a gradient works); the other arguments go through {@link constantArg}.
 */
export function prepare(fn: string, args: unknown[], nums: readonly number[], argnums: Argnums | undefined): Prepared {
  const gradMode = isGradEnabled();
  const which = resolveArgnums(fn, nums, argnums, args.length);
  const inputs: Variable[] = [];
  const fresh: Variable[] = [];
  let nested = false;
  for (const i of which) {
    const a = checkPrimal(fn, args[i], i);
    if ((a instanceof Variable || a instanceof Tensor) && a.dtype === 'int32') throw noGradient(fn, a, i);
    if (a instanceof Variable && a.requiresGrad) {
      nested = nested || gradMode;
      inputs.push(a);
      continue;
    }
    const leaf = variable(a instanceof Variable ? a.value : a, { requiresGrad: true });
    if (a instanceof Variable) inheritTangents(a, leaf);
    args[i] = leaf;
    inputs.push(leaf);
    fresh.push(leaf);
  }
  for (let k = 0; k < args.length; k++) if (!which.includes(k)) args[k] = constantArg(args[k]);
  return { inputs, fresh, nested, gradMode };
}

function noGradient(fn: string, a: Variable | Tensor, i: number): DTypeError {
  return new DTypeError(`${fn}: argument ${i} is ${describeValue(a)}, which has no gradient; convert it with astype('float32')`);
}

/**
 * Whether the backward pass from `output` must be recorded: when grad mode was on at the call and `output`
 * depends on a variable that requires a gradient other than the call's fresh leaves (see the top of this file).
 * The graph is walked only when no argument was already on a tape, and not past a fresh leaf.
 */
export function recordsBackward(p: Prepared, output: Variable): boolean {
  if (!p.gradMode || !output.requiresGrad) return false;
  return p.nested || reachesLeaf(output, p.fresh);
}

/** True when `root`'s graph reaches a leaf that requires a gradient and is not one of `except` (walking only such variables). */
function reachesLeaf(root: Variable, except: readonly Variable[]): boolean {
  if (!root.requiresGrad) return false;
  const seen = new Set<Variable>();
  const todo = [root];
  for (let v = todo.pop(); v !== undefined; v = todo.pop()) {
    if (v.entry === null) {
      if (!except.includes(v)) return true;
      continue;
    }
    for (const u of v.entry.inputs) {
      if (u.requiresGrad && !seen.has(u)) {
        seen.add(u);
        todo.push(u);
      }
    }
  }
  return false;
}

/** `v` as a constant (with its forward-mode tangents, so that `jacfwd` of the result works). */
function constantOf(v: Variable): Variable {
  if (!v.requiresGrad) return v;
  const c = v.detach();
  inheritTangents(v, c);
  return c;
}

/**
 * Runs the rest of a call (`body`, which returns its results and whether it recorded the backward) and settles
 * them. The call's fresh leaves become constants: nothing outside the call can differentiate with respect to a
 * leaf made inside it, so an enclosing call does not take results recorded through one for variables it closed
 * over, and no later backward walks into them. A result stays connected when it still depends on a variable that
 * requires a gradient (only possible when recorded); otherwise it is a constant.
 */
export function settle(p: Prepared, body: () => { results: Variable[]; recorded: boolean }): Variable[] {
  let out: { results: Variable[]; recorded: boolean };
  try {
    out = body();
  } finally {
    for (const leaf of p.fresh) leaf.requiresGrad = false;
  }
  return out.results.map((r) => (out.recorded && reachesLeaf(r, []) ? r : constantOf(r)));
}

/** `y` when it is a Variable; an error naming `fn` otherwise. */
export function checkVariable(fn: string, y: unknown): Variable {
  if (!(y instanceof Variable)) throw new ShapeError(`${fn}: the function must return a Variable, got ${describeValue(y)}`);
  return y;
}

function checkScalar(fn: string, y: unknown): Variable {
  const v = checkVariable(fn, y);
  if (v.size !== 1)
    throw new ShapeError(`${fn}: the function must return one element, got shape ${fmtShape(v.shape)}; reduce it first (e.g. .sum())`);
  return v;
}

/**
 * `t` (a vector of `fn`, named `what`) as a Variable, when it is a Tensor or Variable with exactly the shape and
 * dtype of `like` (named `likeName`); an error naming `fn` otherwise — nothing is broadcast or converted.
 */
export function checkLike(fn: string, what: string, t: unknown, like: Variable, likeName: string): Variable {
  const expected = `${likeName}'s shape ${fmtShape(like.shape)} and dtype ${like.dtype}`;
  if (!(t instanceof Variable || t instanceof Tensor))
    throw new ValueError(`${fn}: ${what} is ${describeValue(t)}; expected a Tensor or Variable of ${expected}`);
  if (!shapesEqual(t.shape, like.shape)) {
    throw new ShapeError(`${fn}: ${what} has shape ${fmtShape(t.shape)}; expected ${likeName}'s shape ${fmtShape(like.shape)}`);
  }
  if (t.dtype !== like.dtype) {
    throw new DTypeError(
      `${fn}: ${what} has dtype ${t.dtype}; expected ${likeName}'s dtype ${like.dtype} (convert it with astype('${like.dtype}'))`,
    );
  }
  return t instanceof Variable ? t : new Variable(t);
}

/** Zeros of the shape and dtype of each of `inputs`: the gradients of a result that does not depend on them. */
function zeroGradients(inputs: readonly Variable[]): Variable[] {
  return inputs.map((x) => new Variable(zerosLike(x.value)));
}

/**
 * `valueAndGrad(f, argnums)(...args)` returns `{ value, grad }`: f's value and its gradient with respect to
 * argument `argnums` (an array of indices gives an array of gradients; −1 is the last argument). The arguments
 * to differentiate may be Variables, Tensors, numbers or nested arrays (as `variable` takes them); the others reach
 * f as constant Variables when they are Tensors or nested arrays of numbers, unchanged otherwise. Gradients are
 * Variables; when f's value depends on a variable that requires a gradient besides the differentiated arguments
 * (an argument already on a tape, as inside another `grad`, or a variable f closed over), they and the value are
 * recorded, so `grad(grad(f))` and gradients of closures work. A value that does not depend on an argument gives
 * zeros.
 */
export function valueAndGrad<N extends Argnums = 0>(
  f: DifferentiableFn,
  argnums?: N,
): (...args: unknown[]) => { value: Variable; grad: PerArgnum<N> } {
  return valueAndGradOf('valueAndGrad', f, argnums);
}

function valueAndGradOf<N extends Argnums>(
  fn: string,
  f: DifferentiableFn,
  argnums: N | undefined,
): (...args: unknown[]) => { value: Variable; grad: PerArgnum<N> } {
  const nums = argList(fn, argnums);
  return (...callArgs) => {
    const args = [...callArgs];
    const p = prepare(fn, args, nums, argnums);
    const grads = settle(p, () => {
      const y = enableGrad(() => checkScalar(fn, call(f, args)));
      const recorded = recordsBackward(p, y);
      const gs = y.requiresGrad ? gradients(y, p.inputs, { createGraph: recorded }) : zeroGradients(p.inputs);
      gs.unshift(y);
      return { results: gs, recorded };
    });
    const value = grads.shift()!;
    return { value, grad: perArgnum(argnums, grads) };
  };
}

/**
 * `grad(f, argnums)` is the function that returns f's gradient with respect to argument `argnums` (see
 * {@link valueAndGrad} for the arguments and when the result is recorded).
 * @example grad((x) => x.mul(x).sum())(tensor([1, 2, 3]))   // Variable [2, 4, 6]
 */
export function grad<N extends Argnums = 0>(f: DifferentiableFn, argnums?: N): (...args: unknown[]) => PerArgnum<N> {
  const vg = valueAndGradOf('grad', f, argnums);
  return (...args) => vg(...args).grad;
}

/**
 * The vector–Jacobian product: f's value at `primals` and `cotangentᵀ·∂f/∂primalᵢ` for every primal. The
 * cotangent must have exactly the shape and dtype of f's value; a value that does not depend on a primal gives
 * zeros for it. Recorded like {@link valueAndGrad}, and also when the cotangent requires a gradient.
 */
export function vjp(f: DifferentiableFn, primals: readonly Primal[], cotangent: Tensor | Variable): { value: Variable; grads: Variable[] } {
  if (!Array.isArray(primals))
    throw new ValueError(`vjp: primals is ${describeValue(primals)}; expected a list, one entry per argument of f`);
  const args: unknown[] = [...primals];
  const p = prepare(
    'vjp',
    args,
    primals.map((_, i) => i),
    undefined,
  );
  const grads = settle(p, () => {
    const y = enableGrad(() => checkVariable('vjp', call(f, args)));
    const u = checkLike('vjp', 'the cotangent', cotangent, y, 'the output');
    if (!y.requiresGrad) return { results: [y].concat(zeroGradients(p.inputs)), recorded: false };
    const recorded = recordsBackward(p, y) || (p.gradMode && u.requiresGrad);
    return { results: [y].concat(gradients(y, p.inputs, { gradient: u, createGraph: recorded })), recorded };
  });
  const value = grads.shift()!;
  return { value, grads };
}

/**
 * The Hessian–vector product H·v of a scalar function f at x, by differentiating (∇f · v) once more. `v` must
 * have exactly the shape and dtype of x; a function whose gradient does not depend on x (a linear one) gives
 * zeros. Recorded like {@link valueAndGrad}, and also when v requires a gradient.
 * @example hvp((x) => x.mul(x).sum(), x, v)   // 2v
 */
export function hvp(f: DifferentiableFn, x: Primal, v: Tensor | Variable): Variable {
  const args: unknown[] = [x];
  const p = prepare('hvp', args, [0], 0);
  const input = p.inputs[0]!;
  const direction = checkLike('hvp', 'v', v, input, 'x');
  const [result] = settle(p, () =>
    enableGrad(() => {
      const y = checkScalar('hvp', call(f, args));
      if (!y.requiresGrad) return { results: zeroGradients(p.inputs), recorded: false };
      const [g] = gradients(y, p.inputs, { createGraph: true });
      const dot = g!.mul(direction).sum();
      if (!dot.requiresGrad) return { results: zeroGradients(p.inputs), recorded: false };
      const recorded = recordsBackward(p, y) || (p.gradMode && direction.requiresGrad);
      return { results: gradients(dot, p.inputs, { createGraph: recorded }), recorded };
    }),
  );
  return result!;
}

/**
 * `jacrev(f, argnums)(...args)` is f's Jacobian with respect to argument `argnums` by reverse mode: one
 * forward pass and one VJP per output element (a row of the Jacobian each). Like JAX, the result has shape
 * `[...f(args).shape, ...args[argnums].shape]`; an array of argnums gives an array of Jacobians. Arguments
 * and recording as for {@link valueAndGrad}.
 * @example jacrev((x) => x.mul(x))(tensor([1, 2]))   // [[2, 0], [0, 4]]
 */
export function jacrev<N extends Argnums = 0>(f: DifferentiableFn, argnums?: N): (...args: unknown[]) => PerArgnum<N> {
  const nums = argList('jacrev', argnums);
  return (...callArgs) => {
    const args = [...callArgs];
    const p = prepare('jacrev', args, nums, argnums);
    const { inputs } = p;
    const jacobians = settle(p, () => {
      const y = enableGrad(() => checkVariable('jacrev', call(f, args)));
      const recorded = recordsBackward(p, y);
      const rows: Variable[][] = inputs.map(() => []);
      for (let j = 0; j < y.size; j++) {
        const seed = zerosLike(y.value);
        seed.data[j] = 1;
        const grads = y.requiresGrad
          ? gradients(y, inputs, { gradient: seed, retainGraph: true, createGraph: recorded })
          : zeroGradients(inputs);
        grads.forEach((g, i) => rows[i]!.push(g));
      }
      return { results: inputs.map((x, i) => assemble(rows[i]!, y.shape, x)), recorded };
    });
    return perArgnum(argnums, jacobians);
  };
}

/**
 * Stacks `parts` (one per output element for jacrev, one per input element for jacfwd, `first` says which
 * comes first) into a Jacobian of shape `[...outShape, ...x.shape]`.
 */
export function assemble(parts: Variable[], outShape: readonly number[], x: Variable, first: 'output' | 'input' = 'output'): Variable {
  const shape = [...outShape, ...x.shape];
  if (parts.length === 0) return new Variable(zeros(shape, { dtype: x.dtype }));
  if (first === 'output') return stack(parts, 0).reshape(shape);
  return stack(parts, -1).reshape(shape);
}
