/** Op table rows: reductions, products with zeros, the softmax family and the arg-reductions. */
import * as K from '@tapegrad/tensor';
import * as AG from '../../src/index.js';
import { drawer, withZeros } from './inputs.js';
import { along, lse, prodOf, reduce, softmaxLane, sumOf, view } from './reference.js';
import type { Row } from './row.js';

const { randn, uniform, distinct } = drawer(20261124);

/** The reduction rows. */
export const reduceRows: Row[] = [
  // reductions
  { name: 'sum all', kernel: (x) => K.sum(x), covers: ['sum'], inputs: [randn(3, 4)], fn: (x) => AG.sum(x), ref: (x) => reduce(x, null, false, sumOf) },
  { name: 'sum axis 1 keepDims', kernel: (x) => K.sum(x, 1, true), covers: ['sum'], inputs: [randn(3, 4)], fn: (x) => AG.sum(x, 1, true), ref: (x) => reduce(x, 1, true, sumOf) },
  { name: 'sum axes [0,2] of [2,3,4]', kernel: (x) => K.sum(x, [0, 2]), covers: ['sum'], inputs: [randn(2, 3, 4)], fn: (x) => AG.sum(x, [0, 2]), ref: (x) => reduce(x, [0, 2], false, sumOf) },
  { name: 'mean axis -1', kernel: (x) => K.mean(x, -1), covers: ['mean'], inputs: [randn(3, 4)], fn: (x) => AG.mean(x, -1), ref: (x) => reduce(x, -1, false, (v) => sumOf(v) / v.length) },
  { name: 'mean all keepDims', kernel: (x) => K.mean(x, null, true), covers: ['mean'], inputs: [randn(2, 3, 2)], fn: (x) => AG.mean(x, null, true), ref: (x) => reduce(x, null, true, (v) => sumOf(v) / v.length) },
  { name: 'max axis 0', kernel: (x) => K.max(x, 0), covers: ['max'], inputs: [distinct(3, 4)], fn: (x) => AG.max(x, 0), ref: (x) => reduce(x, 0, false, (v) => Math.max(...v)), expand: false },
  { name: 'max all', kernel: (x) => K.max(x), covers: ['max'], inputs: [distinct(3, 4)], fn: (x) => AG.max(x), ref: (x) => reduce(x, null, false, (v) => Math.max(...v)), expand: false },
  { name: 'min axis 1 keepDims', kernel: (x) => K.min(x, 1, true), covers: ['min'], inputs: [distinct(3, 4)], fn: (x) => AG.min(x, 1, true), ref: (x) => reduce(x, 1, true, (v) => Math.min(...v)) },
  { name: 'logsumexp axis 1', kernel: (x) => K.logsumexp(x, 1), covers: ['logsumexp'], inputs: [randn(3, 4)], fn: (x) => AG.logsumexp(x, 1), ref: (x) => reduce(x, 1, false, lse) },
  { name: 'logsumexp all', kernel: (x) => K.logsumexp(x), covers: ['logsumexp'], inputs: [randn(3, 4)], fn: (x) => AG.logsumexp(x), ref: (x) => reduce(x, null, false, lse) },
  {
    name: 'variance axis 0', kernel: (x) => K.variance(x, 0), composite: true,
    covers: ['variance'],
    inputs: [randn(4, 3)],
    fn: (x) => AG.variance(x, 0),
    ref: (x) => reduce(x, 0, false, (v) => sumOf(v.map((t) => (t - sumOf(v) / v.length) ** 2)) / v.length),
  },
  {
    name: 'variance all correction 1 keepDims', kernel: (x) => K.variance(x, null, { correction: 1, keepDims: true }), composite: true,
    covers: ['variance'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.variance(x, null, { correction: 1, keepDims: true }),
    ref: (x) => reduce(x, null, true, (v) => sumOf(v.map((t) => (t - sumOf(v) / v.length) ** 2)) / (v.length - 1)),
  },
  {
    name: 'std axis 1', kernel: (x) => K.std(x, 1), composite: true,
    covers: ['std'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.std(x, 1),
    ref: (x) => reduce(x, 1, false, (v) => Math.sqrt(sumOf(v.map((t) => (t - sumOf(v) / v.length) ** 2)) / v.length)),
  },
  { name: 'softmax axis -1', kernel: (x) => K.softmax(x), covers: ['softmax'], inputs: [randn(3, 4)], fn: (x) => AG.softmax(x), ref: (x) => along(x, -1, softmaxLane) },
  { name: 'softmax axis 0', kernel: (x) => K.softmax(x, 0), covers: ['softmax'], inputs: [randn(3, 4)], fn: (x) => AG.softmax(x, 0), ref: (x) => along(x, 0, softmaxLane) },
  { name: 'logSoftmax axis -1', kernel: (x) => K.logSoftmax(x), covers: ['logSoftmax'], inputs: [randn(3, 4)], fn: (x) => AG.logSoftmax(x), ref: (x) => along(x, -1, (v) => v.map((t) => t - lse(v))) },
  { name: 'logSoftmax axis 1 of [2,3,2]', kernel: (x) => K.logSoftmax(x, 1), covers: ['logSoftmax'], inputs: [randn(2, 3, 2)], fn: (x) => AG.logSoftmax(x, 1), ref: (x) => along(x, 1, (v) => v.map((t) => t - lse(v))) },

  // prod: without zeros, with one zero in a lane, with two zeros in a lane (gradient 0 there)
  { name: 'prod all', covers: ['prod'], inputs: [uniform(0.5, 1.5, 3, 4)], fn: (x) => AG.prod(x), ref: (x) => reduce(x, null, false, prodOf), kernel: (x) => K.prod(x) },
  { name: 'prod axis 1 keepDims', covers: ['prod'], inputs: [randn(3, 4)], fn: (x) => AG.prod(x, 1, true), ref: (x) => reduce(x, 1, true, prodOf), kernel: (x) => K.prod(x, 1, true) },
  { name: 'prod axes [0,2] of [2,3,4]', covers: ['prod'], inputs: [uniform(0.5, 1.5, 2, 3, 4)], fn: (x) => AG.prod(x, [0, 2]), ref: (x) => reduce(x, [0, 2], false, prodOf), kernel: (x) => K.prod(x, [0, 2]) },
  {
    name: 'prod axis 1 with one zero in a row',
    covers: ['prod'],
    inputs: [withZeros(randn(3, 4), [5])],
    fn: (x) => AG.prod(x, 1),
    ref: (x) => reduce(x, 1, false, prodOf),
    kernel: (x) => K.prod(x, 1),
  },
  {
    name: 'prod axis 0 with one zero and with two zeros in a column',
    covers: ['prod'],
    inputs: [withZeros(randn(3, 4), [0, 5, 9, 1])],
    fn: (x) => AG.prod(x, 0),
    ref: (x) => reduce(x, 0, false, prodOf),
    kernel: (x) => K.prod(x, 0),
  },
  {
    name: 'prod all with two zeros',
    covers: ['prod'],
    inputs: [withZeros(randn(2, 3), [1, 4])],
    fn: (x) => AG.prod(x),
    ref: (x) => reduce(x, null, false, prodOf),
    kernel: (x) => K.prod(x),
  },
  {
    name: 'prod axes [1,2] keepDims with one zero (transposed input)',
    covers: ['prod'],
    inputs: [withZeros(randn(3, 2, 2), [3])],
    fn: (x) => AG.prod(x.T, [1, 2], true),
    ref: (x) => reduce(view(x, (t) => t.T), [1, 2], true, prodOf),
    kernel: (x) => K.prod(x.T, [1, 2], true),
  },

  // non-differentiable: arg-reductions
  { name: 'argmax axis 1', covers: ['argmax'], grad: false, dtype: 'int32', inputs: [distinct(3, 4)], fn: (x) => AG.argmax(x, 1), ref: (x) => reduce(x, 1, false, (v) => v.indexOf(Math.max(...v))), kernel: (x) => K.argmax(x, 1) },
  { name: 'argmax all (method)', covers: ['argmax'], grad: false, dtype: 'int32', inputs: [distinct(3, 4)], fn: (x) => x.argmax(), ref: (x) => reduce(x, null, false, (v) => v.indexOf(Math.max(...v))), kernel: (x) => K.argmax(x) },
  { name: 'argmin axis 0 keepDims', covers: ['argmin'], grad: false, dtype: 'int32', inputs: [distinct(3, 4)], fn: (x) => AG.argmin(x, 0, true), ref: (x) => reduce(x, 0, true, (v) => v.indexOf(Math.min(...v))), kernel: (x) => K.argmin(x, 0, true) },
  { name: 'argmin axis -1 (method)', covers: ['argmin'], grad: false, dtype: 'int32', inputs: [distinct(2, 3, 2)], fn: (x) => x.argmin(-1), ref: (x) => reduce(x, -1, false, (v) => v.indexOf(Math.min(...v))), kernel: (x) => K.argmin(x, -1) },
  { name: 'sum axes [0,2] of a transposed input', covers: ['sum'], inputs: [randn(4, 3, 2)], fn: (x) => AG.sum(x.T, [0, 2]), ref: (x) => reduce(view(x, (t) => t.T), [0, 2], false, sumOf), kernel: (x) => K.sum(x.T, [0, 2]) },
  { name: 'softmax axis 0 of a transposed input', covers: ['softmax'], inputs: [randn(4, 3)], fn: (x) => AG.softmax(x.T, 0), ref: (x) => along(view(x, (t) => t.T), 0, softmaxLane), kernel: (x) => K.softmax(x.T, 0) },
];
