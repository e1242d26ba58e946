// The lab's model files in Node: each download format reads back through the page's loader (and through the packages'
// own readers) to the same predictions, and every wrong selection is refused with a message that says what to select.
import { Dense, Sequential, fromTfjsArtifacts } from '@tapegrad/nn';
import { importOnnx } from '@tapegrad/nn/onnx';
import { Tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import { FILE_NAMES, loadModelFiles, modelFiles, type ModelFile, type ModelFormat } from '../src/train/model-files.js';

function digitModel(activation = 'tanh', outputs = 10): Sequential {
  const model = new Sequential({ seed: 7 });
  model.add(new Dense(16, { activation, inputShape: [784] }));
  model.add(new Dense(outputs, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

const x = new Tensor(Float32Array.from({ length: 3 * 784 }, (_, i) => ((i * 7919) % 256) / 255), [3, 784]);
const asFile = (f: ModelFile, name = f.name): File => new File([typeof f.data === 'string' ? f.data : new Uint8Array(f.data)], name);
const filesOf = async (format: ModelFormat, model: Sequential): Promise<ModelFile[]> =>
  modelFiles(format, model, JSON.stringify(model.toJSON()));
const expectSamePredictions = (a: Sequential, b: Sequential): void => {
  const [p, q] = [a.predict(x).values(), b.predict(x).values()];
  p.forEach((v, i) => expect(Math.abs(v - q[i]!), `prediction ${i}`).toBeLessThan(1e-6));
};

describe('the lab model files', () => {
  const model = digitModel();

  it('writes tapegrad JSON, the TF.js pair tf.io.browserDownloads writes, and ONNX', async () => {
    const [json] = await filesOf('tapegrad', model);
    expect(json!.name).toBe(FILE_NAMES.tapegrad);
    expectSamePredictions(Sequential.fromJSON(json!.data as string), model);

    const tfjs = await filesOf('tfjs', model);
    expect(tfjs.map((f) => f.name)).toEqual(['tapegrad-mnist-tfjs.json', 'tapegrad-mnist-tfjs.weights.bin']);
    const doc = JSON.parse(tfjs[0]!.data as string);
    expect(Object.keys(doc)).toEqual(['modelTopology', 'format', 'generatedBy', 'convertedBy', 'weightsManifest']);
    expect(doc.weightsManifest).toHaveLength(1);
    expect(doc.weightsManifest[0].paths).toEqual(['./tapegrad-mnist-tfjs.weights.bin']);
    const weights = tfjs[1]!.data as Uint8Array;
    expect(weights.length).toBe(4 * (784 * 16 + 16 + 16 * 10 + 10));
    const back = fromTfjsArtifacts({ modelTopology: doc.modelTopology, weightSpecs: doc.weightsManifest[0].weights, weightData: weights });
    expectSamePredictions(back, model);

    const [onnx] = await filesOf('onnx', model);
    expect(onnx!.name).toBe(FILE_NAMES.onnx);
    expectSamePredictions(importOnnx(onnx!.data as Uint8Array), model);
  });

  it('reads each format back, compiled for the digits, with tapegrad JSON for the worker', async () => {
    for (const format of ['tapegrad', 'tfjs', 'onnx'] as const) {
      const loaded = await loadModelFiles((await filesOf(format, model)).map((f) => asFile(f)));
      expect(loaded.format).toBe(format);
      expect(loaded.model.isCompiled).toBe(true);
      expect(loaded.model.lossName).toBe('sparseCategoricalCrossentropy');
      expect(loaded.model.fromLogits).toBe(false);
      expectSamePredictions(loaded.model, model);
      expectSamePredictions(Sequential.fromJSON(loaded.json), model);
    }
    // a TF.js pair with its .bin first, and a .bin a browser renamed on a second download
    const [json, bin] = await filesOf('tfjs', model);
    expectSamePredictions((await loadModelFiles([asFile(bin!), asFile(json!)])).model, model);
    expectSamePredictions((await loadModelFiles([asFile(json!), asFile(bin!, 'tapegrad-mnist-tfjs.weights (1).bin')])).model, model);
  });

  it('reads TF.js weights in several shards, matched by the names its manifest lists', async () => {
    const [json, bin] = await filesOf('tfjs', model);
    const doc = JSON.parse(json!.data as string);
    const bytes = bin!.data as Uint8Array;
    const names = ['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin'];
    doc.weightsManifest[0].paths = names;
    const shards = [bytes.subarray(0, 20_000), bytes.subarray(20_000, 40_000), bytes.subarray(40_000)];
    const files = names.map((name, i) => new File([new Uint8Array(shards[i]!)], name));
    const modelJson = new File([JSON.stringify(doc)], 'model.json');
    expectSamePredictions((await loadModelFiles([files[2]!, modelJson, files[0]!, files[1]!])).model, model);
    await expect(loadModelFiles([modelJson, files[0]!, files[2]!])).rejects.toThrow(
      /loadModel: model\.json: its weights manifest lists group1-shard2of3\.bin, not selected .*select every \.bin it lists/,
    );
    await expect(loadModelFiles([modelJson, ...files, new File([new Uint8Array(8)], 'other.bin')])).rejects.toThrow(
      /other\.bin not in its weights manifest, which lists group1-shard1of3\.bin/,
    );
    // the right names with the wrong bytes: the byte count is checked against the weight specs
    await expect(loadModelFiles([modelJson, files[0]!, files[1]!, new File([new Uint8Array(8)], names[2]!)])).rejects.toThrow(
      /fromTfjsArtifacts: weightData has 40008 bytes but the weightSpecs describe 50920/,
    );
  });

  it('compiles an imported model without a softmax on logits, and a gelu model saves as TF.js but not as ONNX', async () => {
    const logits = new Sequential({ seed: 1 });
    logits.add(new Dense(10, { inputShape: [784] }));
    const loaded = await loadModelFiles((await filesOf('onnx', logits)).map((f) => asFile(f)));
    expect(loaded.model.fromLogits).toBe(true);

    const gelu = digitModel('gelu');
    expect(await filesOf('tfjs', gelu)).toHaveLength(2);
    await expect(filesOf('onnx', gelu)).rejects.toThrow(
      /exportOnnx: unsupported activation 'gelu' in layer '\w+': ONNX has Gelu only from opset 20/,
    );
  });

  it('refuses a wrong selection, saying what to select', async () => {
    const [json, bin] = (await filesOf('tfjs', model)).map((f) => asFile(f));
    const [onnx] = (await filesOf('onnx', model)).map((f) => asFile(f));
    const [tapegrad] = (await filesOf('tapegrad', model)).map((f) => asFile(f));
    const cases: [File[], RegExp][] = [
      [[bin!], /tapegrad-mnist-tfjs\.weights\.bin: a \.bin file holds only the weights of a TF\.js model; select its model\.json together/],
      [[json!], /tapegrad-mnist-tfjs\.json is a TF\.js model whose weights are in tapegrad-mnist-tfjs\.weights\.bin: select them together/],
      [[json!, tapegrad!], /select one model \.json at a time, got tapegrad-mnist-tfjs\.json, tapegrad-mnist-model\.json/],
      [[onnx!, bin!], /an \.onnx file holds the whole model; select it alone/],
      [[tapegrad!, bin!], /tapegrad-mnist-model\.json is not a TF\.js model\.json .* a tapegrad model file holds its weights itself/],
      [[new File(['7'], 'notes.txt')], /notes\.txt: not a model file; the lab loads a tapegrad model \.json, a TF\.js model\.json/],
      [[new File(['{"format": "something-else"}'], 'model.json')], /Sequential\.fromJSON: not a tapegrad model/],
      [[new File(['{"format": "tapegrad-model", "vers'], 'model.json')], /invalid JSON .* truncated or corrupted\?/],
      [[new File(['{"format": "graph-model", "modelTopology": {}}'], 'model.json')], /TF\.js format "graph-model"; the lab reads TF\.js/],
      [[new File(['{"modelTopology": {}}'], 'model.json')], /a TF\.js model\.json without a weightsManifest/],
      [[], /no file selected/],
    ];
    for (const [files, message] of cases) {
      await expect(loadModelFiles(files), files.map((f) => f.name).join(' + ')).rejects.toThrow(message);
    }

    // a truncated .onnx, and a model that does not map 784 pixels to 10 classes
    const bytes = new Uint8Array(await onnx!.arrayBuffer());
    await expect(loadModelFiles([new File([bytes.subarray(0, bytes.length >> 1)], 'model.onnx')])).rejects.toThrow(/^importOnnx: /);
    const [five] = await filesOf('onnx', digitModel('relu', 5));
    await expect(loadModelFiles([asFile(five!)])).rejects.toThrow(
      /loadModel: the lab needs a model with 784 inputs and 10 outputs, this one has 784 inputs and 5 outputs/,
    );
  });
});
