// The bug museum: mistakes from the tutorials tapegrad grew from, re-implemented as wrong variants of the delta
// rule, and shown to be CAUGHT by the same checks that the correct reference passes (finite differences, the
// autograd, the reference momentum). Each exhibit also runs with the bug switched off as a control.
import { Generator, Tensor, randn, tensor } from '@tapegrad/tensor';
import { describe, expect, test } from 'vitest';
import { SGD } from '@tapegrad/optim';
import {
  deltaRuleGradients,
  explainBackprop,
  gradientError,
  momentumUpdate,
  numericGradients,
  randomReferenceMlp,
  type ReferenceMlp,
} from '../src/reference/index.js';
import { activate, affine, toMat, type Mat, type ReferenceActivation } from '../src/reference/mlp.js';

type Bug =
  | 'none'
  | 'relu-threshold-at-1' //           relu′(net) = [net > 1] instead of [net > 0]
  | 'softmax-diagonal-jacobian' //     softmax′ = o(1 − o) elementwise, dropping the −o_j·o_k off-diagonal terms
  | 'sigmoid-sign-forward' //          σ(x) = 1/(1 + eˣ) in the forward pass, but σ′ = o(1 − o) in the backward pass
  | 'sigmoid-sign-error-term' //       output error written as (t − o) while the update still does w −= η·∂E/∂w
  | 'double-batch-average'; //         δ already carries 1/n from the mean loss, and ∂E/∂W = xᵀδ/n divides again

/** The tutorial's forward pass (with its sigmoid when that bug is on). */
function tutorialForward(net: ReferenceMlp, x: Tensor, bug: Bug): { inputs: Mat[]; nets: Mat[]; outs: Mat[] } {
  const inputs: Mat[] = [];
  const nets: Mat[] = [];
  const outs: Mat[] = [];
  let a = toMat(x);
  for (let l = 0; l < net.weights.length; l++) {
    inputs.push(a);
    const b = net.biases[l];
    const z = affine(a, toMat(net.weights[l]!), b ? (b.astype('float64').data as Float64Array) : null);
    nets.push(z);
    const act = net.activations[l] as ReferenceActivation;
    if (bug === 'sigmoid-sign-forward' && act === 'sigmoid') {
      const o = new Float64Array(z.data.length);
      for (let i = 0; i < o.length; i++) o[i] = 1 / (1 + Math.exp(z.data[i]!));
      a = { data: o, rows: z.rows, cols: z.cols };
    } else a = activate(act, z);
    outs.push(a);
  }
  return { inputs, nets, outs };
}

/** The loss the tutorial's network actually computes (mean over the batch; same conventions as the reference). */
function tutorialLoss(bug: Bug): (net: ReferenceMlp, x: Tensor, t: Tensor) => number {
  return (net, x, t) => {
    const { outs } = tutorialForward(net, x, bug);
    const o = outs[outs.length - 1]!;
    const td = t.astype('float64').data;
    let s = 0;
    for (let i = 0; i < o.data.length; i++) {
      const p = o.data[i]!;
      const y = td[i]!;
      if (net.loss === 'mse') s += (p - y) ** 2 / o.data.length;
      else if (net.loss === 'bce') s -= (y * Math.log(p) + (1 - y) * Math.log(1 - p)) / o.data.length;
      else if (y !== 0) s -= (y * Math.log(p)) / o.rows;
    }
    return s;
  };
}

