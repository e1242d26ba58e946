import { describe, expect, it } from 'vitest';
import { Tensor } from '@tapegrad/tensor';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  createOptimizer,
  Iterative,
  Momentum,
  Nadam,
  optimizerNames,
  RMSprop,
  SGD,
} from '../src/index.js';

describe('createOptimizer and validation', () => {
  it('knows exactly the compile-time names', () => {
    expect([...optimizerNames].sort()).toEqual([
      'adadelta',
      'adagrad',
      'adam',
      'adamax',
      'adamw',
      'iterative',
      'momentum',
      'nadam',
      'rmsprop',
      'sgd',
    ]);
    for (const n of optimizerNames) expect(createOptimizer(n).name).toBe(n);
    expect(createOptimizer('Adam')).toBeInstanceOf(Adam);
  });
  it('an unknown name lists the valid ones', () => {
    expect(() => createOptimizer('adamm')).toThrow(
      /unknown optimizer 'adamm'; expected one of sgd, iterative, momentum, rmsprop, adagrad, adam, adamax, adadelta, adamw, nadam/,
    );
  });
  it('an instance is returned and rebound', () => {
    const o = new SGD();
    const params = [{ value: new Tensor(new Float64Array(2), [2]), grad: null }];
    expect(createOptimizer(o, params)).toBe(o);
    expect(o.params).toEqual(params);
  });
  it('config() round-trips through createOptimizer', () => {
    for (const n of optimizerNames) {
      const o = createOptimizer(n, [], { lr: 0.123, flavor: 'keras' });
      expect(createOptimizer(n, [], o.config()).config()).toEqual(o.config());
    }
  });
  it('perExample only for iterative; Momentum defaults to 0.9', () => {
    for (const n of optimizerNames) expect(createOptimizer(n).perExample).toBe(n === 'iterative');
    expect(new Momentum().momentum).toBe(0.9);
    expect(new Iterative().lr).toBe(0.01);
    expect(() => new Iterative([], { momentum: 0.9 } as never)).toThrow(/Iterative: got momentum 0.9/);
    const damped = (): unknown => new Iterative([], { dampening: 0.5 } as never);
    expect(damped).toThrow(/Iterative: got momentum undefined, dampening 0.5, .*takes none of them/);
  });
  it('rejects invalid hyperparameters with clear messages', () => {
    expect(() => new Adam([], { lr: -1 })).toThrow(/Adam: invalid learning rate lr -1; expected a finite number >= 0/);
    expect(() => new Adam([], { betas: [1, 0.999] })).toThrow(/invalid beta1 \(betas\[0\]\) 1; expected a finite number in \[0, 1\)/);
    expect(() => new Adamax([], { betas: [0.9, -0.1] })).toThrow(/invalid beta2/);
    expect(() => new Nadam([], { betas: [0.9] as never })).toThrow(/expected a pair/);
    expect(() => new SGD([], { nesterov: true })).toThrow(/nesterov needs momentum > 0 and dampening 0/);
    expect(() => new SGD([], { flavor: 'keras', momentum: 0.9, dampening: 0.1 })).toThrow(/dampening 0.1 is not part of the Keras rule/);
    expect(() => new RMSprop([], { eps: -1 })).toThrow(/invalid eps -1/);
    expect(() => new SGD([], { weightDecay: -0.1 })).toThrow(/invalid weightDecay -0.1/);
    expect(() => new SGD([], { flavor: 'tf' as never })).toThrow(/unknown flavor 'tf'/);
    // ρ/α may equal 1 (inclusive bound) but not exceed it; the message states the closed range.
    expect(new RMSprop([], { alpha: 1 }).alpha).toBe(1);
    expect(() => new RMSprop([], { alpha: 1.5 })).toThrow(/RMSprop: invalid alpha 1.5; expected a finite number in \[0, 1\]/);
    expect(new Adadelta([], { rho: 1 }).rho).toBe(1);
    expect(() => new Adadelta([], { rho: 1.01 })).toThrow(/Adadelta: invalid rho 1.01; expected a finite number in \[0, 1\]/);
    expect(new Adagrad([], { initialAccumulatorValue: 0.5 }).initialAccumulatorValue).toBe(0.5);
    expect(() => new Adagrad([], { lrDecay: Number.NaN })).toThrow(/Adagrad: invalid lrDecay NaN/);
  });
});
