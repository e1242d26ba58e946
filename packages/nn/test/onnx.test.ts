// ONNX in and out (@tapegrad/nn/onnx): round trips, the graph exportOnnx writes, the operators and forms importOnnx
// reads (hand-built graphs), and every refusal of a truncated, corrupted or unsupported model. ONNX Runtime runs the
// exported models in examples/test/interop-onnx.test.ts; PyTorch's exports are read in onnx-torch.test.ts.
import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, TapegradError, Tensor, ValueError, randn } from '@tapegrad/tensor';
import { softsign } from '@tapegrad/autograd';
import { Dense, Dropout, Flatten, Sequential, registerActivation, unregisterActivation } from '../src/index.js';
import { ONNX_OPSET, exportOnnx, importOnnx } from '../src/onnx/index.js';
import {
  decodeModel,
  encodeModel,
  type GraphProtoData,
  type ModelProtoData,
  type NodeProtoData,
  type TensorProtoData,
} from '../src/onnx/proto.js';
import { fixtureData } from './fixtures/fixture-data.js';
import { judgeAll, type FuzzModel, type ModelApi } from './model-mutants.js';

function wide(): Sequential {
  const m = new Sequential({ seed: 6, name: 'wide' });
  m.add(new Flatten({ inputShape: [4, 6] }));
  m.add(new Dense(16, { activation: 'relu' }));
  m.add(new Dropout(0.25));
  m.add(new Dense(12, { activation: 'tanh' }));
  m.add(new Dense(10, { activation: 'sigmoid', useBias: false }));
  m.add(new Dense(9, { activation: 'elu' }));
  m.add(new Dense(8, { activation: 'softplus' }));
  m.add(new Dense(7, { activation: 'leakyRelu' }));
  m.add(new Dense(6));
  m.add(new Dense(5, { activation: 'logSoftmax' }));
  m.add(new Dense(4, { activation: 'softmax' }));
  return m;
}

const floats = (name: string, dims: number[], values: number[]): TensorProtoData => ({
  name,
  dims,
  data_type: 1,
  raw_data: new Uint8Array(Float32Array.from(values).buffer),
});
const ints = (name: string, values: number[]): TensorProtoData => ({ name, dims: [values.length], data_type: 7, int64_data: values });
const input = (dims: ({ dim_value: number } | { dim_param: string })[]): GraphProtoData['input'] => [
  { name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: dims } } } },
];

/** A model of `nodes` on input x [batch, 3] with `initializer`, output y, at `opset`. */
function graph(nodes: NodeProtoData[], initializer: TensorProtoData[], opset = 13, extra: Partial<GraphProtoData> = {}): Uint8Array {
  const model: ModelProtoData = {
    ir_version: 7,
    opset_import: [{ domain: '', version: opset }],
    graph: { name: 'g', node: nodes, initializer, input: input([{ dim_param: 'n' }, { dim_value: 3 }]), output: [{ name: 'y' }], ...extra },
  };
  return encodeModel(model);
}

const W = [1, -2, 0.5, 3, -1, 2]; // [3, 2]
const x3 = (): Tensor => randn([4, 3], { generator: new Generator(8) });
/** x·W + b by hand, for the hand-built graphs. */
function affine(x: Tensor, w: number[], b: number[]): number[] {
  const xv = x.values();
  const out: number[] = [];
  for (let r = 0; r < x.shape[0]!; r++)
    for (let j = 0; j < 2; j++) out.push(xv[3 * r]! * w[j]! + xv[3 * r + 1]! * w[2 + j]! + xv[3 * r + 2]! * w[4 + j]! + b[j]!);
  return out;
}
const close = (got: Tensor, want: number[]): void => got.values().forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));

