import { Tensor, ValueError, fmtShape } from '@tapegrad/tensor';
import { bytesToTypedArray } from '../io/binary.js';
import { MAX_PARAMETERS } from '../io/limits.js';
import { describe } from '../io/safe-json.js';
import type { AttributeProtoData, NodeProtoData, TensorProtoData } from './proto.js';

// The constant tensors of an ONNX graph (initializers and Constant nodes): shape and element type checked, the
// element count bounded before anything is allocated, float weights read in the model's precision (float32, or
// float64 for a graph of doubles) and shapes as integers; the Transpose of a constant is evaluated here.

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const DOUBLE = 11;
/** ONNX's element types (TensorProto.DataType) by code, as ONNX names them in lower case. */
const TYPE_NAMES: readonly string[] = [
  'undefined',
  'float',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'double',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'uint4',
  'int4',
  'float4e2m1',
];

/** An element type's ONNX name for a message (`double`, `float16`), or `unknown` for a code ONNX 1.22 does not have. */
export function elementTypeName(type: unknown): string {
  return (typeof type === 'number' && Number.isSafeInteger(type) ? TYPE_NAMES[type] : undefined) ?? 'unknown';
}

/** The precision float constants are read in: a graph of floats is a float32 model, one of doubles a float64 model. */
export type Precision = 'float32' | 'float64';

/** A constant of the graph: its shape and values (float weights in the model's precision, integer shapes as numbers). */
export interface Constant {
  dims: number[];
  /** 'float' for float and double tensors, 'int' for int32 and int64 ones. */
  kind: 'float' | 'int';
  /** The ONNX element type it is stored as (1 float, 11 double, 6 int32, 7 int64). */
  type: number;
  values: Float32Array | Float64Array | number[];
}

/** The dims of a tensor, each a non-negative integer, and their product, bounded by {@link MAX_PARAMETERS}. */
export function tensorDims(where: string, t: TensorProtoData): { dims: number[]; size: number } {
  const dims = t.dims ?? [];
  if (!Array.isArray(dims) || dims.length > 8) throw new ValueError(`${where}: more than 8 dimensions (${describe(dims)})`);
  let size = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ValueError(`${where}: dimension ${describe(d)} is not a non-negative integer`);
    size *= d;
    if (size > MAX_PARAMETERS) throw new ValueError(`${where}: shape ${fmtShape(dims)} has more than ${MAX_PARAMETERS} elements`);
  }
  return { dims: [...dims], size };
}

/**
 * Reads a constant tensor: float or double, read in `precision` (a double rounded to float32 in a float32 model, a
 * float widened exactly in a float64 one), or int32/int64; external data, segments and other types are refused.
 */
export function readConstant(where: string, t: TensorProtoData, precision: Precision = 'float32'): Constant {
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) {
    throw new ValueError(`${where}: unsupported external data (the values are in another file); save the model with its weights inside`);
  }
  if (t.segment !== undefined) throw new ValueError(`${where}: unsupported attribute segment`);
  const { dims, size } = tensorDims(where, t);
  const type = t.data_type ?? 0;
  const raw = t.raw_data;
  const has = (n: number, field: string): void => {
    if (n !== size) {
      throw new ValueError(`${where}: ${field} holds ${n} values; shape ${fmtShape(dims)} needs ${size} — truncated or corrupted`);
    }
  };
  if (type === FLOAT || type === DOUBLE) {
    const stored = type === FLOAT ? 'float32' : 'float64';
    const Out = precision === 'float64' ? Float64Array : Float32Array;
    let values: Float32Array | Float64Array;
    if (raw !== undefined && raw.length > 0) {
      has(raw.length / (type === FLOAT ? 4 : 8), 'raw_data');
      const typed = bytesToTypedArray(raw, stored);
      values = stored === precision ? (typed as Float32Array | Float64Array) : Out.from(typed);
    } else {
      const list = (type === FLOAT ? t.float_data : t.double_data) ?? [];
      has(list.length, type === FLOAT ? 'float_data' : 'double_data');
      values = Out.from(list);
    }
    return { dims, kind: 'float', type, values };
  }
  if (type === INT64 || type === INT32) {
    let values: number[];
    if (raw !== undefined && raw.length > 0) {
      has(raw.length / (type === INT64 ? 8 : 4), 'raw_data');
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      values = Array.from({ length: size }, (_, i) =>
        type === INT64 ? Number(view.getBigInt64(8 * i, true)) : view.getInt32(4 * i, true),
      );
    } else {
      values = [...((type === INT64 ? t.int64_data : t.int32_data) ?? [])];
      has(values.length, type === INT64 ? 'int64_data' : 'int32_data');
    }
    return { dims, kind: 'int', type, values };
  }
  throw new ValueError(
    `${where}: unsupported element type ${elementTypeName(type)} (${type}); tapegrad reads float, double, int32 and int64 tensors`,
  );
}

/**
 * The constant `c` with its axes permuted as ONNX's Transpose does (`perm`, default: the axes reversed); `perm`
 * must be a permutation of the axes.
 */
