/**
 * Edges of user ops (defineOp) found by an outside probe: forward mode and second derivatives through a backward
 * computed outside the tape (they gave zeros silently), gradcheck on a small view of a large buffer (it was made
 * contiguous, hiding a backward that ignores strides), and errors thrown inside an op's forward, backward or jvp (they
 * did not name the op).
 */
import * as K from '@tapegrad/tensor';
import { DTypeError, ShapeError, Tensor, ValueError } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import {
  GradcheckError,
  OpContext,
  Variable,
  apply,
  defineOp,
  grad,
  gradcheck,
  gradgradcheck,
  gradients,
  hessian,
  hvp,
  jacfwd,
  jacrev,
  jvp,
  variable,
  type Op,
} from '../src/index.js';

const f64 = (values: number | number[] | number[][]): Tensor => K.tensor(values, undefined, { dtype: 'float64' });
/** The values of `v` as nested arrays, with −0 as 0. */
const arrayOf = (v: Variable): unknown => JSON.parse(JSON.stringify(v.toArray()));

/** Throws what `run` throws (failing the test when it does not throw). */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** y = x², with a backward that is right to first order but computed outside the tape, from g.value. */
const sqOutside = defineOp({
  name: 'sqOutside',
  forward: ([x]) => K.mul(x!, x!),
  backward: (g, { inputs: [x] }) => [new Variable(K.mul(K.mul(g.value, x!.value), 2))],
});
const FORWARD_MODE = /^sqOutside: forward mode needs the backward written with Variable ops \(it must depend on the cotangent\)/;
const SECOND_ORDER = /^sqOutside: the gradient its backward returned for input 0 was computed outside the tape/;

describe('forward mode through a user op whose backward is computed outside the tape', () => {
  it('jvp, jacfwd and hessian refuse it by name instead of giving zeros', () => {
    for (const run of [
      () => jvp((x: Variable) => sqOutside(x), [f64([1, 2])], [f64([1, 1])]),
      () => jacfwd((x: Variable) => sqOutside(x))(f64([1, 2])),
      () => hessian((x: Variable) => sqOutside(x).sum())(f64([1, 2])),
    ]) {
      const e = thrown(run);
      expect(e).toBeInstanceOf(ValueError);
      expect(e.message).toMatch(FORWARD_MODE);
      expect(e.message).toMatch(/or a jvp in the definition/);
    }
  });

  it('refuses a gradient that depends on the inputs but not on the cotangent, and one whose sum over the cotangent is 0', () => {
    // ∂x = g·2x with g taken outside the tape: recorded through x (which requires a gradient here), not through g.
    const half = defineOp({
      name: 'half',
      forward: ([x]) => K.mul(x!, x!),
      backward: (g, { inputs: [x] }) => [new Variable(g.value).mul(x!).mul(2)],
    });
    const x = variable(f64([1, 2]), { requiresGrad: true });
    expect(() => jvp((v: Variable) => half(v), [x], [f64([1, 1])])).toThrow(/^half: forward mode needs the backward/);
    // y = x − mean(x): its VJP g − mean(g) is 0 for g = (1, 1, 1), so only a random cotangent shows it is not zero.
    const center = defineOp({
      name: 'center',
      forward: ([x]) => K.sub(x!, K.mean(x!)),
      backward: (g) => [new Variable(K.sub(g.value, K.mean(g.value)))],
    });
    expect(() => jvp((v: Variable) => center(v), [f64([1, 2, 4])], [f64([1, 0, 0])])).toThrow(/^center: forward mode needs/);
  });

  it('still derives the JVP of an op with a zero Jacobian for an input (a constant zero gradient, g·0 or null)', () => {
    // y = a·⌊b⌋: ∂a = g·⌊b⌋, ∂b = 0 (a step function), written three legitimate ways.
    const zeroGradients = [
      (_g: Variable, b: Variable) => new Variable(K.zerosLike(b.value)),
      (g: Variable) => g.mul(0),
    ];
    for (const zero of zeroGradients) {
      const scaleByFloor = defineOp({
        name: 'scaleByFloor',
        forward: ([a, b]) => K.mul(a!, K.floor(b!)),
        backward: (g, { inputs: [_a, b] }) => [g.mul(new Variable(K.floor(b!.value))), zero(g, b!)],
      });
      const f = (a: Variable, b: Variable): Variable => scaleByFloor(a, b);
      const { value, tangent } = jvp(f, [f64([1, 2]), f64([2.5, -1.5])], [f64([1, 1]), f64([1, 1])]);
      expect(arrayOf(value)).toEqual([2, -4]);
      expect(arrayOf(tangent)).toEqual([2, -2]);
      expect(arrayOf(jacfwd((a: Variable, b: Variable) => scaleByFloor(a, b), 1)(f64([1, 2]), f64([2.5, -1.5])))).toEqual([
        [0, 0],
        [0, 0],
      ]);
    }
    const withNull = defineOp({
      name: 'withNull',
      forward: ([a, b]) => K.mul(a!, K.floor(b!)),
      backward: (g, { inputs: [_a, b] }) => [g.mul(new Variable(K.floor(b!.value))), null],
    });
    const onlyA = jvp((a: Variable) => withNull(a, f64([2.5, -1.5])), [f64([1, 2])], [f64([1, 1])]);
    expect(arrayOf(onlyA.tangent)).toEqual([2, -2]);
  });
});

