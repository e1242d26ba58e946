// Model files in and out of the lab: tapegrad's JSON, the TF.js layers format as tf.io.browserDownloads writes it
// (a model.json whose weightsManifest names one .bin file; tf.io.browserFiles and tf.loadLayersModel read the pair),
// and ONNX. The ONNX entry (protobufjs and ONNX's schema) is a chunk of its own, fetched by a dynamic import only
// when ONNX is asked for, so it stays out of the page's first download.
import { Dense, Sequential, fromTfjsArtifacts, parseJsonSafe, toTfjsArtifacts } from '@tapegrad/nn';
import { ValueError } from '@tapegrad/tensor';
import { checkDigitModel } from '../model-store.js';

/** The formats the lab writes and reads. */
export type ModelFormat = 'tapegrad' | 'tfjs' | 'onnx';

/** How each format is named on the page. */
export const FORMAT_LABEL: Record<ModelFormat, string> = { tapegrad: 'tapegrad JSON', tfjs: 'TF.js', onnx: 'ONNX' };

/** One file to download: its name, MIME type and contents. */
export interface ModelFile {
  name: string;
  type: string;
  data: string | Uint8Array;
}

/** A model read from files, ready for the lab's sections (784 inputs, 10 outputs, compiled), and its tapegrad JSON. */
export interface LoadedModel {
  model: Sequential;
  json: string;
  format: ModelFormat;
}

/** The downloads' names; the TF.js pair is what `tf.io.browserDownloads('tapegrad-mnist-tfjs')` writes. */
export const FILE_NAMES = {
  tapegrad: 'tapegrad-mnist-model.json',
  tfjsModel: 'tapegrad-mnist-tfjs.json',
  tfjsWeights: 'tapegrad-mnist-tfjs.weights.bin',
  onnx: 'tapegrad-mnist-model.onnx',
} as const;

/** The largest selection the lab reads (the form's largest MLP, 784-1024×4-10, is 16 MiB). */
const MAX_BYTES = 256 * 1024 * 1024;
const FN = 'loadModel';
const EXPECTED = 'the lab loads a tapegrad model .json, a TF.js model.json together with its .bin weight files, or an .onnx file';

/** The ONNX entry, fetched on first use. */
async function onnxEntry(): Promise<typeof import('@tapegrad/nn/onnx')> {
  try {
    return await import('@tapegrad/nn/onnx');
  } catch (e) {
    throw new Error(`the ONNX code could not be fetched from the site (${(e as Error).message}); reload the page and try again`);
  }
}

/**
 * The files of `model` in `format`: tapegrad's `json` as it is; TF.js as a model.json (topology and a weights
 * manifest naming the .bin) and the .bin of little-endian float32 weights; ONNX as opset-13 protobuf bytes. A model
 * the format cannot express gets the exporter's own error (gelu for ONNX: `exportOnnx: unsupported activation …`).
 */
export async function modelFiles(format: ModelFormat, model: Sequential, json: string): Promise<ModelFile[]> {
  switch (format) {
    case 'tapegrad':
      return [{ name: FILE_NAMES.tapegrad, type: 'application/json', data: json }];
    case 'tfjs': {
      const a = toTfjsArtifacts(model);
      // the fields and their order of tf.io.browserDownloads' model.json
      const doc = {
        modelTopology: a.modelTopology,
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy,
        weightsManifest: [{ paths: [`./${FILE_NAMES.tfjsWeights}`], weights: a.weightSpecs }],
      };
      return [
        { name: FILE_NAMES.tfjsModel, type: 'application/json', data: JSON.stringify(doc) },
        { name: FILE_NAMES.tfjsWeights, type: 'application/octet-stream', data: new Uint8Array(a.weightData) },
      ];
    }
    case 'onnx': {
      const { exportOnnx } = await onnxEntry();
      return [{ name: FILE_NAMES.onnx, type: 'application/octet-stream', data: exportOnnx(model) }];
    }
  }
}

const extension = (name: string): string => /\.([^./\\]+)$/.exec(name.toLowerCase())?.[1] ?? '';
const basename = (path: string): string => path.split(/[\\/]/).pop()!;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (files: readonly { name: string }[]): string => files.map((f) => f.name).join(', ');

/**
 * Reads a model from the files a user selected: one tapegrad .json; a TF.js model.json with the .bin files its
 * weights manifest names (matched by name as tf.io.browserFiles does); or one .onnx file. The model must map 784
 * pixels to 10 classes; an uncompiled one (TF.js, ONNX) is compiled as the lab trains (sparse cross-entropy, Adam;
 * from logits when the last layer is not a softmax). Anything else is refused with a message that says what to select.
 */
