/**
 * The table-driven op suite (STYLE.md "Writing an op", step 3) — the one op table of the package. One row
 * per op (several for broadcasting, views, zeros, special cases); every row is checked
 *   1. forward against a naive float64 reference loop written here (views against Tensor's view methods),
 *   2. forward against the @tapegrad/tensor kernel (`kernel`): within 1e-12 in float64, and bit-for-bit in
 *      float32 (except composite ops, which round differently),
 *   3. by float64 gradcheck (full Jacobian vs central differences; once through the fast backward, once
 *      through the recorded createGraph backward) and by gradgradcheck,
 * on the plain contiguous inputs, on a strided copy of every float input (axes reversed, every other element,
 * non-zero offset) and, where it makes sense, with the first input expanded from a size-1 leading axis.
 * Non-differentiable ops (comparisons, argmax/argmin) have rows with `grad: false`: their forward is checked
 * the same way, and their result must be a constant (no tape entry, no gradient) even for inputs that
 * require one. The coverage tests fail when an entry of the op table, or an exported op function, has no
 * row. The rows live in `op-table/` (one module per kind); op-table-forward.test.ts runs the forward-mode
 * checks on the same rows and variants.
 */
import { describe, expect, it } from 'vitest';
import * as K from '@tapegrad/tensor';
import { tensor, type Tensor } from '@tapegrad/tensor';
import * as AG from '../src/index.js';
import { Variable, gradients, opTable, variable } from '../src/index.js';
import { gradcheck, gradgradcheck } from '../src/gradcheck.js';
import * as unaryOps from '../src/ops/unary.js';
import * as binaryOps from '../src/ops/binary.js';
import * as reduceOps from '../src/ops/reduce.js';
import * as viewOps from '../src/ops/views.js';
import * as indexingOps from '../src/ops/indexing.js';
import * as matmulOps from '../src/ops/matmul.js';
import * as nnOps from '../src/ops/nn.js';
import { TOL, drawer, int32 } from './op-table/inputs.js';
import { R } from './op-table/reference.js';
import { rows, unaryRows, variantsOf, type Row, type Variant } from './op-table/table.js';

const { randn, uniform } = drawer(20261127);

// ---- running the table ---------------------------------------------------------------------------

function checkForward(row: Row, v: Variant): void {
  const out = v.fn(...v.inputs.map((t) => variable(t)));
  const expandedInputs = v.label.startsWith('expanded') ? [v.inputs[0]!.expand(row.inputs[0]!.shape), ...v.inputs.slice(1)] : v.inputs;
  const ref = row.ref(...expandedInputs.map((t) => R.of(t)));
  expect(out.shape, `${row.name} [${v.label}] shape`).toEqual(ref.shape);
  expect(out.dtype).toBe(row.dtype ?? 'float64');
  if (row.kernel) {
    const want = row.kernel(...expandedInputs);
    expect(want.shape, `${row.name} [${v.label}] kernel shape`).toEqual(out.shape);
    expect(K.maxAbsDiff(out.value, want), `${row.name} [${v.label}] forward vs kernel`).toBeLessThan(1e-12);
  }
  const got = out.value.astype('float64').data;
  const tol = row.forwardTol ?? 1e-10;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.data.length; i++) {
    const err = Math.abs(got[i]! - ref.data[i]!) / (1 + Math.abs(ref.data[i]!));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${row.name} [${v.label}] forward: element ${at} got ${got[at]} expected ${ref.data[at]}`).toBeLessThanOrEqual(tol);
}

/** float32 inputs give a float32 result that matches the float64 reference to float32 precision. */
function checkFloat32(row: Row): void {
  const inputs32 = row.inputs.map((t) => (t.dtype === 'int32' ? t : t.astype('float32')));
  const out = row.fn(...inputs32.map((t) => variable(t)));
  expect(out.dtype, `${row.name} float32 result dtype`).toBe(row.dtype === 'int32' ? 'int32' : 'float32');
  if (row.kernel) {
    // Built-in ops compute their value with exactly this kernel, so float32 results are identical.
    const want = row.kernel(...inputs32);
    expect(want.dtype).toBe(out.dtype);
    if (row.composite) expect(K.maxAbsDiff(out.value, want), `${row.name} float32 vs kernel`).toBeLessThanOrEqual(1e-5);
    else expect(out.value.equals(want), `${row.name} float32 forward equals the kernel's bit for bit`).toBe(true);
  }
  const ref = row.ref(...inputs32.map((t) => R.of(t)));
  const got = out.value.astype('float64').data;
  for (let i = 0; i < ref.data.length; i++) {
    expect(Math.abs(got[i]! - ref.data[i]!), `${row.name} float32 element ${i}`).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(ref.data[i]!)));
  }
}

