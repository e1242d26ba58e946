import { type Variable, noGrad, variable } from '@tapegrad/autograd';
import { DTypeError, Tensor, sizeOf } from '@tapegrad/tensor';
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

/** The dtype of every parameter of the layers (float32 when there are none), or `mixed`. */
export function parameterDType(layers: readonly Layer[]): 'float32' | 'float64' | 'mixed' {
  const dtypes = new Set(layers.flatMap((l) => l.parameters().map((p) => p.value.dtype)));
  if (dtypes.size === 0) return 'float32';
  return dtypes.size === 1 && (dtypes.has('float32') || dtypes.has('float64')) ? ([...dtypes][0] as 'float32' | 'float64') : 'mixed';
}

/** Refuses training a model that mixes float32 and float64 parameters (its products would mix dtypes). */
export function checkOneDType(fn: string, layers: readonly Layer[]): void {
  if (parameterDType(layers) !== 'mixed') return;
  const kinds = layers.filter((l) => l.parameters().length > 0).map((l) => `${l.name} ${l.parameters()[0]!.value.dtype}`);
  throw new DTypeError(
    `${fn}: the model mixes float32 and float64 parameters (${kinds.slice(0, 4).join(', ')}); give every layer one dtype`,
  );
}

/** The float dtype data is cast to for these layers: float64 when every parameter is float64, float32 otherwise. */
export function dataDType(layers: readonly Layer[]): 'float32' | 'float64' {
  return parameterDType(layers) === 'float64' ? 'float64' : 'float32';
}

/** The samples of `t` as a contiguous array of `dtype` (a copy only when needed): what every batch is cut from. */
export function toFloatArray(t: Tensor, dtype: 'float32' | 'float64'): Float32Array | Float64Array {
  const c = t.dtype === dtype ? t.contiguous() : t.astype(dtype);
  return c.values() as Float32Array | Float64Array;
}

/**
 * The outputs `[samples, outputs]` of `x` in inference mode, `batchSize` samples at a time under noGrad;
 * the layers' modes are restored afterwards.
 */
export function predictBatches(layers: readonly Layer[], x: Tensor, batchSize: number, outputs: number): Tensor {
  const n = x.shape[0]!;
  const featShape = x.shape.slice(1);
  const f = sizeOf(featShape);
  const xd = toFloatArray(x, dataDType(layers));
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
