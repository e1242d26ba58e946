import { describe, expect, it } from 'vitest';
import { ValueError } from '@tapegrad/tensor';
import { assertSafeJson, parseJsonSafe } from '../src/io/safe-json.js';

describe('parseJsonSafe', () => {
  it('parses ordinary documents', () => {
    expect(parseJsonSafe('{"a":[1,2,{"b":null}],"c":"x"}')).toEqual({ a: [1, 2, { b: null }], c: 'x' });
  });

  it('rejects prototype-polluting keys at any depth and leaves Object.prototype clean', () => {
    for (const text of [
      '{"__proto__":{"polluted":1}}',
      '{"a":{"\\u005f_proto__":{"polluted":1}}}',
      '{"a":[{"constructor":{"prototype":{"polluted":1}}}]}',
      '{"x":{"prototype":2}}',
    ]) {
      expect(() => parseJsonSafe(text)).toThrow(/forbidden key/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports truncated JSON as a ValueError naming the context', () => {
    expect(() => parseJsonSafe('{"a": [1, 2', { context: 'weights.json' })).toThrow(
      /parseJsonSafe \(weights\.json\): invalid JSON .*truncated or corrupted/,
    );
    expect(() => parseJsonSafe('{"a": [1, 2')).toThrow(ValueError);
  });

  it('rejects over-deep nesting', () => {
    const deep = '['.repeat(100) + ']'.repeat(100);
    expect(() => parseJsonSafe(deep)).toThrow(/nesting deeper than 64/);
    expect(() => parseJsonSafe(deep, { maxDepth: 200 })).not.toThrow();
  });

  it('assertSafeJson checks already-built objects', () => {
    const o = Object.create(null) as Record<string, unknown>;
    Object.defineProperty(o, '__proto__', { value: 1, enumerable: true });
    expect(() => assertSafeJson({ a: o })).toThrow(/forbidden key "__proto__" at \$\.a/);
    expect(() => assertSafeJson({ a: new Date() })).toThrow(/not a plain object/);
  });
});
