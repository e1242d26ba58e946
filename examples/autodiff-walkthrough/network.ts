/**
 * The walkthrough's network, step by step: a 2-3-2 MLP (hidden activation, softmax output, cross-entropy written out
 * op by op — no fused loss) on two examples. It prints the weights, each layer's pre-activation, output and δ, the
 * tape, the gradient arriving at every tape entry, and compares the hand-derived delta rule with the gradients read
 * off that same unfused tape.
 */
import { type Variable, formatTape, tape, topologicalOrder, variable, type TapeRow } from '@tapegrad/autograd';
import { type Tensor, tensor } from '@tapegrad/tensor';
import { Dense, Sequential, deltaRuleGradients, getActivation, maxAbsDifference, toReferenceMlp } from '@tapegrad/nn';
import { block, fixed, table } from './format.js';

/** The clip of the probabilities before the log (Keras's epsilon, as in the nn cross-entropy). */
export const EPSILON = 1e-7;

/** One tape entry and the gradient of the loss with respect to its output, as backward delivered it. */
export interface ArrivingGradient {
  entry: TapeRow;
  gradient: Tensor;
}

/** One line of the hand-vs-tape comparison. */
export interface Comparison {
  quantity: string;
  /** How the hand side computes it. */
  formula: string;
  /** Where the tape side reads it. */
  source: string;
  hand: Tensor;
  tape: Tensor;
  maxDiff: number;
}

/** What {@link walkNetwork} computed and printed. */
export interface NetworkWalk {
  model: Sequential;
  x: Tensor;
  targets: Tensor;
  loss: Variable;
  tape: TapeRow[];
  tapeText: string;
  /** The gradient arriving at every tape entry, last entry first (the order backward visits them). */
  arriving: ArrivingGradient[];
  comparisons: Comparison[];
  lines: string[];
}

/** The examples and one-hot targets of the walkthrough. */
export const inputs = (): { x: Tensor; targets: Tensor } => ({
  x: tensor(
    [
      [0.05, 0.1],
      [0.6, -0.3],
    ],
    undefined,
    { dtype: 'float64' },
  ),
  targets: tensor(
    [
      [1, 0],
      [0, 1],
    ],
    undefined,
    { dtype: 'float64' },
  ),
});

