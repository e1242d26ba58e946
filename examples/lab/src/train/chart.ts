// A small live line chart in SVG: x in epochs (fractional during an epoch), one polyline per series.
import { fmt, svg } from '../dom.js';

/** One line: points as [epoch, value]. */
export interface Series {
  name: string;
  className: string;
  points: [number, number][];
  /** Draw a dot at every point (per-epoch series). */
  dots?: boolean;
}

/** What to draw. */
export interface ChartOptions {
  label: string;
  series: Series[];
  /** Right end of the x axis in epochs. */
  xMax: number;
  /** Fixed y range (accuracy is [0, 1]); otherwise from the data. */
  yRange?: [number, number];
  percent?: boolean;
}

const WIDTH = 480;
const HEIGHT = 200;
const M = { left: 44, right: 12, top: 10, bottom: 26 };

/** Redraws the chart in `host`. */
export function renderChart(host: HTMLElement, o: ChartOptions): void {
  const all = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const range = o.yRange ?? [Math.min(0, ...all), Math.max(1e-9, ...all)];
  const lo = range[0];
  let hi = range[1];
  if (!o.yRange && all.length > 0) hi *= 1.05;
  if (hi <= lo) hi = lo + 1;
  const xMax = Math.max(o.xMax, 1e-9);
  const px = (x: number): number => M.left + (x / xMax) * (WIDTH - M.left - M.right);
  const py = (y: number): number => HEIGHT - M.bottom - ((y - lo) / (hi - lo)) * (HEIGHT - M.top - M.bottom);
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': describe(o) });
  for (let k = 0; k <= 4; k++) {
    const y = lo + ((hi - lo) * k) / 4;
    root.append(svg('line', { x1: M.left, x2: WIDTH - M.right, y1: py(y), y2: py(y), class: 'grid' }));
    root.append(
      svg('text', { x: M.left - 6, y: py(y) + 4, 'text-anchor': 'end', class: 'tick' }, o.percent ? `${Math.round(y * 100)}%` : fmt(y, 2)),
    );
  }
  const step = Math.max(1, Math.ceil(xMax / 10));
  for (let e = 0; e <= xMax + 1e-9; e += step) {
    root.append(svg('text', { x: px(e), y: HEIGHT - 8, 'text-anchor': 'middle', class: 'tick' }, String(e)));
  }
  // the axis title sits in the corner under the y labels, clear of every tick
  root.append(svg('text', { x: 2, y: HEIGHT - 8, 'text-anchor': 'start', class: 'tick' }, 'epoch'));
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    root.append(
      svg('polyline', {
        points: s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' '),
        class: `line ${s.className}`,
      }),
    );
    if (s.dots) for (const [x, y] of s.points) root.append(svg('circle', { cx: px(x), cy: py(y), r: 3.5, class: `dot ${s.className}` }));
  }
  host.replaceChildren(root);
}

function describe(o: ChartOptions): string {
  const last = o.series
    .filter((s) => s.points.length > 0)
    .map(
      (s) =>
        `${s.name} ${o.percent ? `${(s.points[s.points.length - 1]![1] * 100).toFixed(1)}%` : fmt(s.points[s.points.length - 1]![1], 3)}`,
    );
  return `${o.label}: ${last.length > 0 ? `latest ${last.join(', ')}` : 'no data yet'}`;
}
