import { type Variable, noGrad, variable } from '@tapegrad/autograd';
import { Tensor, sizeOf } from '@tapegrad/tensor';
import type { Layer } from './layers.js';

// The forward pass over a stack of layers, their train/eval mode, and batched inference: what `predict`
// runs and what the training loop builds on.

/** The forward pass of a batch Variable through every layer in order. */
export function forward(layers: readonly Layer[], x: Variable): Variable {
  let h = x;
  for (const l of layers) h = l.call(h);
  return h;
}

/** Sets training mode (dropout active) or inference mode on every layer. */
export function setTraining(layers: readonly Layer[], mode: boolean): void {
  for (const l of layers) l.train(mode);
}

/** True when any layer is in training mode. */
export function isTraining(layers: readonly Layer[]): boolean {
  return layers.some((l) => l.training);
}

/** The samples of `t` as a contiguous Float32Array (a copy only when needed): what every batch is cut from. */
export function toFloat32(t: Tensor): Float32Array {
  const c = t.dtype === 'float32' ? t.contiguous() : t.astype('float32');
  return c.values() as Float32Array;
}

/**
 * The outputs `[samples, outputs]` of `x` in inference mode, `batchSize` samples at a time under noGrad;
 * the layers' modes are restored afterwards.
 */
export function predictBatches(layers: readonly Layer[], x: Tensor, batchSize: number, outputs: number): Tensor {
  const n = x.shape[0]!;
  const featShape = x.shape.slice(1);
  const f = sizeOf(featShape);
  const xd = toFloat32(x);
  let out: Float32Array | Float64Array = new Float32Array(0);
  const wasTraining = isTraining(layers);
  setTraining(layers, false);
  try {
    noGrad(() => {
      for (let start = 0; start < n; start += batchSize) {
        const m = Math.min(batchSize, n - start);
        const xb = new Tensor(xd.subarray(start * f, (start + m) * f), [m, ...featShape]);
        const o = forward(layers, variable(xb)).value;
        if (start === 0) out = o.dtype === 'float64' ? new Float64Array(n * outputs) : new Float32Array(n * outputs);
        out.set(o.values(), start * outputs);
      }
    });
  } finally {
    setTraining(layers, wasTraining);
  }
  return new Tensor(out, [n, outputs]);
}
