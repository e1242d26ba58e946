import {
  type Variable,
  add,
  log,
  matmul,
  mean,
  mul,
  neg,
  relu,
  sigmoid,
  softmax,
  softmaxCrossEntropy,
  square,
  sub,
  sum,
  tanh,
  variable,
  gradients,
} from '@tapegrad/autograd';
import { ShapeError, Tensor, ValueError, fmtShape, oneHot, type DType } from '@tapegrad/tensor';
import { Dense, Dropout, Flatten } from '../model/layers.js';
import { getActivation } from '../model/activations.js';
import { binaryCrossentropy, getLoss } from '../training/losses.js';
import type { Sequential } from '../model/sequential.js';
import { maxAbsDifference } from './check.js';
import { deltaRuleGradients } from './delta-rule.js';
import { checkInput, checkNetwork, referenceActivations, type BackpropResult, type ReferenceMlp } from './mlp.js';

/** One layer of {@link explainBackprop}: the hand-derived gradients next to autograd's. */
export interface LayerExplanation {
  /** The layer's name (`dense_1`, …) or `layer l` for a plain {@link ReferenceMlp}. */
  layer: string;
  /** The activation name. */
  activation: string;
  /** The delta-rule formula used for δ in this layer. */
  formula: string;
  /** Hand-derived δ = ∂E/∂net, `[n, out]`. */
  deltaHand: Tensor;
  /** Autograd's δ: the gradient of the loss with respect to the layer's pre-activation (logits). */
  deltaAutograd: Tensor;
  /** Hand-derived ∂E/∂W, `[in, out]`. */
  dWHand: Tensor;
  /** Hand-derived ∂E/∂b, `[out]` (for a layer without bias: Σ δ, the gradient a zero bias would get). */
  dbHand: Tensor;
  /** Autograd's ∂E/∂W. */
  dWAutograd: Tensor;
  /** Autograd's ∂E/∂b, or null for a layer without bias. */
  dbAutograd: Tensor | null;
  /** max |hand − autograd| over δ, ∂W and ∂b. */
  maxDiff: number;
}

/** The result of {@link explainBackprop}. */
export interface BackpropExplanation {
  /** The reference loss name (`mse`, `bce`, `cce`). */
  loss: string;
  /** The loss computed by the hand-derived forward pass (float64). */
  lossHand: number;
  /** The loss computed by the autograd forward pass. */
  lossAutograd: number;
  /** Per layer, first layer first. */
  layers: LayerExplanation[];
  /** The largest {@link LayerExplanation.maxDiff}. */
  maxDiff: number;
}

const lossNameMap: Record<string, string> = {
  meanSquaredError: 'mse',
  binaryCrossentropy: 'bce',
  categoricalCrossentropy: 'cce',
  // integer labels are turned into one-hot rows by explainBackprop
  sparseCategoricalCrossentropy: 'cce',
};

/** Dense layers that take part in the reference view (Dropout and Flatten are identities in eval mode on 2-D input). */
function denseLayers(fn: string, model: Sequential): Dense[] {
  const out: Dense[] = [];
  for (const layer of model.layers) {
    if (layer instanceof Dense) out.push(layer);
    else if (!(layer instanceof Dropout || layer instanceof Flatten)) {
      throw new ValueError(
        `${fn}: layer '${layer.name}' (${layer.type}) has no hand-derived backprop; only Dense, Dropout and Flatten are supported`,
      );
    }
  }
  if (out.length === 0) throw new ValueError(`${fn}: the model has no Dense layers`);
  return out;
}

/**
 * Reads a compiled, built `Sequential` of Dense layers as a {@link ReferenceMlp}: each layer's `kernel.value`,
 * `bias?.value` and activation name, and the compiled loss (meanSquaredError → mse, binaryCrossentropy → bce,
 * categoricalCrossentropy and sparseCategoricalCrossentropy → cce). Dropout and Flatten are skipped (identities in eval mode).
 */
export function toReferenceMlp(model: Sequential): ReferenceMlp {
  const layers = denseLayers('toReferenceMlp', model);
  const lossName = model.lossName;
  if (lossName === null) throw new ValueError('toReferenceMlp: the model is not compiled; call model.compile({ optimizer, loss }) first');
  // A model compiled with fromLogits treats its last layer's output as logits; the reference has no such mode.
  if (model.fromLogits) {
    throw new ValueError(
      'toReferenceMlp: the model was compiled with fromLogits: true; the reference backprop expects probabilities ' +
        '(use a softmax/sigmoid last layer without fromLogits)',
    );
  }
  const loss = lossNameMap[lossName];
  if (loss === undefined) {
    throw new ValueError(
      `toReferenceMlp: loss '${lossName}' has no hand-derived backprop; expected one of ${Object.keys(lossNameMap).join(', ')}`,
    );
  }
  for (const l of layers) {
    if (!(referenceActivations as readonly string[]).includes(l.activation)) {
      throw new ValueError(
        `toReferenceMlp: layer '${l.name}' has activation '${l.activation}'; the reference supports ${referenceActivations.join(', ')}`,
      );
    }
    if (!l.built) {
      throw new ValueError(
        `toReferenceMlp: layer '${l.name}' is not built; give the first layer an inputShape or call model.build(inputSize)`,
      );
    }
  }
  return {
    weights: layers.map((l) => l.kernel.value),
    biases: layers.map((l) => l.bias?.value ?? null),
    activations: layers.map((l) => l.activation),
    loss,
  };
}

