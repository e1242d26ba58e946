// tapegrad ↔ ONNX Runtime, checked by the runtime itself (onnxruntime-web's WebAssembly backend, which runs in Node
// from the npm package alone): exported models give the same outputs at any batch size, and PyTorch's exports give
// PyTorch's outputs in ONNX Runtime and in tapegrad, also after fine-tuning in tapegrad.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as ORT from 'onnxruntime-web';
import { Generator, Tensor, randn } from '@tapegrad/tensor';
import { Dense, Dropout, Flatten, Sequential } from '@tapegrad/nn';
import { exportOnnx, importOnnx } from '@tapegrad/nn/onnx';
import { loadMnistPackage, type ImageDataset } from '@tapegrad/nn/node';

let ort: typeof ORT;
let mnist: ImageDataset;

beforeAll(async () => {
  ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1; // no worker threads: the runtime's WebAssembly runs in this process
  mnist = loadMnistPackage({ trainSize: 2000, testSize: 500, seed: 0 });
});

/** ONNX Runtime's output for `x` through the model in `bytes` (input and output names as the model says). */
async function run(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(x.values()), x.shape) };
    const out = await session.run(feeds);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const rows = (x: Tensor, n: number): Tensor => new Tensor(x.values().slice(0, n * 784), [n, 784]);

describe('a tapegrad model in ONNX Runtime', () => {
  it('the MNIST MLP trained by tapegrad gives the same outputs (≤ 1e-5) at batch sizes 1, 7 and 500', async () => {
    const m = new Sequential({ seed: 1, name: 'mnist-mlp' });
    m.add(new Dense(128, { activation: 'relu', inputShape: [784] }));
    m.add(new Dense(10, { activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    m.fit(mnist.xTrain, mnist.yTrain, { epochs: 2, batchSize: 64, verbose: 0 });
    const bytes = exportOnnx(m);
    for (const n of [1, 7, 500]) {
      const x = rows(mnist.xTest, n);
      expect(maxDiff(await run(bytes, x), m.predict(x).values())).toBeLessThanOrEqual(1e-5);
    }
  });

  it('every exportable activation, Flatten of 28×28 images and Dropout', async () => {
    const m = new Sequential({ seed: 2 });
    m.add(new Flatten({ inputShape: [28, 28] }));
    m.add(new Dense(64, { activation: 'relu' }));
    m.add(new Dropout(0.3));
    m.add(new Dense(32, { activation: 'elu' }));
    m.add(new Dense(32, { activation: 'tanh' }));
    m.add(new Dense(16, { activation: 'sigmoid' }));
    m.add(new Dense(16, { activation: 'softplus' }));
    m.add(new Dense(16, { activation: 'leakyRelu', useBias: false }));
    m.add(new Dense(12));
    m.add(new Dense(10, { activation: 'logSoftmax' }));
    m.add(new Dense(10, { activation: 'softmax' }));
    const images = new Tensor(mnist.xTest.values(), [500, 28, 28]);
    expect(maxDiff(await run(exportOnnx(m), images), m.predict(images).values())).toBeLessThanOrEqual(1e-5);
  });
});

describe('PyTorch-exported models', () => {
  const fixture = (name: string): { bytes: Uint8Array; x: Tensor; y: number[] } => {
    const dir = fileURLToPath(new URL('../../packages/nn/test/fixtures/onnx/', import.meta.url));
    const rec = JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as {
      input: { shape: number[]; data: number[] };
      output: { data: number[] };
    };
    return {
      bytes: readFileSync(`${dir}${name}.onnx`),
      x: new Tensor(Float32Array.from(rec.input.data), rec.input.shape),
      y: rec.output.data,
    };
  };

  it.each(['torch-mlp', 'torch-mlp-reshape'])('%s: ONNX Runtime, tapegrad and PyTorch agree (≤ 1e-5)', async (name) => {
    const { bytes, x, y } = fixture(name);
    expect(maxDiff(await run(bytes, x), y)).toBeLessThanOrEqual(1e-5);
    const m = importOnnx(bytes);
    expect(maxDiff(m.predict(x).values(), y)).toBeLessThanOrEqual(1e-5);
    // tapegrad's export of the imported model runs the same in ONNX Runtime
    expect(maxDiff(await run(exportOnnx(m), x), y)).toBeLessThanOrEqual(1e-5);
  });

  it('fine-tuned in tapegrad, the PyTorch model still runs the same in ONNX Runtime', async () => {
    const { bytes } = fixture('torch-mlp');
    const m = importOnnx(bytes);
    const g = new Generator(3);
    const x = randn([64, 2, 3, 4], { generator: g });
    const y = new Tensor(
      Int32Array.from(
        x.values().filter((_, i) => i % 24 === 0),
        (v) => (v > 0 ? 1 : 0),
      ),
      [64],
    );
    m.compile({ optimizer: 'adam', lr: 0.01, loss: 'sparseCategoricalCrossentropy' });
    const loss = m.fit(x, y, { epochs: 10, batchSize: 16, verbose: 0 }).history.loss!;
    expect(loss[9]!).toBeLessThan(loss[0]!);
    expect(maxDiff(await run(exportOnnx(m), x), m.predict(x).values())).toBeLessThanOrEqual(1e-5);
  });
});
