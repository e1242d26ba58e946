/**
 * Forward mode (JAX semantics): `jvp` pushes a tangent through f alongside the value — every op applied
 * while it runs computes its output's tangent with the JVP rule of its op table entry — and `jacfwd` builds
 * a Jacobian from one JVP per input element; `hessian` is forward-over-reverse, `jacfwd(jacrev(f))`.
 *
 * Cost, for f: Rⁿ → Rᵐ: a JVP costs about one evaluation of f and gives J·v (one column of J for a basis
 * vector v); a VJP costs about one evaluation too and gives uᵀ·J (one row). A full Jacobian therefore takes
 * n forward passes or m backward passes — forward mode for few inputs, reverse mode for few outputs, which
 * is why training (a scalar loss of many parameters) uses reverse mode.
 */
import { DTypeError, ShapeError, Tensor, ValueError, fmtShape, shapesEqual, zerosLike, type NestedArray } from '@tapegrad/tensor';
import { Variable, beginForwardLevel, endForwardLevel, setTangent, tangentOf } from './core.js';
import { describeValue } from './describe.js';
import { argList, assemble, call, checkPrimal, checkVariable, constantArg, jacrev, perArgnum, resolveArgnums } from './functional.js';
import type { Argnums, DifferentiableFn, PerArgnum, Primal } from './functional.js';
import { variable } from './variable.js';

/** A tangent: the direction in which `jvp` differentiates, one per primal and of its shape. */
export type Tangent = Variable | Tensor | NestedArray;

/**
 * The Jacobian–vector product (forward mode): f's value at `primals` and its directional derivative
 * `tangent = Σᵢ ∂f/∂primalᵢ · tangentᵢ`, in one pass that carries each tangent along with its value.
 * Primals that are Variables are used as they are (so the result stays on their tape and can be
 * differentiated by reverse mode). A Tensor or Variable tangent must have exactly its primal's shape and
 * dtype; a nested-array tangent is made in its primal's dtype.
 * @example jvp((x) => x.mul(x), [tensor([3])], [tensor([1])])   // value [9], tangent [6]
 */
export function jvp(f: DifferentiableFn, primals: readonly Primal[], tangents: readonly Tangent[]): { value: Variable; tangent: Variable } {
  if (!Array.isArray(primals))
    throw new ValueError(`jvp: primals is ${describeValue(primals)}; expected a list, one entry per argument of f`);
  if (!Array.isArray(tangents)) throw new ValueError(`jvp: tangents is ${describeValue(tangents)}; expected a list, one per primal`);
  if (tangents.length !== primals.length) {
    throw new ShapeError(`jvp: got ${primals.length} primals and ${tangents.length} tangents; expected one tangent per primal`);
  }
  const level = beginForwardLevel();
  try {
    const args = primals.map((p, i) => {
      const a = checkPrimal('jvp', p, i);
      return a instanceof Variable ? a : variable(a);
    });
    args.forEach((x, i) => setTangent(level, x, asTangent(tangents[i], x, i)));
    const value = checkVariable('jvp', call(f, args));
    return { value, tangent: tangentOf(level, value) ?? new Variable(zerosLike(value.value)) };
  } finally {
    endForwardLevel(level);
  }
}

function asTangent(t: unknown, primal: Variable, i: number): Variable {
  const expected = `the shape of primal ${i}, ${fmtShape(primal.shape)}`;
  if (!(t instanceof Variable || t instanceof Tensor || Array.isArray(t) || typeof t === 'number')) {
    throw new ValueError(`jvp: tangent ${i} is ${describeValue(t)}; expected a Tensor, Variable or nested array of ${expected}`);
  }
  const v = t instanceof Variable ? t : t instanceof Tensor ? new Variable(t) : variable(t as NestedArray, { dtype: primal.dtype });
  if (!shapesEqual(v.shape, primal.shape)) {
    throw new ShapeError(`jvp: tangent ${i} has shape ${fmtShape(v.shape)}; expected ${expected}`);
  }
  if (v.dtype !== primal.dtype) {
    const convert = `convert it with astype('${primal.dtype}')`;
    throw new DTypeError(`jvp: tangent ${i} has dtype ${v.dtype}; expected the dtype of primal ${i}, ${primal.dtype} (${convert})`);
  }
  return v;
}

/**
 * `jacfwd(f, argnums)(...args)` is f's Jacobian with respect to argument `argnums` by forward mode: one JVP
 * per input element (a column of the Jacobian each). Like JAX, the result has shape
 * `[...f(args).shape, ...args[argnums].shape]`; an array of argnums gives an array of Jacobians.
 * @example jacfwd((x) => x.mul(x))(tensor([1, 2]))   // [[2, 0], [0, 4]]
 */
export function jacfwd<N extends Argnums = 0>(f: DifferentiableFn, argnums?: N): (...args: unknown[]) => PerArgnum<N> {
  const nums = argList('jacfwd', argnums);
  return (...callArgs) => {
    const which = resolveArgnums('jacfwd', nums, argnums, callArgs.length);
    const args = callArgs.map((a, k) => {
      if (!which.includes(k)) return constantArg(a);
      const p = checkPrimal('jacfwd', a, k);
      return p instanceof Variable ? p : variable(p);
    });
    const jacobians = which.map((i) => {
      const x = args[i] as Variable;
      const atX = (xi: Variable): Variable =>
        call(
          f,
          args.map((a, k) => (k === i ? xi : a)),
        );
      const columns: Variable[] = [];
      let outShape: readonly number[] | null = null;
      for (let e = 0; e < x.size; e++) {
        const direction = zerosLike(x.value);
        direction.data[e] = 1;
        const { value, tangent } = jvp(atX, [x], [direction]);
        outShape = value.shape;
        columns.push(tangent);
      }
      return assemble(columns, outShape ?? atX(x).shape, x, 'input');
    });
    return perArgnum(argnums, jacobians);
  };
}

/**
 * `hessian(f, argnum)(...args)`: the matrix of second derivatives of a scalar f with respect to argument
 * `argnum` (one index; −1 is the last argument), computed forward-over-reverse as `jacfwd(jacrev(f))` — one
 * JVP of the gradient per input element. Its shape is `[...x.shape, ...x.shape]` for x = args[argnum].
 * Arguments as for `valueAndGrad`.
 * @example hessian((x) => x.pow(3).sum())(tensor([1, 2]))   // [[6, 0], [0, 12]]
 */
export function hessian(f: DifferentiableFn, argnum = 0): (...args: unknown[]) => Variable {
  if (!Number.isInteger(argnum)) {
    throw new ValueError(`hessian: argnum is ${describeValue(argnum)}; expected one argument index (an integer)`);
  }
  return (...args) => {
    const [i] = resolveArgnums('hessian', [argnum], argnum, args.length);
    const gradient = jacrev(f, i!);
    return jacfwd((...a: Variable[]) => gradient(...a), i!)(...args);
  };
}
