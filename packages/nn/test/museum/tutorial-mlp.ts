/**
 * The bug museum's machinery: the two tutorials' MLP — a forward pass, ∂E/∂o, the delta rule with no shortcuts —
 * built from the reference's pieces (reference/mlp.ts, delta-rule.ts) with one tutorial bug switched in at a time,
 * and the checks that catch it: central finite differences of the loss the code actually computes, and the
 * autograd of the correct network.
 */
import { Generator, Tensor, randn, tensor } from '@tapegrad/tensor';
import { expect } from 'vitest';
import { explainBackprop, gradientError, numericGradients, randomReferenceMlp, type ReferenceMlp } from '../../src/reference/index.js';
import { applyActivationBackward } from '../../src/reference/delta-rule.js';
import {
  activate,
  affine,
  lossGradient,
  lossValue,
  timesTransposed,
  toMat,
  weightGradients,
  type Mat,
  type ReferenceActivation,
  type ReferenceLoss,
} from '../../src/reference/mlp.js';

/** A bug of the forward pass: the code computes a different function, so only its own loss's FD can judge it. */
export type ForwardBug =
  | 'sigmoid-sign-forward' //          σ(x) = 1/(1 + eˣ) in the forward pass, but σ′ = o(1 − o) in the backward pass
  | 'softmax-whole-array' //           softmax normalised over the whole [n, m] array instead of per row
  | 'tanh-as-ratio'; //                tanh(x) written as (1 − x)/(1 + x), with tanh′ = 1 − o² in the backward pass

/** A bug of the backward pass (the forward pass is right, so the autograd of the same network judges it too). */
export type BackwardBug =
  | 'relu-threshold-at-1' //           relu′(net) = [net > 1] instead of [net > 0]
  | 'softmax-diagonal-jacobian' //     softmax′ = o(1 − o) elementwise, dropping the −o_j·o_k off-diagonal terms
  | 'softmax-derivative-of-output' //  softmax′ evaluated at the output o: the Jacobian of softmax(o), softmax applied twice
  | 'sigmoid-sign-error-term' //       output error written as (t − o) while the update still does w −= η·∂E/∂w
  | 'double-batch-average' //          δ already carries 1/n from the mean loss, and ∂E/∂W = xᵀδ/n divides again
  | 'mse-missing-2-over-m' //          ∂E/∂o of the mean squared error written (o − t)/n instead of 2(o − t)/(n·m)
  | 'weight-gradient-without-input' // ∂E/∂w_pj written Σ_i δ_ij, without the input x_ip
  | 'last-example-batch-mean'; //      only the last example's activations kept, back-propagating the batch-mean error

/** A tutorial bug, or `none` for the control run. */
export type Bug = 'none' | ForwardBug | BackwardBug;

const forwardBugs: readonly Bug[] = ['sigmoid-sign-forward', 'softmax-whole-array', 'tanh-as-ratio'];

/** True for a bug that changes the function the network computes. */
export const changesForward = (bug: Bug): boolean => forwardBugs.includes(bug);

/** The tutorial's forward pass (with its forward bug, when one is on): every layer's input, pre-activation and output. */
export function tutorialForward(net: ReferenceMlp, x: Tensor, bug: Bug): { inputs: Mat[]; nets: Mat[]; outs: Mat[] } {
  const inputs: Mat[] = [];
  const nets: Mat[] = [];
  const outs: Mat[] = [];
  let a = toMat(x);
  for (let l = 0; l < net.weights.length; l++) {
    inputs.push(a);
    const b = net.biases[l];
    const z = affine(a, toMat(net.weights[l]!), b ? (b.astype('float64').data as Float64Array) : null);
    nets.push(z);
    a = tutorialActivation(net.activations[l] as ReferenceActivation, z, bug);
    outs.push(a);
  }
  return { inputs, nets, outs };
}

/** One activation as the tutorial computes it. */
function tutorialActivation(act: ReferenceActivation, z: Mat, bug: Bug): Mat {
  const each = (f: (v: number) => number): Mat => ({ data: z.data.map(f), rows: z.rows, cols: z.cols });
  if (bug === 'sigmoid-sign-forward' && act === 'sigmoid') return each((v) => 1 / (1 + Math.exp(v)));
  if (bug === 'tanh-as-ratio' && act === 'tanh') return each((v) => (1 - v) / (1 + v));
  if (bug === 'softmax-whole-array' && act === 'softmax') {
    const whole = activate('softmax', { data: z.data, rows: 1, cols: z.data.length });
    return { data: whole.data, rows: z.rows, cols: z.cols };
  }
  return activate(act, z);
}

