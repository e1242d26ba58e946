// The one place where the lab meets what @tapegrad/autograd does not export yet: the math of each op as text,
// a per-op forward-mode (JVP) rule, and the functional `jvp`. Each is read from the package when it has it
// (the op spec table gives every Op its math and its JVP) and otherwise supplied here, so the page works today
// and switches to the package's own rules without other changes.
import * as AG from '@tapegrad/autograd';
import { Variable, enableGrad, gradients, type Op, type OpContext, type TapeNode } from '@tapegrad/autograd';
import { onesLike, zerosLike, type Tensor } from '@tapegrad/tensor';

/** The derivative table line of one op: the forward, the VJP (one term per input) and the JVP. */
export interface OpMath {
  forward: string;
  vjp: string;
  jvp: string;
  /** Where the text came from: the op itself (the package's spec table) or the lab's copy. */
  source: 'autograd' | 'lab';
}

/** A forward-mode rule: the output tangent from the input tangents (null = zero tangent). */
export type JvpRule = (tangents: (Variable | null)[], ctx: OpContext) => Variable | null;

/** What the package may attach to an Op once the spec table lands (read structurally). */
interface SpecOp extends Op {
  math?: string | { forward?: string; vjp?: string | string[]; jvp?: string };
  jvp?: JvpRule;
}

// The lab's copy of the derivative table, in the notation of the ops' doc lines (g is the incoming gradient,
// a dot marks a tangent). Used only for ops that do not carry their math at run time yet.
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

/** The math of `op`: its own (once the package's spec table carries it at run time), else the lab's copy, else null. */
export function opMath(op: Op): OpMath | null {
  const own = (op as SpecOp).math;
  if (typeof own === 'string') return { forward: own, vjp: '', jvp: '', source: 'autograd' };
  if (own && typeof own === 'object') {
    const vjp = Array.isArray(own.vjp) ? own.vjp.join('   ') : (own.vjp ?? '');
    return { forward: own.forward ?? '', vjp, jvp: own.jvp ?? '', source: 'autograd' };
  }
  const lab = LAB_MATH[op.name];
  return lab ? { forward: lab[0], vjp: lab[1], jvp: lab[2], source: 'lab' } : null;
}

/** The package's functional `jvp(f, primals, tangents)`, once it exports one. */
const AUTOGRAD_JVP = (AG as Record<string, unknown>).jvp;

/** Where forward-mode rules come from today. */
export function forwardModeSource(): 'autograd' | 'lab' {
  return typeof AUTOGRAD_JVP === 'function' ? 'autograd' : 'lab';
}

/** The forward-mode rule of `op`: its own JVP when it has one, else {@link jvpByTransposition}. */
export function jvpRule(op: Op): JvpRule {
  const own = (op as SpecOp).jvp;
  return typeof own === 'function' ? own : (tangents, ctx) => jvpByTransposition(op, ctx, tangents);
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

/** The tape entry that made `v` (null for a leaf or a constant). */
export function entryOf(v: Variable): TapeNode | null {
  return v.node;
}

/** `AG.jvp(f, primals, tangents)` once the package has it: the output tangent, for a cross-check; else null. */
export function packageJvp(f: (...xs: Variable[]) => Variable, primals: Tensor[], tangents: Tensor[]): Tensor | null {
  if (typeof AUTOGRAD_JVP !== 'function') return null;
  const r = (AUTOGRAD_JVP as (...a: unknown[]) => unknown)(f, primals, tangents);
  const tangent = Array.isArray(r) ? r[1] : (r as { tangent?: unknown }).tangent;
  return tangent instanceof Variable ? tangent.value : ((tangent as Tensor | undefined) ?? null);
}
