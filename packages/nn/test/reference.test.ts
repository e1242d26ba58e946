// Hand-derived backprop (delta rule, Jacobian form) against central finite differences and the autograd.
import { readFileSync } from 'node:fs';
import { Variable, variable } from '@tapegrad/autograd';
import { SGD } from '@tapegrad/optim';
import { Generator, Tensor, ShapeError, ValueError, randn, tensor } from '@tapegrad/tensor';
import { describe, expect, test } from 'vitest';
import { Dense, Dropout } from '../src/model/layers.js';
import { Sequential } from '../src/model/sequential.js';
import { getLoss } from '../src/training/losses.js';
import { lossGradient, toMat } from '../src/reference/mlp.js';
import {
  activationJacobian,
  explainBackprop,
  formatExplanation,
  toReferenceMlp,
  deltaRuleGradients,
  gradientError,
  jacobianGradients,
  maxAbsDifference as maxAbs,
  momentumUpdate,
  numericGradients,
  randomReferenceMlp,
  referenceLoss,
  type ReferenceMlp,
} from '../src/reference/index.js';

const hiddenActivations = ['linear', 'relu', 'sigmoid', 'tanh'] as const;
/** Output × loss pairs that are well defined (bce and cce need outputs in (0, 1)). */
const outputLossPairs = [
  ['linear', 'mse'],
  ['sigmoid', 'mse'],
  ['sigmoid', 'bce'],
  ['sigmoid', 'cce'],
  ['softmax', 'mse'],
  ['softmax', 'cce'],
  ['softmax', 'bce'],
] as const;
const depths = [1, 2, 3];
const batchSizes = [1, 3, 8];

/** Same values, non-contiguous layout: matrices as a transposed view, vectors as every other element of a buffer. */
function strided(t: Tensor): Tensor {
  if (t.ndim === 2) return t.T.contiguous().T;
  const v = t.values();
  const buf = new Float64Array(2 * v.length);
  for (let i = 0; i < v.length; i++) buf[2 * i] = v[i]!;
  return tensor(buf, [buf.length]).slice([0, null, 2]);
}

const stridedNet = (net: ReferenceMlp): ReferenceMlp => ({
  ...net,
  weights: net.weights.map(strided),
  biases: net.biases.map((b) => (b === null ? null : strided(b))),
});

/** Targets that suit the loss: one-hot rows for cce, 0/1 for bce, [0, 1) for squashed outputs + mse, N(0, 1) otherwise. */
function randomTargets(g: Generator, n: number, m: number, output: string, loss: string): Tensor {
  const t = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    if (loss === 'cce') t[i * m + g.int(0, m)] = 1;
    else
      for (let j = 0; j < m; j++) {
        if (loss === 'bce') t[i * m + j] = g.random() < 0.5 ? 0 : 1;
        else if (output === 'linear') t[i * m + j] = g.normal();
        else t[i * m + j] = g.random();
      }
  }
  return tensor(t, [n, m]);
}

interface Case {
  label: string;
  net: ReferenceMlp;
  x: Tensor;
  t: Tensor;
}

function* cases(hidden: string, output: string, loss: string, seed: string): IterableIterator<Case> {
  const g = new Generator(seed);
  for (const depth of depths) {
    for (const n of batchSizes) {
      const sizes = [4];
      for (let h = 0; h < depth; h++) sizes.push(3 + g.int(0, 4));
      sizes.push(3);
      const net = stridedNet(randomReferenceMlp(sizes, hidden, output, loss, { generator: g }));
      const x = randn([sizes[0]!, n], { dtype: 'float64', generator: g }).T; // non-contiguous input
      yield { label: `${hidden}→${output}/${loss} sizes [${sizes}] n=${n}`, net, x, t: randomTargets(g, n, 3, output, loss) };
    }
  }
}

