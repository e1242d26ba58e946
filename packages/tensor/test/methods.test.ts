// Imports a kernel module before the package index on purpose: the methods are attached by the entry
// (src/tensor-methods.ts), whatever was loaded first.
import { add as addKernel } from '../src/kernels/elementwise.js';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const g = new T.Generator(7);
const a = T.randn([3, 4], { generator: g });
const b = T.randn([4], { generator: g });
const aT = T.randn([4, 3], { generator: g }).T; // non-contiguous

describe('Tensor methods mirror the kernels', () => {
  it('binary methods equal the free functions, with broadcasting and numbers', () => {
    for (const name of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
      expect(a[name](b).equals(T[name](a, b))).toBe(true);
      expect(aT[name](2).equals(T[name](aT, 2))).toBe(true);
    }
    expect(
      a
        .abs()
        .pow(0.5)
        .equals(T.pow(T.abs(a), 0.5)),
    ).toBe(true);
    expect(addKernel(a, b).equals(a.add(b))).toBe(true);
  });

  it('unary methods equal the free functions on a transposed view', () => {
    for (const name of ['neg', 'abs', 'sign', 'exp', 'square', 'sin', 'cos', 'tanh', 'sigmoid', 'relu'] as const) {
      expect(aT[name]().equals(T[name](aT))).toBe(true);
    }
    const p = aT.abs();
    for (const name of ['log', 'log1p', 'sqrt', 'reciprocal'] as const) expect(p[name]().equals(T[name](p))).toBe(true);
    expect(aT.clip(-0.5, 0.5).equals(T.clip(aT, -0.5, 0.5))).toBe(true);
  });

  it('reductions take keepDims as a flag or as { keepDims }', () => {
    expect(a.sum(1, { keepDims: true }).shape).toEqual([3, 1]);
    expect(a.sum(1, true).equals(T.sum(a, 1, true))).toBe(true);
    expect(a.sum().item()).toBeCloseTo(T.sum(a).item(), 6);
    expect(aT.mean(0).equals(T.mean(aT, 0))).toBe(true);
    expect(aT.max([0, 1]).item()).toBe(T.max(aT).item());
    expect(aT.argmax(1).equals(T.argmax(aT, 1))).toBe(true);
    expect(aT.logsumexp(-1, { keepDims: true }).equals(T.logsumexp(aT, -1, true))).toBe(true);
    expect(aT.variance(0, { correction: 1 }).equals(T.variance(aT, 0, { correction: 1 }))).toBe(true);
    expect(aT.softmax().equals(T.softmax(aT))).toBe(true);
    expect(
      a
        .add(b)
        .sumTo([4])
        .equals(T.sumTo(T.add(a, b), [4])),
    ).toBe(true);
  });

  it('matmul, take and gather as methods', () => {
    expect(a.matmul(aT.T).equals(T.matmul(a, aT.T))).toBe(true);
    expect(a.take([2, 0], 0).equals(T.take(a, [2, 0], 0))).toBe(true);
    expect(a.gather([[0], [1], [3]], 1).toArray()).toEqual([[a.get(0, 0)], [a.get(1, 1)], [a.get(2, 3)]]);
  });

  it('toString and util.inspect print the formatted tensor', () => {
    const t = T.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(String(t)).toBe(T.formatTensor(t));
    expect(String(t)).toContain('[3., 4.]');
  });
});
