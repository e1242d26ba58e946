import { type DType, ShapeError, type Tensor, ValueError, fmtShape, sizeOf } from '@tapegrad/tensor';
import { isBuiltinOptimizer, optimizerNames, type Optimizer, type OptimizerState } from '@tapegrad/optim';
import { Dense, Dropout, Flatten, type Layer, type LayerConfig } from '../model/layers.js';
import type { CompileOptions } from '../training/compile.js';
import type { MetricSpec } from '../training/objective.js';
import type { GeneratorState } from '@tapegrad/tensor';
import { readGeneratorState, writeGeneratorState, type StoredGeneratorState } from './generator-state.js';
import { layerFromConfig } from './layer-config.js';
import { MAX_LAYERS, MAX_NAME_LENGTH, MAX_PARAMETERS, checkCount, checkInputShape, checkSeed } from './limits.js';
import {
  readCompileSection,
  readOptimizerState,
  writeOptimizerState,
  type CompileSection,
  type ParameterInfo,
  type StoredOptimizerState,
} from './optimizer-state.js';
import { assertSafeJson, checkExactKeys, describe, isPlainObject, parseJsonSafe } from './safe-json.js';
import { WEIGHTS_FORMAT, WEIGHTS_VERSION, decodeTensors, encodeTensors } from './tensors.js';

// The JSON model format: one document with the architecture, the compile settings, the optimizer and generator
// states and the weights. This build writes version 2 and reads versions 1 and 2 (docs/model-format.md). Writing
// takes plain data gathered from a model; reading checks every field and hands back plain data and the layers,
// with every size counted before anything is allocated.

/** The format version this build writes. */
export const MODEL_VERSION = 2;
/** The format versions this build reads. */
const READABLE_VERSIONS: readonly number[] = [1, 2];

/** The JSON document written by {@link Sequential.toJSON} (version 2; see docs/model-format.md). */
export interface ModelJSON {
  format: 'tapegrad-model';
  version: 2;
  name: string;
  seed: number | string;
  inputShape: number[] | null;
  architecture: { class: 'Sequential'; layers: { type: string; config: LayerConfig }[] };
  compile: CompileSection | null;
  /** The optimizer's moments and counters, or null (uncompiled, or saved with `includeOptimizer: false`). */
  optimizerState: StoredOptimizerState | null;
  generatorState: StoredGeneratorState;
  /** Generator states of layers with their own seed (a seeded Dropout), by layer name. */
  layerGeneratorStates: Record<string, StoredGeneratorState>;
  epoch: number;
  weights: { format: string; version: number; tensors: ReturnType<typeof encodeTensors> };
}

const FN = 'Sequential.fromJSON';

/** What {@link writeModelJSON} needs from a model, as plain data: the weights are named tensors. */
export interface ModelParts {
  name: string;
  seed: number | string;
  inputShape: number[] | null;
  layers: { type: string; config: LayerConfig }[];
  compile: CompileSection | null;
  /** `optimizer.state()`, or null to save no optimizer state. */
  optimizerState: OptimizerState | null;
  /** The parameters the optimizer updates, in its order (what its state is stored against). */
  trainable: ParameterInfo[];
  generatorState: GeneratorState;
  layerGeneratorStates: Record<string, GeneratorState>;
  epoch: number;
  weights: Record<string, Tensor>;
}

/** The layer classes a model file can recreate, by type. */
const BUILTIN_LAYERS: Readonly<Record<string, abstract new (...args: never[]) => Layer>> = { Dense, Dropout, Flatten };

/**
 * Refuses to save what cannot be loaded back, with the reason in the user's terms: a custom loss function, custom
 * metric functions, a Dense layer with an unregistered activation function, or a subclass of a built-in layer or
 * optimizer (the file names only the built-in type, so the model would silently load with the parent's behaviour).
 * (Everything else is caught by reading the document back before it is written.)
 */
export function checkSavable(
  layers: readonly Layer[],
  compiled: { lossName: string | null; metrics: MetricSpec[] } | null,
  optimizer: Optimizer | null,
): void {
  for (const l of layers) {
    const builtin = Object.hasOwn(BUILTIN_LAYERS, l.type) ? BUILTIN_LAYERS[l.type]! : null;
    if (builtin !== null && Object.getPrototypeOf(l) !== builtin.prototype) {
      throw new ValueError(
        `toJSON: layer '${l.name}' is a ${l.constructor.name}, a subclass of ${l.type}, which cannot be saved: the file would ` +
          `load it as a plain ${l.type}; save the weights with getWeights() and rebuild the model in code`,
      );
    }
  }
  // (an optimizer under a name of its own is refused when the document is read back: its name is not a built-in one)
  if (optimizer !== null && optimizerNames.includes(optimizer.name.toLowerCase()) && !isBuiltinOptimizer(optimizer)) {
    throw new ValueError(
      `toJSON: the optimizer is a ${optimizer.constructor.name}, not the built-in '${optimizer.name}', and cannot be saved: ` +
        `the file would resume training with the built-in rule; compile with a built-in optimizer to save, or keep getWeights()`,
    );
  }
  if (compiled && compiled.lossName === null) {
    throw new ValueError(`toJSON: the model uses a custom loss function, which cannot be saved; compile with a loss name`);
  }
  if (compiled && compiled.metrics.some((m) => typeof m !== 'string')) {
    throw new ValueError(`toJSON: custom metric functions cannot be saved; use metric names`);
  }
  for (const l of layers) {
    if (l instanceof Dense && l.getConfig().activation === 'custom') {
      throw new ValueError(
        `toJSON: layer '${l.name}' has a custom activation function, which cannot be saved; ` +
          `register it with registerActivation(name, fn) and pass the name`,
      );
    }
  }
}

