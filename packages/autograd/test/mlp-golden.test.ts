import * as K from '@tapegrad/tensor';
import { tensor } from '@tapegrad/tensor';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { linear, parameter, softmaxCrossEntropy, type Variable } from '../src/index.js';

// Produced by fixtures/mlp-golden.py with PyTorch in float64 (the script documents the network).
const golden = JSON.parse(readFileSync(new URL('./fixtures/mlp-golden.json', import.meta.url), 'utf8')) as {
  x: number[][];
  labels: number[];
  params: Record<string, K.NestedArray>;
  loss: number;
  grads: Record<string, K.NestedArray>;
};

describe('golden MLP gradients (PyTorch)', () => {
  it('loss and every parameter gradient match PyTorch to 1e-12', () => {
    const P: Record<string, Variable> = {};
    for (const [k, v] of Object.entries(golden.params)) P[k] = parameter(tensor(v, undefined, { dtype: 'float64' }), { name: k });
    const x = tensor(golden.x, undefined, { dtype: 'float64' });
    const labels = tensor(golden.labels, undefined, { dtype: 'int32' });
    const h1 = linear(x, P.W1!, P.b1!).tanh();
    const h2 = linear(h1, P.W2!, P.b2!).gelu();
    const loss = softmaxCrossEntropy(linear(h2, P.W3!, P.b3!), labels).add(P.W1!.square().sum().mul(0.01));
    loss.backward();
    expect(loss.item()).toBeCloseTo(golden.loss, 12);
    for (const [k, g] of Object.entries(golden.grads)) {
      const want = tensor(g, undefined, { dtype: 'float64' });
      expect(P[k]!.grad!.shape).toEqual(want.shape);
      expect(K.maxAbsDiff(P[k]!.grad!, want), k).toBeLessThan(1e-12);
    }
  });
});
