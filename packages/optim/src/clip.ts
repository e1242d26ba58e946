import { ValueError, type Tensor } from '@tapegrad/tensor';
import type { Parameter } from './optimizer.js';

/** The gradient's storage to write into: itself when contiguous, else a fresh contiguous copy set as `p.grad`. */
function writableGrad(p: Parameter): { d: Tensor['data']; at: number; n: number } {
  const g = p.grad!;
  if (g.isContiguous) return { d: g.data, at: g.offset, n: g.size };
  // A strided or broadcast gradient may share storage with other tensors: replace it instead.
  const c = g.clone();
  p.grad = c;
  return { d: c.data, at: 0, n: c.size };
}

/**
 * Rescales all gradients together so their global `normType`-norm is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`: g ← g·min(1, maxNorm/(‖g‖ + 1e-6))), in place; returns the total norm before clipping.
 */
export function clipGradNorm(params: Iterable<Parameter>, maxNorm: number, normType = 2): number {
  if (!(maxNorm >= 0)) throw new ValueError(`clipGradNorm: invalid maxNorm ${maxNorm}; expected a number >= 0`);
  if (!(normType > 0)) throw new ValueError(`clipGradNorm: invalid normType ${normType}; expected > 0 or Infinity`);
  const list = [...params].filter((p) => p.grad !== null && p.grad !== undefined);
  if (list.length === 0) return 0;
  let total = 0;
  for (const p of list) {
    const v = p.grad!.values();
    if (normType === Infinity) for (let j = 0; j < v.length; j++) total = Math.max(total, Math.abs(v[j]!));
    else for (let j = 0; j < v.length; j++) total += Math.abs(v[j]!) ** normType;
  }
  if (normType !== Infinity) total = total ** (1 / normType);
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  for (const p of list) {
    const { d, at, n } = writableGrad(p);
    for (let j = at; j < at + n; j++) d[j] = d[j]! * coef;
  }
  return total;
}

/** Clamps every gradient element to [−clipValue, clipValue] in place (PyTorch's `clip_grad_value_`). */
export function clipGradValue(params: Iterable<Parameter>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new ValueError(`clipGradValue: invalid clipValue ${clipValue}; expected a number >= 0`);
  for (const p of params) {
    if (p.grad === null || p.grad === undefined) continue;
    const { d, at, n } = writableGrad(p);
    for (let j = at; j < at + n; j++) {
      const v = d[j]!;
      d[j] = v > clipValue ? clipValue : v < -clipValue ? -clipValue : v;
    }
  }
}