export async function loadModelFiles(files: readonly File[]): Promise<LoadedModel> {
  if (files.length === 0) throw new ValueError(`${FN}: no file selected; ${EXPECTED}`);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  if (bytes > MAX_BYTES) throw new ValueError(`${FN}: ${list(files)} hold ${bytes} bytes; the lab reads models up to ${MAX_BYTES} bytes`);
  const of = (ext: string): File[] => files.filter((f) => extension(f.name) === ext);
  const [jsons, bins, onnx] = [of('json'), of('bin'), of('onnx')];
  const other = files.filter((f) => !['json', 'bin', 'onnx'].includes(extension(f.name)));
  if (other.length > 0) throw new ValueError(`${FN}: ${list(other)}: not a model file; ${EXPECTED}`);

  let loaded: { model: Sequential; json: string | null; format: ModelFormat };
  if (onnx.length > 0) {
    if (files.length > 1) throw new ValueError(`${FN}: an .onnx file holds the whole model; select it alone, got ${list(files)}`);
    const { importOnnx } = await onnxEntry();
    loaded = { model: importOnnx(new Uint8Array(await onnx[0]!.arrayBuffer())), json: null, format: 'onnx' };
  } else if (jsons.length === 0) {
    throw new ValueError(
      `${FN}: ${list(bins)}: a .bin file holds only the weights of a TF.js model; select its model.json together with it`,
    );
  } else if (jsons.length > 1) {
    throw new ValueError(`${FN}: select one model .json at a time, got ${list(jsons)}`);
  } else {
    const file = jsons[0]!;
    const text = await file.text();
    const doc = parseJsonSafe(text, { context: file.name });
    if (isObject(doc) && 'modelTopology' in doc) {
      loaded = { model: await fromTfjsFiles(file.name, doc, bins), json: null, format: 'tfjs' };
    } else if (bins.length > 0) {
      throw new ValueError(
        `${FN}: ${file.name} is not a TF.js model.json (it has no modelTopology), so ${list(bins)} cannot be its weights; ` +
          `a tapegrad model file holds its weights itself: select it alone`,
      );
    } else {
      loaded = { model: Sequential.fromJSON(doc), json: text, format: 'tapegrad' };
    }
  }
  const { model, format } = loaded;
  checkDigitModel(FN, model);
  if (!model.isCompiled) {
    const last = model.layers[model.layers.length - 1];
    const fromLogits = !(last instanceof Dense && last.activation === 'softmax');
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], fromLogits });
    loaded.json = null;
  }
  return { model, format, json: loaded.json ?? JSON.stringify(model.toJSON()) };
}

/** A TF.js layers model from its model.json document and the selected .bin files its weights manifest names. */
async function fromTfjsFiles(jsonName: string, doc: Record<string, unknown>, bins: File[]): Promise<Sequential> {
  const where = `${FN}: ${jsonName}`;
  if (doc.format !== undefined && doc.format !== 'layers-model') {
    throw new ValueError(
      `${where}: TF.js format ${JSON.stringify(String(doc.format).slice(0, 40))}; the lab reads TF.js layers models (format layers-model)`,
    );
  }
  const manifest = doc.weightsManifest;
  if (!Array.isArray(manifest)) throw new ValueError(`${where}: a TF.js model.json without a weightsManifest (its weights are missing)`);
  let specs: unknown[] = [];
  let paths: string[] = [];
  for (const [g, group] of manifest.entries()) {
    if (
      !isObject(group) ||
      !Array.isArray(group.weights) ||
      !Array.isArray(group.paths) ||
      !group.paths.every((p) => typeof p === 'string')
    ) {
      throw new ValueError(`${where}: weightsManifest[${g}] must be {paths: [file names], weights: [specs]}`);
    }
    specs = specs.concat(group.weights);
    paths = paths.concat((group.paths as string[]).map(basename));
  }
  const files = weightFiles(where, paths, bins);
  const weightData = await Promise.all(files.map((f) => f.arrayBuffer()));
  return fromTfjsArtifacts({ modelTopology: doc.modelTopology, weightSpecs: specs, weightData });
}

/** The selected .bin files in the order the manifest lists them; every listed file must be selected, and nothing else. */
function weightFiles(where: string, listed: string[], bins: File[]): File[] {
  if (new Set(listed).size !== listed.length) {
    throw new ValueError(`${where}: the weightsManifest names a file twice (${listed.join(', ')})`);
  }
  if (bins.length === 0 && listed.length > 0) {
    throw new ValueError(`${where} is a TF.js model whose weights are in ${listed.join(', ')}: select them together with the model.json`);
  }
  // a browser renames a repeated download ("….weights (1).bin"): one listed and one selected file match whatever the name
  if (listed.length === 1 && bins.length === 1) return bins;
  const byName = new Map(bins.map((f) => [f.name, f]));
  const missing = listed.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new ValueError(
      `${where}: its weights manifest lists ${missing.join(', ')}, not selected (selected: ${list(bins)}); select every .bin it lists`,
    );
  }
  const extra = bins.filter((f) => !listed.includes(f.name));
  if (extra.length > 0) throw new ValueError(`${where}: ${list(extra)} not in its weights manifest, which lists ${listed.join(', ')}`);
  return listed.map((name) => byName.get(name)!);
}
