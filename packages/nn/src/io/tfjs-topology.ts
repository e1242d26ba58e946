import { ValueError } from '@tapegrad/tensor';
import { normalizeName } from '../model/initializers.js';
import type { LayerConfig } from '../model/layers.js';
import type { ExportedLayer } from './exported-model.js';
import type { ImportedModel } from './imported-model.js';
import { MAX_LAYERS, checkInputShape, checkName } from './limits.js';
import { describe, isPlainObject } from './safe-json.js';

// The Keras layer configs of the TF.js layers format (snake_case, as `model.save` writes them), both ways:
// tapegrad layers to a Sequential topology, and a Sequential topology to tapegrad layer configs — Dense (the
// activations both sides have), Dropout, Flatten, plus InputLayer and the activation layers folded into the Dense
// before them. Anything else is refused by name.

/** tapegrad activation → TF.js activation name (the activations both have; leakyRelu becomes a LeakyReLU layer). */
const TO_TFJS: Record<string, string> = {
  linear: 'linear',
  relu: 'relu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  elu: 'elu',
  softplus: 'softplus',
  gelu: 'gelu',
  logSoftmax: 'log_softmax',
};

/** TF.js activation name (either spelling) → tapegrad activation. */
const FROM_TFJS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(TO_TFJS).map(([t, k]) => [k, t])),
  logSoftmax: 'logSoftmax',
};

/** `table[key]` when `key` is the table's own entry: a name from a file ('toString', '__proto__') never reaches Object.prototype. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** tapegrad's slope of leakyRelu, which a LeakyReLU layer must have to fold into a Dense. */
const LEAKY_SLOPE = 0.01;

/** The TF.js activation names tapegrad can import. */
const TFJS_ACTIVATIONS: readonly string[] = Object.values(TO_TFJS);

/** tapegrad initializer → TF.js initializer class (a model's weights are exported with it, so the choice only labels). */
const INIT_TO_TFJS: Record<string, { class_name: string; config: Record<string, unknown> }> = {
  glorotUniform: { class_name: 'GlorotUniform', config: { seed: null } },
  xavierUniform: { class_name: 'GlorotUniform', config: { seed: null } },
  glorotNormal: { class_name: 'GlorotNormal', config: { seed: null } },
  xavierNormal: { class_name: 'GlorotNormal', config: { seed: null } },
  heUniform: { class_name: 'HeUniform', config: { seed: null } },
  heNormal: { class_name: 'HeNormal', config: { seed: null } },
  lecunNormal: { class_name: 'LeCunNormal', config: { seed: null } },
  normal: { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: null } },
  randomNormal: { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: null } },
  uniform: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
  randomUniform: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
  zeros: { class_name: 'Zeros', config: {} },
  ones: { class_name: 'Ones', config: {} },
};

/** TF.js initializer class → tapegrad initializer name (VarianceScaling by its scale, mode and distribution). */
function initializerFromTfjs(init: unknown, fallback: string): string {
  if (!isPlainObject(init) || typeof init.class_name !== 'string') return fallback;
  const c = isPlainObject(init.config) ? init.config : {};
  switch (init.class_name) {
    case 'GlorotUniform':
    case 'GlorotNormal':
    case 'HeUniform':
    case 'HeNormal':
    case 'LeCunNormal':
      return init.class_name.replace(/^LeCun/, 'lecun').replace(/^[A-Z]/, (s) => s.toLowerCase());
    case 'Zeros':
    case 'Ones':
      return init.class_name.toLowerCase();
    case 'VarianceScaling': {
      const uniform = c.distribution === 'uniform';
      if (c.scale === 1 && c.mode === 'fan_avg') return uniform ? 'glorotUniform' : 'glorotNormal';
      if (c.scale === 2 && c.mode === 'fan_in') return uniform ? 'heUniform' : 'heNormal';
      if (c.scale === 1 && c.mode === 'fan_in' && !uniform) return 'lecunNormal';
      return fallback;
    }
    default:
      return fallback;
  }
}

/** The layer and weight names TF.js 4.22 loads (its `isValidTensorName`); it refuses any other (`Not a valid tensor name`). */
export const TFJS_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

/**
 * The Keras layer configs of a Sequential topology for the exported layers (leakyRelu as Dense + LeakyReLU). A Flatten
 * of samples with one feature axis is the identity and is left out: TF.js's Flatten refuses inputs of fewer than two
 * feature axes. A layer name TF.js cannot load is refused.
 */
