/**
 * Edge cases where the autograd ops once parted from PyTorch 1.13 (and from the tensor kernels): std's gradient at a
 * group without spread, variance's correction, take's plain-array indices, split's sizes, joins of mixed dtypes,
 * clip with one bound and the activations' parameters. The expected numbers are PyTorch's, quoted in each test.
 */
import * as K from '@tapegrad/tensor';
import { DTypeError, IndexError, ShapeError, ValueError, tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import * as AG from '../src/index.js';
import { Variable, gradients, jvp, variable } from '../src/index.js';

const f64 = (x: K.NestedArray): K.Tensor => tensor(x, undefined, { dtype: 'float64' });
const i32 = (x: K.NestedArray): K.Tensor => tensor(x, undefined, { dtype: 'int32' });

/** The error `f` throws (fails the test when it throws none). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** Expects `got` to throw an error of the same class and message as `want` (the tensor kernel's). */
function sameError(got: () => unknown, want: () => unknown): void {
  const e = thrown(want);
  expect(e).toBeInstanceOf(ValueError);
  const g = thrown(got);
  expect(g.constructor).toBe(e.constructor);
  expect(g.message).toBe(e.message);
}

describe('std at a group without spread: gradient 0, as PyTorch', () => {
  const rows = [
    [1, 2, 3],
    [5, 5, 5],
  ];

  it('first derivative: 0 on the constant row (torch.std(x, 1, unbiased=False).sum().backward())', () => {
    // torch float32: [[-0.40824827551841736, 0, 0.40824827551841736], [0, 0, 0]]; with unbiased=True [[-0.5, 0, 0.5], [0, 0, 0]].
    for (const createGraph of [false, true]) {
      const x = variable(rows, { requiresGrad: true });
      AG.std(x, 1).sum().backward({ createGraph });
      expect(x.grad!.toArray()).toEqual([
        [-0.40824827551841736, 0, 0.40824827551841736],
        [0, 0, 0],
      ]);
      const y = variable(rows, { requiresGrad: true });
      AG.std(y, 1, { correction: 1 }).sum().backward({ createGraph });
      expect(y.grad!.toArray()).toEqual([
        [-0.5, 0, 0.5],
        [0, 0, 0],
      ]);
    }
    // torch.std(tensor([2., 2, 2]), unbiased=False).backward() → [0, 0, 0]
    const flat = variable([2, 2, 2], { requiresGrad: true });
    AG.std(flat).backward();
    expect(flat.grad!.toArray()).toEqual([0, 0, 0]);
  });

  it('keepDims, a weighted gradient and the forward bits are unchanged', () => {
    // torch: y = x.std(0, keepdim=True, unbiased=False) = [[1, 0]]; (y·[[2, 3]]).sum().backward() → [[-1, 0], [1, 0]]
    const x = variable(
      [
        [1, 4],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const y = AG.std(x, 0, { keepDims: true });
    expect(y.toArray()).toEqual([[1, 0]]);
    y.mul(variable([[2, 3]])).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [-1, 0],
      [1, 0],
    ]);
    // The value is still √variance, bit for bit.
    const v = variable(rows);
    expect(AG.std(v, 1).value.equals(AG.variance(v, 1).sqrt().value)).toBe(true);
  });

  it('second order (createGraph) is finite and matches PyTorch', () => {
    // g = ∂ std(x, 1, unbiased=False).sum() / ∂x with create_graph=True; torch.autograd.grad((g·w).sum(), x), float64
    const x = variable(f64(rows), { requiresGrad: true });
    const [g] = gradients(AG.std(x, 1).sum(), [x], { createGraph: true });
    expect(g!.toArray()).toEqual([
      [-0.40824829046386296, 0, 0.40824829046386296],
      [0, 0, 0],
    ]);
    const w = variable(
      f64([
        [0.3, -1, 2],
        [1.5, -0.5, 0.25],
      ]),
    );
    const [h] = gradients(g!.mul(w).sum(), [x]);
    const want = [
      [0.29257794149910177, -0.5851558829982035, 0.29257794149910177],
      [0, 0, 0],
    ];
    const got = h!.toArray() as number[][];
    got.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 14)));
  });

  it('forward mode: the tangent is 0 on the constant row, as torch.autograd.forward_ad', () => {
    // torch: make_dual(x, t) with t = [[1, 0, 0], [1, 2, 3]], std(·, 1, unbiased=False) → tangent [-0.408248290463863, 0]
    const t = f64([
      [1, 0, 0],
      [1, 2, 3],
    ]);
    const { tangent } = jvp((v: Variable) => AG.std(v, 1), [f64(rows)], [t]);
    const [a, b] = tangent.toArray() as number[];
    expect(a).toBeCloseTo(-0.408248290463863, 14);
    expect(b).toBe(0);
  });
});

