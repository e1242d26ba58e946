// tapegrad ↔ TensorFlow.js 4.22, checked by TensorFlow.js itself: a tapegrad model loads with tf.loadLayersModel and
// predicts the same values; a model built and trained by TF.js, saved with model.save(tf.io.withSaveHandler(…)),
// imports into tapegrad with the same predictions and trains on with fit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { Tensor } from '@tapegrad/tensor';
import { Dense, Dropout, Flatten, Sequential, fromTfjsArtifacts, toTfjsArtifacts, type TfjsArtifacts } from '@tapegrad/nn';
import { exportTfjs, importTfjs, loadMnistPackage, type ImageDataset } from '@tapegrad/nn/node';
import { tempDirs } from './temp-dirs.js';

let tf: typeof TF;
let mnist: ImageDataset;
const tmp = tempDirs('tapegrad-tfjs-interop-');

beforeAll(async () => {
  tf = await import('@tensorflow/tfjs');
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner
  await tf.setBackend('cpu');
  mnist = loadMnistPackage({ trainSize: 2000, testSize: 500, seed: 0 });
});

/** TF.js's predictions for `x` (a tapegrad tensor) as a Float32Array. */
function tfPredict(model: TF.LayersModel, x: Tensor): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x.values() as Float32Array, [...x.shape])) as TF.Tensor).dataSync() as Float32Array);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The artifacts TF.js hands to a save handler. */
async function saveFromTfjs(model: TF.LayersModel, includeOptimizer = false): Promise<TF.io.ModelArtifacts> {
  let saved: TF.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer },
  );
  return saved!;
}

describe('a tapegrad model in TensorFlow.js', () => {
  it('the MNIST MLP (784-128-10) trained by tapegrad predicts the same in TF.js (≤ 1e-6), from memory and from files', async () => {
    const m = new Sequential({ seed: 1, name: 'mnist-mlp' });
    m.add(new Dense(128, { activation: 'relu', inputShape: [784] }));
    m.add(new Dense(10, { activation: 'softmax' }));
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    m.fit(mnist.xTrain, mnist.yTrain, { epochs: 2, batchSize: 64, verbose: 0 });
    const want = m.predict(mnist.xTest).values();

    const fromMemory = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(m)));
    expect(maxDiff(tfPredict(fromMemory, mnist.xTest), want)).toBeLessThanOrEqual(1e-6);

    // model.json + shards on disk, read by a small IOHandler as a server would serve them
    const dir = tmp();
    exportTfjs(m, dir, { shardBytes: 100_000 });
    const doc = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: object;
      weightsManifest: TF.io.WeightsManifestConfig;
    };
    const group = doc.weightsManifest[0]!;
    expect(group.paths.length).toBe(5);
    const handler: TF.io.IOHandler = {
      load: async () => {
        const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
        return { modelTopology: doc.modelTopology, weightSpecs: group.weights, weightData: new Uint8Array(bytes).buffer };
      },
    };
    const fromFiles = await tf.loadLayersModel(handler);
    expect(maxDiff(tfPredict(fromFiles, mnist.xTest), want)).toBeLessThanOrEqual(1e-6);
    fromMemory.dispose();
    fromFiles.dispose();
  });

  it('every activation TF.js has, Flatten of 28×28 images, Dropout and leakyRelu as a LeakyReLU layer', async () => {
    const m = new Sequential({ seed: 2 });
    m.add(new Flatten({ inputShape: [28, 28] }));
    m.add(new Dense(64, { activation: 'gelu' }));
    m.add(new Dropout(0.3));
    m.add(new Dense(32, { activation: 'elu' }));
    m.add(new Dense(32, { activation: 'tanh' }));
    m.add(new Dense(16, { activation: 'sigmoid' }));
    m.add(new Dense(16, { activation: 'softplus' }));
    m.add(new Dense(16, { activation: 'leakyRelu' }));
    m.add(new Dense(16, { activation: 'relu' }));
    m.add(new Dense(12));
    m.add(new Dense(10, { activation: 'logSoftmax' }));
    const images = new Tensor(mnist.xTest.values(), [500, 28, 28]);
    const t = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(m)));
    expect(t.layers.map((l) => l.getClassName())).toContain('LeakyReLU');
    // log-probabilities near -10 carry float32 rounding of ~1e-6 of their size
    expect(maxDiff(tfPredict(t, images), m.predict(images).values())).toBeLessThanOrEqual(1e-5);
    t.dispose();
  });
});

describe('a TensorFlow.js model in tapegrad', () => {
  it('built and trained by TF.js, saved with withSaveHandler: same predictions (≤ 1e-6), trains on with fit, and goes back', async () => {
    const t = tf.sequential({ name: 'from-tfjs' });
    t.add(tf.layers.inputLayer({ inputShape: [784] }));
    t.add(tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    t.add(tf.layers.dropout({ rate: 0.2 }));
    t.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    t.add(tf.layers.activation({ activation: 'softmax' }));
    t.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const xs = tf.tensor(mnist.xTrain.values() as Float32Array, [2000, 784]);
    const ys = tf.tensor(Float32Array.from(mnist.yTrain.values()), [2000]);
    await t.fit(xs, ys, { epochs: 2, batchSize: 64, verbose: 0 });
    xs.dispose();
    ys.dispose();
    const saved = await saveFromTfjs(t);

    const m = fromTfjsArtifacts(saved as unknown as TfjsArtifacts);
    expect(m.name).toBe('from-tfjs');
    expect(m.layers.map((l) => `${l.type} ${l.activationName}`)).toEqual(['Dense relu', 'Dropout -', 'Dense softmax']);
    const tfP = tfPredict(t, mnist.xTest);
    expect(maxDiff(m.predict(mnist.xTest).values(), tfP)).toBeLessThanOrEqual(1e-6);
    // saved with the optimizer's state (Adam's moments and step counter follow the weights): the state is skipped
    const withOptimizer = await saveFromTfjs(t, true);
    expect(withOptimizer.weightSpecs!.some((s) => s.group === 'optimizer' && s.dtype === 'int32')).toBe(true);
    expect(fromTfjsArtifacts(withOptimizer as unknown as TfjsArtifacts).predict(mnist.xTest).equals(m.predict(mnist.xTest))).toBe(true);

    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const before = m.evaluate(mnist.xTest, mnist.yTest);
    const h = m.fit(mnist.xTrain, mnist.yTrain, { epochs: 3, batchSize: 64, verbose: 0 });
    const loss = h.history.loss!;
    expect(loss[2]!).toBeLessThan(loss[0]!);
    const after = m.evaluate(mnist.xTest, mnist.yTest);
    expect(after.loss!).toBeLessThan(before.loss!);
    expect(after.accuracy!).toBeGreaterThan(0.85);

    // the fine-tuned model goes back to TF.js with the same predictions
    const back = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(m)));
    expect(maxDiff(tfPredict(back, mnist.xTest), m.predict(mnist.xTest).values())).toBeLessThanOrEqual(1e-6);
    // and through files: TF.js's own artifacts written as model.json + shards import again
    const dir = tmp();
    exportTfjs(m, dir);
    expect(importTfjs(dir).predict(mnist.xTest).equals(m.predict(mnist.xTest))).toBe(true);
    t.dispose();
    back.dispose();
  });
});
