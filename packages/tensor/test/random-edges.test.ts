/**
 * Edge cases of the random functions found by an outside probe: float32 draws that rounded to `high`, randint's bias on
 * wide float64 ranges, silent ±Infinity/NaN from infinite or overflowing arguments, raw TypeErrors from shuffle and
 * permutation, and manualSeed replacing the default generator instead of reseeding it. Ordinary draws must not change:
 * each fix is checked against the plain formula on a twin generator.
 */
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  Generator,
  TapegradError,
  Tensor,
  ValueError,
  getDefaultGenerator,
  manualSeed,
  normal,
  permutation,
  rand,
  randint,
  randn,
  shuffle,
  tensor,
  uniform,
} from '@tapegrad/tensor';

const f64 = { dtype: 'float64' as const };
const any = <T>(v: unknown): T => v as T;

/** The generator state after which seed 0's next double is ≥ 1 − 2⁻²⁵ (its first such draw, after ~6.5e7 draws). */
const NEAR_ONE = { seed: 0, prng: { c: 82714, s0: 0.7318318313919008, s1: 0.13246522727422416, s2: 0.40268151368945837 }, spare: null };

/** Chi-squared statistic of `values mod k` against k equally likely classes. */
function chi2Mod(values: ArrayLike<number>, k: number): number {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < values.length; i++) counts[values[i]! % k]!++;
  const e = values.length / k;
  return counts.reduce((s, o) => s + (o - e) ** 2 / e, 0);
}

describe('float32 uniform/rand stay in [low, high)', () => {
  it('uniform([8], 1e7, 1e7 + 1) never returns high (about half did: float32 spacing there is 1)', () => {
    const v = Array.from(uniform([8], 1e7, 1e7 + 1, { generator: new Generator(0) }).values());
    expect(v).toEqual(new Array(8).fill(1e7));
    const w = uniform([2000], 1, 1 + 2 ** -20, { generator: new Generator(3) }).values();
    for (const x of w) expect(x >= 1 && x < 1 + 2 ** -20).toBe(true);
  });

  it('rand in float32 returns 1 − 2⁻²⁴ for the draw u ≥ 1 − 2⁻²⁵ that float32 rounds to 1', () => {
    const g = new Generator(0);
    g.setState(NEAR_ONE);
    const u = new Generator(0);
    u.setState(NEAR_ONE);
    const d = u.random();
    expect(d).toBeGreaterThanOrEqual(1 - 2 ** -25);
    expect(Math.fround(d)).toBe(1); // the rounding at fault
    expect(rand([1], { generator: g }).values()[0]).toBe(1 - 2 ** -24);
    g.setState(NEAR_ONE);
    expect(uniform([1], 0, 1, { generator: g }).values()[0]).toBe(1 - 2 ** -24);
    g.setState(NEAR_ONE); // float64 holds the draw itself
    expect(rand([1], { generator: g, ...f64 }).values()[0]).toBe(d);
  });

  it('a low that float32 does not hold: draws that rounded below it take the float32 just above it', () => {
    // float32 near 0.7: 0.69999999 (< low), 0.70000005, 0.70000011 (> high) — one value in [0.7, 0.7000001)
    const v = uniform([500], 0.7, 0.7000001, { generator: new Generator(4) }).values();
    for (const x of v) expect(x).toBe(Math.fround(0.70000005));
  });

  it('refuses a float32 interval that holds no float32 value', () => {
    expect(() => uniform([2], 0.1, 0.1000000001)).toThrow(ValueError);
    expect(() => uniform([2], 0.1, 0.1000000001)).toThrow(
      "uniform: [0.1, 0.1000000001) holds no float32 value; widen it or pass { dtype: 'float64' }",
    );
    expect(uniform([2], 0.1, 0.1000000001, f64).values().every((x) => x >= 0.1 && x < 0.1000000001)).toBe(true);
    expect(Array.from(uniform([2], 0.7, 0.7).values())).toEqual([Math.fround(0.7), Math.fround(0.7)]); // low === high: low
  });

  it('ordinary draws are bit-identical to the plain formula (float32 rounding of low + (high − low)·u)', () => {
    for (const [low, high] of [
      [0, 1],
      [-2, 3],
      [-0.05, 0.05],
      [1e3, 1e3 + 1],
    ] as const) {
      const g = new Generator(11);
      const twin = new Generator(11);
      const v32 = uniform([3000], low, high, { generator: g }).values();
      for (const x of v32) expect(x).toBe(Math.fround(low + (high - low) * twin.random()));
      const v64 = uniform([3000], low, high, { generator: g, ...f64 }).values();
      for (const x of v64) expect(x).toBe(low + (high - low) * twin.random());
    }
    const g = new Generator(12);
    const twin = new Generator(12);
    for (const x of rand([3000], { generator: g }).values()) expect(x).toBe(Math.fround(twin.random()));
    for (const x of randn([3000], { generator: g }).values()) expect(x).toBe(Math.fround(twin.normal()));
  });
});

