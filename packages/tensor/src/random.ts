import seedrandom from 'seedrandom';
import { checkNumber, optionDType } from './args.js';
import { INT32_MAX, INT32_MIN, allocate, type DType } from './dtype.js';
import { DTypeError, ValueError, fmtValue } from './errors.js';
import { MAX_SIZE, checkShape, sizeOf } from './shape.js';
import { Tensor } from './tensor.js';

/** A generator's full state, as {@link Generator.getState} returns it: the seed, Alea's state and Box–Muller's spare draw. */
export interface GeneratorState {
  seed: number | string;
  prng: { c: number; s0: number; s1: number; s2: number };
  spare: number | null;
}

/**
 * A seedable source of random numbers (seedrandom's Alea). The same seed gives the same sequence, bit for
 * bit, on every platform. Every function that draws takes an optional generator; without one it uses the
 * default generator, reseeded by {@link manualSeed}.
 */
export class Generator {
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  private spare: number | null = null;
  /** The seed this generator was created or last reseeded with. */
  seed: number | string;

  /**
   * `seed` is a number or a string; anything else (an object, null) is a ValueError. Unlike {@link manualSeed}, the
   * constructor still takes NaN and ±Infinity, as it always has (for compatibility; their states round-trip).
   */
  constructor(seed: number | string = 0) {
    checkSeed('Generator', seed, false);
    this.seed = seed;
    this.prng = seedrandom.alea(String(seed), { state: true });
  }

  /** Restarts the sequence from `seed`, a finite number or a string. */
  manualSeed(seed: number | string): this {
    checkSeed('Generator.manualSeed', seed);
    this.seed = seed;
    this.prng = seedrandom.alea(String(seed), { state: true });
    this.spare = null;
    return this;
  }

  /** A uniform double in [0, 1) with 53 bits of randomness. */
  random(): number {
    return this.prng.double();
  }

  /** A standard normal draw (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * A uniform integer in [low, high), for integers `low < high` at most 2⁵³ apart (unchecked: this is the hot path of
   * {@link shuffle}; {@link randint} checks its arguments). A width up to 2³² takes one draw, `low + ⌊u·width⌋`: its
   * values' probabilities differ from 1/width by a relative error of order width/2⁵³ (below 2⁻¹⁹), far too little to
   * measure. A wider range draws the 53-bit integer k = u·2⁵³ and rejects k ≥ 2⁵³ − (2⁵³ mod width) (fewer than half
   * of the draws), so every value is exactly equally likely; `⌊u·width⌋` was measurably biased there (chi² ≈ 720 for
   * width 3·2⁵¹). For a power-of-two width nothing is rejected and the values are those of `low + ⌊u·width⌋`.
   */
  int(low: number, high: number): number {
    const width = high - low;
    if (width <= 2 ** 32) return low + Math.floor(this.random() * width);
    const r = 2 ** 53 % width; // exact, as is every step below (integers up to 2⁵³)
    const limit = 2 ** 53 - r; // the largest multiple of width ≤ 2⁵³
    const q = limit / width; // draws per value
    let k: number;
    do k = this.random() * 2 ** 53;
    while (k >= limit);
    return low + (k - (k % q)) / q;
  }

  /** The generator's full state, for saving; {@link Generator.setState} restores it. */
  getState(): GeneratorState {
    const { c, s0, s1, s2 } = this.prng.state();
    return { seed: this.seed, prng: { c, s0, s1, s2 }, spare: this.spare };
  }

  /**
   * Restores a state from {@link Generator.getState}. The state is checked first (alea's `s0..s2` are fractions in
   * [0, 1) and its carry `c` a small non-negative integer): a state that did not come from a generator would
   * otherwise draw a constant stream, silently.
   */
  setState(state: GeneratorState): void {
    checkState(state);
    this.seed = state.seed;
    this.prng = seedrandom.alea('', { state: state.prng as seedrandom.State.Alea });
    this.spare = state.spare;
  }
}

/**
 * Throws a ValueError naming `fn` unless `seed` is a finite number (any number when `finite` is false) or a string.
 * The seed is hashed as text, so a non-finite number or an object would not fail but seed every such value alike
 * (`NaN` and `'NaN'`; `{}` and `'[object Object]'`).
 */
function checkSeed(fn: string, seed: unknown, finite = true): void {
  if (typeof seed === 'string' || (typeof seed === 'number' && (!finite || Number.isFinite(seed)))) return;
  throw new ValueError(`${fn}: seed must be a ${finite ? 'finite ' : ''}number or a string, got ${fmtValue(seed)}`);
}

