/**
 * Edges of the functional API found by an outside tester, against PyTorch 1.13 (torch.autograd.functional and
 * functorch, whose values are quoted in the comments) or the analytic formula: closures over outer variables,
 * checked vectors, functions that do not depend on their input, arguments that are not differentiated, argnums,
 * and `gradVariable` after mixed backward calls.
 */
import * as K from '@tapegrad/tensor';
import { DTypeError, ShapeError, ValueError, tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import { Variable, gradients, grad, hessian, hvp, jacfwd, jacrev, jvp, mul, valueAndGrad, variable, vjp } from '../src/index.js';

const f64 = (x: K.NestedArray): K.Tensor => tensor(x, undefined, { dtype: 'float64' });
const leaf = (x: K.NestedArray): Variable => variable(f64(x), { requiresGrad: true });

describe('a function that closes over an outer variable is differentiated through it', () => {
  it('grad of grad: d/dx Σ ∂(x·y)/∂y = 1 (functorch: 1; it was 0)', () => {
    const g = grad((x: Variable) => grad((y: Variable) => x.mul(y).sum())(f64([1])).sum())(f64(1));
    expect(g.item()).toBe(1);
  });

  it('grad of hvp: H of x·y³ along (1, 0) is (6xy₀², 0), so d/dx Σ H·v = 6 (functorch: 6; it was 0)', () => {
    const g = grad((x: Variable) => hvp((y: Variable) => x.mul(y.pow(3)).sum(), f64([1, 1]), f64([1, 0])).sum())(f64(1));
    expect(g.item()).toBe(6);
    // Like functorch's, the result is a plain value: the inner call's own leaves do not count as outer variables.
    expect(g.requiresGrad).toBe(false);
  });

  it('grad of jacrev and of vjp: the Jacobian of y ↦ x·y is x·I, so d/dx of its sum is 2 (functorch: 2, 2)', () => {
    expect(grad((x: Variable) => jacrev((y: Variable) => x.mul(y))(f64([1, 1])).sum())(f64(1)).item()).toBe(2);
    const viaVjp = grad((x: Variable) => vjp((y: Variable) => x.mul(y), [f64([1, 1])], f64([1, 1])).grads[0]!.sum())(f64(1));
    expect(viaVjp.item()).toBe(2);
  });

  it('a leaf w outside: ∂(w·x²)/∂x = 2wx = 12 stays connected to w, whose gradient is 2x = 4 (torch: 12, w.grad 4)', () => {
    const w = leaf(3);
    const g = grad((x: Variable) => w.mul(x.square()).sum())(f64(2));
    expect(g.item()).toBe(12);
    expect(g.requiresGrad).toBe(true);
    g.sum().backward(); // threw "does not require a gradient"
    expect(w.grad!.item()).toBe(4);
  });

  it('valueAndGrad: a value that depends on w stays connected to it (functorch grad_and_value: w.grad 3)', () => {
    const w = leaf(2);
    const { value, grad: g } = valueAndGrad((x: Variable) => x.sum().add(w.mul(3)))(f64([1, 2]));
    expect(value.item()).toBe(9);
    expect(g.toArray()).toEqual([1, 1]);
    expect(g.requiresGrad).toBe(false); // the gradient itself does not depend on w
    value.backward();
    expect(w.grad!.item()).toBe(3);
  });

  it('hessian of w·Σx³ is diag(6wx), connected to w: Σ H = 6w(x₀ + x₁), ∂/∂w = 18 at x = (2, 1) (functorch: 18)', () => {
    const w = leaf(3);
    const H = hessian((x: Variable) => w.mul(x.pow(3)).sum())(f64([2, 1]));
    expect(H.toArray()).toEqual([
      [36, 0],
      [0, 18],
    ]);
    H.sum().backward();
    expect(w.grad!.item()).toBe(18);
  });

  it('a cotangent or direction that requires a gradient is differentiated through (functorch: 3x² = [3, 12], 6x = [6, 12])', () => {
    const u = leaf([1, 1]);
    const [g] = vjp((x: Variable) => x.pow(3), [f64([1, 2])], u).grads;
    expect(gradients(g!.sum(), [u])[0]!.toArray()).toEqual([3, 12]);
    const v = leaf([1, 0]);
    const hv = hvp((x: Variable) => x.pow(3).sum(), f64([1, 2]), v);
    expect(hv.toArray()).toEqual([6, 0]);
    expect(gradients(hv.sum(), [v])[0]!.toArray()).toEqual([6, 12]);
  });

  it("valueAndGrad's value keeps its forward-mode tangent: jvp of Σx³ along (1, 0) at (1, 2) is 3 (functorch: 9, 3; it was 0)", () => {
    const { value, tangent } = jvp((x: Variable) => valueAndGrad((y: Variable) => y.pow(3).sum())(x).value, [f64([1, 2])], [f64([1, 0])]);
    expect(value.item()).toBe(9);
    expect(tangent.item()).toBe(3);
  });

  it('a first-order call of a function of its arguments alone records nothing', () => {
    const w = leaf(2);
    const g = grad((x: Variable) => x.square().sum())(f64([1, 2]));
    expect(g.requiresGrad).toBe(false);
    expect(g.entry).toBeNull();
    const { value } = valueAndGrad((x: Variable) => x.exp().sum())(f64([0]));
    expect(value.requiresGrad).toBe(false);
    // A closed-over variable the gradient cannot depend on (it is only added) records a constant gradient (functorch: no grad_fn).
    const h = grad((x: Variable) => x.square().sum().add(w))(f64([1, 2]));
    expect(h.toArray()).toEqual([2, 4]);
    expect(h.requiresGrad).toBe(false);
  });
});

describe('vectors are checked against what they multiply', () => {
  it('hvp: v of another shape is a ShapeError, not broadcast (torch: "v has invalid size: should be [3]")', () => {
    const f = (x: Variable): Variable => x.pow(3).sum();
    expect(() => hvp(f, f64([1, 2, 3]), f64([[1], [0], [0]]))).toThrow(ShapeError);
    expect(() => hvp(f, f64([1, 2, 3]), f64([[1], [0], [0]]))).toThrow(/hvp: v has shape \[3, 1\]; expected x's shape \[3\]/);
    expect(() => hvp(f, f64([1, 2, 3]), f64([1]))).toThrow(/hvp: v has shape \[1\]; expected x's shape \[3\]/);
  });

  it('hvp: v of another dtype, or not a tensor, is a named error', () => {
    const f = (x: Variable): Variable => x.pow(3).sum();
    expect(() => hvp(f, f64([1, 2, 3]), tensor([1, 0, 0]))).toThrow(DTypeError);
    expect(() => hvp(f, f64([1, 2, 3]), tensor([1, 0, 0]))).toThrow(/hvp: v has dtype float32; expected x's dtype float64/);
    expect(() => hvp(f, f64([1, 2, 3]), [1, 0, 0] as never)).toThrow(/hvp: v is an array of length 3; expected a Tensor or Variable/);
  });

  it("vjp: the cotangent must have the output's shape and dtype", () => {
    const f = (x: Variable): Variable => x.mul(2);
    expect(() => vjp(f, [f64([1, 2])], f64([1, 1, 1]))).toThrow(/vjp: the cotangent has shape \[3\]; expected the output's shape \[2\]/);
    expect(() => vjp(f, [f64([1, 2])], tensor([1, 1]))).toThrow(DTypeError);
    const f32 = tensor([1, 1]);
    expect(() => vjp(f, [f64([1, 2])], f32)).toThrow(/vjp: the cotangent has dtype float32; expected the output's dtype float64/);
  });

  it("jvp: a Tensor tangent of another dtype is an error (it was converted); nested arrays take the primal's dtype", () => {
    const f = (x: Variable): Variable => x.square();
    expect(() => jvp(f, [f64([1, 2])], [tensor([1, 1])])).toThrow(DTypeError);
    const f32 = tensor([1, 1]);
    expect(() => jvp(f, [f64([1, 2])], [f32])).toThrow(/jvp: tangent 0 has dtype float32; expected the dtype of primal 0, float64/);
    expect(jvp(f, [f64([1, 2])], [[1, 1]]).tangent.toArray()).toEqual([2, 4]);
  });
});

describe('a result that does not depend on the input has zero derivatives (torch.autograd.functional, strict=False)', () => {
  it('hvp of a linear function is 0 (torch: [0, 0]), and of a constant', () => {
    expect(hvp((x: Variable) => x.mul(2).sum(), f64([1, 2]), f64([1, 1])).toArray()).toEqual([0, 0]);
    const c = hvp(() => variable(f64(3)), f64([1, 2]), f64([1, 1]));
    expect(c.toArray()).toEqual([0, 0]);
    expect(c.dtype).toBe('float64');
  });

  it('vjp of a constant is 0 (torch: value [3, 4], vjp [0, 0])', () => {
    const { value, grads } = vjp(() => variable(f64([3, 4])), [f64([1, 2])], f64([1, 1]));
    expect(value.toArray()).toEqual([3, 4]);
    expect(grads.map((g) => g.toArray())).toEqual([[0, 0]]);
  });
});

describe('arguments that are not differentiated reach the function as Variables', () => {
  it('method style: ∂(x·y)/∂y = x (functorch: [1, 2])', () => {
    expect(grad((x: Variable, y: Variable) => x.mul(y).sum(), 1)(f64([1, 2]), f64([3, 4])).toArray()).toEqual([1, 2]);
  });

  it('an argument that is not used gives zeros (functorch: [0, 0])', () => {
    expect(grad((x: Variable) => x.mul(2).sum(), 1)(f64([1, 2]), f64([3, 4])).toArray()).toEqual([0, 0]);
  });

  it('nested arrays become constants like differentiated ones (float32)', () => {
    const g = grad((x: Variable, y: Variable) => mul(x, y).sum(), 1)([1, 2], [3, 4]);
    expect(g.dtype).toBe('float32');
    expect(g.toArray()).toEqual([1, 2]);
    expect(jacrev((x: Variable, y: Variable) => mul(x, y), 1)([1, 2], [3, 4]).toArray()).toEqual([
      [1, 0],
      [0, 2],
    ]);
  });

  it('hessian with respect to argument 1: d²/dy² Σ x·y² = diag(2x) (functorch: [[2, 0], [0, 4]])', () => {
    expect(hessian((x: Variable, y: Variable) => x.mul(y.square()).sum(), 1)(f64([1, 2]), f64([3, 4])).toArray()).toEqual([
      [2, 0],
      [0, 4],
    ]);
    expect(jacfwd((x: Variable, y: Variable) => x.mul(y).sum(), 1)(f64([1, 2]), f64([3, 4])).toArray()).toEqual([1, 2]);
  });

  it('numbers, options and lists of variables are passed as given', () => {
    expect(grad((x: Variable, n: number) => x.pow(n).sum())(f64([1, 2]), 3).toArray()).toEqual([3, 12]);
    const opts = { scale: 2 };
    expect(grad((x: Variable, o: typeof opts) => x.mul(o.scale).sum())(f64([1, 2]), opts).toArray()).toEqual([2, 2]);
    const ws = [variable(f64([1, 2])), variable(f64([3, 4]))];
    expect(grad((x: Variable, l: Variable[]) => x.mul(l[0]!).add(l[1]!).sum())(f64([5, 6]), ws).toArray()).toEqual([1, 2]);
  });
});

describe('argnums are checked', () => {
  const f = (x: Variable, y: Variable): Variable => x.mul(y.pow(3)).sum();

  it('negative indices count from the end: −1 is the last argument (functorch: grad −1 = 3xy² = [27, 96])', () => {
    expect(grad(f, -1)(f64([1, 2]), f64([3, 4])).toArray()).toEqual([27, 96]);
    expect(grad(f, -2)(f64([1, 2]), f64([3, 4])).toArray()).toEqual([27, 64]);
    // torch.autograd.functional.hessian: diag(6xy) = [[18, 0], [0, 48]]
    expect(hessian(f, -1)(f64([1, 2]), f64([3, 4])).toArray()).toEqual([
      [18, 0],
      [0, 48],
    ]);
  });

  it('an index out of range names the function, argnums and the number of arguments', () => {
    expect(() => grad((x: Variable) => x.sum(), 2)(f64([1, 2]))).toThrow(ValueError);
    const sum = grad((x: Variable) => x.sum(), 2);
    expect(() => sum(f64([1, 2]))).toThrow(/grad: argnums 2 asks for argument 2, but the function was called with 1 argument;/);
    expect(() => jacrev(f, [0, -3])(f64([1]), f64([2]))).toThrow(/jacrev: argnums \[0, -3\] asks for argument -3, but .* with 2 arguments/);
    expect(() => jacfwd(f, 5)(f64([1]), f64([2]))).toThrow(/jacfwd: argnums 5 asks for argument 5/);
    expect(() => hessian(f, 2)(f64([1]), f64([2]))).toThrow(/hessian: argnums 2 asks for argument 2/);
    expect(() => valueAndGrad(f, 2)(f64([1]), f64([2]))).toThrow(/valueAndGrad: argnums 2/);
  });

  it('duplicates, an empty list and non-integers are refused (functorch: "argnums must be unique", "must be non-empty")', () => {
    expect(() => grad(f, [0, 0])(f64([1]), f64([2]))).toThrow(/grad: argnums must be unique, but \[0, 0\] lists argument 0 twice/);
    expect(() => grad(f, [1, -1])(f64([1]), f64([2]))).toThrow(/argnums must be unique, but \[1, -1\] lists argument 1 twice/);
    expect(() => grad(f, [])).toThrow(/grad: argnums is an empty list/);
    expect(() => jacrev(f, 0.5)).toThrow(/jacrev: argnums is 0.5; expected an argument index/);
    expect(() => hessian(f, [0] as never)).toThrow(/hessian: argnum is an array of length 1; expected one argument index/);
  });

  it('an argument to differentiate that is not tensor-like is named', () => {
    expect(() => grad((x: Variable) => x.sum())('abc')).toThrow(/grad: argument 0 is the string "abc"; expected a Variable, Tensor/);
    const ints = tensor([1, 2], undefined, { dtype: 'int32' });
    expect(() => grad((x: Variable) => x.sum())(ints)).toThrow(/grad: argument 0 is a Tensor \[2\] int32, which has no gradient/);
  });
});

describe('gradVariable is the accumulated gradient, like .grad', () => {
  it('a plain backward, then one with createGraph: both are [6, 24], and d(Σ grad)/dx = 6x (torch: [6, 24], [6, 12])', () => {
    const x = leaf([1, 2]);
    x.pow(3).sum().backward();
    x.pow(3).sum().backward({ createGraph: true });
    expect(x.grad!.toArray()).toEqual([6, 24]);
    expect(x.gradVariable!.toArray()).toEqual([6, 24]); // was [3, 12]
    expect(gradients(x.gradVariable!.sum(), [x])[0]!.toArray()).toEqual([6, 12]);
  });

  it('createGraph first, then a plain backward: the plain part joins as a constant (torch: [6, 24], [6, 12])', () => {
    const x = leaf([1, 2]);
    x.pow(3).sum().backward({ createGraph: true });
    x.pow(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([6, 24]);
    expect(x.gradVariable!.toArray()).toEqual([6, 24]); // was [3, 12]
    expect(gradients(x.gradVariable!.sum(), [x])[0]!.toArray()).toEqual([6, 12]);
  });

  it('plain backward calls alone leave gradVariable null', () => {
    const x = leaf([1, 2]);
    x.pow(3).sum().backward();
    x.pow(3).sum().backward();
    expect(x.gradVariable).toBeNull();
  });
});
