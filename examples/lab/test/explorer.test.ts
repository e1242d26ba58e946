// The explorer's parser, evaluator and analysis, in Node: the numbers the page shows come from these.
import * as AG from '@tapegrad/autograd';
import { Tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import { allDirections, analyze, forwardMode, forwardModeGradient, splitFormula, type Analysis } from '../src/explorer/analysis.js';
import { evaluate } from '../src/explorer/evaluate.js';
import { EXAMPLES } from '../src/explorer/examples.js';
import { FUNCTIONS, logcosh } from '../src/explorer/functions.js';
import { ParseError, parseProgram, type Expr } from '../src/explorer/parse.js';
import { inputLeaves, inputLines } from './inputs.js';

/** The tree as a compact string, to check precedence: (a + (b * c)). */
function show(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'literal':
      return JSON.stringify(e.value);
    case 'name':
      return e.name;
    case 'neg':
      return `(-${show(e.arg)})`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'call':
      return `${e.fn}(${e.args.map(show).join(', ')})`;
  }
}
const parseOne = (source: string): string => show(parseProgram(source).statements[0]!.expr);

describe('parser', () => {
  it('follows the usual precedence: ^ binds tighter than unary minus, * / @ than + −, ^ is right-associative', () => {
    expect(parseOne('a + b * c')).toBe('(a + (b * c))');
    expect(parseOne('a - b - c')).toBe('((a - b) - c)');
    expect(parseOne('-x^2')).toBe('(-(x ^ 2))');
    expect(parseOne('2^3^2')).toBe('(2 ^ (3 ^ 2))');
    expect(parseOne('x @ W + b')).toBe('((x @ W) + b)');
    expect(parseOne('tanh(x*w + b)')).toBe('tanh(((x * w) + b))');
    expect(parseOne('sum(x, -1) / 2e-1')).toBe('(sum(x, -1) / 0.2)');
  });

  it('reads names, literals, comments and statement separators', () => {
    const p = parseProgram('# comment\nx = [[1, -2.5], [.5, 3e2]]; y = x * 2\n\n');
    expect(p.statements.map((s) => s.name)).toEqual(['x', 'y']);
    expect(p.statements[0]!.expr).toMatchObject({
      kind: 'literal',
      value: [
        [1, -2.5],
        [0.5, 300],
      ],
    });
    expect(p.statements[1]!.line).toBe(2);
  });

  it('reports the line and column of a mistake', () => {
    const error = (source: string): ParseError => {
      try {
        parseProgram(source);
      } catch (e) {
        return e as ParseError;
      }
      throw new Error(`no error for ${source}`);
    };
    expect(error('x = 1\ny = (x + 2')).toMatchObject({ line: 2, column: 11 });
    expect(error('x = 1\ny = (x + 2').message).toMatch(/expected '\)' to close the parenthesis/);
    expect(error('y = x $ 2')).toMatchObject({ line: 1, column: 7 });
    expect(error('y = [1, x]').message).toMatch(/expected a number or '\[' inside an array literal/);
    expect(error('y = x 2').message).toMatch(/unexpected '2' after the expression/);
    expect(error('   ').message).toMatch(/the program is empty/);
  });
});

describe('evaluate', () => {
  it('makes literal lines float64 inputs that require a gradient and names the other lines', () => {
    const ev = evaluate(parseProgram('x = [1, 2]\nh = x * 3\ny = sum(h)'));
    expect(ev.inputs.map((i) => [i.name, i.variable.dtype, i.variable.requiresGrad])).toEqual([['x', 'float64', true]]);
    expect(ev.outputName).toBe('y');
    expect(ev.output.item()).toBe(9);
    expect(ev.output.entry!.inputs[0]!.name).toBe('h');
  });

  it('calls only the functions of its table, and names unknown ones and bad arity', () => {
    const run = (source: string): unknown => evaluate(parseProgram(source));
    expect(() => run('x = 1\ny = constructor(x)')).toThrow(/line 2: unknown function 'constructor'/);
    expect(() => run('x = 1\ny = toString(x)')).toThrow(/unknown function 'toString'/);
    expect(() => run('x = 1\ny = __proto__(x)')).toThrow(/unknown function '__proto__'/);
    expect(() => run('y = q + 1')).toThrow(/line 1: unknown name 'q'/);
    expect(() => run('x = 1\ny = tanh(x, x)')).toThrow(/tanh takes 1 argument/);
    expect(() => run('x = [1, 2]\ny = sum(x, x)')).toThrow(/sum: argument 2 must be a number/);
    expect(() => run('y = 2 + 3')).toThrow(/the last line \(the output\) is the number 5; it must depend on an input/);
    expect(() => analyze('x = 1\ny = exp(2) * 1')).toThrow(/does not depend on any input/);
    expect(() => run('x = [[1, 2]]\ny = x @ x')).toThrow(/line 2: .*matmul/);
  });

  it('gives every function in the table a runnable row', () => {
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      const args = spec.params.filter((p) => p === 'x').map((_, i) => `a${i}`);
      const source = `a0 = [[0.3, 0.7], [0.2, 0.9]]\na1 = [[0.5, 0.1], [0.4, 0.6]]\ny = sum(${name}(${args.join(', ')}))`;
      expect(Number.isFinite(evaluate(parseProgram(source)).output.item()), name).toBe(true);
    }
  });
});

