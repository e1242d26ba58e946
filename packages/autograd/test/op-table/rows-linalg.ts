/** Op table rows: matmul and the fused ops nn trains with (linear, softmax and sigmoid cross-entropy). */
import * as K from '@tapegrad/tensor';
import { Tensor, tensor } from '@tapegrad/tensor';
import * as AG from '../../src/index.js';
import { drawer, int32 } from './inputs.js';
import { R, along, lse, matmulRef, sumOf, view, zip } from './reference.js';
import type { Row } from './row.js';

const { randn } = drawer(20261126);

/** Mean over elements of max(z, 0) − z·t + ln(1 + e^(−|z|)): binary cross-entropy from logits. */
function sigmoidCeRef(z: R, t: R): R {
  const terms = [...z.data].map((v, i) => Math.max(v, 0) - v * t.data[i]! + Math.log1p(Math.exp(-Math.abs(v))));
  return new R([], Float64Array.of(sumOf(terms) / z.data.length));
}

/** The matmul and fused-op rows. */
export const linalgRows: Row[] = [
  // matmul
  {
    name: 'matmul broadcast batch [2,1,2,3]x[3,3,2]',
    covers: ['matmul'],
    inputs: [randn(2, 1, 2, 3), randn(3, 3, 2)],
    fn: (a, b) => AG.matmul(a, b),
    ref: matmulRef,
    kernel: K.matmul,
  },
  {
    name: 'matmul of transposed operands',
    covers: ['matmul'],
    inputs: [randn(3, 2), randn(4, 3)],
    fn: (a, b) => AG.matmul(a.T, b.T),
    ref: (a, b) =>
      matmulRef(
        view(a, (t) => t.T),
        view(b, (t) => t.T),
      ),
    kernel: (a, b) => K.matmul(a.T, b.T),
  },
  {
    name: 'matmul [3,4]x[4,2]',
    kernel: K.matmul,
    covers: ['matmul'],
    inputs: [randn(3, 4), randn(4, 2)],
    fn: (a, b) => AG.matmul(a, b),
    ref: matmulRef,
  },
  {
    name: 'matmul batched [2,3,4]x[4,2]',
    kernel: K.matmul,
    covers: ['matmul'],
    inputs: [randn(2, 3, 4), randn(4, 2)],
    fn: (a, b) => AG.matmul(a, b),
    ref: matmulRef,
  },
  {
    name: 'matmul batched [2,2,3]x[1,3,2]',
    kernel: K.matmul,
    covers: ['matmul'],
    inputs: [randn(2, 2, 3), randn(1, 3, 2)],
    fn: (a, b) => AG.matmul(a, b),
    ref: matmulRef,
  },
  {
    name: 'matmul 1-D [4]x[4,3]',
    kernel: K.matmul,
    covers: ['matmul'],
    inputs: [randn(4), randn(4, 3)],
    fn: (a, b) => AG.matmul(a, b),
    ref: matmulRef,
  },
  {
    name: 'matmul [3,4]x1-D [4]',
    kernel: K.matmul,
    covers: ['matmul'],
    inputs: [randn(3, 4), randn(4)],
    fn: (a, b) => AG.matmul(a, b),
    ref: matmulRef,
  },
  {
    name: 'matmul 1-D dot [5]x[5]',
    kernel: K.matmul,
    covers: ['matmul'],
    inputs: [randn(5), randn(5)],
    fn: (a, b) => AG.matmul(a, b),
    ref: matmulRef,
  },

  // fused ops used by nn
  {
    name: 'linear x·W + b',
    kernel: (x, w, b) => K.add(K.matmul(x, w), b),
    composite: true,
    covers: ['linear'],
    inputs: [randn(3, 4), randn(4, 2), randn(2)],
    fn: (x, w, b) => AG.linear(x, w, b),
    ref: (x, w, b) => zip(matmulRef(x, w), b, (p, q) => p + q),
  },
  {
    name: 'linear batched no bias',
    kernel: (x, w) => K.matmul(x, w),
    composite: true,
    covers: ['linear'],
    inputs: [randn(2, 2, 3), randn(3, 2)],
    fn: (x, w) => AG.linear(x, w),
    ref: matmulRef,
  },
  {
    name: 'linear transposed weight, sliced input',
    covers: ['linear'],
    inputs: [randn(5, 3), randn(2, 3), randn(2)],
    fn: (x, w, b) => AG.linear(x.slice([0, 5, 2]), w.T, b),
    ref: (x, w, b) =>
      zip(
        matmulRef(
          view(x, (t) => t.slice([0, 5, 2])),
          view(w, (t) => t.T),
        ),
        b,
        (p, q) => p + q,
      ),
    kernel: (x, w, b) => K.add(K.matmul(x.slice([0, 5, 2]), w.T), b),
    composite: true,
  },
  {
    name: 'softmaxCrossEntropy one-hot float targets',
    covers: ['softmaxCrossEntropy'],
    inputs: [randn(2, 3)],
    fn: (z) =>
      AG.softmaxCrossEntropy(
        z,
        tensor(
          [
            [0, 1, 0],
            [1, 0, 0],
          ],
          undefined,
          { dtype: 'float64' },
        ),
      ),
    ref: (z) => {
      const ls = along(z, 1, (v) => v.map((q) => q - lse(v)));
      return new R([], Float64Array.of(-(ls.get([0, 1]) + ls.get([1, 0])) / 2));
    },
    kernel: (z) => K.scalar(-(K.logSoftmax(z).get(0, 1) + K.logSoftmax(z).get(1, 0)) / 2, { dtype: z.dtype }),
    composite: true,
  },
  {
    name: 'softmaxCrossEntropy class indices',
    kernel: (z) => K.mul(K.sum(K.mul(K.oneHot(int32([2, 0, 3]), 4, { dtype: z.dtype }), K.logSoftmax(z))), -1 / 3),
    composite: true,
    covers: ['softmaxCrossEntropy'],
    inputs: [randn(3, 4)],
    fn: (z) => AG.softmaxCrossEntropy(z, int32([2, 0, 3])),
    ref: (z) => {
      const ls = along(z, 1, (v) => v.map((t) => t - lse(v)));
      return new R([], Float64Array.of(-sumOf([2, 0, 3].map((c, n) => ls.get([n, c]))) / 3));
    },
  },
  {
    name: 'softmaxCrossEntropy soft targets',
    kernel: (z) => K.mul(K.sum(K.mul(new Tensor(Float64Array.of(0.2, 0.8, 0, 0, 0, 1), [2, 3]).astype(z.dtype), K.logSoftmax(z))), -1 / 2),
    composite: true,
    covers: ['softmaxCrossEntropy'],
    inputs: [randn(2, 3)],
    fn: (z) => AG.softmaxCrossEntropy(z, new Tensor(Float64Array.of(0.2, 0.8, 0, 0, 0, 1), [2, 3])),
    ref: (z) => {
      const t = [0.2, 0.8, 0, 0, 0, 1];
      const ls = along(z, 1, (v) => v.map((q) => q - lse(v)));
      return new R([], Float64Array.of(-sumOf(t.map((w, i) => w * ls.data[i]!)) / 2));
    },
  },
  {
    name: 'sigmoidCrossEntropy with a target Variable',
    covers: ['sigmoidCrossEntropy'],
    inputs: [randn(2, 3), tensor([0.1, 1, 0, 0.5, 0.9, 0.3], [2, 3], { dtype: 'float64' })],
    fn: (z, t) => AG.sigmoidCrossEntropy(z, t),
    ref: sigmoidCeRef,
    kernel: (z, t) => K.mean(K.add(K.sub(K.relu(z), K.mul(z, t)), K.softplus(K.neg(K.abs(z))))),
  },
  {
    name: 'sigmoidCrossEntropy at z = 0, where max(z, 0) and |z| have kinks that cancel',
    covers: ['sigmoidCrossEntropy'],
    inputs: [tensor([0, 0, 1.5, -40], [2, 2], { dtype: 'float64' })],
    fn: (z) => AG.sigmoidCrossEntropy(z, tensor([1, 0, 0.25, 1], [2, 2])),
    ref: (z) => sigmoidCeRef(z, new R([2, 2], Float64Array.of(1, 0, 0.25, 1))),
    composite: true,
  },
];
