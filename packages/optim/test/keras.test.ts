import { describe, expect, it } from 'vitest';
import { Tensor } from '@tapegrad/tensor';
import { createOptimizer, type Parameter } from '../src/index.js';
import { golden, relDev } from './helpers.js';

// Keras 3 update rules written out element-wise, straight from keras/src/optimizers/*.py (t = iterations + 1).
// Weight decay in Keras is decoupled and applied before the rule: x ← x − x·wd·lr.
type Rule = (x: number[], g: number[], s: Record<string, number[]>, t: number, o: Record<string, number>) => void;
const zeros = (n: number) => new Array<number>(n).fill(0);

const rules: Record<string, Rule> = {
  sgd(x, g, s, _t, o) {
    const { lr, momentum = 0, nesterov = 0 } = o;
    s['m'] ??= zeros(x.length);
    for (let i = 0; i < x.length; i++) {
      if (momentum === 0) {
        x[i] = x[i]! - g[i]! * lr!;
        continue;
      }
      s['m']![i] = s['m']![i]! * momentum - g[i]! * lr!;
      x[i] = x[i]! + (nesterov ? s['m']![i]! * momentum - g[i]! * lr! : s['m']![i]!);
    }
  },
  rmsprop(x, g, s, _t, o) {
    const { lr, rho, eps, momentum = 0, centered = 0 } = o;
    s['v'] ??= zeros(x.length);
    s['m'] ??= zeros(x.length);
    s['a'] ??= zeros(x.length);
    for (let i = 0; i < x.length; i++) {
      s['v']![i] = rho! * s['v']![i]! + (1 - rho!) * g[i]! ** 2;
      let den = s['v']![i]! + eps!;
      if (centered) {
        s['a']![i] = rho! * s['a']![i]! + (1 - rho!) * g[i]!;
        den = s['v']![i]! - s['a']![i]! ** 2 + eps!;
      }
      const inc = (lr! * g[i]!) / Math.sqrt(den);
      if (momentum > 0) {
        s['m']![i] = momentum * s['m']![i]! + inc;
        x[i] = x[i]! - s['m']![i]!;
      } else x[i] = x[i]! - inc;
    }
  },
  adagrad(x, g, s, _t, o) {
    s['acc'] ??= new Array<number>(x.length).fill(o['init']!);
    for (let i = 0; i < x.length; i++) {
      s['acc']![i] = s['acc']![i]! + g[i]! ** 2;
      x[i] = x[i]! - (o['lr']! * g[i]!) / Math.sqrt(s['acc']![i]! + o['eps']!);
    }
  },
  adadelta(x, g, s, _t, o) {
    const { lr, rho, eps } = o;
    s['ag'] ??= zeros(x.length);
    s['ad'] ??= zeros(x.length);
    const rms = (v: number) => Math.sqrt(v + eps!);
    for (let i = 0; i < x.length; i++) {
      s['ag']![i] = rho! * s['ag']![i]! + (1 - rho!) * g[i]! ** 2;
      const dv = (-rms(s['ad']![i]!) * g[i]!) / rms(s['ag']![i]!);
      s['ad']![i] = rho! * s['ad']![i]! + (1 - rho!) * dv * dv;
      x[i] = x[i]! + lr! * dv;
    }
  },
  adam(x, g, s, t, o) {
    const { lr, b1, b2, eps, amsgrad = 0 } = o;
    s['m'] ??= zeros(x.length);
    s['v'] ??= zeros(x.length);
    s['vh'] ??= zeros(x.length);
    const alpha = (lr! * Math.sqrt(1 - b2! ** t)) / (1 - b1! ** t);
    for (let i = 0; i < x.length; i++) {
      s['m']![i] = s['m']![i]! + (g[i]! - s['m']![i]!) * (1 - b1!);
      s['v']![i] = s['v']![i]! + (g[i]! ** 2 - s['v']![i]!) * (1 - b2!);
      let v = s['v']![i]!;
      if (amsgrad) {
        s['vh']![i] = Math.max(s['vh']![i]!, v);
        v = s['vh']![i]!;
      }
      x[i] = x[i]! - (alpha * s['m']![i]!) / (Math.sqrt(v) + eps!);
    }
  },
  adamax(x, g, s, t, o) {
    const { lr, b1, b2, eps } = o;
    s['m'] ??= zeros(x.length);
    s['u'] ??= zeros(x.length);
    for (let i = 0; i < x.length; i++) {
      s['m']![i] = s['m']![i]! + (g[i]! - s['m']![i]!) * (1 - b1!);
      s['u']![i] = Math.max(b2! * s['u']![i]!, Math.abs(g[i]!));
      x[i] = x[i]! - (lr! * s['m']![i]!) / ((1 - b1! ** t) * (s['u']![i]! + eps!));
    }
  },
  nadam(x, g, s, t, o) {
    const { lr, b1, b2, eps } = o;
    s['m'] ??= zeros(x.length);
    s['v'] ??= zeros(x.length);
    s['uprod'] ??= [1];
    const ut = b1! * (1 - 0.5 * 0.96 ** t);
    const ut1 = b1! * (1 - 0.5 * 0.96 ** (t + 1));
    s['uprod']![0] = s['uprod']![0]! * ut; // Keras updates _u_product once per step, before the variables
    const up = s['uprod']![0]!;
    for (let i = 0; i < x.length; i++) {
      s['m']![i] = s['m']![i]! + (g[i]! - s['m']![i]!) * (1 - b1!);
      s['v']![i] = s['v']![i]! + (g[i]! ** 2 - s['v']![i]!) * (1 - b2!);
      const mHat = (ut1 * s['m']![i]!) / (1 - up * ut1) + ((1 - ut) * g[i]!) / (1 - up);
      const vHat = s['v']![i]! / (1 - b2! ** t);
      x[i] = x[i]! - (mHat * lr!) / (Math.sqrt(vHat) + eps!);
    }
  },
};