/**
 * The same network built from autograd ops (method chain: matmul, add, activation; the loss from mean/log/…) in
 * float64, written independently of explain.ts; returns the loss and every layer's dW, db.
 */
function autogradGradients(net: ReferenceMlp, x: Tensor, targets: Tensor): { loss: number; layers: { dW: Tensor; db: Tensor }[] } {
  const Ws = net.weights.map((w) => variable(w, { requiresGrad: true }));
  const bs = net.biases.map((b) => variable(b!, { requiresGrad: true }));
  let a: Variable = variable(x);
  for (let l = 0; l < Ws.length; l++) {
    const z = a.matmul(Ws[l]!).add(bs[l]!);
    const act = net.activations[l]!;
    a = act === 'linear' ? z : act === 'relu' ? z.relu() : act === 'sigmoid' ? z.sigmoid() : act === 'tanh' ? z.tanh() : z.softmax(-1);
  }
  const t = variable(targets);
  const E =
    net.loss === 'mse'
      ? a.sub(t).square().mean()
      : net.loss === 'bce'
        ? t.mul(a.log()).add(t.neg().add(1).mul(a.neg().add(1).log())).mean().neg()
        : t.mul(a.log()).sum().neg().div(targets.shape[0]!);
  E.backward();
  return { loss: E.item(), layers: Ws.map((w, l) => ({ dW: w.grad!, db: bs[l]!.grad! })) };
}

/** Asserts two backprop results agree on every layer's dW and db (and δ when both have it). */
function expectSameGradients(
  a: { dW: Tensor; db: Tensor }[],
  b: { dW: Tensor; db: Tensor }[],
  atol: number,
  rtol: number,
  label: string,
): void {
  expect(a.length, label).toBe(b.length);
  for (let l = 0; l < a.length; l++) {
    expect(gradientError(a[l]!.dW, b[l]!.dW, atol, rtol), `${label}: layer ${l} dW`).toBeLessThanOrEqual(1);
    expect(gradientError(a[l]!.db, b[l]!.db, atol, rtol), `${label}: layer ${l} db`).toBeLessThanOrEqual(1);
  }
}

// Finite differences in float64 with ε = 1e-6: truncation ~1e-12, round-off ~1e-10 → 1e-7 absolute is tight.
const FD = { atol: 1e-7, rtol: 1e-5 };
const EXACT = { atol: 1e-13, rtol: 1e-10 };
// Autograd takes a different but equally exact float64 route (e.g. softmax's backward, sigmoid via exp).
const AUTOGRAD = { atol: 1e-12, rtol: 1e-9 };

