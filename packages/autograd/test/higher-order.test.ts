import * as K from '@tapegrad/tensor';
import { Generator, tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import { Variable, grad, hvp, valueAndGrad, variable, vjp } from '../src/index.js';

const f64 = (x: K.NestedArray): K.Tensor => tensor(x, undefined, { dtype: 'float64' });
const d2 = (f: (x: Variable) => Variable, x: number): number => grad(grad(f))(f64(x)).item();
const points = [-1.7, -0.3, 0, 0.4, 2.1];

describe('second derivatives through grad(grad(f))', () => {
  it('tanh″ = −2·tanh·(1 − tanh²) (backward reuses the output y)', () => {
    for (const x of points) {
      const t = Math.tanh(x);
      expect(d2((v) => v.tanh(), x)).toBeCloseTo(-2 * t * (1 - t * t), 12);
    }
  });

  it('sigmoid″ = s(1 − s)(1 − 2s)', () => {
    for (const x of points) {
      const s = 1 / (1 + Math.exp(-x));
      expect(d2((v) => v.sigmoid(), x)).toBeCloseTo(s * (1 - s) * (1 - 2 * s), 12);
    }
  });

  it('exp″ = exp', () => {
    for (const x of points) expect(d2((v) => v.exp(), x)).toBeCloseTo(Math.exp(x), 12);
  });

  it('(x³)″ = 6x and (x³)‴ = 6', () => {
    for (const x of points) {
      expect(d2((v) => v.pow(3), x)).toBeCloseTo(6 * x, 10);
      expect(d2((v) => v.mul(v).mul(v), x)).toBeCloseTo(6 * x, 12);
      expect(grad(grad(grad((v: Variable) => v.mul(v).mul(v))))(f64(x)).item()).toBeCloseTo(6, 12);
    }
  });

  it('elementwise: d/dx Σ tanh′(x) = tanh″(x) per element', () => {
    const x = f64([-1, 0.5, 2]);
    const g2 = grad((v: Variable) => grad((u: Variable) => u.tanh().sum())(v).sum())(x);
    const t = K.tanh(x).values();
    expect(Array.from(g2.value.values())).toEqual(Array.from(t, (ti) => expect.closeTo(-2 * ti * (1 - ti * ti), 12)));
  });

  it('backward({ createGraph: true }) leaves a differentiable gradVariable', () => {
    const x = variable(0.7, { requiresGrad: true, dtype: 'float64' });
    x.tanh().backward({ createGraph: true });
    const t = Math.tanh(0.7);
    expect(x.grad!.item()).toBeCloseTo(1 - t * t, 14);
    const g = x.gradVariable!;
    expect(g.requiresGrad).toBe(true);
    x.zeroGrad();
    g.backward();
    expect(x.grad!.item()).toBeCloseTo(-2 * t * (1 - t * t), 12);
  });

  it('the first-order gradient of a plain grad() call carries no graph', () => {
    const g = grad((v: Variable) => v.exp())(f64(1));
    expect(g.requiresGrad).toBe(false);
    expect(g.entry).toBeNull();
  });
});

describe('functional API', () => {
  it('valueAndGrad with several argnums', () => {
    const f = (a: Variable, b: Variable): Variable => a.mul(b).add(b.square()).sum();
    const { value, grad: gs } = valueAndGrad(f, [0, 1])(f64([1, 2]), f64([3, 4]));
    expect(value.item()).toBe(3 + 8 + 9 + 16);
    expect(gs[0]!.toArray()).toEqual([3, 4]);
    expect(gs[1]!.toArray()).toEqual([1 + 6, 2 + 8]);
  });

  it('vjp gives cotangentᵀ·J', () => {
    const a = f64([
      [1, 2],
      [3, 4],
    ]);
    const { value, grads } = vjp((x: Variable) => x.matmul(a), [f64([1, -1])], f64([1, 10]));
    expect(value.toArray()).toEqual([-2, -2]);
    // J = aᵀ as a map of x; cᵀ·J = a·c
    expect(grads[0]!.toArray()).toEqual([21, 43]);
  });

  it('hvp on a quadratic form xᵀAx is (A + Aᵀ)v', () => {
    const gen = new Generator(7);
    const A = K.randn([4, 4], { dtype: 'float64', generator: gen });
    const x = K.randn([4], { dtype: 'float64', generator: gen });
    const v = K.randn([4], { dtype: 'float64', generator: gen });
    const hv = hvp((u: Variable) => u.matmul(A).matmul(u), x, v);
    const want = K.matmul(K.add(A, A.T), v);
    expect(K.maxAbsDiff(hv.value, want)).toBeLessThan(1e-12);
  });

  it('hvp of Σ tanh(x) is tanh″(x)·v', () => {
    const x = f64([0.3, -1.2]);
    const v = f64([2, -1]);
    const hv = hvp((u: Variable) => u.tanh().sum(), x, v).value.values();
    const t = K.tanh(x).values();
    expect(hv[0]).toBeCloseTo(-2 * t[0]! * (1 - t[0]! ** 2) * 2, 12);
    expect(hv[1]).toBeCloseTo(-2 * t[1]! * (1 - t[1]! ** 2) * -1, 12);
  });

  it('grad of a function that ignores its argument is zero', () => {
    expect(grad(() => variable(3, { dtype: 'float64' }))(f64([1, 2])).toArray()).toEqual([0, 0]);
  });

  it('grad rejects a non-scalar result', () => {
    expect(() => grad((v: Variable) => v.mul(2))(f64([1, 2]))).toThrow(/one element, got shape \[2\]/);
  });
});
