import { ValueError } from '@tapegrad/tensor';
import { adamUpdate, kernelStateArrays } from '@tapegrad/tensor/backend';
import { checkBoolean, checkOptionsObject } from './checks.js';
import { checkRange, Optimizer, type FloatArray, type OptimizerOptions, type ParamSlot, type Parameter } from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions extends OptimizerOptions {
  /** Decay rates (β₁, β₂) of the first and second moment, each in [0, 1). */
  betas?: [number, number];
  /** Term added to the denominator. */
  eps?: number;
  /** Use the running maximum of the second moment (AMSGrad). */
  amsgrad?: boolean;
}

/** Validates Adam-family betas. */
export function checkBetas(fn: string, betas: readonly number[]): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new ValueError(`${fn}: got betas ${JSON.stringify(betas)}; expected a pair [beta1, beta2]`);
  }
  return [checkRange(fn, 'beta1 (betas[0])', betas[0]!, 0, 1), checkRange(fn, 'beta2 (betas[1])', betas[1]!, 0, 1)];
}

/**
 * Adam. PyTorch rule (default; lr 1e-3, β (0.9, 0.999), ε 1e-8), g with maximize and L2 decay applied:
 * ```
 * m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   amsgrad: v̂ ← max(v̂, v) (used instead of v)
 * θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 * ```
 * Keras flavour (ε 1e-7): "epsilon hat" — ε is added to the *uncorrected* √v, i.e.
 * θ ← θ − lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε), which is PyTorch's rule with ε/√(1 − β₂ᵗ) in place of ε
 * (Keras writes the moments as m ← m + (g − m)·(1 − β₁), equal up to rounding); weight decay decoupled.
 * Every step runs the backend's `adamUpdate` kernel (`@tapegrad/tensor/backend`), on any backend; float32 moments
 * that decay into the subnormals (below 2⁻¹²⁶, from gradients that stay 0) are stored as 0 when ε > 0.
 */
export class Adam extends Optimizer {
  readonly name: string = 'adam';
  readonly betas: [number, number];
  readonly eps: number;
  readonly amsgrad: boolean;

  constructor(params?: Iterable<Parameter>, options: AdamOptions = {}, defaultWeightDecay = 0) {
    options = checkOptionsObject(new.target.name, options);
    const keras = options.flavor === 'keras';
    super(params, { ...options, weightDecay: options.weightDecay ?? defaultWeightDecay }, 1e-3);
    this.betas = checkBetas(new.target.name, options.betas ?? [0.9, 0.999]);
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? (keras ? 1e-7 : 1e-8), 0);
    this.amsgrad = checkBoolean(new.target.name, 'amsgrad', options.amsgrad, false);
    this.checkOptions(new.target.name, options);
  }

  protected hyper(): Record<string, unknown> {
    return { betas: [...this.betas], eps: this.eps, amsgrad: this.amsgrad };
  }

  /** The moments come from the backend's `kernelStateArrays`: on wasm, memory its Adam kernel updates in place. */
  protected initSlot(slot: ParamSlot, size: number, _make: () => FloatArray, dtype: 'float32' | 'float64'): void {
    const [expAvg, expAvgSq, maxExpAvgSq] = kernelStateArrays(dtype, size, this.amsgrad ? 3 : 2);
    slot.buffers['expAvg'] = expAvg!;
    slot.buffers['expAvgSq'] = expAvgSq!;
    if (maxExpAvgSq) slot.buffers['maxExpAvgSq'] = maxExpAvgSq;
  }

  /** The kernel reads a plain gradient of either dtype as it is: no scratch copy. */
  protected override applyDirect(x: FloatArray, xo: number, g: FloatArray, n: number, slot: ParamSlot): boolean {
    this.apply(x, xo, g, n, slot);
    return true;
  }

  protected apply(x: FloatArray, xo: number, g: FloatArray, n: number, slot: ParamSlot): void {
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** slot.step;
    const bc2 = 1 - b2 ** slot.step;
    const eps = this.flavor === 'keras' ? this.eps / Math.sqrt(bc2) : this.eps;
    const { expAvg, expAvgSq, maxExpAvgSq } = slot.buffers;
    adamUpdate(x, xo, g, 0, expAvg!, expAvgSq!, n, this.lr, b1, b2, eps, bc1, bc2, maxExpAvgSq ?? null);
  }
}

/**
 * AdamW: Adam with decoupled weight decay (default λ 1e-2; Keras flavour 4e-3). PyTorch applies
 * θ ← θ·(1 − lr·λ) before the Adam step; Keras θ ← θ − θ·λ·lr, then its ε̂ Adam step.
 */
export class AdamW extends Adam {
  override readonly name: string = 'adamw';

  constructor(params?: Iterable<Parameter>, options: AdamOptions = {}) {
    options = checkOptionsObject(new.target.name, options);
    super(params, options, options.flavor === 'keras' ? 4e-3 : 1e-2);
  }

  protected override get decoupledDecay(): boolean {
    return true;
  }
}