export function toTfjsLayers(fn: string, layers: readonly ExportedLayer[], inputShape: readonly number[]): Record<string, unknown>[] {
  const names = new Set(layers.map((l) => l.name));
  for (const l of layers) {
    if (!TFJS_NAME.test(l.name)) {
      throw new ValueError(
        `${fn}: layer ${JSON.stringify(l.name)} has a name TF.js cannot load (it names the weights, e.g. '${l.name}/kernel'); ` +
          `TF.js names must match ${String(TFJS_NAME)} (a letter or digit first; no spaces): rename the layer`,
      );
    }
  }
  const kept = layers.filter((l) => !(l.type === 'Flatten' && l.inputShape.length === 1));
  // a model that is only such Flattens: one Dropout of rate 0 (the identity too) carries the input shape
  if (kept.length === 0) kept.push({ type: 'Dropout', name: layers[0]!.name, rate: 0, seed: null });
  const out: Record<string, unknown>[] = [];
  kept.forEach((l, i) => {
    const first = i === 0 ? { batch_input_shape: [null, ...inputShape], dtype: 'float32' } : {};
    if (l.type === 'Dropout') {
      out.push({
        class_name: 'Dropout',
        config: { rate: l.rate, noise_shape: null, seed: l.seed, name: l.name, trainable: true, ...first },
      });
    } else if (l.type === 'Flatten') {
      out.push({ class_name: 'Flatten', config: { data_format: 'channels_last', name: l.name, trainable: true, ...first } });
    } else {
      const leaky = l.activation === 'leakyRelu';
      const activation = leaky ? 'linear' : own(TO_TFJS, l.activation);
      if (activation === undefined) {
        throw new ValueError(
          `${fn}: layer '${l.name}' uses activation '${l.activation}', which TF.js's Dense does not have; ` +
            `exportable: ${Object.keys(TO_TFJS).join(', ')}, leakyRelu`,
        );
      }
      const init = (name: string, fallback: string): unknown => own(INIT_TO_TFJS, normalizeName(name)) ?? INIT_TO_TFJS[fallback];
      out.push({
        class_name: 'Dense',
        config: {
          units: l.units,
          activation,
          use_bias: l.bias !== null,
          kernel_initializer: init(l.kernelInitializer, 'glorotUniform'),
          bias_initializer: init(l.biasInitializer, 'zeros'),
          kernel_regularizer: null,
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
          name: l.name,
          trainable: l.trainable,
          ...first,
        },
      });
      if (leaky) {
        let name = `${l.name}_leaky_relu`;
        for (let k = 1; names.has(name); k++) name = `${l.name}_leaky_relu_${k}`;
        names.add(name);
        out.push({ class_name: 'LeakyReLU', config: { alpha: LEAKY_SLOPE, name, trainable: true } });
      }
    }
  });
  return out;
}

/** A model's description read from a TF.js topology: tapegrad layer configs, without the weights yet. */
export type TopologyModel = Omit<ImportedModel, 'weights'>;