/** The delta rule as the tutorials wrote it, with one bug switched on (no shortcuts, so every path is exercised). */
function tutorialGradients(net: ReferenceMlp, x: Tensor, t: Tensor, bug: Bug): { dW: Tensor; db: Tensor }[] {
  const { inputs, nets, outs } = tutorialForward(net, x, bug);
  const L = net.weights.length;
  const o = outs[L - 1]!;
  const n = o.rows;
  const m = o.cols;
  const td = t.astype('float64').data;
  // ∂E/∂o for the mean losses
  let g = new Float64Array(n * m);
  for (let i = 0; i < n * m; i++) {
    const p = o.data[i]!;
    const y = td[i]!;
    const err = bug === 'sigmoid-sign-error-term' ? y - p : p - y;
    if (net.loss === 'mse') g[i] = (2 * err) / (n * m);
    else if (net.loss === 'bce') g[i] = err / (p * (1 - p) * n * m);
    else g[i] = y === 0 ? 0 : -y / (p * n);
  }
  const grads: { dW: Tensor; db: Tensor }[] = new Array(L);
  for (let l = L - 1; l >= 0; l--) {
    const act = net.activations[l] as ReferenceActivation;
    const z = nets[l]!.data;
    const a = outs[l]!.data;
    const k = nets[l]!.cols;
    const delta = new Float64Array(n * k);
    if (act === 'softmax' && bug !== 'softmax-diagonal-jacobian') {
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let j = 0; j < k; j++) dot += g[i * k + j]! * a[i * k + j]!;
        for (let j = 0; j < k; j++) delta[i * k + j] = a[i * k + j]! * (g[i * k + j]! - dot);
      }
    } else {
      for (let i = 0; i < n * k; i++) {
        let d: number;
        if (act === 'relu') d = z[i]! > (bug === 'relu-threshold-at-1' ? 1 : 0) ? 1 : 0;
        else if (act === 'sigmoid' || act === 'softmax') d = a[i]! * (1 - a[i]!);
        else if (act === 'tanh') d = 1 - a[i]! * a[i]!;
        else d = 1;
        delta[i] = g[i]! * d;
      }
    }
    const x = inputs[l]!;
    const scale = bug === 'double-batch-average' ? 1 / n : 1;
    const dW = new Float64Array(x.cols * k);
    const db = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) db[j] += delta[i * k + j]! * scale;
      for (let p = 0; p < x.cols; p++) for (let j = 0; j < k; j++) dW[p * k + j] += x.data[i * x.cols + p]! * delta[i * k + j]! * scale;
    }
    grads[l] = { dW: new Tensor(dW, [x.cols, k]), db: new Tensor(db, [k]) };
    if (l > 0) {
      // g ← δ·Wᵀ: the error sent back to the layer below
      const W = toMat(net.weights[l]!);
      const next = new Float64Array(n * W.rows);
      for (let i = 0; i < n; i++) for (let p = 0; p < W.rows; p++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += delta[i * k + j]! * W.data[p * k + j]!;
        next[i * W.rows + p] = s;
      }
      g = next;
    }
  }
  return grads;
}

const FD = { atol: 1e-7, rtol: 1e-5 };

/** The worst closeness ratio over all layers' dW and db (≤ 1: the check passes; > 1: the bug is caught). */
function worstError(a: { dW: Tensor; db: Tensor }[], b: { dW: Tensor; db: Tensor }[]): number {
  let worst = 0;
  for (let l = 0; l < a.length; l++) {
    worst = Math.max(worst, gradientError(a[l]!.dW, b[l]!.dW, FD.atol, FD.rtol), gradientError(a[l]!.db, b[l]!.db, FD.atol, FD.rtol));
  }
  return worst;
}

function setup(sizes: number[], hidden: string, output: string, loss: string, n: number, seed: string) {
  const g = new Generator(seed);
  const net = randomReferenceMlp(sizes, hidden, output, loss, { generator: g });
  const x = randn([n, sizes[0]!], { dtype: 'float64', generator: g });
  const m = sizes[sizes.length - 1]!;
  const t = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    if (loss === 'cce') t[i * m + g.int(0, m)] = 1;
    else for (let j = 0; j < m; j++) t[i * m + j] = loss === 'bce' ? (g.random() < 0.5 ? 0 : 1) : g.random();
  }
  return { net, x, t: tensor(t, [n, m]) };
}

/** Autograd's gradients of the (correct) network, from the same side-by-side machinery users see. */
function autogradOf(net: ReferenceMlp, x: Tensor, t: Tensor): { dW: Tensor; db: Tensor }[] {
  return explainBackprop(net, x, t).layers.map((l) => ({ dW: l.dWAutograd, db: l.dbAutograd! }));
}

