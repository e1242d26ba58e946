// Models exported by PyTorch (torch.onnx.export, opset 13, dynamic batch; fixtures/onnx/make_torch_fixtures.py) import
// into tapegrad, predict what PyTorch predicted, train on with fit, and export again.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, randn } from '@tapegrad/tensor';
import { exportOnnx, importOnnx } from '../src/onnx/index.js';

interface TorchRecord {
  torch: string;
  opset: number;
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
}

const fixture = (name: string): { bytes: Uint8Array; record: TorchRecord } => ({
  bytes: readFileSync(new URL(`./fixtures/onnx/${name}.onnx`, import.meta.url)),
  record: JSON.parse(readFileSync(new URL(`./fixtures/onnx/${name}.json`, import.meta.url), 'utf8')) as TorchRecord,
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('ONNX models exported by PyTorch', () => {
  it.each([
    ['torch-mlp', ['Flatten -', 'Dense relu', 'Dense tanh', 'Dense softmax'], [2, 3, 4]],
    ['torch-mlp-reshape', ['Flatten -', 'Dense leakyRelu', 'Dense elu', 'Dense sigmoid', 'Dense softplus', 'Dense logSoftmax'], [4, 6]],
  ])('%s imports and predicts what PyTorch predicted (≤ 1e-5)', (name, layers, inputShape) => {
    const { bytes, record } = fixture(name);
    expect(record.opset).toBe(13);
    expect(record.torch).toMatch(/^1\.13/);
    const m = importOnnx(bytes);
    expect(m.layers.map((l) => `${l.type} ${l.activationName}`)).toEqual(layers);
    expect(m.inputShape).toEqual(inputShape);
    const x = new Tensor(Float32Array.from(record.input.data), record.input.shape);
    const p = m.predict(x);
    expect(p.shape).toEqual(record.output.shape);
    expect(maxDiff(p.values(), record.output.data)).toBeLessThanOrEqual(1e-5);
  });

  it('the imported PyTorch MLP fine-tunes with fit and exports again to the same predictions', () => {
    const m = importOnnx(fixture('torch-mlp').bytes);
    const g = new Generator(12);
    const x = randn([96, 2, 3, 4], { generator: g });
    // a learnable target: the class is which of 10 slices of the features has the largest sum
    const xv = x.values();
    const labels = new Int32Array(96);
    for (let r = 0; r < 96; r++) {
      let best = 0;
      for (let c = 1; c < 10; c++)
        if (xv[24 * r + 2 * c]! + xv[24 * r + 2 * c + 1]! > xv[24 * r + 2 * best]! + xv[24 * r + 2 * best + 1]!) best = c;
      labels[r] = best;
    }
    const y = new Tensor(labels, [96]);
    m.compile({ optimizer: 'adam', lr: 0.01, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const before = m.evaluate(x, y);
    const h = m.fit(x, y, { epochs: 30, batchSize: 16, verbose: 0 });
    const loss = h.history.loss!;
    expect(loss[loss.length - 1]!).toBeLessThan(0.5 * loss[0]!);
    expect(m.evaluate(x, y).accuracy!).toBeGreaterThan(before.accuracy! + 0.3);
    const again = importOnnx(exportOnnx(m));
    const probe = randn([7, 2, 3, 4], { generator: g });
    expect(again.predict(probe).equals(m.predict(probe))).toBe(true);
  });
});
