/**
 * `pnpm example:interop [--model FILE]` — a tapegrad MNIST model out to TensorFlow.js and ONNX Runtime and back, a
 * TF.js-trained model and PyTorch's ONNX exports in: prints the largest |difference| of the predictions in each
 * direction and the size of each file format. With `--model`, that model.json (from `pnpm mnist`) is used instead of
 * a freshly trained one.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { Tensor } from '@tapegrad/tensor';
import { Dense, Sequential, fromTfjsArtifacts, toTfjsArtifacts, type TfjsArtifacts } from '@tapegrad/nn';
import { exportOnnx, importOnnx } from '@tapegrad/nn/onnx';
import { exportOnnxFile, exportTfjs, load, loadMnistPackage, save } from '@tapegrad/nn/node';
import { flag } from '../shared/cli.js';

tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');
ort.env.wasm.numThreads = 1;

/** Prints `label` and the largest |a − b|. */
const report = (label: string, a: ArrayLike<number>, b: ArrayLike<number>): void => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  console.log(`  ${label.padEnd(44)} ${m.toExponential(2)}`);
};
const tfPredict = (model: tf.LayersModel, x: Tensor): Float32Array =>
  tf.tidy(() => (model.predict(tf.tensor(x.values() as Float32Array, [...x.shape])) as tf.Tensor).dataSync() as Float32Array);
async function ortPredict(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(x.values()), x.shape) });
  await s.release();
  return out[s.outputNames[0]!]!.data as Float32Array;
}

const { xTrain, yTrain, xTest } = loadMnistPackage({ trainSize: 8000, testSize: 2000, seed: 0 });
const modelFile = flag(process.argv.slice(2), '--model');
let model: Sequential;
if (modelFile !== undefined) model = load(modelFile);
else {
  model = new Sequential({ seed: 0, name: 'mnist-mlp' });
  model.add(new Dense(128, { activation: 'relu', inputShape: [784] }));
  model.add(new Dense(10, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  model.fit(xTrain, yTrain, { epochs: 10, batchSize: 64, verbose: 0 });
}
const want = model.predict(xTest).values();
console.log(`max |difference| of the predictions on ${xTest.shape[0]} MNIST test digits:`);
const inTf = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(model)));
report('tapegrad → TF.js 4.22', tfPredict(inTf, xTest), want);
report('tapegrad → ONNX Runtime (wasm)', await ortPredict(exportOnnx(model), xTest), want);

// a model trained by TF.js itself, saved with a save handler, read by tapegrad
const t = tf.sequential();
t.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [784] }));
t.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
t.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
await t.fit(tf.tensor(xTrain.values() as Float32Array, [8000, 784]), tf.tensor(Float32Array.from(yTrain.values())), {
  epochs: 2,
  verbose: 0,
});
let saved: tf.io.ModelArtifacts | null = null;
await t.save(
  tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
);
const fromTf = fromTfjsArtifacts(saved! as unknown as TfjsArtifacts);
report('TF.js → tapegrad', fromTf.predict(xTest).values(), tfPredict(t, xTest));

for (const name of ['torch-mlp', 'torch-mlp-reshape']) {
  const dir = fileURLToPath(new URL('../../packages/nn/test/fixtures/onnx/', import.meta.url));
  const rec = JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as {
    input: { shape: number[]; data: number[] };
    output: { data: number[] };
  };
  const bytes = readFileSync(`${dir}${name}.onnx`);
  const x = new Tensor(Float32Array.from(rec.input.data), rec.input.shape);
  report(`PyTorch → tapegrad (${name})`, importOnnx(bytes).predict(x).values(), rec.output.data);
  report(`PyTorch → ONNX Runtime (${name})`, await ortPredict(bytes, x), rec.output.data);
}

const dir = mkdtempSync(join(tmpdir(), 'tapegrad-interop-'));
save(model, join(dir, 'model.json'), { includeOptimizer: false });
const tfjs = exportTfjs(model, join(dir, 'tfjs'));
exportOnnxFile(model, join(dir, 'model.onnx'));
const size = (p: string): number => statSync(p).size;
console.log(`file sizes of ${model.name} (${model.parameters().reduce((n, p) => n + p.size, 0)} parameters):`);
console.log(`  tapegrad model.json (no optimizer)  ${size(join(dir, 'model.json'))} bytes`);
console.log(`  TF.js model.json + shard            ${size(tfjs.modelJson)} + ${tfjs.shards.map(size).join(' + ')} bytes`);
console.log(`  ONNX model.onnx                     ${size(join(dir, 'model.onnx'))} bytes`);
rmSync(dir, { recursive: true, force: true });