describe('exportOnnx → importOnnx', () => {
  it('round-trips every exportable layer and activation with bit-identical predictions', () => {
    const m = wide();
    const back = importOnnx(exportOnnx(m));
    const x = randn([9, 4, 6], { generator: new Generator(2) });
    expect(back.predict(x).equals(m.predict(x))).toBe(true);
    expect(back.layers.map((l) => [l.type, l.name, l.activationName, l.hasBias])).toEqual(
      m.layers.map((l) => [l.type, l.name, l.activationName, l.hasBias]),
    );
    expect((back.layers[2] as Dropout).rate).toBe(0.25);
    expect(back.inputShape).toEqual([4, 6]);
    expect(back.name).toBe('wide');
  });

  it('writes opset 13 with a symbolic batch: Flatten, Gemm with its activation, Dropout with a ratio initializer', () => {
    const doc = decodeModel('test', exportOnnx(wide()));
    expect(ONNX_OPSET).toBe(13);
    expect(doc.ir_version).toBe(7);
    expect(doc.opset_import).toEqual([{ domain: '', version: 13 }]);
    const g = doc.graph!;
    expect(g.input![0]!.type!.tensor_type!.shape!.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 4 }, { dim_value: 6 }]);
    expect(g.output![0]).toMatchObject({
      name: 'output',
      type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'batch' }, { dim_value: 4 }] } } },
    });
    expect(g.node!.map((n) => n.op_type)).toEqual([
      'Flatten',
      'Gemm',
      'Relu',
      'Dropout',
      'Gemm',
      'Tanh',
      'Gemm',
      'Sigmoid',
      'Gemm',
      'Elu',
      'Gemm',
      'Softplus',
      'Gemm',
      'LeakyRelu',
      'Gemm',
      'Gemm',
      'LogSoftmax',
      'Gemm',
      'Softmax',
    ]);
    expect(g.node![1]).toMatchObject({ name: 'dense', input: ['flatten/flatten', 'dense/kernel', 'dense/bias'], output: ['dense/gemm'] });
    expect(g.node![g.node!.length - 1]!.output).toEqual(['output']);
    expect(g.initializer!.find((t) => t.name === 'dense/kernel')!.dims).toEqual([24, 16]);
    const ratio = g.initializer!.find((t) => t.name === 'dropout/ratio')!;
    expect([ratio.dims ?? [], ratio.data_type, new Float32Array(Uint8Array.from(ratio.raw_data!).buffer)[0]]).toEqual([[], 1, 0.25]);
    expect(g.node![6]!.input).toHaveLength(2); // the Dense without bias
  });

  it('refuses an activation ONNX opset 13 lacks, naming the layer, and an unbuilt model', () => {
    const m = new Sequential();
    m.add(new Dense(3, { activation: 'gelu', inputShape: [2], name: 'hidden' }));
    expect(() => exportOnnx(m)).toThrow(/exportOnnx: unsupported activation 'gelu' in layer 'hidden': ONNX has Gelu only from opset 20/);
    const unbuilt = new Sequential();
    unbuilt.add(new Dense(2));
    expect(() => exportOnnx(unbuilt)).toThrow(/exportOnnx: the model is not built/);
    registerActivation('softsign', (x) => softsign(x));
    try {
      const s = new Sequential();
      s.add(new Dense(3, { activation: 'softsign', inputShape: [2], name: 'squash' }));
      expect(() => exportOnnx(s)).toThrow(/unsupported activation 'softsign' in layer 'squash': a registered activation is a function/);
    } finally {
      unregisterActivation('softsign');
    }
  });

  it('gives a model whose first Dense sees multi-dimensional samples its input shape and a Flatten before the Gemm', () => {
    const m = new Sequential({ seed: 1 });
    m.add(new Dense(3, { inputShape: [2, 2] }));
    const g = decodeModel('t', exportOnnx(m)).graph!;
    expect(g.input![0]!.type!.tensor_type!.shape!.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 2 }, { dim_value: 2 }]);
    expect(g.node!.map((n) => n.op_type)).toEqual(['Flatten', 'Gemm']);
  });
});