describe('variance and std: the correction, checked and clamped as the tensor kernel', () => {
  it('correction ≥ n divides by max(0, n − correction): ∞ (NaN for 0/0), as torch and the kernel', () => {
    // torch.var(tensor([1., 2]), 0, correction=3) = inf, correction=2 → inf; torch.var(tensor([1., 1]), 0, correction=2) = nan
    // The same bits as the kernel at these divisors (ordinary float32 values differ in rounding: the composite rounds
    // each step to float32, the kernel accumulates in float64).
    const cases: Array<[number[], number]> = [
      [[1, 2], 3],
      [[1, 2], 2],
      [[1, 1], 2],
      [[1, 2], 1.5],
    ];
    for (const [xs, correction] of cases) {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = tensor(xs, undefined, { dtype });
        const got = AG.variance(variable(x), null, { correction }).value;
        const want = K.variance(x, null, { correction });
        expect(Object.is(got.item(), want.item()), `variance ${xs} correction ${correction} ${dtype}`).toBe(true);
        expect(Object.is(AG.std(variable(x), null, { correction }).item(), K.std(x, null, { correction }).item())).toBe(true);
      }
    }
    expect(AG.variance(variable([1, 2]), null, { correction: 3 }).item()).toBe(Infinity);
    expect(AG.std(variable([1, 2]), null, { correction: 3 }).item()).toBe(Infinity); // torch.std(…, correction=3) = inf
    expect(AG.variance(variable([1, 1]), null, { correction: 2 }).item()).toBeNaN();
    // torch.var(tensor([1., 2, 4]), 0, correction=1) = 2.3333
    expect(AG.variance(variable([1, 2, 4]), null, { correction: 1 }).item()).toBeCloseTo(7 / 3, 6);
  });

  it('a negative, infinite or NaN correction is refused with the kernel’s ValueError', () => {
    for (const correction of [-1, -0.5, Infinity, NaN]) {
      for (const [ag, kernel] of [
        [AG.variance, K.variance],
        [AG.std, K.std],
      ] as const) {
        sameError(
          () => ag(variable([1, 2]), null, { correction }),
          () => kernel(tensor([1, 2]), null, { correction }),
        );
      }
    }
    expect(() => AG.std(variable([1, 2]), 0, { correction: -1 })).toThrow(
      /^std: correction -1 must be a non-negative number \(0 = population, 1 = sample\)$/,
    );
    const text = '1' as unknown as number;
    expect(() => AG.variance(variable([1, 2]), 0, { correction: text })).toThrow(/^variance: correction "1" \(a string\)/);
  });
});

