/**
 * The forward-mode functional API: jvp, jacfwd (and jacrev beside it), hessian — against hand-derived
 * Jacobians and Hessians, against hvp, nested (no perturbation confusion), reverse over forward, and
 * through custom ops with and without their own jvp.
 */
import { describe, expect, it } from 'vitest';
import * as K from '@tapegrad/tensor';
import { Generator, tensor, type NestedArray, type Tensor } from '@tapegrad/tensor';
import {
  Variable,
  apply,
  defineOp,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacrev,
  jvp,
  softmaxCrossEntropy,
  variable,
  type Op,
} from '../src/index.js';

const gen = new Generator(31337);
const f64 = (x: NestedArray): Tensor => tensor(x, undefined, { dtype: 'float64' });
const randn = (...shape: number[]): Tensor => K.randn(shape, { generator: gen, dtype: 'float64' });
const close = (got: Variable | Tensor, want: Tensor, tol = 1e-10): void => {
  const g = got instanceof Variable ? got.value : got;
  expect(g.shape).toEqual(want.shape);
  expect(K.maxAbsDiff(g, want)).toBeLessThan(tol);
};

describe('jvp', () => {
  it('gives the value and the directional derivative', () => {
    const { value, tangent } = jvp((x: Variable) => x.mul(x), [f64([3])], [f64([1])]);
    expect(value.toArray()).toEqual([9]);
    expect(tangent.toArray()).toEqual([6]);
  });

  it('sums the contributions of several primals: ẏ = ȧ·b + a·ḃ', () => {
    const a = randn(2, 3);
    const b = randn(2, 3);
    const da = randn(2, 3);
    const db = randn(2, 3);
    const { tangent } = jvp((x: Variable, y: Variable) => x.mul(y), [a, b], [da, db]);
    close(tangent, K.add(K.mul(da, b), K.mul(a, db)));
  });

  it('gives a zero tangent when f does not depend on the primal', () => {
    const { tangent } = jvp(() => variable(f64([1, 2])), [f64([5])], [f64([1])]);
    expect(tangent.toArray()).toEqual([0, 0]);
  });

  it('rejects tangents of the wrong number, shape or dtype', () => {
    const f = (x: Variable): Variable => x.exp();
    expect(() => jvp(f, [f64([1, 2])], [])).toThrow(/1 primals and 0 tangents/);
    expect(() => jvp(f, [f64([1, 2])], [f64([1])])).toThrow(/tangent 0 has shape \[1\]; expected the shape of primal 0, \[2\]/);
    expect(() => jvp(f, [f64([1, 2])], [variable([1, 2])])).toThrow(/tangent 0 has dtype float32; expected .* float64/);
  });

  it('nested jvps keep their perturbations apart (d/dx [x · d/dy (x + y)] = 1)', () => {
    const outer = (x: Variable): Variable => x.mul(jvp((y: Variable) => x.add(y), [f64(1)], [f64(1)]).tangent);
    expect(jvp(outer, [f64(2)], [f64(1)]).tangent.item()).toBe(1);
    // and jacfwd of jacfwd is the Hessian
    const cube = (x: Variable): Variable => x.pow(3).sum();
    close(
      jacfwd(jacfwd(cube))(f64([1, -2])),
      f64([
        [6, 0],
        [0, -12],
      ]),
    );
  });

  it('reverse over forward: the gradient of a JVP is a second derivative', () => {
    const x = variable(f64(0.7), { requiresGrad: true });
    const { tangent } = jvp((v: Variable) => v.sin(), [x], [f64(1)]); // cos x
    tangent.backward();
    expect(x.grad!.item()).toBeCloseTo(-Math.sin(0.7), 14);
  });
});

describe('jacfwd and jacrev', () => {
  const cases: Array<[string, (x: Variable) => Variable, Tensor, (x: Tensor) => Tensor]> = [
    ['x² (diagonal)', (x) => x.square(), randn(3), (x) => K.mul(K.eye(3, 3, { dtype: 'float64' }), K.mul(x, 2))],
    ['A·x', (x) => variable(A).matmul(x), randn(3), () => A],
    [
      'softmax (diag(p) − p·pᵀ)',
      (x) => x.softmax(),
      randn(4),
      (x) => {
        const p = K.softmax(x);
        return K.sub(K.mul(K.eye(4, 4, { dtype: 'float64' }), p), K.mul(p.reshape(4, 1), p.reshape(1, 4)));
      },
    ],
  ];
  const A = randn(2, 3);

  for (const [name, f, x, hand] of cases) {
    it(`${name}: jacfwd = jacrev = the hand Jacobian`, () => {
      const want = hand(x);
      close(jacfwd(f)(x), want);
      close(jacrev(f)(x), want);
    });
  }

  it('shapes follow JAX: [...output, ...input]; argnums lists give one Jacobian each', () => {
    const x = randn(2, 2);
    const y = randn(3);
    const f = (a: Variable, b: Variable): Variable => a.sum().mul(b); // [3]
    const [jx, jy] = jacfwd(f, [0, 1])(x, y);
    const [rx, ry] = jacrev(f, [0, 1])(x, y);
    expect(jx!.shape).toEqual([3, 2, 2]);
    expect(jy!.shape).toEqual([3, 3]);
    close(jx!, rx!.value);
    close(jy!, ry!.value);
    close(jy!, K.mul(K.eye(3, 3, { dtype: 'float64' }), K.sum(x)));
    close(jx!, y.reshape(3, 1, 1).expand(3, 2, 2).contiguous());
  });
});

