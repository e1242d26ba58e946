import { describe, expect, it } from 'vitest';
import { Variable, defineOp, gradcheck, parameter, variable } from '@tapegrad/autograd';
import { Generator, ShapeError, Tensor, ValueError, mul, randn, sigmoid, tensor } from '@tapegrad/tensor';
import {
  Dense,
  Dropout,
  Flatten,
  Sequential,
  activationNames,
  getActivation,
  getInitializer,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  layerFromConfig,
  lecunNormal,
  ones,
  registerActivation,
  registeredActivationNames,
  unregisterActivation,
  zeros,
} from '../src/index.js';

const g = () => new Generator(42);

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.values();
  let s = 0, s2 = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    s += v[i]!;
    s2 += v[i]! * v[i]!;
    min = Math.min(min, v[i]!);
    max = Math.max(max, v[i]!);
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(s2 / v.length - mean * mean), min, max };
}

describe('initializers', () => {
  it('glorotUniform stays inside ±sqrt(6/(in+out)) with the uniform variance', () => {
    const w = glorotUniform([300, 100], g());
    const limit = Math.sqrt(6 / 400);
    const s = stats(w);
    expect(w.shape).toEqual([300, 100]);
    expect(w.dtype).toBe('float32');
    expect(s.max).toBeLessThanOrEqual(limit);
    expect(s.min).toBeGreaterThanOrEqual(-limit);
    expect(s.std).toBeCloseTo(limit / Math.sqrt(3), 2);
    expect(Math.abs(s.mean)).toBeLessThan(0.005);
  });

  it.each([
    ['glorotNormal', glorotNormal, Math.sqrt(2 / 500)],
    ['heNormal', heNormal, Math.sqrt(2 / 400)],
    ['lecunNormal', lecunNormal, Math.sqrt(1 / 400)],
  ])('%s has the documented standard deviation', (_, init, std) => {
    const s = stats(init([400, 100], g()));
    expect(s.std / std).toBeGreaterThan(0.97);
    expect(s.std / std).toBeLessThan(1.03);
  });

  it('heUniform limit and zeros/ones', () => {
    const s = stats(heUniform([600, 50], g()));
    expect(s.max).toBeLessThanOrEqual(Math.sqrt(6 / 600));
    expect(s.max).toBeGreaterThan(0.95 * Math.sqrt(6 / 600));
    expect([...zeros([3], g()).values()]).toEqual([0, 0, 0]);
    expect([...ones([2], g()).values()]).toEqual([1, 1]);
  });

  it('the same seed gives the same weights; names resolve (snake_case too)', () => {
    expect(glorotUniform([5, 4], g()).equals(getInitializer('glorot_uniform')([5, 4], g()))).toBe(true);
    expect(glorotUniform([5, 4], g()).equals(glorotUniform([5, 4], new Generator(43)))).toBe(false);
    expect(() => getInitializer('nope')).toThrow(/unknown initializer 'nope'/);
  });
});