/** Σ a·b over all elements, in float64. */
const dot = (a: Tensor, b: Tensor): number => K.sum(K.mul(a.astype('float64'), b.astype('float64'))).item();

/**
 * A row at a kink or a limit: its VJP (fast and recorded) equals the documented rule for a random cotangent, and
 * its second derivatives are finite and consistent — forward-over-reverse (the JVP of the VJP) and
 * reverse-over-reverse (the gradient of the VJP) agree, and the Hessian they give is symmetric.
 */
function checkRule(row: Row, v: Variant): void {
  const where = `${row.name} [${v.label}]`;
  expect(v.inputs.every((t) => t.dtype !== 'int32'), `${where}: rule rows take float inputs only`).toBe(true);
  const xs = v.inputs.map((t) => R.of(t));
  const out = v.fn(...v.inputs.map((t) => variable(t)));
  const u = randn(...out.shape);
  const want = row.rule!.vjp(R.of(u), ...xs);
  for (const createGraph of [false, true]) {
    const leaves = v.inputs.map((t) => variable(t, { requiresGrad: true }));
    const got = gradients(v.fn(...leaves), leaves, { gradient: u, createGraph });
    got.forEach((g, k) => {
      const diff = K.maxAbsDiff(g.value, want[k]!.tensor());
      expect(diff, `${where}: ∂input ${k} (createGraph ${createGraph}) vs the rule`).toBeLessThanOrEqual(1e-12);
    });
  }
  // H is the Hessian of ⟨u, f(x)⟩ (symmetric). With s_w(x) = ⟨w, vjp_u(x)⟩, ∇s_w = H·w by reverse-over-reverse and the
  // directional derivative of s_w along v is ⟨w, H·v⟩ by forward-over-reverse: both ways, and both orders, agree.
  const w = v.inputs.map((t) => randn(...t.shape));
  const dv = v.inputs.map((t) => randn(...t.shape));
  const s = (dir: Tensor[]) => (...x: Variable[]): Variable =>
    AG.vjp(v.fn, x, u)
      .grads.map((g, k) => g.mul(dir[k]!).sum())
      .reduce((acc, term) => acc.add(term));
  const forwardOverReverse = AG.jvp(s(w), v.inputs, dv).tangent.item();
  const argnums = v.inputs.map((_, k) => k);
  const gradientOf = (dir: Tensor[]): Variable[] => (AG.grad(s(dir), argnums) as (...x: Tensor[]) => Variable[])(...v.inputs);
  const hw = gradientOf(w).reduce((acc, g, k) => acc + dot(g.value, dv[k]!), 0);
  const hv = gradientOf(dv).reduce((acc, g, k) => acc + dot(g.value, w[k]!), 0);
  expect(Number.isFinite(forwardOverReverse), `${where}: second derivative is finite`).toBe(true);
  const close = (p: number, q: number): boolean => Math.abs(p - q) <= 1e-10 * (1 + Math.abs(q));
  expect(close(forwardOverReverse, hw), `${where}: ⟨w, H·v⟩ ${forwardOverReverse} forward-over-reverse vs ${hw} reverse`).toBe(true);
  expect(close(hw, hv), `${where}: the Hessian is symmetric, ⟨H·w, v⟩ ${hw} vs ⟨w, H·v⟩ ${hv}`).toBe(true);
}

