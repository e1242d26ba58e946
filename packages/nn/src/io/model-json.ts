import { type DType, Tensor, ValueError, sizeOf } from '@tapegrad/tensor';
import { Dense, type Layer, type LayerConfig } from '../model/layers.js';
import type { CompileOptions } from '../training/compile.js';
import type { MetricSpec } from '../training/objective.js';
import { layerFromConfig } from './layer-config.js';
import { assertSafeJson, parseJsonSafe } from './safe-json.js';
import { WEIGHTS_FORMAT, WEIGHTS_VERSION, decodeTensors, encodeTensors } from './tensors.js';

// The JSON model format (version 1): one document with the architecture, the compile settings, the optimizer
// and generator states and the weights. Writing takes plain data gathered from a model; reading checks every
// field in order and hands back plain data (and the layers, one at a time, within a parameter budget).

/** The JSON document written by {@link Sequential.toJSON}. */
export interface ModelJSON {
  format: 'tapegrad-model';
  version: 1;
  name: string;
  seed: number | string;
  inputShape: number[] | null;
  architecture: { class: 'Sequential'; layers: { type: string; config: LayerConfig }[] };
  compile: { optimizer: string; optimizerConfig: Record<string, unknown>; loss: string; fromLogits: boolean; metrics: string[] } | null;
  optimizerState: unknown;
  generatorState: unknown;
  /** Generator states of layers with their own seed (a seeded Dropout), by layer name. */
  layerGeneratorStates?: Record<string, unknown>;
  epoch: number;
  weights: { format: string; version: number; tensors: ReturnType<typeof encodeTensors> };
}

/** A generator's saved state, as `Generator.getState` returns it. */
export type GeneratorState = { seed: number | string; prng: object; spare: number | null };

/** Largest parameter count a model file may describe before anything is allocated (2^26 floats, 256 MiB). */
const MAX_PARAMS = 2 ** 26;

const FN = 'Sequential.fromJSON';

/** What {@link writeModelJSON} needs from a model, as plain data: the weights are named tensors. */
export interface ModelParts {
  name: string;
  seed: number | string;
  inputShape: number[] | null;
  layers: { type: string; config: LayerConfig }[];
  compile: ModelJSON['compile'];
  optimizerState: unknown;
  generatorState: GeneratorState;
  layerGeneratorStates: Record<string, GeneratorState>;
  epoch: number;
  weights: Record<string, Tensor>;
}

/**
 * Refuses to save what cannot be loaded back: a custom loss function, custom metric functions, or a Dense layer
 * with an unregistered activation function.
 */
export function checkSavable(
  layers: readonly { type: string; config: LayerConfig }[],
  compiled: { lossName: string | null; metrics: MetricSpec[] } | null,
): void {
  if (compiled && compiled.lossName === null) {
    throw new ValueError(`toJSON: the model uses a custom loss function, which cannot be saved; compile with a loss name`);
  }
  if (compiled && compiled.metrics.some((m) => typeof m !== 'string')) {
    throw new ValueError(`toJSON: custom metric functions cannot be saved; use metric names`);
  }
  for (const l of layers) {
    if (l.type === 'Dense' && l.config.activation === 'custom') {
      throw new ValueError(
        `toJSON: layer '${l.config.name}' has a custom activation function, which cannot be saved; ` +
          `register it with registerActivation(name, fn) and pass the name`,
      );
    }
  }
}

/** The model document of version 1 from its parts; the weights are encoded as base64 with checksums. */
export function writeModelJSON(parts: ModelParts): ModelJSON {
  return {
    format: 'tapegrad-model',
    version: 1,
    name: parts.name,
    seed: parts.seed,
    inputShape: parts.inputShape ? [...parts.inputShape] : null,
    architecture: { class: 'Sequential', layers: parts.layers },
    compile: parts.compile,
    optimizerState: parts.optimizerState,
    generatorState: parts.generatorState,
    layerGeneratorStates: parts.layerGeneratorStates,
    epoch: parts.epoch,
    weights: { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, tensors: encodeTensors(parts.weights) },
  };
}

/** The checked top of a model document: enough to create the model and its layers. */
export interface ModelHeader {
  document: Record<string, unknown>;
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
  if (!isObject(doc)) throw new ValueError(`${FN}: expected a model document object, got ${typeof doc}`);
  if (doc.format !== 'tapegrad-model') {
    throw new ValueError(`${FN}: not a tapegrad model (format ${JSON.stringify(doc.format)}; expected "tapegrad-model")`);
  }
  if (doc.version !== 1) {
    throw new ValueError(`${FN}: unsupported model version ${JSON.stringify(doc.version)}; this build reads version 1`);
  }
  const seed = doc.seed;
  if (!((typeof seed === 'number' && Number.isFinite(seed)) || (typeof seed === 'string' && seed.length <= 1000))) {
    const got = typeof seed === 'string' ? `a string of ${seed.length}` : typeof seed === 'number' ? seed : typeof seed;
    throw new ValueError(`${FN}: seed must be a finite number or a string of at most 1000 characters, got ${got}`);
  }
  const name = doc.name;
  if (typeof name !== 'string' || name.length > 200) {
    const got = typeof name === 'string' ? `one of ${name.length}` : typeof name;
    throw new ValueError(`${FN}: name must be a string of at most 200 characters, got ${got}`);
  }
  const arch = doc.architecture;
  if (!isObject(arch) || arch.class !== 'Sequential' || !Array.isArray(arch.layers)) {
    throw new ValueError(`${FN}: architecture must be {class: "Sequential", layers: [...]}`);
  }
  if (arch.layers.length === 0 || arch.layers.length > 1000) {
    throw new ValueError(`${FN}: expected 1 to 1000 layers, got ${arch.layers.length}`);
  }
  let inputShape: number[] | null = null;
  const shape = doc.inputShape;
  if (shape !== null && shape !== undefined) {
    if (!Array.isArray(shape) || shape.length === 0 || shape.length > 8 || !shape.every((d) => Number.isInteger(d) && d > 0 && d <= 1e8)) {
      throw new ValueError(`${FN}: inputShape must be an array of positive integers, got ${JSON.stringify(shape)}`);
    }
    inputShape = shape as number[];
  }
  return { document: doc, name, seed, inputShape, layers: arch.layers as unknown[] };
}