/** The model document of version 2 from its parts: weights and optimizer moments as base64 with checksums. */
export function writeModelJSON(parts: ModelParts): ModelJSON {
  return {
    format: 'tapegrad-model',
    version: 2,
    name: parts.name,
    seed: parts.seed,
    inputShape: parts.inputShape ? [...parts.inputShape] : null,
    architecture: { class: 'Sequential', layers: parts.layers },
    compile: parts.compile,
    optimizerState: parts.optimizerState ? writeOptimizerState(parts.optimizerState, parts.trainable) : null,
    generatorState: writeGeneratorState('toJSON: generatorState', parts.generatorState),
    layerGeneratorStates: Object.fromEntries(
      Object.entries(parts.layerGeneratorStates).map(([name, g]) => [name, writeGeneratorState(`toJSON: layer '${name}' generator`, g)]),
    ),
    epoch: parts.epoch,
    weights: { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, tensors: encodeTensors(parts.weights) },
  };
}

/** The checked top of a model document: enough to create the model and its layers. */
export interface ModelHeader {
  document: Record<string, unknown>;
  version: 1 | 2;
  name: string;
  seed: number | string;
  inputShape: number[] | null;
  /** The raw `architecture.layers` entries, for {@link readLayers}. */
  layers: unknown[];
}

/** Parses (when given text) and checks the format, version, seed, name, architecture and input shape of a model document. */
export function readModelHeader(input: unknown): ModelHeader {
  const doc = typeof input === 'string' ? parseJsonSafe(input, { context: 'model' }) : input;
  if (typeof input !== 'string') assertSafeJson(doc, { context: 'model' });
  if (!isPlainObject(doc)) throw new ValueError(`${FN}: expected a model document object, got ${describe(doc)}`);
  if (doc.format !== 'tapegrad-model') {
    throw new ValueError(`${FN}: not a tapegrad model (format ${describe(doc.format)}; expected "tapegrad-model")`);
  }
  if (!READABLE_VERSIONS.includes(doc.version as number)) {
    throw new ValueError(
      `${FN}: unsupported model version ${describe(doc.version)}; this build reads versions ${READABLE_VERSIONS.join(' and ')} ` +
        `(a newer tapegrad wrote it?)`,
    );
  }
  const seed = checkSeed(`${FN}: seed`, doc.seed);
  const name = doc.name;
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
    throw new ValueError(`${FN}: name must be a string of at most ${MAX_NAME_LENGTH} characters, got ${describe(name)}`);
  }
  const arch = doc.architecture;
  if (!isPlainObject(arch) || arch.class !== 'Sequential' || !Array.isArray(arch.layers)) {
    throw new ValueError(`${FN}: architecture must be {class: "Sequential", layers: [...]}`);
  }
  if (arch.layers.length === 0 || arch.layers.length > MAX_LAYERS) {
    throw new ValueError(`${FN}: expected 1 to ${MAX_LAYERS} layers, got ${arch.layers.length}`);
  }
  const shape = doc.inputShape;
  if (shape === undefined && doc.version !== 1) throw new ValueError(`${FN}: inputShape is missing; expected an array or null`);
  const inputShape = shape === null || shape === undefined ? null : checkInputShape(`${FN}: inputShape`, shape);
  return { document: doc, version: doc.version as 1 | 2, name, seed, inputShape, layers: arch.layers as unknown[] };
}

/**
 * The layers of `architecture.layers`, unbuilt, after one pass over every size: each layer's declared input shape
 * must agree with the size that reaches it (the document's inputShape for the first), and the parameter count of
 * the whole stack is checked against {@link MAX_PARAMETERS} — so nothing is allocated for a file that describes
 * too many parameters or contradicts itself. `fn` names the caller in messages (an importer of another format).
 */