let gradchecks = 0;
let ruleChecks = 0;
describe('op table', () => {
  for (const row of rows) {
    describe(row.name, () => {
      for (const v of variantsOf(row)) {
        it(v.label, () => {
          for (const t of v.inputs)
            if (v.label.startsWith('strided') && t.dtype !== 'int32' && t.size > 1) expect(t.isContiguous).toBe(false);
          checkForward(row, v);
          if (v.label === 'contiguous') checkFloat32(row);
          if (row.grad === false) {
            // A constant result even when every float input requires a gradient (like PyTorch's comparisons).
            const out = v.fn(...v.inputs.map((t) => variable(t, { requiresGrad: t.dtype !== 'int32' })));
            expect(out.requiresGrad, `${row.name} result requires no gradient`).toBe(false);
            expect(out.entry, `${row.name} records no tape entry`).toBeNull();
            return;
          }
          if (row.rule) {
            checkRule(row, v);
            ruleChecks++;
            return;
          }
          const r1 = gradcheck(v.fn, v.inputs, TOL);
          expect(r1.ok).toBe(true);
          expect(r1.checked).toBeGreaterThan(0);
          gradchecks++;
          // The same first derivatives through the recorded (createGraph) backward formulas, which fused
          // ops do not use on their fast path.
          expect(gradcheck(v.fn, v.inputs, { ...TOL, createGraph: true }).ok).toBe(true);
          gradchecks++;
          if (row.gradgrad ?? true) {
            const r2 = gradgradcheck(v.fn, v.inputs, TOL);
            expect(r2.ok).toBe(true);
            gradchecks++;
          }
        });
      }
    });
  }

  it('method forms of the unary ops record the same op and value as the free functions', () => {
    let checked = 0;
    const args: Record<string, number[]> = { leakyRelu: [0.1], elu: [1.5] };
    for (const [name, fn, , x] of unaryRows) {
      const method = (Variable.prototype as unknown as Record<string, unknown>)[name];
      expect(typeof method, `Variable.prototype.${name}`).toBe('function');
      const v = variable(x, { requiresGrad: true });
      const a = (method as (this: Variable, ...p: number[]) => Variable).call(v, ...(args[name] ?? []));
      const b = fn(v);
      expect(a.entry?.op.name).toBe(b.entry?.op.name);
      expect(a.value.equals(b.value)).toBe(true);
      checked++;
    }
    expect(checked).toBe(unaryRows.length);
  });

  it('method forms of the binary ops and reductions match the free functions', () => {
    const a = variable(randn(3, 4), { requiresGrad: true });
    const b = variable(uniform(0.5, 2, 4), { requiresGrad: true });
    const pos = variable(uniform(0.5, 2, 3, 4), { requiresGrad: true });
    const call = (v: Variable, name: string, ...args: unknown[]): Variable =>
      (Variable.prototype as unknown as Record<string, (...p: unknown[]) => Variable>)[name]!.call(v, ...args);
    const free = AG as unknown as Record<string, (...p: unknown[]) => Variable>;
    const cases: Array<[string, Variable, unknown[]]> = [
      ['add', a, [b]],
      ['sub', a, [b]],
      ['mul', a, [b]],
      ['div', a, [b]],
      ['pow', pos, [b]],
      ['maximum', a, [b]],
      ['minimum', a, [b]],
      ['sum', a, [1, true]],
      ['mean', a, [0]],
      ['max', a, [1]],
      ['min', a, []],
      ['logsumexp', a, [-1]],
      ['variance', a, [1]],
      ['std', a, [0]],
      ['softmax', a, [0]],
      ['logSoftmax', a, []],
      ['matmul', a, [a.T]],
      ['clip', a, [-0.3, 0.3]],
      ['prod', a, [1, true]],
      ['eq', a, [b]],
      ['ne', a, [0]],
      ['lt', a, [b]],
      ['le', a, [b]],
      ['gt', a, [0.5]],
      ['ge', a, [b]],
      ['argmax', a, [1]],
      ['argmin', a, []],
    ];
    for (const [name, v, args] of cases) {
      const m = call(v, name, ...args);
      const f = free[name]!(v, ...args);
      expect(m.entry?.op.name, name).toBe(f.entry?.op.name);
      expect(m.value.equals(f.value), name).toBe(true);
    }
  });

  it('every exported op function has a row', () => {
    // Everything the package exports that is not an op. A new export must be either listed here or get a row.
    const notOps = new Set([
      'apply',
      'backward',
      'binary',
      'checkFinite',
      'constant',
      'currentBackward',
      'defineOp',
      'detectAnomaly',
      'enableGrad',
      'formatTape',
      'grad',
      'gradcheck',
      'gradgradcheck',
      'gradients',
      'hvp',
      'inBackwardOf',
      'isAnomalyEnabled',
      'isGradEnabled',
      'noGrad',
      'parameter',
      'registerHook',
      'stopGradient',
      'tape',
      'toDot',
      'toMermaid',
      'toVariable',
      'toVariablePair',
      'topologicalOrder',
      'valueAndGrad',
      'variable',
      'vjp',
      'withGradMode',
      'jvp',
      'jacfwd',
      'jacrev',
      'hessian',
    ]);
    const fromIndex = Object.entries(AG)
      .filter(([name, value]) => typeof value === 'function' && /^[a-z]/.test(name) && !notOps.has(name))
      .map(([name]) => name);
    const fromOpModules = [unaryOps, binaryOps, reduceOps, viewOps, indexingOps, matmulOps, nnOps].flatMap((m) =>
      Object.entries(m)
        .filter(([name, value]) => typeof value === 'function' && /^[a-z]/.test(name) && !notOps.has(name))
        .map(([name]) => name),
    );
    const covered = new Set(rows.flatMap((r) => r.covers));
    const missing = [...new Set([...fromIndex, ...fromOpModules])].filter((name) => !covered.has(name));
    expect(missing, `ops without a row in op-table.test.ts: ${missing.join(', ')}`).toEqual([]);
    expect(fromIndex.length).toBeGreaterThan(50);
  });

  it('every entry of the op table has a row, and is exported under its own name', () => {
    const covered = new Set(rows.flatMap((r) => r.covers));
    const entries = Object.entries(opTable);
    const missing = entries.map(([name]) => name).filter((name) => !covered.has(name));
    expect(missing, `op table entries without a row in op-table/: ${missing.join(', ')}`).toEqual([]);
    for (const [name, fn] of entries) {
      expect(fn.spec.name, `opTable.${name}.spec.name`).toBe(name);
      expect((AG as unknown as Record<string, unknown>)[name], `${name} is exported`).toBe(fn);
      expect(fn.spec.math.length, `${name} has its math`).toBeGreaterThan(0);
      // A primitive labels its tape entries with its name; composite and constant entries record no entry of their own.
      expect(fn.spec.op?.name ?? name).toBe(name);
      const opless = ['composite', 'constant'].includes(fn.spec.kind);
      expect(fn.spec.op === null, `${name}: only composite and constant entries have no Op`).toBe(opless);
      const method = (Variable.prototype as unknown as Record<string, unknown>)[name];
      expect(typeof method === 'function', `Variable.prototype.${name} exists exactly when the entry says so`).toBe(fn.method);
    }
    expect(entries.length).toBeGreaterThan(60);
  });

  it('ran the gradchecks', () => {
    // Counted across the rows above (vitest runs tests in a file sequentially, in order).
    // gradcheck, gradcheck with createGraph and gradgradcheck on every variant of every row.
    const differentiable = rows.filter((row) => row.grad !== false && !row.rule);
    const variants = differentiable.reduce((n, row) => n + variantsOf(row).length, 0);
    const withGradgrad = differentiable.reduce((n, row) => n + ((row.gradgrad ?? true) ? variantsOf(row).length : 0), 0);
    expect(gradchecks).toBe(2 * variants + withGradgrad);
    // Rows at a kink or a limit are checked against their documented rule instead, on every variant.
    const ruled = rows.filter((row) => row.rule);
    expect(ruled.length).toBeGreaterThanOrEqual(7);
    expect(ruleChecks).toBe(ruled.reduce((n, row) => n + variantsOf(row).length, 0));
    expect(variants).toBeGreaterThan(2.5 * rows.length);
  });
});

