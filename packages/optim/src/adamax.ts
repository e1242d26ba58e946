import { checkBetas, type AdamOptions } from './adam.js';
import { checkOptionsObject } from './checks.js';
import { checkRange, Optimizer, type FloatArray, type ParamSlot, type Parameter } from './optimizer.js';

/** Options of {@link Adamax}. */
export type AdamaxOptions = Omit<AdamOptions, 'amsgrad'>;

/**
 * Adamax (Adam with the infinity norm). PyTorch rule (default; lr 2e-3, β (0.9, 0.999), ε 1e-8):
 * ```
 * m ← β₁·m + (1 − β₁)·g;   u ← max(β₂·u, |g| + ε);   θ ← θ − lr/(1 − β₁ᵗ) · m / u
 * ```
 * Keras flavour (lr 1e-3, ε 1e-7): ε is added to u, not inside the max:
 * u ← max(β₂·u, |g|);  θ ← θ − lr·m / ((1 − β₁ᵗ)·(u + ε)); weight decay decoupled.
 */
export class Adamax extends Optimizer {
  readonly name: string = 'adamax';
  readonly betas: [number, number];
  readonly eps: number;

  constructor(params?: Iterable<Parameter>, options: AdamaxOptions = {}) {
    options = checkOptionsObject(new.target.name, options);
    const keras = options.flavor === 'keras';
    super(params, options, keras ? 1e-3 : 2e-3);
    this.betas = checkBetas('Adamax', options.betas ?? [0.9, 0.999]);
    this.eps = checkRange('Adamax', 'eps', options.eps ?? (keras ? 1e-7 : 1e-8), 0);
    this.checkOptions(new.target.name, options);
  }

  protected hyper(): Record<string, unknown> {
    return { betas: [...this.betas], eps: this.eps };
  }

  protected initSlot(slot: ParamSlot, _size: number, make: () => FloatArray): void {
    slot.buffers['expAvg'] = make();
    slot.buffers['expInf'] = make();
  }

  protected apply(x: FloatArray, xo: number, g: Float64Array, n: number, slot: ParamSlot): void {
    const [b1, b2] = this.betas;
    const m = slot.buffers['expAvg']!;
    const u = slot.buffers['expInf']!;
    const eps = this.eps;
    const bc = 1 - b1 ** slot.step;
    if (this.flavor === 'keras') {
      for (let j = 0; j < n; j++) {
        const gj = g[j]!;
        m[j] = m[j]! + (gj - m[j]!) * (1 - b1);
        u[j] = Math.max(b2 * u[j]!, Math.abs(gj));
        x[xo + j] = x[xo + j]! - (this.lr * m[j]!) / (bc * (u[j]! + eps));
      }
      return;
    }
    const clr = this.lr / bc;
    for (let j = 0; j < n; j++) {
      const gj = g[j]!;
      m[j] = m[j]! * b1 + gj * (1 - b1);
      u[j] = Math.max(u[j]! * b2, Math.abs(gj) + eps);
      x[xo + j] = x[xo + j]! - clr * (m[j]! / u[j]!);
    }
  }
}
