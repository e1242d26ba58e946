// The one place where the lab meets what @tapegrad/autograd may not export yet: the math of each op as text,
// forward mode (`jvp`), and the name of a variable's tape entry. Each is read from the package when it has it
// (the op spec table gives every Op its formula; `jvp` pushes tangents through the ops) and otherwise supplied
// here, so the page works on either and switches to the package's own rules without other changes.
import * as AG from '@tapegrad/autograd';
import { Variable, enableGrad, gradients, type Op, type OpContext } from '@tapegrad/autograd';
import { onesLike, zerosLike, type Tensor } from '@tapegrad/tensor';

/** The derivative table line of one op: the forward, the VJP (one term per input) and the JVP. */
export interface OpMath {
  forward: string;
  vjp: string;
  jvp: string;
  /** Where the text came from: the op itself (the package's spec table) or the lab's copy. */
  source: 'autograd' | 'lab';
}

/** One recorded op application, as much of it as the lab reads. */
export interface Entry {
  op: Op;
  inputs: Variable[];
  ctx: OpContext;
}

/** The package's functional forward mode: f's value and its directional derivative along the tangents. */
export type JvpFn = (f: (...xs: Variable[]) => Variable, primals: Variable[], tangents: Tensor[]) => { value: Variable; tangent: Variable };

// The lab's copy of the derivative table, in the notation of the ops' doc lines (g is the incoming gradient,
// a dot marks a tangent). Used only for ops that do not carry their formula at run time.
const LAB_MATH: Record<string, [forward: string, vjp: string, jvp: string]> = {
  neg: ['y = −x', '∂x = −g', 'ẏ = −ẋ'],
  abs: ['y = |x|', '∂x = g·sign(x)', 'ẏ = sign(x)·ẋ'],
  exp: ['y = eˣ', '∂x = g·y', 'ẏ = y·ẋ'],
  expm1: ['y = eˣ − 1', '∂x = g·(y + 1)', 'ẏ = (y + 1)·ẋ'],
  log: ['y = ln x', '∂x = g / x', 'ẏ = ẋ / x'],
  log1p: ['y = ln(1 + x)', '∂x = g / (1 + x)', 'ẏ = ẋ / (1 + x)'],
  sqrt: ['y = √x', '∂x = g / (2y)', 'ẏ = ẋ / (2y)'],
  rsqrt: ['y = 1/√x', '∂x = −½·g·y³', 'ẏ = −½·y³·ẋ'],
  square: ['y = x²', '∂x = 2·g·x', 'ẏ = 2·x·ẋ'],
  reciprocal: ['y = 1/x', '∂x = −g·y²', 'ẏ = −y²·ẋ'],
  sin: ['y = sin x', '∂x = g·cos x', 'ẏ = cos x·ẋ'],
  cos: ['y = cos x', '∂x = −g·sin x', 'ẏ = −sin x·ẋ'],
  tanh: ['y = tanh x', '∂x = g·(1 − y²)', 'ẏ = (1 − y²)·ẋ'],
  sigmoid: ['y = σ(x)', '∂x = g·y·(1 − y)', 'ẏ = y·(1 − y)·ẋ'],
  relu: ['y = max(x, 0)', '∂x = g·[x > 0]', 'ẏ = [x > 0]·ẋ'],
  leakyRelu: ['y = x if x > 0 else s·x', '∂x = g·(x > 0 ? 1 : s)', 'ẏ = (x > 0 ? 1 : s)·ẋ'],
  elu: ['y = x if x > 0 else α(eˣ − 1)', '∂x = g·(x > 0 ? 1 : y + α)', 'ẏ = (x > 0 ? 1 : y + α)·ẋ'],
  gelu: ['y = x·Φ(x)', '∂x = g·(Φ(x) + x·φ(x))', 'ẏ = (Φ(x) + x·φ(x))·ẋ'],
  softplus: ['y = ln(1 + eˣ)', '∂x = g·σ(x)', 'ẏ = σ(x)·ẋ'],
  erf: ['y = erf x', '∂x = g·(2/√π)·e^(−x²)', 'ẏ = (2/√π)·e^(−x²)·ẋ'],
  add: ['y = a + b', '∂a = g   ∂b = g', 'ẏ = ȧ + ḃ'],
  sub: ['y = a − b', '∂a = g   ∂b = −g', 'ẏ = ȧ − ḃ'],
  mul: ['y = a·b', '∂a = g·b   ∂b = g·a', 'ẏ = ȧ·b + a·ḃ'],
  div: ['y = a/b', '∂a = g/b   ∂b = −g·y/b', 'ẏ = (ȧ − y·ḃ)/b'],
  pow: ['y = aᵇ', '∂a = g·b·aᵇ⁻¹   ∂b = g·y·ln a', 'ẏ = b·aᵇ⁻¹·ȧ + y·ln a·ḃ'],
  maximum: ['y = max(a, b)', '∂a = g·[a ≥ b]   ∂b = g·[a < b]', 'ẏ = [a ≥ b]·ȧ + [a < b]·ḃ'],
  minimum: ['y = min(a, b)', '∂a = g·[a ≤ b]   ∂b = g·[a > b]', 'ẏ = [a ≤ b]·ȧ + [a > b]·ḃ'],
  matmul: ['y = a·b', '∂a = g·bᵀ   ∂b = aᵀ·g', 'ẏ = ȧ·b + a·ḃ'],
  sum: ['y = Σ_axes x', '∂x = g broadcast over the reduced axes', 'ẏ = Σ_axes ẋ'],
  mean: ['y = mean_axes x', '∂x = g broadcast over the reduced axes / n', 'ẏ = mean_axes ẋ'],
  prod: ['y = Π_axes x', '∂xᵢ = g·Π_{j≠i} xⱼ', 'ẏ = Σᵢ ẋᵢ·Π_{j≠i} xⱼ'],
  max: ['y = max_axes x', '∂x = g at the maximum (ties share it)', 'ẏ = ẋ at the maximum (ties averaged)'],
  min: ['y = min_axes x', '∂x = g at the minimum (ties share it)', 'ẏ = ẋ at the minimum (ties averaged)'],
  logsumexp: ['y = ln Σ_axes eˣ', '∂x = g·e^(x − y)', 'ẏ = Σ_axes e^(x − y)·ẋ'],
  softmax: ['y = softmax(x)', '∂x = y·(g − Σ g·y)', 'ẏ = y·(ẋ − Σ y·ẋ)'],
  logSoftmax: ['y = x − logsumexp(x)', '∂x = g − eʸ·Σ g', 'ẏ = ẋ − Σ eʸ·ẋ'],
  expand: ['y = x broadcast to a shape', '∂x = sumTo(g, shape(x))', 'ẏ = expand(ẋ)'],
  sumTo: ['y = sumTo(x, shape)', '∂x = expand(g, shape(x))', 'ẏ = sumTo(ẋ, shape)'],
  reshape: ['y = x viewed as a shape', '∂x = reshape(g, shape(x))', 'ẏ = reshape(ẋ)'],
  permute: ['y = permute(x, axes)', '∂x = permute(g, axes⁻¹)', 'ẏ = permute(ẋ, axes)'],
  logcosh: ['y = ln cosh x', '∂x = g·tanh x', 'ẏ = tanh x·ẋ'],
};

