import { describe, expect, it } from 'vitest';
import { Tensor, ValueError, tensor, type DType } from '@tapegrad/tensor';
import {
  Adam,
  AdamW,
  createOptimizer,
  Iterative,
  Nadam,
  Optimizer,
  optimizerNames,
  optimizerOptionNames,
  RMSprop,
  SGD,
  type OptimizerState,
  type Parameter,
} from '../src/index.js';

const param = (dtype: DType = 'float32', values = [1, 2, 3]): Parameter => ({
  value: tensor(values, undefined, { dtype }),
  grad: tensor([0.1, -0.2, 0.3].slice(0, values.length), undefined, { dtype }),
});

/** The JSON of a state, untyped so that a test can break any field of it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseState = any;

/** The JSON round trip of the state of `name` (with `options`) after one step on a float32 parameter. */
function oneStepState(name = 'adam', options: Record<string, unknown> = { lr: 0.1 }): LooseState {
  const p = param();
  const o = createOptimizer(name, [p], options);
  o.step();
  return JSON.parse(JSON.stringify(o.state()));
}

/** Loads `s` into a fresh `name` optimizer over a fresh parameter; returns the optimizer. */
function load(s: unknown, name = 'adam', options: Record<string, unknown> = { lr: 0.1 }, dtype: DType = 'float32'): Optimizer {
  const o = createOptimizer(name, [param(dtype)], options);
  o.loadState(s as OptimizerState);
  return o;
}

/** Expects `f` to throw a ValueError (not a TypeError) whose message contains every `parts`. */
function refuses(f: () => unknown, ...parts: (string | RegExp)[]): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, 'should throw').toBeInstanceOf(Error);
  expect((error as Error).constructor.name, (error as Error).message).not.toBe('TypeError');
  for (const part of parts) expect((error as Error).message).toMatch(part);
}

