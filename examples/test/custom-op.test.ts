import { describe, expect, it } from 'vitest';
import { variable } from '@tapegrad/autograd';
import { Generator, randn } from '@tapegrad/tensor';
import { brokenSwish, run, swish } from '../custom-op/main.js';

const naiveSwish = (x: number): number => x / (1 + Math.exp(-x));
const naiveSwishGrad = (x: number): number => {
  const s = 1 / (1 + Math.exp(-x));
  return s * (1 + x * (1 - s));
};

describe('examples/custom-op', () => {
  it('swish forward and VJP match the formulas on a non-contiguous (transposed) input', () => {
    const base = randn([3, 4], { dtype: 'float64', generator: new Generator(7) });
    const t = base.T; // [4, 3], non-contiguous
    expect(t.isContiguous).toBe(false);
    const x = variable(t, { requiresGrad: true });
    const y = swish(x);
    y.sum().backward();
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 3; j++) {
        const v = t.get(i, j);
        expect(y.value.get(i, j)).toBeCloseTo(naiveSwish(v), 12);
        expect(x.grad!.get(i, j)).toBeCloseTo(naiveSwishGrad(v), 12);
      }
    }
    // The broken VJP really differs (so gradcheck has something to catch).
    const xb = variable(t, { requiresGrad: true });
    brokenSwish(xb).sum().backward();
    expect(Math.abs(xb.grad!.get(0, 0) - x.grad!.get(0, 0))).toBeGreaterThan(1e-3);
  });

  it('gradchecks the op, rejects the broken VJP, and trains an MLP with it on real digits', () => {
    const r = run({ trainSize: 1500, testSize: 500, epochs: 3, hidden: 32 });
    expect(r.gradcheck.ok).toBe(true);
    expect(r.gradcheck.maxError).toBeLessThan(1e-7);
    expect(r.gradgradcheck.ok).toBe(true);
    expect(r.brokenGradcheck.ok).toBe(false);
    expect(r.brokenGradcheck.maxError).toBeGreaterThan(1e-2);
    expect(r.model.layers[0]!.activationName).toBe('custom');
    // a function activation cannot be written to a model file: the error says so instead of saving a broken model
    expect(() => r.model.toJSON()).toThrow(/custom activation/);
    expect(r.loss).toHaveLength(3);
    expect(r.loss[2]!).toBeLessThan(0.6 * r.loss[0]!);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.8);
  });
});