describe('analysis', () => {
  const program = [...inputLines(), 'h = tanh(x @ W + b)', 'loss = sum(h * h) + logsumexp(h) + 0.5 * sum(logcosh(W))'].join('\n');

  it('gives the gradients autograd gives for the same function written directly', () => {
    const a = analyze(program);
    const { x, W, b } = inputLeaves();
    const h = AG.tanh(AG.add(AG.matmul(x, W), b));
    const logcosh = AG.log(AG.div(AG.add(AG.exp(W), AG.exp(AG.neg(W))), 2));
    AG.add(AG.add(AG.sum(AG.mul(h, h)), AG.logsumexp(h)), AG.mul(0.5, AG.sum(logcosh))).backward();
    const expected = [x.grad!, W.grad!, b.grad!];
    a.checks.forEach((c, k) => {
      const got = Array.from(c.grad.values());
      Array.from(expected[k]!.values()).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
      expect(c.error).toBeLessThan(1e-7);
    });
  });

  it('records one backward step per tape entry, in reverse, seeded with 1 at the output', () => {
    const a = analyze(program);
    const ops = a.nodes.filter((n) => n.kind === 'op');
    expect(a.steps).toHaveLength(ops.length);
    expect(a.steps[0]!.node).toBe(a.nodes.length - 1);
    expect(Array.from(a.steps[0]!.incoming.values())).toEqual([1]);
    // every step comes after the steps of all the entries that consumed its output
    const position = new Map(a.steps.map((s, k) => [s.node, k]));
    for (const n of ops) for (const i of n.inputs) if (position.has(i)) expect(position.get(i)!).toBeGreaterThan(position.get(n.index)!);
    // the contributions that reach an input add up to its gradient
    const W = a.checks.find((c) => c.name === 'W')!;
    const sum = new Float64Array(W.grad.size);
    for (const s of a.steps)
      for (const c of s.contributions) if (c.node === W.node && c.grad) c.grad.values().forEach((v, i) => (sum[i]! += v));
    Array.from(W.grad.values()).forEach((v, i) => expect(sum[i]).toBeCloseTo(v, 14));
    expect(ops.every((n) => n.math !== null)).toBe(true);
  });

  it('runs forward mode: each directional derivative equals the matching gradient entry', () => {
    const a = analyze(program);
    const gradient = a.checks.flatMap((c) => Array.from(c.grad.values()));
    const values = forwardModeGradient(a);
    expect(values).toHaveLength(allDirections(a).length);
    values.forEach((v, i) => expect(v).toBeCloseTo(gradient[i]!, 12));
    const run = forwardMode(a, { input: 'b', element: 1 });
    expect(run.tangents[a.nodes.findIndex((n) => n.label === 'x')]).toBeNull();
    expect(run.outputTangent.item()).toBeCloseTo(a.checks[2]!.grad.values()[1]!, 12);
  });

  it('refuses programs too large to check element by element', () => {
    expect(() => analyze('x = [' + Array.from({ length: 401 }, () => '1').join(', ') + ']\ny = sum(x)')).toThrow(
      /the inputs have 401 elements; .* keep it to 400/,
    );
  });

  it('analyses every example program, and its gradients pass the finite-difference check', () => {
    for (const e of EXAMPLES) {
      const a = analyze(e.source);
      expect(a.checks.length, e.id).toBeGreaterThan(0);
      for (const c of a.checks) expect(c.error, `${e.id}: ${c.name}`).toBeLessThan(1e-6);
    }
  });
});

/**
 * Every node's value after moving `input` by ±h along its element `element`, by central differences: the
 * tangents forward mode must give, computed without it.
 */
function centralTangents(a: Analysis, input: string, element: number): number[][] {
  const x = a.evaluation.inputs.find((i) => i.name === input)!.variable.value;
  const at = (s: number): number[][] => {
    const moved = Float64Array.from(x.values());
    moved[element]! += s;
    const output = evaluate(a.program, { values: new Map([[input, new Tensor(moved, [...x.shape])]]) }).output;
    return AG.topologicalOrder(output).map((v) => Array.from(v.value.values()));
  };
  const h = 1e-6;
  const [plus, minus] = [at(h), at(-h)];
  return plus.map((p, k) => p.map((v, i) => (v - minus[k]![i]!) / (2 * h)));
}

