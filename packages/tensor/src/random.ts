import seedrandom from 'seedrandom';
import { optionDType } from './args.js';
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

  /** A uniform integer in [low, high). */
  int(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low));
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

let defaultGenerator = new Generator(0);

/** The generator used when none is passed. */
export const getDefaultGenerator = (): Generator => defaultGenerator;

/**
 * Reseeds the default generator: the same seed gives bit-identical draws afterwards. `seed` is a finite number or a
 * string; anything else (NaN, an object) is a ValueError.
 */
export function manualSeed(seed: number | string): Generator {
  checkSeed('manualSeed', seed);
  defaultGenerator = new Generator(seed);
  return defaultGenerator;
}

/** Options for the random creation functions. */
export interface RandomOptions {
  dtype?: DType;
  generator?: Generator;
}

function fill(
  fn: string,
  shape: readonly number[],
  options: RandomOptions,
  draw: (g: Generator) => number,
  dflt: DType = 'float32',
): Tensor {
  checkShape(fn, shape);
  const dtype = optionDType(fn, options) ?? dflt;
  if (dtype === 'int32' && fn !== 'randint') {
    throw new DTypeError(`${fn}: dtype int32 cannot hold fractional draws (they would all truncate); use randint for integers`);
  }
  const g = options.generator ?? defaultGenerator;
  if (typeof (g as Partial<Generator> | null)?.random !== 'function') {
    throw new ValueError(`${fn}: options.generator must be a Generator, got ${fmtValue(g)}`);
  }
  const data = allocate(dtype, sizeOf(shape), fn);
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return new Tensor(data, shape);
}

/** Uniform samples in [0, 1). */
export const rand = (shape: readonly number[], options: RandomOptions = {}): Tensor => fill('rand', shape, options, (g) => g.random());

/** Standard normal samples (mean 0, standard deviation 1). */
export const randn = (shape: readonly number[], options: RandomOptions = {}): Tensor => fill('randn', shape, options, (g) => g.normal());

/** Uniform samples in [low, high). */
export function uniform(shape: readonly number[], low = 0, high = 1, options: RandomOptions = {}): Tensor {
  if (!(high >= low)) throw new ValueError(`uniform: high (${high}) must be ≥ low (${low})`);
  return fill('uniform', shape, options, (g) => low + (high - low) * g.random());
}

/** Normal samples with the given mean and standard deviation. */
export function normal(shape: readonly number[], mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  if (!(std >= 0)) throw new ValueError(`normal: std must be ≥ 0, got ${std}`);
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
 * wide (the generator's random bits); otherwise a ValueError, where NumPy and PyTorch may wrap silently.
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
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  shuffle(data, options);
  return new Tensor(data, [n]);
}

/** Shuffles an array in place (Fisher–Yates) with the given or default generator; returns it. */
export function shuffle<T extends { length: number; [i: number]: unknown }>(array: T, options: { generator?: Generator } = {}): T {
  const g = options.generator ?? defaultGenerator;
  for (let i = array.length - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const t = array[i];
    array[i] = array[j];
    array[j] = t;
  }
  return array;
}