describe('second derivatives through a user op whose backward is computed outside the tape', () => {
  it('grad of grad, jacrev of jacrev and a createGraph backward differentiated again refuse it by name', () => {
    for (const run of [
      () => grad((x: Variable) => grad((y: Variable) => sqOutside(y).sum())(x).sum())(f64([1, 2])),
      () => jacrev(jacrev((x: Variable) => sqOutside(x).sum()))(f64([1, 2])),
      () => hvp((x: Variable) => sqOutside(x).sum(), f64([1, 2]), f64([1, 0])),
      () => {
        const x = variable(f64([1, 2]), { requiresGrad: true });
        sqOutside(x).sum().backward({ createGraph: true });
        return gradients(x.gradVariable!.sum(), [x]);
      },
      // the incoming gradient requires a gradient here (it is x), so the tape alone shows ∂x does not depend on it
      () => grad((x: Variable) => grad((y: Variable) => sqOutside(y).mul(y).sum())(x).sum())(f64([1, 2])),
    ]) {
      const e = thrown(run);
      expect(e).toBeInstanceOf(ValueError);
      expect(e.message).toMatch(SECOND_ORDER);
      expect(e.message).toMatch(/cannot be differentiated again/);
    }
  });

  it('forward over reverse refuses it even when the op has a jvp', () => {
    const cube = defineOp({
      name: 'cube',
      forward: ([x]) => K.mul(x!, K.mul(x!, x!)),
      backward: (g, { inputs: [x] }) => [new Variable(K.mul(g.value, K.mul(K.mul(x!.value, x!.value), 3)))],
      jvp: ([t], { inputs: [x] }) => t!.mul(x!.square().mul(3)),
    });
    expect(arrayOf(jvp((x: Variable) => cube(x), [f64([1, 2])], [f64([1, 1])]).tangent)).toEqual([3, 12]);
    expect(() => hessian((x: Variable) => cube(x).sum())(f64([1, 2]))).toThrow(
      /^cube: the gradient its backward returned for input 0 was computed outside the tape .*forward mode cannot push a tangent/,
    );
  });

  it('leaves first derivatives alone, and derivatives that do not go through the gradient', () => {
    const x = variable(f64([1, 2]), { requiresGrad: true });
    sqOutside(x).sum().backward({ createGraph: true });
    expect(x.grad!.toArray()).toEqual([2, 4]);
    expect(arrayOf(x.gradVariable!)).toEqual([2, 4]);
    // ∂/∂θ Σᵢ ∂/∂xᵢ (Σ x² + θ·Σ x) = ∂/∂θ Σᵢ (2xᵢ + θ) = 2: the second derivative does not go through sqOutside.
    const outer = grad((theta: Variable) => grad((y: Variable) => sqOutside(y).sum().add(theta.mul(y).sum()))(f64([1, 2])).sum());
    expect(outer(f64(0.5)).item()).toBe(2);
    expect(gradcheck((v) => sqOutside(v), [f64([1, 2])], { createGraph: true }).ok).toBe(true);
  });

  it('does not refuse a linear op or an op with a zero Jacobian written with Variable ops', () => {
    const triple = defineOp({ name: 'triple', forward: ([x]) => K.mul(x!, 3), backward: (g) => [g.mul(3)] });
    const step = defineOp({
      name: 'step',
      forward: ([x]) => K.floor(x!),
      backward: (_g, { inputs: [x] }) => [new Variable(K.zerosLike(x!.value))],
    });
    const x = f64([1, 2]);
    expect(arrayOf(grad((v: Variable) => grad((u: Variable) => triple(u).sum())(v).sum())(x))).toEqual([0, 0]);
    expect(arrayOf(hvp((v: Variable) => triple(v).square().sum(), x, f64([1, 0])))).toEqual([18, 0]);
    expect(arrayOf(hessian((v: Variable) => triple(v).square().sum())(x))).toEqual([
      [18, 0],
      [0, 18],
    ]);
    expect(arrayOf(grad((v: Variable) => grad((u: Variable) => step(u).add(u.square()).sum())(v).sum())(x))).toEqual([2, 2]);
    expect(gradgradcheck((v) => triple(v).square(), [x]).ok).toBe(true);
  });

  it('gradgradcheck reports it as a failure, naming the op', () => {
    const x = f64([1, 2, 3]);
    const r = gradgradcheck((v) => sqOutside(v), [x], { raise: false });
    expect(r.ok).toBe(false);
    expect(r.worst).toBeNull();
    const e = thrown(() => gradgradcheck((v) => sqOutside(v), [x]));
    expect(e).toBeInstanceOf(GradcheckError);
    expect(e.message).toMatch(/^gradgradcheck failed for .*sqOutside: the gradient its backward returned for input 0 was computed outside/);
    expect((e as GradcheckError).result.ok).toBe(false);
  });
});