describe('delta rule == Jacobian form == finite differences == autograd', () => {
  for (const hidden of hiddenActivations) {
    for (const [output, loss] of outputLossPairs) {
      test(`${hidden} hidden, ${output} output, ${loss} loss (depth 1–3 × batch 1, 3, 8)`, () => {
        let count = 0;
        for (const c of cases(hidden, output, loss, `${hidden}-${output}-${loss}`)) {
          const delta = deltaRuleGradients(c.net, c.x, c.t);
          const jac = jacobianGradients(c.net, c.x, c.t);
          const plain = deltaRuleGradients(c.net, c.x, c.t, { shortcuts: false });
          const numeric = numericGradients(c.net, c.x, c.t);
          expect(delta.loss).toBeCloseTo(referenceLoss(c.net, c.x, c.t), 14);
          expect(jac.loss).toBe(delta.loss);
          expectSameGradients(delta.layers, numeric, FD.atol, FD.rtol, `${c.label} delta rule vs FD`);
          expectSameGradients(jac.layers, delta.layers, EXACT.atol, EXACT.rtol, `${c.label} Jacobian vs delta rule`);
          expectSameGradients(plain.layers, delta.layers, EXACT.atol, EXACT.rtol, `${c.label} no shortcut vs shortcut`);
          const auto = autogradGradients(c.net, c.x, c.t);
          expect(Math.abs(auto.loss - delta.loss)).toBeLessThanOrEqual(1e-12 * Math.max(1, delta.loss));
          expectSameGradients(auto.layers, delta.layers, AUTOGRAD.atol, AUTOGRAD.rtol, `${c.label} autograd vs delta rule`);
          for (let l = 0; l < delta.layers.length; l++) {
            expect(
              gradientError(jac.layers[l]!.delta, delta.layers[l]!.delta, EXACT.atol, EXACT.rtol),
              `${c.label} δ${l}`,
            ).toBeLessThanOrEqual(1);
          }
          count++;
        }
        expect(count).toBe(depths.length * batchSizes.length);
      });
    }
  }

  test('a softmax hidden layer goes through its Jacobian in both forms', () => {
    const g = new Generator('softmax-hidden');
    const net = randomReferenceMlp([3, 5, 4, 2], 'softmax', 'sigmoid', 'bce', { generator: g });
    net.activations[1] = 'tanh';
    const x = randn([6, 3], { dtype: 'float64', generator: g });
    const t = randomTargets(g, 6, 2, 'sigmoid', 'bce');
    const delta = deltaRuleGradients(net, x, t);
    expectSameGradients(delta.layers, numericGradients(net, x, t), FD.atol, FD.rtol, 'delta');
    expectSameGradients(jacobianGradients(net, x, t).layers, delta.layers, EXACT.atol, EXACT.rtol, 'jacobian');
    expect(delta.layers[0]!.formula).toContain('softmax');
  });

  test('layers without bias: db is still Σδ (the gradient a bias would get), dW matches FD', () => {
    const g = new Generator('no-bias');
    const net = randomReferenceMlp([3, 4, 3], 'tanh', 'softmax', 'cce', { generator: g });
    net.biases[0] = null;
    const x = randn([5, 3], { dtype: 'float64', generator: g });
    const t = randomTargets(g, 5, 3, 'softmax', 'cce');
    const delta = deltaRuleGradients(net, x, t);
    const numeric = numericGradients(net, x, t);
    expect(gradientError(delta.layers[0]!.dW, numeric[0]!.dW, FD.atol, FD.rtol)).toBeLessThanOrEqual(1);
    expect(gradientError(delta.layers[1]!.db, numeric[1]!.db, FD.atol, FD.rtol)).toBeLessThanOrEqual(1);
  });

  test('soft labels (rows summing to 1) keep the softmax + cce shortcut exact; unnormalised rows use o·Σt − t', () => {
    const g = new Generator('soft');
    const net = randomReferenceMlp([4, 5, 3], 'relu', 'softmax', 'cce', { generator: g });
    const x = randn([4, 4], { dtype: 'float64', generator: g });
    for (const scale of [1, 2.5]) {
      const t = new Float64Array(12);
      for (let i = 0; i < 4; i++) {
        const r = [g.random(), g.random(), g.random()];
        const s = r[0]! + r[1]! + r[2]!;
        for (let j = 0; j < 3; j++) t[i * 3 + j] = (scale * r[j]!) / s;
      }
      const tt = tensor(t, [4, 3]);
      const delta = deltaRuleGradients(net, x, tt);
      expectSameGradients(delta.layers, numericGradients(net, x, tt), FD.atol, FD.rtol, `soft labels ×${scale}`);
    }
  });
});

