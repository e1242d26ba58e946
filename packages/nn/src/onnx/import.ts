import { ShapeError, Tensor, ValueError, fmtShape } from '@tapegrad/tensor';
import { buildImportedModel, type ImportedModel } from '../io/imported-model.js';
import { MAX_LAYERS, MAX_NAME_LENGTH, MAX_PARAMETERS, readMaxBytes } from '../io/limits.js';
import { describe, listSome } from '../io/safe-json.js';
import type { Sequential } from '../model/sequential.js';
import { decodeModel, type GraphProtoData, type ModelProtoData, type NodeProtoData, type TensorProtoData } from './proto.js';
import {
  attributes,
  elementTypeName,
  evaluateConstant,
  floatAttribute,
  intAttribute,
  readConstant,
  tensorDims,
  type Constant,
  type Precision,
} from './tensors.js';

// An ONNX graph as a tapegrad Sequential: the graph must be a chain from its one input to its one output, each
// node taking the previous node's output and constants (initializers, Constant nodes). Gemm and MatMul(+Add) become
// Dense layers, the activation operators fold into the Dense before them, Flatten and Reshape to [N, -1] become
// Flatten, Dropout becomes Dropout, Identity disappears; Transpose and Identity of a constant are evaluated. A graph
// of doubles (PyTorch's model.double()) is a float64 model. Everything else is refused by name.

const FN = 'importOnnx';

/** ONNX activation operator → tapegrad activation. */
const ACTIVATIONS: Record<string, string> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softmax: 'softmax',
  LogSoftmax: 'logSoftmax',
  LeakyRelu: 'leakyRelu',
  Elu: 'elu',
  Softplus: 'softplus',
};
const SUPPORTED = ['Gemm', 'MatMul', 'Add', ...Object.keys(ACTIVATIONS), 'Flatten', 'Reshape', 'Dropout', 'Identity', 'Constant'];
const FLOAT = 1;
const DOUBLE = 11;

/** The default-domain operator sets whose semantics this importer knows for its operators (ONNX 1.7 to 1.22). */
const OPSETS = { min: 7, max: 26 };
/** The IR versions read (3 = ONNX 1.0 … 13 = ONNX 1.22). */
const IR_VERSIONS = { min: 3, max: 13 };
/** Largest model accepted by default (1 GiB). */
const DEFAULT_MAX_BYTES = 2 ** 30;

/** Options of {@link importOnnx}. */
export interface ImportOnnxOptions {
  /** Largest model accepted, in bytes (default 1 GiB). */
  maxBytes?: number;
}

/**
 * A Sequential model from ONNX protobuf bytes (opset 7 to 26): a chain of Gemm (any transB, alpha, beta) or
 * MatMul + Add, the activations Relu, Sigmoid, Tanh, Softmax, LogSoftmax, LeakyRelu (alpha 0.01), Elu (alpha 1) and
 * Softplus after them, Flatten, Reshape to [N, -1], Dropout and Identity — what PyTorch's `torch.onnx.export` writes
 * for an MLP. The model is uncompiled: compile it to fine-tune. A truncated or corrupted file, an unsupported
 * operator, attribute or data type (named in the error), or weights that disagree with the graph are refused before
 * the model is built.
 * @example const model = importOnnx(readFileSync('mlp.onnx'));
 */
export function importOnnx(bytes: Uint8Array | ArrayBuffer, options: ImportOnnxOptions = {}): Sequential {
  const data = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(data instanceof Uint8Array)) {
    throw new ValueError(`${FN}: expected the model's bytes (a Uint8Array or ArrayBuffer), got ${describe(bytes)}`);
  }
  const maxBytes = readMaxBytes(FN, options, DEFAULT_MAX_BYTES);
  if (data.length > maxBytes) throw new ValueError(`${FN}: the model has ${data.length} bytes; refusing models over ${maxBytes} bytes`);
  const model = decodeModel(FN, data);
  const opset = checkHeader(model);
  return buildImportedModel(FN, translateGraph(model.graph!, opset));
}

