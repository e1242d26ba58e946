// Edges of the TF.js and ONNX interop found by an outside tester: a re-export that must never delete through a
// symlinked folder, names from a file that are Object.prototype keys, TF.js's default Softmax axis, PyTorch's exports
// without constant folding (MatMul(x, Transpose(W))) and float64 (model.double()) graphs.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Generator, ShapeError, Tensor, ValueError, randn } from '@tapegrad/tensor';
import { relu } from '@tapegrad/autograd';
import {
  Dense,
  Flatten,
  Sequential,
  fromTfjsArtifacts,
  registerActivation,
  toTfjsArtifacts,
  unregisterActivation,
} from '../src/index.js';
import { exportTfjs, importTfjs } from '../src/node/index.js';
import { exportOnnx, importOnnx } from '../src/onnx/index.js';
import { decodeModel, encodeModel, type ModelProtoData, type NodeProtoData, type TensorProtoData } from '../src/onnx/proto.js';

const root = mkdtempSync(join(tmpdir(), 'tapegrad-interop-edges-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const tmp = (): string => mkdtempSync(join(root, `${count++}-`));

const small = (seed = 1): Sequential => new Sequential([new Dense(3, { inputShape: [4], activation: 'relu' })], { seed });
const PROTO_KEYS = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('exportTfjs removes only its own shards, never through a symlink', () => {
  /** A directory `model` whose (hostile) model.json lists `paths`, beside a folder `outside` with `files`. */
  function hostile(paths: string[], files: string[]): { dir: string; outside: string } {
    const base = tmp();
    const outside = join(base, 'outside');
    const dir = join(base, 'model');
    mkdirSync(outside);
    mkdirSync(dir);
    for (const f of files) writeFileSync(join(outside, f), 'not the export’s');
    const doc = { format: 'layers-model', modelTopology: {}, weightsManifest: [{ paths, weights: [] }] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
    return { dir, outside };
  }

  it('a model.json listing lnk/… where lnk is a symlinked folder leaves the files it leads to (shard-named or not)', () => {
    const { dir, outside } = hostile(['lnk/victim.txt', 'lnk/group1-shard1of1.bin', 'lnk/group1-shard1of2.0badf00d.bin'], []);
    for (const f of ['victim.txt', 'group1-shard1of1.bin', 'group1-shard1of2.0badf00d.bin']) writeFileSync(join(outside, f), 'keep');
    symlinkSync(outside, join(dir, 'lnk'));
    const m = small();
    exportTfjs(m, dir);
    expect(readdirSync(outside).sort()).toEqual(['group1-shard1of1.bin', 'group1-shard1of2.0badf00d.bin', 'victim.txt']);
    for (const f of readdirSync(outside)) expect(readFileSync(join(outside, f), 'utf8')).toBe('keep');
    const x = randn([2, 4], { generator: new Generator(1) });
    expect(importTfjs(dir).predict(x).equals(m.predict(x))).toBe(true);
  });

  it('leaves a listed file that is not a shard it writes, one in a subfolder, and a shard that is a symlink', () => {
    const { dir, outside } = hostile(['notes.txt', 'weights.bin', 'sub/group1-shard1of1.bin', 'group1-shard2of2.bin'], ['target.bin']);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'weights.bin'), 'mine');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'group1-shard1of1.bin'), 'mine');
    symlinkSync(join(outside, 'target.bin'), join(dir, 'group1-shard2of2.bin'));
    exportTfjs(small(), dir);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(dir, 'weights.bin'), 'utf8')).toBe('mine');
    expect(readFileSync(join(dir, 'sub', 'group1-shard1of1.bin'), 'utf8')).toBe('mine');
    expect(lstatSync(join(dir, 'group1-shard2of2.bin')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(outside, 'target.bin'))).toBe(true);
  });

  it('still removes the shards of its own earlier export, also when the directory is reached through a symlink', () => {
    const base = tmp();
    const real = join(base, 'real');
    const link = join(base, 'link');
    mkdirSync(real);
    symlinkSync(real, link);
    exportTfjs(small(1), link, { shardBytes: 20 });
    const first = readdirSync(real).filter((f) => f.endsWith('.bin'));
    expect(first).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    const m = small(2);
    const files = exportTfjs(m, link, { shardBytes: 20 });
    // the tagged names of the second export replace the plain ones, which are gone
    expect(readdirSync(real).sort()).toEqual([...files.shards.map((f) => f.slice(link.length + 1)), 'model.json'].sort());
    expect(files.shards[0]).toMatch(/group1-shard1of3\.[0-9a-f]{8}\.bin$/);
    const x = randn([2, 4], { generator: new Generator(2) });
    expect(importTfjs(real).predict(x).equals(m.predict(x))).toBe(true);
  });
});