export function transposeConstant(where: string, c: Constant, perm: readonly number[] | null): Constant {
  const rank = c.dims.length;
  const p = perm ?? c.dims.map((_, i) => rank - 1 - i);
  if (p.length !== rank || !c.dims.every((_, i) => p.includes(i))) {
    throw new ValueError(
      `${where}: attribute 'perm' must be a permutation of the ${rank} axes of shape ${fmtShape(c.dims)}, got ${describe(p)}`,
    );
  }
  const dims = p.map((a) => c.dims[a]!);
  // the tensor package's permute (a strided view) and contiguous() do the reordering
  const data = Array.isArray(c.values) ? Float64Array.from(c.values) : c.values;
  const moved = new Tensor(data, c.dims).permute(p).contiguous().values() as Float32Array | Float64Array;
  const values = Array.isArray(c.values) ? Array.from(moved) : moved;
  return { ...c, dims, values };
}

/** A node's attributes by name, each checked to be one of `allowed`; an unknown attribute is refused by name. */
export function attributes(
  where: string,
  list: readonly AttributeProtoData[] | undefined,
  allowed: readonly string[],
): Map<string, AttributeProtoData> {
  const out = new Map<string, AttributeProtoData>();
  for (const a of list ?? []) {
    const name = a.name ?? '';
    if (!allowed.includes(name)) {
      throw new ValueError(
        `${where}: unsupported attribute ${describe(name)}${allowed.length ? `; tapegrad reads ${allowed.join(', ')}` : ''}`,
      );
    }
    if (a.ref_attr_name) throw new ValueError(`${where}: attribute '${name}' refers to a function attribute, which is unsupported`);
    out.set(name, a);
  }
  return out;
}

/** An INT attribute's value, or `fallback` when absent. */
export function intAttribute(where: string, attrs: Map<string, AttributeProtoData>, name: string, fallback: number): number {
  const a = attrs.get(name);
  if (!a) return fallback;
  if (a.type !== 2 || !Number.isSafeInteger(a.i ?? 0)) {
    throw new ValueError(`${where}: attribute '${name}' must be an INT, got ${attributeValue(a)}`);
  }
  return a.i ?? 0;
}

/** An INTS attribute's values, or null when absent. */
export function intsAttribute(where: string, attrs: Map<string, AttributeProtoData>, name: string): number[] | null {
  const a = attrs.get(name);
  if (!a) return null;
  if (a.type !== 7 || !(a.ints ?? []).every((v) => Number.isSafeInteger(v))) {
    throw new ValueError(`${where}: attribute '${name}' must be INTS, got ${attributeValue(a)}`);
  }
  return [...(a.ints ?? [])];
}

/** The operators evaluated on constants: what torch.onnx.export writes around a weight without constant folding. */
export const CONSTANT_OPERATORS: readonly string[] = ['Transpose', 'Identity'];

/**
 * Evaluates a node whose inputs are all constants (`inputs`, by the names `names`) — `MatMul(x, Transpose(W))` of
 * `torch.onnx.export(…, do_constant_folding=False)` — into the constant it outputs. Only {@link CONSTANT_OPERATORS}
 * are evaluated; any other operator on constants is refused by name.
 */
export function evaluateConstant(where: string, node: NodeProtoData, names: readonly string[], inputs: readonly Constant[]): Constant {
  const op = node.op_type ?? '';
  const of = `${where} of the constant ${names.map((n) => describe(n)).join(', ')}`;
  if (!CONSTANT_OPERATORS.includes(op)) {
    throw new ValueError(
      `${of}: unsupported operator on constants; tapegrad evaluates only ${CONSTANT_OPERATORS.join(' and ')} of an ` +
        `initializer or Constant (torch.onnx.export folds the others with do_constant_folding=True)`,
    );
  }
  if (inputs.length !== 1) throw new ValueError(`${of}: a ${op} takes one input, got ${inputs.length}`);
  if (op === 'Identity') {
    attributes(of, node.attribute, []);
    return inputs[0]!;
  }
  return transposeConstant(of, inputs[0]!, intsAttribute(of, attributes(of, node.attribute, ['perm']), 'perm'));
}

/** A FLOAT attribute's value, or `fallback` when absent. */
export function floatAttribute(where: string, attrs: Map<string, AttributeProtoData>, name: string, fallback: number): number {
  const a = attrs.get(name);
  if (!a) return fallback;
  if (a.type !== 1 || !Number.isFinite(a.f ?? 0)) {
    throw new ValueError(`${where}: attribute '${name}' must be a finite FLOAT, got ${attributeValue(a)}`);
  }
  return a.f ?? 0;
}

/** An attribute's type and value for a message: `FLOAT 0.5`, `INT 2`, `STRING`, … */
function attributeValue(a: AttributeProtoData): string {
  const kind = ATTRIBUTE_TYPES[a.type ?? 0] ?? `type ${describe(a.type)}`;
  return a.type === 1 ? `${kind} ${a.f ?? 0}` : a.type === 2 ? `${kind} ${a.i ?? 0}` : kind;
}

const ATTRIBUTE_TYPES: Record<number, string> = { 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 6: 'FLOATS', 7: 'INTS', 8: 'STRINGS' };
