import { describe, expect, it } from 'vitest';
import { Generator, ValueError } from '@tapegrad/tensor';
import { base64ToBytes, bytesToBase64, crc32, crc32Hex, decodeFloat32Base64, encodeFloat32Base64 } from '../src/io/binary.js';

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