describe('names from a file that are Object.prototype keys are unknown names', () => {
  const withLayer = (layer: Record<string, unknown>): ReturnType<typeof toTfjsArtifacts> => {
    const a = toTfjsArtifacts(new Sequential([new Dense(3, { inputShape: [4] })], { seed: 1 }));
    (a.modelTopology.config as { layers: unknown[] }).layers.push(layer);
    return a;
  };

  it.each(PROTO_KEYS)('TF.js: a layer class %s is an unsupported layer class', (cls) => {
    const a = withLayer({ class_name: cls, config: { name: 'x' } });
    expect(() => fromTfjsArtifacts(a)).toThrow(ValueError);
    expect(() => fromTfjsArtifacts(a)).toThrow(`fromTfjsArtifacts: layer 'x' (${cls}): unsupported layer class "${cls}"`);
  });

  it.each(PROTO_KEYS)('TF.js: an activation %s (of a Dense or an Activation layer) is an unsupported activation', (name) => {
    const a = toTfjsArtifacts(small());
    const layers = (a.modelTopology.config as { layers: { config: Record<string, unknown> }[] }).layers;
    layers[0]!.config.activation = name;
    expect(() => fromTfjsArtifacts(a)).toThrow(`fromTfjsArtifacts: layer 'dense' (Dense): unsupported activation "${name}"`);
    layers[0]!.config.activation = { class_name: name, config: {} };
    expect(() => fromTfjsArtifacts(a)).toThrow(`layer 'dense' (Dense): unsupported activation "${name}"`);
    const b = withLayer({ class_name: 'Activation', config: { name: 'act', activation: name } });
    expect(() => fromTfjsArtifacts(b)).toThrow(`fromTfjsArtifacts: layer 'act' (Activation): unsupported activation "${name}"`);
  });

  it('TF.js: a weight named __proto__ is a weight the layers do not have', () => {
    const a = toTfjsArtifacts(small());
    a.weightSpecs.push({ name: '__proto__', shape: [2], dtype: 'float32' });
    const data = new Uint8Array(a.weightData.byteLength + 8);
    data.set(new Uint8Array(a.weightData));
    expect(() => fromTfjsArtifacts({ ...a, weightData: data })).toThrow(/the weights do not match the layers; unexpected "__proto__"/);
  });

  it('TF.js export: a registered activation named toString is not taken for one TF.js has', () => {
    registerActivation('toString', (x) => relu(x));
    try {
      const m = new Sequential([new Dense(2, { inputShape: [3], activation: 'toString' })], { seed: 0 });
      expect(() => toTfjsArtifacts(m)).toThrow(/layer 'dense' uses activation 'toString', which TF.js's Dense does not have/);
    } finally {
      unregisterActivation('toString');
    }
  });

  it.each(PROTO_KEYS)('ONNX: an operator %s is an unsupported operator', (op) => {
    const g = decodeModel('test', exportOnnx(small()));
    g.graph!.node!.push({ name: 'odd', op_type: op, input: [g.graph!.output![0]!.name!], output: ['z'] });
    g.graph!.output![0]!.name = 'z';
    const bytes = encodeModel(g);
    expect(() => importOnnx(bytes)).toThrow(ValueError);
    expect(() => importOnnx(bytes)).toThrow(`importOnnx: node "odd" (${op}): unsupported operator "${op}"; tapegrad imports Gemm`);
  });
});

describe("TF.js's Softmax layer with its default axis 1", () => {
  // the little of TF.js used here (a dev dependency of examples/, its types not resolvable from packages/nn)
  interface TfTensor {
    dataSync(): Float32Array;
  }
  interface TfModel {
    predict(x: TfTensor): TfTensor;
    save(handler: unknown): Promise<unknown>;
    dispose(): void;
  }
  interface Tf {
    env(): { set(flag: string, value: boolean): void };
    setBackend(name: string): Promise<boolean>;
    sequential(config: { layers: unknown[] }): TfModel;
    layers: { dense(config: Record<string, unknown>): unknown; softmax(config?: Record<string, unknown>): unknown };
    io: { withSaveHandler(f: (a: unknown) => Promise<unknown>): unknown };
    tidy<T>(f: () => T): T;
    tensor(values: Float32Array, shape: number[]): TfTensor;
  }
  let tf: Tf;
  beforeAll(async () => {
    const requireExamples = createRequire(fileURLToPath(new URL('../../../examples/package.json', import.meta.url)));
    tf = requireExamples('@tensorflow/tfjs') as Tf;
    tf.env().set('IS_TEST', true);
    await tf.setBackend('cpu');
  });

  it('tf.layers.softmax() after a Dense imports (TF.js 4.22 saves axis 1) and predicts what TF.js predicts', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [4] }), tf.layers.softmax()] });
    let artifacts: { modelTopology: { config: { layers: { config: Record<string, unknown> }[] } } } | undefined;
    const info = { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a as typeof artifacts), info)));
    expect(artifacts!.modelTopology.config.layers[1]!.config.axis).toBe(1);
    const m = fromTfjsArtifacts(artifacts as never);
    expect(m.layers.map((l) => `${l.type} ${l.activationName}`)).toEqual(['Dense softmax']);
    const x = randn([6, 4], { generator: new Generator(3) });
    const want = tf.tidy(() => model.predict(tf.tensor(Float32Array.from(x.values()), [6, 4])).dataSync());
    expect(maxDiff(m.predict(x).values(), want)).toBeLessThanOrEqual(1e-6);
    model.dispose();
  });

  /** A Dense of `units` on samples `inputShape` (Flatten first when `flatten`), then a Softmax of config `softmax`. */
  function topology(softmax: Record<string, unknown>, inputShape = [4], flatten = false): Parameters<typeof fromTfjsArtifacts>[0] {
    const first = new Sequential({ seed: 0 });
    if (flatten) first.add(new Flatten({ inputShape }));
    first.add(new Dense(3, flatten ? {} : { inputShape }));
    const a = toTfjsArtifacts(first);
    (a.modelTopology.config as { layers: unknown[] }).layers.push({ class_name: 'Softmax', config: { name: 'sm', ...softmax } });
    return a;
  }

  it.each([{ axis: 1 }, { axis: [1] }, { axis: -1 }, { axis: [-1] }, {}])('accepts %j on a Dense output [batch, units]', (softmax) => {
    const m = fromTfjsArtifacts(topology(softmax));
    expect(m.layers.map((l) => l.activationName)).toEqual(['softmax']);
    const flat = fromTfjsArtifacts(topology(softmax, [2, 2], true));
    expect(flat.layers.map((l) => l.activationName)).toEqual(['-', 'softmax']);
  });

  it.each([0, 2, -2, '1', [1, -1]])('refuses axis %j', (axis) => {
    expect(() => fromTfjsArtifacts(topology({ axis }))).toThrow(
      new RegExp(`^fromTfjsArtifacts: layer 'sm' \\(Softmax\\): unsupported attribute axis .*; tapegrad's equivalent has axis -1 or 1`),
    );
  });

  it('refuses axis 1 where it is not the last axis, naming the input', () => {
    // a Dense given samples [2, 4] without a Flatten (TF.js applies it to the last axis): its output is [null, 2, 3]
    const a = topology({ axis: 1 }, [2, 4]);
    const layers = (a.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
    expect(layers.map((l) => l.class_name)).toEqual(['Flatten', 'Dense', 'Softmax']);
    layers[1]!.config.batch_input_shape = layers.shift()!.config.batch_input_shape;
    expect(() => fromTfjsArtifacts(a)).toThrow(
      "layer 'sm' (Softmax): unsupported attribute axis 1; tapegrad's equivalent has axis -1, the last axis (1 is the last axis of " +
        'a 2-D input only; this one gets [null, 2, 3])',
    );
  });
});