/**
 * Splits a derivative table line (`y = a·b   ∂a = g·b   ∂b = g·a   ẏ = ȧ·b + a·ḃ`) at its first `∂` and its
 * `ẏ` into the forward, the VJP and the JVP.
 */
export function splitFormula(line: string): Pick<OpMath, 'forward' | 'vjp' | 'jvp'> {
  const d = line.indexOf('∂');
  const t = line.indexOf('ẏ');
  const end = (i: number): number => (i < 0 ? line.length : i);
  return {
    forward: line.slice(0, Math.min(end(d), end(t))).trim(),
    vjp: d < 0 ? '' : line.slice(d, t > d ? t : line.length).trim(),
    jvp: t < 0 ? '' : line.slice(t).trim(),
  };
}

/** The math of `op`: its own formula (once the package's spec table carries it), else the lab's copy, else null. */
export function opMath(op: Op): OpMath | null {
  const own = (op as { formula?: unknown; math?: unknown }).formula ?? (op as { math?: unknown }).math;
  if (typeof own === 'string' && own !== '') return { ...splitFormula(own), source: 'autograd' };
  const lab = LAB_MATH[op.name];
  return lab ? { forward: lab[0], vjp: lab[1], jvp: lab[2], source: 'lab' } : null;
}

/** The package's `jvp(f, primals, tangents)`, once it exports one. */
const AUTOGRAD_JVP = (AG as Record<string, unknown>).jvp;

/** The package's forward mode, or null while it has none (then the lab uses {@link jvpByTransposition}). */
export function packageJvp(): JvpFn | null {
  return typeof AUTOGRAD_JVP === 'function' ? (AUTOGRAD_JVP as JvpFn) : null;
}

/** Where forward-mode tangents come from. */
export function forwardModeSource(): 'autograd' | 'lab' {
  return packageJvp() ? 'autograd' : 'lab';
}

/** The tape entry that made `v` (null for a leaf or a constant); the field is `entry`, formerly `node`. */
export function entryOf(v: Variable): Entry | null {
  const r = v as unknown as { entry?: Entry | null; node?: Entry | null };
  return r.entry ?? r.node ?? null;
}

/**
 * The JVP of one tape entry from its VJP alone. The VJP is linear in the incoming gradient u:
 * vjp(u) = Jᵀu, so s(u) = Σₖ ⟨vjpₖ(u), ẋₖ⟩ = ⟨u, J·ẋ⟩ and ∂s/∂u = J·ẋ, the output tangent. Works for every op
 * whose backward is written with Variable ops; it costs a backward and a double-backward instead of one rule.
 */
export function jvpByTransposition(op: Op, ctx: OpContext, tangents: (Variable | null)[]): Variable | null {
  if (tangents.every((t) => t === null)) return null;
  return enableGrad(() => {
    const u = new Variable(onesLike(ctx.output.value), { requiresGrad: true });
    const vjps = op.backward(u, ctx);
    let s: Variable | null = null;
    vjps.forEach((gk, k) => {
      const t = tangents[k];
      if (!gk || !t) return;
      const term = gk.mul(t).sum();
      s = s === null ? term : s.add(term);
    });
    const total = s as Variable | null;
    if (total === null || !total.requiresGrad) return new Variable(zerosLike(ctx.output.value));
    return gradients(total, [u])[0]!;
  });
}