describe('importOnnx reads the forms other exporters write', () => {
  it('Gemm with transB = 1, alpha and beta, a [1, N] bias; Identity in between', () => {
    const wt = [1, 0.5, -1, -2, 3, 2]; // W transposed, [2, 3]
    const bytes = graph(
      [
        { name: 'id', op_type: 'Identity', input: ['x'], output: ['h'] },
        {
          name: 'fc',
          op_type: 'Gemm',
          input: ['h', 'w', 'b'],
          output: ['y'],
          attribute: [
            { name: 'transB', type: 2, i: 1 },
            { name: 'alpha', type: 1, f: 2 },
            { name: 'beta', type: 1, f: 0.5 },
          ],
        },
      ],
      [floats('w', [2, 3], wt), floats('b', [1, 2], [4, -6])],
    );
    const m = importOnnx(bytes);
    expect(m.layers.map((l) => l.name)).toEqual(['fc']);
    const x = x3();
    close(
      m.predict(x),
      affine(
        x,
        W.map((v) => 2 * v),
        [2, -3],
      ),
    );
  });

  it('MatMul + Add (either operand order), a Constant shape for Reshape to [0, -1], Softmax with the opset-11 default axis', () => {
    for (const order of [
      ['m', 'b'],
      ['b', 'm'],
    ]) {
      const bytes = graph(
        [
          { op_type: 'Constant', output: ['shape'], attribute: [{ name: 'value', type: 4, t: ints('', [0, -1]) }] },
          { op_type: 'Reshape', input: ['x', 'shape'], output: ['r'] },
          { op_type: 'MatMul', input: ['r', 'w'], output: ['m'] },
          { op_type: 'Add', input: order, output: ['a'] },
          { op_type: 'Softmax', input: ['a'], output: ['y'] },
        ],
        [floats('w', [3, 2], W), floats('b', [2], [1, 2])],
        11,
      );
      const m = importOnnx(bytes);
      expect(m.layers.map((l) => `${l.type} ${l.name} ${l.activationName}`)).toEqual(['Flatten flatten -', 'Dense dense softmax']);
      const x = x3();
      const z = affine(x, W, [1, 2]);
      const want = z.map((_, i) => {
        const r = i - (i % 2);
        const mx = Math.max(z[r]!, z[r + 1]!);
        return Math.exp(z[i]! - mx) / (Math.exp(z[r]! - mx) + Math.exp(z[r + 1]! - mx));
      });
      close(m.predict(x), want);
    }
  });

  it('Dropout with its ratio as an attribute (opset 10) or an input, its mask unused', () => {
    const old = importOnnx(
      graph(
        [
          { op_type: 'Gemm', input: ['x', 'w'], output: ['g'] },
          { op_type: 'Dropout', input: ['g'], output: ['y', 'mask'], attribute: [{ name: 'ratio', type: 1, f: 0.3 }] },
        ],
        [floats('w', [3, 2], W)],
        10,
      ),
    );
    expect((old.layers[1] as Dropout).rate).toBeCloseTo(0.3, 6);
    const neu = importOnnx(
      graph(
        [
          { op_type: 'Gemm', input: ['x', 'w'], output: ['g'] },
          { op_type: 'Dropout', input: ['g', 'r'], output: ['y'] },
        ],
        [floats('w', [3, 2], W), floats('r', [], [0.2])],
      ),
    );
    expect((neu.layers[1] as Dropout).rate).toBeCloseTo(0.2, 6);
  });

  it('an unknown feature size comes from the first Gemm; initializers listed as inputs (IR 3) are not inputs', () => {
    const bytes = encodeModel({
      ir_version: 3,
      opset_import: [{ domain: 'ai.onnx', version: 9 }],
      graph: {
        node: [{ op_type: 'Gemm', input: ['x', 'w'], output: ['y'] }],
        initializer: [floats('w', [3, 2], W)],
        input: [
          { name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'n' }, { dim_param: 'f' }] } } } },
          { name: 'w' },
        ],
        output: [{ name: 'y' }],
      },
    });
    const m = importOnnx(bytes);
    expect(m.inputShape).toEqual([3]);
    expect(m.name).toBe('onnx-model');
  });

  it('trains on with fit once compiled', () => {
    const { x, y } = fixtureData();
    const m = new Sequential({ seed: 3 });
    m.add(new Dense(8, { activation: 'tanh', inputShape: [4] }));
    m.add(new Dense(3, { activation: 'softmax' }));
    const back = importOnnx(exportOnnx(m));
    back.compile({ optimizer: 'adam', lr: 0.05, loss: 'categoricalCrossentropy' });
    const loss = back.fit(x, y, { epochs: 20, batchSize: 8, verbose: 0 }).history.loss!;
    expect(loss[loss.length - 1]!).toBeLessThan(0.7 * loss[0]!);
  });
});