// [our optimizer, our options, reference rule, rule options (Keras defaults written out), weight decay]
const K = { flavor: 'keras' as const };
const rows: [string, Record<string, unknown>, string, Record<string, number>][] = [
  ['sgd', { ...K }, 'sgd', { lr: 0.01 }],
  ['sgd', { ...K, lr: 0.1, momentum: 0.9 }, 'sgd', { lr: 0.1, momentum: 0.9 }],
  ['sgd', { ...K, lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 }, 'sgd', { lr: 0.1, momentum: 0.9, nesterov: 1, wd: 0.1 }],
  ['momentum', { ...K, lr: 0.05 }, 'sgd', { lr: 0.05, momentum: 0.9 }],
  ['rmsprop', { ...K }, 'rmsprop', { lr: 1e-3, rho: 0.9, eps: 1e-7 }],
  [
    'rmsprop',
    { ...K, lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.05 },
    'rmsprop',
    { lr: 0.01, rho: 0.9, eps: 1e-7, momentum: 0.9, centered: 1, wd: 0.05 },
  ],
  ['rmsprop', { ...K, lr: 0.01, rho: 0.5, eps: 1e-3 }, 'rmsprop', { lr: 0.01, rho: 0.5, eps: 1e-3 }],
  ['adagrad', { ...K }, 'adagrad', { lr: 1e-3, init: 0.1, eps: 1e-7 }],
  ['adagrad', { ...K, lr: 0.1, initialAccumulatorValue: 0.01, eps: 1e-3 }, 'adagrad', { lr: 0.1, init: 0.01, eps: 1e-3 }],
  ['adadelta', { ...K }, 'adadelta', { lr: 1e-3, rho: 0.95, eps: 1e-7 }],
  ['adadelta', { ...K, lr: 1, rho: 0.5 }, 'adadelta', { lr: 1, rho: 0.5, eps: 1e-7 }],
  ['adam', { ...K }, 'adam', { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-7 }],
  ['adam', { ...K, lr: 0.01, amsgrad: true, betas: [0.5, 0.9], eps: 0.1 }, 'adam', { lr: 0.01, b1: 0.5, b2: 0.9, eps: 0.1, amsgrad: 1 }],
  ['adamw', { ...K, lr: 0.01 }, 'adam', { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-7, wd: 0.004 }],
  ['adamax', { ...K }, 'adamax', { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-7 }],
  ['adamax', { ...K, lr: 0.01, eps: 0.5, weightDecay: 0.1 }, 'adamax', { lr: 0.01, b1: 0.9, b2: 0.999, eps: 0.5, wd: 0.1 }],
  ['nadam', { ...K }, 'nadam', { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-7 }],
  ['nadam', { ...K, lr: 0.01, eps: 0.01, betas: [0.5, 0.9] }, 'nadam', { lr: 0.01, b1: 0.5, b2: 0.9, eps: 0.01 }],
];

