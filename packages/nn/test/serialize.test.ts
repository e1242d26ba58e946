import { describe, expect, it } from 'vitest';
import { Generator, Tensor, ValueError, ShapeError } from '@tapegrad/tensor';
import {
  assertSafeJson,
  base64ToBytes,
  bytesToBase64,
  crc32,
  crc32Hex,
  decodeFloat32Base64,
  decodeTensors,
  encodeFloat32Base64,
  encodeTensors,
  parseJsonSafe,
} from '../src/serialize.js';

const g = new Generator(42);
const randomBytes = (n: number): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = g.int(0, 256);
  return b;
};

describe('base64', () => {
  it('matches Node Buffer for every remainder length', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 31, 32, 33, 1000, 20_000]) {
      const bytes = randomBytes(n);
      const ours = bytesToBase64(bytes);
      expect(ours).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(ours))).toEqual(Array.from(bytes));
    }
  });

  it('rejects bad length and characters', () => {
    expect(() => base64ToBytes('AAA')).toThrow(/multiple of 4/);
    expect(() => base64ToBytes('AA*A')).toThrow(/invalid base64 character "\*" at position 2/);
    expect(() => base64ToBytes('A=AA')).toThrow(ValueError);
  });
});

describe('float32 base64', () => {
  it('is little-endian: 1.0 encodes as 00 00 80 3f', () => {
    expect(encodeFloat32Base64(new Float32Array([1]))).toBe('AACAPw==');
    expect(encodeFloat32Base64(new Float32Array([1]))).toBe(Buffer.from([0, 0, 0x80, 0x3f]).toString('base64'));
  });

  it('round-trips bit-exactly, including NaN, -0, ±Infinity and subnormals', () => {
    const a = new Float32Array([0, -0, 1.5, -2.25, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, Math.PI]);
    const b = decodeFloat32Base64(encodeFloat32Base64(a), a.length);
    expect(Array.from(new Uint32Array(b.buffer))).toEqual(Array.from(new Uint32Array(a.buffer)));
  });

  it('round-trips a subarray with an offset', () => {
    const big = new Float32Array(101);
    for (let i = 0; i < big.length; i++) big[i] = g.normal();
    const sub = big.subarray(7, 57);
    expect(Array.from(decodeFloat32Base64(encodeFloat32Base64(sub), 50))).toEqual(Array.from(sub));
  });

  it('rejects the wrong element count', () => {
    const s = encodeFloat32Base64(new Float32Array([1, 2, 3]));
    expect(() => decodeFloat32Base64(s, 4)).toThrow(/holds 12 bytes \(3 floats\); expected 4 floats/);
  });
});

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32Hex(new TextEncoder().encode('a'))).toBe('e8b7be43');
  });

  it('detects every single-bit flip in a small buffer', () => {
    const bytes = randomBytes(64);
    const c = crc32(bytes);
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        bytes[i]! ^= 1 << bit;
        expect(crc32(bytes)).not.toBe(c);
        bytes[i]! ^= 1 << bit;
      }
    }
  });
});

