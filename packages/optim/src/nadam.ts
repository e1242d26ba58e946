import { checkBetas, type AdamOptions } from './adam.js';
import { checkBoolean, checkOptionsObject } from './checks.js';
import { checkRange, Optimizer, type FloatArray, type ParamSlot, type Parameter } from './optimizer.js';

/** Options of {@link Nadam}. */
export interface NadamOptions extends Omit<AdamOptions, 'amsgrad'> {
  /** Momentum decay ψ of the μ schedule (PyTorch 4e-3; the Keras rule is ψ = 1). */
  momentumDecay?: number;
  /**
   * Reproduce PyTorch 1.13's rule, whose μ-product for the look-ahead term is Π_{i≤t}μᵢ·μ_t·μ_{t+1}
   * (μ_t counted twice); fixed in PyTorch 2.0. Default false (current rule).
   */
  torch113?: boolean;
}

/**
 * Nadam (Adam with Nesterov momentum, Dozat 2016). PyTorch rule (default; lr 2e-3, β (0.9, 0.999),
 * ε 1e-8, ψ 4e-3), g with L2 decay applied:
 * ```
 * μ_t = β₁·(1 − ½·0.96^{tψ});   μ_{t+1} = β₁·(1 − ½·0.96^{(t+1)ψ});   P_t = Π_{i≤t} μᵢ
 * m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   d = √(v / (1 − β₂ᵗ)) + ε
 * θ ← θ − lr·(1 − μ_t)/(1 − P_t) · g/d − lr·μ_{t+1}/(1 − P_t·μ_{t+1}) · m/d
 * ```
 * PyTorch 1.13 (`torch113: true`) used P_t·μ_t·μ_{t+1} in the last denominator; PyTorch ≥ 2.0 and this
 * default use P_t·μ_{t+1}. Keras flavour (lr 1e-3, ε 1e-7): the same formula with ψ = 1 (μ_t uses 0.96ᵗ)
 * as one combined step, weight decay decoupled.
 */
export class Nadam extends Optimizer {
  readonly name: string = 'nadam';
  readonly betas: [number, number];
  readonly eps: number;
  readonly momentumDecay: number;
  readonly torch113: boolean;

  constructor(params?: Iterable<Parameter>, options: NadamOptions = {}) {
    options = checkOptionsObject(new.target.name, options);
    const keras = options.flavor === 'keras';
    super(params, options, keras ? 1e-3 : 2e-3);
    this.betas = checkBetas('Nadam', options.betas ?? [0.9, 0.999]);
    this.eps = checkRange('Nadam', 'eps', options.eps ?? (keras ? 1e-7 : 1e-8), 0);
    this.momentumDecay = checkRange('Nadam', 'momentumDecay', options.momentumDecay ?? (keras ? 1 : 4e-3), 0);
    this.torch113 = checkBoolean('Nadam', 'torch113', options.torch113, false);
    this.checkOptions(new.target.name, options);
  }

  protected hyper(): Record<string, unknown> {
    return { betas: [...this.betas], eps: this.eps, momentumDecay: this.momentumDecay, torch113: this.torch113 };
  }

  protected initSlot(slot: ParamSlot, _size: number, make: () => FloatArray): void {
    slot.buffers['expAvg'] = make();
    slot.buffers['expAvgSq'] = make();
    slot.scalars['muProduct'] = 1;
  }

  protected apply(x: FloatArray, xo: number, g: Float64Array, n: number, slot: ParamSlot): void {
    const [b1, b2] = this.betas;
    const t = slot.step;
    const psi = this.momentumDecay;
    const m = slot.buffers['expAvg']!;
    const v = slot.buffers['expAvgSq']!;
    const eps = this.eps;
    const lr = this.lr;
    const bc2 = 1 - b2 ** t;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    const prod = slot.scalars['muProduct']! * mu;
    slot.scalars['muProduct'] = prod;
    const prodNext = this.torch113 ? prod * mu * muNext : prod * muNext;
    if (this.flavor === 'keras') {
      for (let j = 0; j < n; j++) {
        const gj = g[j]!;
        m[j] = m[j]! + (gj - m[j]!) * (1 - b1);
        v[j] = v[j]! + (gj * gj - v[j]!) * (1 - b2);
        const mHat = (muNext * m[j]!) / (1 - prodNext) + ((1 - mu) * gj) / (1 - prod);
        x[xo + j] = x[xo + j]! - (mHat * lr) / (Math.sqrt(v[j]! / bc2) + eps);
      }
      return;
    }
    const c1 = (-lr * (1 - mu)) / (1 - prod);
    const c2 = (-lr * muNext) / (1 - prodNext);
    const f32 = x instanceof Float32Array; // round the intermediate θ like PyTorch's two in-place addcdivs
    for (let j = 0; j < n; j++) {
      const gj = g[j]!;
      m[j] = m[j]! * b1 + gj * (1 - b1);
      v[j] = v[j]! * b2 + gj * gj * (1 - b2);
      const d = Math.sqrt(v[j]! / bc2) + eps;
      let xj = x[xo + j]! + c1 * (gj / d);
      if (f32) xj = Math.fround(xj);
      x[xo + j] = xj + c2 * (m[j]! / d);
    }
  }
}