/** Throws a ValueError naming what is wrong with a saved generator state. */
function checkState(state: unknown): void {
  const fail = (what: string): never => {
    throw new ValueError(`Generator.setState: ${what}; expected the object getState() returned ({ seed, prng: { c, s0, s1, s2 }, spare })`);
  };
  if (state === null || typeof state !== 'object') fail(`got ${state === null ? 'null' : typeof state}`);
  const { seed, prng, spare } = state as Record<string, unknown>;
  // the seed is a label (the stream is prng's state), so any seed the constructor took comes back
  if (typeof seed !== 'string' && typeof seed !== 'number') fail(`seed is ${String(seed)}`);
  if (!(spare === null || (typeof spare === 'number' && Number.isFinite(spare)))) fail(`spare is ${String(spare)}`);
  if (prng === null || typeof prng !== 'object') fail(`prng is ${prng === null ? 'null' : typeof prng}`);
  const p = prng as Record<string, unknown>;
  for (const k of ['s0', 's1', 's2']) {
    const v = p[k];
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(`prng.${k} is ${String(v)}, not a fraction in [0, 1)`);
  }
  const c = p.c;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 2091639) {
    fail(`prng.c is ${String(c)}, not an integer carry in [0, 2091639]`);
  }
}

const defaultGenerator = new Generator(0);

/** The generator used when none is passed. */
export const getDefaultGenerator = (): Generator => defaultGenerator;

/**
 * Reseeds the default generator in place (as `torch.manual_seed` reseeds `torch.default_generator`): the same seed
 * gives bit-identical draws afterwards, also through a handle from {@link getDefaultGenerator} taken before. Returns
 * the default generator. `seed` is a finite number or a string; anything else (NaN, an object) is a ValueError.
 */
export function manualSeed(seed: number | string): Generator {
  checkSeed('manualSeed', seed);
  return defaultGenerator.manualSeed(seed);
}

/** Options for the random creation functions. */
export interface RandomOptions {
  dtype?: DType;
  generator?: Generator;
}

/**
 * The generator in `options` (the default one when absent). Throws a ValueError naming `fn` when `options` is not an
 * object or its generator is not a Generator (an object without the methods `random`, `normal` and `int`).
 */
function generatorOf(fn: string, options: unknown): Generator {
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`${fn}: options must be an object such as { generator }, got ${fmtValue(options)}`);
  }
  const g: unknown = (options as { generator?: unknown }).generator ?? defaultGenerator;
  const m = g as Partial<Record<'random' | 'normal' | 'int', unknown>> | null;
  if (typeof m?.random !== 'function' || typeof m.normal !== 'function' || typeof m.int !== 'function') {
    throw new ValueError(`${fn}: options.generator must be a Generator, got ${fmtValue(g)}`);
  }
  return g as Generator;
}