/** Checks the IR version, the operator sets and that there is a graph; returns the default domain's opset. */
function checkHeader(model: ModelProtoData): number {
  const ir = model.ir_version;
  if (ir === undefined || !(ir >= IR_VERSIONS.min && ir <= IR_VERSIONS.max)) {
    throw new ValueError(
      `${FN}: IR version ${ir ?? '(missing)'} is not one this build reads (${IR_VERSIONS.min} to ${IR_VERSIONS.max}) — ` +
        `not an ONNX model, or a newer one`,
    );
  }
  const imports = model.opset_import ?? [];
  const defaults = imports.filter((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  const expected = `expected one import of the default domain ('' or 'ai.onnx') with an opset from ${OPSETS.min} to ${OPSETS.max}`;
  if (defaults.length !== 1) {
    const others = imports.length > 0 ? ` (only of the domains ${listSome(imports.map((o) => o.domain ?? ''))})` : '';
    const got = defaults.length === 0 ? `no opset import${others}` : `${defaults.length} opset imports of the default domain`;
    throw new ValueError(`${FN}: the model declares ${got}; ${expected}`);
  }
  const version = defaults[0]!.version;
  if (typeof version !== 'number') throw new ValueError(`${FN}: the default domain's opset import has no version; ${expected}`);
  if (!(version >= OPSETS.min && version <= OPSETS.max)) {
    throw new ValueError(
      `${FN}: the model's ONNX operator set is ${describe(version)}; this build reads opsets ${OPSETS.min} to ${OPSETS.max}`,
    );
  }
  if (!model.graph) throw new ValueError(`${FN}: the model has no graph`);
  return version;
}

/** A layer as the walk finds it, before names are settled. */
type Pending =
  | {
      type: 'Dense';
      node: string;
      kernel: Float32Array | Float64Array;
      inSize: number;
      units: number;
      bias: Float32Array | Float64Array | null;
      activation: string;
      matmul: boolean;
    }
  | { type: 'Dropout'; node: string; rate: number }
  | { type: 'Flatten'; node: string };

/** Walks the graph's chain of nodes and returns the layers and weights it describes. */
function translateGraph(graph: GraphProtoData, opset: number): ImportedModel {
  if ((graph.sparse_initializer?.length ?? 0) > 0) throw new ValueError(`${FN}: unsupported sparse initializers`);
  const nodes = graph.node ?? [];
  if (nodes.length === 0 || nodes.length > 4 * MAX_LAYERS) {
    throw new ValueError(`${FN}: expected 1 to ${4 * MAX_LAYERS} nodes, got ${nodes.length}`);
  }
  const initializers = new Map<string, TensorProtoData>();
  let total = 0;
  for (const t of graph.initializer ?? []) {
    const where = `${FN}: initializer ${describe(t.name ?? '')}`;
    if (!t.name || initializers.has(t.name)) throw new ValueError(`${where}: every initializer needs a unique name`);
    total += tensorDims(where, t).size;
    if (total > MAX_PARAMETERS) {
      throw new ValueError(`${FN}: the initializers hold more than ${MAX_PARAMETERS} values; refusing to allocate`);
    }
    initializers.set(t.name, t);
  }
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? ''));
  const outputs = graph.output ?? [];
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new ValueError(`${FN}: expected one graph input and one output, got ${inputs.length} inputs and ${outputs.length} outputs`);
  }
  const tensorType = inputs[0]!.type?.tensor_type;
  const elemType = tensorType?.elem_type;
  const inputType = elemType === undefined ? 'no element type' : `element type ${elemType} (${elementTypeName(elemType)})`;
  if (elemType !== FLOAT && elemType !== DOUBLE) {
    throw new ValueError(
      `${FN}: the graph input must be a float or double tensor, got ${inputType}; tapegrad imports a graph of floats as a ` +
        `float32 model and one of doubles (input and weights) as a float64 model`,
    );
  }
  // a graph of doubles (PyTorch's model.double()) is a float64 model: its weights are read exactly
  const precision: Precision = elemType === DOUBLE ? 'float64' : 'float32';

  const constants = new Map<string, Constant>();
  const used = new Set<string>();
  // the initializers a constant evaluated from initializers (Transpose(W)) stands for: used when it is
  const sources = new Map<string, string[]>();
  const lookup = (name: string): Constant | undefined => {
    const t = initializers.get(name);
    if (t && !constants.has(name)) constants.set(name, readConstant(`${FN}: initializer ${describe(name)}`, t, precision));
    return constants.get(name);
  };
  const constant = (where: string, name: string | undefined, kind: Constant['kind']): Constant => {
    const c = name ? lookup(name) : undefined;
    if (!c) throw new ValueError(`${where}: input ${describe(name ?? '')} must be an initializer or the output of a Constant node`);
    if (c.kind !== kind) throw new ValueError(`${where}: input ${describe(name)} must be a ${kind} tensor`);
    used.add(name!);
    for (const s of sources.get(name!) ?? []) used.add(s);
    return c;
  };
  /** A weight or bias: in a float64 model a double, as ONNX's type rules want (a float weight would be widened). */
  const weight = (where: string, name: string | undefined): Constant => {
    const c = constant(where, name, 'float');
    if (precision === 'float64' && c.type !== DOUBLE) {
      const type = elementTypeName(c.type);
      throw new ValueError(
        `${where}: the graph input must be a float tensor, got ${inputType} with ${type} weights (this node takes the ` +
          `${type} ${describe(name)}); a graph of doubles imports as a float64 model when its weights are doubles too`,
      );
    }
    return c;
  };
  const dims = tensorType?.shape?.dim;
  let rank: number | null = dims ? dims.length : null;
  const features = dims?.slice(1).map((d) => d.dim_value);
  let featureShape =
    features && features.length > 0 && features.every((d) => Number.isSafeInteger(d) && d! > 0) ? (features as number[]) : null;
  let size: number | null = featureShape ? featureShape.reduce((a, b) => a * b, 1) : null;
  const checkSize = (where: string, k: number): void => {
    if (size !== null && size !== k) throw new ShapeError(`${where}: the weights take ${k} features but ${size} reach this node`);
    size = k;
    featureShape ??= [k];
  };
  const needMatrix = (where: string): void => {
    if (rank !== null && rank !== 2) throw new ShapeError(`${where}: needs a 2-D input [batch, features], got rank ${rank}; flatten first`);
  };

  let current = inputs[0]!.name ?? '';
  const dead = new Set<string>();
  const layers: Pending[] = [];
  for (const [i, node] of nodes.entries()) {
    const op = node.op_type ?? '';
    const where = `${FN}: node ${describe(node.name || `#${i}`)} (${op})`;
    if (node.domain && node.domain !== 'ai.onnx')
      throw new ValueError(
        `${where}: unsupported operator domain ${describe(node.domain)}; tapegrad reads the default domain ('' or 'ai.onnx')`,
      );
    const ins = node.input ?? [];
    const outs = node.output ?? [];
    for (const name of ins) if (dead.has(name)) throw new ValueError(`${where}: uses the mask output of a Dropout, which is unsupported`);
    if (!outs[0] || outs.length > (op === 'Dropout' ? 2 : 1))
      throw new ValueError(`${where}: unexpected outputs ${listSome(outs)}; expected one (a Dropout may add its mask)`);
    if (op === 'Constant') {
      const attrs = attributes(where, node.attribute, ['value']);
      const t = attrs.get('value')?.t;
      if (!t) throw new ValueError(`${where}: a Constant needs a tensor 'value'`);
      constants.set(outs[0], readConstant(where, t, precision));
      continue;
    }
    const chain = op === 'Add' && ins[1] === current ? 1 : 0;
    const given = ins.filter((n) => n !== '');
    if (ins[chain] !== current && given.length > 0 && given.every((n) => lookup(n) !== undefined)) {
      // a node of constants only (torch.onnx.export without constant folding writes MatMul(x, Transpose(W))): evaluated
      const values = given.map((n) => lookup(n)!);
      constants.set(outs[0], evaluateConstant(where, node, given, values));
      sources.set(outs[0], [...new Set(given.flatMap((n) => sources.get(n) ?? (initializers.has(n) ? [n] : [])))]);
      continue;
    }
    if (ins[chain] !== current) {
      throw new ValueError(
        `${where}: takes ${describe(ins[chain] ?? '')}, not the output of the node before it (${describe(current)}); ` +
          `tapegrad imports a chain of layers from the graph's input to its output`,
      );
    }
    const last = layers[layers.length - 1];
    switch (op) {
      case 'Gemm': {
        const attrs = attributes(where, node.attribute, ['alpha', 'beta', 'transA', 'transB']);
        if (intAttribute(where, attrs, 'transA', 0) !== 0)
          throw new ValueError(`${where}: unsupported attribute transA = 1; tapegrad reads Gemm with transA 0 (input · B)`);
        const transB = intAttribute(where, attrs, 'transB', 0);
        if (transB !== 0 && transB !== 1) throw new ValueError(`${where}: transB must be 0 or 1, got ${transB}`);
        needMatrix(where);
        const dense = denseFrom(where, weight(where, ins[1]), transB === 1, floatAttribute(where, attrs, 'alpha', 1));
        checkSize(where, dense.inSize);
        if (ins[2]) dense.bias = biasFrom(where, weight(where, ins[2]), dense.units, floatAttribute(where, attrs, 'beta', 1));
        layers.push({ ...dense, node: node.name ?? '' });
        size = dense.units;
        break;
      }
      case 'MatMul': {
        attributes(where, node.attribute, []);
        needMatrix(where);
        const dense = denseFrom(where, weight(where, ins[1]), false, 1);
        checkSize(where, dense.inSize);
        layers.push({ ...dense, node: node.name ?? '', matmul: true });
        size = dense.units;
        break;
      }
      case 'Add': {
        attributes(where, node.attribute, []);
        if (last?.type !== 'Dense' || !last.matmul || last.bias || last.activation !== 'linear') {
          throw new ValueError(`${where}: unsupported placement: an Add must add a bias right after a MatMul`);
        }
        last.bias = biasFrom(where, weight(where, ins[1 - chain]), last.units, 1);
        break;
      }
      case 'Flatten': {
        const axis = intAttribute(where, attributes(where, node.attribute, ['axis']), 'axis', 1);
        if (axis !== 1 && !(rank !== null && axis + rank === 1)) {
          throw new ValueError(`${where}: unsupported attribute axis = ${axis}; tapegrad flattens every axis after the batch (axis 1)`);
        }
        layers.push({ type: 'Flatten', node: node.name ?? '' });
        rank = 2;
        break;
      }
      case 'Reshape': {
        const attrs = attributes(where, node.attribute, ['allowzero']);
        if (intAttribute(where, attrs, 'allowzero', 0) !== 0) throw new ValueError(`${where}: unsupported attribute allowzero = 1`);
        const target = constant(where, ins[1], 'int').values as number[];
        const [batch, rest] = target;
        const ok = target.length === 2 && (batch === 0 || batch === -1) && (rest === -1 || (rest! > 0 && batch !== rest));
        if (!ok || (batch === -1 && rest === -1)) {
          throw new ValueError(
            `${where}: unsupported shape ${fmtShape(target)}; tapegrad reads a Reshape to [N, -1] ([0, -1], [-1, F] or [0, F])`,
          );
        }
        if (rest! > 0) checkSize(where, rest!);
        layers.push({ type: 'Flatten', node: node.name ?? '' });
        rank = 2;
        break;
      }
      case 'Dropout': {
        const attrs = attributes(where, node.attribute, ['ratio', 'seed']);
        if (ins[2]) throw new ValueError(`${where}: unsupported input training_mode`);
        const rate = ins[1] ? scalar(where, constant(where, ins[1], 'float')) : floatAttribute(where, attrs, 'ratio', 0.5);
        if (!(rate >= 0 && rate < 1)) throw new ValueError(`${where}: ratio must be in [0, 1), got ${rate}`);
        if (outs[1]) dead.add(outs[1]);
        layers.push({ type: 'Dropout', node: node.name ?? '', rate });
        break;
      }
      case 'Identity':
        attributes(where, node.attribute, []);
        break;
      default: {
        const activation = Object.hasOwn(ACTIVATIONS, op) ? ACTIVATIONS[op] : undefined; // never Object.prototype's
        if (activation === undefined) {
          throw new ValueError(`${where}: unsupported operator ${describe(op)}; tapegrad imports ${SUPPORTED.join(', ')}`);
        }
        foldActivation(where, node, last, activation, opset);
      }
    }
    current = outs[0];
  }
  if (current !== outputs[0]!.name) {
    throw new ValueError(
      `${FN}: the graph output ${describe(outputs[0]!.name ?? '')} is not the end of the chain of nodes (${describe(current)})`,
    );
  }
  const unused = [...initializers.keys()].filter((n) => !used.has(n));
  if (unused.length > 0) throw new ValueError(`${FN}: initializers ${listSome(unused)} are not used by the chain of nodes`);
  if (featureShape === null) throw new ValueError(`${FN}: the input's feature shape is unknown (no input shape and no Gemm or MatMul)`);
  return settle(graph.name, featureShape, layers, precision);
}

