/**
 * Op table rows at the edge cases of their derivatives, each checked against the documented rule (PyTorch's):
 * ties of maximum/minimum split the gradient evenly, ties of a max/min reduction share it 1/k, relu's subgradient
 * at 0 is 0, and pow's derivatives take their limits at a base of 0 (∂b = 0 at a = 0 ≤ b, ∂a = 0 at b = 0). A
 * tie is a kink, where central differences measure the average of the one-sided slopes, so these rows carry a
 * `rule` instead of being gradchecked; `pow 0^b`, which is smooth in b, is gradchecked like any row.
 */
import * as K from '@tapegrad/tensor';
import { Tensor } from '@tapegrad/tensor';
import * as AG from '../../src/index.js';
import { drawer } from './inputs.js';
import { R, map, reduce, zip } from './reference.js';
import type { Row, Rule } from './row.js';

const { uniform } = drawer(20261201);

const t34 = (rows: number[][]): Tensor => new Tensor(Float64Array.from(rows.flat()), [3, 4]);

/** Ties at (0,0), (0,2), (1,0), (1,2), (2,0), (2,2), (2,3); b wins at (0,3) and (1,1). */
const tiesA = t34([
  [1, 2, 3, 4],
  [0, 0, -1, 5],
  [2, 2, 2, -3],
]);
const tiesB = t34([
  [1, 0, 3, 5],
  [0, 1, -1, 4],
  [2, -2, 2, -3],
]);
/** Exact zeros (relu's kink, the tie of maximum(x, 0)) among positive and negative values. */
const withZeros = t34([
  [0, 1.5, -0.5, 0],
  [-2, 0, 0.25, 3],
  [0, -1, 0.75, 0],
]);
/** Ties of the maximum along axis 1: two in row 0, all four in row 1, two in row 2 (and of the minimum in row 1). */
const laneTies = t34([
  [1, 3, 3, 0],
  [2, 2, 2, 2],
  [-1, 5, 0, 5],
]);
/**
 * A base of 0 at (0,0), (0,1), (0,2), (1,1), (2,0) with exponents 2, 0, 3, 2.5, 0 (the limits of both derivatives),
 * and an exponent of 0 over a base of 0.5 and 0.7 (where ∂a = 0 but ∂²/∂a∂b = 1/a is not).
 */
const base = t34([
  [0, 0, 0, 0.5],
  [1.5, 0, 2, 0.7],
  [0, 1.2, 0.9, 2],
]);
const exponent = t34([
  [2, 0, 3, 0],
  [1.3, 2.5, -0.5, 0],
  [0, 0.7, -1.2, 3],
]);

/** The rule of an elementwise op from its partial derivatives at one element (inputs of one shape). */
function elementwise(partials: (...v: number[]) => number[]): Rule {
  const at = (xs: R[], i: number): number[] => partials(...xs.map((x) => x.data[i]!));
  return {
    vjp: (u, ...xs) => xs.map((x, k) => new R([...x.shape], u.data.map((g, i) => g * at(xs, i)[k]!))),
    jvp: (ts, ...xs) => new R([...xs[0]!.shape], xs[0]!.data.map((_, i) => at(xs, i).reduce((s, d, k) => s + d * ts[k]!.data[i]!, 0))),
  };
}

/** ½ at a tie, 1 where the first argument wins, 0 where the second does (the share of maximum's or minimum's `a`). */
const split = (wins: boolean, tie: boolean): number => (tie ? 0.5 : wins ? 1 : 0);

/** The rule of a max/min reduction along axis 1 of a [3, 4] input: the elements attaining it share 1/k each. */
function laneExtremum(pick: (v: number[]) => number): Rule {
  const weights = (x: R): R => {
    const best = reduce(x, 1, true, pick);
    const hits = reduce(x, 1, true, (v) => v.filter((e) => e === pick(v)).length);
    return R.build([...x.shape], ([i, j]) => (x.get([i!, j!]) === best.get([i!, 0]) ? 1 / hits.get([i!, 0]) : 0));
  };
  return {
    vjp: (u, x) => {
      const w = weights(x);
      return [R.build([...x.shape], ([i, j]) => w.get([i!, j!]) * u.get([i!]))];
    },
    jvp: ([t], x) => {
      const w = weights(x);
      return reduce(zip(w, t!, (a, b) => a * b), 1, false, (v) => v.reduce((s, e) => s + e, 0));
    },
  };
}

