// Edge cases of the reference (hand-derived) backprop tools: layers without bias, malformed networks, batches and
// labels that do not fit, and momentumUpdate's argument checks.
import { variable } from '@tapegrad/autograd';
import { Generator, ShapeError, Tensor, ValueError, randn, tensor } from '@tapegrad/tensor';
import { describe, expect, test } from 'vitest';
import { Dense } from '../src/model/layers.js';
import { Sequential } from '../src/model/sequential.js';
import { getLoss } from '../src/training/losses.js';
import {
  deltaRuleGradients,
  explainBackprop,
  gradientError,
  jacobianGradients,
  momentumUpdate,
  numericGradients,
  randomReferenceMlp,
  referenceLoss,
  type ReferenceMlp,
} from '../src/reference/index.js';

const f64 = (v: number[] | number[][]): Tensor => tensor(v, undefined, { dtype: 'float64' });
const FD = { atol: 1e-7, rtol: 1e-5 };

/** A 3 → 4 → 2 network whose first layer has no bias, and a batch for it. */
function noBiasCase(): { net: ReferenceMlp; x: Tensor; t: Tensor } {
  const g = new Generator('reference-edges-no-bias');
  const net = randomReferenceMlp([3, 4, 2], 'tanh', 'sigmoid', 'bce', { generator: g });
  net.biases[0] = null;
  return { net, x: randn([5, 3], { dtype: 'float64', generator: g }), t: f64([[0, 1], [1, 0], [1, 1], [0, 0], [0.3, 0.9]]) };
}

describe('layers without bias', () => {
  test('numericGradients, deltaRuleGradients and jacobianGradients report the same db: Σδ, the gradient a zero bias would get', () => {
    const { net, x, t } = noBiasCase();
    const numeric = numericGradients(net, x, t);
    const delta = deltaRuleGradients(net, x, t);
    const jacobian = jacobianGradients(net, x, t);
    const sumDelta = delta.layers[0]!.delta.sum(0);
    expect(Math.max(...Array.from(sumDelta.values(), Math.abs))).toBeGreaterThan(1e-3);
    for (let l = 0; l < 2; l++) {
      expect(gradientError(delta.layers[l]!.db, numeric[l]!.db, FD.atol, FD.rtol), `layer ${l} db vs FD`).toBeLessThanOrEqual(1);
      expect(gradientError(jacobian.layers[l]!.db, numeric[l]!.db, FD.atol, FD.rtol), `layer ${l} jacobian db`).toBeLessThanOrEqual(1);
      expect(gradientError(delta.layers[l]!.dW, numeric[l]!.dW, FD.atol, FD.rtol), `layer ${l} dW`).toBeLessThanOrEqual(1);
    }
    expect(gradientError(delta.layers[0]!.db, sumDelta, 1e-15, 1e-12)).toBeLessThanOrEqual(1);
    // the network itself is left without a bias
    expect(net.biases[0]).toBeNull();
  });

  test('explainBackprop: autograd has no bias to differentiate (dbAutograd null); the hand side still gives Σδ', () => {
    const { net, x, t } = noBiasCase();
    const e = explainBackprop(net, x, t);
    expect(e.layers[0]!.dbAutograd).toBeNull();
    expect(e.layers[1]!.dbAutograd).not.toBeNull();
    const numeric = numericGradients(net, x, t);
    expect(gradientError(e.layers[0]!.dbHand, numeric[0]!.db, FD.atol, FD.rtol)).toBeLessThanOrEqual(1);
    expect(e.maxDiff).toBeLessThan(1e-14);
  });

  test('numericGradients with a custom lossFn also probes a zero bias for a layer without one', () => {
    const { net, x, t } = noBiasCase();
    const seen: (Tensor | null)[] = [];
    const lossFn = (n: ReferenceMlp, xx: Tensor, tt: Tensor): number => {
      seen.push(n.biases[0] ?? null);
      return referenceLoss(n, xx, tt);
    };
    const numeric = numericGradients(net, x, t, { lossFn });
    expect(gradientError(numeric[0]!.db, numericGradients(net, x, t)[0]!.db, 1e-15, 1e-12)).toBeLessThanOrEqual(1);
    expect(seen.some((b) => b === null)).toBe(true); // the weights are probed on the network as given
    expect(seen.some((b) => b !== null)).toBe(true); // db through a zero bias
  });
});

