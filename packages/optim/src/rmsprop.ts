import { checkBoolean, checkOptionsObject } from './checks.js';
import { checkRange, Optimizer, type FloatArray, type OptimizerOptions, type ParamSlot, type Parameter } from './optimizer.js';

/** Options of {@link RMSprop}. */
export interface RMSpropOptions extends OptimizerOptions {
  /** Smoothing constant α of the squared-gradient average (Keras calls it `rho`). */
  alpha?: number;
  /** Alias of `alpha` (the Keras name). */
  rho?: number;
  /** Term added to the denominator. */
  eps?: number;
  /** Momentum factor μ. */
  momentum?: number;
  /** Normalise by the variance estimate instead of the raw second moment. */
  centered?: boolean;
}

/**
 * RMSprop. PyTorch rule (default; lr 1e-2, α 0.99, ε 1e-8), g with maximize and L2 decay applied:
 * ```
 * v ← α·v + (1 − α)·g²
 * centered: ḡ ← α·ḡ + (1 − α)·g;  ṽ = v − ḡ²      else ṽ = v
 * μ > 0:  b ← μ·b + g / (√ṽ + ε);  θ ← θ − lr·b
 * else:   θ ← θ − lr·g / (√ṽ + ε)
 * ```
 * Keras flavour (lr 1e-3, ρ 0.9, ε 1e-7): ε **inside** the square root and the learning rate inside the
 * momentum buffer; weight decay decoupled:
 * ```
 * Δ = lr·g / √(ṽ + ε);   μ > 0: b ← μ·b + Δ;  θ ← θ − b      else θ ← θ − Δ
 * ```
 */
export class RMSprop extends Optimizer {
  readonly name: string = 'rmsprop';
  readonly alpha: number;
  readonly eps: number;
  readonly momentum: number;
  readonly centered: boolean;

  constructor(params?: Iterable<Parameter>, options: RMSpropOptions = {}) {
    options = checkOptionsObject(new.target.name, options);
    const keras = options.flavor === 'keras';
    super(params, options, keras ? 1e-3 : 1e-2);
    this.alpha = checkRange('RMSprop', 'alpha', options.alpha ?? options.rho ?? (keras ? 0.9 : 0.99), 0, 1, true);
    this.eps = checkRange('RMSprop', 'eps', options.eps ?? (keras ? 1e-7 : 1e-8), 0);
    this.momentum = checkRange('RMSprop', 'momentum', options.momentum ?? 0, 0);
    this.centered = checkBoolean('RMSprop', 'centered', options.centered, false);
    this.checkOptions(new.target.name, options);
  }

  /** Keras's name for alpha. */
  protected override optionAliases(): string[] {
    return ['rho'];
  }

  protected hyper(): Record<string, unknown> {
    return { alpha: this.alpha, eps: this.eps, momentum: this.momentum, centered: this.centered };
  }

  protected initSlot(slot: ParamSlot, _size: number, make: () => FloatArray): void {
    slot.buffers['squareAvg'] = make();
    if (this.momentum > 0) slot.buffers['momentum'] = make();
    if (this.centered) slot.buffers['gradAvg'] = make();
  }

  protected apply(x: FloatArray, xo: number, g: Float64Array, n: number, slot: ParamSlot): void {
    const { alpha, eps, momentum: mu, lr } = this;
    const keras = this.flavor === 'keras';
    const v = slot.buffers['squareAvg']!;
    const b = slot.buffers['momentum'];
    const a = slot.buffers['gradAvg'];
    for (let j = 0; j < n; j++) {
      const gj = g[j]!;
      v[j] = keras ? alpha * v[j]! + (1 - alpha) * gj * gj : v[j]! * alpha + gj * gj * (1 - alpha);
      let vt = v[j]!;
      if (a) {
        a[j] = keras ? alpha * a[j]! + (1 - alpha) * gj : a[j]! * alpha + gj * (1 - alpha);
        vt = vt - a[j]! * a[j]!;
      }
      if (keras) {
        const inc = (lr * gj) / Math.sqrt(vt + eps);
        if (b) {
          b[j] = mu * b[j]! + inc;
          x[xo + j] = x[xo + j]! - b[j]!;
        } else x[xo + j] = x[xo + j]! - inc;
      } else {
        const avg = Math.sqrt(vt) + eps;
        if (b) {
          b[j] = b[j]! * mu + gj / avg;
          x[xo + j] = x[xo + j]! - lr * b[j]!;
        } else x[xo + j] = x[xo + j]! - lr * (gj / avg);
      }
    }
  }
}