/**
 * Runs the tutorial code with and without the bug against finite differences of the loss it computes and (when
 * the bug leaves the forward pass alone) against the autograd.
 */
function exhibit(bug: Bug, sizes: number[], hidden: string, output: string, loss: string, n: number) {
  const { net, x, t } = setup(sizes, hidden, output, loss, n, `${bug}-${hidden}-${output}-${loss}-${n}`);
  const good = tutorialGradients(net, x, t, 'none');
  const wrong = tutorialGradients(net, x, t, bug);
  const control = worstError(good, numericGradients(net, x, t, { lossFn: tutorialLoss('none') }));
  const buggy = worstError(wrong, numericGradients(net, x, t, { lossFn: tutorialLoss(bug) }));
  let controlAutograd: number | null = null;
  let buggyAutograd: number | null = null;
  // the sigmoid-sign-forward bug changes the forward pass, so only FD of the tutorial's own loss can judge it
  if (bug !== 'sigmoid-sign-forward') {
    const auto = autogradOf(net, x, t);
    controlAutograd = worstError(good, auto);
    buggyAutograd = worstError(wrong, auto);
  }
  return { control, buggy, controlAutograd, buggyAutograd, net, x, t };
}

/** The verdict every exhibit must reach: control passes both checks, the bug fails both by a wide margin. */
function expectCaught(r: ReturnType<typeof exhibit>, label: string): void {
  expect(r.control, `${label}: control vs FD`).toBeLessThanOrEqual(1);
  expect(r.buggy, `${label}: bug vs FD`).toBeGreaterThan(100);
  if (r.controlAutograd !== null) {
    expect(r.controlAutograd, `${label}: control vs autograd`).toBeLessThanOrEqual(1);
    expect(r.buggyAutograd, `${label}: bug vs autograd`).toBeGreaterThan(100);
  }
}

describe('bug museum: each tutorial mistake is caught by the finite-difference check', () => {
  test('control: the tutorial code without bugs agrees with the reference delta rule and with FD', () => {
    for (const [hidden, output, loss] of [['relu', 'softmax', 'cce'], ['sigmoid', 'sigmoid', 'bce'], ['tanh', 'softmax', 'mse']] as const) {
      const { net, x, t } = setup([4, 6, 5, 3], hidden, output, loss, 8, `control-${hidden}`);
      const tut = tutorialGradients(net, x, t, 'none');
      expect(worstError(tut, deltaRuleGradients(net, x, t).layers)).toBeLessThanOrEqual(1e-3);
      expect(worstError(tut, numericGradients(net, x, t))).toBeLessThanOrEqual(1);
    }
  });

  test('ReLU derivative thresholded at 1 ([net > 1]) — units with 0 < net ≤ 1 lose their gradient', () => {
    expectCaught(exhibit('relu-threshold-at-1', [4, 8, 8, 3], 'relu', 'softmax', 'cce', 8), 'relu');
  });

  test('diagonal-only softmax Jacobian (softmax′ = o(1 − o)) — wrong under mse and under cce without the shortcut', () => {
    for (const loss of ['mse', 'cce']) {
      expectCaught(exhibit('softmax-diagonal-jacobian', [4, 6, 3], 'tanh', 'softmax', loss, 3), loss);
    }
  });

  test('sigmoid sign error in the forward pass (1/(1 + eˣ)) with σ′ = o(1 − o) in the backward pass', () => {
    for (const [hidden, output, loss] of [['sigmoid', 'linear', 'mse'], ['tanh', 'sigmoid', 'bce']] as const) {
      expectCaught(exhibit('sigmoid-sign-forward', [4, 5, 2], hidden, output, loss, 3), `${hidden}/${output}`);
    }
  });

  test('sigmoid output error written as (t − o) while the update still subtracts the gradient — every gradient flips sign', () => {
    const r = exhibit('sigmoid-sign-error-term', [4, 5, 2], 'relu', 'sigmoid', 'mse', 3);
    expectCaught(r, 'sign');
    const wrong = tutorialGradients(r.net, r.x, r.t, 'sigmoid-sign-error-term');
    const right = deltaRuleGradients(r.net, r.x, r.t).layers;
    expect(gradientError(wrong[1]!.dW, negate(right[1]!.dW), 1e-12, 1e-9)).toBeLessThanOrEqual(1);
  });

  test('double averaging over the batch — caught for n > 1, invisible at n = 1 (why the tests use several batch sizes)', () => {
    for (const n of [3, 8]) {
      expectCaught(exhibit('double-batch-average', [4, 6, 3], 'relu', 'softmax', 'cce', n), `n=${n}`);
    }
    const single = exhibit('double-batch-average', [4, 6, 3], 'relu', 'softmax', 'cce', 1);
    expect(single.buggy).toBeLessThanOrEqual(1);
    expect(single.buggyAutograd).toBeLessThanOrEqual(1);
  });
});

