// The bug museum, gradient exhibits: the mistakes of the two tutorials tapegrad grew from (as extracted in issue 15)
// and classic mistakes met while porting them, re-implemented as wrong variants of the delta rule (museum/tutorial-mlp.ts)
// and shown to be CAUGHT by the same checks the correct reference passes (finite differences, the autograd). Each
// exhibit also runs with the bug switched off as a control. The training-loop exhibits (momentum, batching) are in
// bug-museum-loop.test.ts.
import { Tensor } from '@tapegrad/tensor';
import { describe, expect, test } from 'vitest';
import { deltaRuleGradients, gradientError, numericGradients, type ReferenceMlp } from '../src/reference/index.js';
import {
  exhibit,
  expectCaught,
  expectInvisible,
  negate,
  setup,
  tutorialForward,
  tutorialGradients,
  tutorialLoss,
  worstError,
} from './museum/tutorial-mlp.js';

/** Every exhibit must be off by at least this many times the FD tolerance (measured: 4.9·10⁴ to 5.1·10⁶). */
const MARGIN = 1e4;

/** A layer's gradients with both signs flipped. */
const flipped = (g: { dW: Tensor; db: Tensor }) => ({ dW: negate(g.dW), db: negate(g.db) });

describe('bug museum: each mistake is caught by the finite-difference check (and by the autograd)', () => {
  test('control: the tutorial code without bugs agrees with the reference delta rule and with FD', () => {
    for (const [hidden, output, loss] of [['relu', 'softmax', 'cce'], ['sigmoid', 'sigmoid', 'bce'], ['tanh', 'softmax', 'mse']] as const) {
      const { net, x, t } = setup([4, 6, 5, 3], hidden, output, loss, 8, `control-${hidden}`);
      const tut = tutorialGradients(net, x, t, 'none');
      expect(worstError(tut, deltaRuleGradients(net, x, t).layers)).toBeLessThanOrEqual(1e-3);
      expect(worstError(tut, numericGradients(net, x, t))).toBeLessThanOrEqual(1);
    }
  });

  test('ReLU derivative thresholded at 1 ([net > 1]) — units with 0 < net ≤ 1 lose their gradient', () => {
    expectCaught(exhibit('relu-threshold-at-1', [4, 8, 8, 3], 'relu', 'softmax', 'cce', 8), 'relu', MARGIN);
  });

  test('diagonal-only softmax Jacobian (softmax′ = o(1 − o)) — wrong under mse and under cce without the shortcut', () => {
    for (const loss of ['mse', 'cce']) {
      expectCaught(exhibit('softmax-diagonal-jacobian', [4, 6, 3], 'tanh', 'softmax', loss, 3), loss, MARGIN);
    }
  });

  test("softmax's derivative applied to the softmax output again (the Jacobian of softmax(o) instead of o's)", () => {
    for (const loss of ['mse', 'cce']) {
      expectCaught(exhibit('softmax-derivative-of-output', [4, 6, 3], 'tanh', 'softmax', loss, 3), loss, MARGIN);
    }
  });

  test('sigmoid sign error in the forward pass (1/(1 + eˣ)) with σ′ = o(1 − o) in the backward pass', () => {
    for (const [hidden, output, loss] of [['sigmoid', 'linear', 'mse'], ['tanh', 'sigmoid', 'bce']] as const) {
      expectCaught(exhibit('sigmoid-sign-forward', [4, 5, 2], hidden, output, loss, 3), `${hidden}/${output}`, MARGIN);
    }
  });

  test('…which flips one sign per buggy sigmoid between the loss and the weight: two sigmoid layers flip dW₂, not dW₁', () => {
    // σ̃(x) = 1/(1 + eˣ) has σ̃′ = −σ̃(1 − σ̃), so each o(1 − o) the backward pass multiplies by has the wrong sign.
    for (const [sizes, signs] of [[[4, 5, 2], [1, -1]], [[4, 5, 5, 2], [-1, 1, -1]]] as const) {
      const { net, x, t } = setup([...sizes], 'sigmoid', 'sigmoid', 'mse', 3, `flips-${sizes.length}`);
      const wrong = tutorialGradients(net, x, t, 'sigmoid-sign-forward');
      const fd = numericGradients(net, x, t, { lossFn: tutorialLoss('sigmoid-sign-forward') });
      signs.forEach((sign, l) => {
        const truth = sign === 1 ? fd[l]! : flipped(fd[l]!);
        expect(worstError([wrong[l]!], [truth]), `${sizes.length - 1} layers: layer ${l + 1} has sign ${sign}`).toBeLessThanOrEqual(1);
        if (sign === -1) expect(worstError([wrong[l]!], [fd[l]!]), `layer ${l + 1} is caught`).toBeGreaterThan(MARGIN);
      });
    }
  });

  test('sigmoid output error written as (t − o) while the update still subtracts the gradient — every gradient flips sign', () => {
    const r = exhibit('sigmoid-sign-error-term', [4, 5, 2], 'relu', 'sigmoid', 'mse', 3);
    expectCaught(r, 'sign', MARGIN);
    const wrong = tutorialGradients(r.net, r.x, r.t, 'sigmoid-sign-error-term');
    const right = deltaRuleGradients(r.net, r.x, r.t).layers;
    expect(gradientError(wrong[1]!.dW, negate(right[1]!.dW), 1e-12, 1e-9)).toBeLessThanOrEqual(1);
    // every layer, weights and biases: the flip is at the top, so it reaches everything below
    for (let l = 0; l < wrong.length; l++) expect(worstError([wrong[l]!], [flipped(right[l]!)])).toBeLessThanOrEqual(1e-3);
    // so a small step "downhill" climbs the loss
    const loss = tutorialLoss('none');
    const step = (grads: { dW: Tensor; db: Tensor }[]): ReferenceMlp => ({
      ...r.net,
      weights: r.net.weights.map((w, l) => w.sub(grads[l]!.dW.mul(0.1))),
      biases: r.net.biases.map((b, l) => b!.sub(grads[l]!.db.mul(0.1))),
    });
    const before = loss(r.net, r.x, r.t);
    expect(loss(step(right), r.x, r.t)).toBeLessThan(before);
    expect(loss(step(wrong), r.x, r.t)).toBeGreaterThan(before);
  });

  test('double averaging over the batch — caught for n > 1, invisible at n = 1 (why the tests use several batch sizes)', () => {
    for (const n of [3, 8]) {
      expectCaught(exhibit('double-batch-average', [4, 6, 3], 'relu', 'softmax', 'cce', n), `n=${n}`, MARGIN);
    }
    const single = exhibit('double-batch-average', [4, 6, 3], 'relu', 'softmax', 'cce', 1);
    expectInvisible(single, 'n=1');
    expect(single.buggyAutograd).not.toBeNull();
  });

  test('the MSE derivative missing 2/m ((o − t)/n for 2(o − t)/(n·m)) — m/2 times too large, invisible at m = 2', () => {
    expectCaught(exhibit('mse-missing-2-over-m', [4, 6, 3], 'tanh', 'linear', 'mse', 4), 'm=3', MARGIN);
    expectInvisible(exhibit('mse-missing-2-over-m', [4, 6, 2], 'tanh', 'linear', 'mse', 4), 'm=2');
    // the factor is exactly m/2 everywhere
    const r = exhibit('mse-missing-2-over-m', [4, 6, 5], 'tanh', 'linear', 'mse', 4);
    const wrong = tutorialGradients(r.net, r.x, r.t, 'mse-missing-2-over-m');
    const right = deltaRuleGradients(r.net, r.x, r.t).layers;
    for (let l = 0; l < 2; l++) expect(gradientError(wrong[l]!.dW, right[l]!.dW.mul(2.5), 1e-12, 1e-9)).toBeLessThanOrEqual(1);
  });

  test('∂E/∂w written without the input x (Σ_i δ_ij for Σ_i x_ip·δ_ij) — every row of ∂W becomes the bias gradient', () => {
    const r = exhibit('weight-gradient-without-input', [4, 6, 3], 'tanh', 'softmax', 'cce', 4);
    expectCaught(r, 'no x', MARGIN);
    const wrong = tutorialGradients(r.net, r.x, r.t, 'weight-gradient-without-input');
    for (const { dW, db } of wrong) for (let p = 0; p < dW.shape[0]!; p++) expect(dW.slice([p, p + 1]).reshape([-1]).equals(db)).toBe(true);
  });

  test("the last example of each batch back-propagating the batch-mean error — caught for n > 1, invisible at n = 1", () => {
    expectCaught(exhibit('last-example-batch-mean', [4, 6, 3], 'tanh', 'softmax', 'cce', 4), 'n=4', MARGIN);
    expectInvisible(exhibit('last-example-batch-mean', [4, 6, 3], 'tanh', 'softmax', 'cce', 1), 'n=1');
  });

  test('softmax normalised over the whole array instead of per row — rows stop summing to 1; invisible at n = 1', () => {
    expectCaught(exhibit('softmax-whole-array', [4, 6, 3], 'tanh', 'softmax', 'cce', 4), 'n=4', MARGIN);
    expectInvisible(exhibit('softmax-whole-array', [4, 6, 3], 'tanh', 'softmax', 'cce', 1), 'n=1');
    const { net, x } = setup([4, 6, 3], 'tanh', 'softmax', 'cce', 4, 'whole-array');
    const rowSums = (bug: 'none' | 'softmax-whole-array'): number[] => {
      const o = tutorialForward(net, x, bug).outs[1]!;
      return Array.from({ length: o.rows }, (_, i) => o.data.slice(i * o.cols, (i + 1) * o.cols).reduce((s, v) => s + v, 0));
    };
    for (const s of rowSums('none')) expect(s).toBeCloseTo(1, 14);
    const wrong = rowSums('softmax-whole-array');
    expect(wrong.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14); // the whole batch sums to 1 instead
    expect(Math.max(...wrong.map((s) => Math.abs(s - 1)))).toBeGreaterThan(0.5);
  });

  test('tanh written as (1 − x)/(1 + x) — not tanh at all (1 at x = 0); (1 − e⁻²ˣ)/(1 + e⁻²ˣ) is the control', () => {
    expectCaught(exhibit('tanh-as-ratio', [4, 6, 3], 'tanh', 'softmax', 'cce', 4), 'tanh', MARGIN);
    const { net, x } = setup([4, 6, 3], 'tanh', 'softmax', 'cce', 4, 'ratio');
    const z = tutorialForward(net, x, 'none').nets[0]!;
    const wrong = tutorialForward(net, x, 'tanh-as-ratio').outs[0]!.data;
    let worstWrong = 0;
    for (let i = 0; i < z.data.length; i++) {
      const v = z.data[i]!;
      expect((1 - Math.exp(-2 * v)) / (1 + Math.exp(-2 * v))).toBeCloseTo(Math.tanh(v), 14);
      worstWrong = Math.max(worstWrong, Math.abs(wrong[i]! - Math.tanh(v)));
    }
    expect(worstWrong).toBeGreaterThan(0.5);
  });
});