/** The layers of a TF.js Sequential topology as tapegrad layer configs; every unsupported class or attribute is named. */
export function fromTfjsTopology(fn: string, topology: unknown): TopologyModel {
  let top = topology;
  // a Keras model converted from Python wraps the topology in { model_config, training_config, keras_version }
  if (isPlainObject(top) && isPlainObject(top.model_config)) top = top.model_config;
  if (!isPlainObject(top)) throw new ValueError(`${fn}: modelTopology must be an object, got ${describe(top)}`);
  if (top.class_name !== 'Sequential') {
    throw new ValueError(
      `${fn}: unsupported model class ${describe(top.class_name)}; tapegrad imports Sequential models only ` +
        `(a functional Model has a graph of layers, which tapegrad's Sequential cannot hold)`,
    );
  }
  const config = top.config;
  const entries = Array.isArray(config) ? config : isPlainObject(config) ? config.layers : undefined;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_LAYERS) {
    throw new ValueError(`${fn}: modelTopology.config.layers must be an array of 1 to ${MAX_LAYERS} layers, got ${describe(entries)}`);
  }
  const name = isPlainObject(config) && typeof config.name === 'string' && config.name !== '' ? config.name : 'sequential';
  let inputShape: number[] | null = null;
  const layers: TopologyModel['layers'] = [];
  entries.forEach((entry: unknown, i) => {
    if (!isPlainObject(entry) || typeof entry.class_name !== 'string' || !isPlainObject(entry.config)) {
      throw new ValueError(`${fn}: layer ${i} must be {class_name, config}, got ${describe(entry)}`);
    }
    const cls = entry.class_name;
    const c = entry.config;
    const lname = checkName(`${fn}: layer ${i} (${cls}) name`, c.name);
    const where = `${fn}: layer '${lname}' (${cls})`;
    const shape = c.batch_input_shape ?? c.batch_shape;
    if (shape !== undefined && shape !== null) {
      if (layers.length > 0) throw new ValueError(`${where}: only the first layer may set an input shape`);
      if (!Array.isArray(shape) || shape.length < 2 || shape[0] !== null) {
        throw new ValueError(`${where}: batch_input_shape must be [null, …sizes], got ${describe(shape)}`);
      }
      const sample = checkInputShape(`${where}: input shape`, shape.slice(1));
      if (inputShape === null) {
        inputShape = sample;
      } else if (sample.join() !== inputShape.join()) {
        throw new ValueError(`${where}: input shape ${describe(shape)} disagrees with the InputLayer`);
      }
    }
    checkAttributes(where, c, cls);
    if (c.dtype !== undefined && c.dtype !== null && c.dtype !== 'float32') {
      throw new ValueError(`${where}: unsupported dtype ${describe(c.dtype)}; tapegrad imports float32 layers`);
    }
    if (c.trainable !== undefined && typeof c.trainable !== 'boolean') {
      throw new ValueError(`${where}: trainable must be a boolean, got ${describe(c.trainable)}`);
    }
    const trainable = c.trainable === false ? { trainable: false } : {};
    switch (cls) {
      case 'InputLayer':
        if (i !== 0) throw new ValueError(`${where}: an InputLayer must come first`);
        if (c.sparse === true || c.ragged === true) throw new ValueError(`${where}: sparse and ragged inputs are unsupported`);
        if (inputShape === null) throw new ValueError(`${where}: the InputLayer has no batch_input_shape`);
        return;
      case 'Dense': {
        if (c.use_bias !== undefined && typeof c.use_bias !== 'boolean')
          throw new ValueError(`${where}: use_bias must be a boolean, got ${describe(c.use_bias)}`);
        const activation = activationFromTfjs(where, c.activation);
        const useBias = c.use_bias !== false;
        const config: LayerConfig = {
          name: lname,
          units: c.units,
          activation,
          useBias,
          kernelInitializer: initializerFromTfjs(c.kernel_initializer, 'glorotUniform'),
          biasInitializer: initializerFromTfjs(c.bias_initializer, 'zeros'),
          ...trainable,
        };
        layers.push({ type: 'Dense', config });
        return;
      }
      case 'Dropout':
        if (c.noise_shape !== undefined && c.noise_shape !== null)
          throw new ValueError(
            `${where}: unsupported attribute noise_shape ${describe(c.noise_shape)}; tapegrad's Dropout has none (null)`,
          );
        if (c.seed !== undefined && c.seed !== null && typeof c.seed !== 'number') {
          throw new ValueError(`${where}: seed must be a number or null, got ${describe(c.seed)}`);
        }
        layers.push({ type: 'Dropout', config: { name: lname, rate: c.rate, ...(typeof c.seed === 'number' ? { seed: c.seed } : {}) } });
        return;
      case 'Flatten':
        checkFlattenFormat(where, c.data_format, sampleShape(inputShape, layers));
        layers.push({ type: 'Flatten', config: { name: lname, ...trainable } });
        return;
      default:
        foldActivation(where, layers, activationLayer(where, cls, c, sampleShape(inputShape, layers)));
    }
  });
  if (inputShape === null) {
    throw new ValueError(`${fn}: the topology has no input shape (no InputLayer, no batch_input_shape on the first layer)`);
  }
  if (layers.length === 0) throw new ValueError(`${fn}: the topology has no Dense, Dropout or Flatten layer`);
  return { name, inputShape, layers };
}

/**
 * The per-sample shape TF.js feeds the next layer after `layers` (Dense acts on the last axis, Flatten makes one axis,
 * Dropout keeps the shape), or null when it is not known (no input shape yet, a Dense without valid units).
 */
function sampleShape(inputShape: readonly number[] | null, layers: TopologyModel['layers']): number[] | null {
  if (inputShape === null) return null;
  let shape = [...inputShape];
  for (const l of layers) {
    if (l.type === 'Flatten') shape = [shape.reduce((a, b) => a * b, 1)];
    else if (l.type === 'Dense') {
      const units = l.config.units;
      if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) return null;
      shape = [...shape.slice(0, -1), units];
    }
  }
  return shape;
}

/**
 * A Flatten's data_format: channels_last (or unset), or channels_first only on an input of one feature axis, where it
 * changes nothing. On a sample of two or more axes TF.js's channels_first moves the first feature axis last before
 * flattening, which reorders the features; tapegrad's Flatten keeps them in order, so the outputs would silently differ.
 */
function checkFlattenFormat(where: string, format: unknown, shape: number[] | null): void {
  if (format === undefined || format === null || format === 'channels_last') return;
  if (format !== 'channels_first') {
    throw new ValueError(`${where}: data_format must be 'channels_last' or 'channels_first', got ${describe(format)}`);
  }
  if (shape !== null && shape.length === 1) return;
  const input = shape === null ? 'an input of unknown shape' : `its input [null, ${shape.join(', ')}]`;
  throw new ValueError(
    `${where}: unsupported attribute data_format 'channels_first' on ${input}: TF.js moves the first feature axis last ` +
      `before flattening, which reorders the features (tapegrad's Flatten keeps the channels_last order)`,
  );
}

