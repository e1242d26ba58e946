import type { Tensor } from '@tapegrad/tensor';
import {
  derivative,
  derivativeFormula,
  forward,
  lossGradient,
  lossGradientFormula,
  lossValue,
  matToTensor,
  timesTransposed,
  weightGradients,
  type BackpropResult,
  type LayerGradients,
  type Mat,
  type ReferenceActivation,
  type ReferenceMlp,
} from './mlp.js';

/** Options for {@link deltaRuleGradients}. */
export interface DeltaRuleOptions {
  /**
   * Use the closed-form output deltas where they exist — softmax + cce: δ = (o − t)/n, sigmoid + bce:
   * δ = (o − t)/(n·m). `false` always goes through ∂E/∂o and f′ (or the softmax Jacobian), which must give
   * the same numbers. Default `true`.
   */
  shortcuts?: boolean;
}

/**
 * The classic delta rule, written out by hand: output δ = ∂E/∂o ⊙ f′(net), hidden δ = f′(net) ⊙ (δ_next·W_nextᵀ),
 * ∂E/∂W = a_prevᵀ·δ, ∂E/∂b = Σ δ — with the mean over the batch carried inside δ.
 * @example
 * const { loss, layers } = deltaRuleGradients(
 *   { weights: [W1, W2], biases: [b1, b2], activations: ['relu', 'softmax'], loss: 'cce' }, x, oneHotY);
 * layers[0].dW; // ∂E/∂W1
 */
export function deltaRuleGradients(net: ReferenceMlp, x: Tensor, targets: Tensor, options: DeltaRuleOptions = {}): BackpropResult {
  const shortcuts = options.shortcuts ?? true;
  const fp = forward('deltaRuleGradients', net, x, targets);
  const L = fp.weights.length;
  const o = fp.outs[L - 1]!;
  const t = fp.targets;
  const layers: LayerGradients[] = new Array(L);

  // Output layer.
  const outAct = fp.activations[L - 1]!;
  let delta: Mat;
  let formula: string;
  if (shortcuts && outAct === 'softmax' && fp.loss === 'cce') {
    delta = softmaxCrossEntropyDelta(o, t);
    formula = 'δ = (o − t)/n   (softmax + cross-entropy shortcut; in general (o·Σ_j t_j − t)/n)';
  } else if (shortcuts && outAct === 'sigmoid' && fp.loss === 'bce') {
    delta = sigmoidBinaryCrossEntropyDelta(o, t);
    formula = 'δ = (o − t)/(n·m)   (sigmoid + binary cross-entropy shortcut)';
  } else {
    const g = lossGradient(fp.loss, o, t);
    delta = applyActivationBackward(outAct, g, fp.nets[L - 1]!, o);
    formula =
      outAct === 'softmax'
        ? `δ_k = o_k(g_k − Σ_j g_j·o_j), g = ${lossGradientFormula[fp.loss]}   (softmax vector–Jacobian product gᵀJ)`
        : `δ = ∂E/∂o ⊙ f′(net), ${lossGradientFormula[fp.loss]}, f′ = ${derivativeFormula[outAct]}`;
  }
  layers[L - 1] = { delta: matToTensor(delta), ...weightGradients(fp.inputs[L - 1]!, delta), formula };

  // Hidden layers, from the last to the first.
  for (let l = L - 2; l >= 0; l--) {
    const upstream = timesTransposed(delta, fp.weights[l + 1]!);
    const act = fp.activations[l]!;
    delta = applyActivationBackward(act, upstream, fp.nets[l]!, fp.outs[l]!);
    formula =
      act === 'softmax'
        ? 'δ_k = o_k(u_k − Σ_j u_j·o_j), u = δ_next·W_nextᵀ   (softmax vector–Jacobian product uᵀJ)'
        : `δ = f′(net) ⊙ (δ_next·W_nextᵀ), f′ = ${derivativeFormula[act]}`;
    layers[l] = { delta: matToTensor(delta), ...weightGradients(fp.inputs[l]!, delta), formula };
  }
  return { loss: lossValue(fp.loss, o, t), output: matToTensor(o), layers };
}

/** δ = (o·Σ_j t_j − t)/n: the softmax Jacobian applied to −t/(o·n) collapses to this (o − t when t is one-hot). */
function softmaxCrossEntropyDelta(o: Mat, t: Mat): Mat {
  const { rows: n, cols: m } = o;
  const d = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    let ts = 0;
    for (let j = 0; j < m; j++) ts += t.data[i * m + j]!;
    for (let j = 0; j < m; j++) d[i * m + j] = (o.data[i * m + j]! * ts - t.data[i * m + j]!) / n;
  }
  return { data: d, rows: n, cols: m };
}

/** δ = (o − t)/(n·m): σ′ = o(1 − o) cancels the denominator of the binary cross-entropy derivative. */
function sigmoidBinaryCrossEntropyDelta(o: Mat, t: Mat): Mat {
  const d = new Float64Array(o.data.length);
  for (let i = 0; i < d.length; i++) d[i] = (o.data[i]! - t.data[i]!) / d.length;
  return { data: d, rows: o.rows, cols: o.cols };
}

/**
 * Pulls an upstream gradient `g = ∂E/∂a` back through the activation to `∂E/∂net`: elementwise `g ⊙ f′(net)`,
 * or for softmax the vector–Jacobian product `δ = gᵀJ`, `δ_k = o_k(g_k − Σ_j g_j o_j)` — reverse mode's product. It
 * equals the Jacobian–vector product J·g only because J = diag(o) − o·oᵀ is symmetric.
 */
export function applyActivationBackward(act: ReferenceActivation, g: Mat, net: Mat, out: Mat): Mat {
  const { rows: n, cols: m } = g;
  const d = new Float64Array(n * m);
  if (act === 'softmax') {
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0; j < m; j++) dot += g.data[i * m + j]! * out.data[i * m + j]!;
      for (let k = 0; k < m; k++) d[i * m + k] = out.data[i * m + k]! * (g.data[i * m + k]! - dot);
    }
  } else {
    const fp = derivative(act, net, out);
    for (let i = 0; i < d.length; i++) d[i] = g.data[i]! * fp[i]!;
  }
  return { data: d, rows: n, cols: m };
}
