import { describe, expect, it } from 'vitest';
import { Tensor } from '@tapegrad/tensor';
import { clipGradNorm, clipGradValue, createOptimizer, type Parameter } from '../src/index.js';

const P = (vals: number[], grad: number[] | null): Parameter => ({
  value: new Tensor(Float64Array.from(vals), [vals.length]),
  grad: grad ? new Tensor(Float64Array.from(grad), [grad.length]) : null,
});

describe('clipGradNorm / clipGradValue (PyTorch semantics)', () => {
  it('global 2-norm: returns the norm and scales by maxNorm/(norm + 1e-6)', () => {
    const ps = [P([0, 0], [3, 4]), P([0], [12]), P([0], null)];
    const norm = clipGradNorm(ps, 6.5);
    expect(norm).toBe(13);
    const c = 6.5 / (13 + 1e-6);
    expect(Array.from(ps[0]!.grad!.data)).toEqual([3 * c, 4 * c]);
    expect(Array.from(ps[1]!.grad!.data)).toEqual([12 * c]);
  });
  it('no scaling below the limit, inf-norm and 1-norm', () => {
    const ps = [P([0, 0], [3, -4])];
    expect(clipGradNorm(ps, 10)).toBe(5);
    expect(Array.from(ps[0]!.grad!.data)).toEqual([3, -4]);
    expect(clipGradNorm([P([0, 0], [3, -4])], 1, Infinity)).toBe(4);
    const q = [P([0, 0], [3, -4])];
    expect(clipGradNorm(q, 3.5, 1)).toBe(7);
    expect(q[0]!.grad!.data[1]).toBe(-4 * (3.5 / (7 + 1e-6)));
  });
  it('an expanded gradient is replaced by a scaled contiguous copy, its source untouched', () => {
    const src = new Tensor(Float64Array.from([2]), [1]);
    const p: Parameter = { value: new Tensor(new Float64Array(4), [4]), grad: src.expand([4]) };
    expect(clipGradNorm([p], 1)).toBe(4);
    expect(src.data[0]).toBe(2);
    expect(p.grad!.isContiguous).toBe(true);
    expect(p.grad!.data[3]).toBeCloseTo(2 / (4 + 1e-6), 14);
  });
  it('clipGradValue clamps elementwise', () => {
    const ps = [P([0, 0, 0], [-3, 0.5, 7])];
    clipGradValue(ps, 1);
    expect(Array.from(ps[0]!.grad!.data)).toEqual([-1, 0.5, 1]);
  });
});

describe('optimizer clip options (Keras semantics)', () => {
  const step = (opts: Record<string, unknown>) => {
    const ps = [P([0, 0], [3, 4]), P([0], [12])];
    createOptimizer('sgd', ps, { lr: 1, ...opts }).step();
    // gradients themselves are left alone
    expect(Array.from(ps[0]!.grad!.data)).toEqual([3, 4]);
    return ps.map((p) => Array.from(p.value.data));
  };
  it('clipNorm clips each parameter to its own norm', () => {
    const [a, b] = step({ clipNorm: 2.5 });
    expect(a![0]).toBeCloseTo(-1.5, 14);
    expect(a![1]).toBeCloseTo(-2, 14);
    expect(b![0]).toBeCloseTo(-2.5, 14);
  });
  it('globalClipNorm clips all gradients together', () => {
    const [a, b] = step({ globalClipNorm: 6.5 });
    expect(a![0]).toBeCloseTo(-1.5, 14);
    expect(b![0]).toBeCloseTo(-6, 14);
  });
  it('clipValue clamps', () => {
    expect(step({ clipValue: 3.5 })).toEqual([[-3, -3.5], [-3.5]]);
  });
  it('at most one clip option', () => {
    expect(() => createOptimizer('adam', [], { clipNorm: 1, clipValue: 1 })).toThrow(/got clipNorm and clipValue; at most one/);
    expect(() => createOptimizer('adam', [], { clipNorm: 0 })).toThrow(/invalid clipNorm 0/);
  });
});
