/** Op table rows: unary and binary elementwise ops, comparisons, and elementwise ops on views. */
import * as K from '@tapegrad/tensor';
import type { Tensor } from '@tapegrad/tensor';
import * as AG from '../../src/index.js';
import type { Variable } from '../../src/index.js';
import { drawer, int32 } from './inputs.js';
import { R, erfRef, map, sigmoidRef, view, zip } from './reference.js';
import type { Row } from './row.js';

const { randn, uniform, awayFromZero, distinct, ties } = drawer(20261123);
/** A constant tensor used by several rows. */
const c34 = randn(3, 4);

/** The unary elementwise rows: name, op call, scalar reference, input (and the kernel when it takes params). */
export const unaryRows: Array<[string, (x: Variable) => Variable, (v: number) => number, Tensor, ((x: Tensor) => Tensor)?]> = [
  ['neg', (x) => AG.neg(x), (v) => -v, randn(3, 4)],
  ['abs', (x) => AG.abs(x), Math.abs, awayFromZero(0.1, 3, 4)],
  ['sign', (x) => AG.sign(x), Math.sign, awayFromZero(0.1, 3, 4)],
  ['exp', (x) => AG.exp(x), Math.exp, randn(3, 4)],
  ['expm1', (x) => AG.expm1(x), Math.expm1, randn(3, 4)],
  ['log', (x) => AG.log(x), Math.log, uniform(0.5, 2, 3, 4)],
  ['log1p', (x) => AG.log1p(x), Math.log1p, uniform(-0.5, 2, 3, 4)],
  ['sqrt', (x) => AG.sqrt(x), Math.sqrt, uniform(0.5, 2, 3, 4)],
  ['rsqrt', (x) => AG.rsqrt(x), (v) => 1 / Math.sqrt(v), uniform(0.5, 2, 3, 4)],
  ['square', (x) => AG.square(x), (v) => v * v, randn(3, 4)],
  ['reciprocal', (x) => AG.reciprocal(x), (v) => 1 / v, uniform(0.5, 2, 3, 4)],
  ['sin', (x) => AG.sin(x), Math.sin, randn(3, 4)],
  ['cos', (x) => AG.cos(x), Math.cos, randn(3, 4)],
  ['tanh', (x) => AG.tanh(x), Math.tanh, randn(3, 4)],
  ['sigmoid', (x) => AG.sigmoid(x), sigmoidRef, randn(3, 4)],
  ['relu', (x) => AG.relu(x), (v) => Math.max(v, 0), awayFromZero(0.1, 3, 4)],
  ['leakyRelu', (x) => AG.leakyRelu(x, 0.1), (v) => (v > 0 ? v : 0.1 * v), awayFromZero(0.1, 3, 4), (x) => K.leakyRelu(x, 0.1)],
  ['elu', (x) => AG.elu(x, 1.5), (v) => (v > 0 ? v : 1.5 * Math.expm1(v)), awayFromZero(0.1, 3, 4), (x) => K.elu(x, 1.5)],
  ['gelu', (x) => AG.gelu(x), (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2)), uniform(-2.5, 2.5, 3, 4)],
  ['softplus', (x) => AG.softplus(x), (v) => Math.log1p(Math.exp(v)), randn(3, 4)],
  ['softsign', (x) => AG.softsign(x), (v) => v / (1 + Math.abs(v)), randn(3, 4)],
  ['erf', (x) => AG.erf(x), erfRef, uniform(-2.5, 2.5, 3, 4)],
  ['floor', (x) => AG.floor(x), Math.floor, uniform(0.1, 0.9, 3, 4).astype('float64')],
  ['ceil', (x) => AG.ceil(x), Math.ceil, uniform(0.1, 0.9, 3, 4)],
  ['round', (x) => AG.round(x), Math.round, uniform(0.1, 0.4, 3, 4)],
];