describe('loadState validates every field of the state it loads', () => {
  const cases: [string, (s: LooseState) => void, string][] = [
    [
      "lr 'NaN'",
      (s) => void (s.lr = 'NaN'),
      'adam.loadState: invalid learning rate lr "NaN" (a string); expected a finite number >= 0',
    ],
    [
      'lr deleted',
      (s) => void delete s.lr,
      'adam.loadState: invalid learning rate lr undefined; expected a finite number >= 0',
    ],
    [
      'lr -1 (the constructor refuses it)',
      (s) => void (s.lr = -1),
      'adam.loadState: invalid learning rate lr -1; expected a finite number >= 0',
    ],
    [
      'iterations "x"',
      (s) => void (s.iterations = 'x'),
      'adam.loadState: invalid iterations "x" (a string); expected a non-negative integer',
    ],
    [
      'iterations 1.5',
      (s) => void (s.iterations = 1.5),
      'adam.loadState: invalid iterations 1.5; expected a non-negative integer',
    ],
    [
      'step deleted',
      (s) => void delete s.slots[0].step,
      'adam.loadState: invalid slots[0].step (parameter 0) undefined; expected a non-negative integer',
    ],
    [
      "step 'abc'",
      (s) => void (s.slots[0].step = 'abc'),
      'adam.loadState: invalid slots[0].step (parameter 0) "abc" (a string); expected a non-negative integer',
    ],
    [
      'step -1',
      (s) => void (s.slots[0].step = -1),
      'adam.loadState: invalid slots[0].step (parameter 0) -1; expected a non-negative integer',
    ],
    [
      'step 1.5',
      (s) => void (s.slots[0].step = 1.5),
      'adam.loadState: invalid slots[0].step (parameter 0) 1.5; expected a non-negative integer',
    ],
    [
      "buffer data ['a', 'b', 'c']",
      (s) => void (s.slots[0].buffers.expAvg.data = ['a', 'b', 'c']),
      'adam.loadState: slots[0].buffers.expAvg.data[0] (parameter 0) is "a" (a string); expected a finite number',
    ],
    [
      'buffer data null',
      (s) => void (s.slots[0].buffers.expAvg.data[1] = null),
      'adam.loadState: slots[0].buffers.expAvg.data[1] (parameter 0) is null; expected a finite number',
    ],
    [
      "buffer data 'NaN'",
      (s) => void (s.slots[0].buffers.expAvg.data[2] = 'NaN'),
      'adam.loadState: slots[0].buffers.expAvg.data[2] (parameter 0) is "NaN" (a string); expected a finite number',
    ],
    [
      'buffer data 1e40 (overflows float32)',
      (s) => void (s.slots[0].buffers.expAvg.data[0] = 1e40),
      'adam.loadState: slots[0].buffers.expAvg.data[0] (parameter 0) is 1e+40 (it overflows float32); expected a finite number',
    ],
    [
      'a negative square',
      (s) => void (s.slots[0].buffers.expAvgSq.data[0] = -1),
      'adam.loadState: slots[0].buffers.expAvgSq.data[0] (parameter 0) is -1; expected a number >= 0 (the buffer holds squares or ' +
        'maxima)',
    ],
    [
      'buffer data not an array',
      (s) => void (s.slots[0].buffers.expAvg.data = 'x'),
      'adam.loadState: slots[0].buffers.expAvg.data (parameter 0) is "x" (a string); expected an array of numbers',
    ],
    [
      'expAvgSq missing',
      (s) => void delete s.slots[0].buffers.expAvgSq,
      'adam.loadState: slots[0].buffers (parameter 0) lacks \'expAvgSq\'; expected exactly \'expAvg\', \'expAvgSq\' for this adam',
    ],
    [
      'buffers deleted',
      (s) => void delete s.slots[0].buffers,
      'adam.loadState: slots[0].buffers (parameter 0) is undefined; expected an object of the buffers \'expAvg\', \'expAvgSq\'',
    ],
    [
      'an extra buffer',
      (s) => void (s.slots[0].buffers.bogus = { dtype: 'float32', data: [1, 2, 3] }),
      'adam.loadState: slots[0].buffers (parameter 0) has unexpected \'bogus\'; expected exactly \'expAvg\', \'expAvgSq\' for this ' +
        'adam',
    ],
    [
      "buffer dtype 'int8'",
      (s) => void (s.slots[0].buffers.expAvg.dtype = 'int8'),
      'adam.loadState: slots[0].buffers.expAvg.dtype (parameter 0) is "int8" (a string); expected \'float32\' or \'float64\'',
    ],
    [
      'a slot that is a number',
      (s) => void (s.slots[0] = 5),
      'adam.loadState: slots[0] (parameter 0) is 5; expected null or { step, scalars, buffers }',
    ],
    [
      'more slots than parameters',
      (s) => void s.slots.push(s.slots[0]),
      'adam.loadState: the state has slots for 2 parameters; expected at most 1 (one per bound parameter)',
    ],
    [
      'config not an object',
      (s) => void (s.config = 'x'),
      'adam.loadState: config is "x" (a string); expected the object config() returns',
    ],
    [
      'float64 buffers for a float32 parameter',
      (s) => {
        s.slots[0].buffers.expAvg.dtype = 'float64';
        s.slots[0].buffers.expAvgSq.dtype = 'float64';
      },
      "adam.loadState: slots[0].buffers.expAvg.dtype (parameter 0) is 'float64'; expected the parameter's dtype 'float32'",
    ],
  ];
  for (const [what, mutate, message] of cases) {
    it(`refuses ${what}, naming the field`, () => {
      const s = oneStepState();
      mutate(s);
      refuses(() => load(s), message);
      expect(() => load(s)).toThrow(ValueError);
    });
  }

  it('refuses a non-AMSGrad state in an amsgrad Adam (and the reverse), naming the option that differs', () => {
    refuses(
      () => load(oneStepState('adam'), 'adam', { amsgrad: true }),
      "slots[0].buffers (parameter 0) lacks 'maxExpAvgSq'; expected exactly 'expAvg', 'expAvgSq', 'maxExpAvgSq' for this adam",
      'the state was saved with other options (amsgrad false vs true)',
    );
    refuses(() => load(oneStepState('adam', { amsgrad: true }), 'adam'), "has unexpected 'maxExpAvgSq'", '(amsgrad true vs false)');
  });

  it('refuses SGD-with-momentum state without its buffer, and centered RMSprop state without gradAvg', () => {
    const sgd = oneStepState('sgd', { momentum: 0.9 });
    sgd.slots[0].buffers = {};
    refuses(() => load(sgd, 'sgd', { momentum: 0.9 }), "sgd.loadState: slots[0].buffers (parameter 0) lacks 'momentum'");
    refuses(() => load(oneStepState('sgd'), 'sgd', { momentum: 0.9 }), "lacks 'momentum'", '(momentum 0 vs 0.9)');
    const rms = oneStepState('rmsprop', { centered: true });
    delete rms.slots[0].buffers.gradAvg;
    refuses(() => load(rms, 'rmsprop', { centered: true }), "rmsprop.loadState: slots[0].buffers (parameter 0) lacks 'gradAvg'");
  });

  it("refuses Nadam state whose scalars are missing or out of range (muProduct ∈ [0, 1])", () => {
    const s = oneStepState('nadam');
    s.slots[0].scalars = {};
    refuses(() => load(s, 'nadam'), "nadam.loadState: slots[0].scalars (parameter 0) lacks 'muProduct'; expected exactly 'muProduct'");
    const t = oneStepState('nadam');
    t.slots[0].scalars.muProduct = 'NaN';
    refuses(() => load(t, 'nadam'), 'slots[0].scalars.muProduct (parameter 0) is "NaN" (a string); expected a finite number in [0, 1]');
    t.slots[0].scalars.muProduct = 5;
    refuses(() => load(t, 'nadam'), /muProduct \(parameter 0\) is 5; expected a finite number in \[0, 1\]/);
  });

  it('changes nothing when it refuses (lr, iterations and slots stay as they were)', () => {
    const p = param();
    const o = new Adam([p], { lr: 0.1 });
    o.step();
    const before = o.state();
    const s = oneStepState();
    s.lr = 0.5;
    s.iterations = 7;
    s.slots[0].buffers.expAvgSq.data[2] = -1;
    refuses(() => o.loadState(s as OptimizerState), /expAvgSq/);
    expect(o.state()).toEqual(before);
  });

  it('a valid state still loads, with or without bound parameters, and steps to the same values', () => {
    const a = param();
    const oa = new Adam([a], { lr: 0.1 });
    oa.step();
    const s = JSON.parse(JSON.stringify(oa.state()));
    const b: Parameter = { value: a.value.clone(), grad: a.grad };
    const ob = new Adam(undefined, { lr: 0.1 });
    ob.loadState(s);
    oa.step();
    ob.step([b]);
    expect(Array.from(b.value.data)).toEqual(Array.from(a.value.data));
    expect(ob.iterations).toBe(2);
  });

  it('without bound parameters, a state kept for another dtype is refused at step before anything moves', () => {
    const s = oneStepState(); // float32 buffers
    const o = new Adam(undefined, { lr: 0.1 });
    o.loadState(s as OptimizerState);
    const p = param('float64');
    expect(() => o.step([p])).toThrow("adam.step: state buffer 'expAvg' of parameter 0 is float32 but the parameter is float64");
    expect(Array.from(p.value.data)).toEqual([1, 2, 3]);
  });
});

