// The digits asset reproduces the `mnist` package's split exactly, and a drawing is centred like MNIST.
import { loadMnistPackage } from '@tapegrad/nn/node';
import { describe, expect, it } from 'vitest';
import { slug } from '../scripts/assets.js';
import { toMnistInput } from '../src/draw/preprocess.js';
import { PIXELS, decodeDigits, encodeDigits } from '../src/train/digits.js';

describe('digits asset', () => {
  const split = loadMnistPackage({ trainSize: 8000, testSize: 2000, seed: 0 });

  it('decodes to exactly the pixels and labels of loadMnistPackage (one byte per pixel, lossless)', () => {
    const bytes = encodeDigits(split);
    expect(bytes.length).toBe(16 + 10000 + 10000 * PIXELS);
    const back = decodeDigits(bytes);
    expect(back.xTrain.shape).toEqual([8000, PIXELS]);
    expect(back.xTest.shape).toEqual([2000, PIXELS]);
    const bytesOf = (t: typeof split.xTrain): Buffer => Buffer.from(t.values().buffer, t.values().byteOffset, t.size * 4);
    expect(Buffer.compare(bytesOf(back.xTrain), bytesOf(split.xTrain))).toBe(0); // bit for bit
    expect(Buffer.compare(bytesOf(back.xTest), bytesOf(split.xTest))).toBe(0);
    expect(Array.from(back.yTest.values())).toEqual(Array.from(split.yTest.values()));
    expect(Array.from(back.yTrain.values().subarray(0, 100))).toEqual(Array.from(split.yTrain.values().subarray(0, 100)));
  });

  it('refuses a truncated or foreign file with a clear error', () => {
    const bytes = encodeDigits({
      xTrain: split.xTrain.slice([0, 2]),
      yTrain: split.yTrain.slice([0, 2]),
      xTest: split.xTest.slice([0, 1]),
      yTest: split.yTest.slice([0, 1]),
    });
    expect(decodeDigits(bytes).xTest.shape).toEqual([1, PIXELS]);
    expect(() => decodeDigits(bytes.subarray(0, bytes.length - 1))).toThrow(
      /header says 3 digits of 784 pixels \(2371 bytes\), the file has 2370 bytes/,
    );
    expect(() => decodeDigits(new TextEncoder().encode('<!doctype html>'))).toThrow(/not a digits file/);
    expect(() => decodeDigits(new Uint8Array(3))).toThrow(/not a digits file/);
  });
});

describe('drawing → MNIST input', () => {
  it('scales the ink box to 20 pixels and centres its mass in the 28×28 field', () => {
    const W = 100;
    const ink = new Float32Array(W * W);
    for (let y = 10; y < 30; y++) for (let x = 60; x < 70; x++) ink[y * W + x] = 1; // a 10×20 bar in a corner
    const out = toMnistInput(ink, W, W);
    let mass = 0;
    let mx = 0;
    let my = 0;
    let rows = 0;
    for (let y = 0; y < 28; y++) {
      let any = false;
      for (let x = 0; x < 28; x++) {
        const v = out[y * 28 + x]!;
        mass += v;
        mx += v * x;
        my += v * y;
        if (v > 0.5) any = true;
      }
      if (any) rows++;
    }
    expect(rows).toBe(20);
    expect(Math.abs(mx / mass - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(my / mass - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
  });

  it('gives zeros for an empty canvas', () => {
    expect(toMnistInput(new Float32Array(400), 20, 20).every((v) => v === 0)).toBe(true);
  });
});

describe('backprop page', () => {
  it('anchors headings like GitHub, so the lab can link to a section', () => {
    expect(slug('2. The delta rule')).toBe('2-the-delta-rule');
    expect(slug('6. See it yourself: `explainBackprop`')).toBe('6-see-it-yourself-explainbackprop');
  });
});