const activationOps: Record<string, (v: Variable) => Variable> = {
  linear: (v) => v,
  relu: (v) => relu(v),
  sigmoid: (v) => sigmoid(v),
  tanh: (v) => tanh(v),
  softmax: (v) => softmax(v, -1),
};

/** Autograd's side: the loss, ∂E/∂net of every layer (δ) and the parameter gradients. */
interface AutogradSide {
  loss: number;
  delta: Tensor[];
  dW: Tensor[];
  db: (Tensor | null)[];
}

/** `gradients(E, …)` with respect to every kernel, bias and pre-activation; returned, never accumulated into `.grad`. */
function collect(E: Variable, Ws: Variable[], bs: (Variable | null)[], nets: Variable[]): AutogradSide {
  const withBias = bs.filter((b): b is Variable => b !== null);
  const g = gradients(E, [...Ws, ...withBias, ...nets]);
  const L = Ws.length;
  let k = L;
  return {
    loss: E.item(),
    dW: g.slice(0, L).map((v) => v.value),
    db: bs.map((b) => (b === null ? null : g[k++]!.value)),
    delta: g.slice(L + withBias.length).map((v) => v.value),
  };
}

/** The reference network rebuilt from autograd ops in float64 (variable, matmul, add, activation, the loss from mean/log/…). */
function autogradOfReference(net: ReferenceMlp, x: Tensor, targets: Tensor): AutogradSide {
  const Ws = net.weights.map((w) => variable(w.astype('float64'), { requiresGrad: true }));
  const bs = net.biases.map((b) => (b ? variable(b.astype('float64'), { requiresGrad: true }) : null));
  const t = targets.astype('float64');
  const nets: Variable[] = [];
  let a = variable(x.astype('float64'));
  for (let l = 0; l < Ws.length; l++) {
    const z = matmul(a, Ws[l]!);
    const b = bs[l];
    const zb = b ? add(z, b) : z;
    nets.push(zb);
    a = activationOps[net.activations[l]!]!(zb);
  }
  let E: Variable;
  if (net.loss === 'mse') E = mean(square(sub(a, t)));
  else if (net.loss === 'bce') E = neg(mean(add(mul(t, log(a)), mul(sub(1, t), log(sub(1, a))))));
  else E = neg(sum(mul(t, log(a)))).div(t.shape[0]!);
  return collect(E, Ws, bs, nets);
}

/**
 * The model's own training path, layer by layer (`callLogits` then the activation, so every δ can be read; the
 * fused softmax/sigmoid + cross-entropy where `fit` uses it). Dropout and Flatten are skipped, i.e. eval mode.
 * The model's `.grad`s are not touched.
 */
function autogradOfModel(model: Sequential, layers: Dense[], x: Tensor, y: Tensor): AutogradSide {
  const fused = model.fusedOutput;
  const nets: Variable[] = [];
  let h = variable(x);
  layers.forEach((layer, l) => {
    const z = layer.callLogits(h);
    nets.push(z);
    h = l === layers.length - 1 && fused !== null ? z : getActivation(layer.activation)(z);
  });
  const E =
    fused === 'softmax'
      ? softmaxCrossEntropy(h, y)
      : fused === 'sigmoid'
        ? binaryCrossentropy(h, y, { fromLogits: true })
        : getLoss(model.lossName === 'sparseCategoricalCrossentropy' ? 'categoricalCrossentropy' : model.lossName!)(h, y);
  return collect(
    E,
    layers.map((l) => l.kernel),
    layers.map((l) => l.bias),
    nets,
  );
}

/** Class indices `[n]` as one-hot rows, refusing what the model's sparse loss refuses (fractions, out of range). */
function sparseToOneHot(y: Tensor, n: number, units: number, dtype: DType): Tensor {
  const v = y.values();
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= units) {
      throw new ValueError(`explainBackprop: target ${c} at index ${i} is not a class index in [0, ${units})`);
    }
  }
  if (y.shape[0] !== n) {
    throw new ShapeError(`explainBackprop: sparse targets have shape ${fmtShape(y.shape)}; expected [${n}] (one class index per row of x)`);
  }
  return oneHot(y.astype('int32'), units, { dtype });
}

