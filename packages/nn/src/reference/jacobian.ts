import { Tensor, matmul, ones } from '@tapegrad/tensor';
import {
  derivative,
  derivativeFormula,
  forward,
  lossGradient,
  lossGradientFormula,
  lossValue,
  matToTensor,
  toMat,
  type BackpropResult,
  type LayerGradients,
  type Mat,
  type ReferenceActivation,
  type ReferenceMlp,
} from './mlp.js';

/**
 * The activation's Jacobian for every example as an `[n, m, m]` stack, `J[i, j, k] = ∂o_ij/∂net_ik`:
 * `diag(f′(net))` for elementwise activations, `diag(o) − o·oᵀ` for softmax.
 */
export function activationJacobian(act: ReferenceActivation, net: Tensor, out: Tensor): Tensor {
  const z = toMat(net);
  const o = toMat(out);
  return jacobianStack(act, z, o);
}

function jacobianStack(act: ReferenceActivation, z: Mat, o: Mat): Tensor {
  const { rows: n, cols: m } = z;
  const J = new Float64Array(n * m * m);
  if (act === 'softmax') {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const oj = o.data[i * m + j]!;
        for (let k = 0; k < m; k++) J[(i * m + j) * m + k] = (j === k ? oj : 0) - oj * o.data[i * m + k]!;
      }
    }
  } else {
    const d = derivative(act, z, o);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) J[(i * m + j) * m + j] = d[i * m + j]!;
  }
  return new Tensor(J, [n, m, m]);
}

/**
 * Backprop in the Jacobian form of the pluggable NumPy tutorial: the loss derivative as `[n, 1, m]` rows times
 * the output activation's `[n, m, m]` Jacobian stack (batched matmul) gives the output δ; hidden layers use
 * elementwise derivatives (`δ = (δ_next·W_nextᵀ) ⊙ f′(net)`, or the Jacobian stack for a softmax layer);
 * `∂E/∂W = a_prevᵀ·δ` and `∂E/∂b = 1ᵀ·δ` as matmuls. No shortcuts are taken.
 */
export function jacobianGradients(net: ReferenceMlp, x: Tensor, targets: Tensor): BackpropResult {
  const fp = forward('jacobianGradients', net, x, targets);
  const L = fp.weights.length;
  const n = fp.targets.rows;
  const o = fp.outs[L - 1]!;
  const layers: LayerGradients[] = new Array(L);
  const onesRow = ones([1, n], { dtype: 'float64' });

  const g = lossGradient(fp.loss, o, fp.targets);
  const m = g.cols;
  const gRows = new Tensor(g.data, [n, 1, m]);
  const outAct = fp.activations[L - 1]!;
  let delta = matmul(gRows, jacobianStack(outAct, fp.nets[L - 1]!, o)).reshape([n, m]);
  const outJacobian = outAct === 'softmax' ? derivativeFormula.softmax : `diag(${derivativeFormula[outAct]})`;
  let formula = `δ = (∂E/∂o as n×1×m rows) @ (J_f as n×m×m), ${lossGradientFormula[fp.loss]}, J_f = ${outJacobian}`;

  for (let l = L - 1; l >= 0; l--) {
    if (l < L - 1) {
      const W = matToTensor(fp.weights[l + 1]!);
      const upstream = matmul(delta, W.T);
      const act = fp.activations[l]!;
      const k = upstream.shape[1]!;
      if (act === 'softmax') {
        delta = matmul(upstream.reshape([n, 1, k]), jacobianStack(act, fp.nets[l]!, fp.outs[l]!)).reshape([n, k]);
        formula = 'δ = (δ_next·W_nextᵀ as n×1×k rows) @ (J_softmax as n×k×k)';
      } else {
        const d = derivative(act, fp.nets[l]!, fp.outs[l]!);
        const u = upstream.values() as Float64Array;
        const out = new Float64Array(u.length);
        for (let i = 0; i < u.length; i++) out[i] = u[i]! * d[i]!;
        delta = new Tensor(out, [n, k]);
        formula = `δ = (δ_next·W_nextᵀ) ⊙ f′(net), f′ = ${derivativeFormula[act]}`;
      }
    }
    const a = matToTensor(fp.inputs[l]!);
    layers[l] = {
      delta,
      dW: matmul(a.T, delta),
      db: matmul(onesRow, delta).reshape([delta.shape[1]!]),
      formula,
    };
  }
  return { loss: lossValue(fp.loss, o, fp.targets), output: matToTensor(o), layers };
}
