import { ValueError, type GeneratorState } from '@tapegrad/tensor';
import { crc32Hex } from './binary.js';
import { checkSeed } from './limits.js';
import { checkExactKeys, describe, isPlainObject } from './safe-json.js';

// A generator's state in a model file. The generator is seedrandom's Alea: three fractions s0..s2 in [0, 1) with
// 32 bits each and a carry c in [0, 2091639], plus the spare normal draw of Box–Muller. Version 2 adds a CRC-32.

/** A generator state as version 2 stores it: the state and the CRC-32 of its canonical text. */
export type StoredGeneratorState = GeneratorState & { crc32: string };

/** Alea's carry is `t | 0` for t = 2091639·s + c·2⁻³², so it never exceeds 2091639. */
const MAX_CARRY = 2091639;
/** A standard normal draw from doubles never exceeds 40 in magnitude (Box–Muller gives at most √(2·53·ln 2) ≈ 8.6). */
const MAX_SPARE = 40;
const TWO_32 = 2 ** 32;

/** The CRC-32 of a state: over the UTF-8 of `[seed, c, s0, s1, s2, spare]` as JSON (numbers print exactly). */
function stateChecksum(g: GeneratorState): string {
  const { c, s0, s1, s2 } = g.prng;
  return crc32Hex(new TextEncoder().encode(JSON.stringify([g.seed, c, s0, s1, s2, g.spare])));
}

/** A generator state (checked like a read one, so save refuses what load would) with its checksum, for version 2. */
export function writeGeneratorState(where: string, state: GeneratorState): StoredGeneratorState {
  const g = readGeneratorState(where, state, false);
  return { ...g, crc32: stateChecksum(g) };
}

/**
 * Checks a stored generator state: the seed, the carry (an integer in [0, 2091639]), s0..s2 (multiples of 2⁻³² in
 * [0, 1)), the spare normal draw (null or finite) and, when `checksum`, the CRC-32 (version 2 files).
 */
export function readGeneratorState(where: string, g: unknown, checksum: boolean): GeneratorState {
  const shape = `{seed, prng: {c, s0, s1, s2}, spare${checksum ? ', crc32' : ''}}`;
  if (!isPlainObject(g) || !isPlainObject(g.prng)) throw new ValueError(`${where} must be ${shape}, got ${describe(g)}`);
  checkExactKeys(`${where}.prng must have exactly the fields c, s0, s1, s2`, Object.keys(g.prng), ['c', 's0', 's1', 's2']);
  const seed = checkSeed(`${where}.seed`, g.seed);
  const { c, s0, s1, s2 } = g.prng as Record<string, unknown>;
  if (!Number.isInteger(c) || (c as number) < 0 || (c as number) > MAX_CARRY) {
    throw new ValueError(`${where}.prng.c must be an integer in [0, ${MAX_CARRY}], got ${describe(c)}`);
  }
  for (const [k, s] of [
    ['s0', s0],
    ['s1', s1],
    ['s2', s2],
  ] as const) {
    if (typeof s !== 'number' || !(s >= 0 && s < 1) || !Number.isInteger(s * TWO_32)) {
      throw new ValueError(`${where}.prng.${k} must be a multiple of 2^-32 in [0, 1), got ${describe(s)}`);
    }
  }
  const spare = g.spare;
  if (spare !== null && (typeof spare !== 'number' || !(Math.abs(spare) <= MAX_SPARE))) {
    throw new ValueError(`${where}.spare must be null or a normal draw in [-${MAX_SPARE}, ${MAX_SPARE}], got ${describe(spare)}`);
  }
  const state: GeneratorState = { seed, prng: { c: c as number, s0: s0 as number, s1: s1 as number, s2: s2 as number }, spare };
  if (checksum) {
    const stored = g.crc32;
    if (typeof stored !== 'string' || !/^[0-9a-f]{8}$/.test(stored)) {
      throw new ValueError(`${where}.crc32 must be 8 lowercase hex digits, got ${describe(stored)}`);
    }
    const actual = stateChecksum(state);
    if (stored !== actual) {
      throw new ValueError(`${where}: checksum mismatch (stored crc32 ${stored}, computed ${actual}) — the state is corrupted`);
    }
  }
  return state;
}