const isReferenceMlp = (m: Sequential | ReferenceMlp): m is ReferenceMlp => Array.isArray((m as ReferenceMlp).weights);

/**
 * Backprop twice, side by side: the hand-derived delta rule (float64) and the autograd — for a compiled
 * `Sequential` of Dense layers (through the model's own training path) or a plain {@link ReferenceMlp} (rebuilt
 * from autograd ops in float64). Returns per layer the formula, δ, ∂W, ∂b of both and the largest difference.
 * @example console.log(formatExplanation(explainBackprop(model, x, oneHotY)));
 */
export function explainBackprop(model: Sequential | ReferenceMlp, x: Tensor, y: Tensor): BackpropExplanation {
  let net: ReferenceMlp;
  let names: string[];
  let hand: BackpropResult;
  let auto: AutogradSide;
  if (isReferenceMlp(model)) {
    net = model;
    names = net.weights.map((_, l) => `layer ${l}`);
    checkNetwork('explainBackprop', net, x, y); // validates shapes before the graph is built
    hand = deltaRuleGradients(net, x, y);
    auto = autogradOfReference(net, x, y);
  } else {
    const layers = denseLayers('explainBackprop', model);
    net = toReferenceMlp(model);
    names = layers.map((l) => l.name);
    // both sides see exactly the numbers the model sees (x and y rounded to the parameters' dtype)
    const dtype = layers[0]!.kernel.dtype;
    x = x.astype(dtype);
    checkInput('explainBackprop', net, x);
    if (model.lossName === 'sparseCategoricalCrossentropy' && y.ndim === 1) {
      y = sparseToOneHot(y, x.shape[0]!, layers[layers.length - 1]!.units, dtype);
    }
    y = y.astype(dtype);
    checkNetwork('explainBackprop', net, x, y);
    hand = deltaRuleGradients(net, x, y);
    auto = autogradOfModel(model, layers, x, y);
  }
  const layers = hand.layers.map((h, l): LayerExplanation => {
    const dbAutograd = auto.db[l] ?? null;
    const maxDiff = Math.max(
      maxAbsDifference(h.dW, auto.dW[l]!),
      dbAutograd ? maxAbsDifference(h.db, dbAutograd) : 0,
      maxAbsDifference(h.delta, auto.delta[l]!),
    );
    return {
      layer: names[l]!,
      activation: net.activations[l]!,
      formula: h.formula,
      deltaHand: h.delta,
      deltaAutograd: auto.delta[l]!,
      dWHand: h.dW,
      dbHand: h.db,
      dWAutograd: auto.dW[l]!,
      dbAutograd,
      maxDiff,
    };
  });
  return {
    loss: net.loss,
    lossHand: hand.loss,
    lossAutograd: auto.loss,
    layers,
    maxDiff: layers.reduce((m, l) => Math.max(m, l.maxDiff), 0),
  };
}

const fmt = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(6) : v.toExponential(2));

const firstValues = (t: Tensor, k: number): string => {
  const v = t.astype('float64').data;
  const parts: string[] = [];
  for (let i = 0; i < Math.min(k, v.length); i++) parts.push(fmt(v[i]!));
  return `[${parts.join(', ')}${v.length > k ? ', …' : ''}]`;
};

/** A plain-text table of an explanation: per layer the formula, the first ∂W entries by hand and by autograd, and the max difference. */
export function formatExplanation(e: BackpropExplanation, options: { values?: number } = {}): string {
  const k = options.values ?? 3;
  const lines = [`Backprop by hand vs autograd — loss ${e.loss}: hand ${fmt(e.lossHand)}, autograd ${fmt(e.lossAutograd)}`];
  const rows = e.layers.map((l) => [
    l.layer,
    l.activation,
    `[${l.dWHand.shape.join(', ')}]`,
    firstValues(l.dWHand, k),
    firstValues(l.dWAutograd, k),
    l.maxDiff.toExponential(2),
  ]);
  const header = ['layer', 'activation', '∂W shape', '∂W by hand', '∂W by autograd', 'max |diff|'];
  const widths = header.map((h, c) => rows.reduce((w, r) => Math.max(w, r[c]!.length), h.length));
  const line = (r: string[]): string =>
    r
      .map((s, c) => s.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '));
  e.layers.forEach((l, i) => {
    lines.push(line(rows[i]!));
    lines.push(`    δ: ${l.formula}`);
  });
  lines.push(`max |hand − autograd| over all layers: ${e.maxDiff.toExponential(2)}`);
  return lines.join('\n');
}
