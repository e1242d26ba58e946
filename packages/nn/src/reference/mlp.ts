import { ShapeError, Tensor, ValueError, fmtShape, fmtValue } from '@tapegrad/tensor';

/** Activation names the reference backprop understands. */
export type ReferenceActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

/** Loss names the reference backprop understands (same conventions as the nn losses: mean over the batch). */
export type ReferenceLoss = 'mse' | 'bce' | 'cce';

/** The activation names accepted in {@link ReferenceMlp.activations}. */
export const referenceActivations: readonly ReferenceActivation[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

/** The loss names accepted in {@link ReferenceMlp.loss}. */
export const referenceLosses: readonly ReferenceLoss[] = ['mse', 'bce', 'cce'];

/**
 * A plain multilayer perceptron described by its numbers only: layer `l` computes
 * `net_l = a_{l-1}·W_l + b_l` and `a_l = f_l(net_l)`, with `W_l` of shape `[in, out]` and `b_l` of shape `[out]`
 * (`null` for a layer without bias). Losses:
 * - `mse`: mean over all elements of `(o − t)²` (Keras / PyTorch `MSELoss`),
 * - `bce`: mean over all elements of `−[t·log o + (1 − t)·log(1 − o)]`,
 * - `cce`: mean over the batch of `−Σ_j t_j·log o_j`.
 */
export interface ReferenceMlp {
  /** One `[in, out]` matrix per layer. */
  weights: Tensor[];
  /** One `[out]` vector per layer, or `null` for a layer without bias. */
  biases: (Tensor | null)[];
  /** One activation name per layer. */
  activations: string[];
  /** The loss name. */
  loss: string;
}

/** The gradients of one layer as computed by a reference backprop. */
export interface LayerGradients {
  /** `∂E/∂net` for every example, shape `[n, out]` (already carrying the 1/n of the mean loss). */
  delta: Tensor;
  /** `∂E/∂W = a_prevᵀ·δ`, shape `[in, out]`. */
  dW: Tensor;
  /**
   * `∂E/∂b = Σ_examples δ`, shape `[out]`. For a layer without bias (`null`) it is the gradient a zero bias
   * would get — the same Σ δ (`numericGradients` probes such a zero bias too, so the two agree).
   */
  db: Tensor;
  /** The formula used for δ in this layer, in readable text. */
  formula: string;
}

/** What a reference backprop returns: the loss, the network output and the gradients layer by layer. */
export interface BackpropResult {
  /** The loss value E. */
  loss: number;
  /** The network output `o = a_L`, shape `[n, m]`. */
  output: Tensor;
  /** Per layer, first layer first. */
  layers: LayerGradients[];
}

/** A dense row-major float64 matrix (internal working form of the reference code). */
export interface Mat {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** The validated, float64, contiguous form of a network plus the forward pass of one batch. */
export interface ForwardPass {
  weights: Mat[];
  biases: (Float64Array | null)[];
  activations: ReferenceActivation[];
  loss: ReferenceLoss;
  targets: Mat;
  /** `inputs[l]` is `a_{l-1}` (so `inputs[0]` is x). */
  inputs: Mat[];
  nets: Mat[];
  outs: Mat[];
}

/** Copies any float tensor (any strides) into a row-major float64 matrix. */
export function toMat(t: Tensor): Mat {
  const c = t.astype('float64');
  return { data: c.data as Float64Array, rows: t.ndim === 2 ? t.shape[0]! : 1, cols: t.shape[t.ndim - 1] ?? 1 };
}

/** Wraps a matrix as a `[rows, cols]` float64 tensor. */
export const matToTensor = (m: Mat): Tensor => new Tensor(m.data, [m.rows, m.cols]);

/** Wraps a vector as a `[n]` float64 tensor. */
export const vecToTensor = (v: Float64Array): Tensor => new Tensor(v, [v.length]);

/**
 * Checks that `net` has the {@link ReferenceMlp} layout — `weights`, `biases` and `activations` are lists of
 * equal length, at least one — and returns the number of layers.
 */
export function checkLayout(fn: string, net: ReferenceMlp): number {
  if (net === null || typeof net !== 'object') {
    throw new ValueError(`${fn}: net is ${fmtValue(net)}; expected a network { weights, biases, activations, loss }`);
  }
  const what = {
    weights: 'one [in, out] Tensor per layer',
    biases: 'one [out] Tensor per layer, or null for a layer without bias',
    activations: 'one activation name per layer',
  };
  for (const key of ['weights', 'biases', 'activations'] as const) {
    if (!Array.isArray(net[key])) throw new ValueError(`${fn}: net.${key} is ${fmtValue(net[key])}; expected an array of ${what[key]}`);
  }
  const L = net.weights.length;
  if (L === 0) throw new ValueError(`${fn}: the network has no layers; expected at least one weight matrix`);
  if (net.biases.length !== L || net.activations.length !== L) {
    throw new ValueError(
      `${fn}: got ${L} weight matrices, ${net.biases.length} biases and ${net.activations.length} activations; ` +
        'expected the same count of each',
    );
  }
  return L;
}

/**
 * Checks a batch `x` against the network's input: `[batch, features]` with at least one example (the losses are
 * means over the batch) and as many features as `weights[0]` has rows.
 */
export function checkInput(fn: string, net: ReferenceMlp, x: Tensor): void {
  if (x.ndim !== 2) throw new ShapeError(`${fn}: x has shape ${fmtShape(x.shape)}; expected [batch, features]`);
  if (x.shape[0] === 0) {
    throw new ValueError(
      `${fn}: x has shape ${fmtShape(x.shape)}, an empty batch; expected at least one example (the loss is a mean over the batch)`,
    );
  }
  const W = net.weights[0]!;
  if (W.ndim === 2 && W.shape[0] !== x.shape[1]) {
    throw new ShapeError(
      `${fn}: x has shape ${fmtShape(x.shape)} (${x.shape[1]} features) but weights[0] has shape ${fmtShape(W.shape)}; ` +
        `expected x of shape [batch, ${W.shape[0]}] (the network's input width)`,
    );
  }
}

/** Checks a {@link ReferenceMlp} and a batch against each other and returns their float64 working forms. */
export function checkNetwork(
  fn: string,
  net: ReferenceMlp,
  x: Tensor,
  targets: Tensor,
): Omit<ForwardPass, 'inputs' | 'nets' | 'outs'> & { x: Mat } {
  const L = checkLayout(fn, net);
  const activations = net.activations.map((a, l) => {
    if (!(referenceActivations as readonly string[]).includes(a)) {
      throw new ValueError(`${fn}: layer ${l} has activation '${a}'; expected one of ${referenceActivations.join(', ')}`);
    }
    return a as ReferenceActivation;
  });
  if (!(referenceLosses as readonly string[]).includes(net.loss)) {
    throw new ValueError(`${fn}: loss '${net.loss}' is not supported; expected one of ${referenceLosses.join(', ')}`);
  }
  checkInput(fn, net, x);
  let width = x.shape[1]!;
  const weights: Mat[] = [];
  const biases: (Float64Array | null)[] = [];
  for (let l = 0; l < L; l++) {
    const W = net.weights[l]!;
    if (W.ndim !== 2 || W.shape[0] !== width) {
      throw new ShapeError(
        `${fn}: weights[${l}] has shape ${fmtShape(W.shape)}; expected [${width}, out] (the previous layer has ${width} outputs)`,
      );
    }
    const out = W.shape[1]!;
    const b = net.biases[l] ?? null;
    if (b !== null && (b.ndim !== 1 || b.shape[0] !== out)) {
      throw new ShapeError(
        `${fn}: biases[${l}] has shape ${fmtShape(b.shape)}; expected [${out}] to match weights[${l}] ${fmtShape(W.shape)}`,
      );
    }
    weights.push(toMat(W));
    biases.push(b === null ? null : (b.astype('float64').data as Float64Array));
    width = out;
  }
  if (targets.ndim !== 2 || targets.shape[0] !== x.shape[0] || targets.shape[1] !== width) {
    throw new ShapeError(
      `${fn}: targets have shape ${fmtShape(targets.shape)}; expected [${x.shape[0]}, ${width}] (batch × network outputs)`,
    );
  }
  return { weights, biases, activations, loss: net.loss as ReferenceLoss, targets: toMat(targets), x: toMat(x) };
}

/** Applies an activation to a matrix of pre-activations, row by row for softmax. */
export function activate(name: ReferenceActivation, net: Mat): Mat {
  const { rows, cols } = net;
  const z = net.data;
  const o = new Float64Array(z.length);
  switch (name) {
    case 'linear':
      o.set(z);
      break;
    case 'relu':
      for (let i = 0; i < z.length; i++) o[i] = z[i]! > 0 ? z[i]! : 0;
      break;
    case 'sigmoid':
      for (let i = 0; i < z.length; i++) {
        const v = z[i]!;
        // Two branches so that exp never overflows.
        if (v >= 0) o[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          o[i] = e / (1 + e);
        }
      }
      break;
    case 'tanh':
      for (let i = 0; i < z.length; i++) o[i] = Math.tanh(z[i]!);
      break;
    case 'softmax':
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        let max = -Infinity;
        for (let j = 0; j < cols; j++) if (z[base + j]! > max) max = z[base + j]!;
        let s = 0;
        for (let j = 0; j < cols; j++) {
          const e = Math.exp(z[base + j]! - max);
          o[base + j] = e;
          s += e;
        }
        for (let j = 0; j < cols; j++) o[base + j] = o[base + j]! / s;
      }
      break;
  }
  return { data: o, rows, cols };
}

/**
 * The elementwise derivative f′(net) of an activation, written with the output o = f(net) where the
 * tutorials do: relu′ = [net > 0] (0 at the kink, like PyTorch), sigmoid′ = o(1 − o), tanh′ = 1 − o².
 * Softmax has no elementwise derivative (its Jacobian is full).
 */
export function derivative(name: Exclude<ReferenceActivation, 'softmax'>, net: Mat, out: Mat): Float64Array {
  const z = net.data;
  const o = out.data;
  const d = new Float64Array(z.length);
  switch (name) {
    case 'linear':
      d.fill(1);
      break;
    case 'relu':
      for (let i = 0; i < z.length; i++) d[i] = z[i]! > 0 ? 1 : 0;
      break;
    case 'sigmoid':
      for (let i = 0; i < z.length; i++) d[i] = o[i]! * (1 - o[i]!);
      break;
    case 'tanh':
      for (let i = 0; i < z.length; i++) d[i] = 1 - o[i]! * o[i]!;
      break;
  }
  return d;
}

/** `a·W + b` for a batch `a` of shape `[n, in]`. */
export function affine(a: Mat, W: Mat, b: Float64Array | null): Mat {
  const n = a.rows;
  const k = a.cols;
  const m = W.cols;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) out[i * m + j] = b === null ? 0 : b[j]!;
    for (let p = 0; p < k; p++) {
      const av = a.data[i * k + p]!;
      for (let j = 0; j < m; j++) out[i * m + j] += av * W.data[p * m + j]!;
    }
  }
  return { data: out, rows: n, cols: m };
}

