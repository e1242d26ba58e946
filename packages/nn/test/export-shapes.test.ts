// Exports checked by the real engines (TensorFlow.js 4.22 and onnxruntime-web, the examples' dev dependencies):
// a Flatten of one-axis samples (the identity), a first Dense that reads multi-axis samples flat, and layer names
// TF.js cannot load. Each export takes [batch, …inputShape] and predicts what tapegrad predicts, and comes back.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ORT from 'onnxruntime-web';
import { Generator, Tensor, ValueError, randn } from '@tapegrad/tensor';
import { Dense, Dropout, Flatten, Sequential, fromTfjsArtifacts, toTfjsArtifacts } from '../src/index.js';
import { exportTfjs, importTfjs } from '../src/node/index.js';
import { exportOnnx, importOnnx } from '../src/onnx/index.js';

// the engines are dev dependencies of examples/, resolved from there
const requireExamples = createRequire(fileURLToPath(new URL('../../../examples/package.json', import.meta.url)));
// the little of TF.js used here (its types are not resolvable from packages/nn)
interface TfTensor {
  dataSync(): Float32Array;
}
interface TfModel {
  predict(x: TfTensor): TfTensor;
  dispose(): void;
}
interface Tf {
  env(): { set(flag: string, value: boolean): void };
  setBackend(name: string): Promise<boolean>;
  loadLayersModel(handler: unknown): Promise<TfModel>;
  io: { fromMemory(artifacts: unknown): unknown };
  tidy<T>(f: () => T): T;
  tensor(values: Float32Array, shape: number[]): TfTensor;
}
let tf: Tf;
let ort: typeof ORT;
const root = mkdtempSync(join(tmpdir(), 'tapegrad-export-shapes-'));

beforeAll(async () => {
  tf = requireExamples('@tensorflow/tfjs') as Tf;
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  ort = requireExamples('onnxruntime-web') as typeof ORT;
  ort.env.wasm.numThreads = 1;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Json = Record<string, unknown>;
const topologyLayers = (m: Sequential): Json[] => (toTfjsArtifacts(m).modelTopology.config as Json).layers as Json[];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function tfjsPredict(m: Sequential, x: Tensor): Promise<Float32Array> {
  const model = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(m)));
  try {
    return tf.tidy(() => model.predict(tf.tensor(Float32Array.from(x.values()), [...x.shape])).dataSync());
  } finally {
    model.dispose();
  }
}

async function onnxPredict(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(x.values()), x.shape) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Checks the model in TF.js and ONNX Runtime on `x` ([batch, …inputShape]), and the re-imports of both exports. */
async function checkEverywhere(m: Sequential, x: Tensor): Promise<void> {
  const want = m.predict(x).values();
  expect(maxDiff(await tfjsPredict(m, x), want)).toBeLessThanOrEqual(1e-6);
  const bytes = exportOnnx(m);
  expect(maxDiff(await onnxPredict(bytes, x), want)).toBeLessThanOrEqual(1e-5);
  const dir = mkdtempSync(join(root, 'm-'));
  exportTfjs(m, dir);
  for (const back of [fromTfjsArtifacts(toTfjsArtifacts(m)), importTfjs(dir), importOnnx(bytes)]) {
    expect(back.inputShape).toEqual(m.inputShape);
    expect(maxDiff(back.predict(x).values(), want)).toBeLessThanOrEqual(1e-6);
  }
}

describe('a Flatten of one-axis samples in TF.js', () => {
  it('after a Dense: left out of the topology, and TF.js loads the model', async () => {
    const m = new Sequential({ seed: 3 });
    m.add(new Dense(4, { inputShape: [5], activation: 'tanh' }));
    m.add(new Flatten());
    m.add(new Dense(2));
    expect(topologyLayers(m).map((l) => l.class_name)).toEqual(['Dense', 'Dense']);
    await checkEverywhere(m, randn([3, 5], { generator: new Generator(1) }));
  });

  it('as the first layer: the next layer carries batch_input_shape', async () => {
    const m = new Sequential({ seed: 3 });
    m.add(new Flatten({ inputShape: [6] }));
    m.add(new Dropout(0.5));
    m.add(new Dense(2, { activation: 'relu' }));
    const layers = topologyLayers(m);
    expect(layers.map((l) => l.class_name)).toEqual(['Dropout', 'Dense']);
    expect((layers[0]!.config as Json).batch_input_shape).toEqual([null, 6]);
    await checkEverywhere(m, randn([4, 6], { generator: new Generator(2) }));
  });

  it('a model that is only such a Flatten exports as the identity', async () => {
    const m = new Sequential({ seed: 3 });
    m.add(new Flatten({ inputShape: [3] }));
    const x = randn([2, 3], { generator: new Generator(3) });
    expect(maxDiff(await tfjsPredict(m, x), m.predict(x).values())).toBe(0);
  });
});

