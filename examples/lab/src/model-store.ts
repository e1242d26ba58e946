// The page's copy of the current model (trained in the worker, or loaded from a file) and the sample test
// digits, shared by the drawing and backprop sections. The worker sends tapegrad's JSON after every epoch;
// the page rebuilds a Sequential from it only when a section needs one, so training stays off this thread.
import { Sequential } from '@tapegrad/nn';
import { ValueError } from '@tapegrad/tensor';

/** The current model's JSON document and where it came from; `model` is built on first use. */
export interface CurrentModel {
  readonly json: string;
  readonly source: string;
  readonly model: Sequential;
}

/** A few test digits: x [n·784] and their labels. */
export interface Samples {
  x: Float32Array;
  y: Int32Array;
}

let current: CurrentModel | null = null;
let samples: Samples | null = null;
const listeners: ((m: CurrentModel) => void)[] = [];

/** Checks that `model` maps 784 pixels to 10 classes, the only models the lab's sections can use. */
export function checkDigitModel(fn: string, model: Sequential): Sequential {
  const inputs = model.inputShape?.reduce((a, b) => a * b, 1);
  if (inputs !== 784 || model.outputSize !== 10) {
    throw new ValueError(
      `${fn}: the lab needs a model with 784 inputs and 10 outputs, ` +
        `this one has ${inputs ?? 'unknown'} inputs and ${model.outputSize} outputs`,
    );
  }
  return model;
}

/** Rebuilds a model from `json` (validated by Sequential.fromJSON) and checks it maps 784 pixels to 10 classes. */
const build = (json: string): Sequential => checkDigitModel('setModel', Sequential.fromJSON(json));

/**
 * Makes `json` the current model and tells every listener; `model`, when the caller already built and checked it
 * (a loaded file), is used as is instead of being rebuilt from `json` on first use.
 */
export function setModel(json: string, source: string, options: { model?: Sequential } = {}): CurrentModel {
  let built: Sequential | null = options.model ?? null;
  current = {
    json,
    source,
    get model() {
      return (built ??= build(json));
    },
  };
  for (const listener of listeners) listener(current);
  return current;
}

/** The current model, or null before any training or loading. */
export const currentModel = (): CurrentModel | null => current;

/** Calls `listener` on every new model. */
export function onModel(listener: (m: CurrentModel) => void): void {
  listeners.push(listener);
}

/** Stores the sample test digits the worker sent. */
export function setSamples(s: Samples): void {
  samples = s;
}

/** The sample test digits, or null before the worker is ready. */
export const currentSamples = (): Samples | null => samples;