/** Attributes that change the math and that tapegrad's layers do not have: refused when set. */
const UNSUPPORTED: Record<string, readonly string[]> = {
  Dense: ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
};

function checkAttributes(where: string, c: Record<string, unknown>, cls: string): void {
  for (const key of own(UNSUPPORTED, cls) ?? []) {
    if (c[key] !== undefined && c[key] !== null) {
      throw new ValueError(`${where}: unsupported attribute ${key} (${describe(c[key])}); tapegrad's Dense has none`);
    }
  }
}

function activationFromTfjs(where: string, a: unknown): string {
  if (a === null || a === undefined) return 'linear';
  const name = typeof a === 'string' ? a : isPlainObject(a) && typeof a.class_name === 'string' ? a.class_name : null;
  const mapped = name === null ? undefined : (own(FROM_TFJS, name) ?? own(FROM_TFJS, normalizeName(name)));
  if (mapped === undefined) {
    throw new ValueError(`${where}: unsupported activation ${describe(name ?? a)}; tapegrad imports ${TFJS_ACTIVATIONS.join(', ')}`);
  }
  return mapped;
}

/**
 * The tapegrad activation an activation layer (Activation, ReLU, LeakyReLU, ELU, Softmax) applies; others are refused.
 * `shape` is the per-sample shape the layer gets (null when unknown): a Softmax over axis 1 — TF.js's default, which
 * `tf.layers.softmax()` saves — is the last axis of a 2-D output [batch, units], as tapegrad's softmax.
 */
function activationLayer(where: string, cls: string, c: Record<string, unknown>, shape: readonly number[] | null): string {
  const attr = (key: string, ok: (v: unknown) => boolean, want: string): void => {
    if (c[key] !== undefined && c[key] !== null && !ok(c[key])) {
      throw new ValueError(`${where}: unsupported attribute ${key} ${describe(c[key])}; tapegrad's equivalent has ${key} ${want}`);
    }
  };
  switch (cls) {
    case 'Activation':
      return activationFromTfjs(where, c.activation);
    case 'ReLU':
      attr('max_value', () => false, 'none');
      attr('threshold', (v) => v === 0, '0');
      attr('negative_slope', (v) => v === 0, '0');
      return 'relu';
    case 'LeakyReLU':
      // TF.js's default alpha is 0.3; tapegrad's leakyRelu has slope 0.01
      if (typeof c.alpha !== 'number' || Math.abs(c.alpha - LEAKY_SLOPE) > 1e-9) {
        throw new ValueError(`${where}: unsupported attribute alpha ${describe(c.alpha)}; tapegrad's leakyRelu has slope ${LEAKY_SLOPE}`);
      }
      return 'leakyRelu';
    case 'ELU':
      attr('alpha', (v) => v === 1, '1');
      return 'elu';
    case 'Softmax': {
      // TF.js's default axis is 1 (tf.layers.softmax() saves it): on a 2-D input [batch, units] that is the last axis
      const twoD = shape !== null && shape.length === 1;
      const input = shape === null ? 'an input of unknown shape' : `[null, ${shape.join(', ')}]`;
      const want = twoD ? '-1 or 1 (the last axis)' : `-1, the last axis (1 is the last axis of a 2-D input only; this one gets ${input})`;
      attr('axis', (v) => (twoD ? [-1, 1] : [-1]).includes((Array.isArray(v) && v.length === 1 ? v[0] : v) as number), want);
      return 'softmax';
    }
    default:
      throw new ValueError(
        `${where}: unsupported layer class ${describe(cls)}; tapegrad imports InputLayer, Dense, Dropout, Flatten, ` +
          `Activation, ReLU, LeakyReLU, ELU and Softmax`,
      );
  }
}

/** Folds an activation layer into the Dense right before it, which must have no activation of its own. */
function foldActivation(where: string, layers: TopologyModel['layers'], activation: string): void {
  if (activation === 'linear') return;
  const prev = layers[layers.length - 1];
  if (!prev || prev.type !== 'Dense' || prev.config.activation !== 'linear') {
    const after = prev
      ? `${prev.type} '${prev.config.name}'${prev.type === 'Dense' ? ` (activation ${prev.config.activation})` : ''}`
      : 'nothing';
    throw new ValueError(
      `${where}: unsupported placement: tapegrad applies activations inside a Dense, so an activation layer must follow ` +
        `a Dense with activation linear; this one follows ${after}`,
    );
  }
  prev.config.activation = activation;
}