describe('gradcheck on a small view of a large buffer', () => {
  /** y = x², with a backward that reads x's storage in order from its offset, ignoring its strides. */
  const ignoresStrides = defineOp({
    name: 'ignoresStrides',
    forward: ([x]) => K.mul(x!, x!),
    backward: (g, { inputs: [x] }) => {
      const d = new Float64Array(x!.size);
      const gv = g.value.contiguous();
      for (let i = 0; i < x!.size; i++) d[i] = 2 * (x!.value.data[x!.value.offset + i] as number) * (gv.data[i] as number);
      return [new Variable(new Tensor(d, x!.shape))];
    },
  });
  const big = (): Tensor => K.normal([40, 40], 0, 1, { dtype: 'float64', generator: new K.Generator(4) });

  it('keeps the view non-contiguous, so a backward that ignores strides fails as it does on a small buffer', () => {
    const views = [
      big().slice(null, [0, 2]), // [40, 2] of a [40, 40]: the tester's case
      big().slice([0, 2], [0, 3]).T, // transposed
      big().slice([3, 8], [30, 0, -7]), // stepped and flipped, at an offset
      big().slice(5).slice([0, 10, 3]), // one row, every third element
    ];
    for (const t of views) {
      expect(t.data.length).toBeGreaterThan(8 * t.size + 64);
      const seen: Tensor[] = [];
      const r = gradcheck(
        (v) => {
          seen.push(v.value);
          return ignoresStrides(v);
        },
        [t],
        { raise: false },
      );
      expect(r.ok).toBe(false);
      const copy = seen[0]!;
      expect(copy.dtype).toBe('float64');
      expect(copy.isContiguous).toBe(false);
      expect(copy.data.length).toBeLessThanOrEqual(4 * t.size + 8);
      expect(copy.toArray()).toEqual(t.toArray());
      // a correct op passes on the same views
      expect(gradcheck((v) => v.mul(v).sum(), [t]).ok).toBe(true);
    }
  });

  it('a contiguous view of a large buffer stays contiguous, and the caller’s tensor is untouched', () => {
    const whole = big();
    const before = Float64Array.from(whole.data as Float64Array);
    const rows = whole.slice([2, 4]);
    let strides: readonly number[] = [];
    expect(
      gradcheck(
        (v) => {
          strides = v.value.strides;
          return ignoresStrides(v);
        },
        [rows],
      ).ok,
    ).toBe(true);
    expect(strides).toEqual([40, 1]);
    expect(whole.data).toEqual(before);
  });
});