describe('Keras 3 flavour against the Keras formulas', () => {
  for (const [name, options, rule, ro] of rows) {
    it(`${name} ${JSON.stringify(options)}`, () => {
      for (const problem of ['fixed', 'decreasing'] as const) {
        const init = golden.init['fixed']!;
        const params: Parameter[] = init.map((v, i) => ({
          value: new Tensor(Float64Array.from(v), golden.shapes['fixed']![i]!),
          grad: null,
        }));
        const opt = createOptimizer(name, params, options);
        const ref = init.map((v) => [...v]);
        const states = init.map(() => ({}) as Record<string, number[]>);
        const grads = problem === 'fixed' ? golden.fixedGrads : golden.decreasingGrads;
        for (let t = 0; t < 10; t++) {
          params.forEach((p, i) => (p.grad = new Tensor(Float64Array.from(grads[t]![i]!), p.value.shape)));
          opt.step();
          ref.forEach((x, i) => {
            if (ro['wd']) for (let j = 0; j < x.length; j++) x[j] = x[j]! - x[j]! * ro['wd']! * ro['lr']!;
            rules[rule]!(x, grads[t]![i]!, states[i]!, t + 1, ro);
          });
          params.forEach((p, i) => expect(relDev(p.value.data, ref[i]!), `${problem} step ${t + 1}`).toBeLessThan(1e-12));
        }
      }
    });
  }

  it('Keras defaults differ from PyTorch defaults where Keras differs', () => {
    const k = (n: string) => createOptimizer(n, [], { flavor: 'keras' }).config();
    const p = (n: string) => createOptimizer(n, [], {}).config();
    expect([k('sgd')['lr'], p('sgd')['lr']]).toEqual([0.01, 1e-3]);
    expect([k('rmsprop')['alpha'], k('rmsprop')['eps'], k('rmsprop')['lr']]).toEqual([0.9, 1e-7, 1e-3]);
    expect([p('rmsprop')['alpha'], p('rmsprop')['eps'], p('rmsprop')['lr']]).toEqual([0.99, 1e-8, 1e-2]);
    expect([k('adagrad')['initialAccumulatorValue'], p('adagrad')['initialAccumulatorValue']]).toEqual([0.1, 0]);
    expect([k('adadelta')['lr'], p('adadelta')['lr'], k('adadelta')['rho'], p('adadelta')['rho']]).toEqual([1e-3, 1, 0.95, 0.9]);
    expect([k('adamw')['weightDecay'], p('adamw')['weightDecay']]).toEqual([4e-3, 1e-2]);
    expect([k('adam')['eps'], p('adam')['eps'], k('adamax')['lr'], p('adamax')['lr']]).toEqual([1e-7, 1e-8, 1e-3, 2e-3]);
  });

  it('Keras and PyTorch SGD momentum coincide at constant lr but not after an lr change', () => {
    const run = (flavor: 'keras' | 'pytorch', changeLr: boolean) => {
      const p: Parameter = { value: new Tensor(Float64Array.from([1, -2]), [2]), grad: null };
      const o = createOptimizer('sgd', [p], { flavor, lr: 0.1, momentum: 0.9 });
      for (let t = 0; t < 6; t++) {
        if (changeLr && t === 3) o.lr = 0.01;
        p.grad = new Tensor(Float64Array.from(golden.fixedGrads[t]![1]!.slice(0, 2)), [2]);
        o.step();
      }
      return p.value.data;
    };
    expect(relDev(run('keras', false), run('pytorch', false))).toBeLessThan(1e-14);
    expect(relDev(run('keras', true), run('pytorch', true))).toBeGreaterThan(1e-4);
  });
});
