// Edge cases of the tape listing and graph drawings: what an empty tape says, and names with control characters.
import { describe, expect, it } from 'vitest';
import { noGrad, variable } from '../src/index.js';
import { formatTape, tape, toDot, toMermaid } from '../src/graph.js';

describe('formatTape of an empty tape', () => {
  it('calls a leaf that requires a gradient a leaf made by no op', () => {
    const w = variable([[1, 2, 3], [4, 5, 6]], { requiresGrad: true, name: 'W' });
    expect(formatTape(w)).toBe('(empty tape: W [2, 3] float32 is a leaf that requires a gradient; no op made it)');
    const unnamed = variable([1], { requiresGrad: true });
    expect(formatTape(unnamed)).toBe('(empty tape: leaf [1] float32 is a leaf that requires a gradient; no op made it)');
  });

  it('does not call a value computed under noGrad a leaf made by no op: it is untracked', () => {
    const w = variable([[1, 2, 3], [4, 5, 6]], { requiresGrad: true, name: 'W' });
    const y = noGrad(() => w.mul(2));
    expect(tape(y)).toEqual([]);
    const text = formatTape(y);
    expect(text).not.toMatch(/made by no op/);
    expect(text).not.toMatch(/^\(empty tape: leaf/);
    expect(text).toBe(
      '(empty tape: value [2, 3] float32 is untracked (requiresGrad false): a leaf, or a result computed under noGrad ' +
        'or from inputs that require no gradient — no op was recorded)',
    );
    // the same holds for a result of inputs that require no gradient, and for a constant leaf
    expect(formatTape(variable([1, 2]).mul(3))).toMatch(/^\(empty tape: value \[2\] float32 is untracked/);
    expect(formatTape(variable([1, 2], { name: 'c' }))).toMatch(/^\(empty tape: c \[2\] float32 is untracked/);
  });
});

describe('names with control characters', () => {
  function graph(): ReturnType<typeof variable> {
    const x = variable([[1, 2]], { name: 'x\tin' });
    const b = variable([0.5, 0.25], { requiresGrad: true, name: 'b\nline' });
    const y = x.add(b).sum();
    y.name = 'loss\r\u0007';
    return y;
  }

  it('formatTape escapes them, so every row stays on one line', () => {
    const text = formatTape(graph());
    const lines = text.split('\n');
    expect(lines).toHaveLength(2 + tape(graph()).length);
    expect(text).toContain('x\\tin [1, 2]');
    expect(text).toContain('b\\nline [2]');
    expect(text).toContain('loss\\r\\u0007 []');
    const b = variable([1], { requiresGrad: true, name: 'a\nb' });
    expect(formatTape(b)).toBe('(empty tape: a\\nb [1] float32 is a leaf that requires a gradient; no op made it)');
  });

  it('toDot escapes them: one line per node, the escape shown as text', () => {
    const dot = toDot(graph());
    const lines = dot.split('\n');
    expect(lines.every((l) => l === '}' || l.startsWith('digraph') || l.startsWith('  '))).toBe(true);
    // the label shows the two characters \n, written \\n in DOT source
    expect(dot).toContain('label="b\\\\nline\\n[2] float32"');
    expect(dot).toContain('label="x\\\\tin\\n[1, 2] float32"');
    expect(lines.filter((l) => /\p{Cc}/u.test(l))).toEqual([]);
  });

  it('toMermaid escapes them: one line per node', () => {
    const text = toMermaid(graph());
    const lines = text.split('\n');
    expect(lines.every((l) => l.startsWith('flowchart') || l.startsWith('  '))).toBe(true);
    expect(text).toContain('["b\\nline<br/>[2] float32"]');
    expect(text).toContain('loss\\r\\u0007');
    expect(lines.filter((l) => /\p{Cc}/u.test(l))).toEqual([]);
  });

  it('leaves printable names as they were', () => {
    const a = variable([1], { name: 'say "hi" \\ <b>', requiresGrad: true });
    expect(toDot(a.exp())).toContain('label="say \\"hi\\" \\\\ <b>\\n[1] float32"');
    expect(toMermaid(a.exp())).toContain('say #quot;hi#quot; \\ #lt;b#gt;<br/>[1] float32');
    expect(formatTape(a.exp())).toContain('say "hi" \\ <b> [1]');
  });
});

describe('labels of unnamed results', () => {
  it('#k is the output of row k of this listing, whatever graphs were built before', () => {
    variable([1], { requiresGrad: true }).exp().sum(); // advances the global entry ids
    const x = variable([1, 2, 3], { requiresGrad: true });
    const rows = tape(x.exp().mul(x).sum());
    expect(rows.map((r) => r.label)).toEqual(['#0', '#1', '#2']);
    expect(rows[1]!.inputs.map((i) => i.label)).toEqual(['#0', 'leaf0']);
  });
});

describe('long tapes', () => {
  it('formatTape lists a tape of 150,000 entries (spreading one argument per row overflowed the stack at ~120,000)', () => {
    let y = variable([1, 2], { requiresGrad: true });
    for (let i = 0; i < 75_000; i++) y = y.mul(1.0001).add(0.1);
    const text = formatTape(y);
    expect(text.split('\n')).toHaveLength(150_000 + 2);
  });
});