describe('errors', () => {
  it('name the op and the shapes', () => {
    const x = AG.variable([[1, 2, 3]]);
    expect(() => AG.matmul(x, x)).toThrow(/matmul: inner dimensions differ.*\[1, 3\]/);
    expect(() => AG.add(x, AG.variable([1, 2]))).toThrow(/add: shapes \[1, 3\] and \[2\] cannot broadcast/);
    expect(() => AG.linear(x, AG.variable([[1], [2]]))).toThrow(/linear: input \[1, 3\] does not end in 2/);
    expect(() => AG.softmaxCrossEntropy(x, int32([3]))).toThrow(/label 3 at position 0 is outside \[0, 3\)/);
    expect(() => AG.softmaxCrossEntropy(x, int32([0, 1]))).toThrow(/class indices must have shape \[1\]/);
    expect(() => AG.softmaxCrossEntropy(x, tensor([[0, 1]]))).toThrow(/one-hot targets must have shape \[1, 3\]/);
    expect(() => AG.lt(x, AG.variable([1, 2]))).toThrow(/\[1, 3\].*\[2\]/);
  });
});

describe('known values', () => {
  it('cross-entropy of equal logits over two classes is ln 2', () => {
    const z = AG.parameter(
      tensor([
        [0.3, 0.3],
        [-1, -1],
      ]),
    );
    const loss = AG.softmaxCrossEntropy(z, int32([0, 1]));
    expect(loss.item()).toBeCloseTo(Math.LN2, 6);
    loss.backward();
    // δ = (softmax − onehot)/N
    expect(z.grad!.toArray()).toEqual([
      [-0.25, 0.25],
      [0.25, -0.25],
    ]);
  });

  it('float32 and float64 gradients agree', () => {
    const x32 = AG.parameter(
      tensor([
        [0.1, -0.2],
        [0.3, 0.4],
      ]),
    );
    const x64 = AG.parameter(
      tensor(
        [
          [0.1, -0.2],
          [0.3, 0.4],
        ],
        undefined,
        { dtype: 'float64' },
      ),
    );
    for (const x of [x32, x64]) x.matmul(x).tanh().logsumexp().backward();
    expect(x32.grad!.dtype).toBe('float32');
    expect(K.maxAbsDiff(x32.grad!.astype('float64'), x64.grad!)).toBeLessThan(1e-6);
  });

  it('prod gradients with zeros: one zero → product of the others, two zeros → 0 everywhere', () => {
    const x = AG.parameter(
      tensor(
        [
          [2, 0, 3],
          [0, 5, 0],
          [1, 2, 4],
        ],
        undefined,
        { dtype: 'float64' },
      ),
    );
    AG.prod(x, 1).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 6, 0],
      [0, 0, 0],
      [8, 4, 2],
    ]);
    // Second derivative at two zeros: ∂²(x₀x₁x₂)/∂x₀∂x₂ = x₁ = 5, though the first derivative is 0 there.
    const y = AG.parameter(tensor([0, 5, 0], undefined, { dtype: 'float64' }));
    // A product that underflows to 0 without a zero input still gets the exact products of the others.
    const u = AG.parameter(tensor([1e-200, 1e-200, 1e-10], undefined, { dtype: 'float64' }));
    AG.prod(u).backward();
    expect(u.grad!.toArray()).toEqual([1e-200 * 1e-10, 1e-200 * 1e-10, 0]);
    const dprod = AG.grad((v: Variable) => AG.prod(v));
    expect(dprod(y).toArray()).toEqual([0, 0, 0]);
    const h = AG.grad((v: Variable) => dprod(v).index(0))(y);
    expect(h.toArray()).toEqual([0, 0, 5]);
  });

  it("edge cases match PyTorch 1.13: ties of maximum split evenly, pow's derivatives take their limits at a base of 0", () => {
    // torch.maximum(x, zeros).sum().backward() at x = [0, 0, 1] gives [0.5, 0.5, 1]; torch.amax splits ties like max.
    const x = AG.parameter(tensor([0, 0, 1], undefined, { dtype: 'float64' }));
    AG.maximum(x, 0).sum().backward();
    expect(x.grad!.toArray()).toEqual([0.5, 0.5, 1]);
    const lane = AG.parameter(tensor([[1, 3, 3, 0]], undefined, { dtype: 'float64' }));
    AG.max(lane, 1).sum().backward();
    expect(lane.grad!.toArray()).toEqual([[0, 0.5, 0.5, 0]]);
    // torch.pow(a, b).sum() at these points: first derivatives, with the pole at a = 0 > b left alone (−∞).
    const a = AG.parameter(tensor([0, 0, 0, 0, 2, 0.5, 0], undefined, { dtype: 'float64' }));
    const b = AG.parameter(tensor([2, 0, 1, 3, 0, 2.5, -1], undefined, { dtype: 'float64' }));
    const [ga, gb] = AG.gradients(AG.pow(a, b).sum(), [a, b], { createGraph: true });
    const torchGa = [0, 0, 1, 0, 0, 0.8838834764831844, -Infinity];
    const torchGb = [0, 0, 0, 0, 0.6931471805599453, -0.1225322679335684, -Infinity];
    ga!.value.values().forEach((v, i) => expect(v).toBeCloseTo(torchGa[i]!, 15));
    gb!.value.values().forEach((v, i) => expect(v).toBeCloseTo(torchGb[i]!, 15));
    // Second derivatives on the first six points. PyTorch gives NaN for ∂/∂b of ∂a at a = b = 0 and for every
    // derivative of ∂b at a = 0, and 0 for ∂/∂b of ∂a at (2, 0), where the value is 1/a = 0.5 (its own ∂/∂a of ∂b
    // says 0.5). Here they are the limits where one exists (b ≥ 2 or a > 0) and 0 at a = b = 0; at (0, 1) the mixed
    // derivative 1 + ln a → −∞ has no value, and the two orders give PyTorch's 1 and 0 (PyTorch: 1 and NaN).
    const finite = (v: Variable): Variable => v.slice([0, 6]).sum();
    const [dgaA, dgaB] = AG.gradients(finite(ga!), [a, b], { retainGraph: true }).map((g) => g.value.values().slice(0, 6));
    const [dgbA, dgbB] = AG.gradients(finite(gb!), [a, b]).map((g) => g.value.values().slice(0, 6));
    const near = (got: ArrayLike<number>, want: number[]): void => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 14));
    near(dgaA!, [2, 0, 0, 0, 0, 2.6516504294495533]);
    near(dgaB!, [0, 0, 1, 0, 0.5, -0.2591079490745682]);
    near(dgbA!, [0, 0, 0, 0, 0.5, -0.2591079490745682]);
    near(dgbB!, [0, 0, 0, 0, 0.4804530139182014, 0.08493289604576873]);
  });

  it('comparisons give constant 1/0 masks usable as a where condition, with no gradient', () => {
    const a = AG.parameter(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    const m = a.gt(3);
    expect(m.toArray()).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    expect(m.requiresGrad).toBe(false);
    expect(AG.le(2, a).toArray()).toEqual([
      [0, 1, 1],
      [1, 1, 1],
    ]);
    AG.where(m, a, a.mul(0)).sum().backward();
    expect(a.grad!.toArray()).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    expect(a.argmax(1).dtype).toBe('int32');
    expect(a.argmax(1).toArray()).toEqual([2, 2]);
    expect(AG.argmin(a.neg()).item()).toBe(5);
  });

  it('take without an axis follows the tensor take (NumPy): elements of the flattened x; axis 0 picks rows', () => {
    const t = K.arange(0, 6).reshape(2, 3);
    const x = AG.parameter(t);
    for (const picked of [AG.take(x, [1]), x.take([1]), x.take([1], null)]) {
      expect(picked.shape).toEqual(K.take(t, [1]).shape);
      expect(picked.shape).toEqual([1]);
      expect(picked.toArray()).toEqual([1]);
    }
    expect(AG.take(x, [1], 0).shape).toEqual([1, 3]);
    expect(x.take([1], 0).toArray()).toEqual(K.take(t, [1], 0).toArray());
    // The gradient of a flat take lands on the picked elements (repeats add up).
    AG.take(x, [4, 1, 4]).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 1, 0],
      [0, 2, 0],
    ]);
  });
});