/** A Dense layer's kernel [in, units] from a Gemm's or MatMul's B (transposed when transB), scaled by alpha. */
function denseFrom(where: string, b: Constant, transB: boolean, alpha: number): Extract<Pending, { type: 'Dense' }> {
  if (b.dims.length !== 2) throw new ShapeError(`${where}: the weight must be a matrix, got shape ${fmtShape(b.dims)}`);
  const [rows, cols] = b.dims as [number, number];
  const [inSize, units] = transB ? [cols, rows] : [rows, cols];
  if (inSize === 0 || units === 0) throw new ShapeError(`${where}: the weight has an empty shape ${fmtShape(b.dims)}`);
  const src = b.values as Float32Array | Float64Array;
  // the constant's values are read-only here and copied into the parameters: no copy unless transposed or scaled
  let kernel = src;
  if (transB || alpha !== 1) {
    kernel = src instanceof Float64Array ? new Float64Array(inSize * units) : new Float32Array(inSize * units);
    for (let i = 0; i < inSize; i++) {
      for (let j = 0; j < units; j++) kernel[i * units + j] = alpha * (transB ? src[j * inSize + i]! : src[i * units + j]!);
    }
  }
  return { type: 'Dense', node: '', kernel, inSize, units, bias: null, activation: 'linear', matmul: false };
}

