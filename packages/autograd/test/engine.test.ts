import v8 from 'node:v8';
import vm from 'node:vm';
import { DTypeError, ShapeError, Tensor, ValueError, tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import {
  Variable,
  apply,
  backward,
  defineOp,
  detectAnomaly,
  exp,
  gradients,
  enableGrad,
  isGradEnabled,
  linear,
  noGrad,
  parameter,
  registerHook,
  softmax,
  stopGradient,
  sum,
  topologicalOrder,
  variable,
  type Op,
} from '../src/index.js';

const close = (a: number, b: number, tol = 1e-4): void => expect(Math.abs(a - b)).toBeLessThan(tol * Math.max(1, Math.abs(b)));
const v64 = (x: number | number[]): Variable => variable(x, { requiresGrad: true, dtype: 'float64' });
type ErrorClass = typeof ValueError | typeof ShapeError | typeof DTypeError;

describe('engine', () => {
  it("micrograd's README expression", () => {
    const s = (x: number): Variable => variable(x, { dtype: 'float64' });
    const a = v64(-4);
    const b = v64(2);
    let c = a.add(b);
    let d = a.mul(b).add(b.pow(3));
    c = c.add(c.add(1));
    c = c.add(s(1).add(c)).sub(a);
    d = d.add(d.mul(2).add(b.add(a).relu()));
    d = d.add(d.mul(3).add(b.sub(a).relu()));
    const e = c.sub(d);
    const f = e.pow(2);
    let g = f.div(2);
    g = g.add(s(10).div(f));
    g.backward();
    close(g.item(), 24.7041);
    close(a.grad!.item(), 138.8338);
    close(b.grad!.item(), 645.5773);
  });

  it('a variable used twice gets the sum of both gradients', () => {
    const x = v64(3);
    x.mul(x).backward(); // d(x²)/dx = 2x
    expect(x.grad!.item()).toBe(6);
  });

  it('diamonds: y = (x+1)·(x·2), both paths contribute', () => {
    const x = v64(2);
    const y = x.add(1).mul(x.mul(2)); // 2x² + 2x → 4x + 2
    y.backward();
    expect(x.grad!.item()).toBe(10);
  });

  it('leaves accumulate across backward calls until zeroGrad', () => {
    const x = v64([1, 2]);
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([6, 6]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  it('backward twice through a released graph throws; retainGraph allows it', () => {
    const x = v64(2);
    const y = x.mul(x).mul(x);
    y.backward();
    expect(() => y.backward()).toThrow(/already released.*retainGraph/);
    const x2 = v64(2);
    const y2 = x2.mul(x2).mul(x2);
    y2.backward({ retainGraph: true });
    y2.backward();
    expect(x2.grad!.item()).toBe(24);
  });

  it('backward on a non-scalar needs an explicit gradient of the right shape', () => {
    const x = v64([1, 2, 3]);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/shape \[3\].*gradient/);
    expect(() => y.backward({ gradient: tensor([1, 2], undefined, { dtype: 'float64' }) })).toThrow(/shape \[2\].*\[3\]/);
    y.backward({ gradient: tensor([1, 2, 3], undefined, { dtype: 'float64' }) });
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
  });

  it('an operand that is not a Variable, Tensor or number is named in the error (null included)', () => {
    const x = v64([1, 2]);
    expect(() => x.mul(null as unknown as number)).toThrow(/expected a Variable, Tensor or number, got null/);
    expect(() => x.mul('2' as unknown as number)).toThrow(/got string/);
  });

  it('a bad operand error names the op it was given to', () => {
    const x = v64([1, 2]);
    const bad = null as unknown as number;
    expect(() => x.mul(bad)).toThrow(/^mul: expected a Variable, Tensor or number, got null$/);
    expect(() => exp(bad)).toThrow(/^exp: expected a Variable/);
    expect(() => sum(bad)).toThrow(/^sum: expected a Variable/);
    expect(() => linear(x, bad)).toThrow(/^linear: expected a Variable/);
    expect(() => softmax(bad)).toThrow(/^softmax: expected a Variable/);
    expect(() => defineOp({ name: 'twice', forward: ([a]) => a!.mul(2), backward: (g) => [g.mul(2)] })(bad)).toThrow(/^twice: expected/);
  });

  it('noGrad records nothing; enableGrad re-enables inside it', () => {
    const x = v64(2);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => x.mul(2));
      expect(inner.entry).not.toBeNull();
      return x.mul(x);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.entry).toBeNull();
    expect(y.requiresGrad).toBe(false);
    expect(() => y.backward()).toThrow(/does not require a gradient/);
  });

  it('detach and stopGradient cut the graph', () => {
    const x = v64(3);
    const y = x.mul(x.detach()); // only the left factor carries a gradient: dy/dx = 3
    y.backward();
    expect(x.grad!.item()).toBe(3);
    const z = v64(3);
    z.mul(stopGradient(z.mul(2))).backward();
    expect(z.grad!.item()).toBe(6);
  });

  it('hooks fire with the incoming gradient and may replace it', () => {
    const x = v64([1, 2]);
    const h = x.mul(2);
    const seen: number[][] = [];
    h.registerHook((g) => {
      seen.push(g.toArray() as number[]);
      return g.mul(10);
    });
    const remove = x.registerHook((g) => void seen.push(g.toArray() as number[]));
    h.sum().backward();
    expect(seen).toEqual([
      [1, 1],
      [20, 20],
    ]);
    expect(x.grad!.toArray()).toEqual([20, 20]);
    remove();
    x.zeroGrad();
    x.mul(2).sum().backward();
    expect(seen.length).toBe(2);
  });

  it('a hook must return undefined/null (keep) or a Tensor/Variable of the variable\'s shape and dtype; errors name the hook', () => {
    // On a leaf: a wrong shape used to become the leaf's .grad.
    const x = variable([1, 2], { requiresGrad: true, name: 'x' });
    registerHook(x, () => tensor([1, 2, 3]));
    expect(() => x.mul(2).sum().backward()).toThrow(ShapeError);
    expect(() => x.mul(2).sum().backward()).toThrow(
      /^backward: gradient hook 0 on leaf 'x' \[2\] float32 returned a gradient of shape \[3\]; expected the variable's shape \[2\]$/,
    );
    expect(x.grad).toBeNull();
    // On a non-leaf: the hook is blamed, not the op whose backward receives the gradient.
    const y = variable([1, 2], { requiresGrad: true });
    const h = y.mul(2);
    h.registerHook(function widen() {
      return tensor([1, 2, 3]);
    });
    expect(() => h.mul(h).sum().backward({ retainGraph: true })).toThrow(
      /^backward: gradient hook 0 \('widen'\) on the output of 'mul' \(tape entry #\d+\) \[2\] float32 returned a gradient of shape \[3\]/,
    );
    // Not a tensor: a clear error, not a TypeError from inside.
    const z = variable([1, 2], { requiresGrad: true, name: 'z' });
    const removeNumber = z.registerHook(() => 3 as unknown as Tensor);
    expect(() => z.mul(2).sum().backward()).toThrow(ValueError);
    expect(() => z.mul(2).sum().backward()).toThrow(
      /hook 0 on leaf 'z' \[2\] float32 returned the number 3; expected a Tensor or Variable of shape \[2\]/,
    );
    removeNumber();
    // Another dtype.
    const removeDtype = z.registerHook((g) => g.value.astype('float64'));
    expect(() => z.mul(2).sum().backward()).toThrow(DTypeError);
    expect(() => z.mul(2).sum().backward()).toThrow(
      /hook 0 on leaf 'z' .* returned a gradient of dtype float64; expected the variable's dtype float32/,
    );
    removeDtype();
    // null and undefined keep the gradient; a Tensor of the right shape and dtype replaces it.
    z.registerHook(() => null);
    z.registerHook(() => undefined);
    z.registerHook((g) => g.value.mul(5));
    z.mul(2).sum().backward();
    expect(z.grad!.toArray()).toEqual([10, 10]);
    expect(() => z.registerHook(3 as unknown as () => void)).toThrow(/registerHook: expected a function/);
  });

  it('a VJP of the wrong dtype throws naming the op and both dtypes, not a later op', () => {
    const to64 = defineOp({ name: 'to64', forward: ([a]) => a!.mul(2), backward: (g) => [new Variable(g.value.mul(2).astype('float64'))] });
    const x = variable([1, 2, 3], { requiresGrad: true });
    expect(() => to64(x).sum().backward()).toThrow(DTypeError);
    expect(() => to64(x.mul(1)).sum().backward()).toThrow(
      /^to64: backward returned a gradient of dtype float64 for input 0, which has dtype float32$/,
    );
    const Int: Op = { name: 'int', forward: ([a]) => a.clone(), backward: (g) => [new Variable(g.value.astype('int32'))] };
    expect(() => apply(Int, [x]).sum().backward()).toThrow(
      /int: backward returned a gradient of dtype int32 for input 0, which has dtype float32/,
    );
    // What came back is named, whatever it is.
    const returning = (r: unknown): Op => ({ name: 'odd', forward: ([a]) => a.clone(), backward: () => r as Variable[] });
    expect(() => apply(returning([tensor([1, 2, 3])]), [x]).sum().backward()).toThrow(
      /^odd: backward returned a Tensor \[3\] float32 for input 0; expected a Variable or null$/,
    );
    expect(() => apply(returning(new Variable(tensor([1, 2, 3]))), [x]).sum().backward()).toThrow(
      /^odd: backward returned a Variable \[3\] float32 for 1 inputs; expected a list of 1 \(a Variable or null each\)$/,
    );
  });

  it('backward and gradients refuse a gradient of another dtype or shape, or that is not a tensor', () => {
    const x = variable([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    const cases: [unknown, ErrorClass, RegExp][] = [
      [tensor([1, 1], undefined, { dtype: 'float64' }), DTypeError, /^backward: gradient has dtype float64, output has float32/],
      [tensor([1, 1], undefined, { dtype: 'int32' }), DTypeError, /^backward: gradient has dtype int32, output has float32/],
      [tensor([1, 1, 1]), ShapeError, /^backward: gradient has shape \[3\] but the output has shape \[2\]/],
      [
        [1, 1],
        ValueError,
        /^backward: gradient is an array of length 2; expected a Tensor or Variable of the output's shape \[2\] and dtype float32/,
      ],
      [1, ValueError, /^backward: gradient is the number 1; expected a Tensor or Variable/],
      [null, ValueError, /^backward: gradient is null/],
    ];
    for (const [gradient, kind, message] of cases) {
      expect(() => y.backward({ gradient: gradient as Tensor, retainGraph: true })).toThrow(kind);
      expect(() => y.backward({ gradient: gradient as Tensor, retainGraph: true })).toThrow(message);
    }
    expect(x.grad).toBeNull();
    expect(() => gradients(y, [x], { gradient: new Variable(tensor([1, 1], undefined, { dtype: 'float64' })) })).toThrow(
      /^gradients: gradient has dtype float64, output has float32/,
    );
    y.backward({ gradient: new Variable(tensor([1, 3])) });
    expect(x.grad!.toArray()).toEqual([2, 6]);
  });

  it('a VJP of the wrong shape throws naming the op, the input and both shapes', () => {
    const Bad: Op = { name: 'bad', forward: ([a]) => a.clone(), backward: (g) => [g.sum()] };
    const x = v64([1, 2, 3]);
    expect(() => apply(Bad, [x]).sum().backward()).toThrow(
      /bad: backward returned a gradient of shape \[\] for input 0, which has shape \[3\]/,
    );
  });

  it('mixed dtypes are a clear error', () => {
    const a = variable([1, 2], { requiresGrad: true });
    const b = v64([1, 2]);
    expect(() => a.add(b)).toThrow(/add: operands have different dtypes float32 \[2\] and float64 \[2\]/);
  });

  it('topologicalOrder lists inputs before outputs, each once', () => {
    const a = v64(1);
    const b = a.mul(2);
    const c = a.add(b);
    const d = c.mul(b);
    const order = topologicalOrder(d);
    expect(order.length).toBe(new Set(order).size);
    const pos = (v: Variable): number => order.indexOf(v);
    expect(pos(a)).toBeLessThan(pos(b));
    expect(pos(b)).toBeLessThan(pos(c));
    expect(pos(c)).toBeLessThan(pos(d));
    expect(order.at(-1)).toBe(d);
    expect(d.entry!.outputRef.deref()).toBe(d);
    expect(d.entry!.id).toBeGreaterThan(c.entry!.id);
  });

  it('deep chains do not overflow the stack', () => {
    const x = v64(1);
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.add(1);
    backward(y);
    expect(x.grad!.item()).toBe(1);
  });

  it('a graph is only reachable from its outputs (no global tape list)', () => {
    // The only strong references: output → node → inputs. A leaf knows nothing of the ops applied to it.
    const w = parameter([1, 2, 3]);
    const keys = Object.keys(w);
    for (let i = 0; i < 100; i++) w.mul(2).sum();
    expect(Object.keys(w)).toEqual(keys);
    expect(w.hooks.length).toBe(0);
    expect(w.entry).toBeNull();
  });

  it('memory stays flat over 10,000 small forward/backward steps', () => {
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const w = parameter(
      tensor([
        [0.1, 0.2],
        [0.3, 0.4],
      ]),
    );
    const step = (): void => {
      const x = variable(tensor([[1, 2]]));
      const loss = x.matmul(w).tanh().sum();
      loss.backward();
      w.zeroGrad();
    };
    for (let i = 0; i < 500; i++) step();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10000; i++) step();
    gc();
    const after = process.memoryUsage().heapUsed;
    // A leak of one small graph per step (≥ 1 kB) would be ≥ 10 MB; allow noise well below that.
    expect(after - before).toBeLessThan(4e6);
  });

  it('detectAnomaly names the op that made a NaN', () => {
    const x = v64([-1, 1]);
    expect(() => detectAnomaly(() => x.log())).toThrow(/log \(forward\).*NaN.*\[2\]/);
    const y = v64([0, 1]);
    expect(() => detectAnomaly(() => y.sqrt().sum().backward())).toThrow(/inside the backward of 'sqrt'\) produced Infinity/);
  });

  it('gradients() returns gradients without touching .grad, walking only paths to the targets', () => {
    const Explodes: Op = {
      name: 'explodes',
      forward: ([a]) => a.clone(),
      backward: () => {
        throw new Error('must not run');
      },
    };
    const a = v64([1, 2]);
    const b = v64([3, 4]);
    const y = a
      .mul(2)
      .add(apply(Explodes, [b]))
      .sum();
    const [ga] = gradients(y, [a]);
    expect(ga!.toArray()).toEqual([2, 2]);
    expect(a.grad).toBeNull();
    // a non-leaf target
    const x = v64(3);
    const h = x.mul(x);
    const [gh, gx] = gradients(h.mul(5), [h, x]);
    expect(gh!.item()).toBe(5);
    expect(gx!.item()).toBe(30);
  });

  it('requiresGrad_ cannot switch off a non-leaf, nor switch on an int32 variable', () => {
    const x = v64(1);
    expect(() => x.mul(2).requiresGrad_(false)).toThrow(/non-leaf.*'mul'/);
    expect(() => variable(tensor([1], undefined, { dtype: 'int32' })).requiresGrad_()).toThrow(/int32/);
    expect(variable(1).requiresGrad_().requiresGrad).toBe(true);
  });

  it('createGraph accumulates gradVariable and keeps the graph', () => {
    const x = v64(2);
    const y = x.mul(x).mul(x);
    y.backward({ createGraph: true });
    y.backward({ createGraph: true }); // retained by default with createGraph
    expect(x.grad!.item()).toBe(24);
    expect(x.gradVariable!.item()).toBe(24);
    x.zeroGrad();
    expect(x.gradVariable).toBeNull();
  });

  it('toString shows value, op and grad', () => {
    const x = variable(2, { requiresGrad: true, name: 'x' });
    const y = x.mul(3);
    y.backward();
    expect(String(y)).toMatch(/op=mul/);
    expect(String(x)).toMatch(/Variable 'x'\(2, leaf, grad=3\)/);
    expect(y.value).toBeInstanceOf(Tensor);
  });
});

describe('grad mode is a synchronous scope', () => {
  it('noGrad and enableGrad refuse an async function with a clear error', async () => {
    const { noGrad, enableGrad, isGradEnabled } = await import('../src/index.js');
    expect(() => noGrad(async () => 1)).toThrow(/noGrad: fn returned a Promise/);
    expect(() => enableGrad(async () => 1)).toThrow(/enableGrad: fn returned a Promise/);
    expect(isGradEnabled()).toBe(true);
    expect(noGrad(() => isGradEnabled())).toBe(false);
  });
});