describe('encodeTensors / decodeTensors', () => {
  const w = new Tensor(Float32Array.from({ length: 12 }, () => g.normal()), [3, 4]);
  const named = {
    'dense.kernel': w.T, // non-contiguous
    'dense.bias': new Tensor(new Float32Array([0.5, -1, 2]), [3]),
    steps: new Tensor(new Int32Array([7, -3]), [2]),
    exact: new Tensor(new Float64Array([Math.PI, 1e-300]), [2, 1]),
    empty: new Tensor(new Float32Array(0), [0, 5]),
  };

  it('round-trips every dtype, strided inputs and empty tensors', () => {
    const doc = JSON.parse(JSON.stringify(encodeTensors(named)));
    const back = decodeTensors(doc, { 'dense.kernel': [4, 3], 'dense.bias': [3], steps: [2], exact: [2, 1], empty: [0, 5] });
    expect(back['dense.kernel']!.shape).toEqual([4, 3]);
    expect(back['dense.kernel']!.toArray()).toEqual(w.T.toArray());
    expect(back['dense.kernel']!.dtype).toBe('float32');
    expect(back.steps!.dtype).toBe('int32');
    expect(Array.from(back.steps!.data)).toEqual([7, -3]);
    expect(back.exact!.dtype).toBe('float64');
    expect(Array.from(back.exact!.data)).toEqual([Math.PI, 1e-300]);
    expect(back.empty!.shape).toEqual([0, 5]);
    expect(doc['dense.bias'].crc32).toMatch(/^[0-9a-f]{8}$/);
  });

  const fresh = (): Record<string, Record<string, unknown>> => JSON.parse(JSON.stringify(encodeTensors({ b: named['dense.bias'] })));

  it('rejects malformed fields with clear errors', () => {
    const cases: [(d: Record<string, Record<string, unknown>>) => unknown, RegExp][] = [
      [(d) => ((d.b!.shape = [-3]), d), /dimension -3; expected non-negative integers/],
      [(d) => ((d.b!.shape = [1.5, 2]), d), /dimension 1.5/],
      [(d) => ((d.b!.shape = ['3']), d), /dimension "3"/],
      [(d) => ((d.b!.shape = 3), d), /shape must be an array/],
      [(d) => ((d.b!.dtype = 'uint8'), d), /dtype "uint8" is not one of/],
      [(d) => ((d.b!.data = 42), d), /data must be a base64 string/],
      [(d) => ((d.b!.crc32 = 'xyz'), d), /crc32 must be 8 lowercase hex digits/],
      [(d) => ((d.b!.data = (d.b!.data as string).slice(0, 8)), d), /8 base64 characters; shape \[3\] float32 needs 16 \(12 bytes\)/],
      [(d) => ((d.b!.shape = [4]), d), /needs 24/],
      [(d) => ((d.b!.crc32 = '00000000'), d), /checksum mismatch \(stored crc32 00000000/],
      [(d) => ((d.b!.data = 'AACAPw' + (d.b!.data as string).slice(6)), d), /checksum mismatch/],
      [(d) => ((d.b!.data = '!' + (d.b!.data as string).slice(1)), d), /invalid base64 character/],
      [() => null, /expected an object of named tensors, got null/],
      [() => [1, 2], /got an array/],
      [(d) => ((d.b = 'x' as never), d), /expected \{shape, dtype, data, crc32\}/],
    ];
    for (const [mutate, message] of cases) {
      const doc = mutate(fresh());
      expect(() => decodeTensors(doc)).toThrow(message);
      expect(() => decodeTensors(doc)).toThrow(ValueError);
    }
  });

  it('refuses absurd shapes before allocating', () => {
    const d = fresh();
    d.b!.shape = [1e6, 1e6, 1e6];
    expect(() => decodeTensors(d)).toThrow(/more than 134217728 elements; refusing to allocate/);
    const small = fresh();
    expect(() => decodeTensors(small, undefined, { maxElements: 2, context: 'model.json' })).toThrow(/decodeTensors \(model\.json\).*more than 2 elements/);
  });

  it('checks names and shapes against the expected ones', () => {
    expect(() => decodeTensors(fresh(), { b: [3], c: [2] })).toThrow(/missing "c"/);
    expect(() => decodeTensors(fresh(), {})).toThrow(/unexpected "b"/);
    expect(() => decodeTensors(fresh(), { b: [1, 3] })).toThrow(ShapeError);
  });

  it('rejects reserved names', () => {
    expect(() => encodeTensors(JSON.parse('{"__proto__": 1}'))).toThrow(/reserved/);
    const doc = JSON.parse(`{"__proto__": ${JSON.stringify(fresh().b)}}`);
    expect(() => decodeTensors(doc)).toThrow(/reserved name/);
  });
});

describe('parseJsonSafe', () => {
  it('parses ordinary documents', () => {
    expect(parseJsonSafe('{"a":[1,2,{"b":null}],"c":"x"}')).toEqual({ a: [1, 2, { b: null }], c: 'x' });
  });

  it('rejects prototype-polluting keys at any depth and leaves Object.prototype clean', () => {
    for (const text of ['{"__proto__":{"polluted":1}}', '{"a":{"\\u005f_proto__":{"polluted":1}}}', '{"a":[{"constructor":{"prototype":{"polluted":1}}}]}', '{"x":{"prototype":2}}']) {
      expect(() => parseJsonSafe(text)).toThrow(/forbidden key/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports truncated JSON as a ValueError naming the context', () => {
    expect(() => parseJsonSafe('{"a": [1, 2', { context: 'weights.json' })).toThrow(/parseJsonSafe \(weights\.json\): invalid JSON .*truncated or corrupted/);
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
