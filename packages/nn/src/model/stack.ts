import type { Variable } from '@tapegrad/autograd';
import { type Generator, ShapeError, type Tensor, ValueError, fmtShape, shapesEqual, sizeOf } from '@tapegrad/tensor';
import { Layer } from './layers.js';

// A stack of layers: each new layer gets a unique name and is built for the size the layer before it outputs;
// weights are written into its parameters in order.

/** Checks that `layer` can join `layers` (a Layer, not already there, a unique name) and names it if unnamed (`dense`, `dense_1`, …). */
export function admitLayer(layer: Layer, layers: readonly Layer[]): void {
  if (!(layer instanceof Layer)) {
    throw new ValueError(`Sequential.add: expected a Layer (Dense, Dropout, Flatten, …), got ${String(layer)}`);
  }
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

/** Builds `layer` for the `inputSize` features `prev` outputs, refusing an explicit inputShape that disagrees. */
export function buildAfter(layer: Layer, prev: Layer | null, inputSize: number, generator: Generator): void {
  if (prev && layer.inputShape && sizeOf(layer.inputShape) !== inputSize) {
    throw new ShapeError(
      `Sequential.add: layer '${layer.name}' (${layer.type}) declares inputShape ${fmtShape(layer.inputShape)} ` +
        `(${sizeOf(layer.inputShape)} features) but the previous layer '${prev.name}' (${prev.type}) ` +
        `outputs ${inputSize} features`,
    );
  }
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
    if (!layer.built) layer.build(size, generator);
    size = layer.outputSize!;
    prev = layer;
  }
}

/** Writes `weights` (one tensor per parameter, same order and shapes) into the parameters' values in place. */
export function assignWeights(params: readonly Variable[], weights: readonly Tensor[]): void {
  if (weights.length !== params.length) {
    throw new ValueError(`setWeights: got ${weights.length} tensors; the model has ${params.length} parameters`);
  }
  params.forEach((p, i) => {
    const w = weights[i]!;
    if (!shapesEqual(w.shape, p.shape)) {
      throw new ShapeError(`setWeights: tensor ${i} has shape ${fmtShape(w.shape)}; parameter '${p.name ?? i}' has ${fmtShape(p.shape)}`);
    }
    p.value.data.set(w.values(), p.value.offset);
  });
}