describe('a first Dense given multi-axis samples takes [batch, …inputShape] in the other engines', () => {
  it('ONNX: a Flatten (axis 1) before the first Gemm, input ["batch", 2, 3]; TF.js: a Flatten with [null, 2, 3]', async () => {
    const m = new Sequential({ seed: 4 });
    m.add(new Dense(4, { inputShape: [2, 3], activation: 'relu' }));
    m.add(new Dense(2, { activation: 'softmax' }));
    const layers = topologyLayers(m);
    expect(layers.map((l) => l.class_name)).toEqual(['Flatten', 'Dense', 'Dense']);
    expect((layers[0]!.config as Json).batch_input_shape).toEqual([null, 2, 3]);
    expect((layers[1]!.config as Json).batch_input_shape).toBeUndefined();
    const session = await ort.InferenceSession.create(exportOnnx(m), { executionProviders: ['wasm'] });
    await session.release();
    await checkEverywhere(m, randn([5, 2, 3], { generator: new Generator(4) }));
  });

  it('also behind a Dropout, and with a layer already named flatten_input', async () => {
    const m = new Sequential({ seed: 4 });
    m.add(new Dropout(0.2, { inputShape: [2, 2, 2], name: 'flatten_input' }));
    m.add(new Dense(3));
    expect(topologyLayers(m).map((l) => `${l.class_name} ${(l.config as Json).name}`)).toEqual([
      'Flatten flatten_input_1',
      'Dropout flatten_input',
      'Dense dense',
    ]);
    await checkEverywhere(m, randn([2, 2, 2, 2], { generator: new Generator(5) }));
  });
});

describe('layer names', () => {
  it('a name TF.js cannot load is refused by the TF.js export, naming the layer and the pattern; ONNX Runtime takes it', async () => {
    for (const name of ['Dense 2', 'dense:0', '_hidden', 'ü']) {
      const m = new Sequential({ seed: 5 });
      m.add(new Dense(2, { inputShape: [3], name }));
      expect(() => toTfjsArtifacts(m)).toThrow(ValueError);
      expect(() => toTfjsArtifacts(m)).toThrow(`layer ${JSON.stringify(name)} has a name TF.js cannot load`);
      expect(() => toTfjsArtifacts(m)).toThrow('/^[A-Za-z0-9][-A-Za-z0-9._/]*$/');
      await checkOnnxOnly(m);
    }
    const dropout = new Sequential({ seed: 5 });
    dropout.add(new Dense(2, { inputShape: [3] }));
    dropout.add(new Dropout(0.1, { name: 'drop out' }));
    expect(() => toTfjsArtifacts(dropout)).toThrow(`layer "drop out" has a name TF.js cannot load`);
  });

  it('names TF.js can load still export and load', async () => {
    const m = new Sequential({ seed: 5, name: 'my model' });
    m.add(new Dense(2, { inputShape: [3], name: 'Block.1/fc-a_b' }));
    await checkEverywhere(m, randn([2, 3], { generator: new Generator(6) }));
  });

  it('control characters are refused in layer and model names at construction', () => {
    for (const name of ['a\nb', 'tab\there', 'nul\u0000', 'del\u007f', 'c1\u0085']) {
      expect(() => new Dense(2, { name })).toThrow(/Dense: name .* contains the control character U\+00/);
      expect(() => new Flatten({ name })).toThrow(ValueError);
      expect(() => new Sequential({ name })).toThrow(/Sequential: name .* contains the control character/);
    }
    expect(new Dense(2, { name: 'Dense 2 — ü' }).name).toBe('Dense 2 — ü');
  });
});

async function checkOnnxOnly(m: Sequential): Promise<void> {
  const x = randn([2, 3], { generator: new Generator(7) });
  const bytes = exportOnnx(m);
  expect(maxDiff(await onnxPredict(bytes, x), m.predict(x).values())).toBeLessThanOrEqual(1e-5);
  expect(maxDiff(importOnnx(bytes).predict(x).values(), m.predict(x).values())).toBeLessThanOrEqual(1e-6);
}
