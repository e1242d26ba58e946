import { checkOptionsObject } from './checks.js';
import { checkRange, Optimizer, type FloatArray, type OptimizerOptions, type ParamSlot, type Parameter } from './optimizer.js';

/** Options of {@link Adagrad}. */
export interface AdagradOptions extends OptimizerOptions {
  /** Learning-rate decay η: step t uses lr / (1 + (t − 1)·η). */
  lrDecay?: number;
  /** Starting value of the squared-gradient sum. */
  initialAccumulatorValue?: number;
  /** Term added to the denominator. */
  eps?: number;
}

/**
 * Adagrad. PyTorch rule (default; lr 1e-2, accumulator 0, ε 1e-10), g with maximize and L2 decay applied:
 * ```
 * lr_t = lr / (1 + (t − 1)·η);   s ← s + g²;   θ ← θ − lr_t · g / (√s + ε)
 * ```
 * Keras flavour (lr 1e-3, initial accumulator 0.1, ε 1e-7): ε **inside** the root,
 * θ ← θ − lr_t·g / √(s + ε); weight decay decoupled (lrDecay is kept as an extension).
 */
export class Adagrad extends Optimizer {
  readonly name: string = 'adagrad';
  readonly lrDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;

  constructor(params?: Iterable<Parameter>, options: AdagradOptions = {}) {
    options = checkOptionsObject(new.target.name, options);
    const keras = options.flavor === 'keras';
    super(params, options, keras ? 1e-3 : 1e-2);
    this.lrDecay = checkRange('Adagrad', 'lrDecay', options.lrDecay ?? 0, 0);
    this.initialAccumulatorValue = checkRange(
      'Adagrad',
      'initialAccumulatorValue',
      options.initialAccumulatorValue ?? (keras ? 0.1 : 0),
      0,
    );
    this.eps = checkRange('Adagrad', 'eps', options.eps ?? (keras ? 1e-7 : 1e-10), 0);
    this.checkOptions(new.target.name, options);
  }

  protected hyper(): Record<string, unknown> {
    return { lrDecay: this.lrDecay, initialAccumulatorValue: this.initialAccumulatorValue, eps: this.eps };
  }

  protected initSlot(slot: ParamSlot, _size: number, make: () => FloatArray): void {
    slot.buffers['sum'] = make().fill(this.initialAccumulatorValue);
  }

  protected apply(x: FloatArray, xo: number, g: Float64Array, n: number, slot: ParamSlot): void {
    const s = slot.buffers['sum']!;
    const clr = this.lr / (1 + (slot.step - 1) * this.lrDecay);
    const eps = this.eps;
    if (this.flavor === 'keras') {
      for (let j = 0; j < n; j++) {
        s[j] = s[j]! + g[j]! * g[j]!;
        x[xo + j] = x[xo + j]! - (clr * g[j]!) / Math.sqrt(s[j]! + eps);
      }
    } else {
      for (let j = 0; j < n; j++) {
        s[j] = s[j]! + g[j]! * g[j]!;
        x[xo + j] = x[xo + j]! - clr * (g[j]! / (Math.sqrt(s[j]!) + eps));
      }
    }
  }
}