interface TorchRecord {
  torch: string;
  opset: number;
  constantFolding: boolean;
  dtype: 'float32' | 'float64';
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
  weights: Record<string, { shape: number[]; data: number[] }>;
}

const fixture = (name: string): { bytes: Uint8Array; record: TorchRecord } => ({
  bytes: readFileSync(new URL(`./fixtures/interop-edges/${name}.onnx`, import.meta.url)),
  record: JSON.parse(readFileSync(new URL(`./fixtures/interop-edges/${name}.json`, import.meta.url), 'utf8')) as TorchRecord,
});

/** PyTorch's Linear weight [out, in] as a tapegrad kernel [in, out], in row-major order. */
const transposed = (w: { shape: number[]; data: number[] }): number[] => {
  const [rows, cols] = w.shape as [number, number];
  return Array.from({ length: rows * cols }, (_, k) => w.data[(k % rows) * cols + Math.floor(k / rows)]!);
};

/** Checks the imported model's weights are exactly PyTorch's (a.weight, b.weight, b.bias, c.weight). */
function expectTorchWeights(m: Sequential, record: TorchRecord): void {
  const w = record.weights;
  const got = m.getWeights().map((t) => Array.from(t.values()));
  expect(got).toEqual([transposed(w['a.weight']!), transposed(w['b.weight']!), w['b.bias']!.data, transposed(w['c.weight']!)]);
}