describe('options are type-checked and unknown keys refused', () => {
  it("maximize: 'false' is refused rather than read as true", () => {
    refuses(
      () => new SGD([param()], { maximize: 'false' as never }),
      /^SGD: maximize must be a boolean \(true or false\), got "false" \(a string\)$/,
    );
    refuses(() => new Adam([param()], { maximize: 'false' as never }), /^Adam: maximize must be a boolean/);
  });

  it('nesterov, centered, amsgrad and torch113 must be booleans', () => {
    refuses(
      () => new SGD([], { momentum: 0.9, nesterov: 'yes' as never }),
      /^SGD: nesterov must be a boolean \(true or false\), got "yes" \(a string\)$/,
    );
    refuses(() => new Iterative([], { nesterov: 'no' } as never), /^Iterative: nesterov must be a boolean/);
    refuses(() => new RMSprop([], { centered: 1 as never }), /^RMSprop: centered must be a boolean \(true or false\), got 1 \(a number\)$/);
    refuses(() => new Adam([], { amsgrad: 'no' as never }), /^Adam: amsgrad must be a boolean/);
    refuses(() => new AdamW([], { amsgrad: 0 as never }), /^AdamW: amsgrad must be a boolean/);
    refuses(() => new Nadam([], { torch113: 'true' as never }), /^Nadam: torch113 must be a boolean/);
    expect(new SGD([], { momentum: 0.9, nesterov: true, maximize: false }).nesterov).toBe(true);
  });

  it('numbers given as strings are refused, quoted as strings', () => {
    refuses(() => new Adam([], { lr: '0.1' as never }), 'Adam: invalid learning rate lr "0.1" (a string); expected a finite number >= 0');
    refuses(() => new SGD([], { clipNorm: '1' as never }), /^SGD: invalid clipNorm "1" \(a string\); expected a finite number > 0$/);
  });

  it('an unknown option is refused, directly and through createOptimizer, listing the accepted ones', () => {
    refuses(
      () => new Adam([], { momentum: 0.9 } as never),
      "Adam: unknown option 'momentum'; Adam takes flavor, lr, weightDecay, maximize, betas, eps, amsgrad, " +
        'clipNorm, globalClipNorm, clipValue',
    );
    refuses(
      () => createOptimizer('adam', undefined, { learning_rate: 0.1 }),
      "Adam: unknown option 'learning_rate' (use lr); Adam takes flavor, lr,",
    );
    refuses(() => createOptimizer('sgd', [], { weight_decay: 0.1 }), "SGD: unknown option 'weight_decay' (use weightDecay)");
    refuses(() => createOptimizer('adam', [], { beta_1: 0.8 }), "unknown option 'beta_1' (use betas: [β1, β2])");
    // a hint only where the optimizer takes the option it points to
    refuses(() => createOptimizer('sgd', [], { epsilon: 1e-8 }), /^SGD: unknown option 'epsilon'; SGD takes/);
    refuses(() => new SGD([], { betas: [0.9, 0.99] } as never), /^SGD: unknown option 'betas'; SGD takes .*nesterov/);
  });

  it('accepts exactly optimizerOptionNames(name) (RMSprop also takes rho), and config() round-trips', () => {
    expect(optimizerOptionNames('rmsprop')).toContain('rho');
    expect(new RMSprop([], { rho: 0.5 }).alpha).toBe(0.5);
    for (const name of optimizerNames) {
      const accepted = optimizerOptionNames(name);
      expect(createOptimizer(name).optionNames()).toEqual(accepted);
      refuses(() => createOptimizer(name, [], { notAnOption: 1 }), `unknown option 'notAnOption'; `, accepted.join(', '));
      const config = createOptimizer(name, [], { flavor: 'keras' }).config();
      for (const key of Object.keys(config)) if (key !== 'name') expect(accepted).toContain(key);
      expect(createOptimizer(name, [], config).config()).toEqual(config);
    }
  });

  it("a constructor takes config()'s own name but no other; an undefined option counts as absent", () => {
    const config = new Adam([], { lr: 0.01 }).config();
    expect(new Adam([], config).lr).toBe(0.01);
    refuses(() => new Adam([], { ...config, name: 'sgd' } as never), /^Adam: options.name is "sgd" \(a string\); expected 'adam'/);
    expect(new Adam([], { momentum: undefined } as never).lr).toBe(1e-3);
  });

  it('options must be an object', () => {
    refuses(() => new SGD([], null as never), /^SGD: options must be an object of option values, got null$/);
    refuses(() => new Adam([], 5 as never), /^Adam: options must be an object of option values, got 5$/);
    refuses(() => createOptimizer('adam', [], 'fast' as never), /options must be an object of option values, got "fast" \(a string\)/);
  });
});