describe('errors thrown inside a user op name it', () => {
  const x = (): Variable => variable(f64([1, 2]), { requiresGrad: true });

  it('prefixes an error of the forward, backward or jvp with the op and keeps the original as its cause', () => {
    const boom = new Error('boom');
    const failingForward = defineOp({
      name: 'myop',
      forward: () => {
        throw boom;
      },
      backward: (g) => [g],
    });
    const e = thrown(() => failingForward(x()));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toBe('myop: forward threw: boom');
    expect(e.cause).toBe(boom);

    const failingBackward = defineOp({
      name: 'badShape',
      forward: ([v]) => v!,
      backward: (g) => [g.reshape([3])],
    });
    const b = thrown(() => failingBackward(x()).sum().backward());
    expect(b).toBeInstanceOf(ShapeError);
    expect(b.message).toMatch(/^badShape: backward threw: reshape: cannot reshape \[2\]/);
    expect((b.cause as Error).message).toMatch(/^reshape: /);

    const typo = defineOp({
      name: 'typo',
      forward: ([v]) => v!,
      backward: (g) => [(g as unknown as { astype(d: string): Variable }).astype('float32')],
    });
    const t = thrown(() => typo(x()).sum().backward());
    expect(t).toBeInstanceOf(ValueError);
    expect(t.message).toBe('typo: backward threw a TypeError: g.astype is not a function');
    expect(t.cause).toBeInstanceOf(TypeError);

    const failingJvp = defineOp({
      name: 'badJvp',
      forward: ([v]) => v!,
      backward: (g) => [g],
      jvp: () => {
        throw new DTypeError('nope');
      },
    });
    const j = thrown(() => jvp((v: Variable) => failingJvp(v), [f64([1])], [f64([1])]));
    expect(j).toBeInstanceOf(DTypeError);
    expect(j.message).toBe('badJvp: jvp threw: nope');
  });

  it('leaves the messages of built-in ops alone', () => {
    const e = thrown(() => x().mul(variable(f64([1, 2, 3]))));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/^mul: /);
    expect(e.cause).toBeUndefined();
  });

  it('describes what a forward returned instead of a tensor', () => {
    const returnsList = defineOp({ name: 'returnsList', forward: ([v]) => [v] as unknown as Tensor, backward: (g) => [g] });
    expect(() => returnsList(x())).toThrow(/^returnsList: forward returned an array of length 1; expected a Tensor$/);
    const asVariable = defineOp({ name: 'asVariable', forward: ([v]) => new Variable(v!) as unknown as Tensor, backward: (g) => [g] });
    expect(() => asVariable(x())).toThrow(/^asVariable: forward returned a Variable \[2\] float64; expected a Tensor \(forward computes/);
    // apply with an Op written by hand
    const byHand: Op = { name: 'byHand', forward: ([v]) => [v] as unknown as Tensor, backward: (g) => [g] };
    expect(() => apply(byHand, [x()])).toThrow(/^byHand: forward returned an array of length 1; expected a Tensor$/);
    expect(new OpContext([]).released).toBe(false);
  });

  it('says that the earlier backward failed when a retry finds the graph released', () => {
    let fail = true;
    const flaky = defineOp({
      name: 'flaky',
      forward: ([v]) => v!,
      backward: (g) => {
        if (fail) throw new Error('boom');
        return [g];
      },
    });
    const y = flaky(x()).mul(2).sum();
    expect(() => y.backward()).toThrow(/^flaky: backward threw: boom$/);
    fail = false;
    const e = thrown(() => y.backward());
    expect(e).toBeInstanceOf(ValueError);
    const released = /^backward: the graph through 'sum' \(tape entry #\d+\) was already released by an earlier backward\(\)/;
    expect(e.message).toMatch(released);
    expect(e.message).toContain('backward() that failed (flaky: backward threw: boom)');
    expect(e.message).toMatch(/run the forward pass again/);
    // a graph released by a backward that succeeded keeps its message
    const z = flaky(x()).mul(2).sum();
    z.backward();
    const again = thrown(() => z.backward());
    expect(again.message).toMatch(released);
    expect(again.message).toContain('earlier backward(); pass { retainGraph: true } to the first backward');
    // with retainGraph a failing backward keeps the graph, and a retry works
    fail = true;
    const w = x();
    const kept = flaky(w).mul(3).sum();
    expect(() => kept.backward({ retainGraph: true })).toThrow(/^flaky: /);
    fail = false;
    kept.backward();
    expect(w.grad!.toArray()).toEqual([3, 3]);
  });
});
