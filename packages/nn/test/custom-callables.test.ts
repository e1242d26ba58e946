// What a model does with the objects and functions it is handed: an optimizer instance trains one model (a second
// model may not take it over), and a custom activation, loss or metric must return what the training loop needs —
// anything else is refused naming it, instead of a TypeError deep inside or a model that silently stops training.
import { describe, expect, it } from 'vitest';
import { Variable, variable } from '@tapegrad/autograd';
import { Adam, SGD } from '@tapegrad/optim';
import { Generator, ShapeError, Tensor, ValueError, randint, randn, scalar } from '@tapegrad/tensor';
import { Dense, Sequential, mlp, registerActivation, toCategorical, unregisterActivation } from '../src/index.js';

const x = randn([20, 5], { generator: new Generator(3) });
const labels = randint(0, 3, [20], { generator: new Generator(4) });
const y = toCategorical(labels, 3);
const fit = (m: Sequential): number[] => m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 }).history.loss as number[];
const weights = (m: Sequential): number[][] => m.getWeights().map((w) => Array.from(w.values()));

describe('one optimizer instance per model', () => {
  it('refuses an instance that already trains another model (mlp): the first model keeps training', () => {
    const o = new Adam(undefined, { lr: 0.05 });
    const a = mlp([5, 4, 3], { optimizer: o });
    expect(() => mlp([5, 4, 3], { optimizer: o, seed: 1 })).toThrow(ValueError);
    expect(() => mlp([5, 4, 3], { optimizer: o, seed: 1 })).toThrow(
      /^compile: this adam optimizer instance already trains another model \('sequential'\).*create one per model \(a new Adam\(…\)/,
    );
    const before = weights(a);
    const loss = fit(a);
    expect(loss[2]).toBeLessThan(loss[0]!);
    expect(weights(a)).not.toEqual(before);
  });

  it('refuses it in Sequential.compile too, built or not yet built', () => {
    const o = new SGD(undefined, { lr: 0.1 });
    const a = new Sequential([new Dense(3, { inputShape: [5] })], { name: 'a' });
    a.compile({ optimizer: o, loss: 'mse' });
    const b = new Sequential([new Dense(3)], { name: 'b' });
    expect(() => b.compile({ optimizer: o, loss: 'mse' })).toThrow(
      /^compile: this sgd optimizer instance already trains another model \('a'\)/,
    );
    expect(b.isCompiled).toBe(false);
    const c = new Sequential([new Dense(3)], { name: 'c' });
    const o2 = new SGD(undefined, { lr: 0.1 });
    c.compile({ optimizer: o2, loss: 'mse' }); // not built: bound at the first fit
    expect(() => a.compile({ optimizer: o2, loss: 'mse' })).toThrow(/already trains another model \('c'\)/);
  });

  it('refuses an object that is not an optimizer (no setParams) at compile, not with a TypeError in fit', () => {
    const step = { step(): void {} };
    expect(() => mlp([5, 4, 3], { optimizer: step as never })).toThrow(
      'compile: optimizer must be a name or an Optimizer (with step and setParams methods), got an object without setParams',
    );
    expect(() => mlp([5, 4, 3], { optimizer: 42 as never })).toThrow(/must be a name or an Optimizer .*, got 42$/);
  });

  it('recompiling the same model with its instance keeps working, and a recompile with another optimizer frees it', () => {
    const o = new Adam(undefined, { lr: 0.05 });
    const a = mlp([5, 4, 3], { optimizer: o });
    a.compile({ optimizer: o, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const loss = fit(a);
    expect(loss[2]).toBeLessThan(loss[0]!);
    expect(a.optimizer).toBe(o);
    a.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const b = mlp([5, 4, 3], { optimizer: o, seed: 2 });
    const lb = fit(b);
    expect(lb[2]).toBeLessThan(lb[0]!);
    expect(b.optimizer).toBe(o);
  });
});

describe('custom activations must return a Variable of their input', () => {
  it('refuses a Tensor (x.value), naming the layer and the activation, in mlp and in Dense', () => {
    const net = mlp([5, 4, 3], { hidden: ((v: Variable) => v.value) as never });
    expect(() => fit(net)).toThrow(ValueError);
    expect(() => fit(net)).toThrow(
      /^Dense 'dense': the activation 'hidden' \(a custom function\) returned a Tensor \[8, 4\] \(not a Variable/,
    );
    expect(() => net.predict(x)).toThrow(/the activation 'hidden' \(a custom function\) returned a Tensor \[20, 4\]/);
    const m = new Sequential([new Dense(4, { inputShape: [5], activation: ((v: Variable) => v.value) as never }), new Dense(3)]);
    m.compile({ loss: 'mse' });
    expect(() => m.fit(x, y, { verbose: 0 })).toThrow(/Dense 'dense': the activation 'activation' \(a custom function\) returned a Tensor/);
  });

  it('refuses a number, another shape, another dtype and a detached result; accepts an autograd one', () => {
    const run = (hidden: (v: Variable) => unknown): number[] => fit(mlp([5, 4, 3], { hidden: hidden as never }));
    expect(() => run(() => 3)).toThrow(/the activation \(a custom function\) returned 3; an activation must return a Variable/);
    expect(() => fit(mlp([5, 4, 3], { hidden: (() => 3) as never }))).toThrow(/the activation 'hidden' \(a custom function\) returned 3/);
    expect(() => run((v) => v.sum(1, true))).toThrow(ShapeError);
    expect(() => run((v) => v.sum(1, true))).toThrow(
      /returned a Variable of shape \[8, 1\]; an activation must return a Variable of its input's shape \[8, 4\]/,
    );
    expect(() => run((v) => variable(v.value.astype('float64')))).toThrow(/returned a float64 Variable for a float32 input/);
    expect(() => run((v) => v.detach().relu())).toThrow(/returned a Variable that does not depend on its input/);
    const loss = run((v) => v.relu());
    expect(loss[2]).toBeLessThan(loss[0]!);
  });

  it('checks a registered activation by its name', () => {
    registerActivation('cutGrad', (v) => variable(v.value));
    try {
      const net = mlp([5, 4, 3], { hidden: 'cutGrad' });
      expect(() => fit(net)).toThrow(/^Dense 'dense': the activation 'cutGrad' returned a Variable that does not depend on its input/);
    } finally {
      unregisterActivation('cutGrad');
    }
  });
});

describe('custom losses must return a scalar Variable of the predictions', () => {
  const withLoss = (loss: unknown): Sequential => mlp([5, 4, 3], { loss: loss as never });
  it('refuses a number, a Tensor, a per-element Variable and a constant, naming the loss (fit, evaluate, trainOnBatch)', () => {
    expect(() => fit(withLoss(() => 1))).toThrow(ValueError);
    expect(() => fit(mlp([5, 4, 3], { loss: (() => 1) as never }))).toThrow(
      /^the custom loss 'loss' returned the number 1; a loss must return a scalar Variable/,
    );
    expect(() => withLoss(() => 1).evaluate(x, y)).toThrow(/the custom loss \(an unnamed function\) returned the number 1/);
    expect(() => fit(withLoss(() => scalar(1)))).toThrow(/the custom loss \(an unnamed function\) returned a Tensor \[\]/);
    function perElement(p: Variable, t: Variable | Tensor): Variable {
      return p.sub(t).square();
    }
    expect(() => fit(withLoss(perElement))).toThrow(ShapeError);
    expect(() => withLoss(perElement).trainOnBatch(x, y)).toThrow(
      /^the custom loss 'perElement' returned a Variable of shape \[20, 3\] \(60 values\); a loss must return a scalar Variable/,
    );
    expect(() => fit(withLoss(() => variable(scalar(1))))).toThrow(/returned a Variable that does not depend on the predictions/);
  });

  it('trains with a loss built from autograd ops (Sequential.compile too)', () => {
    const m = new Sequential([new Dense(3, { inputShape: [5], activation: 'softmax' })]);
    m.compile({ optimizer: 'sgd', lr: 0.5, loss: (p, t) => p.sub(t).square().mean() });
    const loss = fit(m);
    expect(loss[2]).toBeLessThan(loss[0]!);
  });
});

describe('custom metrics must return a finite number', () => {
  it('score refuses a string and NaN, naming the metric', () => {
    const net = mlp([5, 4, 3]);
    function hi(): number {
      return 'hi' as never;
    }
    expect(() => net.score(x, y, hi)).toThrow(ValueError);
    expect(() => net.score(x, y, hi)).toThrow(/^the custom metric 'hi' returned "hi" \(a string\); a metric must return a finite number/);
    expect(() => net.score(x, y, () => NaN)).toThrow(/the custom metric \(an unnamed function\) returned NaN/);
    expect(() => net.score(x, y, (() => randn([2])) as never)).toThrow(/returned a tensor of shape \[2\]/);
    expect(net.score(x, y, (() => scalar(0.25)) as never)).toBe(0.25);
    expect(net.score(x, y, () => 0.5)).toBe(0.5);
  });

  it('fit and evaluate refuse them too (compile metrics)', () => {
    function broken(): number {
      return Infinity;
    }
    const net = mlp([5, 4, 3], { metrics: [broken] });
    expect(() => fit(net)).toThrow(/^the custom metric 'broken' returned Infinity/);
    expect(() => net.evaluate(x, y)).toThrow(/the custom metric 'broken' returned Infinity/);
  });
});

describe('subclasses of built-in layers and optimizers', () => {
  class ZeroInput extends Dense {
    override call(x: Variable): Variable {
      return super.call(x.mul(0));
    }
  }
  const data = (): { x: Tensor; y: Tensor } => {
    const g = new Generator(4);
    return { x: randn([16, 4], { generator: g }), y: randint(0, 2, [16], { generator: g }) };
  };

  it('a last Dense whose call is overridden is trained and evaluated through its own call, as predict runs it', () => {
    const { x, y } = data();
    const m = new Sequential({ seed: 0 });
    m.add(new ZeroInput(2, { activation: 'softmax', inputShape: [4], useBias: false }));
    m.compile({ optimizer: 'sgd', lr: 0.5, loss: 'sparseCategoricalCrossentropy' });
    expect([...m.predict(x).values()].every((v) => v === 0.5)).toBe(true);
    expect(m.evaluate(x, y).loss).toBeCloseTo(Math.LN2, 6); // was 1.47: the fused path ran Dense's own forward
    const h = m.fit(x, y, { epochs: 2, verbose: 0 });
    h.history.loss!.forEach((l) => expect(l).toBeCloseTo(Math.LN2, 6)); // the zeroed input leaves nothing to learn
  });

  it('saving a subclass of a built-in layer or optimizer is refused (it would load as its parent)', () => {
    class Doubled extends Dense {
      override call(x: Variable): Variable {
        return super.call(x).mul(2);
      }
    }
    const m = new Sequential({ seed: 0 });
    m.add(new Doubled(1, { inputShape: [4], name: 'doubled' }));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    expect(() => m.toJSON()).toThrow(/toJSON: layer 'doubled' is a Doubled, a subclass of Dense, which cannot be saved/);
    class SignSGD extends SGD {}
    const n = new Sequential({ seed: 0 });
    n.add(new Dense(1, { inputShape: [4] }));
    n.compile({ optimizer: new SignSGD(undefined, { lr: 0.1 }), loss: 'mse' });
    expect(() => n.toJSON()).toThrow(/toJSON: the optimizer is a SignSGD, not the built-in 'sgd', and cannot be saved/);
    const plain = new Sequential({ seed: 0 });
    plain.add(new Dense(1, { inputShape: [4] }));
    plain.compile({ optimizer: new Adam(undefined, { lr: 0.1 }), loss: 'mse' });
    expect(Sequential.fromJSON(plain.toJSON()).layers.length).toBe(1);
  });
});

describe('objects of another copy of the packages', () => {
  it('Sequential.add and the exporters say so instead of printing [object Object]', async () => {
    const { exportOnnx } = await import('../src/onnx/index.js');
    const ForeignLayer = class Layer {};
    const ForeignModel = class Sequential {};
    expect(() => new Sequential().add(new ForeignLayer() as never)).toThrow(/got a Layer from another copy of the @tapegrad packages/);
    expect(() => exportOnnx(new ForeignModel() as never)).toThrow(/expected a Sequential model, got a Sequential from another copy/);
    expect(() => new Sequential().add({} as never)).toThrow(/expected a Layer \(Dense, Dropout, Flatten, …\), got an object$/);
  });
});