export const edgeCaseRows: Row[] = [
  {
    name: 'maximum at ties [3,4],[3,4]: each input gets g/2',
    kernel: K.maximum,
    covers: ['maximum'],
    inputs: [tiesA, tiesB],
    fn: (a, b) => AG.maximum(a, b),
    ref: (a, b) => zip(a, b, Math.max),
    expand: false,
    rule: elementwise((a, b) => [split(a > b, a === b), split(b > a, a === b)]),
  },
  {
    name: 'minimum at ties [3,4],[3,4]: each input gets g/2',
    kernel: K.minimum,
    covers: ['minimum'],
    inputs: [tiesA, tiesB],
    fn: (a, b) => AG.minimum(a, b),
    ref: (a, b) => zip(a, b, Math.min),
    expand: false,
    rule: elementwise((a, b) => [split(a < b, a === b), split(b < a, a === b)]),
  },
  {
    name: 'maximum(x, 0) at x = 0: ½ (a tie, unlike relu)',
    kernel: (x) => K.maximum(x, 0),
    covers: ['maximum'],
    inputs: [withZeros],
    fn: (x) => AG.maximum(x, 0),
    ref: (x) => map(x, (v) => Math.max(v, 0)),
    expand: false,
    rule: elementwise((x) => [split(x > 0, x === 0)]),
  },
  {
    name: 'relu at x = 0: subgradient 0 (as PyTorch)',
    kernel: K.relu,
    covers: ['relu'],
    inputs: [withZeros],
    fn: (x) => AG.relu(x),
    ref: (x) => map(x, (v) => Math.max(v, 0)),
    expand: false,
    rule: elementwise((x) => [x > 0 ? 1 : 0]),
  },
  {
    name: 'max axis 1 with ties: the k maximal elements get g/k each',
    kernel: (x) => K.max(x, 1),
    covers: ['max'],
    inputs: [laneTies],
    fn: (x) => AG.max(x, 1),
    ref: (x) => reduce(x, 1, false, (v) => Math.max(...v)),
    expand: false,
    rule: laneExtremum((v) => Math.max(...v)),
  },
  {
    name: 'min axis 1 with ties: the k minimal elements get g/k each',
    kernel: (x) => K.min(x, 1),
    covers: ['min'],
    inputs: [laneTies],
    fn: (x) => AG.min(x, 1),
    ref: (x) => reduce(x, 1, false, (v) => Math.min(...v)),
    expand: false,
    rule: laneExtremum((v) => Math.min(...v)),
  },
  {
    name: 'pow a^b at a = 0: ∂b = 0 where a = 0 ≤ b (the limit), ∂a = 0 where a = b = 0',
    kernel: K.pow,
    covers: ['pow'],
    inputs: [base, exponent],
    fn: (a, b) => AG.pow(a, b),
    ref: (a, b) => zip(a, b, Math.pow),
    expand: false,
    rule: elementwise((a, b) => [b === 0 ? 0 : b * a ** (b - 1), a === 0 && b >= 0 ? 0 : a ** b * Math.log(a)]),
  },
  {
    // Smooth in b (0^b = 0 for every b > 0), so this row is gradchecked and gradgradchecked like any other.
    name: 'pow 0^b (a constant base of 0): ∂b = 0, not 0·ln 0 = NaN',
    kernel: (b) => K.pow(0, b),
    covers: ['pow'],
    inputs: [uniform(0.5, 3, 3, 4)],
    fn: (b) => AG.pow(0, b),
    ref: (b) => map(b, (v) => 0 ** v),
  },
];
