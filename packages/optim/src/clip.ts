import { Tensor, ValueError, fmtValue } from '@tapegrad/tensor';
import { checkParams } from './checks.js';
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
 * The parameters of `fn` that have a gradient, checked before any is changed: `params` an array (or iterable) of
 * parameters (`{ value: Tensor, grad: Tensor | null }`, each at most once, as optimizers take them), each `grad` null,
 * undefined or a float32/float64 Tensor.
 */
function withGrads(fn: string, params: unknown): Parameter[] {
  const list = checkParams(fn, params);
  list.forEach((p, i) => {
    const g: unknown = p.grad;
    if (g === null || g === undefined) return;
    if (!(g instanceof Tensor)) throw new ValueError(`${fn}: params[${i}].grad is ${fmtValue(g)}; expected null or a Tensor`);
    if (g.dtype !== 'float32' && g.dtype !== 'float64') {
      throw new ValueError(`${fn}: params[${i}].grad has dtype ${g.dtype}; expected a float32 or float64 gradient`);
    }
  });
  return list.filter((p) => p.grad !== null && p.grad !== undefined);
}

/**
 * Rescales all gradients together so their global `normType`-norm is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`: g ← g·min(1, maxNorm/(‖g‖ + 1e-6))), in place; returns the total norm before clipping.
 * `params` as optimizers take them (parameters without a gradient are skipped); `maxNorm` a number >= 0 (Infinity:
 * no clipping); `normType` a number > 0 or Infinity (the max-norm). Strings such as `'1'` or `'inf'` are refused.
 */
export function clipGradNorm(params: Iterable<Parameter>, maxNorm: number, normType = 2): number {
  const list = withGrads('clipGradNorm', params);
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new ValueError(`clipGradNorm: invalid maxNorm ${fmtValue(maxNorm)}; expected a number >= 0`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ValueError(`clipGradNorm: invalid normType ${fmtValue(normType)}; expected a number > 0 or Infinity`);
  }
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

/**
 * Clamps every gradient element to [−clipValue, clipValue] in place (PyTorch's `clip_grad_value_`). `params` as
 * optimizers take them (parameters without a gradient are skipped); `clipValue` a number >= 0 (Infinity: no clamping).
 */
export function clipGradValue(params: Iterable<Parameter>, clipValue: number): void {
  const list = withGrads('clipGradValue', params);
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new ValueError(`clipGradValue: invalid clipValue ${fmtValue(clipValue)}; expected a number >= 0`);
  }
  for (const p of list) {
    const { d, at, n } = writableGrad(p);
    for (let j = at; j < at + n; j++) {
      const v = d[j]!;
      d[j] = v > clipValue ? clipValue : v < -clipValue ? -clipValue : v;
    }
  }
}
