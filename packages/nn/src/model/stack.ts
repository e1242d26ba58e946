import type { Variable } from '@tapegrad/autograd';
import { type Generator, ShapeError, Tensor, ValueError, fmtShape, fmtValue, otherCopyHint, shapesEqual, sizeOf } from '@tapegrad/tensor';
import { MAX_LAYERS, MAX_PARAMETERS, firstNonFinite } from '../io/limits.js';
import { checkLayerName, checkSeededLayerName } from './checks.js';
import { Dense, Dropout, Layer } from './layers.js';

// A stack of layers: each new layer gets a unique name and is built for the size the layer before it outputs;
// weights are written into its parameters in order. The stack stays within what a model file holds: at most
// MAX_LAYERS layers and MAX_PARAMETERS parameters, checked before a layer allocates.

/**
 * Checks that `layer` can join `layers` (a Layer, not already there, a unique name a model file can hold, room for
 * one more) and names it if unnamed (`dense`, `dense_1`, …).
 */
export function admitLayer(layer: Layer, layers: readonly Layer[]): void {
  if (!(layer instanceof Layer)) {
    throw new ValueError(
      `Sequential.add: expected a Layer (Dense, Dropout, Flatten, …), got ${fmtValue(layer)}${otherCopyHint(layer, Layer)}`,
    );
  }
  if (layers.length >= MAX_LAYERS) {
    throw new ValueError(`Sequential.add: the model has ${layers.length} layers, the most a model may have (${MAX_LAYERS})`);
  }
  checkLayerName('Sequential.add', layer.name, 'layer name');
  if (layer instanceof Dropout && layer.seed !== undefined) checkSeededLayerName('Sequential.add', layer.name);
  if (layers.includes(layer)) {
    throw new ValueError(
      `Sequential.add: layer '${layer.name}' is already in the model; add a new layer instance (a layer cannot appear twice)`,
    );
  }
  if (layer.name === '') {
    const base = layer.type.toLowerCase();
    let k = 0;
    let name = base;
    while (layers.some((l) => l.name === name)) name = `${base}_${++k}`;
    layer.name = name;
    for (const [local, p] of layer.namedParameters()) p.name = `${layer.name}/${local}`;
  } else if (layers.some((l) => l.name === layer.name)) {
    throw new ValueError(`Sequential.add: a layer named '${layer.name}' already exists; layer names must be unique`);
  }
}

/**
 * Refuses to build `layer` for `inputSize` features when the model would then have more than {@link MAX_PARAMETERS}
 * parameters (counted before anything is allocated; a Dense is the layer with parameters).
 */
function checkParameterBudget(fn: string, layer: Layer, inputSize: number, built: readonly Layer[]): void {
  if (layer.built || !(layer instanceof Dense)) return;
  const before = built.reduce((n, l) => n + l.countParams(), 0);
  const total = before + inputSize * layer.units + (layer.useBias ? layer.units : 0);
  if (total > MAX_PARAMETERS) {
    throw new ValueError(
      `${fn}: layer '${layer.name}' (Dense) would bring the model to ${total} parameters, more than ${MAX_PARAMETERS} ` +
        `(the most a model may have); use fewer units or a smaller input`,
    );
  }
}

/**
 * Builds `layer` for the `inputSize` features the last of `layers` outputs (or the data has, for the first layer),
 * refusing an explicit inputShape that disagrees and a model that would grow beyond {@link MAX_PARAMETERS}.
 */
export function buildAfter(layer: Layer, layers: readonly Layer[], inputSize: number, generator: Generator): void {
  const prev = layers[layers.length - 1] ?? null;
  if (prev && layer.inputShape && sizeOf(layer.inputShape) !== inputSize) {
    throw new ShapeError(
      `Sequential.add: layer '${layer.name}' (${layer.type}) declares inputShape ${fmtShape(layer.inputShape)} ` +
        `(${sizeOf(layer.inputShape)} features) but the previous layer '${prev.name}' (${prev.type}) ` +
        `outputs ${inputSize} features`,
    );
  }
  checkParameterBudget('Sequential.add', layer, inputSize, layers);
  layer.build(inputSize, generator);
}

/** Builds every layer not yet built, in order, starting from `inputSize` features per sample. */
export function buildStack(layers: readonly Layer[], inputSize: number, generator: Generator): void {
  let size = inputSize;
  let prev: Layer | null = null;
  for (const layer of layers) {
    if (layer.inputShape && sizeOf(layer.inputShape) !== size) {
      const source = prev ? `the previous layer '${prev.name}' (${prev.type}) outputs` : 'the data has';
      throw new ShapeError(
        `Sequential.build: layer '${layer.name}' (${layer.type}) declares inputShape ${fmtShape(layer.inputShape)} ` +
          `(${sizeOf(layer.inputShape)} features) but ${source} ${size} features`,
      );
    }
    if (!layer.built) {
      checkParameterBudget('Sequential.build', layer, size, layers.slice(0, layers.indexOf(layer)));
      layer.build(size, generator);
    }
    size = layer.outputSize!;
    prev = layer;
  }
}

/**
 * Writes `weights` (one tensor per parameter, same order and shapes, finite values) into the parameters' values in
 * place; every tensor is checked before the first is written, so a refused call changes nothing.
 */
export function assignWeights(params: readonly Variable[], weights: readonly Tensor[]): void {
  if (!Array.isArray(weights) || weights.length !== params.length) {
    const got = Array.isArray(weights) ? `${weights.length} tensors` : fmtValue(weights);
    throw new ValueError(`setWeights: got ${got}; the model has ${params.length} parameters`);
  }
  const values = params.map((p, i) => {
    const w: unknown = weights[i];
    if (!(w instanceof Tensor)) throw new ValueError(`setWeights: weight ${i} must be a Tensor, got ${fmtValue(w)}`);
    if (!shapesEqual(w.shape, p.shape)) {
      throw new ShapeError(`setWeights: tensor ${i} has shape ${fmtShape(w.shape)}; parameter '${p.name ?? i}' has ${fmtShape(p.shape)}`);
    }
    const given = w.values();
    // the values as the parameter will hold them: a finite float64 may still overflow float32
    const stored = p.value.dtype === 'float32' && !(given instanceof Float32Array) ? Float32Array.from(given) : given;
    const bad = firstNonFinite(stored);
    if (bad >= 0) {
      const beyond = Number.isFinite(given[bad]!) ? ', beyond the float32 range' : '';
      throw new ValueError(
        `setWeights: weight '${p.name ?? i}' (tensor ${i}, shape ${fmtShape(p.shape)}) has ${given[bad]} at flat index ${bad}${beyond}; ` +
          `weights must be finite`,
      );
    }
    return stored;
  });
  params.forEach((p, i) => p.value.data.set(values[i]!, p.value.offset));
}