/** The loss the tutorial's network actually computes: the reference's mean loss of its (possibly buggy) output. */
export function tutorialLoss(bug: Bug): (net: ReferenceMlp, x: Tensor, t: Tensor) => number {
  return (net, x, t) => {
    const { outs } = tutorialForward(net, x, bug);
    return lossValue(net.loss as ReferenceLoss, outs[outs.length - 1]!, toMat(t));
  };
}

/** ∂E/∂o of the mean losses: the reference's, or as the tutorial wrote it with its error-term or 2/m bug. */
function outputGradient(loss: ReferenceLoss, o: Mat, t: Mat, bug: Bug): Mat {
  const g = lossGradient(loss, o, t);
  const d = g.data;
  if (bug === 'mse-missing-2-over-m' && loss === 'mse') for (let i = 0; i < d.length; i++) d[i] = (o.data[i]! - t.data[i]!) / o.rows;
  // (t − o) written for the error (o − t) of mse and bce; cce's −t/(o·n) has no error term
  if (bug === 'sigmoid-sign-error-term' && loss !== 'cce') for (let i = 0; i < d.length; i++) d[i] = -d[i]!;
  return g;
}

/** The last row of a matrix, as a one-row matrix. */
const lastRow = (a: Mat): Mat => ({ data: a.data.slice((a.rows - 1) * a.cols), rows: 1, cols: a.cols });

/** Σ over the rows of a matrix, as a one-row matrix. */
function columnSums(g: Mat): Mat {
  const s = new Float64Array(g.cols);
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) s[j] += g.data[i * g.cols + j]!;
  return { data: s, rows: 1, cols: g.cols };
}

/** The delta rule as the tutorials wrote it, with one bug switched on (no shortcuts, so every path is exercised). */
export function tutorialGradients(net: ReferenceMlp, x: Tensor, t: Tensor, bug: Bug): { dW: Tensor; db: Tensor }[] {
  let { inputs, nets, outs } = tutorialForward(net, x, bug);
  const L = net.weights.length;
  let g = outputGradient(net.loss as ReferenceLoss, outs[L - 1]!, toMat(t), bug);
  if (bug === 'last-example-batch-mean') {
    // The per-example loop left only the last example's activations behind; the error is the batch mean
    // (g already carries 1/n, so the mean of the per-example errors n·g_i is Σ_i g_i).
    g = columnSums(g);
    [inputs, nets, outs] = [inputs.map(lastRow), nets.map(lastRow), outs.map(lastRow)];
  }
  const grads: { dW: Tensor; db: Tensor }[] = new Array(L);
  for (let l = L - 1; l >= 0; l--) {
    const delta = layerDelta(net.activations[l] as ReferenceActivation, g, nets[l]!, outs[l]!, bug);
    grads[l] = layerGradients(inputs[l]!, delta, bug);
    if (l > 0) g = timesTransposed(delta, toMat(net.weights[l]!));
  }
  return grads;
}

/** δ = ∂E/∂net of one layer from g = ∂E/∂a: the reference's (f′ elementwise, or softmax's gᵀJ) unless a bug changes it. */
function layerDelta(act: ReferenceActivation, g: Mat, z: Mat, out: Mat, bug: Bug): Mat {
  if (act === 'relu' && bug === 'relu-threshold-at-1') return { ...g, data: g.data.map((v, i) => v * (z.data[i]! > 1 ? 1 : 0)) };
  // softmax′ taken elementwise as o(1 − o), which is sigmoid's derivative
  if (act === 'softmax' && bug === 'softmax-diagonal-jacobian') return applyActivationBackward('sigmoid', g, z, out);
  // J = diag(s) − s·sᵀ should be taken at the output o = softmax(net), not at softmax(o)
  if (act === 'softmax' && bug === 'softmax-derivative-of-output') return applyActivationBackward(act, g, z, activate('softmax', out));
  return applyActivationBackward(act, g, z, out);
}