/**
 * The layers of `architecture.layers`, one at a time, each counted against the parameter budget before it is
 * handed out — so the model allocates nothing for a file that describes too many parameters.
 */
export function* readLayers(entries: readonly unknown[], inputShape: readonly number[] | null): Generator<Layer, void, undefined> {
  let size = inputShape ? sizeOf(inputShape) : null;
  let totalParams = 0;
  for (const [i, entry] of entries.entries()) {
    if (!isObject(entry)) throw new ValueError(`${FN}: layer ${i} must be {type, config}`);
    const layer = layerFromConfig(entry.type, entry.config);
    if (layer instanceof Dense) {
      const inSize = size ?? (layer.inputShape ? sizeOf(layer.inputShape) : null);
      if (inSize !== null) totalParams += inSize * layer.units + (layer.useBias ? layer.units : 0);
      size = layer.units;
    }
    if (totalParams > MAX_PARAMS) {
      throw new ValueError(`${FN}: the architecture has ${totalParams} parameters, more than ${MAX_PARAMS}; refusing to allocate`);
    }
    yield layer;
  }
}

/** What the built model expects of the rest of the document: its parameters and which layers keep their own generator. */
export interface ModelExpectation {
  parameters: { name: string; shape: readonly number[]; dtype: DType }[];
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
  optimizerState: unknown;
}

/** Checks the weights (names, shapes, dtypes, checksums), epoch, generator states and compile section against the built model. */
export function readModelState(doc: Record<string, unknown>, expected: ModelExpectation): ModelState {
  const w = doc.weights;
  if (!isObject(w) || w.format !== WEIGHTS_FORMAT || w.version !== WEIGHTS_VERSION) {
    throw new ValueError(`${FN}: weights must be {format: "${WEIGHTS_FORMAT}", version: ${WEIGHTS_VERSION}, tensors}`);
  }
  const shapes: Record<string, readonly number[]> = {};
  for (const p of expected.parameters) shapes[p.name] = p.shape;
  const weights = decodeTensors(w.tensors, shapes, { context: 'model weights' });
  for (const p of expected.parameters) {
    const t = weights[p.name]!;
    if (t.dtype !== p.dtype) throw new ValueError(`${FN}: weight '${p.name}' has dtype ${t.dtype}; expected ${p.dtype}`);
  }
  let epoch: number | null = null;
  if (doc.epoch !== undefined) {
    if (!Number.isInteger(doc.epoch) || (doc.epoch as number) < 0) throw new ValueError(`${FN}: epoch must be a non-negative integer`);
    epoch = doc.epoch as number;
  }
  let generatorState: GeneratorState | null = null;
  if (doc.generatorState !== undefined && doc.generatorState !== null) {
    if (!isGeneratorState(doc.generatorState)) throw new ValueError(`${FN}: generatorState must be {seed, prng: {c, s0, s1, s2}, spare}`);
    generatorState = doc.generatorState;
  }
  const layerGeneratorStates: [string, GeneratorState][] = [];
  if (doc.layerGeneratorStates !== undefined) {
    const states = doc.layerGeneratorStates;
    if (!isObject(states)) throw new ValueError(`${FN}: layerGeneratorStates must be an object`);
    for (const name of Object.keys(states)) {
      const g = states[name];
      if (!expected.seededLayers.has(name) || !isGeneratorState(g)) {
        throw new ValueError(
          `${FN}: layerGeneratorStates.${name} does not match a seeded layer or is not {seed, prng: {c, s0, s1, s2}, spare}`,
        );
      }
      layerGeneratorStates.push([name, g]);
    }
  }
  return {
    weights,
    epoch,
    generatorState,
    layerGeneratorStates,
    compile: readCompile(doc.compile),
    optimizerState: doc.optimizerState ?? null,
  };
}

function readCompile(c: unknown): CompileOptions | null {
  if (c === null || c === undefined) return null;
  if (
    !isObject(c) ||
    typeof c.optimizer !== 'string' ||
    typeof c.loss !== 'string' ||
    !Array.isArray(c.metrics) ||
    !c.metrics.every((m) => typeof m === 'string')
  ) {
    throw new ValueError(`${FN}: compile must be {optimizer: string, optimizerConfig, loss: string, metrics: string[]}`);
  }
  const optimizerOptions = isObject(c.optimizerConfig) ? { ...c.optimizerConfig } : {};
  delete optimizerOptions.name;
  return { optimizer: c.optimizer, loss: c.loss, metrics: c.metrics as string[], fromLogits: c.fromLogits === true, optimizerOptions };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isGeneratorState(g: unknown): g is GeneratorState {
  return (
    isObject(g) &&
    isObject(g.prng) &&
    (g.spare === null || typeof g.spare === 'number') &&
    (typeof g.seed === 'number' || typeof g.seed === 'string') &&
    ['c', 's0', 's1', 's2'].every((k) => typeof (g.prng as Record<string, unknown>)[k] === 'number')
  );
}