/** The elementwise rows. */
export const elementwiseRows: Row[] = [
  ...unaryRows.map(([name, fn, f, x, kernel]): Row => ({
    name,
    covers: [name],
    inputs: [x],
    fn,
    ref: (r) => map(r, f),
    kernel: kernel ?? ((t) => (K as unknown as Record<string, (t: Tensor) => Tensor>)[name]!(t)),
    // Kernels for erf/gelu may use a polynomial approximation.
    forwardTol: name === 'erf' || name === 'gelu' ? 1e-6 : 1e-10,
  })),
  {
    name: 'clip',
    kernel: (x) => K.clip(x, -0.5, 0.6),
    covers: ['clip'],
    inputs: [uniform(-1, 1, 3, 4)],
    fn: (x) => AG.clip(x, -0.5, 0.6),
    ref: (r) => map(r, (v) => Math.min(Math.max(v, -0.5), 0.6)),
  },

  // binary, with broadcasting and number operands
  {
    name: 'add [3,1]+[1,4]',
    kernel: K.add,
    covers: ['add'],
    inputs: [randn(3, 1), randn(1, 4)],
    fn: (a, b) => AG.add(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x + y),
    expand: false,
  },
  {
    name: 'add [2,3,4]+[4]',
    kernel: K.add,
    covers: ['add'],
    inputs: [randn(2, 3, 4), randn(4)],
    fn: (a, b) => AG.add(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x + y),
  },
  {
    name: 'add 0-d + [3]',
    kernel: K.add,
    covers: ['add'],
    inputs: [randn(), randn(3)],
    fn: (a, b) => AG.add(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x + y),
  },
  {
    name: 'mul 0-d * 0-d',
    kernel: K.mul,
    covers: ['mul'],
    inputs: [randn(), randn()],
    fn: (a, b) => AG.mul(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x * y),
  },
  {
    name: 'add x+2.5',
    kernel: (a) => K.add(a, 2.5),
    covers: ['add'],
    inputs: [randn(3, 4)],
    fn: (a) => AG.add(a, 2.5),
    ref: (a) => map(a, (x) => x + 2.5),
  },
  {
    name: 'sub [3,4]-[3,1]',
    kernel: K.sub,
    covers: ['sub'],
    inputs: [randn(3, 4), randn(3, 1)],
    fn: (a, b) => AG.sub(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x - y),
  },
  {
    name: 'sub 1-x',
    kernel: (a) => K.sub(1, a),
    covers: ['sub'],
    inputs: [randn(3, 4)],
    fn: (a) => AG.sub(1, a),
    ref: (a) => map(a, (x) => 1 - x),
  },
  {
    name: 'mul [3,4]*[3,4]',
    kernel: K.mul,
    covers: ['mul'],
    inputs: [randn(3, 4), randn(3, 4)],
    fn: (a, b) => AG.mul(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x * y),
  },
  {
    name: 'mul [4]*[3,1]',
    kernel: K.mul,
    covers: ['mul'],
    inputs: [randn(4), randn(3, 1)],
    fn: (a, b) => AG.mul(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x * y),
  },
  {
    name: 'mul x*x (reuse)',
    kernel: (a) => K.mul(a, a),
    covers: ['mul'],
    inputs: [randn(3, 4)],
    fn: (a) => AG.mul(a, a),
    ref: (a) => map(a, (x) => x * x),
  },
  {
    name: 'div [3,4]/[4]',
    kernel: K.div,
    covers: ['div'],
    inputs: [randn(3, 4), uniform(0.5, 2, 4)],
    fn: (a, b) => AG.div(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x / y),
  },
  {
    name: 'div 2/x',
    kernel: (a) => K.div(2, a),
    covers: ['div'],
    inputs: [uniform(0.5, 2, 3, 4)],
    fn: (a) => AG.div(2, a),
    ref: (a) => map(a, (x) => 2 / x),
  },
  {
    name: 'pow a^b [3,4]^[1,4]',
    kernel: K.pow,
    covers: ['pow'],
    inputs: [uniform(0.5, 2, 3, 4), randn(1, 4)],
    fn: (a, b) => AG.pow(a, b),
    ref: (a, b) => zip(a, b, Math.pow),
  },
  {
    name: 'pow x^3',
    kernel: (a) => K.pow(a, 3),
    covers: ['pow'],
    inputs: [randn(3, 4)],
    fn: (a) => AG.pow(a, 3),
    ref: (a) => map(a, (x) => x ** 3),
  },
  {
    name: 'pow x^2.5',
    kernel: (a) => K.pow(a, 2.5),
    covers: ['pow'],
    inputs: [uniform(0.5, 2, 3, 4)],
    fn: (a) => AG.pow(a, 2.5),
    ref: (a) => map(a, (x) => x ** 2.5),
  },
  {
    name: 'pow 2^x',
    kernel: (a) => K.pow(2, a),
    covers: ['pow'],
    inputs: [randn(3, 4)],
    fn: (a) => AG.pow(2, a),
    ref: (a) => map(a, (x) => 2 ** x),
  },
  {
    name: 'maximum [3,4],[4]',
    kernel: K.maximum,
    covers: ['maximum'],
    inputs: [distinct(3, 4), distinct(4)],
    fn: (a, b) => AG.maximum(a, b),
    ref: (a, b) => zip(a, b, Math.max),
  },
  {
    name: 'minimum [3,4],[3,1]',
    kernel: K.minimum,
    covers: ['minimum'],
    inputs: [distinct(3, 4), distinct(3, 1)],
    fn: (a, b) => AG.minimum(a, b),
    ref: (a, b) => zip(a, b, Math.min),
  },
  {
    name: 'where [3,4] cond, [3,4], [4]',
    kernel: (a, b) => K.where(int32([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], [3, 4]), a, b.expand(3, 4)),
    covers: ['where'],
    inputs: [randn(3, 4), randn(4)],
    fn: (a, b) => AG.where(int32([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], [3, 4]), a, b),
    ref: (a, b) => R.build([3, 4], (i) => ([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1][i[0]! * 4 + i[1]!] ? a.bget(i) : b.bget(i))),
    expand: false,
  },

  // non-differentiable: comparisons (broadcasting, ties)
  ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).flatMap((op): Row[] => {
    const f = {
      eq: (x: number, y: number) => x === y,
      ne: (x: number, y: number) => x !== y,
      lt: (x: number, y: number) => x < y,
      le: (x: number, y: number) => x <= y,
      gt: (x: number, y: number) => x > y,
      ge: (x: number, y: number) => x >= y,
    }[op];
    return [
      {
        name: `${op} [3,4],[1,4]`,
        covers: [op],
        grad: false,
        inputs: [ties(3, 4), ties(1, 4)],
        fn: (a, b) => AG[op](a, b),
        ref: (a, b) => zip(a, b, (x, y) => Number(f(x, y))),
        kernel: K[op],
      },
      {
        name: `${op} method, number`,
        covers: [op],
        grad: false,
        inputs: [ties(3, 4)],
        fn: (a) => a[op](0),
        ref: (a) => map(a, (x) => Number(f(x, 0))),
        kernel: (a) => K[op](a, 0),
      },
    ];
  }),
  // ops composed with views in method form (from the former ops.test.ts): the view's gradient feeds the op's
  ...(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const).map((op): Row => {
    const f = {
      add: (x: number, y: number) => x + y,
      sub: (x: number, y: number) => x - y,
      mul: (x: number, y: number) => x * y,
      div: (x: number, y: number) => x / y,
      pow: Math.pow,
      maximum: Math.max,
      minimum: Math.min,
    }[op];
    return {
      name: `${op} transposed a, number b (method .T)`,
      covers: [op],
      inputs: [op === 'pow' ? uniform(0.5, 2, 2, 3) : randn(2, 3)],
      fn: (x) => AG[op](x.T, 1.5),
      ref: (x) =>
        map(
          view(x, (t) => t.T),
          (v) => f(v, 1.5),
        ),
      kernel: (x) => K[op](x.T, 1.5),
    };
  }),
  {
    name: 'mul variable [1,4] × constant tensor [3,4]',
    covers: ['mul'],
    inputs: [randn(1, 4)],
    fn: (x) => AG.mul(x, c34.astype(x.dtype)),
    ref: (x) => zip(x, R.of(c34), (p, q) => p * q),
    kernel: (x) => K.mul(x, c34.astype(x.dtype)),
  },
  {
    name: 'div constant tensor [3,4] / variable [3,1]',
    covers: ['div'],
    inputs: [uniform(0.5, 2, 3, 1)],
    fn: (x) => AG.div(c34.astype(x.dtype), x),
    ref: (x) => zip(R.of(c34), x, (p, q) => p / q),
    kernel: (x) => K.div(c34.astype(x.dtype), x),
  },
  {
    name: 'add scalar variable + [2,3]',
    covers: ['add'],
    inputs: [randn(), randn(2, 3)],
    fn: (a, b) => AG.add(a, b),
    ref: (a, b) => zip(a, b, (x, y) => x + y),
    kernel: K.add,
  },
  {
    name: 'exp of a transposed view',
    covers: ['exp'],
    inputs: [randn(3, 4)],
    fn: (x) => AG.exp(x.T),
    ref: (x) =>
      map(
        view(x, (t) => t.T),
        Math.exp,
      ),
    kernel: (x) => K.exp(x.T),
  },
  {
    name: 'tanh of a step-2 slice',
    covers: ['tanh'],
    inputs: [randn(4, 5)],
    fn: (x) => AG.tanh(x.slice(null, [0, 5, 2])),
    ref: (x) =>
      map(
        view(x, (t) => t.slice(null, [0, 5, 2])),
        Math.tanh,
      ),
    kernel: (x) => K.tanh(x.slice(null, [0, 5, 2])),
  },
  {
    name: 'log of a sliced transposed view',
    covers: ['log'],
    inputs: [uniform(0.5, 2, 4, 5)],
    fn: (x) => AG.log(x.T.slice([1, 4])),
    ref: (x) =>
      map(
        view(x, (t) => t.T.slice([1, 4])),
        Math.log,
      ),
    kernel: (x) => K.log(x.T.slice([1, 4])),
  },
];
