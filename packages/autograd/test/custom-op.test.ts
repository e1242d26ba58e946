import * as K from '@tapegrad/tensor';
import { Generator, ValueError, type Tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import { Variable, defineOp, grad, gradcheck, gradgradcheck, softplus as builtinSoftplus, tape, type OpDefinition } from '../src/index.js';

// ---- README example: a custom op is written exactly like a built-in ----------------------------
// (keep this block identical to the README's "Custom ops" section)

/** y = ln(1 + eˣ)   ∂x = g·σ(x) */
const softplus = defineOp({
  name: 'softplus',
  forward: ([x]) => K.log1p(K.exp(x!)),
  backward: (g, { inputs: [x] }) => [g.mul(x!.sigmoid())],
});

/** y = ln cosh x, computed as |x| + ln(1 + e^(−2|x|)) − ln 2 so that large |x| cannot overflow   ∂x = g·tanh x */
const logCosh = defineOp({
  name: 'logCosh',
  forward: ([x]) => {
    const a = K.abs(x!);
    return K.sub(K.add(a, K.log1p(K.exp(K.mul(a, -2)))), Math.LN2);
  },
  backward: (g, { inputs: [x] }) => [g.mul(x!.tanh())],
});
// ---- end of README example ---------------------------------------------------------------------

const gen = new Generator(99);
const x64 = (): Tensor => K.randn([3, 4], { dtype: 'float64', generator: gen });

describe('custom ops (defineOp)', () => {
  it('softplus matches the built-in and passes gradcheck and gradgradcheck', () => {
    const x = x64();
    const mine = softplus(new Variable(x));
    expect(K.maxAbsDiff(mine.value, builtinSoftplus(x).value)).toBeLessThan(1e-12);
    expect(gradcheck((v) => softplus(v), [x]).ok).toBe(true);
    expect(gradgradcheck((v) => softplus(v), [x]).ok).toBe(true);
  });

  it('logCosh is finite for large inputs, and checks out', () => {
    const big = K.tensor([-800, 0, 800], undefined, { dtype: 'float64' });
    expect(Array.from(logCosh(big).value.values())).toEqual([800 - Math.LN2, 0, 800 - Math.LN2]);
    const x = x64();
    const naive = K.log(K.div(K.add(K.exp(x), K.exp(K.neg(x))), 2));
    expect(K.maxAbsDiff(logCosh(x).value, naive)).toBeLessThan(1e-12);
    expect(gradcheck((v) => logCosh(v), [x]).ok).toBe(true);
    expect(gradgradcheck((v) => logCosh(v), [x]).ok).toBe(true);
  });

  it('custom ops are recorded on the tape under their name and compose with grad', () => {
    const v = new Variable(x64(), { requiresGrad: true });
    const y = logCosh(v).sum();
    expect(y.entry!.inputs[0]!.entry!.op.name).toBe('logCosh');
    expect(tape(y).length).toBeGreaterThan(0);
    // (ln cosh)″ = 1 − tanh²
    const d2 = grad(grad((u: Variable) => logCosh(u)))(K.scalar(0.5, { dtype: 'float64' })).item();
    expect(d2).toBeCloseTo(1 - Math.tanh(0.5) ** 2, 12);
  });

  it('ctx.save keeps values for backward; a released graph forgets them', () => {
    // y = x·s with a per-call constant s saved in forward   ∂x = g·s
    const scaleBy = (s: number) =>
      defineOp({
        name: 'scaleBy',
        forward: ([x], ctx) => {
          ctx.save(s);
          return K.mul(x!, s);
        },
        backward: (g, ctx) => [g.mul(ctx.saved[0] as number)],
      });
    const v = new Variable(K.tensor([1, 2], undefined, { dtype: 'float64' }), { requiresGrad: true });
    const y = scaleBy(3)(v).sum();
    const ctx = y.entry!.inputs[0]!.entry!.ctx;
    expect(ctx.saved).toEqual([3]);
    y.backward();
    expect(v.grad!.toArray()).toEqual([3, 3]);
    expect(ctx.released).toBe(true);
    expect(ctx.saved).toEqual([]);
  });

  it('defineOp refuses, when the op is defined, a definition without a name, a forward or a backward', () => {
    const forward = ([x]: Tensor[]): Tensor => K.mul(x!, 2);
    const backward = (g: Variable): Variable[] => [g.mul(2)];
    const bad: [unknown, RegExp][] = [
      [{ name: 'noBackward', forward }, /^defineOp: op 'noBackward' has no backward; expected a function \(grad: Variable, ctx\) =>/],
      [{ name: 'noForward', backward }, /^defineOp: op 'noForward' has no forward; expected a function \(inputs: Tensor\[\], ctx\) =>/],
      [{ name: 'strForward', forward: 'mul', backward }, /^defineOp: op 'strForward' has the string "mul" as its forward/],
      [{ name: 'arrBackward', forward, backward: [backward] }, /^defineOp: op 'arrBackward' has an array of length 1 as its backward/],
      [{ name: 'badJvp', forward, backward, jvp: 1 }, /^defineOp: op 'badJvp' has the number 1 as its jvp; expected a function/],
      [{ name: 'badFormula', forward, backward, formula: 2 }, /^defineOp: op 'badFormula' has the number 2 as its formula/],
      [{ forward, backward }, /^defineOp: name is undefined; expected a non-empty string/],
      [{ name: '', forward, backward }, /^defineOp: name is an empty string; expected a non-empty string/],
      [{ name: 3, forward, backward }, /^defineOp: name is the number 3/],
      [undefined, /^defineOp: got undefined; expected an object \{ name, forward, backward \}$/],
    ];
    for (const [definition, message] of bad) {
      expect(() => defineOp(definition as OpDefinition)).toThrow(ValueError);
      expect(() => defineOp(definition as OpDefinition)).toThrow(message);
    }
    const twice = defineOp({ name: 'twice', forward, backward, formula: 'y = 2x   ∂x = 2g' });
    const v = new Variable(K.tensor([1, 2]), { requiresGrad: true });
    twice(v).sum().backward();
    expect(v.grad!.toArray()).toEqual([2, 2]);
  });

  it('a wrong backward is caught by gradcheck with the worst element', () => {
    const wrong = defineOp({ name: 'wrong', forward: ([x]) => K.exp(x!), backward: (g, { inputs: [x] }) => [g.mul(x!)] });
    const r = gradcheck((v) => wrong(v), [x64()], { raise: false });
    expect(r.ok).toBe(false);
    expect(r.worst).not.toBeNull();
  });
});