/** Throws a ValueError naming `fn` and the argument `name` unless `v` is a finite number. */
function checkFinite(fn: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${fn}: ${name} must be a finite number, got ${fmtValue(v)}`);
}

/** The largest finite float32, (2 − 2⁻²³)·2¹²⁷. */
const FLOAT32_MAX = 3.4028234663852886e38;

const F32 = new Float32Array(1);
const F32_BITS = new Int32Array(F32.buffer);
const F64 = new Float64Array(1);
const F64_BITS = new BigInt64Array(F64.buffer);

/** The float32 next below `x`, a finite float32 (the bit pattern is a sign–magnitude integer). */
function nextDown32(x: number): number {
  if (x === 0) return -(2 ** -149);
  F32[0] = x;
  F32_BITS[0] = F32_BITS[0]! + (x > 0 ? -1 : 1);
  return F32[0]!;
}

/** The float64 next below `x`, a finite number. */
function nextDown64(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  F64[0] = x;
  F64_BITS[0] = F64_BITS[0]! + (x > 0 ? -1n : 1n);
  return F64[0]!;
}

/**
 * The least and the greatest value of `dtype` in [low, high) (finite, low < high); the least exceeds the greatest
 * when the interval holds none. float64: low itself, and the double below high.
 */
function boundsIn(dtype: DType, low: number, high: number): [number, number] {
  if (dtype !== 'float32') return [low, nextDown64(high)];
  let lo = Math.fround(low);
  if (lo < low) lo = -nextDown32(-lo);
  let hi = Math.fround(high);
  if (hi >= high) hi = nextDown32(hi);
  return [lo, hi];
}

/**
 * Fills a new tensor of `shape` with `draw(g)`. With `range` = [low, high] (low < high), a value that the dtype's
 * rounding took out of [low, high) — float32 rounds a double u ≥ 1 − 2⁻²⁵ to 1, and `low + (high − low)·u` to
 * `high` when high − low is small against high's spacing — is replaced by the nearest value of the dtype inside,
 * the one below `high` or the one above `low`: every value already inside stays as it was, bit for bit.
 */
function fill(
  fn: string,
  shape: readonly number[],
  options: RandomOptions,
  draw: (g: Generator) => number,
  dflt: DType = 'float32',
  range?: readonly [number, number],
): Tensor {
  checkShape(fn, shape);
  const dtype = optionDType(fn, options) ?? dflt;
  if (dtype === 'int32' && fn !== 'randint') {
    throw new DTypeError(`${fn}: dtype int32 cannot hold fractional draws (they would all truncate); use randint for integers`);
  }
  const g = generatorOf(fn, options);
  const data = allocate(dtype, sizeOf(shape), fn);
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  if (range) {
    const [low, high] = range;
    const [lo, hi] = boundsIn(dtype, low, high);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v >= high) data[i] = hi;
      else if (v < low) data[i] = lo;
    }
  }
  return new Tensor(data, shape);
}

/**
 * Uniform samples in [0, 1), in float32 too: the rare draw (u ≥ 1 − 2⁻²⁵, about one in 33 million) that float32
 * would round up to 1 is stored as 1 − 2⁻²⁴, the largest float32 below 1.
 */
export const rand = (shape: readonly number[], options: RandomOptions = {}): Tensor =>
  fill('rand', shape, options, (g) => g.random(), 'float32', [0, 1]);

/** Standard normal samples (mean 0, standard deviation 1). */
export const randn = (shape: readonly number[], options: RandomOptions = {}): Tensor => fill('randn', shape, options, (g) => g.normal());

/**
 * Uniform samples in [low, high), `low + (high − low)·u`, in float32 as in float64: a draw that the dtype would round
 * to `high` (or, in float32, below a `low` that float32 does not hold) is replaced by the dtype's nearest value inside
 * the interval, so ordinary draws are unchanged. `low === high` gives `low`. `low` and `high` must be finite numbers
 * (a string, ±Infinity or NaN is a ValueError), within the dtype's range (float32: ±3.4028234663852886e38), and
 * `high − low` must not overflow (float64; `torch.Tensor.uniform_` refuses that too); in float32 the interval must
 * hold a float32 value.
 */
export function uniform(shape: readonly number[], low = 0, high = 1, options: RandomOptions = {}): Tensor {
  checkFinite('uniform', 'low', low);
  checkFinite('uniform', 'high', high);
  if (!(high >= low)) throw new ValueError(`uniform: high (${high}) must be ≥ low (${low})`);
  const dtype = optionDType('uniform', options) ?? 'float32';
  if (dtype === 'float32') {
    for (const [name, v] of [
      ['low', low],
      ['high', high],
    ] as const) {
      if (Math.abs(v) > FLOAT32_MAX) {
        throw new ValueError(`uniform: ${name} (${v}) is outside float32's range ±${FLOAT32_MAX}; pass { dtype: 'float64' }`);
      }
    }
    if (high > low) {
      const [lo, hi] = boundsIn('float32', low, high);
      if (lo > hi) throw new ValueError(`uniform: [${low}, ${high}) holds no float32 value; widen it or pass { dtype: 'float64' }`);
    }
  } else if (dtype === 'float64' && high - low === Infinity) {
    throw new ValueError(
      `uniform: high − low must be at most ${Number.MAX_VALUE} (the largest float64), got low=${low}, high=${high}, which overflows`,
    );
  }
  return fill('uniform', shape, options, (g) => low + (high - low) * g.random(), 'float32', high > low ? [low, high] : undefined);
}

/**
 * How far a standard normal draw reaches: Box–Muller's radius √(−2 ln u) is at most √(106 ln 2) ≈ 8.5717 for this
 * generator, whose smallest nonzero u is 2⁻⁵³.
 */
const NORMAL_REACH = 8.6;

/**
 * Normal samples with the given mean and standard deviation. `mean` must be a finite number and `std` a finite number
 * ≥ 0, small enough that no draw overflows the dtype: |mean| + 8.6·std at most its largest value (float32:
 * 3.4028234663852886e38); otherwise a ValueError, never ±Infinity or NaN in the result.
 */
export function normal(shape: readonly number[], mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  checkFinite('normal', 'mean', mean);
  checkNumber('normal', 'std', std);
  if (!(std >= 0 && std < Infinity)) throw new ValueError(`normal: std must be ≥ 0 and finite, got ${std}`);
  const dtype = optionDType('normal', options) ?? 'float32';
  if (dtype !== 'int32') {
    // (int32 is refused by fill: normal draws are fractional)
    const max = dtype === 'float32' ? FLOAT32_MAX : Number.MAX_VALUE;
    const hint = dtype === 'float32' ? "; pass { dtype: 'float64' }" : '';
    if (Math.abs(mean) > max) throw new ValueError(`normal: mean (${mean}) is outside ${dtype}'s range ±${max}${hint}`);
    if (Math.abs(mean) + NORMAL_REACH * std > max) {
      throw new ValueError(
        `normal: std (${std}) is too large for ${dtype} with mean ${mean}: draws reach |mean| + ${NORMAL_REACH}·std, ` +
          `beyond its largest value ${max}${hint}`,
      );
    }
  }
  return fill('normal', shape, options, (g) => mean + std * g.normal());
}

