import { ValueError } from '@tapegrad/tensor';
import { checkBoolean, checkOptionsObject } from './checks.js';
import { checkRange, Optimizer, type FloatArray, type OptimizerOptions, type ParamSlot, type Parameter } from './optimizer.js';

/** Options of {@link SGD}. */
export interface SGDOptions extends OptimizerOptions {
  /** Momentum factor μ (0 = plain gradient descent). */
  momentum?: number;
  /** Dampening τ of the momentum buffer (PyTorch only). */
  dampening?: number;
  /** Nesterov momentum. */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay.
 *
 * PyTorch rule (default; lr 1e-3, as in current PyTorch), with g ← −g if maximize and g ← g + λθ:
 * ```
 * b₁ = g;  b_t = μ·b_{t−1} + (1 − τ)·g        (only when μ ≠ 0)
 * d = nesterov ? g + μ·b_t : b_t               (d = g when μ = 0)
 * θ ← θ − lr·d
 * ```
 * Keras flavour (`flavor: 'keras'`, lr 0.01): the buffer holds the velocity, no dampening (must be 0),
 * weight decay decoupled (θ ← θ − lr·λ·θ before the step):
 * ```
 * v ← μ·v − lr·g   (v₀ = 0);   θ ← θ + v,   or with nesterov θ ← θ + μ·v − lr·g
 * ```
 * For constant lr the two coincide up to rounding (v = −lr·b), but they differ once lr changes.
 */
export class SGD extends Optimizer {
  readonly name: string = 'sgd';
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params?: Iterable<Parameter>, options: SGDOptions = {}) {
    options = checkOptionsObject(new.target.name, options);
    super(params, options, options.flavor === 'keras' ? 0.01 : 1e-3);
    this.momentum = checkRange(new.target.name, 'momentum', options.momentum ?? 0, 0);
    this.dampening = checkRange(new.target.name, 'dampening', options.dampening ?? 0, 0);
    this.nesterov = checkBoolean(new.target.name, 'nesterov', options.nesterov, false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ValueError(
        `${new.target.name}: nesterov needs momentum > 0 and dampening 0; got momentum ${this.momentum}, dampening ${this.dampening}`,
      );
    }
    if (this.flavor === 'keras' && this.dampening !== 0) {
      throw new ValueError(`${new.target.name}: dampening ${this.dampening} is not part of the Keras rule; expected 0 with flavor 'keras'`);
    }
    this.checkOptions(new.target.name, options);
  }

  protected hyper(): Record<string, unknown> {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov };
  }

  protected initSlot(slot: ParamSlot, _size: number, make: () => FloatArray): void {
    if (this.momentum !== 0) slot.buffers['momentum'] = make();
  }

  protected apply(x: FloatArray, xo: number, g: Float64Array, n: number, slot: ParamSlot): void {
    const lr = this.lr;
    const mu = this.momentum;
    if (mu === 0) {
      if (this.flavor === 'keras') for (let j = 0; j < n; j++) x[xo + j] = x[xo + j]! - g[j]! * lr;
      else for (let j = 0; j < n; j++) x[xo + j] = x[xo + j]! - lr * g[j]!;
      return;
    }
    const b = slot.buffers['momentum']!;
    const nesterov = this.nesterov;
    if (this.flavor === 'keras') {
      for (let j = 0; j < n; j++) {
        b[j] = b[j]! * mu - g[j]! * lr;
        x[xo + j] = x[xo + j]! + (nesterov ? b[j]! * mu - g[j]! * lr : b[j]!);
      }
      return;
    }
    const first = slot.step === 1;
    const keep = 1 - this.dampening;
    for (let j = 0; j < n; j++) {
      const d = g[j]!;
      b[j] = first ? d : b[j]! * mu + d * keep;
      const bj = b[j]!;
      x[xo + j] = x[xo + j]! - lr * (nesterov ? d + mu * bj : bj);
    }
  }
}

/** {@link SGD} with momentum under its own name: `momentum` defaults to 0.9. Same rules and flavours as SGD. */
export class Momentum extends SGD {
  override readonly name: string = 'momentum';

  constructor(params?: Iterable<Parameter>, options: SGDOptions = {}) {
    options = checkOptionsObject(new.target.name, options);
    super(params, { ...options, momentum: options.momentum ?? 0.9 });
  }
}

/**
 * Plain gradient descent θ ← θ − lr·g applied after every single example (online learning): `perExample`
 * is true, so `Sequential.fit` steps once per example whatever the batch size. Momentum, dampening and Nesterov
 * are refused (lr defaults to 0.01).
 */
export class Iterative extends SGD {
  override readonly name: string = 'iterative';
  override readonly perExample: boolean = true;

  constructor(params?: Iterable<Parameter>, options: OptimizerOptions = {}) {
    const o = checkOptionsObject(new.target.name, options) as SGDOptions;
    checkBoolean(new.target.name, 'nesterov', o.nesterov, false);
    if ((o.momentum ?? 0) !== 0 || o.nesterov || (o.dampening ?? 0) !== 0) {
      throw new ValueError(
        `Iterative: got momentum ${String(o.momentum)}, dampening ${String(o.dampening)}, nesterov ${String(o.nesterov)}; ` +
          `plain per-example descent takes none of them (use 'sgd' or 'momentum')`,
      );
    }
    super(params, { ...o, lr: o.lr ?? 0.01, momentum: 0, nesterov: false });
  }
}