/** A model of one Gemm `fc` (kernel `w` [3, 2] and bias `b`) on x [batch, 3], output y; `edit` changes it. */
function gemmModel(edit: (m: ModelProtoData) => void = () => {}): Uint8Array {
  const m = decodeModel('test', exportOnnx(new Sequential([new Dense(2, { inputShape: [3], name: 'fc' })], { seed: 3 })));
  edit(m);
  return encodeModel(m);
}
const gemmNode = (m: ModelProtoData): NodeProtoData => m.graph!.node!.find((n) => n.op_type === 'Gemm')!;
const kernelOf = (m: ModelProtoData): TensorProtoData => m.graph!.initializer!.find((t) => t.name === 'fc/kernel')!;
const TRANSPOSE = (input: string, output: string, perm?: number[]): NodeProtoData => ({
  name: 't',
  op_type: 'Transpose',
  input: [input],
  output: [output],
  ...(perm ? { attribute: [{ name: 'perm', type: 7, ints: perm }] } : {}),
});
/** Stores the kernel [3, 2] transposed, as [2, 3]. */
function transposeKernel(m: ModelProtoData): void {
  const k = kernelOf(m);
  const v = new Float32Array(k.raw_data!.slice().buffer);
  k.dims = [2, 3];
  k.raw_data = new Uint8Array(Float32Array.from({ length: 6 }, (_, i) => v[(i % 3) * 2 + Math.floor(i / 3)]!).buffer);
}