/** Runs the forward pass of a checked network, keeping every layer's input, pre-activation and output. */
export function forward(fn: string, net: ReferenceMlp, x: Tensor, targets: Tensor): ForwardPass {
  const checked = checkNetwork(fn, net, x, targets);
  const inputs: Mat[] = [];
  const nets: Mat[] = [];
  const outs: Mat[] = [];
  let a = checked.x;
  for (let l = 0; l < checked.weights.length; l++) {
    inputs.push(a);
    const z = affine(a, checked.weights[l]!, checked.biases[l] ?? null);
    nets.push(z);
    a = activate(checked.activations[l]!, z);
    outs.push(a);
  }
  return { ...checked, inputs, nets, outs };
}

/** The loss value for outputs `o` and targets `t` under the conventions of {@link ReferenceMlp}. */
export function lossValue(loss: ReferenceLoss, o: Mat, t: Mat): number {
  const od = o.data;
  const td = t.data;
  let s = 0;
  switch (loss) {
    case 'mse':
      for (let i = 0; i < od.length; i++) s += (od[i]! - td[i]!) ** 2;
      return s / od.length;
    case 'bce':
      for (let i = 0; i < od.length; i++) s -= td[i]! * Math.log(od[i]!) + (1 - td[i]!) * Math.log(1 - od[i]!);
      return s / od.length;
    case 'cce':
      for (let i = 0; i < od.length; i++) if (td[i]! !== 0) s -= td[i]! * Math.log(od[i]!);
      return s / o.rows;
  }
}

