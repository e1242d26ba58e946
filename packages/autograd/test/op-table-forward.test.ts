/**
 * Forward mode, checked on every row of the op table (the same contiguous, strided and expanded float64
 * variants op-table.test.ts runs): the JVP against central finite differences in a random direction (against
 * the documented rule for a row at a kink or a limit, where finite differences do not apply), and
 * the JVP as the transpose of the VJP, ⟨vjp(u), v⟩ = ⟨u, jvp(v)⟩ for random u and v. Every entry of the op
 * table has a row (op-table.test.ts checks that), so every entry's JVP rule is checked here.
 */
import { describe, expect, it } from 'vitest';
import * as K from '@tapegrad/tensor';
import { Generator, Tensor, fmtShape } from '@tapegrad/tensor';
import { noGrad, jvp, variable, vjp, type Variable } from '../src/index.js';
import { TOL } from './op-table/inputs.js';
import { R } from './op-table/reference.js';
import { rows, variantsOf, type Row, type Variant } from './op-table/table.js';

const gen = new Generator(4242);
const EPS = 1e-6;

/** A random float64 tensor of `shape` (contiguous). */
const random = (shape: readonly number[]): Tensor => K.randn([...shape], { generator: gen, dtype: 'float64' });

/** Σ a·b over all elements, in float64. */
const dot = (a: Tensor, b: Tensor): number => K.sum(K.mul(a.astype('float64'), b.astype('float64'))).item();

/** The variant as a function of its float inputs only (int32 inputs are indices: constants). */
function overFloats(v: Variant): { primals: Tensor[]; f: (...xs: Variable[]) => Variable } {
  const isFloat = v.inputs.map((t) => t.dtype !== 'int32');
  const primals = v.inputs.filter((_, i) => isFloat[i]);
  const f = (...xs: Variable[]): Variable => {
    let k = 0;
    return v.fn(...v.inputs.map((t, i) => (isFloat[i] ? xs[k++]! : variable(t))));
  };
  return { primals, f };
}

/** f's value at x + s·dx (no tape), as float64. */
function valueAt(f: (...xs: Variable[]) => Variable, xs: readonly Tensor[], dxs: readonly Tensor[], s: number): Tensor {
  return noGrad(() => f(...xs.map((x, i) => variable(K.add(x, K.mul(dxs[i]!, s)))))).value.astype('float64');
}

function checkJvp(row: Row, v: Variant): void {
  const { primals, f } = overFloats(v);
  const tangents = primals.map((x) => random(x.shape));
  const { value, tangent } = jvp(f, primals, tangents);
  const where = `${row.name} [${v.label}]`;
  expect(value.value.equals(noGrad(() => f(...primals.map((x) => variable(x)))).value), `${where}: jvp's value is f's value`).toBe(true);
  expect(tangent.shape, `${where}: tangent shape`).toEqual(value.shape);
  expect(tangent.dtype).toBe('float64');

  // JVP = central finite differences along the tangent direction (at a kink or a limit: the row's documented rule).
  const numeric = row.rule
    ? row.rule.jvp(tangents.map((t) => R.of(t)), ...primals.map((x) => R.of(x))).tensor()
    : K.div(K.sub(valueAt(f, primals, tangents, EPS), valueAt(f, primals, tangents, -EPS)), 2 * EPS);
  const got = tangent.value.astype('float64').values();
  const want = numeric.values();
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    expect(err, `${where}: JVP element ${i} of ${fmtShape(value.shape)}: ${got[i]} vs finite differences ${want[i]}`).toBeLessThanOrEqual(
      TOL.atol + TOL.rtol * Math.abs(want[i]!),
    );
  }

  // The JVP is the transpose of the VJP: ⟨Jᵀu, v⟩ = ⟨u, Jv⟩.
  const u = random(value.shape);
  const { grads } = vjp(f, primals, u);
  const lhs = grads.reduce((s, g, k) => s + dot(g.value, tangents[k]!), 0);
  const rhs = dot(u, tangent.value);
  expect(Math.abs(lhs - rhs), `${where}: ⟨vjp(u), v⟩ = ${lhs} but ⟨u, jvp(v)⟩ = ${rhs}`).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(lhs)));
}

let checked = 0;
describe('forward mode on the op table', () => {
  for (const row of rows) {
    if (row.grad === false) continue;
    describe(row.name, () => {
      for (const v of variantsOf(row)) {
        it(v.label, () => {
          checkJvp(row, v);
          checked++;
        });
      }
    });
  }

  it('checked every variant of every differentiable row', () => {
    const variants = rows.filter((r) => r.grad !== false).reduce((n, r) => n + variantsOf(r).length, 0);
    expect(checked).toBe(variants);
    expect(variants).toBeGreaterThan(150);
  });
});