describe('importOnnx refuses bad input with a clear error and builds nothing', () => {
  const gemm = (extra: NodeProtoData['attribute'] = []): NodeProtoData => ({
    name: 'fc',
    op_type: 'Gemm',
    input: ['x', 'w', 'b'],
    output: ['y'],
    attribute: extra,
  });
  const ok: [NodeProtoData[], TensorProtoData[]] = [[gemm()], [floats('w', [3, 2], W), floats('b', [2], [0, 0])]];
  const model = (f: (m: ModelProtoData) => void): Uint8Array => {
    const m = decodeModel('t', graph(...ok));
    f(m);
    return encodeModel(m);
  };

  it('accepts the baseline these cases change', () => {
    expect(importOnnx(graph(...ok)).layers).toHaveLength(1);
  });

  it.each([
    [
      'an unsupported operator, named',
      graph([{ name: 'c', op_type: 'Conv', input: ['x', 'w'], output: ['y'] }], [floats('w', [3, 2], W)]),
      /node "c" \(Conv\): unsupported operator "Conv"; tapegrad imports Gemm, MatMul/,
    ],
    [
      'an unsupported attribute',
      graph([gemm([{ name: 'transA', type: 2, i: 1 }])], ok[1]),
      /node "fc" \(Gemm\): unsupported attribute transA = 1/,
    ],
    [
      'an attribute of the wrong type, with what it got',
      graph([gemm([{ name: 'transB', type: 1, f: 1 }])], ok[1]),
      /node "fc" \(Gemm\): attribute 'transB' must be an INT, got FLOAT 1/,
    ],
    [
      'an unknown attribute',
      graph([gemm([{ name: 'broadcast', type: 2, i: 1 }])], ok[1]),
      /unsupported attribute "broadcast"; tapegrad reads alpha, beta, transA, transB/,
    ],
    [
      'a LeakyRelu of another slope',
      graph([gemm(), { op_type: 'LeakyRelu', input: ['y'], output: ['z'], attribute: [{ name: 'alpha', type: 1, f: 0.2 }] }], ok[1], 13, {
        output: [{ name: 'z' }],
      }),
      /\(LeakyRelu\): unsupported attribute alpha = 0.2\d*; tapegrad's leakyRelu has 0.01/,
    ],
    [
      'an activation after an activation',
      graph([gemm(), { op_type: 'Relu', input: ['y'], output: ['z'] }, { op_type: 'Tanh', input: ['z'], output: ['t'] }], ok[1], 13, {
        output: [{ name: 't' }],
      }),
      /\(Tanh\): unsupported placement: .* follows a Dense that already applies relu/,
    ],
    [
      'an operator of another domain',
      graph([{ ...gemm(), domain: 'com.microsoft' }], ok[1]),
      /unsupported operator domain "com.microsoft"/,
    ],
    [
      'a branch: a node that does not take the previous output',
      graph([gemm(), { op_type: 'Relu', input: ['x'], output: ['z'] }], ok[1], 13, { output: [{ name: 'z' }] }),
      /\(Relu\): takes "x", not the output of the node before it \("y"\)/,
    ],
    [
      'an unused initializer',
      graph(...ok, 13, { initializer: [...ok[1], floats('spare', [1], [1])] }),
      /initializers "spare" are not used/,
    ],
    [
      'a kernel that disagrees with the input',
      graph([gemm()], [floats('w', [4, 2], [...W, 1, 1]), floats('b', [2], [0, 0])]),
      /\(Gemm\): the weights take 4 features but 3 reach this node/,
    ],
    [
      'a bias of the wrong size',
      graph([gemm()], [floats('w', [3, 2], W), floats('b', [3], [0, 0, 0])]),
      /the bias has shape \[3\]; expected \[2\]/,
    ],
    [
      'a Reshape to a fixed batch',
      graph([{ op_type: 'Reshape', input: ['x', 's'], output: ['y'] }], [ints('s', [4, -1])]),
      /\(Reshape\): unsupported shape \[4, -1\]; tapegrad reads a Reshape to \[N, -1\]/,
    ],
    [
      'a Dropout whose mask is used',
      graph(
        [gemm(), { op_type: 'Dropout', input: ['y'], output: ['d', 'm'] }, { op_type: 'Relu', input: ['m'], output: ['z'] }],
        ok[1],
        13,
        { output: [{ name: 'z' }] },
      ),
      /uses the mask output of a Dropout/,
    ],
    [
      'weights stored in another file',
      graph([gemm()], [{ ...floats('w', [3, 2], W), data_location: 1 }, floats('b', [2], [0, 0])]),
      /initializer "w": unsupported external data/,
    ],
    [
      'int8 weights',
      graph([gemm()], [{ name: 'w', dims: [3, 2], data_type: 3, raw_data: new Uint8Array(6) }, floats('b', [2], [0, 0])]),
      /initializer "w": unsupported element type int8/,
    ],
    [
      'truncated raw data',
      graph([gemm()], [{ ...floats('w', [3, 2], W), raw_data: new Uint8Array(20) }, floats('b', [2], [0, 0])]),
      /initializer "w": raw_data holds 5 values; shape \[3, 2\] needs 6 — truncated or corrupted/,
    ],
    [
      'a NaN weight',
      graph([gemm()], [floats('w', [3, 2], [NaN, ...W.slice(1)]), floats('b', [2], [0, 0])]),
      /weight 'fc\/kernel' element 0 is NaN/,
    ],
    [
      'a hostile shape',
      graph([gemm()], [{ name: 'w', dims: [1e9, 1e9], data_type: 1 }, floats('b', [2], [0, 0])]),
      /has more than 67108864 elements/,
    ],
    [
      'a double input',
      model((m) => (m.graph!.input![0]!.type!.tensor_type!.elem_type = 11)),
      /the graph input must be a float tensor, got element type 11/,
    ],
    ['two inputs', model((m) => m.graph!.input!.push({ name: 'x2' })), /expected one graph input and one output, got 2 inputs/],
    ['no graph', model((m) => delete m.graph), /the model has no graph/],
    ['an old opset', model((m) => (m.opset_import = [{ version: 6 }])), /ONNX operator set is 6; this build reads opsets 7 to 26/],
    ['a newer IR', model((m) => (m.ir_version = 99)), /IR version 99 is not one this build reads \(3 to 13\)/],
    [
      'an output that is not the chain end',
      model((m) => (m.graph!.output![0]!.name = 'w')),
      /the graph output "w" is not the end of the chain/,
    ],
  ])('%s', (_label, bytes, message) => {
    expect(() => importOnnx(bytes)).toThrow(message);
    expect(() => importOnnx(bytes)).toThrow(TapegradError);
  });

  it.each(['Softsign', 'Gelu', 'HardSigmoid'])('refuses the activation operator %s, which tapegrad does not import, by name', (op) => {
    const bytes = graph([gemm(), { name: 'act', op_type: op, input: ['y'], output: ['z'] }], ok[1], 20, { output: [{ name: 'z' }] });
    expect(() => importOnnx(bytes)).toThrow(new RegExp(`node "act" \\(${op}\\): unsupported operator "${op}"`));
  });

  it('refuses bytes that are not a model, too many bytes, and every truncation of a real one', () => {
    expect(() => importOnnx(new TextEncoder().encode('{"not": "onnx"}'))).toThrow(
      /not an ONNX model \(truncated or corrupted\)|IR version/,
    );
    expect(() => importOnnx(new Uint8Array(0))).toThrow(/IR version \(missing\) is not one this build reads/);
    expect(() => importOnnx('model.onnx' as never)).toThrow(ValueError);
    expect(() => importOnnx(graph(...ok), { maxBytes: 10 })).toThrow(/refusing models over 10 bytes/);
    const bytes = exportOnnx(wide());
    const x = randn([2, 4, 6], { generator: new Generator(5) });
    let refused = 0;
    for (let n = 0; n < bytes.length; n += 7) {
      try {
        importOnnx(bytes.subarray(0, n)).predict(x);
      } catch (e) {
        expect(e).toBeInstanceOf(TapegradError);
        refused++;
      }
    }
    expect(refused).toBe(Math.ceil(bytes.length / 7));
    expect(() => importOnnx(graph([gemm()], [floats('w', [2, 3], W), floats('b', [2], [0, 0])]))).toThrow(ShapeError);
  });

  it('every single-byte flip of a small model: refused or a finite model', () => {
    const { x, y } = fixtureData();
    const m = new Sequential({ seed: 7, name: 'fuzz' });
    m.add(new Dense(6, { activation: 'relu', inputShape: [4] }));
    m.add(new Dropout(0.25));
    m.add(new Dense(3, { activation: 'softmax' }));
    const bytes = exportOnnx(m);
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype); // not a pooled Node Buffer whose slice() is a view
    const api: ModelApi = { fromJSON: (s) => importOnnx(Uint8Array.from(s, (c) => c.charCodeAt(0))) as unknown as FuzzModel };
    const mutants = function* (): IterableIterator<{ label: string; text: string }> {
      for (let i = 0; i < bytes.length; i++) {
        for (const mask of [0x01, 0x40]) {
          const copy = bytes.slice();
          copy[i] = copy[i]! ^ mask;
          yield { label: `byte ${i} ^ 0x${mask.toString(16)}`, text: Array.from(copy, (b) => String.fromCharCode(b)).join('') };
        }
      }
    };
    const tally = judgeAll(api, mutants(), { x, y, loss: 'categoricalCrossentropy' });
    expect(tally.examples).toEqual([]);
    expect(tally.raw + tally.nan).toBe(0);
    expect(tally.tried).toBe(2 * bytes.length);
    expect(tally.refused).toBeGreaterThan(100);
    expect(tally.loaded).toBeGreaterThan(0);
  });
});
