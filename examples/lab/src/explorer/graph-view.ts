// The tape drawn as a graph in SVG: inputs and constants are boxes, tape entries are rounded boxes, edges run
// from an input to the op that consumed it. Layered top to bottom by depth; inputs sit just above their first
// consumer; each layer is ordered by the mean position of its inputs (one barycentre pass keeps crossings few).
import { fmtShape, type Tensor } from '@tapegrad/tensor';
import { fmtTensor, svg } from '../dom.js';
import type { Analysis, GraphNode } from './analysis.js';

/** What to overlay on the graph: the step being shown, the gradients reached so far, or forward tangents. */
export interface GraphOverlay {
  current: number | null;
  /** Gradient of each node's output once the backward walk has reached it. */
  grads: Map<number, Tensor>;
  /** Forward-mode tangents by node (when showing forward mode). */
  tangents: (Tensor | null)[] | null;
}

const W = 184;
const H = 62;
const GAP_X = 16;
const GAP_Y = 26;
const PAD = 8;

interface Layout {
  x: number[];
  y: number[];
  width: number;
  height: number;
}

const layouts = new WeakMap<Analysis, Layout>();

function layout(a: Analysis): Layout {
  const cached = layouts.get(a);
  if (cached) return cached;
  const n = a.nodes.length;
  const depth = new Array<number>(n).fill(0);
  for (const node of a.nodes) if (node.kind === 'op') depth[node.index] = 1 + Math.max(...node.inputs.map((i) => depth[i]!));
  const consumers: number[][] = a.nodes.map(() => []);
  for (const node of a.nodes) for (const i of node.inputs) consumers[i]!.push(node.index);
  for (const node of a.nodes) {
    if (node.kind !== 'op' && consumers[node.index]!.length > 0) {
      depth[node.index] = Math.min(...consumers[node.index]!.map((c) => depth[c]!)) - 1;
    }
  }
  const layers: number[][] = [];
  for (const node of a.nodes) (layers[depth[node.index]!] ??= []).push(node.index);
  const slot = new Array<number>(n).fill(0);
  // Two sweeps: the second can place an input by its consumer, whose slot the first sweep found.
  for (let sweep = 0; sweep < 2; sweep++) {
    layers.forEach((layer, d) => {
      if (d > 0 || sweep > 0) {
        const centre = (i: number): number => {
          const node = a.nodes[i]!;
          const near = node.kind === 'op' ? node.inputs : consumers[i]!;
          return near.length === 0 ? slot[i]! : near.reduce((s, j) => s + slot[j]!, 0) / near.length;
        };
        layer.sort((p, q) => centre(p) - centre(q) || p - q);
      }
      layer.forEach((i, k) => (slot[i] = k - (layer.length - 1) / 2));
    });
  }
  const widest = Math.max(...layers.map((l) => l?.length ?? 0));
  const width = widest * (W + GAP_X) - GAP_X + 2 * PAD;
  const x = a.nodes.map((node) => PAD + (slot[node.index]! + (widest - 1) / 2) * (W + GAP_X));
  const y = a.nodes.map((node) => PAD + depth[node.index]! * (H + GAP_Y));
  const result = { x, y, width, height: layers.length * (H + GAP_Y) - GAP_Y + 2 * PAD };
  layouts.set(a, result);
  return result;
}

function title(node: GraphNode): string {
  if (node.kind === 'op') return `${node.op}  →  ${node.label}`;
  if (node.kind === 'input') return `${node.label}  (input)`;
  return `constant ${fmtTensor(node.value, 4, 2)}`;
}

/** Draws the graph of `a` into `host` (replacing what was there) with the overlay's gradients or tangents. */
export function renderGraph(host: HTMLElement, a: Analysis, overlay: GraphOverlay): void {
  const { x, y, width, height } = layout(a);
  const ops = a.nodes.filter((node) => node.kind === 'op').length;
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `Graph of ${ops} tape entries and ${a.evaluation.inputs.length} inputs; the tape table below lists the same entries.`,
    class: 'graph',
  });
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        svg('path', { d: 'M0,0 L8,4 L0,8 z', class: 'arrowhead' }),
      ),
    ),
  );
  for (const node of a.nodes) {
    node.inputs.forEach((i) => {
      const x1 = x[i]! + W / 2;
      const y1 = y[i]! + H;
      const x2 = x[node.index]! + W / 2;
      const y2 = y[node.index]!;
      const mid = (y1 + y2) / 2;
      const flows = overlay.grads.has(node.index) && overlay.grads.has(i);
      root.append(
        svg('path', {
          d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2 - 2}`,
          class: `edge${flows ? ' edge-grad' : ''}`,
          'marker-end': 'url(#arrow)',
        }),
      );
    });
  }
  for (const node of a.nodes) {
    const grad = overlay.grads.get(node.index);
    const tangent = overlay.tangents?.[node.index];
    const classes = ['node', `node-${node.kind}`];
    if (overlay.current === node.index) classes.push('node-current');
    if (grad) classes.push('node-reached');
    const lines = [node.value.ndim === 0 ? 'scalar' : `shape ${fmtShape(node.value.shape)}`, `value ${fmtTensor(node.value, 3, 3)}`];
    if (overlay.tangents) lines.push(tangent ? `tangent ${fmtTensor(tangent, 3, 3)}` : 'tangent 0');
    else if (grad) lines.push(`grad ${fmtTensor(grad, 3, 3)}`);
    const g = svg('g', { class: classes.join(' '), transform: `translate(${x[node.index]},${y[node.index]})`, 'data-node': node.index });
    g.append(svg('rect', { width: W, height: H, rx: node.kind === 'op' ? 14 : 3 }));
    g.append(svg('text', { x: 8, y: 16, class: 'node-title' }, title(node)));
    lines.forEach((line, k) => g.append(svg('text', { x: 8, y: 30 + k * 13.5, class: k === 2 ? 'node-grad' : 'node-line' }, line)));
    root.append(g);
  }
  host.replaceChildren(root);
  if (overlay.current !== null) {
    // keep the step being shown in view inside the graph's own scroll box (the page does not jump)
    const top = y[overlay.current]!;
    if (top < host.scrollTop || top + H > host.scrollTop + host.clientHeight)
      host.scrollTop = Math.max(0, top - (host.clientHeight - H) / 2);
  }
}
