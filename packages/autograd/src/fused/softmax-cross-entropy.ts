/**
 * The fused softmax cross-entropy: the forward computes the probabilities and the loss in one pass over the
 * rows and saves the probabilities; the fast backward is one loop over them, ∂z = g·(p·Σ_c t − t)/N.
 */
import { scalar, zeros, type Tensor } from '@tapegrad/tensor';
import type { OpContext } from '../core.js';
import type { FloatArray } from './ownership.js';

/** The targets of a softmax cross-entropy: one-hot (or any weight) rows, or int32 class indices. */
export interface CrossEntropyTargets {
  /** Rows of class weights [N, C] in the logits' dtype, or null when `labels` are given. */
  targets: Tensor | null;
  /** One class index per row, or null when `targets` are given. */
  labels: Int32Array | null;
}

/** −(1/N) Σₙ Σ_c t·log softmax(z) for logits z [N, C] (float), saving softmax(z) for the backward. */
export function fusedCrossEntropyForward([z]: Tensor[], { targets, labels }: CrossEntropyTargets, ctx: OpContext): Tensor {
  const [n, c] = z!.shape as [number, number];
  const zc = z!.contiguous();
  const za = zc.data as FloatArray;
  const zo = zc.offset;
  const probs = zeros(z!.shape, { dtype: z!.dtype });
  const p = probs.data as FloatArray;
  const t = targets === null ? null : (targets.values() as FloatArray);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const base = zo + r * c;
    const o = r * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (za[base + j]! > max) max = za[base + j]!;
    if (max === -Infinity || max === Infinity) max = 0; // all −∞ (or an ∞): let the arithmetic give NaN/∞ like the unfused ops
    let sum = 0;
    for (let j = 0; j < c; j++) {
      const e = Math.exp(za[base + j]! - max);
      p[o + j] = e;
      sum += e;
    }
    const lse = max + Math.log(sum);
    const inv = 1 / sum;
    for (let j = 0; j < c; j++) p[o + j] = p[o + j]! * inv;
    if (labels !== null) {
      loss += lse - za[base + labels[r]!]!;
    } else {
      for (let j = 0; j < c; j++) {
        const tj = t![o + j]!;
        if (tj !== 0) loss += tj * (lse - za[base + j]!);
      }
    }
  }
  ctx.save(probs);
  return scalar(loss / n, { dtype: z!.dtype });
}

/** ∂z = g·(p·Σ_c t − t)/N from the saved probabilities p, in one loop. */
export function fusedCrossEntropyBackward(g: Tensor, ctx: OpContext<CrossEntropyTargets>): [Tensor] {
  const { targets, labels } = ctx.params;
  const probs = ctx.saved[0] as Tensor;
  const [n, c] = probs.shape as [number, number];
  const p = probs.data as FloatArray;
  const scale = g.item() / n;
  const out = zeros(probs.shape, { dtype: probs.dtype });
  const d = out.data as FloatArray;
  if (labels !== null) {
    for (let i = 0; i < n * c; i++) d[i] = p[i]! * scale;
    for (let r = 0; r < n; r++) {
      const k = r * c + labels[r]!;
      d[k] = (p[k]! - 1) * scale;
    }
  } else {
    const t = targets!.values() as FloatArray;
    for (let r = 0; r < n; r++) {
      const o = r * c;
      let rowSum = 0;
      for (let j = 0; j < c; j++) rowSum += t[o + j]!;
      for (let j = 0; j < c; j++) d[o + j] = (p[o + j]! * rowSum - t[o + j]!) * scale;
    }
  }
  return [out];
}
