import * as K from '@tapegrad/tensor';
import { Generator, Tensor, tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import * as A from '../src/index.js';
import * as elementwiseOps from '../src/ops/elementwise.js';
import * as matmulOps from '../src/ops/matmul.js';
import * as nnOps from '../src/ops/nn.js';
import * as reduceOps from '../src/ops/reduce.js';
import * as shapeOps from '../src/ops/shape.js';
import { Variable, gradcheck, gradgradcheck } from '../src/index.js';

// One row per op (several for broadcasting, non-contiguous and special cases). Each row is checked
// forward against the @tapegrad/tensor kernel and by float64 gradcheck and gradgradcheck.

const gen = new Generator(1234);
const f64 = { dtype: 'float64' as const, generator: gen };
const rn = (...shape: number[]): Tensor => K.randn(shape, f64);
const pos = (...shape: number[]): Tensor => K.uniform(shape, 0.5, 2, f64);
/** Normal samples pushed at least 0.2 away from 0 (away from the kinks of relu, abs, …). */
const away = (...shape: number[]): Tensor => {
  const t = rn(...shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! + (d[i]! >= 0 ? 0.2 : -0.2);
  return t;
};
const idx = (values: K.NestedArray): Tensor => tensor(values, undefined, { dtype: 'int32' });

const weights234 = rn(2, 3, 4);
const c34 = rn(3, 4);
/** Tighter than the defaults: float64 central differences are good to ~1e-9 on these small inputs. */
const TOL = { atol: 1e-6, rtol: 1e-5 };

type Fn = (...v: Variable[]) => Variable;
interface Row {
  /** The exported function this row covers. */
  op: string;
  /** Extra description (broadcasting, transposed, …). */
  note?: string;
  inputs: Tensor[];
  fn: Fn;
  ref: (...t: Tensor[]) => Tensor;
  /** Skip the second-order check (only for rows where it is meaningless). */
  noGradGrad?: boolean;
}

const unary = (
  op: keyof typeof elementwiseOps & keyof typeof K,
  input: () => Tensor,
  extra: Partial<Row> = {},
): Row => ({
  op,
  inputs: [input()],
  fn: (x) => (A[op] as (x: Variable) => Variable)(x),
  ref: (x) => (K[op] as (x: Tensor) => Tensor)(x),
  ...extra,
});

const binaryRows = (op: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum', a: () => Tensor, b: () => Tensor, a2: () => Tensor, b2: () => Tensor): Row[] => [
  { op, inputs: [a(), b()], fn: (x, y) => A[op](x, y), ref: (x, y) => K[op](x, y) },
  { op, note: '[3,1]×[1,4] broadcast', inputs: [a2(), b2()], fn: (x, y) => A[op](x, y), ref: (x, y) => K[op](x, y) },
  { op, note: 'transposed a, number b', inputs: [a()], fn: (x) => A[op](x.T, 1.5), ref: (x) => K[op](x.T, 1.5) },
];

const rows: Row[] = [
  // ---- unary elementwise ----
  unary('neg', () => rn(2, 3)),
  unary('abs', () => away(2, 3)),
  unary('sign', () => away(2, 3)),
  unary('exp', () => rn(2, 3)),
  unary('expm1', () => rn(2, 3)),
  unary('log', () => pos(2, 3)),
  unary('log1p', () => pos(2, 3)),
  unary('sqrt', () => pos(2, 3)),
  unary('rsqrt', () => pos(2, 3)),
  unary('square', () => rn(2, 3)),
  unary('reciprocal', () => pos(2, 3)),
  unary('sin', () => rn(2, 3)),
  unary('cos', () => rn(2, 3)),
  unary('tanh', () => rn(2, 3)),
  unary('sigmoid', () => rn(2, 3)),
  unary('relu', () => away(2, 3)),
  unary('gelu', () => rn(2, 3)),
  unary('softplus', () => rn(2, 3)),
  unary('erf', () => rn(2, 3)),
  unary('floor', () => away(2, 3)),
  unary('ceil', () => away(2, 3)),
  unary('round', () => away(2, 3)),
  { op: 'exp', note: 'transposed input', inputs: [rn(3, 4)], fn: (x) => A.exp(x.T), ref: (x) => K.exp(x.T) },
  { op: 'tanh', note: 'sliced input (step 2)', inputs: [rn(4, 5)], fn: (x) => A.tanh(x.slice(null, [0, 5, 2])), ref: (x) => K.tanh(x.slice(null, [0, 5, 2])) },
  { op: 'log', note: 'sliced transposed input', inputs: [pos(4, 5)], fn: (x) => A.log(x.T.slice([1, 4])), ref: (x) => K.log(x.T.slice([1, 4])) },
  { op: 'leakyRelu', inputs: [away(2, 3)], fn: (x) => A.leakyRelu(x, 0.1), ref: (x) => K.leakyRelu(x, 0.1) },
  { op: 'elu', inputs: [away(2, 3)], fn: (x) => A.elu(x, 0.7), ref: (x) => K.elu(x, 0.7) },
  { op: 'clip', inputs: [rn(3, 4)], fn: (x) => A.clip(x, -0.5, 0.5), ref: (x) => K.clip(x, -0.5, 0.5) },

  // ---- binary, broadcasting ----
  ...binaryRows('add', () => rn(2, 3), () => rn(2, 3), () => rn(3, 1), () => rn(1, 4)),
  ...binaryRows('sub', () => rn(2, 3), () => rn(2, 3), () => rn(3, 1), () => rn(1, 4)),
  ...binaryRows('mul', () => rn(2, 3), () => rn(2, 3), () => rn(3, 1), () => rn(1, 4)),
  ...binaryRows('div', () => rn(2, 3), () => pos(2, 3), () => rn(3, 1), () => pos(1, 4)),
  ...binaryRows('pow', () => pos(2, 3), () => rn(2, 3), () => pos(3, 1), () => rn(1, 4)),
  ...binaryRows('maximum', () => rn(2, 3), () => rn(2, 3), () => rn(3, 1), () => rn(1, 4)),
  ...binaryRows('minimum', () => rn(2, 3), () => rn(2, 3), () => rn(3, 1), () => rn(1, 4)),
  { op: 'mul', note: 'variable [1,4] × constant tensor [3,4]', inputs: [rn(1, 4)], fn: (x) => A.mul(x, c34), ref: (x) => K.mul(x, c34) },
  { op: 'div', note: 'constant tensor [3,4] / variable [3,1]', inputs: [pos(3, 1)], fn: (x) => A.div(c34, x), ref: (x) => K.div(c34, x) },
  { op: 'sub', note: 'number − variable', inputs: [rn(3)], fn: (x) => A.sub(2, x), ref: (x) => K.sub(2, x) },
  { op: 'add', note: 'scalar variable + [2,3]', inputs: [rn(), rn(2, 3)], fn: (s, x) => A.add(s, x), ref: (s, x) => K.add(s, x) },
  {
    op: 'where',
    inputs: [rn(2, 3), rn(1, 3)],
    fn: (a, b) => A.where(idx([[1, 0, 1], [0, 0, 1]]), a, b),
    ref: (a, b) => K.where(idx([[1, 0, 1], [0, 0, 1]]), a, b.expand([2, 3])),
  },

  // ---- reductions ----
  { op: 'sum', inputs: [rn(2, 3, 4)], fn: (x) => A.sum(x), ref: (x) => K.sum(x) },
  { op: 'sum', note: 'axis 1 keepDims', inputs: [rn(2, 3, 4)], fn: (x) => A.sum(x, 1, true), ref: (x) => K.sum(x, 1, true) },
  { op: 'sum', note: 'axes [0,2] of a transposed input', inputs: [rn(4, 3, 2)], fn: (x) => A.sum(x.T, [0, 2]), ref: (x) => K.sum(x.T, [0, 2]) },
  { op: 'mean', inputs: [rn(2, 3, 4)], fn: (x) => A.mean(x, [1, 2]), ref: (x) => K.mean(x, [1, 2]) },
  { op: 'mean', note: 'all', inputs: [rn(3, 4)], fn: (x) => A.mean(x), ref: (x) => K.mean(x) },
  { op: 'max', inputs: [rn(3, 4)], fn: (x) => A.max(x, 1), ref: (x) => K.max(x, 1) },
  { op: 'max', note: 'all, keepDims', inputs: [rn(3, 4)], fn: (x) => A.max(x, null, true), ref: (x) => K.max(x, null, true) },
  { op: 'min', inputs: [rn(3, 4)], fn: (x) => A.min(x, 0, true), ref: (x) => K.min(x, 0, true) },
  { op: 'logsumexp', inputs: [rn(3, 4)], fn: (x) => A.logsumexp(x, 1), ref: (x) => K.logsumexp(x, 1) },
  { op: 'logsumexp', note: 'all', inputs: [rn(3, 4)], fn: (x) => A.logsumexp(x), ref: (x) => K.logsumexp(x) },
  { op: 'variance', inputs: [rn(3, 4)], fn: (x) => A.variance(x, 1), ref: (x) => K.variance(x, 1) },
  { op: 'variance', note: 'correction 1, keepDims', inputs: [rn(3, 4)], fn: (x) => A.variance(x, 0, { correction: 1, keepDims: true }), ref: (x) => K.variance(x, 0, { correction: 1, keepDims: true }) },
  { op: 'std', inputs: [rn(3, 4)], fn: (x) => A.std(x, 1), ref: (x) => K.std(x, 1) },
  { op: 'softmax', inputs: [rn(3, 4)], fn: (x) => A.softmax(x), ref: (x) => K.softmax(x) },
  { op: 'softmax', note: 'axis 0 of a transposed input', inputs: [rn(4, 3)], fn: (x) => A.softmax(x.T, 0), ref: (x) => K.softmax(x.T, 0) },
  { op: 'logSoftmax', inputs: [rn(3, 4)], fn: (x) => A.logSoftmax(x), ref: (x) => K.logSoftmax(x) },

  // ---- views and shape ops ----
  { op: 'reshape', inputs: [rn(2, 6)], fn: (x) => A.reshape(x, [3, -1]), ref: (x) => x.reshape(3, -1) },
  { op: 'reshape', note: 'of a transposed input (copies)', inputs: [rn(2, 6)], fn: (x) => A.reshape(x.T, [4, 3]), ref: (x) => x.T.reshape(4, 3) },
  { op: 'permute', inputs: [rn(2, 3, 4)], fn: (x) => A.permute(x, [2, 0, 1]).exp(), ref: (x) => K.exp(x.permute(2, 0, 1)) },
  { op: 'transpose', inputs: [rn(2, 3)], fn: (x) => A.transpose(x).mul(tensor([[1], [2], [3]], undefined, { dtype: 'float64' })), ref: (x) => K.mul(x.T, tensor([[1], [2], [3]], undefined, { dtype: 'float64' })) },
  { op: 'swapAxes', inputs: [rn(2, 3, 4)], fn: (x) => A.swapAxes(x, 0, 2).square(), ref: (x) => K.square(x.swapAxes(0, 2)) },
  { op: 'slice', inputs: [rn(4, 5)], fn: (x) => A.slice(x, [1, 4], [4, 0, -2]).square(), ref: (x) => K.square(x.slice([1, 4], [4, 0, -2])) },
  { op: 'index', inputs: [rn(3, 4)], fn: (x) => A.index(x, -1).square(), ref: (x) => K.square(x.index(-1)) },
  { op: 'expand', inputs: [rn(3, 1)], fn: (x) => A.expand(x, [2, 3, 4]).mul(weights234), ref: (x) => K.mul(x.expand(2, 3, 4), weights234) },
  { op: 'sumTo', inputs: [rn(2, 3, 4)], fn: (x) => A.sumTo(x, [3, 1]).square(), ref: (x) => K.square(K.sumTo(x, [3, 1])) },
  { op: 'squeeze', inputs: [rn(3, 1, 2)], fn: (x) => A.squeeze(x, 1).square(), ref: (x) => K.square(x.squeeze(1)) },
  { op: 'unsqueeze', inputs: [rn(3, 2)], fn: (x) => A.unsqueeze(x, 1).square(), ref: (x) => K.square(x.unsqueeze(1)) },
  { op: 'flatten', inputs: [rn(2, 3, 2)], fn: (x) => A.flatten(x).square(), ref: (x) => K.square(x.flatten()) },
  { op: 'concat', inputs: [rn(2, 3), rn(2, 1)], fn: (a, b) => A.concat([a, b], 1).square(), ref: (a, b) => K.square(K.concat([a, b], 1)) },
  { op: 'stack', inputs: [rn(2, 3), rn(2, 3)], fn: (a, b) => A.stack([a, b.T.T], -1).square(), ref: (a, b) => K.square(K.stack([a, b], -1)) },
  {
    op: 'split',
    inputs: [rn(5, 2)],
    fn: (x) => { const [p, q] = A.split(x, [2, 3], 0); return A.concat([q!.square(), p!], 0); },
    ref: (x) => { const [p, q] = K.split(x, [2, 3], 0); return K.concat([K.square(q!), p!], 0); },
  },
  { op: 'gather', inputs: [rn(3, 4)], fn: (x) => A.gather(x, idx([[0, 3], [1, 1], [2, 0]]), 1).square(), ref: (x) => K.square(K.gather(x, idx([[0, 3], [1, 1], [2, 0]]), 1)) },
  { op: 'take', inputs: [rn(3, 4)], fn: (x) => A.take(x, [2, 0, 2], 0).square(), ref: (x) => K.square(K.take(x, idx([2, 0, 2]), 0)) },

  // ---- matmul ----
  { op: 'matmul', inputs: [rn(2, 3), rn(3, 4)], fn: (a, b) => A.matmul(a, b), ref: (a, b) => K.matmul(a, b) },
  { op: 'matmul', note: 'batched [2,3,4]×[4,2]', inputs: [rn(2, 3, 4), rn(4, 2)], fn: (a, b) => A.matmul(a, b), ref: (a, b) => K.matmul(a, b) },
  { op: 'matmul', note: 'broadcast batch [2,1,2,3]×[3,3,2]', inputs: [rn(2, 1, 2, 3), rn(3, 3, 2)], fn: (a, b) => A.matmul(a, b), ref: (a, b) => K.matmul(a, b) },
  { op: 'matmul', note: 'vector × matrix', inputs: [rn(3), rn(3, 2)], fn: (a, b) => A.matmul(a, b), ref: (a, b) => K.matmul(a, b) },
  { op: 'matmul', note: 'matrix × vector', inputs: [rn(2, 3), rn(3)], fn: (a, b) => A.matmul(a, b), ref: (a, b) => K.matmul(a, b) },
  { op: 'matmul', note: 'vector · vector', inputs: [rn(3), rn(3)], fn: (a, b) => A.matmul(a, b), ref: (a, b) => K.matmul(a, b) },
  { op: 'matmul', note: 'transposed operands', inputs: [rn(3, 2), rn(4, 3)], fn: (a, b) => A.matmul(a.T, b.T), ref: (a, b) => K.matmul(a.T, b.T) },

  // ---- fused nn ops ----
  { op: 'linear', inputs: [rn(4, 3), rn(3, 2), rn(2)], fn: (x, w, b) => A.linear(x, w, b), ref: (x, w, b) => K.add(K.matmul(x, w), b) },
  { op: 'linear', note: 'transposed weight, sliced input', inputs: [rn(5, 3), rn(2, 3), rn(2)], fn: (x, w, b) => A.linear(x.slice([0, 5, 2]), w.T, b), ref: (x, w, b) => K.add(K.matmul(x.slice([0, 5, 2]), w.T), b) },
  { op: 'linear', note: 'no bias, 3-D input', inputs: [rn(2, 2, 3), rn(3, 2)], fn: (x, w) => A.linear(x, w), ref: (x, w) => K.matmul(x, w) },
  {
    op: 'softmaxCrossEntropy',
    note: 'int32 class indices',
    inputs: [rn(4, 3)],
    fn: (z) => A.softmaxCrossEntropy(z, idx([0, 2, 1, 2])),
    ref: (z) => K.mul(K.sum(K.mul(K.oneHot(idx([0, 2, 1, 2]), 3, { dtype: 'float64' }), K.logSoftmax(z))), -1 / 4),
  },
  {
    op: 'softmaxCrossEntropy',
    note: 'one-hot float targets',
    inputs: [rn(2, 3)],
    fn: (z) => A.softmaxCrossEntropy(z, tensor([[0, 1, 0], [1, 0, 0]], undefined, { dtype: 'float64' })),
    ref: (z) => K.scalar(-(K.logSoftmax(z).get(0, 1) + K.logSoftmax(z).get(1, 0)) / 2, { dtype: 'float64' }),
  },
];

describe('op table', () => {
  let cases = 0;
  for (const row of rows) {
    const title = `${row.op}${row.note ? ` (${row.note})` : ''}`;
    it(title, () => {
      const vars = row.inputs.map((t) => new Variable(t));
      const got = row.fn(...vars).value;
      const want = row.ref(...row.inputs);
      expect(got.shape).toEqual(want.shape);
      expect(K.maxAbsDiff(got, want)).toBeLessThan(1e-12);
      const first = gradcheck(row.fn, row.inputs, TOL);
      expect(first.ok).toBe(true);
      cases++;
      if (!row.noGradGrad) {
        const second = gradgradcheck(row.fn, row.inputs, TOL);
        expect(second.ok).toBe(true);
        cases++;
      }
    });
  }

  it('covers every exported op function', () => {
    const helpers = new Set(['binary']);
    const modules = { ...elementwiseOps, ...reduceOps, ...shapeOps, ...matmulOps, ...nnOps };
    const fns = Object.entries(modules)
      .filter(([name, v]) => typeof v === 'function' && /^[a-z]/.test(name) && !helpers.has(name))
      .map(([name]) => name);
    const covered = new Set(rows.map((r) => r.op));
    expect(fns.filter((f) => !covered.has(f))).toEqual([]);
    expect(fns.length).toBeGreaterThan(50);
    // Every row above ran a first- and a second-order check (one cases count per check).
    expect(cases).toBe(rows.length * 2 - rows.filter((r) => r.noGradGrad).length);
  });
});

describe('errors', () => {
  it('name the op and the shapes', () => {
    const x = A.variable([[1, 2, 3]]);
    expect(() => A.matmul(x, x)).toThrow(/matmul: inner dimensions differ.*\[1, 3\]/);
    expect(() => A.add(x, A.variable([1, 2]))).toThrow(/add: shapes \[1, 3\] and \[2\] cannot broadcast/);
    expect(() => A.linear(x, A.variable([[1], [2]]))).toThrow(/linear: input \[1, 3\] does not end in 2/);
    expect(() => A.softmaxCrossEntropy(x, idx([3]))).toThrow(/label 3 at position 0 is outside \[0, 3\)/);
    expect(() => A.softmaxCrossEntropy(x, idx([0, 1]))).toThrow(/class indices must have shape \[1\]/);
    expect(() => A.softmaxCrossEntropy(x, tensor([[0, 1]]))).toThrow(/one-hot targets must have shape \[1, 3\]/);
  });
});

describe('known values', () => {
  it('cross-entropy of equal logits over two classes is ln 2', () => {
    const z = A.parameter(tensor([[0.3, 0.3], [-1, -1]]));
    const loss = A.softmaxCrossEntropy(z, idx([0, 1]));
    expect(loss.item()).toBeCloseTo(Math.LN2, 6);
    loss.backward();
    // δ = (softmax − onehot)/N
    expect(z.grad!.toArray()).toEqual([
      [-0.25, 0.25],
      [0.25, -0.25],
    ]);
  });

  it('float32 and float64 gradients agree', () => {
    const x32 = A.parameter(tensor([[0.1, -0.2], [0.3, 0.4]]));
    const x64 = A.parameter(tensor([[0.1, -0.2], [0.3, 0.4]], undefined, { dtype: 'float64' }));
    for (const x of [x32, x64]) x.matmul(x).tanh().logsumexp().backward();
    expect(x32.grad!.dtype).toBe('float32');
    expect(K.maxAbsDiff(x32.grad!.astype('float64'), x64.grad!)).toBeLessThan(1e-6);
  });
});