describe('take with plain-array indices', () => {
  const x = (): Variable => variable([10, 20, 30], { requiresGrad: true });

  it('refuses a fraction with the kernel’s message (it was truncated: [1.5] gave [20])', () => {
    sameError(
      () => AG.take(x(), [1.5]),
      () => K.take(tensor([10, 20, 30]), [1.5]),
    );
    expect(() => AG.take(x(), [-0.5])).toThrow(/^take: index -0.5 is not an integer; expected integral indices$/);
    expect(() => AG.take(variable([[1, 2]]), [0.25], 1)).toThrow(ValueError);
  });

  it('refuses an index out of int32 range with the kernel’s IndexError (was the int32 conversion’s error, named tensor)', () => {
    const e = thrown(() => AG.take(x(), [2 ** 32 + 1]));
    expect(e).toBeInstanceOf(IndexError);
    expect(e.message).toBe(thrown(() => K.take(tensor([10, 20, 30]), [2 ** 32 + 1])).message);
  });

  it('integral indices still work, with the gradient of torch.take', () => {
    // torch.take(tensor([10., 20, 30]), tensor([1, -1])) = [20, 30]; its gradient is [0, 1, 1]
    const v = x();
    const y = AG.take(v, [1, -1]);
    expect(y.toArray()).toEqual([20, 30]);
    y.sum().backward();
    expect(v.grad!.toArray()).toEqual([0, 1, 1]);
  });
});

describe('split validates its sizes like the tensor split', () => {
  const v = (): Variable => variable([0, 1, 2, 3, 4]);
  const t = (): K.Tensor => tensor([0, 1, 2, 3, 4]);

  it('sizes that are negative, fractional or do not add up: the kernel’s ValueError', () => {
    for (const sizes of [[-1, 6], [2.5, 2.5], [2, 2], [6]]) {
      sameError(
        () => AG.split(v(), sizes),
        () => K.split(t(), sizes),
      );
    }
  });

  it('sections that are not a positive integer divisor: the kernel’s ValueError (was a RangeError)', () => {
    for (const sections of [2.5, -5, 0, 2, NaN]) {
      sameError(
        () => AG.split(v(), sections),
        () => K.split(t(), sections),
      );
    }
  });

  it('a 0-d input and a non-array are refused by name; valid splits are unchanged', () => {
    const e = thrown(() => AG.split(variable(3), 1));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe(thrown(() => K.split(K.scalar(3), 1)).message);
    const text = 'ab' as unknown as number[];
    expect(() => AG.split(v(), text)).toThrow(/^split: expected a number of sections or an array of sizes, got "ab"/);
    // torch.split(arange(5.), [2, 3]) → [0, 1], [2, 3, 4]
    expect(AG.split(v(), [2, 3]).map((p) => p.toArray())).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    expect(AG.split(v(), [5, 0]).map((p) => p.shape)).toEqual([[5], [0]]);
  });
});

describe('concat and stack: one float dtype, an array of inputs', () => {
  it('mixed float32/float64 inputs are a DTypeError at the call (the backward used to fail), as binary ops', () => {
    const a = variable([1, 2], { requiresGrad: true });
    const b = variable([3], { dtype: 'float64' });
    const e = thrown(() => AG.concat([a, b]));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toBe(
      'concat: inputs have different dtypes float32 [2] (xs[0]) and float64 [1] (xs[1]); convert one with variable(x, { dtype })',
    );
    expect(() => AG.stack([a, variable([3, 4], { dtype: 'float64' })])).toThrow(/^stack: inputs have different dtypes float32 \[2\]/);
    // A float64 Tensor constant is refused too (binary ops refuse it as well).
    expect(() => AG.concat([a, f64([3])])).toThrow(DTypeError);
    expect(() => AG.add(a, f64([3, 4]))).toThrow(DTypeError);
  });

  it('int32 constants and numbers take the float dtype of the inputs; gradients flow', () => {
    const a = variable([1, 2], { dtype: 'float64', requiresGrad: true });
    const y = AG.concat([i32([7]), a]);
    expect(y.dtype).toBe('float64');
    expect(y.toArray()).toEqual([7, 1, 2]);
    y.mul(variable(f64([5, 6, 7]))).sum().backward();
    expect(a.grad!.toArray()).toEqual([6, 7]);
    const s = variable(0.5, { dtype: 'float64', requiresGrad: true });
    const z = AG.stack([s, 3, i32(4)]);
    expect(z.dtype).toBe('float64');
    expect(z.toArray()).toEqual([0.5, 3, 4]);
    z.sum().backward();
    expect(s.grad!.item()).toBe(1);
    expect(AG.concat([i32([1]), i32([2])]).dtype).toBe('int32');
  });

  it('a non-array is a named ValueError (was "xs.map is not a function")', () => {
    const v = variable([1, 2]);
    for (const [fn, name] of [
      [AG.concat, 'concat'],
      [AG.stack, 'stack'],
    ] as const) {
      const join = fn as (xs: unknown) => Variable;
      const e = thrown(() => join(v));
      expect(e).toBeInstanceOf(ValueError);
      expect(e.message).toBe(`${name}: expected an array of variables, got a Variable`);
      expect(() => fn([])).toThrow(new RegExp(`^${name}: got an empty list`));
      expect(() => join([v, 'x'])).toThrow(new RegExp(`^${name}: expected a Variable, Tensor or number, got string`));
    }
  });
});

