/**
 * A classic worked example, reproduced: Matt Mazur, "A Step by Step Backpropagation Example" (2015). A 2-2-2 network
 * with sigmoid hidden and output units, inputs (0.05, 0.10), targets (0.01, 0.99), weights w1…w8 = 0.15 … 0.55,
 * biases 0.35 and 0.60, E = ½Σ(t − o)² (tapegrad's mean squared error over two outputs is the same number) and one
 * gradient-descent step with η = 0.5. tapegrad's autograd reproduces every number the post prints, to the digit.
 */
import { type Variable, variable } from '@tapegrad/autograd';
import { block, table } from './format.js';

/** A number as the post prints it (the decimals it shows) and what tapegrad computed. */
export interface PublishedNumber {
  name: string;
  /** As printed in the post. */
  published: string;
  value: number;
  /** `value` rounded to the post's decimals equals `published`. */
  matches: boolean;
}

/** The post's numbers, in the order it derives them. */
export const published: ReadonlyArray<readonly [name: string, text: string]> = [
  ['out_h1', '0.593269992'],
  ['out_h2', '0.596884378'],
  ['out_o1', '0.75136507'],
  ['out_o2', '0.772928465'],
  ['E_total', '0.298371109'],
  ['∂E/∂w5', '0.082167041'],
  ['w5⁺', '0.35891648'],
  ['w6⁺', '0.408666186'],
  ['w7⁺', '0.511301270'],
  ['w8⁺', '0.561370121'],
  ['∂E/∂w1', '0.000438568'],
  ['w1⁺', '0.149780716'],
  ['w2⁺', '0.19956143'],
  ['w3⁺', '0.24975114'],
  ['w4⁺', '0.29950229'],
  // "after repeating this process 10,000 times … the error plummets to 0.0000351085": the error of the 10,000th
  // forward pass, after 9,999 updates of the weights (the biases stay fixed throughout the post).
  ['E after 10,000', '0.0000351085'],
];

/** The network of the post: [in, out] matrices, so W1[i][h] is the weight from input i to hidden unit h. */
function network(): { W1: Variable; W2: Variable; b1: Variable; b2: Variable; x: Variable; t: Variable } {
  const f64 = { dtype: 'float64' } as const;
  return {
    // w1: i1→h1, w2: i2→h1, w3: i1→h2, w4: i2→h2
    W1: variable(
      [
        [0.15, 0.25],
        [0.2, 0.3],
      ],
      { ...f64, requiresGrad: true, name: 'W1' },
    ),
    // w5: h1→o1, w6: h2→o1, w7: h1→o2, w8: h2→o2
    W2: variable(
      [
        [0.4, 0.5],
        [0.45, 0.55],
      ],
      { ...f64, requiresGrad: true, name: 'W2' },
    ),
    b1: variable([0.35, 0.35], { ...f64, name: 'b1' }),
    b2: variable([0.6, 0.6], { ...f64, name: 'b2' }),
    x: variable([[0.05, 0.1]], { ...f64, name: 'x' }),
    t: variable([[0.01, 0.99]], { ...f64, name: 't' }),
  };
}

/** Runs the post's forward pass, backward pass and update with tapegrad, and sets the results beside its numbers. */
export function mazur(): { numbers: PublishedNumber[]; lines: string[] } {
  const { W1, W2, b1, b2, x, t } = network();
  const h = x.matmul(W1).add(b1).sigmoid();
  const o = h.matmul(W2).add(b2).sigmoid();
  const E = o.sub(t).square().mean(); // mean over the 2 outputs of (o − t)² = ½Σ(t − o)²
  E.backward();
  const lr = 0.5;
  const W1next = W1.value.sub(W1.grad!.mul(lr));
  const W2next = W2.value.sub(W2.grad!.mul(lr));
  const [[w1, w3], [w2, w4]] = W1next.toArray() as number[][];
  const [[w5, w7], [w6, w8]] = W2next.toArray() as number[][];
  const values: Record<string, number> = {
    out_h1: h.value.get(0, 0),
    out_h2: h.value.get(0, 1),
    out_o1: o.value.get(0, 0),
    out_o2: o.value.get(0, 1),
    E_total: E.item(),
    '∂E/∂w5': W2.grad!.get(0, 0),
    'w5⁺': w5!,
    'w6⁺': w6!,
    'w7⁺': w7!,
    'w8⁺': w8!,
    '∂E/∂w1': W1.grad!.get(0, 0),
    'w1⁺': w1!,
    'w2⁺': w2!,
    'w3⁺': w3!,
    'w4⁺': w4!,
    'E after 10,000': errorAfter(9999, lr),
  };
  const numbers = published.map(([name, text]) => {
    const value = values[name]!;
    const decimals = text.split('.')[1]!.length;
    return { name, published: text, value, matches: value.toFixed(decimals) === text };
  });
  const lines = [
    '6. A classic by hand: Matt Mazur, "A Step by Step Backpropagation Example" (2015) — 2-2-2 sigmoid network,',
    '   E = ½Σ(t − o)² (the mean squared error over the two outputs), one step of gradient descent with η = 0.5',
    ...block('W1 (wᵢ→h: w1 w3 / w2 w4)', W1.value, 28),
    ...block('W2 (h→o: w5 w7 / w6 w8)', W2.value, 28),
    ...table(
      ['quantity', 'published', 'tapegrad', 'check'],
      numbers.map((n) => [
        n.name,
        n.published,
        n.value.toFixed(n.published.split('.')[1]!.length),
        n.matches ? 'same digits' : 'DIFFERENT',
      ]),
    ),
  ];
  return { numbers, lines };
}

/** The post's error after `updates` steps of gradient descent on the weights (biases fixed). */
function errorAfter(updates: number, lr: number): number {
  const { W1, W2, b1, b2, x, t } = network();
  const loss = (): Variable => x.matmul(W1).add(b1).sigmoid().matmul(W2).add(b2).sigmoid().sub(t).square().mean();
  for (let k = 0; k < updates; k++) {
    loss().backward();
    for (const w of [W1, W2]) {
      w.value = w.value.sub(w.grad!.mul(lr));
      w.zeroGrad();
    }
  }
  return loss().item();
}
