import { ValueError, fmtValue } from '@tapegrad/tensor';
import { checkBoolean } from '../model/checks.js';

// Construction-time checks of the numeric and enumerated options of the training helpers (callbacks, progress bar,
// plot): a bad value throws at once, naming the class, the option, the value and what was expected, instead of
// silently disabling the helper (a NaN threshold that nothing ever beats, a mode that falls back to 'auto').

/** Bounds of a numeric option; `min`/`max` inclusive unless the matching `…Exclusive` flag is set. */
export interface NumberBounds {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  integer?: boolean;
}

/** Largest count of epochs a patience or cooldown may name. */
export const MAX_EPOCH_COUNT = 1e9;

/** `value` unless undefined (then `fallback`), checked to be a finite number (an integer if asked) within `bounds`. */
export function checkNumberOption(cls: string, option: string, value: unknown, fallback: number, bounds: NumberBounds = {}): number {
  const v = value === undefined ? fallback : value;
  const { min = -Number.MAX_VALUE, max = Number.MAX_VALUE, minExclusive = false, maxExclusive = false, integer = false } = bounds;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!integer || Number.isInteger(v)) &&
    (minExclusive ? v > min : v >= min) &&
    (maxExclusive ? v < max : v <= max);
  if (!ok) {
    const kind = integer ? 'an integer' : 'a finite number';
    const range = `${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
    throw new ValueError(`${cls}: ${option} must be ${kind} in ${range}, got ${fmtValue(value)}`);
  }
  return v;
}

/** A non-negative integer count of epochs (patience, cooldown). */
export function checkEpochCount(cls: string, option: string, value: unknown, fallback: number): number {
  return checkNumberOption(cls, option, value, fallback, { min: 0, max: MAX_EPOCH_COUNT, integer: true });
}

/** One of `allowed` (or `fallback` when undefined). */
export function checkChoice<T extends string>(cls: string, option: string, value: unknown, fallback: T, allowed: readonly T[]): T {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ValueError(`${cls}: ${option} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${fmtValue(value)}`);
  }
  return v as T;
}

/** A boolean (or `fallback` when undefined). */
export function checkBooleanOption(cls: string, option: string, value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : checkBoolean(cls, option, value);
}

/** A string (or `fallback` when undefined): the name of a monitored log. */
export function checkStringOption(cls: string, option: string, value: unknown, fallback: string): string {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) {
    throw new ValueError(`${cls}: ${option} must be a non-empty string of at most 200 characters, got ${fmtValue(value)}`);
  }
  return v;
}