describe('clip with one bound', () => {
  it('x.clip(0): torch.clamp(x, min=0) — forward [0, 2], gradient [0, 1]', () => {
    const x = variable([-1, 2], { requiresGrad: true });
    const y = (x.clip as (min: number) => Variable)(0);
    expect(y.toArray()).toEqual([0, 2]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 1]);
  });

  it('clip(x, undefined | null, 1): torch.clamp(x, max=1) — forward [-1, 1], gradient [1, 0]', () => {
    for (const min of [undefined, null]) {
      const x = variable([-1, 2], { requiresGrad: true });
      const y = AG.clip(x, min, 1);
      expect(y.toArray()).toEqual([-1, 1]);
      y.sum().backward({ createGraph: true });
      expect(x.grad!.toArray()).toEqual([1, 0]);
    }
    const { tangent } = jvp((v: Variable) => AG.clip(v, 0), [f64([-1, 2])], [f64([3, 4])]);
    expect(tangent.toArray()).toEqual([0, 4]);
  });

  it('bounds are checked at the call, as the tensor clip checks them', () => {
    const x = variable([-1, 2], { requiresGrad: true });
    expect(() => AG.clip(x, NaN)).toThrow(/^clip: expected min ≤ max, got min=NaN, max=Infinity$/);
    expect(() => AG.clip(x, 2, 1)).toThrow(ValueError);
    expect(() => AG.clip(x, 'a' as unknown as number)).toThrow(/^clip: min must be a number, or null\/undefined for no bound; got "a"/);
  });
});

describe('leakyRelu and elu parameters', () => {
  it('a slope or α that is not a finite number is refused at the call (it gave NaN)', () => {
    const x = variable([-1, 2], { requiresGrad: true });
    expect(() => AG.leakyRelu(x, 'a' as unknown as number)).toThrow(/^leakyRelu: slope must be a finite number, got "a" \(a string\)$/);
    expect(() => x.leakyRelu(NaN)).toThrow(ValueError);
    expect(() => AG.elu(x, Infinity)).toThrow(/^elu: alpha must be a finite number, got Infinity$/);
    expect(() => x.elu(null as unknown as number)).toThrow(/^elu: alpha must be a finite number, got null$/);
  });

  it('valid parameters and the defaults still give torch’s values', () => {
    // F.leaky_relu(tensor([-1., 2]), 0.1) = [-0.1, 2] with gradient [0.1, 1]; F.elu(tensor([-1., 2]), 1.5) = [-0.9481807947158813, 2]
    const x = variable([-1, 2], { requiresGrad: true });
    const y = AG.leakyRelu(x, 0.1);
    expect(y.toArray()).toEqual([-0.10000000149011612, 2]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([0.10000000149011612, 1]);
    const elu = AG.elu(variable([-1, 2]), 1.5).toArray() as number[];
    expect(elu[0]).toBeCloseTo(-0.9481807947158813, 6);
    expect(elu[1]).toBe(2);
    expect(AG.leakyRelu(variable([-1])).toArray()).toEqual([-0.009999999776482582]);
    expect(AG.elu(variable([-1])).value.equals(K.elu(tensor([-1])))).toBe(true);
  });
});
