import { ValueError, fmtShape } from '@tapegrad/tensor';
import { bytesToTypedArray } from '../io/binary.js';
import { MAX_PARAMETERS } from '../io/limits.js';
import { describe } from '../io/safe-json.js';
import type { AttributeProtoData, TensorProtoData } from './proto.js';

// The constant tensors of an ONNX graph (initializers and Constant nodes): shape and element type checked, the
// element count bounded before anything is allocated, float weights read as float32 and shapes as integers.

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const DOUBLE = 11;
const TYPE_NAMES: Record<number, string> = {
  1: 'float',
  2: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'double',
};

/** A constant of the graph: its shape and values (float weights as float32, integer shapes as numbers). */
export interface Constant {
  dims: number[];
  /** 'float' for float and double tensors, 'int' for int32 and int64 ones. */
  kind: 'float' | 'int';
  values: Float32Array | number[];
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

/** Reads a constant tensor: float (or double, read as float32) or int32/int64; external data, segments and other types are refused. */
export function readConstant(where: string, t: TensorProtoData): Constant {
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
    const bytes = type === FLOAT ? 4 : 8;
    let values: Float32Array;
    if (raw !== undefined && raw.length > 0) {
      has(raw.length / bytes, 'raw_data');
      const typed = bytesToTypedArray(raw, type === FLOAT ? 'float32' : 'float64');
      values = typed instanceof Float32Array ? typed : Float32Array.from(typed);
    } else {
      const list = (type === FLOAT ? t.float_data : t.double_data) ?? [];
      has(list.length, type === FLOAT ? 'float_data' : 'double_data');
      values = Float32Array.from(list);
    }
    return { dims, kind: 'float', values };
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
    return { dims, kind: 'int', values };
  }
  throw new ValueError(
    `${where}: unsupported element type ${TYPE_NAMES[type] ?? type}; tapegrad reads float, double, int32 and int64 tensors`,
  );
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
