import { Tensor, ValueError, fmtShape } from '@tapegrad/tensor';
import type { Sequential } from '../model/sequential.js';
import { bytesToTypedArray, typedArrayToBytes } from './binary.js';
import { describeForExport } from './exported-model.js';
import { buildImportedModel } from './imported-model.js';
import { MAX_LAYERS, MAX_PARAMETERS } from './limits.js';
import { assertSafeJson, describe, isPlainObject } from './safe-json.js';
import { fromTfjsTopology, toTfjsLayers } from './tfjs-topology.js';

// The TF.js layers format in memory (`tf.io.ModelArtifacts`): a Keras topology, the weight specs and one buffer of
// little-endian float32 weights. Browser-safe; the files (model.json + .bin shards) are written by `exportTfjs` in
// `@tapegrad/nn/node`.

/** One entry of a TF.js weights manifest: the weight's name (`layer/kernel`), shape and dtype. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** TF.js's quantized weights (refused on import: tapegrad reads float32 weights). */
  quantization?: unknown;
  /** `'optimizer'` for an optimizer's state saved with `includeOptimizer` (skipped on import). */
  group?: string;
}

/**
 * The artifacts of a TF.js layers model, as `tf.io.ModelArtifacts`: what `tf.io.fromMemory` and
 * `tf.loadLayersModel` take and what `model.save(tf.io.withSaveHandler(…))` hands over.
 */
export interface TfjsArtifacts {
  /** The Keras topology: `{ class_name: 'Sequential', config: { name, layers }, keras_version, backend }`. */
  modelTopology: Record<string, unknown>;
  weightSpecs: TfjsWeightSpec[];
  /** The weights, concatenated in `weightSpecs` order, little-endian float32. */
  weightData: ArrayBuffer;
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
}

/** What {@link fromTfjsArtifacts} accepts: `weightData` may also be a list of buffers (as TF.js 4 hands over) or a byte view. */
export interface TfjsArtifactsInput {
  modelTopology: unknown;
  weightSpecs: unknown;
  weightData: ArrayBuffer | readonly ArrayBuffer[] | ArrayBufferView;
}

const TO = 'toTfjsArtifacts';
const FROM = 'fromTfjsArtifacts';

/**
 * The model in the TF.js layers format: a Sequential topology of Dense (activations TF.js has; leakyRelu as Dense +
 * LeakyReLU), Dropout and Flatten layers and the float32 weights, ready for `tf.loadLayersModel(tf.io.fromMemory(a))`.
 * A float64 model is exported in float32. Throws, naming the layer, for what TF.js cannot express (e.g. a registered
 * custom activation).
 * @example const model = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(tapegradModel)));
 */
export function toTfjsArtifacts(model: Sequential): TfjsArtifacts {
  const m = describeForExport(TO, model);
  const layers = toTfjsLayers(TO, m.layers, m.inputShape);
  const weightSpecs: TfjsWeightSpec[] = [];
  const parts: Float32Array[] = [];
  for (const l of m.layers) {
    if (l.type !== 'Dense') continue;
    weightSpecs.push({ name: `${l.name}/kernel`, shape: [l.inputSize, l.units], dtype: 'float32' });
    parts.push(l.kernel);
    if (l.bias) {
      weightSpecs.push({ name: `${l.name}/bias`, shape: [l.units], dtype: 'float32' });
      parts.push(l.bias);
    }
  }
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  // typedArrayToBytes views `all` (or, on a big-endian host, is a fresh array): either way its buffer is exactly the bytes
  const weightData = typedArrayToBytes(all).buffer as ArrayBuffer;
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: m.name, layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightSpecs,
    weightData,
    format: 'layers-model',
    generatedBy: 'tapegrad',
    convertedBy: null,
  };
}

/**
 * A Sequential model from TF.js layers-model artifacts (`model.save(tf.io.withSaveHandler(…))`, or a model.json
 * and its weights): Dense, Dropout, Flatten, InputLayer and activation layers (Activation, ReLU, LeakyReLU with
 * alpha 0.01, ELU, Softmax) that follow a Dense. The model is uncompiled: compile it to train on (an optimizer state
 * saved with `includeOptimizer` is skipped). Every field is checked before anything is built; an unsupported layer,
 * attribute or activation is named in the error, and weights that disagree with the topology (names, shapes, byte
 * count) are refused.
 */
