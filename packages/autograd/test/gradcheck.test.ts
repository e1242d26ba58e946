import { describe, expect, it } from 'vitest';
import * as K from '@tapegrad/tensor';
import { DTypeError, Generator, ShapeError, Tensor, ValueError } from '@tapegrad/tensor';
import { constant, defineOp, variable, type Variable } from '../src/index.js';
import { GradcheckError, gradcheck, gradgradcheck, type GradcheckFn, type GradcheckOptions } from '../src/gradcheck.js';

const gen = new Generator(7);
const randn = (...shape: number[]): Tensor => K.randn(shape, { generator: gen, dtype: 'float64' });

/** y = x² with a backward that is wrong at exactly one element ([1, 2] of a [3, 4] input). */
const badSquare = defineOp({
  name: 'badSquare',
  forward: ([x]) =>
    new Tensor(
      Float64Array.from(x!.values(), (v) => v * v),
      x!.shape,
    ),
  backward: (g, { inputs: [x] }) => {
    const mask = new Float64Array(x!.size).fill(2);
    mask[1 * 4 + 2] = 3;
    return [g.mul(x!).mul(constant(new Tensor(mask, x!.shape)))];
  },
});

/** y = x² whose backward is right but not differentiable: 2x is taken as a constant. */
const detachedSquare = defineOp({
  name: 'detachedSquare',
  forward: ([x]) =>
    new Tensor(
      Float64Array.from(x!.values(), (v) => v * v),
      x!.shape,
    ),
  backward: (g, { inputs: [x] }) => [
    g.mul(
      constant(
        new Tensor(
          Float64Array.from(x!.value.values(), (v) => 2 * v),
          x!.shape,
        ),
      ),
    ),
  ],
});

/** The README's custom op: a numerically stable log-cosh, y = |x| + log1p(e^(−2|x|)) − ln 2, ∂x = g·tanh x. */
const logCosh = defineOp({
  name: 'logCosh',
  forward: ([x]) =>
    new Tensor(
      Float64Array.from(x!.values(), (v) => Math.abs(v) + Math.log1p(Math.exp(-2 * Math.abs(v))) - Math.LN2),
      x!.shape,
    ),
  backward: (g, { inputs: [x] }) => [g.mul(x!.tanh())],
});