describe('randint is uniform on wide float64 ranges', () => {
  it('randint(0, 3·2⁵¹) is uniform mod 3 (chi² ≈ 720 before, from ⌊u·width⌋)', () => {
    const v = randint(0, 3 * 2 ** 51, [60000], { ...f64, generator: new Generator(1) }).values();
    for (const x of v) expect(Number.isInteger(x) && x >= 0 && x < 3 * 2 ** 51).toBe(true);
    expect(chi2Mod(v, 3)).toBeLessThan(20); // df 2: P(chi² > 20) ≈ 5e-5; 2.1 here, ≈ 720 before
    const w = randint(0, 5 * 2 ** 50, [60000], { ...f64, generator: new Generator(5) }).values();
    expect(chi2Mod(w, 5)).toBeLessThan(25); // df 4 (≈ 530 before)
    // Generator.int itself, on a range starting below zero: ⌊u·7·2⁵⁰⌋ maps each 8 consecutive 53-bit draws onto 7
    // values, those ≡ 0 mod 7 twice
    const g = new Generator(5);
    const direct = Array.from({ length: 60000 }, () => g.int(-(2 ** 52), -(2 ** 52) + 7 * 2 ** 50) + 2 ** 52);
    for (const x of direct) expect(x >= 0 && x < 7 * 2 ** 50).toBe(true);
    expect(chi2Mod(direct, 7)).toBeLessThan(30); // df 6 (≈ 490 before)
  });

  it('widths up to 2³², and power-of-two widths, keep the values of low + ⌊u·width⌋ (bit for bit)', () => {
    for (const [low, high, dtype] of [
      [0, 10, 'int32'],
      [-5, 7, 'int32'],
      [-(2 ** 31), 2 ** 31, 'int32'],
      [0, 2 ** 24 + 1, 'float32'],
      [0, 2 ** 32, 'float64'],
      [3, 3 + 2 ** 40, 'float64'],
      [-(2 ** 52), 2 ** 52, 'float64'],
    ] as const) {
      const g = new Generator(21);
      const twin = new Generator(21);
      const v = randint(low, high, [2000], { dtype, generator: g }).values();
      for (const x of v) expect(x).toBe(low + Math.floor(twin.random() * (high - low)));
    }
  });
});