/**
 * ∂E/∂o, the derivative of the mean loss with respect to the network output, shape `[n, m]`:
 * mse → 2(o − t)/(n·m); bce → (o − t)/(o(1 − o)·n·m); cce → −t/(o·n).
 */
export function lossGradient(loss: ReferenceLoss, o: Mat, t: Mat): Mat {
  const od = o.data;
  const td = t.data;
  const g = new Float64Array(od.length);
  const nm = od.length;
  switch (loss) {
    case 'mse':
      for (let i = 0; i < nm; i++) g[i] = (2 * (od[i]! - td[i]!)) / nm;
      break;
    case 'bce':
      for (let i = 0; i < nm; i++) g[i] = (od[i]! - td[i]!) / (od[i]! * (1 - od[i]!) * nm);
      break;
    case 'cce':
      for (let i = 0; i < nm; i++) g[i] = td[i]! === 0 ? 0 : -td[i]! / (od[i]! * o.rows);
      break;
  }
  return { data: g, rows: o.rows, cols: o.cols };
}

/** The readable formula for ∂E/∂o of each loss. */
export const lossGradientFormula: Record<ReferenceLoss, string> = {
  mse: '∂E/∂o = 2(o − t)/(n·m)',
  bce: '∂E/∂o = (o − t)/(o(1 − o)·n·m)',
  cce: '∂E/∂o = −t/(o·n)',
};

