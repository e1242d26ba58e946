/**
 * The functional API in reverse mode (JAX / TensorFlow.js style): `grad`, `valueAndGrad`, `vjp`, `hvp` and
 * `jacrev`. Forward mode (`jvp`, `jacfwd`, `hessian`) is in `forward.ts`.
 */
import { ShapeError, fmtShape, zeros, zerosLike, type NestedArray, type Tensor } from '@tapegrad/tensor';
import { Variable, inheritTangents } from './core.js';
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

/**
 * Prepares the arguments to differentiate: a Variable that already requires a gradient is used as is (so
 * nested calls stay connected to an outer tape); anything else becomes a fresh leaf (which keeps the
 * argument's forward-mode tangents, so `jacfwd` of a gradient works). `nested` is true when some argument
 * already carries a graph: then results are recorded (createGraph).
 */
export function prepare(args: unknown[], argnums: readonly number[]): { inputs: Variable[]; nested: boolean } {
  let nested = false;
  const inputs = argnums.map((i) => {
    const a = args[i];
    if (a instanceof Variable && a.requiresGrad) {
      nested = nested || isGradEnabled();
      return a;
    }
    const leaf = variable(a instanceof Variable ? a.value : (a as Tensor | NestedArray), { requiresGrad: true });
    if (a instanceof Variable) inheritTangents(a, leaf);
    args[i] = leaf;
    return leaf;
  });
  return { inputs, nested };
}

function checkScalar(fn: string, y: unknown): Variable {
  if (!(y instanceof Variable)) throw new ShapeError(`${fn}: the function must return a Variable, got ${typeof y}`);
  if (y.size !== 1)
    throw new ShapeError(`${fn}: the function must return one element, got shape ${fmtShape(y.shape)}; reduce it first (e.g. .sum())`);
  return y;
}

/** Which arguments to differentiate with respect to: one index, or a list of them. */
export type Argnums = number | readonly number[];

/** One result for a single argnum, a list of results for a list of argnums. */
export type PerArgnum<N extends Argnums> = N extends number ? Variable : Variable[];

/** The argument indices of `argnums` (default 0) as a list. */
export function argList(argnums: Argnums | undefined): number[] {
  return argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums];
}

/** The first of `results` for a single argnum (or none given), all of them for a list. */
export function perArgnum<N extends Argnums>(argnums: N | undefined, results: Variable[]): PerArgnum<N> {
  return (typeof argnums === 'number' || argnums === undefined ? results[0]! : results) as PerArgnum<N>;
}

/**
 * `valueAndGrad(f, argnums)(...args)` returns `{ value, grad }`: f's value and its gradient with respect to
 * argument `argnums` (an array of indices gives an array of gradients). Gradients are Variables; when an
 * argument is itself on a tape (as inside another `grad`) they are recorded, so `grad(grad(f))` works.
 */
export function valueAndGrad<N extends Argnums = 0>(
  f: DifferentiableFn,
  argnums?: N,
): (...args: unknown[]) => { value: Variable; grad: PerArgnum<N> } {
  const nums = argList(argnums);
  return (...callArgs) => {
    const args = [...callArgs];
    const { inputs, nested } = prepare(args, nums);
    const value = enableGrad(() => checkScalar('grad', call(f, args)));
    const grads = value.requiresGrad
      ? gradients(value, inputs, { createGraph: nested })
      : inputs.map((x) => new Variable(zerosLike(x.value)));
    return { value: nested ? value : value.detach(), grad: perArgnum(argnums, grads) };
  };
}

/**
 * `grad(f, argnums)` is the function that returns f's gradient with respect to argument `argnums`.
 * @example grad((x) => x.mul(x).sum())(tensor([1, 2, 3]))   // Variable [2, 4, 6]
 */
export function grad<N extends Argnums = 0>(f: DifferentiableFn, argnums?: N): (...args: unknown[]) => PerArgnum<N> {
  const vg = valueAndGrad(f, argnums);
  return (...args) => vg(...args).grad;
}

/**
 * The vector–Jacobian product: f's value at `primals` and `cotangentᵀ·∂f/∂primalᵢ` for every primal.
 */
export function vjp(f: DifferentiableFn, primals: readonly Primal[], cotangent: Tensor | Variable): { value: Variable; grads: Variable[] } {
  const args: unknown[] = [...primals];
  const { inputs, nested } = prepare(
    args,
    primals.map((_, i) => i),
  );
  const value = enableGrad(() => call(f, args));
  const grads = gradients(value, inputs, { gradient: cotangent, createGraph: nested });
  return { value: nested ? value : value.detach(), grads };
}

/**
 * The Hessian–vector product H·v of a scalar function f at x, by differentiating (∇f · v) once more.
 * @example hvp((x) => x.mul(x).sum(), x, v)   // 2v
 */
export function hvp(f: DifferentiableFn, x: Primal, v: Tensor | Variable): Variable {
  const args: unknown[] = [x];
  const { inputs, nested } = prepare(args, [0]);
  return enableGrad(() => {
    const y = checkScalar('hvp', call(f, args));
    const [g] = gradients(y, inputs, { createGraph: true });
    const dot = g!.mul(v instanceof Variable ? v : new Variable(v)).sum();
    return gradients(dot, inputs, { createGraph: nested })[0]!;
  });
}

/**
 * `jacrev(f, argnums)(...args)` is f's Jacobian with respect to argument `argnums` by reverse mode: one
 * forward pass and one VJP per output element (a row of the Jacobian each). Like JAX, the result has shape
 * `[...f(args).shape, ...args[argnums].shape]`; an array of argnums gives an array of Jacobians.
 * @example jacrev((x) => x.mul(x))(tensor([1, 2]))   // [[2, 0], [0, 4]]
 */
export function jacrev<N extends Argnums = 0>(f: DifferentiableFn, argnums?: N): (...args: unknown[]) => PerArgnum<N> {
  const nums = argList(argnums);
  return (...callArgs) => {
    const args = [...callArgs];
    const { inputs, nested } = prepare(args, nums);
    const y = enableGrad(() => call(f, args));
    const rows: Variable[][] = inputs.map(() => []);
    for (let j = 0; j < y.size; j++) {
      const seed = zerosLike(y.value);
      seed.data[j] = 1;
      const grads = y.requiresGrad
        ? gradients(y, inputs, { gradient: seed, retainGraph: true, createGraph: nested })
        : inputs.map((x) => new Variable(zerosLike(x.value)));
      grads.forEach((g, i) => rows[i]!.push(g));
    }
    return perArgnum(
      argnums,
      inputs.map((x, i) => assemble(rows[i]!, y.shape, x)),
    );
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
