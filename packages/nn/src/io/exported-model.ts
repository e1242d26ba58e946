import { ValueError, fmtValue, otherCopyHint, sizeOf } from '@tapegrad/tensor';
import { Dense, Dropout, Flatten } from '../model/layers.js';
import { Sequential } from '../model/sequential.js';

// What an exporter (TF.js layers, ONNX) reads from a model, as plain data: the input shape the other engine sees,
// and per layer its kind, settings and float32 weights. Each exporter maps this onto its format.

/** A Dense layer for export: `y = f(x·W + b)`, kernel `[inputSize, units]` row-major, float32. */
export interface ExportedDense {
  type: 'Dense';
  name: string;
  inputSize: number;
  units: number;
  /** The canonical activation name (built in or registered). */
  activation: string;
  kernel: Float32Array;
  bias: Float32Array | null;
  trainable: boolean;
  kernelInitializer: string;
  biasInitializer: string;
}

/** A layer for export. */
export type ExportedLayer =
  | ExportedDense
  | { type: 'Dropout'; name: string; rate: number; seed: number | null }
  | { type: 'Flatten'; name: string; inputShape: number[] };

/** A model for export. */
export interface ExportedModel {
  name: string;
  /**
   * The per-sample input shape the other engine sees: the model's, `[batch, …inputShape]`. tapegrad's Dense reads a
   * sample of several axes flat, where another engine's would act on the last axis only, so a model whose first Dense
   * sees such samples is described with a Flatten in front of its layers (see {@link describeForExport}).
   */
  inputShape: number[];
  /** The layers, beginning with that added Flatten when there is one. */
  layers: ExportedLayer[];
}

/** The plain-data view of a built model that the exporters translate; `fn` names the exporter in messages. */
export function describeForExport(fn: string, model: Sequential): ExportedModel {
  if (!(model instanceof Sequential)) {
    throw new ValueError(`${fn}: expected a Sequential model, got ${fmtValue(model)}${otherCopyHint(model, Sequential)}`);
  }
  if (!model.built || !model.inputShape) {
    throw new ValueError(`${fn}: the model is not built; give the first layer an inputShape or call build()/fit() first`);
  }
  const inputShape = [...model.inputShape];
  let shape = [...inputShape];
  const firstDense = model.layers.findIndex((l) => l instanceof Dense);
  const firstFlatten = model.layers.findIndex((l) => l instanceof Flatten);
  // the first Dense reads multi-axis samples flat: an explicit Flatten in front makes the other engine do the same
  const flattenFirst: ExportedLayer[] = [];
  if (shape.length > 1 && firstDense >= 0 && (firstFlatten < 0 || firstDense < firstFlatten)) {
    const names = new Set(model.layers.map((l) => l.name));
    let name = 'flatten_input';
    for (let k = 1; names.has(name); k++) name = `flatten_input_${k}`;
    flattenFirst.push({ type: 'Flatten', name, inputShape: [...shape] });
    shape = [sizeOf(shape)];
  }
  const layers = model.layers.map((l): ExportedLayer => {
    if (l instanceof Dense) {
      const config = l.getConfig();
      const layer: ExportedDense = {
        type: 'Dense',
        name: l.name,
        inputSize: l.inputSize!,
        units: l.units,
        activation: l.activation,
        kernel: float32(l.kernel.value.values()),
        bias: l.bias ? float32(l.bias.value.values()) : null,
        trainable: l.trainable,
        kernelInitializer: String(config.kernelInitializer),
        biasInitializer: String(config.biasInitializer),
      };
      shape = [l.units];
      return layer;
    }
    if (l instanceof Dropout) return { type: 'Dropout', name: l.name, rate: l.rate, seed: l.seed ?? null };
    if (l instanceof Flatten) {
      const layer: ExportedLayer = { type: 'Flatten', name: l.name, inputShape: shape };
      shape = [sizeOf(shape)];
      return layer;
    }
    throw new ValueError(`${fn}: layer '${l.name}' is a ${l.type}, which cannot be exported; expected Dense, Dropout or Flatten`);
  });
  return { name: model.name, inputShape, layers: [...flattenFirst, ...layers] };
}

function float32(values: ArrayLike<number>): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}
