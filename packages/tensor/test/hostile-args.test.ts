/**
 * Hostile and out-of-range arguments: each is refused with one of the package's named errors (naming the op, what it
 * got and what it expected), never a raw TypeError/RangeError from inside and never a silently wrong value.
 */
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  Generator,
  IndexError,
  MAX_NDIM,
  MAX_SIZE,
  ShapeError,
  Tensor,
  TapegradError,
  ValueError,
  add,
  arange,
  concat,
  eye,
  fmtValue,
  formatTensor,
  full,
  linspace,
  manualSeed,
  ones,
  rand,
  randint,
  randn,
  scalar,
  stack,
  sum,
  tensor,
  where,
  zeros,
} from '@tapegrad/tensor';

const f64 = { dtype: 'float64' as const };
const i32 = { dtype: 'int32' as const };
const any = <T>(v: unknown): T => v as T;

/** The error `f` throws (failing the test if it throws nothing). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('int32: a value int32 cannot hold is refused, never wrapped', () => {
  it('randint refuses a range that does not fit int32 (it returned negatives for [0, 2^40))', () => {
    expect(() => randint(0, 2 ** 40, [5])).toThrow(ValueError);
    expect(() => randint(0, 2 ** 40, [5])).toThrow(
      'randint: range [0, 1099511627776) does not fit dtype int32: expected -2147483648 ≤ low and high − 1 ≤ 2147483647',
    );
    expect(() => randint(-(2 ** 40), 0, [5])).toThrow(/randint: range \[-1099511627776, 0\) does not fit dtype int32/);
    expect(() => randint(-(2 ** 31) - 1, 0, [1])).toThrow(ValueError);
    expect(() => randint(0, 2 ** 31 + 1, [1])).toThrow(ValueError);
    // the whole int32 range is allowed, and its values stay in it
    const t = randint(-(2 ** 31), 2 ** 31, [1000], { generator: new Generator(1) });
    expect(t.dtype).toBe('int32');
    const v = Array.from(t.values());
    expect(v.some((x) => x < 0) && v.some((x) => x > 0)).toBe(true);
  });

  it('randint into floats: exact integers only (float32 ±2^24, float64 safe integers) and a range at most 2^53 wide', () => {
    expect(() => randint(0, 2 ** 24 + 1, [3], { dtype: 'float32' })).not.toThrow();
    expect(() => randint(0, 2 ** 24 + 2, [3], { dtype: 'float32' })).toThrow(/does not fit dtype float32.*16777216/);
    const big = randint(0, 2 ** 40, [50], { dtype: 'float64', generator: new Generator(2) });
    for (const x of big.values()) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 40).toBe(true);
    expect(Math.max(...big.values())).toBeGreaterThan(2 ** 32); // not wrapped into int32 range
    expect(() => randint(-(2 ** 53), 0, [1], f64)).toThrow(/does not fit dtype float64/);
    expect(() => randint(-(2 ** 52), 2 ** 52, [1], f64)).not.toThrow();
    expect(() => randint(-(2 ** 52) - 1, 2 ** 52, [1], f64)).toThrow(/randint: range .* wide; at most 2\^53/);
    expect(() => randint(any('0'), 5, [1])).toThrow(/randint: expected integers low < high, got low="0" \(a string\)/);
  });

  it('tensor(…, { dtype: int32 }) refuses 3e9, NaN and ±Infinity with the value and its position', () => {
    expect(() => tensor([3e9], undefined, i32)).toThrow(ValueError);
    expect(() => tensor([3e9], undefined, i32)).toThrow(
      'tensor: value 3000000000 at [0] (flat index 0) is not representable as int32; expected a finite number whose integer part is in ' +
        '[-2147483648, 2147483647] (fractions truncate toward zero)',
    );
    expect(() => tensor([NaN, Infinity], undefined, i32)).toThrow(/tensor: value NaN at \[0\] \(flat index 0\)/);
    expect(() => tensor([1, Infinity], undefined, i32)).toThrow(/value Infinity at \[1\]/);
    expect(() => tensor([[1, 2], [3, -Infinity]], undefined, i32)).toThrow(/value -Infinity at \[1, 1\] \(flat index 3\)/);
    expect(() => tensor(new Float64Array([1, 2 ** 31]), undefined, i32)).toThrow(/tensor: value 2147483648 at flat index 1/);
    expect(() => tensor(new Float32Array([1.5, NaN]), undefined, i32)).toThrow(/value NaN at flat index 1/);
  });

  it('fractions still truncate toward zero (documented), up to the int32 limits', () => {
    expect(tensor([1.5, 2.7, -1.5, -2.7], undefined, i32).toArray()).toEqual([1, 2, -1, -2]);
    const edge = tensor([2147483647.9, -2147483648.9, 0.5, -0.5], undefined, f64);
    expect(edge.astype('int32').toArray()).toEqual([2147483647, -2147483648, 0, 0]);
    expect(tensor([2147483647, -2147483648], undefined, i32).toArray()).toEqual([2147483647, -2147483648]);
  });

  it('astype(int32) refuses what int32 cannot hold, naming the flat (row-major) index, also on strided views', () => {
    expect(() => tensor([1, 3e9, -3e9], undefined, f64).astype('int32')).toThrow(
      /astype: value 3000000000 at flat index 1 is not representable as int32/,
    );
    expect(() => tensor([2, NaN]).astype('int32')).toThrow(/astype: value NaN at flat index 1/);
    // transposed: row-major order of the view is [1, 2, NaN, 3]
    const t = tensor([[1, NaN], [2, 3]], undefined, f64).T;
    expect(() => t.astype('int32')).toThrow(/astype: value NaN at flat index 2/);
    expect(() => tensor([5e9]).expand(3, 2).astype('int32')).toThrow(/flat index 0/);
    expect(tensor([[1.9, -1.9], [3, 4]]).T.astype('int32').toArray()).toEqual([
      [1, 3],
      [-1, 4],
    ]);
  });

  it('the other int32 creators check their values too: scalar, full, fullLike via full, arange, linspace', () => {
    expect(() => scalar(NaN, i32)).toThrow(/scalar: value NaN is not representable as int32/);
    expect(() => full([2], 3e9, i32)).toThrow(/full: value 3000000000 is not representable as int32/);
    expect(() => arange(2 ** 31 - 2, 2 ** 31 + 1, 1, i32)).toThrow(/arange: value 2147483648 at flat index 2/);
    expect(() => linspace(0, 3e9, 3, i32)).toThrow(/linspace: value 3000000000 at flat index 2/);
    expect(arange(2 ** 31 - 3, 2 ** 31, 1, i32).toArray()).toEqual([2 ** 31 - 3, 2 ** 31 - 2, 2 ** 31 - 1]);
    expect(full([2], 2.5, i32).toArray()).toEqual([2, 2]);
  });
});

describe('printing reads elements through the strides', () => {
  it('a huge broadcast view prints its corners without being copied (it threw RangeError: Invalid typed array length)', () => {
    const rows = '[1., 1., 1., ..., 1., 1., 1.]';
    expect(scalar(1).expand(100000, 100000).toString()).toBe(
      `tensor([${rows},\n        ${rows},\n        ${rows},\n        ...,\n        ${rows},\n        ${rows},\n        ${rows}], ` +
        'shape=[100000, 100000])',
    );
    const cols = arange(0, 100000).reshape(100000, 1).expand(100000, 100000).slice([null, null, -1]);
    const lines = formatTensor(cols).split('\n');
    expect(lines[0]).toBe('tensor([[99999., 99999., 99999., ..., 99999., 99999., 99999.],');
    expect(lines[6]).toBe('        [    0.,     0.,     0., ...,     0.,     0.,     0.]], shape=[100000, 100000])');
    expect(formatTensor(arange(0, 100000).expand(100000, 100000)).split('\n')[0]).toBe(
      'tensor([[    0.,     1.,     2., ..., 99997., 99998., 99999.],',
    );
  });

  it('strided views print exactly like their contiguous copies (transposed, negative steps, offsets, elided)', () => {
    const x = arange(0, 2000).reshape(40, 50);
    const small = arange(0, 12, 1, f64).reshape(3, 4);
    for (const v of [x.T, x.slice([null, null, -1], [1, 50, 3]), x.T.slice(null, [null, null, -2]), small.T, small.slice(1, [3, 0, -1])]) {
      expect(formatTensor(v)).toBe(formatTensor(v.contiguous()));
      expect(formatTensor(v, { threshold: 5, edgeItems: 1 })).toBe(formatTensor(v.contiguous(), { threshold: 5, edgeItems: 1 }));
    }
  });

  it('bad format options are named instead of leaking a RangeError from toFixed', () => {
    expect(() => formatTensor(tensor([1.5]), { precision: -1 })).toThrow(
      'formatTensor: options.precision is -1; expected an integer from 0 to 100',
    );
    expect(() => formatTensor(tensor([1.5]), { precision: 1000 })).toThrow(ValueError);
    expect(() => formatTensor(tensor([1.5]), { threshold: NaN })).toThrow(/options.threshold is NaN/);
    expect(() => formatTensor(tensor([1.5]), { edgeItems: -5 })).toThrow(/options.edgeItems is -5/);
    expect(() => formatTensor(any(null))).toThrow(DTypeError);
  });
});

describe('hostile arguments get named errors', () => {
  const creators: [string, (shape: unknown) => unknown][] = [
    ['zeros', (s) => zeros(any(s))],
    ['ones', (s) => ones(any(s))],
    ['full', (s) => full(any(s), 2)],
    ['rand', (s) => rand(any(s))],
    ['randn', (s) => randn(any(s))],
    ['randint', (s) => randint(0, 5, any(s))],
  ];

  it('a shape must be an array: zeros(3), zeros("3"), zeros(null), randn(5) …', () => {
    for (const [name, make] of creators) {
      expect(() => make(3), name).toThrow(`${name}: shape must be an array of non-negative integers, got 3; for a 1-D shape pass [3]`);
      expect(() => make('3'), name).toThrow(`${name}: shape must be an array of non-negative integers, got "3" (a string)`);
      expect(() => make(null), name).toThrow(`${name}: shape must be an array of non-negative integers, got null`);
      expect(() => make({ length: 2 }), name).toThrow(ValueError);
      expect(() => make(['2']), name).toThrow(`${name}: shape ["2"] has a dimension "2" (a string); expected non-negative integers`);
      expect(() => make([2, 1.5]), name).toThrow(`${name}: shape [2, 1.5] has a dimension 1.5; expected non-negative integers`);
    }
  });

  it('a shape or length beyond MAX_SIZE (2^31 − 1) names the op and the limit', () => {
    expect(MAX_SIZE).toBe(2 ** 31 - 1);
    expect(() => zeros([1e10])).toThrow(
      'zeros: shape [10000000000] has 10000000000 elements; at most 2147483647 (2^31 − 1, MAX_SIZE) are supported',
    );
    expect(() => zeros([1e5, 1e5])).toThrow(/zeros: shape \[100000, 100000\] has 10000000000 elements; at most 2147483647/);
    expect(() => zeros([2 ** 31])).toThrow(ValueError);
    expect(() => randn([1e10])).toThrow(/randn: .* at most 2147483647/);
    expect(() => eye(1e5)).toThrow(/eye: shape \[100000, 100000\] has 10000000000 elements/);
    expect(() => zeros([0, 1e10])).not.toThrow(); // no elements: nothing to address
    expect(() => arange(0, 1e12)).toThrow(
      'arange: start=0, stop=1000000000000, step=1 gives 1000000000000 elements; at most 2147483647 (2^31 − 1, MAX_SIZE) are supported',
    );
    expect(() => arange(0, Infinity)).toThrow(
      /arange: start and stop must be finite numbers, got start=0, stop=Infinity.*at most 2147483647/,
    );
    expect(() => arange(NaN)).toThrow(/arange: start and stop must be finite numbers, got start=0, stop=NaN/);
    expect(() => arange(any('0'), 5)).toThrow('arange: start must be a number, got "0" (a string)');
    expect(() => linspace(0, 1, 1e12)).toThrow(/linspace: num must be an integer from 0 to 2147483647/);
    expect(() => arange(0, 1e5).expand(1e5, 1e5).values()).toThrow(/values: cannot allocate 10000000000 elements/);
  });

  it('an unknown dtype is named with the known ones (it escaped as a TypeError or a confusing Tensor error)', () => {
    const known = 'expected one of float32, float64, int32';
    expect(() => zeros([2], any({ dtype: 'int64' }))).toThrow(DTypeError);
    expect(() => zeros([2], any({ dtype: 'int64' }))).toThrow(`zeros: unknown dtype "int64"; ${known}`);
    expect(() => tensor([1]).astype(any('int8'))).toThrow(`astype: unknown dtype "int8"; ${known}`);
    expect(() => tensor([1], undefined, any({ dtype: 'uint8' }))).toThrow(`tensor: unknown dtype "uint8"; ${known}`);
    expect(() => randn([2], any({ dtype: 'half' }))).toThrow(`randn: unknown dtype "half"; ${known}`);
    expect(() => arange(3, undefined, 1, any({ dtype: null }))).toThrow(`arange: unknown dtype null; ${known}`);
    expect(() => zeros([2], any('int32'))).toThrow(`zeros: options must be an object such as { dtype: 'float64' }, got "int32" (a string)`);
    expect(() => rand([2], i32)).toThrow(/rand: dtype int32 cannot hold fractional draws/);
  });

  it('a bad axis type or a fractional axis says so (it was a TypeError or "out of range")', () => {
    const a = arange(0, 24).reshape(2, 3, 4);
    expect(() => a.sum(any('1'))).toThrow(IndexError);
    expect(() => a.sum(any('1'))).toThrow('sum: axes must be an integer, an array of integers or null (all axes), got "1" (a string)');
    expect(() => sum(a, any('1'))).toThrow(/sum: axes must be an integer/);
    expect(() => a.mean(any({}))).toThrow(/mean: axes must be an integer.*got an object/);
    expect(() => a.sum(any(['1']))).toThrow('sum: axis "1" (a string) is not an integer; expected an integer with -3 ≤ axis < 3');
    expect(() => a.sum(0.5)).toThrow('sum: axis 0.5 is not an integer; expected an integer with -3 ≤ axis < 3');
    expect(() => a.sum(NaN)).toThrow('sum: axis NaN is not an integer');
    expect(() => a.softmax(1.5)).toThrow('softmax: axis 1.5 is not an integer');
    expect(() => a.sum(3)).toThrow('sum: axis 3 is out of range for a tensor with 3 dimensions (expected -3 ≤ axis < 3)');
    expect(() => sum(any(null))).toThrow('sum: expected a Tensor, got null');
  });

  it('add(null) / add(t, null) name the argument and what it got (it was a TypeError reading dtype)', () => {
    const t = zeros([2]);
    expect(() => t.add(any(null))).toThrow(DTypeError);
    expect(() => t.add(any(null))).toThrow('add: argument b is null; expected a Tensor or a number');
    expect(() => add(t, any(null))).toThrow('add: argument b is null; expected a Tensor or a number');
    expect(() => add(any(null), t)).toThrow('add: argument a is null; expected a Tensor or a number');
    expect(() => add(any(undefined), 1)).toThrow('add: argument a is undefined; expected a Tensor or a number');
    expect(() => t.mul(any('3'))).toThrow('mul: argument b is "3" (a string); expected a Tensor or a number');
    expect(() => where(tensor([1, 0]), any(null), 1)).toThrow('where: argument a is null; expected a Tensor or a number');
    expect(() => t.matmul(any(null))).toThrow('matmul: expected a Tensor for b, got null');
  });

  it('concat / stack need an array of tensors (they threw TypeErrors)', () => {
    const t = zeros([2]);
    expect(() => concat(any([t, [1]]))).toThrow(DTypeError);
    expect(() => concat(any([t, [1]]))).toThrow('concat: expected a Tensor for tensors[1], got an array of length 1');
    expect(() => concat(any(t))).toThrow(ValueError);
    expect(() => concat(any(t))).toThrow('concat: expected an array of tensors, got a Tensor of shape [2] (float32)');
    expect(() => concat(any(null))).toThrow('concat: expected an array of tensors, got null');
    expect(() => stack(any([t, null]))).toThrow('stack: expected a Tensor for tensors[1], got null');
    expect(() => stack(any(t))).toThrow('stack: expected an array of tensors, got a Tensor');
  });

  it(`tensor() refuses nesting deeper than MAX_NDIM (${MAX_NDIM}) instead of overflowing the stack`, () => {
    expect(MAX_NDIM).toBe(32);
    const nest = (depth: number): unknown => {
      let a: unknown = 1;
      for (let i = 0; i < depth; i++) a = [a];
      return a;
    };
    const deep = thrown(() => tensor(any(nest(20000))));
    expect(deep).toBeInstanceOf(ValueError);
    expect(deep.message).toBe('tensor: the nested array is more than 32 levels deep; at most 32 dimensions (MAX_NDIM) are supported');
    expect(tensor(any(nest(32))).shape).toEqual(new Array(32).fill(1));
    expect(() => tensor(any(nest(33)))).toThrow(ValueError);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => tensor(any(cyclic))).toThrow(/more than 32 levels deep/);
    expect(() => zeros(new Array(33).fill(1))).toThrow('zeros: shape has 33 dimensions; at most 32 (MAX_NDIM) are supported');
    expect(() => new Tensor(new Float32Array(1), new Array(33).fill(1))).toThrow(ShapeError);
    expect(() => arange(0, 3).take(any(nest(40)))).toThrow(/take: indices are nested more than 32 levels deep/);
  });

  it('tensor() says which element is not a number (it said "ragged nested array")', () => {
    expect(() => tensor(any(['a', 'b']))).toThrow(ValueError);
    expect(() => tensor(any(['a', 'b']))).toThrow('tensor: element [0] is "a" (a string); expected a number');
    expect(() => tensor(any([[1, 'x']]))).toThrow('tensor: element [0, 1] is "x" (a string); expected a number');
    expect(() => tensor(any([1, true]))).toThrow('tensor: element [1] is true (a boolean); expected a number');
    expect(() => tensor(any([[1], [null]]))).toThrow('tensor: element [1, 0] is null; expected a number');
    expect(() => tensor(any([[1], 'x']))).toThrow(/tensor: element \[1\] is "x" \(a string\); expected an array of length 1/);
    expect(() => tensor(any(null))).toThrow(/tensor: expected a number, a nested array of numbers or a Float32Array.*got null/);
    // genuinely ragged input is still a ShapeError saying so, now with the position
    expect(() => tensor(any([[1, 2], [3]]))).toThrow(ShapeError);
    expect(() => tensor(any([[1, 2], [3]]))).toThrow(
      'tensor: ragged nested array: expected 2 elements at depth 1 (shape [2, 2]), got 1 at [1]',
    );
    expect(() => tensor(any([1, [2]]))).toThrow(/tensor: ragged nested array: expected a number at \[1\]/);
    expect(() => tensor(any([[1], 2]))).toThrow(/ragged nested array: .* got the number 2 at \[1\]/);
    // options passed where the shape goes
    expect(() => tensor([1.5], any({ dtype: 'int32' }))).toThrow(
      /tensor: the second argument is the shape.*tensor\(values, undefined, \{ dtype \}\)/,
    );
    expect(() => scalar(any('1'))).toThrow('scalar: value must be a number, got "1" (a string)');
    expect(() => full([2], any('1'))).toThrow('full: value must be a number, got "1" (a string)');
  });

  it('manualSeed refuses a non-finite number or a non-number-or-string, and leaves the generator as it was', () => {
    manualSeed(5);
    const expected = Array.from(rand([3]).values());
    manualSeed(5);
    expect(() => manualSeed(NaN)).toThrow(ValueError);
    expect(() => manualSeed(NaN)).toThrow('manualSeed: seed must be a finite number or a string, got NaN');
    expect(() => manualSeed(Infinity)).toThrow(/got Infinity/);
    expect(() => manualSeed(any({}))).toThrow('manualSeed: seed must be a finite number or a string, got an object');
    expect(() => manualSeed(any(null))).toThrow(/got null/);
    expect(Array.from(rand([3]).values())).toEqual(expected);
    expect(() => new Generator(0).manualSeed(NaN)).toThrow('Generator.manualSeed: seed must be a finite number or a string, got NaN');
    expect(() => new Generator(any({}))).toThrow('Generator: seed must be a number or a string, got an object');
    expect(() => randn([2], any({ generator: {} }))).toThrow('randn: options.generator must be a Generator, got an object');
  });

  it('every refusal above is a TapegradError, never a raw TypeError or RangeError', () => {
    const calls: (() => unknown)[] = [
      () => zeros(any(3)),
      () => zeros([1e10]),
      () => arange(0, Infinity),
      () => zeros([2], any({ dtype: 'int64' })),
      () => tensor([1]).astype(any('int8')),
      () => zeros([2]).sum(any('1')),
      () => zeros([2]).add(any(null)),
      () => concat(any(zeros([2]))),
      () => manualSeed(NaN),
      () => randint(0, 2 ** 40, [5]),
      () => tensor([3e9], undefined, i32),
    ];
    for (const f of calls) expect(thrown(f)).toBeInstanceOf(TapegradError);
  });
});

describe('a Tensor of another copy of the package', () => {
  it('is described as such (the ESM and CommonJS builds loaded in one process make two Tensor classes)', () => {
    const Foreign = class Tensor {
      shape = [2];
      dtype = 'float32';
    };
    expect(fmtValue(new Foreign())).toBe(
      'a Tensor of shape [2] (float32) from another copy of the @tapegrad packages (their ESM and CommonJS builds loaded in ' +
        'one process, or two installs; load them one way)',
    );
    expect(fmtValue(zeros([2]))).toBe('a Tensor of shape [2] (float32)');
  });
});
