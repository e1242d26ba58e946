/**
 * The scalar parameters of the parametrised elementwise kernels: leakyRelu's slope and elu's α must be finite numbers
 * (a NaN or a string used to give NaN silently), and clip's bounds are numbers or left out (undefined or null, PyTorch's
 * None: no bound; null used to clip at 0). Expected values are PyTorch 1.13's.
 */
import { describe, expect, it } from 'vitest';
import { ValueError, clip, elu, leakyRelu, tensor, type Tensor } from '../src/index.js';

const x = (): Tensor => tensor([-1, 2]);

describe('leakyRelu and elu refuse a parameter that is not a finite number', () => {
  it('names the function, the argument and the value', () => {
    expect(() => leakyRelu(x(), NaN)).toThrow(ValueError);
    expect(() => leakyRelu(x(), NaN)).toThrow(/^leakyRelu: slope must be a finite number, got NaN$/);
    expect(() => leakyRelu(x(), -Infinity)).toThrow(/^leakyRelu: slope must be a finite number, got -Infinity$/);
    expect(() => leakyRelu(x(), '0.1' as unknown as number)).toThrow(/^leakyRelu: slope must be a finite number, got "0.1" \(a string\)$/);
    expect(() => elu(x(), 'x' as unknown as number)).toThrow(/^elu: alpha must be a finite number, got "x" \(a string\)$/);
    expect(() => elu(x(), null as unknown as number)).toThrow(/^elu: alpha must be a finite number, got null$/);
    expect(() => elu(x(), Infinity)).toThrow(ValueError);
  });

  it('valid parameters and the defaults are unchanged', () => {
    // F.leaky_relu(tensor([-1., 2]), 0.1) = [-0.10000000149011612, 2]; the default slope 0.01 (torch's too)
    expect(leakyRelu(x(), 0.1).toArray()).toEqual([-0.10000000149011612, 2]);
    expect(leakyRelu(x()).toArray()).toEqual([-0.009999999776482582, 2]);
    expect(leakyRelu(x(), 0).toArray()).toEqual([-0, 2]);
    expect(leakyRelu(x(), -2).toArray()).toEqual([2, 2]);
    // F.elu(tensor([-1., 2])) = [-0.6321205496788025, 2]
    expect(elu(x()).toArray()).toEqual([-0.6321205496788025, 2]);
    expect(elu(x(), 0).toArray()).toEqual([-0, 2]);
  });
});

describe('clip bounds', () => {
  it('a bound left out or null is no bound (torch.clamp(x, min=None, max=1) = [-1, 1])', () => {
    expect(clip(x(), 0).toArray()).toEqual([0, 2]);
    expect(clip(x(), undefined, 1).toArray()).toEqual([-1, 1]);
    expect(clip(x(), null, 1).toArray()).toEqual([-1, 1]);
    expect(clip(x(), 0, null).toArray()).toEqual([0, 2]);
    expect(clip(tensor([-5, 5], undefined, { dtype: 'int32' }), null, 1).dtype).toBe('int32');
  });

  it('a bound that is not a number is a ValueError naming it; NaN and min > max as before', () => {
    const bad = (v: unknown): number => v as number;
    expect(() => clip(x(), bad('a'))).toThrow(/^clip: min must be a number, or null\/undefined for no bound; got "a" \(a string\)$/);
    expect(() => clip(x(), 0, bad([1]))).toThrow(/^clip: max must be a number, or null\/undefined for no bound; got an array of length 1$/);
    expect(() => clip(x(), NaN)).toThrow(/^clip: expected min ≤ max, got min=NaN, max=Infinity$/);
    expect(() => clip(x(), 2, 1)).toThrow(/^clip: expected min ≤ max, got min=2, max=1$/);
  });
});