describe('ONNX: constants evaluated before the chain (torch.onnx.export with do_constant_folding=False)', () => {
  it.each(['mlp-nofold-o9', 'mlp-nofold-o13', 'mlp-nofold-o17'])(
    '%s: MatMul(x, Transpose(W)) imports with PyTorch’s exact weights and predictions (≤ 1e-6)',
    (name) => {
      const { bytes, record } = fixture(name);
      expect(record.constantFolding).toBe(false);
      expect(record.torch).toMatch(/^1\.13/);
      const ops = decodeModel('test', bytes).graph!.node!.map((n) => n.op_type);
      expect(ops.filter((o) => o === 'Transpose')).toHaveLength(2);
      const m = importOnnx(bytes);
      expect(m.layers.map((l) => `${l.type} ${l.activationName} ${l.hasBias}`)).toEqual([
        'Dense relu false',
        'Dense tanh true',
        'Dense softmax false',
      ]);
      expectTorchWeights(m, record);
      const x = new Tensor(Float32Array.from(record.input.data), record.input.shape);
      expect(maxDiff(m.predict(x).values(), record.output.data)).toBeLessThanOrEqual(1e-6);
    },
  );

  it('Transpose (default or explicit perm) and Identity of an initializer or a Constant give the same model', () => {
    const plain = importOnnx(gemmModel());
    const x = randn([5, 3], { generator: new Generator(4) });
    const want = plain.predict(x);
    const variants: [string, (m: ModelProtoData) => void][] = [
      [
        'Identity of the kernel',
        (m) => {
          m.graph!.node!.unshift({ name: 'id', op_type: 'Identity', input: ['fc/kernel'], output: ['k'] });
          gemmNode(m).input![1] = 'k';
        },
      ],
      [
        'Transpose with perm [1, 0] of the stored transpose',
        (m) => {
          transposeKernel(m);
          m.graph!.node!.unshift(TRANSPOSE('fc/kernel', 'k', [1, 0]));
          gemmNode(m).input![1] = 'k';
        },
      ],
      [
        'Transpose without perm, then Identity, of a Constant node',
        (m) => {
          transposeKernel(m);
          const k = kernelOf(m);
          m.graph!.initializer = m.graph!.initializer!.filter((t) => t !== k);
          const constant = { name: 'c', op_type: 'Constant', input: [], output: ['kc'], attribute: [{ name: 'value', type: 4, t: k }] };
          const identity = { name: 'id', op_type: 'Identity', input: ['kt'], output: ['k'] };
          m.graph!.node!.unshift(constant, TRANSPOSE('kc', 'kt'), identity);
          gemmNode(m).input![1] = 'k';
        },
      ],
      [
        'Transpose of the bias [2] (a 1-D permutation)',
        (m) => {
          m.graph!.node!.unshift(TRANSPOSE('fc/bias', 'b', [0]));
          gemmNode(m).input![2] = 'b';
        },
      ],
    ];
    for (const [label, edit] of variants) {
      const m = importOnnx(gemmModel(edit));
      expect(m.predict(x).equals(want), label).toBe(true);
      expect(m.layers.map((l) => l.name)).toEqual(['fc']);
    }
  });

  it('refuses another operator on constants, a bad perm, and a Transpose nothing uses, naming the node', () => {
    const cast = gemmModel((m) => {
      m.graph!.node!.unshift({ name: 'cast', op_type: 'Cast', input: ['fc/kernel'], output: ['k'], attribute: [] });
      gemmNode(m).input![1] = 'k';
    });
    expect(() => importOnnx(cast)).toThrow(ValueError);
    expect(() => importOnnx(cast)).toThrow(
      'importOnnx: node "cast" (Cast) of the constant "fc/kernel": unsupported operator on constants; tapegrad evaluates only ' +
        'Transpose and Identity of an initializer or Constant',
    );
    const badPerm = gemmModel((m) => {
      m.graph!.node!.unshift(TRANSPOSE('fc/kernel', 'k', [0, 0]));
      gemmNode(m).input![1] = 'k';
    });
    expect(() => importOnnx(badPerm)).toThrow(
      `node "t" (Transpose) of the constant "fc/kernel": attribute 'perm' must be a permutation of the 2 axes of shape [3, 2], ` +
        'got an array [0, 0]',
    );
    const unused = gemmModel((m) => {
      m.graph!.initializer!.push({ ...kernelOf(m), name: 'extra' });
      m.graph!.node!.unshift(TRANSPOSE('extra', 'k'));
    });
    expect(() => importOnnx(unused)).toThrow(/initializers "extra" are not used by the chain of nodes/);
    // the transposed weight has the wrong orientation: the Gemm says so
    const wrong = gemmModel((m) => {
      m.graph!.node!.unshift(TRANSPOSE('fc/kernel', 'k'));
      gemmNode(m).input![1] = 'k';
    });
    expect(() => importOnnx(wrong)).toThrow(ShapeError);
  });

  it('a branch is still refused as one: a node that takes the chain output at another position', () => {
    const branch = gemmModel((m) => {
      gemmNode(m).input = ['fc/kernel', m.graph!.input![0]!.name!, 'fc/bias'];
    });
    expect(() => importOnnx(branch)).toThrow(/node "fc" \(Gemm\): takes "fc\/kernel", not the output of the node before it/);
  });
});

