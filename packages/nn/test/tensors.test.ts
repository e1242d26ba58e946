import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, Tensor, ValueError } from '@tapegrad/tensor';
import { decodeTensors, encodeTensors } from '../src/io/tensors.js';

const g = new Generator(42);

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
    expect(() => decodeTensors(small, undefined, { maxElements: 2, context: 'model.json' })).toThrow(
      /decodeTensors \(model\.json\).*more than 2 elements/,
    );
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
