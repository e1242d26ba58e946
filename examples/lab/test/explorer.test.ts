// The explorer's parser, evaluator and analysis, in Node: the numbers the page shows come from these.
import * as AG from '@tapegrad/autograd';
import { Variable, variable } from '@tapegrad/autograd';
import * as T from '@tapegrad/tensor';
import { tensor } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import { entryOf, jvpByTransposition, opMath, splitFormula, type JvpFn } from '../src/explorer/adapter.js';
import { allDirections, analyze, forwardMode, forwardModeGradient } from '../src/explorer/analysis.js';
import { evaluate } from '../src/explorer/evaluate.js';
import { EXAMPLES } from '../src/explorer/examples.js';
import { FUNCTIONS } from '../src/explorer/functions.js';
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
    expect(entryOf(ev.output)!.inputs[0]!.name).toBe('h');
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

describe('forward mode through a jvp function (the path taken once autograd exports jvp)', () => {
  // a stand-in for autograd's jvp: the tangent of f's result by central differences along the tangents
  const fdJvp: JvpFn = (f, primals, tangents) => {
    const at = (s: number): Variable =>
      f(...primals.map((p, i) => variable(T.add(p.value, T.mul(tangents[i]!, s)), { requiresGrad: true, dtype: 'float64' })));
    const h = 1e-6;
    return { value: at(0), tangent: new Variable(T.div(T.sub(at(h).value, at(-h).value), 2 * h)) };
  };

  it("recovers every tape entry's tangent from one jvp of all the results", () => {
    const a = analyze([...inputLines(), 'h = tanh(x @ W + b)', 'loss = sum(h * h) + logsumexp(h)'].join('\n'));
    for (const d of [
      { input: 'W', element: 3 },
      { input: 'b', element: 0 },
    ]) {
      expect(forwardModeGradient(a, fdJvp)[3]).toBeCloseTo(a.checks[1]!.grad.values()[0]!, 7); // direction 3 is W[0, 0] (x has 3)
      const viaJvp = forwardMode(a, d, fdJvp);
      const walked = forwardMode(a, d, null);
      expect(viaJvp.source).toBe('autograd');
      expect(walked.source).toBe('lab');
      a.nodes.forEach((n, i) => {
        const want = walked.tangents[i] ? Array.from(walked.tangents[i]!.values()) : new Array<number>(n.value.size).fill(0);
        const got = Array.from(viaJvp.tangents[i]?.values() ?? new Float64Array(n.value.size));
        got.forEach((v, k) => expect(v, `${n.label}[${k}]`).toBeCloseTo(want[k]!, 7));
      });
    }
  });
});

describe('adapter', () => {
  it('splits a derivative table line into forward, VJP and JVP', () => {
    expect(splitFormula('y = a·b   ∂a = g·b   ∂b = g·a   ẏ = ȧ·b + a·ḃ')).toEqual({
      forward: 'y = a·b',
      vjp: '∂a = g·b   ∂b = g·a',
      jvp: 'ẏ = ȧ·b + a·ḃ',
    });
    expect(splitFormula('y = x/(1 + |x|)')).toEqual({ forward: 'y = x/(1 + |x|)', vjp: '', jvp: '' });
  });

  it('computes a JVP from the VJP alone (transposition) equal to the analytic JVP', () => {
    const a = variable(
      [
        [0.5, -1.5],
        [2, 0.25],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const b = variable(
      [
        [1.5, 0.5],
        [-0.5, 2],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const da = new Variable(
      tensor(
        [
          [1, 0],
          [0.5, -1],
        ],
        undefined,
        { dtype: 'float64' },
      ),
    );
    const db = new Variable(
      tensor(
        [
          [0, 2],
          [1, 1],
        ],
        undefined,
        { dtype: 'float64' },
      ),
    );
    const cases: [Variable, Variable][] = [
      [AG.mul(a, b), AG.add(AG.mul(da, b), AG.mul(a, db))], // ẏ = ȧ·b + a·ḃ
      [AG.matmul(a, b), AG.add(AG.matmul(da, b), AG.matmul(a, db))],
      [AG.tanh(a), AG.mul(AG.sub(1, AG.square(AG.tanh(a))), da)], // ẏ = (1 − y²)·ȧ
      [AG.softmax(a, -1), AG.mul(AG.softmax(a, -1), AG.sub(da, AG.sum(AG.mul(AG.softmax(a, -1), da), -1, true)))],
    ];
    for (const [y, expected] of cases) {
      const entry = entryOf(y)!;
      const tangents = entry.inputs.map((u) => (u === a ? da : u === b ? db : null));
      const got = jvpByTransposition(entry.op, entry.ctx, tangents)!;
      Array.from(expected.value.values()).forEach((v, i) => expect(got.value.values()[i], entry.op.name).toBeCloseTo(v, 12));
      expect(opMath(entry.op)?.jvp, entry.op.name).toMatch(/ẏ/);
    }
  });
});
