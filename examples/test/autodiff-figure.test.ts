/**
 * docs/autodiff-graph.svg, the figure of docs/autodiff.md: the DOT text examples/autodiff-walkthrough/figure.ts
 * feeds Graphviz is the committed docs/autodiff-graph.dot, it carries the value and the gradient of every node, and
 * the committed SVG was rendered from it (every label line and edge is in it; where `dot` is installed, rendering
 * again gives the same bytes).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { figureDot, figureMermaid, figurePaths, renderSvg, scalarGraph } from '../autodiff-walkthrough/figure.js';

const hasDot = ((): boolean => {
  try {
    execFileSync('dot', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The label lines of every node of a DOT text, by node id. */
const labels = (dot: string): Map<string, string[]> =>
  new Map([...dot.matchAll(/^\s+(n\d+) \[shape=\w+, label="([^"]*)"/gm)].map((m) => [m[1]!, m[2]!.split('\\n')]));

describe('the figure of docs/autodiff.md', () => {
  it('is L = (a·b + a)² at a = 2, b = 3 with the value and the gradient of every node', () => {
    const { a, b, c, d, L } = scalarGraph();
    expect([a, b, c, d, L].map((v) => v.item())).toEqual([2, 3, 6, 8, 64]);
    expect([a, b, c, d, L].map((v) => v.grad!.item())).toEqual([64, 32, 16, 16, 1]);
    const dot = figureDot();
    expect(readFileSync(figurePaths.dot, 'utf8')).toBe(dot);
    const nodes = labels(dot);
    expect([...nodes.values()].map((l) => l.filter((s) => /^(value|grad) /.test(s)))).toEqual([
      ['value 2', 'grad 64'],
      ['value 3', 'grad 32'],
      ['value 6', 'grad 16'],
      ['value 8', 'grad 16'],
      ['value 64', 'grad 1'],
    ]);
    expect(figureMermaid()).toContain('grad 64');
  });

  it('the committed SVG is the rendering of that DOT text', () => {
    const dot = figureDot();
    const svg = readFileSync(figurePaths.svg, 'utf8');
    for (const [id, lines] of labels(dot)) {
      const node = new RegExp(`<title>${id}</title>([\\s\\S]*?)</g>`).exec(svg);
      expect(node, `node ${id} in the SVG`).not.toBeNull();
      const texts = [...node![1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(texts, `node ${id}'s lines`).toEqual(lines);
    }
    expect(svg.match(/class="edge"/g)).toHaveLength(dot.match(/->/g)!.length);
  });

  it.runIf(hasDot)('rendering it again with Graphviz gives the committed bytes', () => {
    expect(renderSvg(figureDot())).toBe(readFileSync(figurePaths.svg, 'utf8'));
  });
});
