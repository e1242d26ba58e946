import { ValueError } from '@tapegrad/tensor';

/** Keys that `JSON.parse` keeps as own properties but that would pollute prototypes if merged into an object. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Options for {@link parseJsonSafe} and {@link assertSafeJson}. */
export interface SafeJsonOptions {
  /** Prefix for error messages, e.g. the file name. */
  context?: string;
  /** Deepest nesting accepted (default 64). */
  maxDepth?: number;
}

/**
 * `JSON.parse` that rejects `__proto__`, `constructor` and `prototype` keys (prototype pollution) and
 * over-deep nesting, reporting syntax errors (e.g. a truncated file) as ValueErrors.
 */
export function parseJsonSafe(text: string, options: SafeJsonOptions = {}): unknown {
  const ctx = options.context ? `parseJsonSafe (${options.context})` : 'parseJsonSafe';
  if (typeof text !== 'string') throw new ValueError(`${ctx}: expected a JSON string, got ${describe(text)}`);
  let value: unknown;
  try {
    // JSON.parse defines "__proto__" as an own data property (it never sets the prototype), so a walk over
    // the result finds every forbidden key — faster than a reviver called for every value.
    value = JSON.parse(text);
  } catch (e) {
    throw new ValueError(
      `${ctx}: invalid JSON (${(e as Error).message}); the text has ${text.length} characters — truncated or corrupted?`,
    );
  }
  checkSafe('parseJsonSafe', value, options);
  return value;
}

/** Throws a ValueError if an already-parsed value has forbidden keys, non-plain objects, or nests too deeply. */
export function assertSafeJson(value: unknown, options: SafeJsonOptions = {}): void {
  checkSafe('assertSafeJson', value, options);
}

function checkSafe(fn: string, value: unknown, options: SafeJsonOptions): void {
  const ctx = options.context ? `${fn} (${options.context})` : fn;
  const maxDepth = options.maxDepth ?? 64;
  if (!Number.isSafeInteger(maxDepth) || maxDepth <= 0) {
    // NaN or a string would compare false with every depth and disable the limit
    throw new ValueError(`${ctx}: maxDepth must be a positive integer, got ${describe(maxDepth)}`);
  }
  const stack: [unknown, number, string][] = [[value, 0, '$']];
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) throw new ValueError(`${ctx}: nesting deeper than ${maxDepth} at ${path}`);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (item !== null && typeof item === 'object') stack.push([item, depth + 1, `${path}[${i}]`]);
      }
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new ValueError(`${ctx}: ${path} is not a plain object`);
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new ValueError(`${ctx}: forbidden key ${JSON.stringify(key)} at ${path} (possible prototype pollution)`);
      }
      stack.push([(v as Record<string, unknown>)[key], depth + 1, `${path}.${key.length > 40 ? `${key.slice(0, 40)}…` : key}`]);
    }
  }
}

/** True for `{}`-style objects (prototype Object.prototype or null), false for arrays, class instances and null. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A short description of a JSON value for error messages: never the whole value. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined (missing)';
  if (Array.isArray(v)) {
    return v.length <= 8 && v.every((d) => typeof d === 'number') ? `an array [${v.join(', ')}]` : `an array of length ${v.length}`;
  }
  if (typeof v === 'string') return v.length > 40 ? `a string of length ${v.length}` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return String(v);
  return `${typeof v} ${String(v)}`;
}

/** Up to `max` names, quoted, and how many more: `"a", "b", "c" and 199997 more` (error messages stay one short line). */
export function listSome(names: readonly string[], max = 3): string {
  const shown = names.slice(0, max).map((n) => describe(n));
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

/**
 * Throws a ValueError `${what}; missing …; unexpected …` unless the keys of `got` are exactly `expected`
 * (`optional` keys may be present or not); the lists are bounded by {@link listSome}.
 */
export function checkExactKeys(
  what: string,
  got: readonly string[],
  expected: readonly string[],
  optional: ReadonlySet<string> = new Set(),
): void {
  const want = new Set(expected);
  const have = new Set(got);
  const missing = expected.filter((k) => !have.has(k));
  const extra = got.filter((k) => !want.has(k) && !optional.has(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new ValueError(
      what + (missing.length ? `; missing ${listSome(missing)}` : '') + (extra.length ? `; unexpected ${listSome(extra)}` : ''),
    );
  }
}