describe('explainBackprop', () => {
  test('on a ReferenceMlp: hand and autograd agree to round-off, formulas name the rule used', () => {
    const g = new Generator('explain-ref');
    const net = randomReferenceMlp([4, 6, 5, 3], 'relu', 'softmax', 'mse', { generator: g });
    const x = randn([5, 4], { dtype: 'float64', generator: g });
    const t = randomTargets(g, 5, 3, 'softmax', 'mse');
    const e = explainBackprop(net, x, t);
    expect(e.layers.map((l) => l.layer)).toEqual(['layer 0', 'layer 1', 'layer 2']);
    expect(e.maxDiff).toBeLessThan(1e-14);
    expect(e.lossAutograd).toBeCloseTo(e.lossHand, 14);
    expect(e.layers[2]!.formula).toContain('softmax vector–Jacobian product gᵀJ');
    expect(e.layers[0]!.formula).toContain('[net > 0]');
    expect(e.layers[1]!.deltaHand.shape).toEqual([5, 5]);
    const text = formatExplanation(e);
    expect(text).toContain('layer 2');
    expect(text).toMatch(/max \|hand − autograd\| over all layers: \d\.\d\de-1\d/);
  });

  const modelCases = [
    ['relu', 'softmax', 'categoricalCrossentropy'],
    ['tanh', 'softmax', 'meanSquaredError'],
    ['sigmoid', 'sigmoid', 'binaryCrossentropy'],
    ['linear', 'linear', 'mse'],
  ] as const;
  for (const [hidden, output, loss] of modelCases) {
    test(`on a Sequential (${hidden} → ${output}, ${loss}): the model's own (fused) training path equals the delta rule`, () => {
      const model = new Sequential([
        new Dense(6, { activation: hidden, inputShape: [4] }),
        new Dropout(0.5),
        new Dense(5, { activation: hidden }),
        new Dense(3, { activation: output }),
      ], { seed: 7 });
      model.compile({ optimizer: 'sgd', loss });
      const g = new Generator(`model-${hidden}-${loss}`);
      const x = randn([8, 4], { generator: g });
      const refLoss = toReferenceMlp(model).loss;
      const y = randomTargets(g, 8, 3, output, refLoss).astype('float32');
      const before = model.parameters().map((p) => (p.grad = randn(p.shape as number[], { generator: g })));
      const e = explainBackprop(model, x, y);
      expect(e.layers.map((l) => l.layer)).toEqual(model.layers.filter((l) => l instanceof Dense).map((l) => l.name));
      // float32 parameters: autograd runs in float32, the hand side in float64 on the same numbers
      let scale = 0;
      for (const l of e.layers) for (const v of l.dWHand.values()) scale = Math.max(scale, Math.abs(v));
      expect(scale).toBeGreaterThan(1e-3);
      expect(e.maxDiff).toBeLessThan(1e-5 * Math.max(1, scale));
      expect(Math.abs(e.lossAutograd - e.lossHand)).toBeLessThan(1e-5 * Math.max(1, e.lossHand));
      // δ by hand vs autograd's gradient at the pre-activation (the fused loss's logits for the last layer)
      for (const l of e.layers) expect(maxAbs(l.deltaHand, l.deltaAutograd)).toBeLessThan(1e-6);
      // the model is left as it was: accumulated grads untouched, dropout still in training mode
      model.parameters().forEach((p, i) => expect(p.grad).toBe(before[i]));
      expect(model.layers[1]!.training).toBe(true);
    });
  }

  test('sparse integer labels are explained through one-hot rows (fused softmax path)', () => {
    const layers = [new Dense(4, { activation: 'sigmoid', inputShape: [3] }), new Dense(3, { activation: 'softmax' })];
    const model = new Sequential(layers, { seed: 3 });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const g = new Generator('sparse');
    const x = randn([6, 3], { generator: g });
    const labels = tensor([0, 2, 1, 1, 0, 2], undefined, { dtype: 'int32' });
    const e = explainBackprop(model, x, labels);
    expect(e.loss).toBe('cce');
    expect(e.maxDiff).toBeLessThan(1e-6);
    expect(e.layers[1]!.deltaHand.get(1, 2)).toBeLessThan(0); // (o − t)/n is negative at the true class
  });

  test('toReferenceMlp reads kernels, biases, activations and the loss; rejects losses without a hand rule', () => {
    const model = new Sequential([
      new Dense(3, { activation: 'relu', inputShape: [2] }),
      new Dense(2, { activation: 'softmax', useBias: false }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'cse' });
    const net = toReferenceMlp(model);
    expect(net.activations).toEqual(['relu', 'softmax']);
    expect(net.loss).toBe('cce');
    expect(net.weights[0]!.shape).toEqual([2, 3]);
    expect(net.biases[1]).toBeNull();
    expect(net.weights[1]).toBe((model.layers[1] as Dense).kernel.value);
    const mae = new Sequential([new Dense(1, { inputShape: [2] })]);
    mae.compile({ optimizer: 'sgd', loss: 'mae' });
    expect(() => toReferenceMlp(mae)).toThrow(/loss 'meanAbsoluteError' has no hand-derived backprop/);
    const logits = new Sequential([new Dense(2, { inputShape: [2] })]);
    logits.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', fromLogits: true });
    expect(() => toReferenceMlp(logits)).toThrow(/fromLogits/);
    const uncompiled = new Sequential([new Dense(2, { inputShape: [2] })]);
    expect(() => explainBackprop(uncompiled, randn([1, 2]), randn([1, 2]))).toThrow(/not compiled/);
  });
});

describe('docs/backprop.md', () => {
  test('the explainBackprop snippet runs as written and prints the side-by-side table', () => {
    const page = readFileSync(new URL('../../../docs/backprop.md', import.meta.url), 'utf8');
    const section = page.slice(page.indexOf('## 6.'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    const imports = [...code.matchAll(/^import \{ ([^}]+) \} from '([^']+)';$/gm)];
    expect(imports.map((m) => m[2])).toEqual(['@tapegrad/nn', '@tapegrad/tensor']);
    const available: Record<string, unknown> = { Sequential, Dense, explainBackprop, formatExplanation, randn, tensor };
    const names = imports.flatMap((m) => m[1]!.split(',').map((n) => n.trim()));
    for (const n of names) expect(available, `snippet imports ${n}`).toHaveProperty(n);
    const printed: string[] = [];
    const body = code.replace(/^import .*$/gm, '');
    new Function(...names, 'console', body)(...names.map((n) => available[n]), { log: (s: string) => printed.push(s) });
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain('Backprop by hand vs autograd — loss cce');
    expect(printed[0]).toMatch(/dense_1 +softmax/);
    const worst = Number(/over all layers: (\S+)/.exec(printed[0]!)![1]);
    expect(worst).toBeLessThan(1e-6);
  });
});

describe("the nn losses' log(clip(p, 1e-7, 1 − 1e-7))", () => {
  const pGrad = (loss: string, p: number[][], t: number[][]): number[][] => {
    const probabilities = variable(tensor(p, undefined, { dtype: 'float64' }), { requiresGrad: true });
    getLoss(loss)(probabilities, tensor(t, undefined, { dtype: 'float64' })).backward();
    return probabilities.grad!.toArray() as number[][];
  };

  test('changes nothing away from saturation: ∂E/∂p = −t/(n·p), as the unclipped reference says', () => {
    const p = [[0.3, 0.7], [0.6, 0.4]];
    const t = [[1, 0], [0, 1]];
    const g = pGrad('categoricalCrossentropy', p, t);
    const f64 = (v: number[][]): Tensor => tensor(v, undefined, { dtype: 'float64' });
    const ref = lossGradient('cce', toMat(f64(p)), toMat(f64(t)));
    g.flat().forEach((v, i) => expect(v).toBeCloseTo(ref.data[i]!, 14));
    expect(g[0]![0]).toBeCloseTo(-1 / 0.6, 14);
  });

  test('and kills the gradient at saturation: at p = 1e-8 the clip is flat, ∂E/∂p = 0 where −t/(n·p) = −5·10⁷', () => {
    const g = pGrad('categoricalCrossentropy', [[1e-8, 1 - 1e-8], [0.6, 0.4]], [[1, 0], [0, 1]]);
    expect(g[0]![0] === 0).toBe(true);
    expect(g[1]![1]).toBeCloseTo(-1 / 0.8, 14); // the unsaturated example keeps its gradient
    // binary cross-entropy too: a confidently wrong sigmoid output learns nothing through the clipped log
    const b = pGrad('binaryCrossentropy', [[1e-8]], [[1]]);
    expect(b[0]![0] === 0).toBe(true);
  });
});

describe('hand-computed values', () => {
  test('one sigmoid unit with mse: δ = 2(o − t)·o(1 − o), ∂E/∂w = δ·x', () => {
    // net = 0.5·2 + 0.1 = 1.1, o = σ(1.1), t = 1
    const o = 1 / (1 + Math.exp(-1.1));
    const net: ReferenceMlp = {
      weights: [tensor([[0.5]], undefined, { dtype: 'float64' })],
      biases: [tensor([0.1], undefined, { dtype: 'float64' })],
      activations: ['sigmoid'],
      loss: 'mse',
    };
    const r = deltaRuleGradients(net, tensor([[2]], undefined, { dtype: 'float64' }), tensor([[1]], undefined, { dtype: 'float64' }));
    const delta = 2 * (o - 1) * o * (1 - o);
    expect(r.loss).toBeCloseTo((o - 1) ** 2, 15);
    expect(r.layers[0]!.delta.item()).toBeCloseTo(delta, 15);
    expect(r.layers[0]!.dW.item()).toBeCloseTo(2 * delta, 15);
    expect(r.layers[0]!.db.item()).toBeCloseTo(delta, 15);
  });

  test('softmax + cce on equal logits: loss ln 3, δ = (1/3 − t)/n', () => {
    const net: ReferenceMlp = { weights: [tensor(new Float64Array(6), [2, 3])], biases: [null], activations: ['softmax'], loss: 'cce' };
    const x = tensor([[1, 2], [3, 4]], undefined, { dtype: 'float64' });
    const t = tensor([[1, 0, 0], [0, 0, 1]], undefined, { dtype: 'float64' });
    const r = deltaRuleGradients(net, x, t);
    expect(r.loss).toBeCloseTo(Math.log(3), 15);
    const third = 1 / 3;
    expect(r.layers[0]!.delta.toArray()).toEqual([
      [(third - 1) / 2, third / 2, third / 2],
      [third / 2, third / 2, (third - 1) / 2],
    ].map((row) => row.map((v) => expect.closeTo(v, 15))));
    // ∂E/∂W = xᵀδ
    const d = r.layers[0]!.delta;
    expect(r.layers[0]!.dW.get(1, 2)).toBeCloseTo(2 * d.get(0, 2) + 4 * d.get(1, 2), 15);
  });

  test('the Jacobian stack: diag(f′) for elementwise, diag(o) − ooᵀ for softmax (rows sum to 0)', () => {
    const z = tensor([[0.2, -1, 3]], undefined, { dtype: 'float64' });
    const relu = activationJacobian('relu', z, tensor([[0.2, 0, 3]], undefined, { dtype: 'float64' }));
    expect(relu.toArray()).toEqual([[[1, 0, 0], [0, 0, 0], [0, 0, 1]]]);
    const e = [Math.exp(0.2), Math.exp(-1), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    const o = tensor([e.map((v) => v / s)], undefined, { dtype: 'float64' });
    const J = activationJacobian('softmax', z, o);
    expect(J.shape).toEqual([1, 3, 3]);
    for (let j = 0; j < 3; j++) {
      let row = 0;
      for (let k = 0; k < 3; k++) row += J.get(0, j, k);
      expect(Math.abs(row)).toBeLessThan(1e-15);
      expect(J.get(0, j, j)).toBeCloseTo(o.get(0, j) * (1 - o.get(0, j)), 15);
    }
  });
});

describe('momentum reference', () => {
  test('Δw(t) = αΔw(t−1) − η∇: under a constant gradient the displacement is −ηg·Σ_t (1 − α^t)/(1 − α)', () => {
    const lr = 0.1;
    const alpha = 0.9;
    const g = tensor([2, -1], undefined, { dtype: 'float64' });
    let w = [tensor([0, 0], undefined, { dtype: 'float64' })];
    let prev: Tensor[] | null = null;
    for (let step = 1; step <= 5; step++) {
      const r = momentumUpdate(w, [g], prev, { lr, momentum: alpha });
      w = r.weights;
      prev = r.steps;
      let total = 0;
      for (let s = 1; s <= step; s++) total += (1 - alpha ** s) / (1 - alpha);
      expect(w[0]!.get(0)).toBeCloseTo(-lr * 2 * total, 13);
      expect(w[0]!.get(1)).toBeCloseTo(lr * total, 13);
    }
  });
});

describe('momentum reference vs @tapegrad/optim', () => {
  test('training an MLP with delta-rule gradients: momentumUpdate follows SGD(momentum) step for step', () => {
    const g = new Generator('momentum-mlp');
    const net = randomReferenceMlp([4, 6, 3], 'tanh', 'softmax', 'cce', { generator: g });
    const x = randn([8, 4], { dtype: 'float64', generator: g });
    const t = randomTargets(g, 8, 3, 'softmax', 'cce');
    const params = (n: ReferenceMlp): Tensor[] => [...n.weights, ...(n.biases as Tensor[])];
    const unpack = (ps: Tensor[]): ReferenceMlp => ({ ...net, weights: ps.slice(0, 2), biases: ps.slice(2) });
    const grads = (n: ReferenceMlp): Tensor[] => {
      const r = deltaRuleGradients(n, x, t);
      return [...r.layers.map((l) => l.dW), ...r.layers.map((l) => l.db)];
    };
    const opt = new SGD(undefined, { lr: 0.5, momentum: 0.9 });
    let a = params(net);
    let b = params(net);
    let prev: Tensor[] | null = null;
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      a = opt.update(a, grads(unpack(a)));
      const r = momentumUpdate(b, grads(unpack(b)), prev, { lr: 0.5, momentum: 0.9 });
      b = r.weights;
      prev = r.steps;
      for (let p = 0; p < a.length; p++) {
        expect(gradientError(b[p]!, a[p]!, 1e-12, 1e-10), `step ${step} param ${p}`).toBeLessThanOrEqual(1);
      }
      losses.push(referenceLoss(unpack(b), x, t));
    }
    expect(losses[7]!).toBeLessThan(0.5 * referenceLoss(net, x, t));
  });
});

describe('input validation', () => {
  const net = (): ReferenceMlp => randomReferenceMlp([3, 4, 2], 'relu', 'softmax', 'cce', { generator: new Generator(1) });
  const x = randn([5, 3], { dtype: 'float64' });
  const t = tensor(new Float64Array(10), [5, 2]);
  test('mismatched layer sizes name the layer and both shapes', () => {
    const bad = net();
    bad.weights[1] = randn([5, 2], { dtype: 'float64' });
    expect(() => deltaRuleGradients(bad, x, t)).toThrow(ShapeError);
    expect(() => deltaRuleGradients(bad, x, t)).toThrow(/weights\[1\] has shape \[5, 2\]; expected \[4, out\]/);
  });
  test('wrong target shape and unknown names', () => {
    expect(() => jacobianGradients(net(), x, tensor(new Float64Array(15), [5, 3]))).toThrow(
      /targets have shape \[5, 3\]; expected \[5, 2\]/,
    );
    expect(() => deltaRuleGradients({ ...net(), loss: 'hinge' }, x, t)).toThrow(ValueError);
    const bad = net();
    bad.activations[0] = 'gelu';
    expect(() => deltaRuleGradients(bad, x, t)).toThrow(/layer 0 has activation 'gelu'/);
  });
});