describe('activations', () => {
  it('every name maps to the matching op', () => {
    const x = variable(tensor([[-2, -0.5, 0, 0.5, 3]]));
    const v = (name: string) => [...(getActivation(name)(x).value.values() as Float32Array)];
    expect(v('linear')).toEqual([-2, -0.5, 0, 0.5, 3]);
    expect(v('relu')).toEqual([0, 0, 0, 0.5, 3]);
    expect(v('sigmoid')[4]).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(v('tanh')[0]).toBeCloseTo(Math.tanh(-2), 6);
    const sm = v('softmax');
    expect(sm.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(v('logSoftmax')[4]).toBeCloseTo(Math.log(sm[4]!), 5);
    expect(v('softplus')[0]).toBeCloseTo(Math.log1p(Math.exp(-2)), 6);
    expect(v('leaky_relu')[0]).toBeCloseTo(-0.02, 6);
    expect(v('elu')[0]).toBeCloseTo(Math.expm1(-2), 6);
    expect(() => getActivation('swishy')).toThrow(/unknown activation 'swishy'/);
  });
});

describe('Dense', () => {
  it('kernel [in, units], bias [units], forward = f(x·W + b) against a naive loop', () => {
    const d = new Dense(3, { activation: 'tanh', name: 'd' });
    d.build(4, g());
    expect(d.kernel.shape).toEqual([4, 3]);
    expect(d.bias!.shape).toEqual([3]);
    d.bias!.value.data.set([0.1, -0.2, 0.3]);
    // non-contiguous input: a transposed view
    const xt = randn([4, 5], { generator: g() }).T;
    const y = d.call(variable(xt)).value;
    const W = d.kernel.value.values();
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 3; j++) {
        let s = d.bias!.value.values()[j]!;
        for (let k = 0; k < 4; k++) s += xt.get(i, k) * W[k * 3 + j]!;
        expect(y.get(i, j)).toBeCloseTo(Math.tanh(s), 5);
      }
    }
    expect(d.countParams()).toBe(15);
    expect(d.namedParameters().map(([n]) => n)).toEqual(['kernel', 'bias']);
  });

  it('gradients flow to kernel and bias; zeroGrad clears them', () => {
    const d = new Dense(2, { useBias: true });
    d.build(3, g());
    const x = variable(tensor([[1, 2, 3], [4, 5, 6]]));
    d.call(x).sum().backward();
    // d/dW sum(xW+b) = xᵀ·1 : each row k of the gradient is Σ_i x[i,k]
    expect([...(d.kernel.grad!.values() as Float32Array)]).toEqual([5, 5, 7, 7, 9, 9]);
    expect([...(d.bias!.grad!.values() as Float32Array)]).toEqual([2, 2]);
    d.zeroGrad();
    expect(d.kernel.grad).toBeNull();
  });

  it('useBias false, bad units, wrong input width and config round trip', () => {
    const d = new Dense(2, { useBias: false, activation: 'relu', name: 'x', kernelInitializer: 'heNormal' });
    d.build(3, g());
    expect(d.parameters().length).toBe(1);
    expect(() => new Dense(0)).toThrow(ValueError);
    expect(() => d.call(variable(tensor([[1, 2]])))).toThrow(ShapeError);
    expect(() => d.call(variable(tensor([[1, 2]])))).toThrow(/expected input \[batch, 3\], got \[1, 2\]/);
    const c = d.getConfig();
    expect(c).toEqual({ name: 'x', units: 2, activation: 'relu', useBias: false, kernelInitializer: 'heNormal', biasInitializer: 'zeros' });
    const back = layerFromConfig('Dense', c) as Dense;
    expect(back.getConfig()).toEqual(c);
    expect(() => layerFromConfig('Conv2D', c)).toThrow(/unknown layer type/);
    expect(() => layerFromConfig('Dense', { ...c, units: -1 })).toThrow(/units must be a positive integer/);
  });

  it('float64 parameters on request, surviving the config round trip', () => {
    const d = new Dense(3, { dtype: 'float64', name: 'd64' });
    d.build(2, g());
    expect(d.kernel.dtype).toBe('float64');
    expect(d.call(variable(tensor([[1, 2]], undefined, { dtype: 'float64' }))).dtype).toBe('float64');
    expect((layerFromConfig('Dense', d.getConfig()) as Dense).dtype).toBe('float64');
  });

  it('an explicit inputShape that disagrees with build is an error', () => {
    const d = new Dense(2, { inputShape: [5], name: 'h' });
    expect(() => d.build(4, g())).toThrow(/inputShape \[5\] \(5 features\) disagrees with the incoming 4/);
  });
});

