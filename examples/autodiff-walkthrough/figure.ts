/**
 * The figure of docs/autodiff.md: the scalar graph L = d·d with d = a·b + a at a = 2, b = 3, after
 * `L.backward()`, drawn by the project's own `toDot` with the value and the gradient on every node, and rendered to
 * SVG by Graphviz (`dot`, from Debian's `graphviz` package). The intermediate nodes keep their gradients through a
 * hook (what PyTorch calls `retain_grad`): backward() fills `.grad` of leaves only.
 *
 * Run: `tsx examples/autodiff-walkthrough/figure.ts` (writes docs/autodiff-graph.dot and docs/autodiff-graph.svg).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Variable, toDot, toMermaid, topologicalOrder, variable } from '@tapegrad/autograd';
import { runIfMain } from '../shared/cli.js';

/** The figure's graph after backward: every node named, every node holding its gradient. */
export function scalarGraph(): { a: Variable; b: Variable; c: Variable; d: Variable; L: Variable } {
  const a = variable(2, { requiresGrad: true, name: 'a' });
  const b = variable(3, { requiresGrad: true, name: 'b' });
  const c = a.mul(b);
  const d = c.add(a);
  const L = d.mul(d);
  [c.name, d.name, L.name] = ['c', 'd', 'L'];
  // Keep the gradient arriving at each op's output (a leaf's .grad is filled by backward itself).
  for (const v of topologicalOrder(L)) {
    if (v.entry !== null) v.registerHook((g) => void (v.grad = g.value));
  }
  L.backward();
  return { a, b, c, d, L };
}

/** The DOT text the SVG is rendered from (values and gradients on every node, left to right). */
export function figureDot(): string {
  return toDot(scalarGraph().L, { values: true, grads: true, direction: 'LR' }) + '\n';
}

/** The same graph as a Mermaid flowchart (for Markdown viewers that render ```mermaid blocks). */
export function figureMermaid(): string {
  return toMermaid(scalarGraph().L, { values: true, grads: true, direction: 'LR' }) + '\n';
}

/** Where the figure's files live. */
export const figurePaths = {
  dot: fileURLToPath(new URL('../../docs/autodiff-graph.dot', import.meta.url)),
  svg: fileURLToPath(new URL('../../docs/autodiff-graph.svg', import.meta.url)),
};

/** Renders DOT text to SVG with Graphviz's `dot`. */
export function renderSvg(dot: string): string {
  return execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
}

runIfMain(
  import.meta.url,
  'figure',
  'usage: tsx examples/autodiff-walkthrough/figure.ts   (needs Graphviz: apt-get install graphviz)',
  () => {
    const dot = figureDot();
    writeFileSync(figurePaths.dot, dot);
    writeFileSync(figurePaths.svg, renderSvg(dot));
    console.log(`wrote ${figurePaths.dot} and ${figurePaths.svg}`);
  },
);