describe('ONNX: a float64 graph (PyTorch model.double()) is a float64 model', () => {
  it.each(['mlp-double', 'mlp-double-nofold'])('%s imports with the exact double weights and predicts what PyTorch did', (name) => {
    const { bytes, record } = fixture(name);
    expect(record.dtype).toBe('float64');
    const m = importOnnx(bytes);
    expect(m.layers.map((l) => (l as Dense).dtype)).toEqual(['float64', 'float64', 'float64']);
    expectTorchWeights(m, record);
    // the weights are not float32 values: reading them as float32 would have rounded them
    expect(record.weights['a.weight']!.data.some((v) => Math.fround(v) !== v)).toBe(true);
    const x = new Tensor(Float64Array.from(record.input.data), record.input.shape);
    const y = m.predict(x);
    expect(y.dtype).toBe('float64');
    expect(maxDiff(y.values(), record.output.data)).toBeLessThanOrEqual(1e-12);
    // it saves as a float64 model and exports to ONNX in float32 (as every float64 tapegrad model)
    const again = importOnnx(exportOnnx(m));
    expect(again.layers.map((l) => (l as Dense).dtype)).toEqual(['float32', 'float32', 'float32']);
    expect(maxDiff(again.predict(x).values(), record.output.data)).toBeLessThanOrEqual(1e-6);
  });

  it('a graph of float input whose weights are doubles reads them as float32, as before', () => {
    const { bytes, record } = fixture('mlp-double');
    const g = decodeModel('test', bytes);
    g.graph!.input![0]!.type!.tensor_type!.elem_type = 1;
    const m = importOnnx(encodeModel(g));
    expect(m.layers.map((l) => (l as Dense).dtype)).toEqual(['float32', 'float32', 'float32']);
    expect(Array.from(m.getWeights()[2]!.values())).toEqual(record.weights['b.bias']!.data.map(Math.fround));
  });

  it('refuses a double input with float weights, and names every unsupported element type', () => {
    const mixed = gemmModel((m) => (m.graph!.input![0]!.type!.tensor_type!.elem_type = 11));
    expect(() => importOnnx(mixed)).toThrow(
      'importOnnx: node "fc" (Gemm): the graph input must be a float tensor, got element type 11 (double) with float weights ' +
        '(this node takes the float "fc/kernel"); a graph of doubles imports as a float64 model when its weights are doubles too',
    );
    for (const [type, name] of [
      [10, 'float16'],
      [16, 'bfloat16'],
      [7, 'int64'],
      [99, 'unknown'],
    ] as const) {
      const bytes = gemmModel((m) => (m.graph!.input![0]!.type!.tensor_type!.elem_type = type));
      expect(() => importOnnx(bytes)).toThrow(
        `importOnnx: the graph input must be a float or double tensor, got element type ${type} (${name}); tapegrad imports a ` +
          'graph of floats as a float32 model and one of doubles (input and weights) as a float64 model',
      );
    }
    const bf16 = gemmModel((m) => (kernelOf(m).data_type = 16));
    expect(() => importOnnx(bf16)).toThrow('importOnnx: initializer "fc/kernel": unsupported element type bfloat16 (16); tapegrad reads');
  });
});