describe('Dropout and Flatten', () => {
  it('inverted dropout: zeros about `rate`, scales survivors by 1/(1−rate), identity in eval', () => {
    const d = new Dropout(0.25, { seed: 7 });
    d.build(1000, g());
    const x = variable(tensor(new Float32Array(4000).fill(2), [4, 1000]), { requiresGrad: true });
    const y = d.call(x).value.values();
    let zerosCount = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] === 0) zerosCount++;
      else expect(y[i]).toBeCloseTo(2 / 0.75, 5);
    }
    expect(zerosCount / 4000).toBeGreaterThan(0.22);
    expect(zerosCount / 4000).toBeLessThan(0.28);
    // seeded: a fresh layer with the same seed draws the same mask
    const d2 = new Dropout(0.25, { seed: 7 });
    d2.build(1000, g());
    expect(d2.call(x).value.equals(new Tensor(y, [4, 1000]))).toBe(true);
    d.eval();
    expect(d.call(x)).toBe(x);
    expect(() => new Dropout(1)).toThrow(/rate must be in \[0, 1\)/);
  });

  it('dropout gradient is the mask', () => {
    const d = new Dropout(0.5, { seed: 1 });
    d.build(10, g());
    const x = parameter(tensor(new Float32Array(10).fill(1), [1, 10]));
    const y = d.call(x);
    y.sum().backward();
    expect(x.grad!.equals(y.value)).toBe(true);
  });

  it('Flatten merges feature axes and passes gradients through', () => {
    const f = new Flatten({ inputShape: [2, 3] });
    f.build(6, g());
    expect(f.outputSize).toBe(6);
    const x: Variable = parameter(randn([4, 2, 3], { generator: g() }));
    const y = f.call(x);
    expect(y.shape).toEqual([4, 6]);
    y.sum().backward();
    expect(x.grad!.shape).toEqual([4, 2, 3]);
  });
});

/** swish(x) = x·σ(x), as in examples/custom-op: forward with kernels, VJP with Variable ops. */
const swish = defineOp({
  name: 'swish',
  forward: ([x]) => mul(x!, sigmoid(x!)),
  backward: (g, { inputs: [x] }) => {
    const s = x!.sigmoid();
    return [g.mul(s.mul(x!.mul(s.neg().add(1)).add(1)))];
  },
});
const swishActivation = (x: Variable): Variable => swish(x);

