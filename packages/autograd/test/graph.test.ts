import { describe, expect, it } from 'vitest';
import * as K from '@tapegrad/tensor';
import { Generator, Tensor } from '@tapegrad/tensor';
import { noGrad, opTable, variable, type Variable } from '../src/index.js';
import { formatTape, tape, toDot, toMermaid } from '../src/graph.js';

const gen = new Generator(11);
const randn = (...shape: number[]): Tensor => K.randn(shape, { generator: gen, dtype: 'float32' });

/** loss = Σ relu(x·W + b) with named leaves. */
function mlp(): { x: Variable; w: Variable; b: Variable; loss: Variable } {
  const x = variable(randn(2, 3), { name: 'x' });
  const w = variable(randn(3, 4), { name: 'W', requiresGrad: true });
  const b = variable(randn(4), { name: 'b', requiresGrad: true });
  const loss = x.matmul(w).add(b).relu().sum();
  return { x, w, b, loss };
}

describe('tape', () => {
  it('lists op applications in forward order with input labels and shapes', () => {
    const { loss } = mlp();
    const entries = tape(loss);
    // add broadcasts b with an expand, which is its own tape entry.
    expect(entries.map((e) => e.op)).toEqual(['matmul', 'expand', 'add', 'relu', 'sum']);
    expect(entries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    const [mm, ex, add, relu, sum] = entries as [
      (typeof entries)[0],
      (typeof entries)[0],
      (typeof entries)[0],
      (typeof entries)[0],
      (typeof entries)[0],
    ];
    expect(mm.inputs).toEqual([
      { label: 'x', shape: [2, 3], dtype: 'float32', leaf: true },
      { label: 'W', shape: [3, 4], dtype: 'float32', leaf: true },
    ]);
    expect(mm.outputShape).toEqual([2, 4]);
    expect(ex.inputs).toEqual([{ label: 'b', shape: [4], dtype: 'float32', leaf: true }]);
    expect(ex.outputShape).toEqual([2, 4]);
    expect(add.inputs.map((i) => i.label)).toEqual([mm.label, ex.label]);
    expect(add.inputs.every((i) => !i.leaf)).toBe(true);
    expect(mm.label).toBe(`#${mm.id}`);
    expect(relu.inputs[0]!.label).toBe(add.label);
    expect(sum.outputShape).toEqual([]);
    expect(sum.dtype).toBe('float32');
    // Ids grow along the tape.
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.id).toBeGreaterThan(entries[i - 1]!.id);
  });

  it('records a shared subexpression once (diamond) and uses names of named intermediates', () => {
    const a = variable([1, 2, 3], { name: 'a', requiresGrad: true });
    const h = a.exp();
    h.name = 'h';
    const y = h.mul(h.sin()).sum();
    const entries = tape(y);
    expect(entries.map((e) => e.op)).toEqual(['exp', 'sin', 'mul', 'sum']);
    expect(entries[0]!.name).toBe('h');
    expect(entries[2]!.inputs.map((i) => i.label)).toEqual(['h', entries[1]!.label]);
  });

  it('is empty for a leaf and for values computed under noGrad; unnamed leaves get leafN labels', () => {
    const a = variable([1, 2], { requiresGrad: true });
    expect(tape(a)).toEqual([]);
    expect(tape(noGrad(() => a.mul(2).sum()))).toEqual([]);
    const c = variable([3, 4]);
    const e = tape(a.mul(c));
    expect(e[0]!.inputs.map((i) => i.label)).toEqual(['leaf0', 'leaf1']);
    expect(formatTape(a)).toMatch(/empty tape/);
  });
});

