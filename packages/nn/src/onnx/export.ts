import { ValueError, sizeOf } from '@tapegrad/tensor';
import { typedArrayToBytes } from '../io/binary.js';
import { describeForExport } from '../io/exported-model.js';
import type { Sequential } from '../model/sequential.js';
import { encodeModel, type AttributeProtoData, type DimensionData, type NodeProtoData, type TensorProtoData } from './proto.js';

// A tapegrad model as an ONNX graph (opset 13): each Dense is a Gemm (kernel [in, units], bias [units]) followed by
// its activation's operator, Dropout is Dropout (the identity at inference), Flatten is Flatten(axis 1). The batch
// dimension is symbolic, so any batch size runs.

/** The operator set written (the default ONNX domain). */
export const ONNX_OPSET = 13;
/** The IR version that goes with opset 13. */
const IR_VERSION = 7;
const FLOAT = 1;

/** tapegrad activation → ONNX operator and attributes (opset 13). */
const ACTIVATIONS: Record<string, { op: string; attribute?: AttributeProtoData[] }> = {
  relu: { op: 'Relu' },
  sigmoid: { op: 'Sigmoid' },
  tanh: { op: 'Tanh' },
  softmax: { op: 'Softmax', attribute: [{ name: 'axis', type: 2, i: -1 }] },
  logSoftmax: { op: 'LogSoftmax', attribute: [{ name: 'axis', type: 2, i: -1 }] },
  leakyRelu: { op: 'LeakyRelu', attribute: [{ name: 'alpha', type: 1, f: 0.01 }] },
  elu: { op: 'Elu', attribute: [{ name: 'alpha', type: 1, f: 1 }] },
  softplus: { op: 'Softplus' },
};

/** Why an activation with no opset-13 operator cannot be exported. */
const MISSING: Record<string, string> = {
  gelu: 'ONNX has Gelu only from opset 20',
};

const FN = 'exportOnnx';

/**
 * The model as ONNX protobuf bytes (opset 13, IR version 7): input `input` `[batch, …inputShape]` and output
 * `output`, float32, with a symbolic batch dimension. Dense layers become Gemm plus Relu, Sigmoid, Tanh, Softmax,
 * LogSoftmax, LeakyRelu, Elu or Softplus; Dropout and Flatten their namesakes. A float64 model is written in
 * float32. An activation without an opset-13 operator (gelu, a registered custom one) is refused, naming the layer.
 * @example writeFileSync('model.onnx', exportOnnx(model)); // then: onnxruntime.InferenceSession.create(bytes)
 */
export function exportOnnx(model: Sequential): Uint8Array {
  const m = describeForExport(FN, model);
  const nodes: NodeProtoData[] = [];
  const initializer: TensorProtoData[] = [];
  let value = 'input';
  let shape: DimensionData[] = m.inputShape.map((d) => ({ dim_value: d }));
  // each node's output is named after its layer and operator (`dense/gemm`, `dense/relu`); the last one is `output`
  const step = (node: Omit<NodeProtoData, 'output'>, layer: string): void => {
    const output = `${layer}/${node.op_type!.toLowerCase()}`;
    nodes.push({ ...node, output: [output] });
    value = output;
  };
  for (const l of m.layers) {
    if (l.type === 'Flatten') {
      step({ name: l.name, op_type: 'Flatten', input: [value], attribute: [{ name: 'axis', type: 2, i: 1 }] }, l.name);
      shape = [{ dim_value: sizeOf(l.inputShape) }];
    } else if (l.type === 'Dropout') {
      initializer.push(floatTensor(`${l.name}/ratio`, [], Float32Array.of(l.rate)));
      step({ name: l.name, op_type: 'Dropout', input: [value, `${l.name}/ratio`] }, l.name);
    } else {
      const act = ACTIVATIONS[l.activation];
      if (!act && l.activation !== 'linear') {
        const why = MISSING[l.activation] ?? 'a registered activation is a function tapegrad cannot translate into ONNX operators';
        throw new ValueError(
          `${FN}: unsupported activation '${l.activation}' in layer '${l.name}': ${why}, and tapegrad writes opset ${ONNX_OPSET}; ` +
            `exportable: linear, ${Object.keys(ACTIVATIONS).join(', ')}`,
        );
      }
      initializer.push(floatTensor(`${l.name}/kernel`, [l.inputSize, l.units], l.kernel));
      const inputs = [value, `${l.name}/kernel`];
      if (l.bias) {
        initializer.push(floatTensor(`${l.name}/bias`, [l.units], l.bias));
        inputs.push(`${l.name}/bias`);
      }
      step({ name: l.name, op_type: 'Gemm', input: inputs }, l.name);
      if (act) {
        step(
          { name: `${l.name}/${act.op}`, op_type: act.op, input: [value], ...(act.attribute ? { attribute: act.attribute } : {}) },
          l.name,
        );
      }
      shape = [{ dim_value: l.units }];
    }
  }
  nodes[nodes.length - 1]!.output = ['output'];
  const tensorType = (dims: DimensionData[]): { tensor_type: { elem_type: number; shape: { dim: DimensionData[] } } } => ({
    tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_param: 'batch' }, ...dims] } },
  });
  return encodeModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'tapegrad',
    graph: {
      name: m.name,
      node: nodes,
      initializer,
      input: [{ name: 'input', type: tensorType(m.inputShape.map((d) => ({ dim_value: d }))) }],
      output: [{ name: 'output', type: tensorType(shape) }],
    },
  });
}

// raw_data may view a parameter's storage: encodeModel copies the bytes into the message before returning
function floatTensor(name: string, dims: number[], values: Float32Array): TensorProtoData {
  return { name, dims, data_type: FLOAT, raw_data: typedArrayToBytes(values) };
}
