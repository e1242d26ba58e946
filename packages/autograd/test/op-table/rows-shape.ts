/** Op table rows: views, joins and indexing (and their adjoints), alone and composed with elementwise ops. */
import * as K from '@tapegrad/tensor';
import { tensor, type SliceSpec } from '@tapegrad/tensor';
import * as AG from '../../src/index.js';
import { drawer, int32 } from './inputs.js';
import { R, concatRef, map, reduce, stackRef, sumOf, view, zip } from './reference.js';
import type { Row } from './row.js';

const { randn } = drawer(20261125);
const weights234 = randn(2, 3, 4);

/** The view, join and indexing rows. */
export const shapeRows: Row[] = [
  // views
  {
    name: 'reshape [3,4]->[2,-1]',
    kernel: (t) => t.reshape(2, -1),
    covers: ['reshape'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.reshape(x, [2, -1]),
    ref: (x) => view(x, (t) => t.reshape(2, -1)),
  },
  {
    name: 'transpose 2-D',
    kernel: (t) => t.transpose(),
    covers: ['transpose'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.transpose(x),
    ref: (x) => view(x, (t) => t.transpose()),
  },
  {
    name: 'transpose axes [1,2,0]',
    kernel: (t) => t.transpose(1, 2, 0),
    covers: ['transpose'],
    inputs: [randn(2, 3, 2)],
    fn: (x) => AG.transpose(x, [1, 2, 0]),
    ref: (x) => view(x, (t) => t.transpose(1, 2, 0)),
  },
  {
    name: 'permute [2,0,1]',
    kernel: (t) => t.permute(2, 0, 1),
    covers: ['permute'],
    inputs: [randn(2, 3, 2)],
    fn: (x) => AG.permute(x, [2, 0, 1]),
    ref: (x) => view(x, (t) => t.permute(2, 0, 1)),
  },
  {
    name: 'swapAxes 0,2',
    kernel: (t) => t.swapAxes(0, 2),
    covers: ['swapAxes'],
    inputs: [randn(2, 3, 2)],
    fn: (x) => AG.swapAxes(x, 0, 2),
    ref: (x) => view(x, (t) => t.swapAxes(0, 2)),
  },
  { name: 'Variable.T', kernel: (t) => t.T, covers: [], inputs: [randn(3, 4)], fn: (x) => x.T, ref: (x) => view(x, (t) => t.T) },
  {
    name: 'slice step 2 and negative step',
    kernel: (t) => t.slice([null, null, -1], [0, 5, 2]),
    covers: ['slice'],
    inputs: [randn(4, 5)],
    fn: (x) => AG.slice(x, [null, null, -1], [0, 5, 2]),
    ref: (x) => view(x, (t) => t.slice([null, null, -1], [0, 5, 2])),
  },
  {
    name: 'slice int + range',
    kernel: (t) => t.slice([1, 3], -1),
    covers: ['slice'],
    inputs: [randn(3, 4, 2)],
    fn: (x) => AG.slice(x, [1, 3], -1 as SliceSpec),
    ref: (x) => view(x, (t) => t.slice([1, 3], -1)),
  },
  {
    name: 'index 1',
    kernel: (t) => t.index(1),
    covers: ['index'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.index(x, 1),
    ref: (x) => view(x, (t) => t.index(1)),
  },
  {
    name: 'expand [3,1]->[2,3,4]',
    kernel: (t) => t.expand(2, 3, 4),
    covers: ['expand'],
    inputs: [randn(3, 1)],
    fn: (x) => AG.expand(x, [2, 3, 4]),
    ref: (x) => view(x, (t) => t.expand(2, 3, 4)),
  },
  {
    name: 'sumTo [2,3,4]->[3,1]',
    kernel: (x) => K.sumTo(x, [3, 1]),
    covers: ['sumTo'],
    inputs: [randn(2, 3, 4)],
    fn: (x) => AG.sumTo(x, [3, 1]),
    ref: (x) => new R([3, 1], reduce(x, [0, 2], false, sumOf).data),
  },
  {
    name: 'squeeze all',
    kernel: (t) => t.squeeze(),
    covers: ['squeeze'],
    inputs: [randn(3, 1, 4, 1)],
    fn: (x) => AG.squeeze(x),
    ref: (x) => view(x, (t) => t.squeeze()),
  },
  {
    name: 'squeeze axis 1',
    kernel: (t) => t.squeeze(1),
    covers: ['squeeze'],
    inputs: [randn(3, 1, 4)],
    fn: (x) => AG.squeeze(x, 1),
    ref: (x) => view(x, (t) => t.squeeze(1)),
  },
  {
    name: 'unsqueeze -1',
    kernel: (t) => t.unsqueeze(-1),
    covers: ['unsqueeze'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.unsqueeze(x, -1),
    ref: (x) => view(x, (t) => t.unsqueeze(-1)),
  },
  {
    name: 'flatten',
    kernel: (t) => t.flatten(),
    covers: ['flatten'],
    inputs: [randn(2, 3, 2)],
    fn: (x) => AG.flatten(x),
    ref: (x) => view(x, (t) => t.flatten()),
  },
  {
    name: 'flatten 1..2',
    kernel: (t) => t.flatten(1, 2),
    covers: ['flatten'],
    inputs: [randn(2, 3, 2)],
    fn: (x) => AG.flatten(x, 1, 2),
    ref: (x) => view(x, (t) => t.flatten(1, 2)),
  },

  // joins and indexing
  {
    name: 'concat axis 1',
    kernel: (a, b) => K.concat([a, b], 1),
    covers: ['concat'],
    inputs: [randn(2, 3), randn(2, 2)],
    fn: (a, b) => AG.concat([a, b], 1),
    ref: (a, b) => concatRef([a, b], 1),
  },
  {
    name: 'concat axis 0 x3 (reuse)',
    kernel: (a, b) => K.concat([a, b, a], 0),
    covers: ['concat'],
    inputs: [randn(2, 3), randn(1, 3)],
    fn: (a, b) => AG.concat([a, b, a], 0),
    ref: (a, b) => concatRef([a, b, a], 0),
  },
  {
    name: 'stack axis 0',
    kernel: (a, b) => K.stack([a, b]),
    covers: ['stack'],
    inputs: [randn(2, 3), randn(2, 3)],
    fn: (a, b) => AG.stack([a, b]),
    ref: (a, b) => stackRef([a, b], 0),
  },
  {
    name: 'stack axis -1',
    kernel: (a, b) => K.stack([a, b], -1),
    covers: ['stack'],
    inputs: [randn(2, 3), randn(2, 3)],
    fn: (a, b) => AG.stack([a, b], -1),
    ref: (a, b) => stackRef([a, b], 2),
  },
  {
    name: 'split [1,3] axis 1 (second piece)',
    kernel: (x) => K.mul(K.split(x, [1, 3], 1)[1]!, 2),
    covers: ['split'],
    inputs: [randn(2, 4)],
    fn: (x) => AG.mul(AG.split(x, [1, 3], 1)[1]!, 2),
    ref: (x) => R.build([2, 3], (i) => 2 * x.get([i[0]!, i[1]! + 1])),
  },
  {
    name: 'gather axis 1 (repeated indices)',
    kernel: (x) => K.gather(x, int32([0, 0, 3, 2, 1, 1], [3, 2]), 1),
    covers: ['gather'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.gather(x, int32([0, 0, 3, 2, 1, 1], [3, 2]), 1),
    ref: (x) => R.build([3, 2], (i) => x.get([i[0]!, [0, 0, 3, 2, 1, 1][i[0]! * 2 + i[1]!]!])),
  },
  {
    name: 'gather axis 0',
    kernel: (x) => K.gather(x, int32([2, 0, 1, 1], [2, 2]), 0),
    covers: ['gather'],
    inputs: [randn(3, 2)],
    fn: (x) => AG.gather(x, int32([2, 0, 1, 1], [2, 2]), 0),
    ref: (x) => R.build([2, 2], (i) => x.get([[2, 0, 1, 1][i[0]! * 2 + i[1]!]!, i[1]!])),
  },
  {
    name: 'take axis 0 (repeated indices)',
    kernel: (x) => K.take(x, int32([2, 0, 2]), 0),
    covers: ['take'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.take(x, [2, 0, 2], 0),
    ref: (x) => R.build([3, 4], (i) => x.get([[2, 0, 2][i[0]!]!, i[1]!])),
  },
  {
    // No axis: of the flattened x, as the tensor take (NumPy) does; the result has the indices' shape.
    name: 'take without an axis (flattened, repeated indices)',
    kernel: (x) => K.take(x, int32([5, 0, 5, 11], [2, 2])),
    covers: ['take'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.take(x, int32([5, 0, 5, 11], [2, 2])),
    ref: (x) => R.build([2, 2], (i) => x.get([[1, 0, 1, 2][i[0]! * 2 + i[1]!]!, [1, 0, 1, 3][i[0]! * 2 + i[1]!]!])),
  },
  {
    name: 'take axis 1',
    kernel: (x) => K.take(x, int32([3, 1]), 1),
    covers: ['take'],
    inputs: [randn(2, 4)],
    fn: (x) => AG.take(x, int32([3, 1]), 1),
    ref: (x) => R.build([2, 2], (i) => x.get([i[0]!, [3, 1][i[1]!]!])),
  },
  {
    name: 'reshape of a transposed view (copies)',
    covers: ['reshape'],
    inputs: [randn(2, 6)],
    fn: (x) => AG.reshape(x.T, [4, 3]),
    ref: (x) => view(x, (t) => t.T.reshape(4, 3)),
    kernel: (x) => x.T.reshape(4, 3),
  },
  {
    name: 'permute then exp',
    covers: ['permute'],
    inputs: [randn(2, 3, 4)],
    fn: (x) => AG.permute(x, [2, 0, 1]).exp(),
    ref: (x) =>
      map(
        view(x, (t) => t.permute(2, 0, 1)),
        Math.exp,
      ),
    kernel: (x) => K.exp(x.permute(2, 0, 1)),
  },
  {
    name: 'transpose times a constant column',
    covers: ['transpose'],
    inputs: [randn(2, 3)],
    fn: (x) => AG.transpose(x).mul(tensor([[1], [2], [3]], undefined, { dtype: x.dtype })),
    ref: (x) => R.build([3, 2], (i) => x.get([i[1]!, i[0]!]) * (i[0]! + 1)),
    kernel: (x) => K.mul(x.T, tensor([[1], [2], [3]], undefined, { dtype: x.dtype })),
  },
  {
    name: 'slice with stop and negative step, squared',
    covers: ['slice'],
    inputs: [randn(4, 5)],
    fn: (x) => AG.slice(x, [1, 4], [4, 0, -2]).square(),
    ref: (x) =>
      map(
        view(x, (t) => t.slice([1, 4], [4, 0, -2])),
        (v) => v * v,
      ),
    kernel: (x) => K.square(x.slice([1, 4], [4, 0, -2])),
  },
  {
    name: 'index -1, squared',
    covers: ['index'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.index(x, -1).square(),
    ref: (x) =>
      map(
        view(x, (t) => t.index(-1)),
        (v) => v * v,
      ),
    kernel: (x) => K.square(x.index(-1)),
  },
  {
    name: 'expand times weights',
    covers: ['expand'],
    inputs: [randn(3, 1)],
    fn: (x) => AG.expand(x, [2, 3, 4]).mul(weights234.astype(x.dtype)),
    ref: (x) =>
      zip(
        view(x, (t) => t.expand(2, 3, 4)),
        R.of(weights234),
        (p, q) => p * q,
      ),
    kernel: (x) => K.mul(x.expand(2, 3, 4), weights234.astype(x.dtype)),
  },
  {
    name: 'stack with a .T.T operand, squared',
    covers: ['stack'],
    inputs: [randn(2, 3), randn(2, 3)],
    fn: (a, b) => AG.stack([a, b.T.T], -1).square(),
    ref: (a, b) => map(stackRef([a, b], 2), (v) => v * v),
    kernel: (a, b) => K.square(K.stack([a, b], -1)),
  },
  {
    name: 'split [2,3] axis 0, pieces re-joined',
    covers: ['split'],
    inputs: [randn(5, 2)],
    fn: (x) => {
      const [p, q] = AG.split(x, [2, 3], 0);
      return AG.concat([q!.square(), p!], 0);
    },
    ref: (x) => R.build([5, 2], (i) => (i[0]! < 3 ? x.get([i[0]! + 2, i[1]!]) ** 2 : x.get([i[0]! - 3, i[1]!]))),
    kernel: (x) => {
      const [p, q] = K.split(x, [2, 3], 0);
      return K.concat([K.square(q!), p!], 0);
    },
  },
  // the adjoints of slice, gather and take (each is also exercised by the VJP of its partner)
  {
    name: 'sliceBackward [3,2] into [4,5] at [1:4, 4:0:-2]',
    covers: ['sliceBackward'],
    inputs: [randn(3, 2)],
    fn: (x) =>
      AG.sliceBackward(
        x,
        [4, 5],
        [
          [1, 4],
          [4, 0, -2],
        ],
      ),
    ref: (x) => R.build([4, 5], ([r, c]) => (r! >= 1 && (c === 4 || c === 2) ? x.get([r! - 1, c === 4 ? 0 : 1]) : 0)),
  },
  {
    name: 'scatterAdd axis 1 (repeated indices)',
    kernel: (x) => K.scatterAdd([3, 4], int32([0, 0, 3, 2, 1, 1], [3, 2]), x, 1),
    covers: ['scatterAdd'],
    inputs: [randn(3, 2)],
    fn: (x) => AG.scatterAdd(x, [3, 4], int32([0, 0, 3, 2, 1, 1], [3, 2]), 1),
    ref: (x) => R.build([3, 4], ([r, c]) => [0, 1].reduce((s, j) => s + ([0, 0, 3, 2, 1, 1][r! * 2 + j] === c ? x.get([r!, j]) : 0), 0)),
  },
  {
    name: 'indexAdd axis 0 (repeated indices)',
    kernel: (x) => K.indexAdd([3, 4], 0, int32([2, 0, 2]), x),
    covers: ['indexAdd'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.indexAdd(x, [3, 4], 0, int32([2, 0, 2])),
    ref: (x) => R.build([3, 4], ([r, c]) => [2, 0, 2].reduce((s, at, k) => s + (at === r ? x.get([k, c!]) : 0), 0)),
  },
  {
    name: 'indexAdd without an axis (into the flattened zeros, repeated indices)',
    kernel: (x) => K.indexAdd([3, 4], null, int32([5, 0, 5, 11], [2, 2]), x),
    covers: ['indexAdd'],
    inputs: [randn(2, 2)],
    fn: (x) => AG.indexAdd(x, [3, 4], null, int32([5, 0, 5, 11], [2, 2])),
    ref: (x) => R.build([3, 4], ([r, c]) => [5, 0, 5, 11].reduce((s, at, k) => s + (at === r! * 4 + c! ? x.get([k >> 1, k & 1]) : 0), 0)),
  },
];
