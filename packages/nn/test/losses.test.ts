import { describe, expect, it } from 'vitest';
import { gradcheck, parameter, variable } from '@tapegrad/autograd';
import { Generator, ShapeError, ValueError, rand, randn, tensor } from '@tapegrad/tensor';
import {
  Dense,
  Sequential,
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
    expect(() => binaryCrossentropy(variable(tensor([[0.5]])), [[1]] as never)).toThrow(
      /binaryCrossentropy: targets must be a Variable or Tensor, got an array of length 1/,
    );
    const scce = (): unknown => sparseCategoricalCrossentropy(variable(tensor([[0.5, 0.5]])), [0] as never);
    expect(scce).toThrow(/targets must be a Variable or Tensor/);
    expect(() => meanSquaredError(undefined as never, tensor([1]))).toThrow(/meanSquaredError: predictions must be a Variable or Tensor/);
  });

  it('binary cross-entropy from logits: gradient (σ(z) − t)/N at every z, z = 0 included (torch BCEWithLogits)', () => {
    // At z = 0 the pieces max(z, 0) and |z| of the stable form have kinks; the gradient must still be σ(0) − t.
    const z = parameter(tensor([[0], [0], [2], [-3]], undefined, { dtype: 'float64' }));
    const t = tensor([[1], [0], [0.25], [1]], undefined, { dtype: 'float64' });
    binaryCrossentropy(z, t, { fromLogits: true }).backward();
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const want = [0, 0, 2, -3].map((v, i) => (sig(v) - [1, 0, 0.25, 1][i]!) / 4);
    z.grad!.values().forEach((gv, i) => expect(gv).toBeCloseTo(want[i]!, 15));
    expect([...z.grad!.values()].slice(0, 2)).toEqual([-0.125, 0.125]);
    // the value keeps the stable form: exact for a confident prediction (ln(1 + e^−20) ≈ 2.06e-9, not 0)
    const confident = binaryCrossentropy(variable(tensor([[20]])), tensor([[1]]), { fromLogits: true }).item();
    expect(confident).toBeCloseTo(Math.log1p(Math.exp(-20)), 15);
    expect(confident).toBeGreaterThan(0);
    // a target Variable gets −z/N
    const tv = parameter(tensor([[0.5], [0.5]], undefined, { dtype: 'float64' }));
    binaryCrossentropy(variable(tensor([[1.5], [-2]], undefined, { dtype: 'float64' })), tv, { fromLogits: true }).backward();
    expect([...tv.grad!.values()]).toEqual([-0.75, 1]);
  });

  it('sigmoid + binary cross-entropy from a zero-initialised kernel trains as the delta rule says (torch agrees)', () => {
    // ∂L/∂W = mean((σ(0) − t)·x) = mean((0.5 − t)·x); one full-batch SGD step with lr 1 (checked against torch).
    const m = new Sequential({ seed: 0 });
    m.add(new Dense(1, { activation: 'sigmoid', inputShape: [2], kernelInitializer: 'zeros' }));
    m.compile({ optimizer: 'sgd', lr: 1, loss: 'binaryCrossentropy' });
    const x = tensor([[1, 2], [3, -1], [-2, 1], [0.5, 0.5]]);
    m.fit(x, tensor([[1], [0], [1], [1]]), { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    const [w, b] = m.getWeights();
    expect([...w!.values()]).toEqual([-0.4375, 0.5625]);
    expect([...b!.values()]).toEqual([0.25]);
  });

  it('categorical cross-entropy sums over the last axis and averages over all other axes (Keras), from logits too', () => {
    expect(categoricalCrossentropy(variable(tensor([0.2, 0.7, 0.1])), tensor([0, 1, 0])).item()).toBeCloseTo(-Math.log(0.7), 6);
    const p = rand([2, 2, 3], { generator: g, dtype: 'float64' });
    const t = rand([2, 2, 3], { generator: g, dtype: 'float64' });
    const flat = categoricalCrossentropy(variable(p.reshape([4, 3])), t.reshape([4, 3])).item();
    expect(categoricalCrossentropy(variable(p), t).item()).toBeCloseTo(flat, 12);
    const z = randn([2, 2, 3], { generator: g, dtype: 'float64' });
    const zFlat = categoricalCrossentropy(variable(z.reshape([4, 3])), t.reshape([4, 3]), { fromLogits: true }).item();
    expect(categoricalCrossentropy(variable(z), t, { fromLogits: true }).item()).toBeCloseTo(zFlat, 12);
    expect(categoricalCrossentropy(variable(tensor([1, 2, 3])), tensor([0, 0, 1]), { fromLogits: true }).item()).toBeCloseTo(
      Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3,
      6,
    );
    expect(() => categoricalCrossentropy(variable(tensor(0.5)), tensor(1))).toThrow(/categoricalCrossentropy: predictions are a scalar/);
    expect(() => categoricalCrossentropy(variable(tensor([[]])), tensor([[]]))).toThrow(/predictions are empty \[1, 0\]/);
  });
});