describe('malformed networks and batches', () => {
  const net = (): ReferenceMlp => ({ weights: [f64([[1, 2]])], biases: [null], activations: ['linear'], loss: 'mse' });

  test('a missing biases (or weights, activations) list is a ValueError naming the function and the expected list', () => {
    const { biases: _biases, ...noBiases } = net();
    for (const fn of [deltaRuleGradients, jacobianGradients, numericGradients, explainBackprop] as const) {
      expect(() => fn(noBiases as unknown as ReferenceMlp, f64([[1]]), f64([[1, 1]]))).toThrow(ValueError);
      expect(() => fn(noBiases as unknown as ReferenceMlp, f64([[1]]), f64([[1, 1]]))).toThrow(
        new RegExp(`^${fn.name}: net\\.biases is undefined; expected an array of one \\[out\\] Tensor per layer, or null`),
      );
    }
    const { activations: _a, ...noActivations } = net();
    expect(() => referenceLoss(noActivations as unknown as ReferenceMlp, f64([[1]]), f64([[1, 1]]))).toThrow(
      /^referenceLoss: net\.activations is undefined; expected an array of one activation name per layer/,
    );
  });

  test('an empty batch is a ValueError naming the function and the shape (no NaN loss)', () => {
    const x = f64([[1]]).slice([0, 0]);
    const t = f64([[1, 1]]).slice([0, 0]);
    expect(x.shape).toEqual([0, 1]);
    for (const fn of [deltaRuleGradients, jacobianGradients, numericGradients, referenceLoss, explainBackprop] as const) {
      expect(() => fn(net(), x, t)).toThrow(ValueError);
      expect(() => fn(net(), x, t)).toThrow(`${fn.name}: x has shape [0, 1], an empty batch; expected at least one example`);
    }
  });

  test('x of the wrong width names x, its shape and the input width the network expects', () => {
    expect(() => deltaRuleGradients(net(), f64([[1, 2, 3]]), f64([[1, 1]]))).toThrow(ShapeError);
    expect(() => deltaRuleGradients(net(), f64([[1, 2, 3]]), f64([[1, 1]]))).toThrow(
      'deltaRuleGradients: x has shape [1, 3] (3 features) but weights[0] has shape [1, 2]; expected x of shape [batch, 1]',
    );
  });
});

describe('explainBackprop on a Sequential', () => {
  function model(loss: string): Sequential {
    const m = new Sequential([new Dense(2, { activation: 'relu', inputShape: [2] }), new Dense(2, { activation: 'softmax' })], {
      seed: 0,
    });
    m.compile({ optimizer: 'sgd', loss });
    return m;
  }

  test("x of the wrong width names x's shape and the model's input width, not the weights", () => {
    const m = model('categoricalCrossentropy');
    const run = (): unknown => explainBackprop(m, f64([[0, 1, 2]]), f64([[0, 1]]));
    expect(run).toThrow(ShapeError);
    expect(run).toThrow(/^explainBackprop: x has shape \[1, 3\] \(3 features\) .*expected x of shape \[batch, 2\]/);
  });

  test('a fractional or out-of-range sparse label is refused as the sparse loss refuses it', () => {
    const m = model('sparseCategoricalCrossentropy');
    const x = f64([[0, 1], [1, 0]]);
    expect(() => explainBackprop(m, x, f64([0.5, 0]))).toThrow(ValueError);
    expect(() => explainBackprop(m, x, f64([0.5, 0]))).toThrow('explainBackprop: target 0.5 at index 0 is not a class index in [0, 2)');
    expect(() => explainBackprop(m, x, f64([1, 2]))).toThrow('explainBackprop: target 2 at index 1 is not a class index in [0, 2)');
    expect(() => explainBackprop(m, x, f64([1, 0, 1]))).toThrow(
      'explainBackprop: sparse targets have shape [3]; expected [2] (one class index per row of x)',
    );
    // what the model's sparse loss says about the same label
    const sparse = getLoss('sparseCategoricalCrossentropy');
    expect(() => sparse(variable(f64([[0.5, 0.5], [0.5, 0.5]])), f64([0.5, 0]))).toThrow(
      'sparseCategoricalCrossentropy: target 0.5 at index 0 is not a class index in [0, 2)',
    );
    // valid labels, int32 or whole floats, still work
    expect(explainBackprop(m, x, f64([1, 0])).maxDiff).toBeLessThan(1e-6);
    expect(explainBackprop(m, x, tensor([1, 0], undefined, { dtype: 'int32' })).maxDiff).toBeLessThan(1e-6);
  });

  test('an empty batch is refused', () => {
    const m = model('categoricalCrossentropy');
    expect(() => explainBackprop(m, f64([[0, 1]]).slice([0, 0]), f64([[0, 1]]).slice([0, 0]))).toThrow(
      'explainBackprop: x has shape [0, 2], an empty batch',
    );
  });
});

