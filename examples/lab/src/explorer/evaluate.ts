// Runs a parsed program on the tape. A line whose right-hand side is a literal (`x = 0.5`, `W = [[1, 2]]`)
// declares an input: a float64 leaf that requires a gradient. Every other line applies ops, and its result
// takes the line's name, so the tape and the graph show `h`, `loss`, … instead of `#17`.
import * as AG from '@tapegrad/autograd';
import { Variable, variable } from '@tapegrad/autograd';
import { ValueError, type NestedArray, type Tensor } from '@tapegrad/tensor';
import { FUNCTIONS, type Value } from './functions.js';
import type { BinaryOperator, Expr, Program } from './parse.js';

/** A program run once: its inputs (leaves, in declaration order), its output and every named line. */
export interface Evaluation {
  inputs: { name: string; variable: Variable }[];
  output: Variable;
  outputName: string;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Replacement values for inputs, by name: a tensor (finite differences perturb them) or the leaf itself (forward mode). */
  values?: ReadonlyMap<string, Tensor | Variable>;
}

const OPERATOR_FNS: Record<BinaryOperator, (a: Value, b: Value) => Variable> = {
  '+': (a, b) => AG.add(a, b),
  '-': (a, b) => AG.sub(a, b),
  '*': (a, b) => AG.mul(a, b),
  '/': (a, b) => AG.div(a, b),
  '@': (a, b) => AG.matmul(a, b),
  '^': (a, b) => AG.pow(a, b),
};

const NUMBER_FNS: Record<BinaryOperator, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '@': (a, b) => a * b,
  '^': (a, b) => a ** b,
};

const isLiteral = (e: Expr): boolean => e.kind === 'number' || e.kind === 'literal';

/** The value of an input line, as nested arrays (a scalar is a number). */
export function literalValue(e: Expr): NestedArray {
  if (e.kind === 'number' || e.kind === 'literal') return e.value;
  throw new ValueError(`literalValue: expected a number or an array literal, got a ${e.kind} expression`);
}

/** Evaluates `program`; throws a ValueError naming the line for unknown names, bad calls and shape errors. */
export function evaluate(program: Program, options: EvaluateOptions = {}): Evaluation {
  const env = new Map<string, Value>();
  const inputs: Evaluation['inputs'] = [];
  let last: Value | null = null;
  let lastName = 'y';

  const run = (e: Expr): Value => {
    switch (e.kind) {
      case 'number':
        return e.value;
      case 'literal':
        return variable(e.value, { dtype: 'float64' }); // a constant inside an expression
      case 'name': {
        const v = env.get(e.name);
        if (v === undefined) throw new ValueError(`unknown name '${e.name}'; define it on an earlier line, e.g. ${e.name} = 0.5`);
        return v;
      }
      case 'neg': {
        const a = run(e.arg);
        return typeof a === 'number' ? -a : AG.neg(a);
      }
      case 'binary': {
        const a = run(e.left);
        const b = run(e.right);
        if (typeof a === 'number' && typeof b === 'number') return NUMBER_FNS[e.op](a, b);
        return OPERATOR_FNS[e.op](a, b);
      }
      case 'call':
        return call(e.fn, e.args.map(run));
    }
  };

  program.statements.forEach((s, i) => {
    try {
      let value: Value;
      if (s.name !== null && isLiteral(s.expr)) {
        const given = options.values?.get(s.name);
        const leaf =
          given instanceof Variable
            ? given
            : variable(given ?? literalValue(s.expr), { dtype: 'float64', requiresGrad: true, name: s.name });
        inputs.push({ name: s.name, variable: leaf });
        value = leaf;
      } else {
        value = run(s.expr);
        if (s.name !== null && value instanceof Variable && !value.isLeaf && value.name === undefined) value.name = s.name;
      }
      if (s.name !== null) env.set(s.name, value);
      if (i === program.statements.length - 1) {
        last = value;
        lastName = s.name ?? 'y';
      }
    } catch (e) {
      throw new ValueError(`line ${s.line}: ${(e as Error).message}`);
    }
  });
  const output = last as Value | null;
  if (!(output instanceof Variable)) {
    throw new ValueError(`the last line (the output) is the number ${String(output)}; it must depend on an input, e.g. x = 0.5`);
  }
  return { inputs, output, outputName: lastName };
}

function call(name: string, args: Value[]): Variable {
  const spec = Object.prototype.hasOwnProperty.call(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (spec === undefined) {
    throw new ValueError(`unknown function '${name}'; the functions are ${Object.keys(FUNCTIONS).join(', ')}`);
  }
  const required = spec.params.filter((p) => p !== 'n?').length;
  if (args.length < required || args.length > spec.params.length) {
    const count = required === spec.params.length ? `${required}` : `${required} to ${spec.params.length}`;
    throw new ValueError(`${name} takes ${count} argument${spec.params.length === 1 ? '' : 's'} (${spec.help}), got ${args.length}`);
  }
  args.forEach((a, i) => {
    if (spec.params[i] !== 'x' && typeof a !== 'number') throw new ValueError(`${name}: argument ${i + 1} must be a number (${spec.help})`);
  });
  return spec.apply(args);
}