export function readLayers(entries: readonly unknown[], inputShape: readonly number[] | null, fn = FN): Layer[] {
  let size = inputShape ? sizeOf(inputShape) : null;
  let totalParams = 0;
  const layers: Layer[] = [];
  for (const [i, entry] of entries.entries()) {
    if (!isPlainObject(entry)) throw new ValueError(`${fn}: layer ${i} must be {type, config}, got ${describe(entry)}`);
    const layer = layerFromConfig(entry.type, entry.config);
    if (layer.inputShape) {
      const declared = sizeOf(layer.inputShape);
      if (size !== null && declared !== size) {
        const source = i === 0 ? `the document's inputShape ${fmtShape(inputShape!)} has` : `the layers before it output`;
        throw new ShapeError(
          `${fn}: layer ${i} '${layer.name}' declares inputShape ${fmtShape(layer.inputShape)} (${declared} features) ` +
            `but ${source} ${size}`,
        );
      }
      size = declared;
    } else if (i === 0 && size === null) {
      throw new ValueError(`${fn}: neither the document nor its first layer has an inputShape, so the model cannot be built`);
    }
    if (layer instanceof Dense) {
      totalParams += size! * layer.units + (layer.useBias ? layer.units : 0);
      size = layer.units;
    }
    if (totalParams > MAX_PARAMETERS) {
      throw new ValueError(`${fn}: the architecture has ${totalParams} parameters, more than ${MAX_PARAMETERS}; refusing to allocate`);
    }
    layers.push(layer);
  }
  return layers;
}

/** Name, shape and dtype of each parameter: what the document's tensors are checked against. */
export function describeParameters(
  params: readonly { name?: string | undefined; shape: readonly number[]; value: { dtype: DType } }[],
): ParameterInfo[] {
  return params.map((p, i) => ({ name: p.name ?? `parameter ${i}`, shape: p.shape, dtype: p.value.dtype }));
}

/** What the built model expects of the rest of the document: its parameters and which layers keep their own generator. */
export interface ModelExpectation {
  parameters: ParameterInfo[];
  /** The parameters the optimizer updates, in its order. */
  trainable: ParameterInfo[];
  seededLayers: ReadonlySet<string>;
}

/** The checked rest of a model document: weights by parameter name, counters, generator states and compile settings. */
export interface ModelState {
  weights: Record<string, Tensor>;
  epoch: number | null;
  generatorState: GeneratorState | null;
  layerGeneratorStates: [string, GeneratorState][];
  /** Compile options to restore, or null when the model was saved uncompiled. */
  compile: CompileOptions | null;
  /** The optimizer state in the form `optimizer.loadState` takes, or null. */
  optimizerState: OptimizerState | null;
}

/**
 * Checks the rest of the document against the built model: the weights (names, shapes, dtypes, checksums, finite
 * values), the epoch, the generator states, the compile section and the optimizer state. Version 1 files may
 * lack the epoch, the generator states and the optimizer state; version 2 files have every field.
 */
export function readModelState(doc: Record<string, unknown>, version: 1 | 2, expected: ModelExpectation): ModelState {
  const w = doc.weights;
  if (!isPlainObject(w) || w.format !== WEIGHTS_FORMAT || w.version !== WEIGHTS_VERSION) {
    throw new ValueError(`${FN}: weights must be {format: "${WEIGHTS_FORMAT}", version: ${WEIGHTS_VERSION}, tensors}`);
  }
  const shapes: Record<string, readonly number[]> = {};
  for (const p of expected.parameters) shapes[p.name] = p.shape;
  const weights = decodeTensors(w.tensors, shapes, { context: 'model weights', finite: true });
  for (const p of expected.parameters) {
    const t = weights[p.name]!;
    if (t.dtype !== p.dtype) throw new ValueError(`${FN}: weight '${p.name}' has dtype ${t.dtype}; expected ${p.dtype}`);
  }
  const v2 = version === 2;
  const present = (key: string): boolean => {
    if (doc[key] !== undefined) return true;
    if (v2) throw new ValueError(`${FN}: ${key} is missing`);
    return false;
  };
  const epoch = present('epoch') ? checkCount(`${FN}: epoch`, doc.epoch) : null;
  let generatorState: GeneratorState | null = null;
  if (present('generatorState') && (v2 || doc.generatorState !== null)) {
    generatorState = readGeneratorState(`${FN}: generatorState`, doc.generatorState, v2);
  }
  const layerGeneratorStates: [string, GeneratorState][] = [];
  if (present('layerGeneratorStates')) {
    const states = doc.layerGeneratorStates;
    if (!isPlainObject(states)) throw new ValueError(`${FN}: layerGeneratorStates must be an object, got ${describe(states)}`);
    const names = Object.keys(states);
    checkExactKeys(`${FN}: layerGeneratorStates must hold exactly the seeded layers`, names, [...expected.seededLayers]);
    for (const name of names) {
      layerGeneratorStates.push([name, readGeneratorState(`${FN}: layerGeneratorStates.${name}`, states[name], v2)]);
    }
  }
  const compile = present('compile') && doc.compile !== null ? readCompileSection(`${FN}: compile`, doc.compile, v2) : null;
  let optimizerState: OptimizerState | null = null;
  if (present('optimizerState') && doc.optimizerState !== null) {
    if (!compile) throw new ValueError(`${FN}: the document has an optimizerState but no compile section to restore it into`);
    optimizerState = readOptimizerState(`${FN}: optimizerState`, doc.optimizerState, version, { compile, params: expected.trainable });
  }
  return { weights, epoch, generatorState, layerGeneratorStates, compile, optimizerState };
}