/** The readable formula for f′(net) of each activation. */
export const derivativeFormula: Record<ReferenceActivation, string> = {
  linear: '1',
  relu: '[net > 0]',
  sigmoid: 'o(1 − o)',
  tanh: '1 − o²',
  softmax: 'diag(o) − o·oᵀ',
};

/** `∂E/∂W = aᵀ·δ` and `∂E/∂b = Σ_rows δ` for one layer. */
export function weightGradients(a: Mat, delta: Mat): { dW: Tensor; db: Tensor } {
  const n = a.rows;
  const k = a.cols;
  const m = delta.cols;
  const dW = new Float64Array(k * m);
  const db = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) db[j] += delta.data[i * m + j]!;
    for (let p = 0; p < k; p++) {
      const av = a.data[i * k + p]!;
      for (let j = 0; j < m; j++) dW[p * m + j] += av * delta.data[i * m + j]!;
    }
  }
  return { dW: new Tensor(dW, [k, m]), db: vecToTensor(db) };
}

/** δ·Wᵀ: sends the deltas of a layer back through its weights (`Σ_k δ_k w_jk` for every unit j below). */
export function timesTransposed(delta: Mat, W: Mat): Mat {
  const n = delta.rows;
  const k = W.rows;
  const m = W.cols;
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += delta.data[i * m + j]! * W.data[p * m + j]!;
      out[i * k + p] = s;
    }
  }
  return { data: out, rows: n, cols: k };
}

/** The loss E of a {@link ReferenceMlp} on one batch (the forward pass only; used by finite-difference checks). */
export function referenceLoss(net: ReferenceMlp, x: Tensor, targets: Tensor): number {
  const fp = forward('referenceLoss', net, x, targets);
  return lossValue(fp.loss, fp.outs[fp.outs.length - 1]!, fp.targets);
}
