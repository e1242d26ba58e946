// The TF.js layers format in memory (toTfjsArtifacts / fromTfjsArtifacts): round trips, the topology TF.js reads,
// the layers and attributes it maps, and every refusal of a truncated, corrupted or unsupported artifact. The
// real TensorFlow.js loads these artifacts in examples/test/interop-tfjs.test.ts.
import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, TapegradError, Tensor, ValueError, randn } from '@tapegrad/tensor';
import { relu } from '@tapegrad/autograd';
import {
  Dense,
  Dropout,
  Flatten,
  Sequential,
  fromTfjsArtifacts,
  registerActivation,
  toTfjsArtifacts,
  unregisterActivation,
  type TfjsArtifacts,
} from '../src/index.js';
import { fixtureData } from './fixtures/fixture-data.js';
import { judgeAll, structuralMutations, type FuzzModel, type ModelApi } from './model-mutants.js';

type Json = Record<string, unknown>;

function wide(): Sequential {
  const m = new Sequential({ seed: 5, name: 'wide' });
  m.add(new Flatten({ inputShape: [4, 6] }));
  m.add(new Dense(16, { activation: 'relu' }));
  m.add(new Dropout(0.25, { seed: 3 }));
  m.add(new Dense(12, { activation: 'tanh', kernelInitializer: 'heNormal' }));
  m.add(new Dense(10, { activation: 'sigmoid', useBias: false }));
  m.add(new Dense(9, { activation: 'elu' }));
  m.add(new Dense(8, { activation: 'softplus', trainable: false }));
  m.add(new Dense(7, { activation: 'gelu' }));
  m.add(new Dense(6, { activation: 'leakyRelu' }));
  m.add(new Dense(5, { activation: 'logSoftmax' }));
  m.add(new Dense(4, { activation: 'softmax' }));
  return m;
}

/** A deep copy of artifacts whose topology and specs are changed by `f`. */
function edit(a: TfjsArtifacts, f: (topology: Json, layers: Json[], specs: Json[]) => void): TfjsArtifacts {
  const topology = structuredClone(a.modelTopology) as Json;
  const specs = structuredClone(a.weightSpecs) as unknown as Json[];
  f(topology, (topology.config as Json).layers as Json[], specs);
  return { ...a, modelTopology: topology, weightSpecs: specs as never };
}

const small = (): Sequential => {
  const m = new Sequential({ seed: 1, name: 'small' });
  m.add(new Dense(4, { activation: 'relu', inputShape: [3] }));
  m.add(new Dense(2, { activation: 'softmax' }));
  return m;
};