describe('hessian (forward over reverse)', () => {
  it('Σ x³ → diag(6x)', () => {
    const x = f64([1, -2, 0.5]);
    close(
      hessian((v: Variable) => v.pow(3).sum())(x),
      f64([
        [6, 0, 0],
        [0, -12, 0],
        [0, 0, 3],
      ]),
    );
  });

  it('the quadratic form xᵀAx → A + Aᵀ', () => {
    const A = randn(4, 4);
    close(hessian((v: Variable) => v.matmul(A).matmul(v))(randn(4)), K.add(A, A.T));
  });

  it('softmax cross-entropy of one row → diag(p) − p·pᵀ (through the fused op, which forward mode does not take)', () => {
    const z = randn(5);
    const labels = tensor([2], undefined, { dtype: 'int32' });
    const H = hessian((v: Variable) => softmaxCrossEntropy(v.reshape([1, 5]), labels))(z);
    const p = K.softmax(z);
    close(H, K.sub(K.mul(K.eye(5, 5, { dtype: 'float64' }), p), K.mul(p.reshape(5, 1), p.reshape(1, 5))));
  });

  it('H·v equals hvp', () => {
    const W = randn(3, 4);
    const f = (v: Variable): Variable => v.matmul(W).tanh().square().sum().add(v.sin().prod());
    const x = randn(3);
    const v = randn(3);
    close(K.matmul(hessian(f)(x).value, v), hvp(f, x, v).value, 1e-12);
  });

  it('of a linear layer with relu: the fused fast paths step aside in forward mode', () => {
    const w = randn(3, 2);
    const b = randn(2);
    const f = (v: Variable): Variable => v.reshape([1, 3]).linear(w, b).relu().square().sum();
    const x = f64([0.3, -0.4, 0.9]);
    const H = hessian(f)(x);
    // Hand Hessian: 2·Σ_j 1[y_j > 0]·w_:j w_:jᵀ with y = x·W + b.
    const y = K.add(K.matmul(x.reshape(1, 3), w), b)
      .reshape(2)
      .values();
    let want = K.zeros([3, 3], { dtype: 'float64' });
    for (let j = 0; j < 2; j++) {
      if (y[j]! <= 0) continue;
      const col = w.slice(null, j).reshape(3, 1).contiguous();
      want = K.add(want, K.mul(K.matmul(col, col.T), 2));
    }
    close(H, want);
  });
});

describe('forward mode through custom ops', () => {
  const x = randn(2, 3);
  const dx = randn(2, 3);
  const cube = (jvpRule?: Op['jvp']) =>
    defineOp({
      name: 'cube',
      forward: ([t]) => K.mul(K.mul(t!, t!), t!),
      backward: (g, { inputs: [t] }) => [g.mul(t!.square()).mul(3)],
      ...(jvpRule ? { jvp: jvpRule } : {}),
    });
  const want = K.mul(K.mul(K.mul(x, x), dx), 3);

  it('uses the op’s own jvp when it has one', () => {
    let calls = 0;
    const op = cube(([t], { inputs: [u] }) => {
      calls++;
      return t!.mul(u!.square()).mul(3);
    });
    close(jvp((v: Variable) => op(v), [x], [dx]).tangent, want);
    expect(calls).toBe(1);
  });

  it('without one, transposes the backward (and the result is still reverse-differentiable)', () => {
    const op = cube();
    close(jvp((v: Variable) => op(v), [x], [dx]).tangent, want);
    // d/dx of the directional derivative Σ 3x²·ẋ is 6x·ẋ
    const g = grad((v: Variable) => jvp((u: Variable) => op(u), [v], [dx]).tangent.sum())(x);
    close(g, K.mul(K.mul(x, dx), 6));
  });

  it('a backward that drops an input carrying a tangent is a clear error naming the op', () => {
    const lazy = defineOp({
      name: 'lazyMul',
      forward: ([a, b]) => K.mul(a!, b!),
      backward: (g, { inputs: [a, b] }) => [a!.requiresGrad ? g.mul(b!) : null, b!.requiresGrad ? g.mul(a!) : null],
    });
    expect(() => jvp((a: Variable) => lazy(a, 2), [x], [dx])).toThrow(/backward of op 'lazyMul' returned no gradient for input 0/);
  });

  it('an Op applied directly without a jvp fails in forward mode, naming it', () => {
    const op: Op = { name: 'noTangent', forward: ([t]) => K.exp(t!), backward: (g) => [g] };
    expect(() => jvp((v: Variable) => apply(op, [v]), [x], [dx])).toThrow(/jvp: op 'noTangent' has no forward-mode rule/);
    // outside forward mode it works as before
    expect(apply(op, [variable(x)]).shape).toEqual([2, 3]);
  });
});
