import { ShapeError, type Tensor, ValueError, fmtShape, sizeOf } from '@tapegrad/tensor';
import { Dense, type Layer, type LayerConfig } from '../model/layers.js';
import { Sequential } from '../model/sequential.js';
import { checkInputShape, checkName } from './limits.js';
import { readLayers } from './model-json.js';
import { checkExactKeys, describe } from './safe-json.js';

// The one way a model read from another format (TF.js layers, ONNX) becomes a Sequential: the importer translates
// the foreign description into tapegrad layer configs and named weights, and this module checks them with the
// model file's own rules (layer configs, sizes counted before anything is allocated) and fills the weights. It
// throws before returning, so a caller never holds a half-built model.

/**
 * Largest weight magnitude imported. The foreign formats carry no checksum, so a flipped exponent bit gives a finite
 * but absurd weight (≈1e38) that would turn every prediction into Inf or NaN; real networks' weights are many orders
 * of magnitude smaller.
 */
export const MAX_IMPORTED_WEIGHT = 1e10;

/** A model read from another format: tapegrad layer configs and the weights by parameter name. */
export interface ImportedModel {
  name: string;
  /** Per-sample input shape. */
  inputShape: readonly number[];
  layers: { type: 'Dense' | 'Dropout' | 'Flatten'; config: LayerConfig }[];
  /** `layer/kernel` (`[in, units]`) and `layer/bias` (`[units]`) of every Dense, exactly. */
  weights: Record<string, Tensor>;
}

/**
 * Builds the Sequential an importer describes: layer names unique, every layer config and size checked as `load`
 * checks a model file (the parameter count before any allocation), the weights — exactly the model's parameter
 * names, with its shapes, finite and within ±{@link MAX_IMPORTED_WEIGHT} — checked before the layers allocate, then
 * copied in. `fn` names the importer in every message.
 */
export function buildImportedModel(fn: string, imported: ImportedModel): Sequential {
  const name = checkName(`${fn}: model name`, imported.name);
  const inputShape = checkInputShape(`${fn}: input shape`, imported.inputShape);
  const seen = new Set<string>();
  for (const l of imported.layers) {
    if (seen.has(l.config.name)) throw new ValueError(`${fn}: two layers are named ${describe(l.config.name)}; names must be unique`);
    seen.add(l.config.name);
  }
  const layers = readLayers(imported.layers, inputShape, fn);
  // the weights are checked against the shapes the layers will have before any layer allocates its parameters
  const shapes = parameterShapes(layers, sizeOf(inputShape));
  checkExactKeys(`${fn}: the weights do not match the layers`, Object.keys(imported.weights), [...shapes.keys()]);
  for (const [pname, shape] of shapes) {
    const w = imported.weights[pname]!;
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`${fn}: weight '${pname}' has shape ${fmtShape(w.shape)}; the layers need ${fmtShape(shape)}`);
    }
    const values = w.values();
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(Math.abs(v) <= MAX_IMPORTED_WEIGHT)) {
        throw new ValueError(
          `${fn}: weight '${pname}' element ${i} is ${v}; expected a finite value within ±${MAX_IMPORTED_WEIGHT} ` +
            `(larger ones are taken for corruption: the format has no checksum)`,
        );
      }
    }
  }
  const model = new Sequential({ name, seed: 0 });
  model.inputShape = [...inputShape];
  for (const layer of layers) model.add(layer);
  if (!model.built) model.build(inputShape);
  for (const [pname, p] of model.namedParameters()) p.value.data.set(imported.weights[pname]!.values(), p.value.offset);
  return model;
}

/** The parameter shapes the (unbuilt) layers will have for `inputSize` features, by parameter name, in order. */
function parameterShapes(layers: readonly Layer[], inputSize: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  let size = inputSize;
  for (const l of layers) {
    if (!(l instanceof Dense)) continue;
    shapes.set(`${l.name}/kernel`, [size, l.units]);
    if (l.useBias) shapes.set(`${l.name}/bias`, [l.units]);
    size = l.units;
  }
  return shapes;
}
