import { ValueError } from '@tapegrad/tensor';
import protobuf from 'protobufjs/light.js';
import schema from './onnx-schema.json' with { type: 'json' };

// ONNX's protobuf messages, encoded and decoded by protobufjs from the JSON descriptor of onnx.proto (ONNX
// v1.22.0; packages/nn/onnx-schema/ makes it). The interfaces below are the fields tapegrad reads or writes, as
// plain objects (field names as in onnx.proto, int64 as numbers, bytes as Uint8Array); the decoder keeps every
// other field too, so the importer can refuse what it does not understand.

/** A tensor: dims, element type (1 float, 6 int32, 7 int64, 11 double) and data, raw little-endian or typed. */
export interface TensorProtoData {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  double_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  /** 1 = EXTERNAL: the data is in another file. */
  data_location?: number;
  external_data?: { key?: string; value?: string }[];
  segment?: unknown;
}

/** A node attribute; `type` says which field holds the value (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS). */
export interface AttributeProtoData {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoData;
  floats?: number[];
  ints?: number[];
  ref_attr_name?: string;
}

/** One operator application: inputs and outputs by value name, the operator and its attributes. */
export interface NodeProtoData {
  name?: string;
  op_type?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProtoData[];
}

/** A dimension: a fixed size or a symbolic one (the batch). */
export interface DimensionData {
  dim_value?: number;
  dim_param?: string;
}

/** A named value with its tensor type and shape (a graph's inputs and outputs). */
export interface ValueInfoProtoData {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: DimensionData[] } } };
}

/** The computation: nodes in topological order, initializers (the weights), inputs and outputs. */
export interface GraphProtoData {
  name?: string;
  node?: NodeProtoData[];
  initializer?: TensorProtoData[];
  sparse_initializer?: unknown[];
  input?: ValueInfoProtoData[];
  output?: ValueInfoProtoData[];
  value_info?: ValueInfoProtoData[];
}

/** The model: IR version, operator sets, producer and graph. */
export interface ModelProtoData {
  ir_version?: number;
  opset_import?: { domain?: string; version?: number }[];
  producer_name?: string;
  producer_version?: string;
  doc_string?: string;
  graph?: GraphProtoData;
  functions?: unknown[];
  training_info?: unknown[];
}

/** onnx.ModelProto of the descriptor, built on first use. */
let modelType: protobuf.Type | null = null;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(schema as protobuf.INamespace).lookupType('onnx.ModelProto');
  return modelType;
}

/** The protobuf bytes of a model, in a Uint8Array of their own. */
export function encodeModel(model: ModelProtoData): Uint8Array {
  const type = modelProto();
  const bytes = type.encode(type.fromObject(model as Record<string, unknown>)).finish();
  // in Node protobufjs hands out a Buffer, possibly a view into a shared pool: copy into a plain, exact array
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/** The model in `bytes` as plain data; bytes that are not a protobuf message (truncated, corrupted) throw a ValueError naming `fn`. */
export function decodeModel(fn: string, bytes: Uint8Array): ModelProtoData {
  const type = modelProto();
  try {
    const message = type.decode(bytes);
    return type.toObject(message, { longs: Number, enums: Number, defaults: false, arrays: false }) as ModelProtoData;
  } catch (e) {
    // protobufjs throws RangeError (index out of range) for a cut message and Error for a bad wire type; a deeply
    // nested hostile message overflows the stack: all mean the same thing here
    throw new ValueError(`${fn}: the ${bytes.length} bytes are not an ONNX model (truncated or corrupted): ${(e as Error).message}`);
  }
}