/** Builds the model (float64, so hand and tape agree to ~1e-16), runs it op by op, backward, and compares. */
export function walkNetwork(hidden = 'sigmoid', seed = 0): NetworkWalk {
  const model = new Sequential({ seed, name: 'walkthrough' });
  model.add(new Dense(3, { activation: hidden, inputShape: [2], dtype: 'float64', name: 'hidden' }));
  model.add(new Dense(2, { activation: 'softmax', dtype: 'float64', name: 'output' }));
  model.compile({ optimizer: 'sgd', lr: 0.5, loss: 'categoricalCrossentropy' });
  const [hiddenLayer, outputLayer] = model.layers as [Dense, Dense];
  const { x: xs, targets: ts } = inputs();
  const n = xs.shape[0]!;
  const lines: string[] = [];
  const say = (...more: string[]): void => void lines.push(...more);

  say(`1. The numbers: ${n} examples, 2 inputs, 3 ${hidden} hidden units, 2 softmax outputs, cross-entropy loss`);
  say(...block('x (one example per row)', xs), ...block('t (one-hot targets)', ts, 26, 0));
  say(...block('W₁ = hidden/kernel', hiddenLayer.kernel.value), ...block('b₁ = hidden/bias', hiddenLayer.bias!.value));
  say(...block('W₂ = output/kernel', outputLayer.kernel.value), ...block('b₂ = output/bias', outputLayer.bias!.value), '');

  // The forward pass, one op at a time, every result named so the tape reads like the math.
  const x = variable(xs, { name: 'x' });
  const t = variable(ts, { name: 't' });
  const count = variable(n, { name: `n = ${n}`, dtype: 'float64' });
  const net1 = named(hiddenLayer.callLogits(x), 'net₁');
  const a1 = named(getActivation(hidden)(net1), 'a₁');
  const net2 = named(outputLayer.callLogits(a1), 'net₂');
  const o = named(net2.softmax(-1), 'o');
  const clipped = named(o.clip(EPSILON, 1 - EPSILON), 'clip(o)');
  const logs = named(clipped.log(), 'log');
  const products = named(t.mul(logs), 't·log');
  const total = named(products.sum(), 'Σ t·log');
  const loss = named(named(total.neg(), '−Σ t·log').div(count), 'loss');
  const tapeRows = tape(loss);
  say(`2. Forward, layer by layer (loss = −Σ t·log(clip(o, ε, 1 − ε)) / n with n = ${n}, ε = ${EPSILON})`);
  say(...block('net₁ = x·W₁ + b₁', net1.value), ...block(`a₁ = ${hidden}(net₁)`, a1.value));
  say(...block('net₂ = a₁·W₂ + b₂', net2.value), ...block('o = softmax(net₂)', o.value));
  say(`  ${'loss'.padEnd(26)}${fixed(loss.item())}`, '');

  say('3. The tape the forward pass recorded (backward walks it from the bottom up), with each op’s derivative rule');
  const tapeText = formatTape(loss, { formulas: true });
  say(...tapeText.split('\n').map((l) => `  ${l}`), '');

  // Keep the gradient arriving at each entry's output (backward fills .grad of the leaves only).
  const got = new Map<Variable, Tensor>();
  for (const v of topologicalOrder(loss)) if (v.entry !== null) v.registerHook((g) => void got.set(v, g.value));
  loss.backward();
  const byId = new Map(topologicalOrder(loss).map((v) => [v.entry?.id, v]));
  const arriving = [...tapeRows].reverse().map((entry) => ({ entry, gradient: got.get(byId.get(entry.id)!)! }));
  say('4. Backward: the gradient of the loss arriving at each entry’s output (∂loss/∂output), in the order backward visits them');
  const deltas: Record<string, string> = { 'net₂': ' = δ₂', 'net₁': ' = δ₁' };
  for (const { entry, gradient } of arriving) {
    say(...block(`#${entry.index} ${entry.op} → ${entry.label}${deltas[entry.label] ?? ''}`, gradient, 32));
  }
  say('  and at the parameters (the leaves):');
  for (const [name, p] of model.namedParameters()) say(...block(`∂loss/∂${name}`, p.grad!, 32));
  say(
    '  Each line follows from the one above it by the ∂ rule in the tape listing: div sends g/n = 0.5 to #8, neg sends',
    '  −g = −0.5 to #7, sum spreads it over every element of #6, mul multiplies it by t for #5, log divides it by clip(o)',
    '  for #4, and so on down to the parameters.',
  );
  say(...explainClip(o, clipped, got), '');

  const comparisons = compare(model, xs, ts, { net1, net2 }, got);
  say('5. The delta rule by hand (packages/nn/src/reference) against the gradients read off the tape above');
  const [delta2, delta1] = [comparisons[0]!.hand, comparisons[3]!.hand];
  say(...block('δ₂ = (o − t)/n', delta2, 32), ...block(`δ₁ = ${hiddenDerivative(hidden)} ⊙ (δ₂·W₂ᵀ)`, delta1, 32));
  say(
    ...table(
      ['quantity', 'by hand', 'read off the tape', 'max |hand − tape|'],
      comparisons.map((c) => [c.quantity, c.formula, c.source, c.maxDiff.toExponential(1)]),
    ),
  );
  say(...mirroredColumns(comparisons.find((c) => c.quantity === 'δ₂')!.hand, outputLayer.kernel.grad!), '');
  return { model, x: xs, targets: ts, loss, tape: tapeRows, tapeText, arriving, comparisons, lines };
}

/** The hidden activation's derivative, written as the delta rule writes it. */
const hiddenDerivative = (act: string): string =>
  ({ sigmoid: 'a₁(1 − a₁)', tanh: '(1 − a₁²)', relu: '[net₁ > 0]' })[act] ?? `${act}′(net₁)`;

