import { ShapeError, fmtShape, zerosLike, type NestedArray, type Tensor } from '@tapegrad/tensor';
import { gradients } from './engine.js';
import { enableGrad, isGradEnabled } from './grad-mode.js';
import { Variable, variable } from './variable.js';

/** A function of variables that returns a variable, as accepted by {@link grad} and friends. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DifferentiableFn = (...args: any[]) => Variable;

/** What the functional API accepts as an argument to differentiate with respect to. */
export type Primal = Variable | Tensor | NestedArray;

/**
 * Prepares the arguments to differentiate: a Variable that already requires a gradient is used as is (so
 * nested calls stay connected to an outer tape); anything else becomes a fresh leaf.
 * `nested` is true when some argument already carries a graph: then results are recorded (createGraph).
 */
function prepare(args: unknown[], argnums: readonly number[]): { inputs: Variable[]; nested: boolean } {
  let nested = false;
  const inputs = argnums.map((i) => {
    const a = args[i];
    if (a instanceof Variable && a.requiresGrad) {
      nested = nested || isGradEnabled();
      return a;
    }
    const leaf = variable(a instanceof Variable ? a.value : (a as Tensor | NestedArray), { requiresGrad: true });
    args[i] = leaf;
    return leaf;
  });
  return { inputs, nested };
}

function checkScalar(fn: string, y: unknown): Variable {
  if (!(y instanceof Variable)) throw new ShapeError(`${fn}: the function must return a Variable, got ${typeof y}`);
  if (y.size !== 1) throw new ShapeError(`${fn}: the function must return one element, got shape ${fmtShape(y.shape)}; reduce it first (e.g. .sum())`);
  return y;
}

/**
 * `valueAndGrad(f, argnums)(...args)` returns `{ value, grad }`: f's value and its gradient with respect to
 * argument `argnums` (an array of indices gives an array of gradients). Gradients are Variables; when an
 * argument is itself on a tape (as inside another `grad`) they are recorded, so `grad(grad(f))` works.
 */
export function valueAndGrad<N extends number | readonly number[] = 0>(
  f: DifferentiableFn,
  argnums?: N,
): (...args: unknown[]) => { value: Variable; grad: N extends number ? Variable : Variable[] } {
  const nums = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...(argnums as readonly number[])];
  return (...callArgs) => {
    const args = [...callArgs];
    const { inputs, nested } = prepare(args, nums);
    const value = enableGrad(() => checkScalar('grad', f(...args)));
    const grads = value.requiresGrad ? gradients(value, inputs, { createGraph: nested }) : inputs.map((x) => new Variable(zerosLike(x.value)));
    const grad = (typeof argnums === 'number' || argnums === undefined ? grads[0]! : grads) as N extends number ? Variable : Variable[];
    return { value: nested ? value : value.detach(), grad };
  };
}

/**
 * `grad(f, argnums)` is the function that returns f's gradient with respect to argument `argnums`.
 * @example grad((x) => x.mul(x).sum())(tensor([1, 2, 3]))   // Variable [2, 4, 6]
 */
export function grad<N extends number | readonly number[] = 0>(
  f: DifferentiableFn,
  argnums?: N,
): (...args: unknown[]) => N extends number ? Variable : Variable[] {
  const vg = valueAndGrad(f, argnums);
  return (...args) => vg(...args).grad;
}

/**
 * The vector–Jacobian product: f's value at `primals` and `cotangentᵀ·∂f/∂primalᵢ` for every primal.
 */
export function vjp(f: DifferentiableFn, primals: readonly Primal[], cotangent: Tensor | Variable): { value: Variable; grads: Variable[] } {
  const args: unknown[] = [...primals];
  const { inputs, nested } = prepare(args, primals.map((_, i) => i));
  const value = enableGrad(() => f(...args));
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
    const y = checkScalar('hvp', f(...args));
    const [g] = gradients(y, inputs, { createGraph: true });
    const dot = g!.mul(v instanceof Variable ? v : new Variable(v)).sum();
    return gradients(dot, inputs, { createGraph: nested })[0]!;
  });
}