export function fromTfjsArtifacts(artifacts: TfjsArtifactsInput): Sequential {
  if (artifacts === null || typeof artifacts !== 'object') {
    throw new ValueError(`${FROM}: expected {modelTopology, weightSpecs, weightData}, got ${describe(artifacts)}`);
  }
  assertSafeJson(artifacts.modelTopology, { context: `${FROM} modelTopology` });
  assertSafeJson(artifacts.weightSpecs, { context: `${FROM} weightSpecs` });
  const topology = fromTfjsTopology(FROM, artifacts.modelTopology);
  const specs = readWeightSpecs(FROM, artifacts.weightSpecs);
  const bytes = weightBytes(FROM, artifacts.weightData);
  const needed = specs.reduce((n, s) => n + 4 * s.size, 0);
  if (bytes.length !== needed) {
    throw new ValueError(
      `${FROM}: weightData has ${bytes.length} bytes but the weightSpecs describe ${needed} (${needed / 4} float32 values) — ` +
        `truncated, or weights and topology of different models`,
    );
  }
  // no prototype: a weight named '__proto__' is an entry like any other (refused as one the layers do not have)
  const weights = Object.create(null) as Record<string, Tensor>;
  let offset = 0;
  for (const s of specs) {
    if (!s.optimizer) weights[s.name] = new Tensor(bytesToTypedArray(bytes.subarray(offset, offset + 4 * s.size), 'float32'), s.shape);
    offset += 4 * s.size;
  }
  return buildImportedModel(FROM, { ...topology, weights });
}

/** A checked weight spec: its name, shape, element count, and whether it is an optimizer's (TF.js `group: 'optimizer'`). */
export interface WeightSpec {
  name: string;
  shape: number[];
  size: number;
  optimizer: boolean;
}

/**
 * The checked weight specs: unique names, float32 (an optimizer's int32 step counter too), shapes of non-negative
 * integers, sizes bounded before any allocation. Every element takes 4 bytes.
 */
export function readWeightSpecs(fn: string, specs: unknown): WeightSpec[] {
  if (!Array.isArray(specs) || specs.length > 4 * MAX_LAYERS) {
    throw new ValueError(`${fn}: weightSpecs must be an array of at most ${4 * MAX_LAYERS} entries, got ${describe(specs)}`);
  }
  const out: WeightSpec[] = [];
  const names = new Set<string>();
  let total = 0;
  for (const [i, s] of specs.entries()) {
    if (!isPlainObject(s) || typeof s.name !== 'string' || s.name === '' || s.name.length > 400) {
      throw new ValueError(`${fn}: weightSpecs[${i}] must be {name, shape, dtype} with a name, got ${describe(s)}`);
    }
    const where = `${fn}: weight ${describe(s.name)}`;
    if (names.has(s.name)) throw new ValueError(`${where} appears twice in the weightSpecs`);
    names.add(s.name);
    if (s.quantization !== undefined && s.quantization !== null) {
      throw new ValueError(`${where}: unsupported attribute quantization; tapegrad reads float32 weights (save unquantized)`);
    }
    // TF.js saves an optimizer's state (includeOptimizer) after the weights, in the group 'optimizer'; it is skipped
    const optimizer = s.group === 'optimizer';
    if (s.dtype !== 'float32' && !(optimizer && s.dtype === 'int32')) {
      throw new ValueError(`${where}: unsupported dtype ${describe(s.dtype)}; expected float32`);
    }
    const shape = s.shape;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ValueError(`${where}: shape must be at most 8 non-negative integers, got ${describe(shape)}`);
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    total += size;
    if (size > MAX_PARAMETERS || total > MAX_PARAMETERS) {
      throw new ValueError(
        `${where}: the weights hold more than ${MAX_PARAMETERS} values (shape ${fmtShape(shape)}); refusing to allocate`,
      );
    }
    out.push({ name: s.name, shape: [...(shape as number[])], size, optimizer });
  }
  return out;
}

/** The weight bytes as one view: an ArrayBuffer, a list of them (concatenated) or a typed-array view. */
function weightBytes(fn: string, data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((b) => b instanceof ArrayBuffer)) {
    const total = data.reduce((n: number, b: ArrayBuffer) => n + b.byteLength, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const b of data as ArrayBuffer[]) {
      out.set(new Uint8Array(b), offset);
      offset += b.byteLength;
    }
    return out;
  }
  throw new ValueError(`${fn}: weightData must be an ArrayBuffer, a list of ArrayBuffers or a byte view, got ${describe(data)}`);
}