/** ∂E/∂W = xᵀδ and ∂E/∂b = Σ δ: the reference's, unless the missing-input or double-average bug is on. */
function layerGradients(x: Mat, delta: Mat, bug: Bug): { dW: Tensor; db: Tensor } {
  // Σ_i δ_ij for Σ_i x_ip·δ_ij: every input taken as 1
  if (bug === 'weight-gradient-without-input') return weightGradients({ ...x, data: new Float64Array(x.data.length).fill(1) }, delta);
  const { dW, db } = weightGradients(x, delta);
  // δ already carries the 1/n of the mean loss, and the tutorial divides by n again
  return bug === 'double-batch-average' ? { dW: dW.div(x.rows), db: db.div(x.rows) } : { dW, db };
}

/** The tolerance of the finite-difference check: |Δ| ≤ atol + rtol·|reference|. */
export const FD = { atol: 1e-7, rtol: 1e-5 };

/** The worst closeness ratio over all layers' dW and db (≤ 1: the check passes; > 1: the bug is caught). */
export function worstError(a: { dW: Tensor; db: Tensor }[], b: { dW: Tensor; db: Tensor }[]): number {
  let worst = 0;
  for (let l = 0; l < a.length; l++) {
    const dW = gradientError(a[l]!.dW, b[l]!.dW, FD.atol, FD.rtol);
    worst = Math.max(worst, dW, gradientError(a[l]!.db, b[l]!.db, FD.atol, FD.rtol));
  }
  return worst;
}

/** A seeded network, batch and targets (one-hot for cce, 0/1 for bce, uniform in [0, 1) for mse). */
export function setup(sizes: number[], hidden: string, output: string, loss: string, n: number, seed: string) {
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

/** What an exhibit measured: the closeness ratios of the control and of the bug (> 1 means caught). */
export interface ExhibitResult {
  control: number;
  buggy: number;
  controlAutograd: number | null;
  buggyAutograd: number | null;
  net: ReferenceMlp;
  x: Tensor;
  t: Tensor;
}

/**
 * Runs the tutorial code with and without the bug against finite differences of the loss it computes and (when
 * the bug leaves the forward pass alone) against the autograd.
 */
export function exhibit(bug: Bug, sizes: number[], hidden: string, output: string, loss: string, n: number): ExhibitResult {
  const { net, x, t } = setup(sizes, hidden, output, loss, n, `${bug}-${hidden}-${output}-${loss}-${n}`);
  const good = tutorialGradients(net, x, t, 'none');
  const wrong = tutorialGradients(net, x, t, bug);
  const control = worstError(good, numericGradients(net, x, t, { lossFn: tutorialLoss('none') }));
  const buggy = worstError(wrong, numericGradients(net, x, t, { lossFn: tutorialLoss(bug) }));
  let controlAutograd: number | null = null;
  let buggyAutograd: number | null = null;
  if (!changesForward(bug)) {
    const auto = autogradOf(net, x, t);
    controlAutograd = worstError(good, auto);
    buggyAutograd = worstError(wrong, auto);
  }
  return { control, buggy, controlAutograd, buggyAutograd, net, x, t };
}

/**
 * The verdict every exhibit must reach: the control passes both checks, the bug fails both by at least `margin`
 * times the tolerance (100 unless a stricter margin is stated).
 */
export function expectCaught(r: ExhibitResult, label: string, margin = 100): void {
  expect(r.control, `${label}: control vs FD`).toBeLessThanOrEqual(1);
  expect(r.buggy, `${label}: bug vs FD`).toBeGreaterThan(margin);
  if (r.controlAutograd !== null) {
    expect(r.controlAutograd, `${label}: control vs autograd`).toBeLessThanOrEqual(1);
    expect(r.buggyAutograd, `${label}: bug vs autograd`).toBeGreaterThan(margin);
  }
}

/** The bug's blind spot: a setting where the buggy code passes both checks (so one run there proves nothing). */
export function expectInvisible(r: ExhibitResult, label: string): void {
  expect(r.buggy, `${label}: bug vs FD`).toBeLessThanOrEqual(1);
  if (r.buggyAutograd !== null) expect(r.buggyAutograd, `${label}: bug vs autograd`).toBeLessThanOrEqual(1);
}

/** −t as a new float64 tensor. */
export const negate = (t: Tensor): Tensor => t.astype('float64').neg();