/** Names `v` (for the tape listing) and returns it. */
function named(v: Variable, name: string): Variable {
  v.name = name;
  return v;
}

/** Why the clip entry is there and why it changes nothing here. */
function explainClip(o: Variable, clipped: Variable, got: Map<Variable, Tensor>): string[] {
  const inside = Array.from(o.value.values()).every((p) => p >= EPSILON && p <= 1 - EPSILON);
  const same = maxAbsDifference(got.get(o)!, got.get(clipped)!) === 0;
  const where = inside ? 'Every o here is inside' : 'Some o here is outside';
  return [
    `  The clip entry keeps log away from log 0 (−∞): its VJP passes the gradient through where ε ≤ o ≤ 1 − ε and sends 0`,
    `  outside. ${where}, so the gradient arriving at o ${same ? 'equals' : 'differs from'} the one arriving at clip(o):`,
    '  −t/(n·clip(o)).',
    '  At a saturated o it would be 0: no gradient for a confident mistake (docs/autodiff.md, section 7).',
  ];
}

/** The hand-derived δ, ∂W, ∂b of both layers (float64 reference code) next to the tape's. */
function compare(
  model: Sequential,
  x: Tensor,
  t: Tensor,
  nets: { net1: Variable; net2: Variable },
  got: Map<Variable, Tensor>,
): Comparison[] {
  const hand = deltaRuleGradients(toReferenceMlp(model), x, t).layers;
  const [h, out] = model.layers as [Dense, Dense];
  const row = (quantity: string, formula: string, source: string, handValue: Tensor, tapeValue: Tensor): Comparison => ({
    quantity,
    formula,
    source,
    hand: handValue,
    tape: tapeValue,
    maxDiff: maxAbsDifference(handValue, tapeValue),
  });
  const f = hiddenDerivative(h.activation);
  return [
    row('δ₂', '(o − t)/n', 'gradient arriving at net₂', hand[1]!.delta, got.get(nets.net2)!),
    row('∂W₂', 'a₁ᵀ·δ₂', 'output/kernel.grad', hand[1]!.dW, out.kernel.grad!),
    row('∂b₂', 'Σ_examples δ₂', 'output/bias.grad', hand[1]!.db, out.bias!.grad!),
    row('δ₁', `${f} ⊙ (δ₂·W₂ᵀ)`, 'gradient arriving at net₁', hand[0]!.delta, got.get(nets.net1)!),
    row('∂W₁', 'xᵀ·δ₁', 'hidden/kernel.grad', hand[0]!.dW, h.kernel.grad!),
    row('∂b₁', 'Σ_examples δ₁', 'hidden/bias.grad', hand[0]!.db, h.bias!.grad!),
  ];
}

/** Numbers that are 0 up to rounding, as `[ 0, -6.9e-18 ]`. */
const tiny = (t: Tensor): string => `[ ${Array.from(t.values(), (v) => (v === 0 ? '0' : v.toExponential(1))).join(', ')} ]`;

/** Why the two columns of ∂W₂ are mirror images: every row of δ₂ = (o − t)/n sums to 0. */
function mirroredColumns(delta2: Tensor, dW2: Tensor): string[] {
  const rowSums = delta2.sum(1);
  return [
    '',
    '  Why ∂W₂ (and ∂b₂) has mirrored ± columns: each row of δ₂ = (o − t)/n sums to Σ_k(o_k − t_k)/n = (1 − 1)/n = 0, since',
    '  both o and t sum to 1 over the classes. With two classes δ₂[i, 1] = −δ₂[i, 0], so every column of ∂W₂ = a₁ᵀ·δ₂ is',
    '  the negative of the other (with more classes, every row of ∂W₂ sums to 0).',
    `  ${'row sums of δ₂'.padEnd(26)}${tiny(rowSums)}`,
    `  ${'row sums of ∂W₂'.padEnd(26)}${tiny(dW2.sum(1))}`,
  ];
}