/** A bias [units] from a constant of shape [units], [1, units], [1] or [] (broadcast), scaled by beta. */
function biasFrom(where: string, c: Constant, units: number, beta: number): Float32Array | Float64Array {
  const n = c.values.length;
  const shapeOk = c.dims.length <= 2 && c.dims.slice(0, -1).every((d) => d === 1) && (n === units || n === 1);
  if (!shapeOk) {
    throw new ShapeError(`${where}: the bias has shape ${fmtShape(c.dims)}; expected [${units}] (or [1, ${units}], or one value)`);
  }
  const values = c.values as Float32Array | Float64Array;
  const bias = values instanceof Float64Array ? new Float64Array(units) : new Float32Array(units);
  for (let j = 0; j < units; j++) bias[j] = beta * values[n === 1 ? 0 : j]!;
  return bias;
}

function scalar(where: string, c: Constant): number {
  if (c.values.length !== 1) throw new ShapeError(`${where}: expected a scalar, got shape ${fmtShape(c.dims)}`);
  return c.values[0]!;
}

/** Folds an activation node into the Dense before it (which must have none yet), after checking its attributes. */
function foldActivation(where: string, node: NodeProtoData, last: Pending | undefined, activation: string, opset: number): void {
  const allowed =
    activation === 'softmax' || activation === 'logSoftmax'
      ? ['axis']
      : activation === 'leakyRelu' || activation === 'elu'
        ? ['alpha']
        : [];
  const attrs = attributes(where, node.attribute, allowed);
  if (allowed[0] === 'axis') {
    // before opset 13 the default axis is 1; on the [batch, units] output of a Dense both mean the last axis
    const axis = intAttribute(where, attrs, 'axis', opset >= 13 ? -1 : 1);
    if (axis !== 1 && axis !== -1) {
      throw new ValueError(`${where}: unsupported attribute axis = ${axis}; tapegrad normalizes over the last axis`);
    }
  } else if (allowed[0] === 'alpha') {
    const want = activation === 'elu' ? 1 : 0.01;
    const alpha = floatAttribute(where, attrs, 'alpha', want);
    if (Math.abs(alpha - want) > 1e-6) {
      throw new ValueError(`${where}: unsupported attribute alpha = ${alpha}; tapegrad's ${activation} has ${want}`);
    }
  }
  if (last?.type !== 'Dense' || last.activation !== 'linear') {
    const after = last ? `a ${last.type}${last.type === 'Dense' ? ` that already applies ${last.activation}` : ''}` : 'the graph input';
    throw new ValueError(
      `${where}: unsupported placement: tapegrad applies an activation inside a Dense (after Gemm or MatMul), but it follows ${after}`,
    );
  }
  last.activation = activation;
}

