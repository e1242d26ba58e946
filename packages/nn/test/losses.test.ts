import { describe, expect, it } from 'vitest';
import { gradcheck, parameter, variable } from '@tapegrad/autograd';
import { Generator, ShapeError, ValueError, rand, randn, tensor } from '@tapegrad/tensor';
import {
  binaryCrossentropy,
  categoricalCrossentropy,
  getLoss,
  meanAbsoluteError,
  meanSquaredError,
  resolveLossName,
  sparseCategoricalCrossentropy,
} from '../src/index.js';

const g = new Generator(5);

describe('losses', () => {
  it('golden values: CE of equal logits = ln k; BCE of p=0.5 = ln 2; mse/mae', () => {
    const logits = variable(tensor([[0, 0], [3, 3]]));
    const t = tensor([[1, 0], [0, 1]]);
    expect(categoricalCrossentropy(logits, t, { fromLogits: true }).item()).toBeCloseTo(Math.LN2, 6);
    expect(categoricalCrossentropy(variable(tensor([[0.5, 0.5], [0.5, 0.5]])), t).item()).toBeCloseTo(Math.LN2, 6);
    expect(binaryCrossentropy(variable(tensor([[0.5], [0.5]])), tensor([[1], [0]])).item()).toBeCloseTo(Math.LN2, 6);
    expect(binaryCrossentropy(variable(tensor([[0], [0]])), tensor([[1], [0]]), { fromLogits: true }).item()).toBeCloseTo(Math.LN2, 6);
    expect(meanSquaredError(variable(tensor([[1, 2], [3, 4]])), tensor([[1, 0], [0, 4]])).item()).toBeCloseTo(13 / 4, 6);
    expect(meanAbsoluteError(variable(tensor([[1, 2], [3, 4]])), tensor([[1, 0], [0, 4]])).item()).toBeCloseTo(5 / 4, 6);
  });

  it('means over the actual batch: a batch of 3 and a batch of 1 agree with a naive loop', () => {
    for (const n of [1, 3]) {
      const p = rand([n, 4], { generator: g, dtype: 'float64' });
      const t = rand([n, 4], { generator: g, dtype: 'float64' });
      const pv = p.values(), tv = t.values();
      let ce = 0;
      for (let i = 0; i < pv.length; i++) ce -= tv[i]! * Math.log(pv[i]!);
      expect(categoricalCrossentropy(variable(p), t).item()).toBeCloseTo(ce / n, 10);
    }
  });

  it('fromLogits is stable for huge logits and equals the probability form for moderate ones', () => {
    const big = variable(tensor([[1000, -1000], [-1000, 1000]]));
    const t = tensor([[0, 1], [0, 1]]);
    const v = categoricalCrossentropy(big, t, { fromLogits: true }).item();
    expect(v).toBeCloseTo(1000, 3);
    const extreme = binaryCrossentropy(variable(tensor([[500], [-500]])), tensor([[0], [1]]), { fromLogits: true }).item();
    expect(Number.isFinite(extreme)).toBe(true);
    const z = randn([5, 3], { generator: g, dtype: 'float64' });
    const tt = tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]], undefined, { dtype: 'float64' });
    const a = categoricalCrossentropy(variable(z), tt, { fromLogits: true }).item();
    const b = categoricalCrossentropy(variable(z).softmax(-1), tt).item();
    expect(a).toBeCloseTo(b, 8);
  });

  it('sparse targets (int32) equal one-hot targets and reject out-of-range classes', () => {
    const z = variable(randn([4, 3], { generator: g, dtype: 'float64' }));
    const idx = tensor([0, 2, 1, 2], undefined, { dtype: 'int32' });
    const hot = tensor([[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]], undefined, { dtype: 'float64' });
    expect(sparseCategoricalCrossentropy(z, idx, { fromLogits: true }).item()).toBeCloseTo(
      categoricalCrossentropy(z, hot, { fromLogits: true }).item(),
      10,
    );
    const p = z.softmax(-1);
    expect(sparseCategoricalCrossentropy(p, idx).item()).toBeCloseTo(categoricalCrossentropy(p, hot).item(), 6);
    expect(() => sparseCategoricalCrossentropy(z, tensor([0, 3, 1, 1], undefined, { dtype: 'int32' }))).toThrow(/target 3 at index 1/);
  });

  it('gradients pass gradcheck (float64)', () => {
    const t = rand([3, 4], { generator: g, dtype: 'float64' });
    for (const name of ['mse', 'mae', 'bce'] as const) {
      const fn = getLoss(name);
      const p = rand([3, 4], { generator: g, dtype: 'float64' });
      expect(gradcheck((x) => fn(x, t), [parameter(p)]).ok).toBe(true);
    }
    const hot = tensor([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], undefined, { dtype: 'float64' });
    const cse = getLoss('cse', { fromLogits: true });
    expect(gradcheck((x) => cse(x, hot), [parameter(randn([3, 4], { generator: g, dtype: 'float64' }))]).ok).toBe(true);
  });

  it('aliases and errors', () => {
    expect(resolveLossName('mse')).toBe('meanSquaredError');
    expect(resolveLossName('cse')).toBe('categoricalCrossentropy');
    expect(resolveLossName('categorical_crossentropy')).toBe('categoricalCrossentropy');
    expect(() => getLoss('hinge')).toThrow(ValueError);
    expect(() => meanSquaredError(variable(tensor([[1, 2]])), tensor([[1, 2, 3]]))).toThrow(ShapeError);
  });
});