describe('registerActivation', () => {
  const model = (activation: string | ((x: Variable) => Variable)): Sequential => {
    const m = new Sequential({ seed: 3 });
    m.add(new Dense(4, { activation, inputShape: [3], name: 'hidden' }));
    m.add(new Dense(2, { activation: 'softmax', name: 'out' }));
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    return m;
  };

  it('a registered custom op is used by name in Dense, shown in summary() and saved and loaded by name', () => {
    registerActivation('swish', swishActivation);
    try {
      expect(registeredActivationNames()).toContain('swish');
      const x = variable(tensor([[-2, -0.5, 0, 0.5, 3]], undefined, { dtype: 'float64' }));
      const got = getActivation('swish')(x).value.values();
      [-2, -0.5, 0, 0.5, 3].forEach((v, i) => expect(got[i]).toBeCloseTo(v / (1 + Math.exp(-v)), 12));
      expect(gradcheck((v: Variable) => getActivation('swish')(v), [randn([2, 3], { dtype: 'float64', generator: g() })]).ok).toBe(true);

      const m = model('swish');
      const hidden = m.layers[0] as Dense;
      expect(hidden.activation).toBe('swish');
      expect(hidden.getConfig().activation).toBe('swish');
      // The layer really applies swish: f(x·W + b) against the logits.
      const input = variable(randn([5, 3], { generator: g() }));
      const z = hidden.callLogits(input).value.values();
      const y = hidden.call(input).value.values();
      for (let i = 0; i < z.length; i++) expect(y[i]).toBeCloseTo(z[i]! / (1 + Math.exp(-z[i]!)), 5);
      // The same function object passed directly also gets its registered name.
      expect(new Dense(2, { activation: swishActivation }).activation).toBe('swish');

      const summary = m.summary({ print: false });
      const row = summary.split('\n').find((l) => l.startsWith('hidden'));
      expect(row).toMatch(/\bswish\b/);

      const doc = JSON.stringify(m.toJSON());
      const m2 = Sequential.fromJSON(doc);
      expect((m2.layers[0] as Dense).activation).toBe('swish');
      const xs = randn([6, 3], { generator: g() });
      expect(m2.predict(xs).equals(m.predict(xs))).toBe(true);

      // Unregistered: loading names the activation and says how to fix it.
      expect(unregisterActivation('swish')).toBe(true);
      expect(() => Sequential.fromJSON(doc)).toThrow(/activation 'swish'.*registerActivation\('swish', fn\)/);
      expect(() => new Dense(2, { activation: 'swish' })).toThrow(/unknown activation 'swish'.*registerActivation/);
      expect(() => layerFromConfig('Dense', { name: 'd', units: 2, activation: 'swish', useBias: true })).toThrow(
        /layerFromConfig: Dense 'd' uses activation 'swish'/,
      );
    } finally {
      unregisterActivation('swish');
    }
  });

  it('guards: built-in names and their spellings cannot be replaced; names must be simple identifiers', () => {
    const f = (x: Variable): Variable => x;
    for (const name of [...activationNames, 'leaky_relu', 'LeakyRelu', 'RELU', 'log_softmax', 'none', 'identity', 'custom']) {
      expect(() => registerActivation(name, f), name).toThrow(/built-in activation name and cannot be replaced/);
    }
    for (const name of ['', 'my swish', '1swish', 'swish-2', 'a.b', '__proto__ x']) {
      expect(() => registerActivation(name, f), name).toThrow(/simple identifier/);
    }
    expect(() => registerActivation('swish2', 'relu' as unknown as typeof f)).toThrow(/must be a function/);
    expect(registeredActivationNames()).not.toContain('swish2');
    // Names that collide with Object.prototype members are plain names too.
    registerActivation('toString', (x) => x.mul(2));
    try {
      expect(getActivation('toString')(variable(tensor([1.5]))).toArray()).toEqual([3]);
    } finally {
      unregisterActivation('toString');
    }
    // Built-ins still work after the failed attempts.
    expect(getActivation('relu')(variable(tensor([-1, 2]))).toArray()).toEqual([0, 2]);
  });

  it('an unregistered function stays "custom" and cannot be saved', () => {
    const m = model((x) => swish(x));
    expect((m.layers[0] as Dense).activation).toBe('custom');
    expect(() => m.toJSON()).toThrow(/custom activation function, which cannot be saved/);
  });
});

describe('Dropout and Flatten edge cases', () => {
  it('Dropout on float64 scales by the exact double 1/(1 − rate), not a float32-rounded one', () => {
    const d = new Dropout(0.1, { seed: 2 });
    d.build(64);
    const out = d.call(variable(new Tensor(new Float64Array(64).fill(1), [1, 64]))).value.values();
    const kept = [...out].filter((v) => v !== 0);
    expect(kept.length).toBeGreaterThan(0);
    for (const v of kept) expect(v).toBe(1 / 0.9); // 1.1111111111111112, not 1.1111111640930176
    const f = d.call(variable(new Tensor(new Float32Array(64).fill(1), [1, 64]))).value.values();
    for (const v of f) if (v !== 0) expect(v).toBe(Math.fround(1 / 0.9));
  });

  it('Flatten keeps the feature count of an empty batch and checks the size it was built for', () => {
    const fl = new Flatten();
    fl.build(12);
    expect(fl.call(variable(new Tensor(new Float32Array(0), [0, 3, 4]))).shape).toEqual([0, 12]);
    expect(fl.call(variable(new Tensor(new Float32Array(24), [2, 3, 4]))).shape).toEqual([2, 12]);
    expect(() => fl.call(variable(new Tensor(new Float32Array(30), [2, 3, 5])))).toThrow(
      /Flatten '.*': built for 12 features per sample, got \[2, 3, 5\] \(15\)/,
    );
    expect(new Flatten().call(variable(new Tensor(Float32Array.of(1, 2), [2]))).shape).toEqual([2, 1]);
  });
});
