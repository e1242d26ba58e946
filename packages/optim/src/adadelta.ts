import { checkOptionsObject } from './checks.js';
import { checkRange, Optimizer, type FloatArray, type OptimizerOptions, type ParamSlot, type Parameter } from './optimizer.js';

/** Options of {@link Adadelta}. */
export interface AdadeltaOptions extends OptimizerOptions {
  /** Decay ρ of both running averages. */
  rho?: number;
  /** Term added inside both square roots. */
  eps?: number;
}

/**
 * Adadelta. PyTorch rule (default; lr 1.0 — a multiplier on the step, ρ 0.9, ε 1e-6):
 * ```
 * v ← ρ·v + (1 − ρ)·g²;   Δ = √(u + ε) / √(v + ε) · g;   u ← ρ·u + (1 − ρ)·Δ²;   θ ← θ − lr·Δ
 * ```
 * Keras flavour: the same rule with Keras 3's defaults lr 1e-3, ρ 0.95, ε 1e-7 (so the step is 1000×
 * smaller than PyTorch's by default), weight decay decoupled.
 */
export class Adadelta extends Optimizer {
  readonly name: string = 'adadelta';
  readonly rho: number;
  readonly eps: number;

  constructor(params?: Iterable<Parameter>, options: AdadeltaOptions = {}) {
    options = checkOptionsObject(new.target.name, options);
    const keras = options.flavor === 'keras';
    super(params, options, keras ? 1e-3 : 1.0);
    this.rho = checkRange('Adadelta', 'rho', options.rho ?? (keras ? 0.95 : 0.9), 0, 1, true);
    this.eps = checkRange('Adadelta', 'eps', options.eps ?? (keras ? 1e-7 : 1e-6), 0);
    this.checkOptions(new.target.name, options);
  }

  protected hyper(): Record<string, unknown> {
    return { rho: this.rho, eps: this.eps };
  }

  protected initSlot(slot: ParamSlot, _size: number, make: () => FloatArray): void {
    slot.buffers['squareAvg'] = make();
    slot.buffers['accDelta'] = make();
  }

  protected apply(x: FloatArray, xo: number, g: Float64Array, n: number, slot: ParamSlot): void {
    const { rho, eps, lr } = this;
    const v = slot.buffers['squareAvg']!;
    const u = slot.buffers['accDelta']!;
    for (let j = 0; j < n; j++) {
      const gj = g[j]!;
      v[j] = v[j]! * rho + gj * gj * (1 - rho);
      const d = (Math.sqrt(u[j]! + eps) / Math.sqrt(v[j]! + eps)) * gj;
      u[j] = u[j]! * rho + d * d * (1 - rho);
      x[xo + j] = x[xo + j]! - lr * d;
    }
  }
}