/** −t as a new float64 tensor. */
function negate(t: Tensor): Tensor {
  const v = t.astype('float64');
  const d = v.data;
  for (let i = 0; i < d.length; i++) d[i] = -d[i]!;
  return v;
}

describe('bug museum: "momentum" that adds the previous raw gradient', () => {
  const lr = 0.1;
  const alpha = 0.9;

  /** The tutorial's update: v = α·g(t−1) + η·g(t), w −= v — the previous raw GRADIENT, not the previous step. */
  function rawGradientMomentum(w0: number, steps: number): number[] {
    const path: number[] = [];
    let w = w0;
    let prev = 0;
    for (let s = 0; s < steps; s++) {
      const g = w; // ∇(½w²) = w
      w -= alpha * prev + lr * g;
      prev = g;
      path.push(w);
    }
    return path;
  }

  function referenceMomentum(w0: number, steps: number): number[] {
    const path: number[] = [];
    let w = [tensor([w0], undefined, { dtype: 'float64' })];
    let prev: Tensor[] | null = null;
    for (let s = 0; s < steps; s++) {
      const r = momentumUpdate(w, [w[0]!], prev, { lr, momentum: alpha });
      w = r.weights;
      prev = r.steps;
      path.push(w[0]!.item());
    }
    return path;
  }

  test('on E(w) = ½·w² it leaves the heavy-ball trajectory (Δw(t) = αΔw(t−1) − η∇E) from step 2 on', () => {
    const ref = referenceMomentum(1, 6);
    const buggy = rawGradientMomentum(1, 6);
    // hand-computed heavy ball: w1 = 1 − 0.1 = 0.9; Δ2 = 0.9·(−0.1) − 0.1·0.9 = −0.18 → w2 = 0.72
    expect(ref[0]).toBeCloseTo(0.9, 14);
    expect(ref[1]).toBeCloseTo(0.72, 14);
    // the bug: first step identical (the control), then Δ2 = −(0.9·1 + 0.1·0.9) = −0.99 → w2 = −0.09
    expect(buggy[0]).toBeCloseTo(ref[0]!, 14);
    expect(buggy[1]).toBeCloseTo(-0.09, 14);
    let worst = 0;
    for (let s = 1; s < 6; s++) worst = Math.max(worst, Math.abs(buggy[s]! - ref[s]!));
    expect(worst).toBeGreaterThan(0.5);
  });

  test("and against @tapegrad/optim's SGD with momentum (PyTorch rule): the reference matches, the bug does not", () => {
    const opt = new SGD(undefined, { lr, momentum: alpha });
    let w = tensor([1], undefined, { dtype: 'float64' });
    const optimPath: number[] = [];
    for (let s = 0; s < 6; s++) {
      w = opt.update([w], [w])[0]!; // ∇(½w²) = w
      optimPath.push(w.item());
    }
    const ref = referenceMomentum(1, 6);
    const buggy = rawGradientMomentum(1, 6);
    for (let s = 0; s < 6; s++) expect(optimPath[s]).toBeCloseTo(ref[s]!, 13);
    expect(Math.abs(buggy[3]! - optimPath[3]!)).toBeGreaterThan(0.1);
  });
});