describe('parameters are checked where they are given', () => {
  it('the same parameter twice is refused at construction, setParams and step, naming the duplicate', () => {
    const p = param();
    refuses(() => new SGD([p, p], { lr: 1 }), 'SGD: params[1] is the same parameter as params[0]; each parameter may appear only once');
    const q = param();
    refuses(() => createOptimizer('adam', [p, q, p]), /^Adam: params\[2\] is the same parameter as params\[0\]/);
    const o = new SGD([p], { lr: 1 });
    refuses(() => o.setParams([q, p, q]), /^sgd\.setParams: params\[2\] is the same parameter as params\[0\]/);
    refuses(() => new SGD(undefined, { lr: 1 }).step([q, q]), /^sgd\.step: params\[1\] is the same parameter as params\[0\]/);
    // two wrappers of one value tensor (a detached Variable, tied weights) would update it twice as well
    refuses(() => new SGD([p, { value: p.value, grad: null }]), /params\[1\] is a parameter sharing its value tensor with params\[0\]/);
    expect(Array.from(p.value.data)).toEqual([1, 2, 3]);
  });

  it('params must be an iterable of parameters with a Tensor value', () => {
    refuses(() => new SGD(5 as never), /^SGD: params must be an array \(or iterable\) of parameters such as Variables, got 5$/);
    refuses(() => new SGD('ab' as never), /^SGD: params must be an array .* got "ab" \(a string\)$/);
    refuses(() => new SGD([null] as never), 'SGD: params[0] is null; expected a parameter (a Variable, or an object with a Tensor value)');
    refuses(() => new Adam([param(), 3] as never), /^Adam: params\[1\] is 3; expected a parameter/);
    refuses(() => new SGD([{ value: [1, 2], grad: null }] as never), /^SGD: params\[0\]\.value is an array of length 2; expected a Tensor/);
    refuses(() => new SGD([]).setParams(undefined as never), /^sgd\.setParams: params must be an array .* got undefined$/);
    expect(new SGD(new Set([param()])).params.length).toBe(1);
  });

  it('a gradient must be null or a Tensor of the parameter’s shape and dtype', () => {
    const p = param();
    (p as { grad: unknown }).grad = [1, 2, 3];
    refuses(
      () => new SGD([p]).step(),
      /^sgd\.step: gradient 0 is an array of length 3; expected null or a Tensor of the parameter's shape \[3\] and dtype float32$/,
    );
    const q = param('float32');
    q.grad = tensor([0.1, 0.2, 0.3], undefined, { dtype: 'float64' });
    refuses(() => new Adam([q]).step(), "adam.step: gradient 0 has dtype float64; expected the parameter's dtype float32");
    q.grad = tensor([1, 1, 0], undefined, { dtype: 'int32' });
    refuses(() => new SGD([q]).step(), "sgd.step: gradient 0 has dtype int32; expected the parameter's dtype float32");
    expect(Array.from(q.value.data)).toEqual([1, 2, 3]);
    refuses(
      () => new SGD().update([q.value], [[1, 2, 3]] as never),
      'sgd.update: gradient 0 is an array of length 3; expected null or a Tensor',
    );
    refuses(() => new SGD().update([q.value], 5 as never), /^sgd\.update: grads must be an array of Tensors, got 5$/);
    refuses(() => new SGD().update([null] as never, [null] as never), /^sgd\.update: params\[0\] is null; expected a Tensor$/);
  });

  it('a parameter broken after binding is refused at step, not met as a TypeError', () => {
    const p = param();
    const o = new SGD([p]);
    (o.params as unknown[]).push(null);
    refuses(() => o.step(), /^sgd\.step: params\[1\] is null; expected a parameter/);
    (p as { value: unknown }).value = [1, 2, 3];
    refuses(() => new SGD([param()]).step([p]), /^sgd\.step: params\[0\]\.value is an array of length 3; expected a Tensor/);
  });

  it('errors are ValueErrors from @tapegrad/tensor', () => {
    expect(() => new SGD(5 as never)).toThrow(ValueError);
    expect(() => new SGD([], { maximize: 'false' as never })).toThrow(ValueError);
    const s = oneStepState();
    delete s.slots[0].buffers.expAvgSq;
    expect(() => load(s)).toThrow(ValueError);
    expect(new Tensor(new Float32Array(1), [1])).toBeInstanceOf(Tensor);
  });
});
