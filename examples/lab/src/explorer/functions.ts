// The functions an explorer program may call, each mapped onto a tapegrad op. This table is the whole
// vocabulary: a name not listed here is an error, never a lookup into JavaScript.
import * as AG from '@tapegrad/autograd';
import { defineOp, type Variable } from '@tapegrad/autograd';
import { abs, add, exp, log1p, mul, sub } from '@tapegrad/tensor';

/** An argument after evaluation: a variable, or a plain number (a constant, an axis, a slope). */
export type Value = Variable | number;

/** One callable function: its parameters ('x' a tensor, 'n' a number literal, '?' optional) and the op it applies. */
export interface FunctionSpec {
  params: readonly ('x' | 'n' | 'n?')[];
  /** One line for the help list. */
  help: string;
  apply(args: Value[]): Variable;
  /** True for a user-defined op (defineOp), shown apart in the help. */
  custom?: boolean;
}

/**
 * A custom op, written as a user would: log cosh x, computed stably as |x| + ln(1 + e^(−2|x|)) − ln 2 with
 * tensor kernels; its VJP ∂x = g·tanh x is written with Variable ops, so it can be differentiated again. It
 * gives no JVP rule, so forward mode transposes its VJP (see defineOp); the formula is its derivative table line.
 */
export const logcosh = defineOp({
  name: 'logcosh',
  formula: 'y = ln cosh x   ∂x = g·tanh x   ẏ = ẋ·tanh x',
  forward: ([x]) => {
    const a = abs(x);
    return sub(add(a, log1p(exp(mul(a, -2)))), Math.LN2);
  },
  backward: (g, { inputs: [x] }) => [g.mul(x.tanh())],
});

const unary = (help: string, f: (x: Variable) => Variable): FunctionSpec => ({ params: ['x'], help, apply: ([x]) => f(x as Variable) });
const binary = (help: string, f: (a: Value, b: Value) => Variable): FunctionSpec => ({
  params: ['x', 'x'],
  help,
  apply: ([a, b]) => f(a!, b!),
});
const axisOpt = (args: Value[]): number | undefined => (args.length > 1 ? (args[1] as number) : undefined);
const reduce = (help: string, f: (x: Variable, axis: number | undefined) => Variable): FunctionSpec => ({
  params: ['x', 'n?'],
  help,
  apply: (args) => f(args[0] as Variable, axisOpt(args)),
});

/** The function table, by name. */
export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  exp: unary('eˣ', AG.exp),
  log: unary('ln x', AG.log),
  sqrt: unary('√x', AG.sqrt),
  square: unary('x²', AG.square),
  abs: unary('|x|', AG.abs),
  neg: unary('−x', AG.neg),
  sin: unary('sin x', AG.sin),
  cos: unary('cos x', AG.cos),
  tanh: unary('tanh x', AG.tanh),
  sigmoid: unary('σ(x) = 1/(1 + e⁻ˣ)', AG.sigmoid),
  relu: unary('max(x, 0)', AG.relu),
  softplus: unary('ln(1 + eˣ)', AG.softplus),
  softsign: unary('x/(1 + |x|)', AG.softsign),
  gelu: unary('x·Φ(x)', AG.gelu),
  erf: unary('erf x', AG.erf),
  log1p: unary('ln(1 + x)', AG.log1p),
  expm1: unary('eˣ − 1', AG.expm1),
  reciprocal: unary('1/x', AG.reciprocal),
  rsqrt: unary('1/√x', AG.rsqrt),
  leakyRelu: { params: ['x', 'n?'], help: 'leakyRelu(x, slope = 0.01)', apply: (a) => AG.leakyRelu(a[0] as Variable, axisOpt(a) ?? 0.01) },
  elu: { params: ['x', 'n?'], help: 'elu(x, α = 1)', apply: (a) => AG.elu(a[0] as Variable, axisOpt(a) ?? 1) },
  sum: reduce('sum(x [, axis])', (x, axis) => AG.sum(x, axis)),
  mean: reduce('mean(x [, axis])', (x, axis) => AG.mean(x, axis)),
  prod: reduce('prod(x [, axis])', (x, axis) => AG.prod(x, axis)),
  max: reduce('max(x [, axis])', (x, axis) => AG.max(x, axis)),
  min: reduce('min(x [, axis])', (x, axis) => AG.min(x, axis)),
  logsumexp: reduce('ln Σ eˣ (x [, axis])', (x, axis) => AG.logsumexp(x, axis)),
  softmax: reduce('softmax(x [, axis = −1])', (x, axis) => AG.softmax(x, axis ?? -1)),
  logSoftmax: reduce('logSoftmax(x [, axis = −1])', (x, axis) => AG.logSoftmax(x, axis ?? -1)),
  transpose: unary('xᵀ (axes reversed)', (x) => AG.transpose(x)),
  matmul: binary('a @ b', (a, b) => AG.matmul(a, b)),
  pow: binary('a ^ b', (a, b) => AG.pow(a, b)),
  maximum: binary('elementwise max(a, b)', (a, b) => AG.maximum(a, b)),
  minimum: binary('elementwise min(a, b)', (a, b) => AG.minimum(a, b)),
  logcosh: {
    params: ['x'],
    help: 'ln cosh x — a custom op (defineOp): forward by kernels, VJP g·tanh x, JVP by transposing the VJP',
    apply: ([x]) => logcosh(x!),
    custom: true,
  },
};