describe('uniform and normal refuse infinite, overflowing and non-number arguments', () => {
  it('uniform: non-finite bounds, an overflowing width, bounds beyond float32, strings', () => {
    expect(() => uniform([2], -1e308, 1e308, f64)).toThrow(
      'uniform: high − low must be at most 1.7976931348623157e+308 (the largest float64), got low=-1e+308, high=1e+308, which overflows',
    );
    expect(() => uniform([2], -Infinity, 0)).toThrow('uniform: low must be a finite number, got -Infinity');
    expect(() => uniform([2], 0, Infinity, f64)).toThrow('uniform: high must be a finite number, got Infinity');
    expect(() => uniform([2], NaN, 1)).toThrow('uniform: low must be a finite number, got NaN');
    expect(() => uniform([2], 0, 1e39)).toThrow(
      "uniform: high (1e+39) is outside float32's range ±3.4028234663852886e+38; pass { dtype: 'float64' }",
    );
    expect(() => uniform([2], -1e39, 0)).toThrow(/uniform: low \(-1e\+39\) is outside float32's range/);
    expect(() => uniform([3], any('1'), any('2'))).toThrow('uniform: low must be a finite number, got "1" (a string)');
    expect(() => uniform([3], 0, any('2'))).toThrow('uniform: high must be a finite number, got "2" (a string)');
    expect(() => uniform([3], any(null), 1)).toThrow('uniform: low must be a finite number, got null');
    // the largest allowed cases still give finite values in range
    const wide = uniform([1000], -8e307, 8e307, { ...f64, generator: new Generator(2) }).values();
    for (const x of wide) expect(x >= -8e307 && x < 8e307).toBe(true);
    const f32 = uniform([1000], -3e38, 3e38, { generator: new Generator(2) }).values();
    for (const x of f32) expect(Number.isFinite(x) && x >= -3e38 && x < 3e38).toBe(true);
  });

  it('normal: NaN/±Infinity mean or std, strings, and a std whose draws would overflow the dtype', () => {
    expect(() => normal([3], NaN, 1)).toThrow('normal: mean must be a finite number, got NaN');
    expect(() => normal([3], Infinity, 1)).toThrow('normal: mean must be a finite number, got Infinity');
    expect(() => normal([3], 0, Infinity)).toThrow('normal: std must be ≥ 0 and finite, got Infinity');
    expect(() => normal([3], 0, NaN)).toThrow('normal: std must be ≥ 0 and finite, got NaN');
    expect(() => normal([3], 0, -1)).toThrow('normal: std must be ≥ 0 and finite, got -1');
    expect(() => normal([3], any('0'), 1)).toThrow('normal: mean must be a finite number, got "0" (a string)');
    expect(() => normal([3], 0, any('1'))).toThrow('normal: std must be a number, got "1" (a string)');
    expect(() => normal([3], 1e39, 1)).toThrow("normal: mean (1e+39) is outside float32's range ±3.4028234663852886e+38");
    expect(() => normal([3], 0, 1e39)).toThrow(
      'normal: std (1e+39) is too large for float32 with mean 0: draws reach |mean| + 8.6·std, beyond its largest value ' +
        "3.4028234663852886e+38; pass { dtype: 'float64' }",
    );
    expect(() => normal([3], 0, 1e308, f64)).toThrow(/normal: std \(1e\+308\) is too large for float64 with mean 0/);
    const big = normal([20000], 0, 3.9e37, { generator: new Generator(6) }).values();
    expect(big.every((x) => Number.isFinite(x))).toBe(true);
    expect(Array.from(normal([2], 1.5, 0).values())).toEqual([1.5, 1.5]);
  });

  it('int32 stays a DTypeError (no fractional draws), not a range message about another dtype', () => {
    const i32 = { dtype: 'int32' as const };
    expect(() => uniform([2], -1e308, 1e308, i32)).toThrow(DTypeError);
    expect(() => normal([2], 1e39, 1, i32)).toThrow(DTypeError);
    expect(() => normal([2], 0, 1e308, i32)).toThrow(/normal: dtype int32 cannot hold fractional draws/);
  });

  it('every refusal is a ValueError (a TapegradError)', () => {
    for (const f of [() => uniform([1], -Infinity, 0), () => normal([1], NaN, 1), () => uniform([1], 0, 1e39)]) {
      expect(f).toThrow(ValueError);
      expect(f).toThrow(TapegradError);
    }
  });
});

describe('shuffle and permutation check their arguments like the creation functions', () => {
  it('a generator that is not a Generator is a ValueError, as in rand (it was TypeError "g.int is not a function")', () => {
    expect(() => shuffle([1, 2, 3], any({ generator: {} }))).toThrow('shuffle: options.generator must be a Generator, got an object');
    expect(() => permutation(3, any({ generator: 5 }))).toThrow('permutation: options.generator must be a Generator, got 5');
    expect(() => permutation(3, any({ generator: { random: () => 0.5 } }))).toThrow(ValueError);
    expect(() => rand([2], any({ generator: {} }))).toThrow('rand: options.generator must be a Generator, got an object');
    expect(() => shuffle([1, 2], any(null))).toThrow('shuffle: options must be an object such as { generator }, got null');
    expect(() => permutation(2, any(7))).toThrow('permutation: options must be an object such as { generator }, got 7');
  });

  it('refuses null, strings and frozen arrays by name', () => {
    expect(() => shuffle(any<number[]>(null))).toThrow('shuffle: expected an array or a typed array to shuffle in place, got null');
    expect(() => shuffle(any<number[]>(undefined))).toThrow(/shuffle: expected an array .* got undefined/);
    expect(() => shuffle(any<number[]>('abc'))).toThrow(/shuffle: expected an array .* got "abc" \(a string\)/);
    expect(() => shuffle(any<number[]>(3))).toThrow(/got 3$/);
    expect(() => shuffle(Object.freeze([1, 2, 3]) as unknown as number[])).toThrow(
      'shuffle: the array is frozen, so it cannot be shuffled in place; shuffle a copy: shuffle([...array])',
    );
    expect(shuffle(Object.freeze([1]) as unknown as number[])).toEqual([1]); // nothing to move
    expect(shuffle([])).toEqual([]);
  });

  it('refuses a Tensor (it was returned unchanged), pointing at permutation + take', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(() => shuffle(any<number[]>(x))).toThrow(ValueError);
    expect(() => shuffle(any<number[]>(x))).toThrow(
      'shuffle: got a Tensor of shape [3, 2] (float32); shuffle permutes an array in place and does not rearrange tensors — ' +
        'for a copy shuffled along axis 0 use x.take(permutation(x.shape[0], { generator }), 0)',
    );
    // the advice works: rows shuffled, each row intact
    const y = x.take(permutation(x.shape[0]!, { generator: new Generator(1) }), 0);
    expect(y).toBeInstanceOf(Tensor);
    const rows = (y.toArray() as number[][]).map((r) => r.join()).sort();
    expect(rows).toEqual(['1,2', '3,4', '5,6']);
  });

  it('valid shuffles keep their stream: permutation equals Fisher–Yates on g.int', () => {
    const p = permutation(50, { generator: new Generator(8) }).values();
    const twin = new Generator(8);
    const ref = Array.from({ length: 50 }, (_, i) => i);
    for (let i = 49; i > 0; i--) {
      const j = Math.floor(twin.random() * (i + 1));
      [ref[i], ref[j]] = [ref[j]!, ref[i]!];
    }
    expect(Array.from(p)).toEqual(ref);
  });
});

describe('manualSeed', () => {
  it('reseeds the default generator in place: a handle taken before follows the new seed (torch.manual_seed)', () => {
    const handle = getDefaultGenerator();
    const returned = manualSeed(1);
    expect(returned).toBe(handle);
    expect(getDefaultGenerator()).toBe(handle);
    const expected = new Generator(1);
    expect(handle.random()).toBe(expected.random());
    expect(handle.seed).toBe(1);
    handle.normal(); // leaves a spare, which reseeding drops
    manualSeed('x');
    const x = new Generator('x');
    expect([handle.normal(), handle.random()]).toEqual([x.normal(), x.random()]);
    manualSeed(42);
    const a = Array.from(rand([5]).values());
    manualSeed(42);
    expect(Array.from(rand([5]).values())).toEqual(a);
    expect(Array.from(rand([5], { generator: new Generator(42) }).values())).toEqual(a);
  });
});