describe('toTfjsArtifacts → fromTfjsArtifacts', () => {
  it('round-trips every exportable layer and activation with bit-identical predictions', () => {
    const m = wide();
    const x = randn([9, 4, 6], { generator: new Generator(2) });
    const back = fromTfjsArtifacts(toTfjsArtifacts(m));
    expect(back.predict(x).equals(m.predict(x))).toBe(true);
    expect(back.layers.map((l) => [l.type, l.name, l.activationName, l.hasBias, l.trainable])).toEqual(
      m.layers.map((l) => [l.type, l.name, l.activationName, l.hasBias, l.trainable]),
    );
    expect((back.layers[2] as Dropout).rate).toBe(0.25);
    expect((back.layers[2] as Dropout).seed).toBe(3);
    expect(back.inputShape).toEqual([4, 6]);
    expect(back.name).toBe('wide');
    expect((back.layers[3] as Dense).getConfig().kernelInitializer).toBe('heNormal');
    expect(back.isCompiled).toBe(false);
  });

  it('writes the Keras Sequential topology TF.js reads: batch_input_shape, snake_case, LeakyReLU for leakyRelu', () => {
    const a = toTfjsArtifacts(wide());
    expect(a.format).toBe('layers-model');
    expect(a.modelTopology.class_name).toBe('Sequential');
    const layers = (a.modelTopology.config as Json).layers as Json[];
    expect(layers.map((l) => l.class_name)).toEqual([
      'Flatten',
      'Dense',
      'Dropout',
      'Dense',
      'Dense',
      'Dense',
      'Dense',
      'Dense',
      'Dense',
      'LeakyReLU',
      'Dense',
      'Dense',
    ]);
    expect((layers[0]!.config as Json).batch_input_shape).toEqual([null, 4, 6]);
    const dense = layers[1]!.config as Json;
    expect(dense).toMatchObject({ units: 16, activation: 'relu', use_bias: true, name: 'dense', kernel_regularizer: null });
    expect(dense.kernel_initializer).toEqual({ class_name: 'GlorotUniform', config: { seed: null } });
    expect((layers[9]!.config as Json).alpha).toBe(0.01);
    expect((layers[10]!.config as Json).activation).toBe('log_softmax');
    expect(a.weightSpecs.slice(0, 3)).toEqual([
      { name: 'dense/kernel', shape: [24, 16], dtype: 'float32' },
      { name: 'dense/bias', shape: [16], dtype: 'float32' },
      { name: 'dense_1/kernel', shape: [16, 12], dtype: 'float32' },
    ]);
    const params = wide()
      .parameters()
      .reduce((n, p) => n + p.size, 0);
    expect(a.weightData.byteLength).toBe(4 * params);
    // the weights are a copy: training the model afterwards does not change exported artifacts
    expect(a.weightData).toBeInstanceOf(ArrayBuffer);
  });

  it('gives a model whose first Dense sees multi-dimensional samples a Flatten in front, as tapegrad reads them', () => {
    const m = new Sequential({ seed: 2 });
    m.add(new Dense(3, { inputShape: [2, 2] }));
    const layers = (toTfjsArtifacts(m).modelTopology.config as Json).layers as Json[];
    expect(layers.map((l) => l.class_name)).toEqual(['Flatten', 'Dense']);
    expect((layers[0]!.config as Json).batch_input_shape).toEqual([null, 2, 2]);
  });

  it('exports a float64 model in float32', () => {
    const m = new Sequential({ seed: 2 });
    m.add(new Dense(3, { inputShape: [2], dtype: 'float64', activation: 'tanh' }));
    const back = fromTfjsArtifacts(toTfjsArtifacts(m));
    const x = randn([4, 2], { generator: new Generator(1) });
    const diff = back.predict(x).sub(m.predict(x).astype('float32')).abs().max().item();
    expect(diff).toBeLessThan(1e-6);
  });

  it('refuses an unbuilt model and a registered custom activation, naming the layer', () => {
    const unbuilt = new Sequential();
    unbuilt.add(new Dense(2));
    expect(() => toTfjsArtifacts(unbuilt)).toThrow(/toTfjsArtifacts: the model is not built/);
    registerActivation('myRelu', (x) => relu(x));
    try {
      const m = new Sequential();
      m.add(new Dense(2, { activation: 'myRelu', inputShape: [3], name: 'hidden' }));
      expect(() => toTfjsArtifacts(m)).toThrow(/layer 'hidden' uses activation 'myRelu', which TF.js's Dense does not have/);
    } finally {
      unregisterActivation('myRelu');
    }
  });
});

describe('fromTfjsArtifacts reads what TF.js writes', () => {
  it('folds InputLayer, Activation and the activation layers into the Dense before them', () => {
    const a = edit(toTfjsArtifacts(small()), (_t, layers) => {
      (layers[0]!.config as Json).activation = 'linear';
      const shape = (layers[0]!.config as Json).batch_input_shape;
      delete (layers[0]!.config as Json).batch_input_shape;
      layers.unshift({ class_name: 'InputLayer', config: { batch_input_shape: shape, dtype: 'float32', sparse: false, name: 'in' } });
      layers.splice(2, 0, { class_name: 'Activation', config: { activation: 'relu', name: 'act', trainable: true } });
      layers.push({ class_name: 'Activation', config: { activation: 'linear', name: 'noop' } });
    });
    const m = fromTfjsArtifacts(a);
    expect(m.layers.map((l) => l.activationName)).toEqual(['relu', 'softmax']);
    const x = randn([5, 3], { generator: new Generator(4) });
    expect(m.predict(x).equals(small().predict(x))).toBe(true);
    for (const [cls, config, act] of [
      ['ReLU', {}, 'relu'],
      ['LeakyReLU', { alpha: 0.01 }, 'leakyRelu'],
      ['ELU', { alpha: 1 }, 'elu'],
      ['Softmax', { axis: -1 }, 'softmax'],
    ] as const) {
      const b = edit(toTfjsArtifacts(small()), (_t, layers) => {
        (layers[1]!.config as Json).activation = 'linear';
        layers.push({ class_name: cls, config: { ...config, name: 'a' } });
      });
      expect(fromTfjsArtifacts(b).layers[1]!.activationName).toBe(act);
    }
  });

  it('accepts the weights as a list of buffers or a byte view, and a Keras model_config wrapper', () => {
    const a = toTfjsArtifacts(small());
    const bytes = new Uint8Array(a.weightData);
    const x = randn([3, 3], { generator: new Generator(9) });
    const want = small().predict(x);
    const split = [bytes.slice(0, 10).buffer, bytes.slice(10).buffer];
    expect(
      fromTfjsArtifacts({ ...a, weightData: split })
        .predict(x)
        .equals(want),
    ).toBe(true);
    expect(
      fromTfjsArtifacts({ ...a, weightData: bytes })
        .predict(x)
        .equals(want),
    ).toBe(true);
    const wrapped = { ...a, modelTopology: { model_config: a.modelTopology, keras_version: '2.13.1', backend: 'tensorflow' } };
    expect(fromTfjsArtifacts(wrapped).predict(x).equals(want)).toBe(true);
  });

  it('trains on with fit once compiled', () => {
    const { x, y } = fixtureData();
    const m = new Sequential({ seed: 3 });
    m.add(new Dense(8, { activation: 'tanh', inputShape: [4] }));
    m.add(new Dense(3, { activation: 'softmax' }));
    const back = fromTfjsArtifacts(toTfjsArtifacts(m));
    back.compile({ optimizer: 'adam', lr: 0.05, loss: 'categoricalCrossentropy' });
    const loss = back.fit(x, y, { epochs: 20, batchSize: 8, verbose: 0 }).history.loss!;
    expect(loss[loss.length - 1]!).toBeLessThan(0.7 * loss[0]!);
  });
});

describe('fromTfjsArtifacts refuses bad input with a clear error and builds nothing', () => {
  const good = toTfjsArtifacts(small());
  const bytes = new Uint8Array(good.weightData);

  it.each([
    [
      'truncated weights',
      { ...good, weightData: bytes.slice(0, bytes.length - 4).buffer },
      /weightData has 100 bytes but the weightSpecs describe 104/,
    ],
    [
      'extra weight bytes',
      { ...good, weightData: new Uint8Array(bytes.length + 8).buffer },
      /weightData has 112 bytes .* truncated, or weights and topology/,
    ],
    ['weightData of the wrong type', { ...good, weightData: 'abc' as never }, /weightData must be an ArrayBuffer/],
    ['artifacts that are not an object', null as never, /expected \{modelTopology, weightSpecs, weightData\}/],
  ])('%s', (_label, artifacts, message) => {
    expect(() => fromTfjsArtifacts(artifacts as TfjsArtifacts)).toThrow(message);
    expect(() => fromTfjsArtifacts(artifacts as TfjsArtifacts)).toThrow(TapegradError);
  });

  it.each([
    ['a functional model', (t: Json) => (t.class_name = 'Functional'), /unsupported model class "Functional"; tapegrad imports Sequential/],
    [
      'an unsupported layer, named',
      (_t: Json, l: Json[]) => l.push({ class_name: 'Conv2D', config: { name: 'conv' } }),
      /layer 'conv' \(Conv2D\): unsupported layer class "Conv2D"/,
    ],
    [
      'an unsupported activation',
      (_t: Json, l: Json[]) => ((l[0]!.config as Json).activation = 'selu'),
      /layer 'dense' \(Dense\): unsupported activation "selu"/,
    ],
    [
      'a regularizer',
      (_t: Json, l: Json[]) => ((l[0]!.config as Json).kernel_regularizer = { class_name: 'L2', config: { l2: 0.01 } }),
      /layer 'dense' \(Dense\): unsupported attribute kernel_regularizer/,
    ],
    [
      'a LeakyReLU of another slope',
      (_t: Json, l: Json[]) => {
        (l[0]!.config as Json).activation = 'linear';
        l.splice(1, 0, { class_name: 'LeakyReLU', config: { alpha: 0.3, name: 'lr' } });
      },
      /layer 'lr' \(LeakyReLU\): unsupported attribute alpha 0.3; tapegrad's leakyRelu has slope 0.01/,
    ],
    [
      'an activation after a Dense that has one',
      (_t: Json, l: Json[]) => l.push({ class_name: 'Activation', config: { activation: 'tanh', name: 't' } }),
      /layer 't' \(Activation\): unsupported placement: .* follows Dense 'dense_1' \(activation softmax\)/,
    ],
    [
      'dropout noise_shape',
      (_t: Json, l: Json[]) => l.splice(1, 0, { class_name: 'Dropout', config: { name: 'd', rate: 0.5, noise_shape: [1, 4] } }),
      /layer 'd' \(Dropout\): unsupported attribute noise_shape/,
    ],
    ['a channels_first Flatten of images', (_t: Json, l: Json[]) => {
      const dense = l[0]!.config as Json;
      delete dense.batch_input_shape;
      l.unshift({ class_name: 'Flatten', config: { name: 'f', data_format: 'channels_first', batch_input_shape: [null, 1, 3] } });
    }, /layer 'f' \(Flatten\): unsupported attribute data_format 'channels_first'/],
    ['a float16 layer', (_t: Json, l: Json[]) => ((l[0]!.config as Json).dtype = 'float16'), /unsupported dtype "float16"/],
    ['no input shape', (_t: Json, l: Json[]) => delete (l[0]!.config as Json).batch_input_shape, /the topology has no input shape/],
    [
      'an input shape on a later layer',
      (_t: Json, l: Json[]) => ((l[1]!.config as Json).batch_input_shape = [null, 4]),
      /only the first layer may set an input shape/,
    ],
    ['units far too large', (_t: Json, l: Json[]) => ((l[0]!.config as Json).units = 1e8), /units must be a positive integer ≤ 10000000/],
    [
      'a model over the parameter cap',
      (_t: Json, l: Json[]) => ((l[0]!.config as Json).batch_input_shape = [null, 2 ** 24]),
      /the architecture has \d+ parameters, more than 67108864; refusing to allocate/,
    ],
    ['a layer without a config', (_t: Json, l: Json[]) => (l[1] = { class_name: 'Dense' }), /layer 1 must be \{class_name, config\}/],
    ['duplicate layer names', (_t: Json, l: Json[]) => ((l[1]!.config as Json).name = 'dense'), /two layers are named "dense"/],
    [
      'a weight name the layers do not have',
      (_t: Json, _l: Json[], s: Json[]) => (s[1]!.name = 'other/bias'),
      /the weights do not match the layers; missing "dense\/bias"; unexpected "other\/bias"/,
    ],
    [
      'a transposed kernel',
      (_t: Json, _l: Json[], s: Json[]) => (s[0]!.shape = [4, 3]),
      /weight 'dense\/kernel' has shape \[4, 3\]; the layers need \[3, 4\]/,
    ],
    ['int32 weights', (_t: Json, _l: Json[], s: Json[]) => (s[0]!.dtype = 'int32'), /weight "dense\/kernel": unsupported dtype "int32"/],
    [
      'quantized weights',
      (_t: Json, _l: Json[], s: Json[]) => (s[0]!.quantization = { dtype: 'uint8', scale: 1, min: 0 }),
      /unsupported attribute quantization/,
    ],
    ['a weight listed twice', (_t: Json, _l: Json[], s: Json[]) => s.push({ ...s[0]! }), /weight "dense\/kernel" appears twice/],
    [
      'a hostile shape',
      (_t: Json, _l: Json[], s: Json[]) => (s[0]!.shape = [1e9, 1e9]),
      /the weights hold more than 67108864 values \(shape \[1000000000, 1000000000\]\)/,
    ],
    [
      'a prototype-polluting key',
      (t: Json) => Object.defineProperty(t, '__proto__', { value: {}, enumerable: true }),
      /forbidden key "__proto__"/,
    ],
  ])('%s', (_label, f, message) => {
    const a = edit(good, f as (t: Json, l: Json[], s: Json[]) => void);
    expect(() => fromTfjsArtifacts(a)).toThrow(message);
    expect(() => fromTfjsArtifacts(a)).toThrow(TapegradError);
  });

  it('refuses softsign, gelu_new and swish by name, and skips an optimizer state saved after the weights', () => {
    for (const activation of ['softsign', 'gelu_new', 'swish']) {
      const a = edit(good, (_t, l) => ((l[1]!.config as Json).activation = activation));
      expect(() => fromTfjsArtifacts(a)).toThrow(new RegExp(`layer 'dense_1' \\(Dense\\): unsupported activation "${activation}"`));
    }
    const withOptimizer = edit(good, (_t, _l, s) => s.push({ name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' }));
    const data = new Uint8Array(bytes.length + 4);
    data.set(bytes);
    const x = randn([2, 3], { generator: new Generator(3) });
    expect(fromTfjsArtifacts({ ...withOptimizer, weightData: data }).predict(x).equals(fromTfjsArtifacts(good).predict(x))).toBe(true);
    expect(() => fromTfjsArtifacts(withOptimizer)).toThrow(/weightData has 104 bytes but the weightSpecs describe 108/);
  });

  it('refuses NaN weights and weights that disagree with the layer sizes', () => {
    const nan = new Float32Array(good.weightData.slice(0));
    nan[5] = NaN;
    expect(() => fromTfjsArtifacts({ ...good, weightData: nan.buffer })).toThrow(
      /weight 'dense\/kernel' element 5 is NaN; expected a finite value/,
    );
    nan[5] = 3e37;
    expect(() => fromTfjsArtifacts({ ...good, weightData: nan.buffer })).toThrow(/element 5 is 3\.\d+e\+37; .* taken for corruption/);
    const wider = edit(good, (_t, l, s) => {
      (l[0]!.config as Json).units = 5;
      s[0]!.shape = [3, 5];
      s[1]!.shape = [5];
    });
    expect(() => fromTfjsArtifacts({ ...wider, weightData: new ArrayBuffer(4 * (15 + 5 + 10)) })).toThrow(ShapeError);
  });

  it('every byte flip of the weights and every structural mutation of the topology: refused or a finite model', () => {
    const { x, y } = fixtureData();
    const m = new Sequential({ seed: 7, name: 'fuzz' });
    m.add(new Dense(6, { activation: 'relu', inputShape: [4] }));
    m.add(new Dropout(0.25, { seed: 3 }));
    m.add(new Dense(3, { activation: 'softmax' }));
    const a = toTfjsArtifacts(m);
    const data = { x, y, loss: 'categoricalCrossentropy' };
    const structural: ModelApi = {
      fromJSON: (text) => {
        const doc = JSON.parse(text) as { modelTopology: Json; weightSpecs: unknown };
        return fromTfjsArtifacts({ ...a, modelTopology: doc.modelTopology, weightSpecs: doc.weightSpecs }) as unknown as FuzzModel;
      },
    };
    const text = JSON.stringify({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs });
    const tally = judgeAll(structural, structuralMutations(text), data);
    expect(tally.examples).toEqual([]);
    expect(tally.raw + tally.nan).toBe(0);
    expect(tally.tried).toBeGreaterThan(400);
    expect(tally.refused).toBeGreaterThan(100);
    expect(tally.loaded).toBeGreaterThan(0);

    // flips of the weight bytes (a flip of an exponent bit makes Inf or NaN, which must be refused); the shared verdict
    // takes text, so the bytes travel as latin-1
    const weights: ModelApi = {
      fromJSON: (s) => fromTfjsArtifacts({ ...a, weightData: Uint8Array.from(s, (c) => c.charCodeAt(0)) }) as unknown as FuzzModel,
    };
    const flips = judgeAll(weights, flipEachByte(new Uint8Array(a.weightData), 0x40), data);
    expect(flips.examples).toEqual([]);
    expect(flips.raw + flips.nan).toBe(0);
    expect(flips.tried).toBe(a.weightData.byteLength);
    expect(flips.refused).toBeGreaterThan(0);
    expect(flips.loaded).toBeGreaterThan(0);
  });
});

/** Every single-byte flip (XOR `mask`) of `bytes`, as latin-1 text. */
function* flipEachByte(bytes: Uint8Array, mask: number): IterableIterator<{ label: string; text: string }> {
  for (let i = 0; i < bytes.length; i++) {
    const copy = bytes.slice();
    copy[i] = copy[i]! ^ mask;
    yield { label: `weight byte ${i} ^ 0x${mask.toString(16)}`, text: Array.from(copy, (b) => String.fromCharCode(b)).join('') };
  }
}

describe('exported weights', () => {
  it('are a copy: training after the export leaves the artifacts as they were', () => {
    const { x, y } = fixtureData();
    const m = new Sequential({ seed: 3 });
    m.add(new Dense(3, { activation: 'softmax', inputShape: [4] }));
    const a = toTfjsArtifacts(m);
    const before = new Float32Array(a.weightData.slice(0));
    m.compile({ optimizer: 'sgd', lr: 0.5, loss: 'categoricalCrossentropy' });
    m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(new Tensor(new Float32Array(a.weightData), [15]).equals(new Tensor(before, [15]))).toBe(true);
  });

  it('refuses a topology that is not an object with a ValueError', () => {
    expect(() => fromTfjsArtifacts({ modelTopology: 1, weightSpecs: [], weightData: new ArrayBuffer(0) })).toThrow(ValueError);
  });
});