/** The integers each dtype holds exactly, for {@link randint}: int32's range, and 2²⁴ / 2⁵³ − 1 for the floats. */
const EXACT_INTEGERS: Record<DType, [number, number, string]> = {
  int32: [INT32_MIN, INT32_MAX, 'int32'],
  float32: [-(2 ** 24), 2 ** 24, 'the integers float32 holds exactly'],
  float64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'the safe integers float64 holds exactly'],
};

/**
 * Uniform integers in [low, high), int32 unless a dtype is given. Every value of the range must be exact in the
 * dtype — int32: −2³¹ ≤ low and high − 1 ≤ 2³¹ − 1; float32: ±2²⁴; float64: ±(2⁵³ − 1) — and the range at most 2⁵³
 * wide (the generator's random bits); otherwise a ValueError, where NumPy and PyTorch may wrap silently. Draws come
 * from {@link Generator.int}: one draw per value up to a width of 2³² (a bias of order width/2⁵³, below 2⁻¹⁹ relative,
 * unmeasurable), rejection sampling on 53-bit integers beyond it, so wide float64 ranges are exactly uniform too.
 */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  if (typeof low !== 'number' || typeof high !== 'number' || !Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`randint: expected integers low < high, got low=${fmtValue(low)}, high=${fmtValue(high)}`);
  }
  const dtype = optionDType('randint', options) ?? 'int32';
  const [min, max, what] = EXACT_INTEGERS[dtype];
  if (low < min || high - 1 > max) {
    throw new ValueError(
      `randint: range [${low}, ${high}) does not fit dtype ${dtype}: expected ${min} ≤ low and high − 1 ≤ ${max} (${what})`,
    );
  }
  // high − 1 − low is exact below 2⁵³ and rounds to ≥ 2⁵³ above it: this is width > 2⁵³ without rounding errors.
  if (high - 1 - low >= 2 ** 53) {
    throw new ValueError(
      `randint: range [${low}, ${high}) is ${high - low} wide; at most 2^53 (the generator's random bits) are supported`,
    );
  }
  return fill('randint', shape, options, (g) => g.int(low, high), 'int32');
}

/** A random permutation of `0 … n-1` as an int32 tensor (Fisher–Yates). */
export function permutation(n: number, options: { generator?: Generator } = {}): Tensor {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_SIZE) {
    throw new ValueError(`permutation: n must be an integer from 0 to ${MAX_SIZE} (2^31 − 1, MAX_SIZE), got ${fmtValue(n)}`);
  }
  const g = generatorOf('permutation', options);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new Tensor(fisherYates(data, g), [n]);
}

/**
 * Shuffles an array in place (Fisher–Yates) with the given or default generator; returns it. `array` is an array, a
 * typed array or another array-like object with writable elements. A Tensor is refused with a ValueError (as are
 * null, strings and frozen arrays): shuffle permutes storage in place, while tensors are rearranged by kernels that
 * return new tensors — `x.take(permutation(x.shape[0], { generator }), 0)` is a copy of `x` shuffled along axis 0
 * (what NumPy's `shuffle` does in place).
 */
export function shuffle<T extends { length: number; [i: number]: unknown }>(array: T, options: { generator?: Generator } = {}): T {
  const a: unknown = array;
  if (a instanceof Tensor) {
    throw new ValueError(
      `shuffle: got ${fmtValue(a)}; shuffle permutes an array in place and does not rearrange tensors — for a copy ` +
        'shuffled along axis 0 use x.take(permutation(x.shape[0], { generator }), 0)',
    );
  }
  const length = (a as { length?: unknown } | null)?.length;
  if (a === null || typeof a !== 'object' || typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new ValueError(`shuffle: expected an array or a typed array to shuffle in place, got ${fmtValue(a)}`);
  }
  if (length > 1 && Object.isFrozen(a)) {
    throw new ValueError(`shuffle: the array is frozen, so it cannot be shuffled in place; shuffle a copy: shuffle([...array])`);
  }
  return fisherYates(array, generatorOf('shuffle', options));
}

function fisherYates<T extends { length: number; [i: number]: unknown }>(array: T, g: Generator): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const t = array[i];
    array[i] = array[j];
    array[j] = t;
  }
  return array;
}