describe("forward mode (autograd's jvp)", () => {
  it("recovers every tape entry's tangent from one jvp of all the results", () => {
    const a = analyze([...inputLines(), 'h = tanh(x @ W + b)', 'loss = sum(h * h) + logsumexp(h) + sum(logcosh(W))'].join('\n'));
    expect(forwardModeGradient(a)[3]).toBeCloseTo(a.checks[1]!.grad.values()[0]!, 12); // direction 3 is W[0, 0] (x has 3)
    for (const d of [
      { input: 'W', element: 3 },
      { input: 'b', element: 0 },
      { input: 'x', element: 2 },
    ]) {
      const run = forwardMode(a, d);
      const numeric = centralTangents(a, d.input, d.element);
      expect(numeric).toHaveLength(a.nodes.length);
      a.nodes.forEach((n, i) => {
        const got = Array.from(run.tangents[i]?.values() ?? new Float64Array(n.value.size));
        expect(got).toHaveLength(n.value.size);
        got.forEach((v, k) => expect(v, `${n.label}[${k}] along ${d.input}[${d.element}]`).toBeCloseTo(numeric[i]![k]!, 7));
      });
      expect(run.tangents.filter((t, i) => t !== null && a.nodes[i]!.kind === 'input')).toHaveLength(1);
    }
  });

  it("gives each op's analytic JVP (ẏ = ȧ·b + a·ḃ, …) along every unit tangent", () => {
    const A = [
      [0.5, -1.5],
      [2, 0.25],
    ];
    const B = [
      [1.5, 0.5],
      [-0.5, 2],
    ];
    const leaf = (v: number[][]): AG.Variable => AG.variable(v, { dtype: 'float64' });
    const unit = (k: number): AG.Variable => leaf([0, 1].map((r) => [0, 1].map((c) => (r * 2 + c === k ? 1 : 0))));
    const zero = unit(-1);
    const [a, b] = [leaf(A), leaf(B)];
    const sm = AG.softmax(a, -1);
    // the JVP of each op written out by hand, for tangents (da, db)
    const cases: [string, string, (da: AG.Variable, db: AG.Variable) => AG.Variable][] = [
      ['a * b', 'mul', (da, db) => AG.add(AG.mul(da, b), AG.mul(a, db))],
      ['a @ b', 'matmul', (da, db) => AG.add(AG.matmul(da, b), AG.matmul(a, db))],
      ['tanh(a) + 0 * b', 'tanh', (da) => AG.mul(AG.sub(1, AG.square(AG.tanh(a))), da)], // ẏ = ẋ·(1 − y²)
      ['softmax(a, -1) + 0 * b', 'softmax', (da) => AG.mul(sm, AG.sub(da, AG.sum(AG.mul(sm, da), -1, true)))],
    ];
    for (const [expr, op, expected] of cases) {
      const an = analyze(`a = ${JSON.stringify(A)}\nb = ${JSON.stringify(B)}\ny = ${expr}`);
      const node = an.nodes.find((n) => n.op === op)!;
      expect(node.math?.jvp, op).toMatch(/^ẏ = /);
      for (const d of allDirections(an)) {
        const want = expected(d.input === 'a' ? unit(d.element) : zero, d.input === 'b' ? unit(d.element) : zero).value.values();
        const got = forwardMode(an, d).tangents[node.index]!.values();
        Array.from(want).forEach((v, i) => expect(got[i], `${op} along ${d.input}[${d.element}]`).toBeCloseTo(v, 12));
      }
    }
  });
});

describe('formulas', () => {
  it('splits a derivative table line into forward, VJP and JVP', () => {
    expect(splitFormula('y = a·b   ∂a = g·b   ∂b = g·a   ẏ = ȧ·b + a·ḃ')).toEqual({
      forward: 'y = a·b',
      vjp: '∂a = g·b   ∂b = g·a',
      jvp: 'ẏ = ȧ·b + a·ḃ',
    });
    expect(splitFormula('y = x/(1 + |x|)')).toEqual({ forward: 'y = x/(1 + |x|)', vjp: '', jvp: '' });
  });

  it("shows, for every function it offers, the op's own formula: the op table's line (defineOp's for the custom op)", () => {
    const recorded: Record<string, string> = { transpose: 'permute' }; // a composite: its tape entry is its part's
    const table = AG.opTable as unknown as Record<string, { spec: AG.OpSpec }>;
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      const args = spec.params.filter((p) => p === 'x').map((_, i) => `a${i}`);
      const a = analyze(`a0 = [[0.3, 0.7], [0.2, 0.9]]\na1 = [[0.5, 0.1], [0.4, 0.6]]\ny = sum(${name}(${args.join(', ')}))`);
      const ops = a.nodes.filter((n) => n.kind === 'op');
      for (const n of ops) {
        const own = n.variable.entry!.op.formula;
        expect(own, `${name}: ${n.op}`).toMatch(/∂.*ẏ = /);
        expect(n.math, `${name}: ${n.op}`).toEqual(splitFormula(own!));
      }
      const op = recorded[name] ?? name;
      const line = spec.custom ? logcosh(AG.variable(1, { requiresGrad: true })).entry!.op.formula : table[op]!.spec.math;
      const node = ops.find((n) => n.op === op);
      expect(node, `${name} records '${op}'`).toBeDefined();
      expect(node!.math, name).toEqual(splitFormula(line!));
    }
    expect(FUNCTIONS.softsign).toBeDefined();
    expect(FUNCTIONS.logcosh!.custom).toBe(true);
  });
});