describe('momentumUpdate', () => {
  const opts = { lr: 0.1, momentum: 0.9 };

  test('a gradient of another shape is a ShapeError naming the index and both shapes (was [0.9, NaN])', () => {
    const run = (): unknown => momentumUpdate([f64([1, 2])], [f64([1])], null, opts);
    expect(run).toThrow(ShapeError);
    expect(run).toThrow("momentumUpdate: gradient 0 has shape [1]; expected the weight's shape [2]");
    // same size, other shape
    expect(() => momentumUpdate([f64([[1, 2]])], [f64([1, 2])], null, opts)).toThrow(
      "momentumUpdate: gradient 0 has shape [2]; expected the weight's shape [1, 2]",
    );
  });

  test('a previous step of another shape is a ShapeError', () => {
    const w = [f64([0]), f64([1, 2])];
    const g = [f64([0]), f64([1, 1])];
    expect(() => momentumUpdate(w, g, [f64([0]), f64([1])], opts)).toThrow(ShapeError);
    expect(() => momentumUpdate(w, g, [f64([0]), f64([1])], opts)).toThrow(
      "momentumUpdate: previous step 1 has shape [1]; expected the weight's shape [2]",
    );
  });

  test('lr and momentum must be finite numbers >= 0', () => {
    const w = [f64([1, 2])];
    const g = [f64([1, 1])];
    expect(() => momentumUpdate(w, g, null, { lr: NaN, momentum: 0.9 })).toThrow(ValueError);
    expect(() => momentumUpdate(w, g, null, { lr: NaN, momentum: 0.9 })).toThrow(
      'momentumUpdate: invalid learning rate lr NaN; expected a finite number >= 0',
    );
    expect(() => momentumUpdate(w, g, null, { lr: 0.1, momentum: NaN })).toThrow('momentumUpdate: invalid momentum NaN');
    expect(() => momentumUpdate(w, g, null, { lr: 0.1 } as never)).toThrow('momentumUpdate: invalid momentum undefined');
    expect(() => momentumUpdate(w, g, null, { lr: -1, momentum: 0 })).toThrow('momentumUpdate: invalid learning rate lr -1');
    expect(() => momentumUpdate(w, g, null, { lr: Infinity, momentum: 0 })).toThrow(ValueError);
  });

  test('non-tensor entries and a non-array previous are named', () => {
    const notATensor = 3 as never;
    expect(() => momentumUpdate([f64([1])], [notATensor], null, opts)).toThrow(
      "momentumUpdate: gradient 0 is 3; expected a Tensor of the weight's shape [1]",
    );
    expect(() => momentumUpdate([f64([1])], [f64([1])], 'x' as never, opts)).toThrow(/^momentumUpdate: previous must be null/);
  });

  test('valid steps are unchanged: Δw = αΔw_prev − ηg', () => {
    const r1 = momentumUpdate([f64([1, 2])], [f64([1, -1])], null, opts);
    expect(Array.from(r1.weights[0]!.values())).toEqual([1 - 0.1, 2 + 0.1]);
    const r2 = momentumUpdate(r1.weights, [f64([1, -1])], r1.steps, opts);
    expect(r2.steps[0]!.get(0)).toBeCloseTo(0.9 * -0.1 - 0.1, 15);
    expect(momentumUpdate([], [], null, opts)).toEqual({ weights: [], steps: [] });
  });
});