describe('formatTape', () => {
  it('prints a header, a rule and one aligned row per entry', () => {
    const { loss } = mlp();
    const text = formatTape(loss);
    const lines = text.split('\n');
    expect(lines).toHaveLength(2 + 5);
    expect(lines[0]).toMatch(/^#\s+op\s+inputs\s+output\s+dtype$/);
    expect(lines[1]).toMatch(/^-+\s+-+/);
    expect(lines[2]).toMatch(/^0\s+matmul\s+x \[2, 3\], W \[3, 4\]\s+#\d+ \[2, 4\]\s+float32$/);
    expect(lines[6]).toMatch(/^4\s+sum\s+#\d+ \[2, 4\]\s+#\d+ \[\]\s+float32$/);
    // Columns line up: "op" starts at the same position on every row.
    const opColumn = lines[0]!.indexOf('op');
    for (const line of lines.slice(2)) expect(line.slice(opColumn)).toMatch(/^[a-z]/);
  });
});

describe('formulas on the tape', () => {
  it("each row carries its op's derivative table line, and formatTape can print it", () => {
    const { loss } = mlp();
    const rows = tape(loss);
    const relu = rows.find((r) => r.op === 'relu')!;
    expect(relu.formula).toBe(opTable.relu.spec.math);
    expect(relu.formula).toContain('∂x = g·1[x > 0]');
    expect(rows.every((r) => (r.formula ?? '').startsWith('y ='))).toBe(true);
    const text = formatTape(loss, { formulas: true });
    expect(text.split('\n')[0]).toMatch(/dtype\s+formula$/);
    expect(text).toContain(opTable.add.spec.math);
    expect(formatTape(loss)).not.toContain('formula');
  });
});

describe('toDot', () => {
  it('draws leaves as boxes, ops as ellipses and one edge per op input', () => {
    const { loss } = mlp();
    const dot = toDot(loss);
    expect(dot.startsWith('digraph tape {')).toBe(true);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    const boxes = dot.split('\n').filter((l) => l.includes('shape=box'));
    const ellipses = dot.split('\n').filter((l) => l.includes('shape=ellipse'));
    expect(boxes).toHaveLength(3);
    expect(boxes.join('\n')).toContain('label="x\\n[2, 3] float32"');
    expect(boxes.join('\n')).toContain('label="W\\n[3, 4] float32"');
    expect(ellipses).toHaveLength(5);
    expect(ellipses.some((l) => l.startsWith('  n') && l.includes('label="matmul\\n#'))).toBe(true);
    const edges = dot.split('\n').filter((l) => l.includes('->'));
    expect(edges).toHaveLength(2 + 1 + 2 + 1 + 1);
    // Edges into binary ops are numbered by argument position.
    expect(edges.filter((l) => l.includes('[label="1"]'))).toHaveLength(2);
    // The output is highlighted.
    expect(dot.split('\n').filter((l) => l.includes('penwidth=2'))).toHaveLength(1);
  });

  it('can show values and gradients', () => {
    const a = variable([1, 2], { name: 'a', requiresGrad: true });
    const y = a.mul(a).sum();
    y.backward();
    const dot = toDot(y, { values: true, grads: true, direction: 'LR' });
    expect(dot).toContain('rankdir=LR;');
    expect(dot).toContain('value [1, 2]');
    expect(dot).toContain('grad [2, 4]');
    expect(dot).toContain('value 5');
    expect(toDot(y)).not.toContain('value');
  });

  it('escapes quotes in names', () => {
    const a = variable([1], { name: 'say "hi"', requiresGrad: true });
    expect(toDot(a.exp())).toContain('label="say \\"hi\\"\\n[1] float32"');
  });
});

describe('toMermaid', () => {
  it('writes a flowchart with one node per variable and one edge per op input', () => {
    const { loss } = mlp();
    const text = toMermaid(loss);
    const lines = text.split('\n');
    expect(lines[0]).toBe('flowchart TB');
    const nodes = lines.filter((l) => /^ {2}n\d+[[(]/.test(l));
    expect(nodes).toHaveLength(3 + 5);
    expect(nodes.filter((l) => l.includes('(["'))).toHaveLength(5);
    expect(text).toContain('["x<br/>[2, 3] float32"]');
    const edges = lines.filter((l) => l.includes('-->'));
    expect(edges).toHaveLength(7);
    expect(edges.filter((l) => l.includes('-->|0|'))).toHaveLength(2);
    expect(toMermaid(loss, { direction: 'LR' }).split('\n')[0]).toBe('flowchart LR');
    const q = variable([1], { name: 'a"<b>', requiresGrad: true });
    expect(toMermaid(q.exp())).toContain('a#quot;#lt;b#gt;');
  });
});