describe('gradcheck', () => {
  it('passes a correct composite and compares the full Jacobian for small outputs', () => {
    const r = gradcheck((x, y) => x.mul(y).add(x.exp()), [randn(3, 4), randn(3, 4)]);
    expect(r.ok).toBe(true);
    expect(r.mode).toBe('jacobian');
    // 12 outputs × (12 + 12) input elements.
    expect(r.checked).toBe(12 * 24);
    expect(r.maxError).toBeLessThan(1e-7);
  });

  it('uses one random vector–Jacobian product in vjp mode and when the output is large', () => {
    const r = gradcheck((x) => x.tanh(), [randn(3, 4)], { mode: 'vjp' });
    expect(r).toMatchObject({ ok: true, mode: 'vjp', checked: 12 });
    const auto = gradcheck((x) => x.sigmoid(), [randn(3, 4)], { maxJacobianOutputs: 5 });
    expect(auto.mode).toBe('vjp');
  });

  it('finds the wrong element of a broken VJP and names the op, the index and both values', () => {
    const x = randn(3, 4);
    const r = gradcheck((v) => badSquare(v), [x], { raise: false });
    expect(r.ok).toBe(false);
    expect(r.worst!.input).toBe(0);
    expect(r.worst!.index).toEqual([1, 2]);
    expect(r.worst!.output).toEqual({ output: 0, index: [1, 2] });
    const xv = x.get(1, 2);
    expect(r.worst!.analytic).toBeCloseTo(3 * xv, 10);
    expect(r.worst!.numeric).toBeCloseTo(2 * xv, 6);
    expect(r.maxError).toBeCloseTo(Math.abs(xv), 6);

    let error: unknown;
    try {
      gradcheck((v) => badSquare(v).sum(), [x]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GradcheckError);
    expect(error).toBeInstanceOf(ValueError);
    const message = (error as Error).message;
    expect(message).toMatch(/'sum'/);
    expect(message).toMatch(/badSquare/);
    expect(message).toMatch(/index \[1, 2\]/);
    expect(message).toContain(String(3 * xv).slice(0, 6));
    expect((error as GradcheckError).result.ok).toBe(false);
  });

  it('honours atol/rtol and catches the same bug in vjp mode', () => {
    const x = randn(3, 4);
    const loose = gradcheck((v) => badSquare(v), [x], { atol: 10, raise: false });
    expect(loose.ok).toBe(true);
    expect(loose.maxError).toBeCloseTo(Math.abs(x.get(1, 2)), 6);
    expect(gradcheck((v) => badSquare(v), [x], { rtol: 0.6, atol: 0, raise: false }).ok).toBe(true);
    expect(gradcheck((v) => badSquare(v), [x], { rtol: 0.4, atol: 0, raise: false }).ok).toBe(false);
    const projected = gradcheck((v) => badSquare(v), [x], { mode: 'vjp', raise: false });
    expect(projected.ok).toBe(false);
    expect(projected.worst!.index).toEqual([1, 2]);
    expect(projected.worst!.output).toBeNull();
  });

  it('samples input elements when asked, still finding a bug in a sampled element', () => {
    const x = randn(3, 4);
    const r = gradcheck((v) => v.mul(v).sum(), [x], { sample: 5 });
    expect(r).toMatchObject({ ok: true, checked: 5 });
    const big = randn(3, 4);
    // Sampling all 12 finds the bad element; sampling is seeded, so results repeat.
    const s1 = gradcheck((v) => badSquare(v).sum(), [big], { sample: 12, raise: false });
    expect(s1.ok).toBe(false);
    const s2 = gradcheck((v) => badSquare(v).sum(), [big], { sample: 6, seed: 3, raise: false });
    const s3 = gradcheck((v) => badSquare(v).sum(), [big], { sample: 6, seed: 3, raise: false });
    expect(s2).toEqual(s3);
    expect(() => gradcheck((v) => v.sum(), [x], { sample: 0 })).toThrow(/sample/);
  });

  it('passes the README custom op (log-cosh) to first and second order', () => {
    const x = randn(2, 5);
    const y = gradcheck((v) => logCosh(v), [x]);
    expect(y.ok).toBe(true);
    expect(gradgradcheck((v) => logCosh(v), [x]).ok).toBe(true);
  });

  it('gradgradcheck catches a backward that is right but not differentiable', () => {
    const x = randn(2, 3);
    expect(gradcheck((v) => detachedSquare(v), [x]).ok).toBe(true);
    const r = gradgradcheck((v) => detachedSquare(v), [x], { raise: false });
    expect(r.ok).toBe(false);
    // ∂/∂x (v·2x) = 2v, analytic says 0.
    expect(r.worst!.analytic).toBe(0);
    expect(Math.abs(r.worst!.numeric)).toBeGreaterThan(1e-3);
    expect(() => gradgradcheck((v) => detachedSquare(v), [x])).toThrow(/gradgradcheck failed/);
  });

  it('promotes float32 inputs to float64 and leaves the caller’s inputs untouched', () => {
    const x32 = new Tensor(Float32Array.from([0.5, -1.25, 2, 0.75]), [2, 2]);
    const before = Float32Array.from(x32.data as Float32Array);
    const seen: string[] = [];
    const r = gradcheck(
      (v) => {
        seen.push(v.dtype);
        return v.square().sum();
      },
      [x32],
    );
    expect(r.ok).toBe(true);
    expect(new Set(seen)).toEqual(new Set(['float64']));
    expect(x32.data).toEqual(before);
    const leaf = variable(randn(2, 2), { requiresGrad: true });
    gradcheck((v) => v.exp().sum(), [leaf]);
    expect(leaf.grad).toBeNull();
  });

  it('keeps a strided input strided, so the op sees the non-contiguous layout', () => {
    const base = randn(4, 3);
    const t = base.T.slice(null, [0, 4, 2]); // [3, 2], transposed and stepped
    expect(t.isContiguous).toBe(false);
    const layouts: boolean[] = [];
    const r = gradcheck(
      (v) => {
        layouts.push(v.value.isContiguous);
        return v.sin().mul(v).sum(1);
      },
      [t],
    );
    expect(r.ok).toBe(true);
    expect(layouts.every((c) => !c)).toBe(true);
  });

  it('treats int32 inputs and Variables without requiresGrad as constants', () => {
    const idx = new Tensor(Int32Array.from([2, 0, 1]), [3]);
    const w = variable(randn(3), { requiresGrad: false });
    const r = gradcheck((x, i, c) => x.take(i!, 0).mul(c!).sum(), [randn(3), idx, w]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(3); // only x
  });

  it('checks every output of a function returning several', () => {
    const r = gradcheck((x, y) => [x.mul(y), x.sub(y).sum()], [randn(2), randn(2)]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe((2 + 1) * 4);
  });

  it('rejects bad setups clearly', () => {
    expect(() => gradcheck((x) => x.sum(), [new Tensor(Int32Array.from([1, 2]), [2])])).toThrow(ValueError);
    expect(() => gradcheck((x) => x.sum(), [randn(2)], { eps: 0 })).toThrow(/eps/);
    // A function that leaves float64 behind cannot be checked precisely.
    expect(() => gradcheck((x) => variable(x.value.astype('float32'), { requiresGrad: true }), [randn(2)])).toThrow(DTypeError);
    expect(() => gradcheck((x) => variable(x.value.astype('float32'), { requiresGrad: true }), [randn(2)])).toThrow(/float64/);
  });

  it('refuses tolerances, eps, mode and sample that would make the check meaningless (gradcheck and gradgradcheck)', () => {
    // y = x² with a VJP of 3·g·x: a negative or NaN tolerance used to pass every entry.
    const wrong = defineOp({ name: 'wrongSquare', forward: ([a]) => K.mul(a!, a!), backward: (g, { inputs: [a] }) => [g.mul(a!).mul(3)] });
    const f = (v: Variable): Variable => wrong(v).sum();
    const x = randn(3);
    expect(gradcheck(f, [x], { raise: false }).ok).toBe(false);
    const bad: [GradcheckOptions, RegExp][] = [
      [{ atol: -1, rtol: 0 }, /^gradcheck: atol must be a finite number ≥ 0, got -1$/],
      [{ atol: NaN }, /^gradcheck: atol must be a finite number ≥ 0, got NaN$/],
      [{ atol: Infinity }, /atol must be a finite number ≥ 0, got Infinity/],
      [{ rtol: -1 }, /^gradcheck: rtol must be a finite number ≥ 0, got -1$/],
      [{ rtol: '0.1' as unknown as number }, /rtol must be a finite number ≥ 0, got '0.1'/],
      [{ eps: Infinity }, /^gradcheck: eps must be a finite number > 0, got Infinity$/],
      [{ eps: -1e-6 }, /eps must be a finite number > 0, got -0.000001/],
      [{ mode: 'xyz' as 'vjp' }, /^gradcheck: mode must be 'auto', 'jacobian' or 'vjp', got 'xyz'$/],
      [{ maxJacobianOutputs: NaN }, /maxJacobianOutputs must be a number ≥ 0, got NaN/],
      [{ sample: 1.5 }, /^gradcheck: sample must be a positive integer, got 1.5$/],
    ];
    for (const [options, message] of bad) {
      expect(() => gradcheck(f, [x], { ...options, raise: false })).toThrow(ValueError);
      expect(() => gradcheck(f, [x], { ...options, raise: false })).toThrow(message);
      const twice = new RegExp(message.source.replace('^gradcheck', '^gradgradcheck'));
      expect(() => gradgradcheck((v) => wrong(v), [x], { ...options, raise: false })).toThrow(twice);
    }
    // The boundaries are accepted: zero tolerances and every documented mode.
    expect(gradcheck((v) => v.mul(2), [x], { atol: 0 }).ok).toBe(true);
    expect(gradcheck((v) => v.mul(2), [x], { rtol: 0 }).ok).toBe(true);
    expect(gradcheck((v) => v.mul(0), [x], { atol: 0, rtol: 0 }).ok).toBe(true); // exact: 0 vs 0
    for (const mode of ['auto', 'jacobian', 'vjp'] as const) expect(gradcheck((v) => v.exp(), [x], { mode }).ok).toBe(true);
  });

  it('refuses a function that does not return a Variable or a list of Variables, naming what it returned', () => {
    const x = randn(3);
    const returns: [unknown, RegExp][] = [
      [3, /^gradcheck: the function returned the number 3; expected a Variable or a list of Variables$/],
      [undefined, /^gradcheck: the function returned undefined; expected a Variable/],
      [K.zeros([3], { dtype: 'float64' }), /^gradcheck: the function returned a Tensor \[3\] float64; expected .*a Tensor carries no tape/],
      [
        [variable(x, { requiresGrad: true }), 2],
        /^gradcheck: element 1 of the list the function returned is the number 2; expected a Variable$/,
      ],
    ];
    for (const [out, message] of returns) {
      const fn = (() => out) as unknown as GradcheckFn;
      expect(() => gradcheck(fn, [x])).toThrow(ValueError);
      expect(() => gradcheck(fn, [x])).toThrow(message);
      expect(() => gradgradcheck(fn, [x])).toThrow(new RegExp(message.source.replace('^gradcheck', '^gradgradcheck')));
    }
    expect(() => gradcheck(3 as unknown as GradcheckFn, [x])).toThrow(/^gradcheck: the function to check is the number 3/);
    expect(() => gradcheck((v) => v, x as unknown as Tensor[])).toThrow(/^gradcheck: inputs is a Tensor \[3\] float64; expected a list/);
  });

  it('reports the shape error of a VJP with the wrong shape, naming the op', () => {
    const badShape = defineOp({
      name: 'badShape',
      forward: ([x]) => x!.clone(),
      backward: (g) => [g.sum()],
    });
    expect(() => gradcheck((x) => badShape(x), [randn(2, 3)])).toThrow(ShapeError);
    expect(() => gradcheck((x) => badShape(x), [randn(2, 3)])).toThrow(/badShape/);
  });
});