/** Names the layers (a node's name when it is usable and unique, else dense, dense_1, …) and gathers the weights. */
function settle(graphName: string | undefined, inputShape: number[], pending: readonly Pending[], precision: Precision): ImportedModel {
  const names = new Set<string>();
  const nameOf = (p: Pending): string => {
    let name = p.node;
    if (!name || name.length > MAX_NAME_LENGTH || names.has(name)) {
      const base = p.type.toLowerCase();
      name = base;
      for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
    }
    names.add(name);
    return name;
  };
  const layers: ImportedModel['layers'] = [];
  const weights: Record<string, Tensor> = {};
  for (const p of pending) {
    const name = nameOf(p);
    if (p.type === 'Dense') {
      const config = {
        name,
        units: p.units,
        activation: p.activation,
        useBias: p.bias !== null,
        kernelInitializer: 'glorotUniform',
        biasInitializer: 'zeros',
        ...(precision === 'float64' ? { dtype: 'float64' } : {}),
      };
      layers.push({ type: 'Dense', config });
      weights[`${name}/kernel`] = new Tensor(p.kernel, [p.inSize, p.units]);
      if (p.bias) weights[`${name}/bias`] = new Tensor(p.bias, [p.units]);
    } else if (p.type === 'Dropout') {
      layers.push({ type: 'Dropout', config: { name, rate: p.rate } });
    } else {
      layers.push({ type: 'Flatten', config: { name } });
    }
  }
  if (layers.length === 0) throw new ValueError(`${FN}: the graph has no layer tapegrad can build (only Identity nodes)`);
  const name = graphName && graphName.length <= MAX_NAME_LENGTH ? graphName : 'onnx-model';
  return { name, inputShape, layers, weights };
}
