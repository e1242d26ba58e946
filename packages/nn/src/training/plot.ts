import { ValueError } from '@tapegrad/tensor';

// Training curves as a standalone SVG string: no DOM, no dependency, so it works in a browser and in Node
// (the node entry writes it to a file).

/**
 * A Keras-style history (`{ history: { loss: [...], val_loss: [...] }, epoch? }`, e.g. a `History` or its
 * JSON) or the bare record. `epoch` is 0-based like Keras' and drawn from 1; `epochs` is drawn as given.
 */
export type HistoryLike =
  { history: Readonly<Record<string, unknown>>; epochs?: readonly number[]; epoch?: readonly number[] } | Readonly<Record<string, unknown>>;

/** Options for {@link plotHistory}. */
export interface PlotOptions {
  /** Total width in pixels (default 960; each panel gets half when there are two). */
  width?: number;
  /** Height in pixels (default 360). */
  height?: number;
  /** Title drawn above the panels. */
  title?: string;
  /** Series keys to leave out (default: `lr`, `time`). */
  exclude?: readonly string[];
}

interface Series {
  key: string;
  values: number[];
  color: string;
  dashed: boolean;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MARGIN = { left: 64, right: 16, top: 44, bottom: 48 };

/**
 * Renders training curves as an SVG string: a loss panel (loss, val_loss) and, when present, a metrics
 * panel (accuracy-like metrics and their val_ twins; other metrics if there is no accuracy), with axes,
 * ticks, labels and a legend. Validation curves are dashed in their training curve's colour; NaN and
 * ±Infinity break the line and are counted in the legend.
 */
export function plotHistory(history: HistoryLike, options: PlotOptions = {}): string {
  const { record, epochs } = unpack(history);
  if (options.title !== undefined && typeof options.title !== 'string') {
    throw new ValueError(`plotHistory: title must be a string, got ${typeof options.title}`);
  }
  if (options.exclude !== undefined && !(Array.isArray(options.exclude) && options.exclude.every((k) => typeof k === 'string'))) {
    throw new ValueError(`plotHistory: exclude must be an array of series names (strings), got ${typeof options.exclude}`);
  }
  const exclude = new Set(options.exclude ?? ['lr', 'time']);
  const keys = Object.keys(record).filter((k) => !exclude.has(k) && !exclude.has(baseName(k)));
  const lossKeys = keys.filter((k) => /loss/i.test(baseName(k)));
  const rest = keys.filter((k) => !lossKeys.includes(k));
  const accKeys = rest.filter((k) => /acc/i.test(baseName(k)));
  const metricKeys = accKeys.length > 0 ? accKeys : rest;
  const panels: { title: string; yLabel: string; keys: string[] }[] = [];
  if (lossKeys.length > 0) panels.push({ title: 'Loss', yLabel: 'loss', keys: lossKeys });
  if (metricKeys.length > 0) {
    const label = accKeys.length > 0 ? 'accuracy' : 'metric';
    panels.push({ title: accKeys.length > 0 ? 'Accuracy' : 'Metrics', yLabel: label, keys: metricKeys });
  }
  const width = checkSize('width', options.width, 960);
  const height = checkSize('height', options.height, 360);
  const titleOffset = options.title ? 28 : 0;
  const totalHeight = height + titleOffset;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${totalHeight}" viewBox="0 0 ${width} ${totalHeight}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${totalHeight}" fill="#ffffff"/>`,
  ];
  if (options.title) {
    parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`);
  }
  if (panels.length === 0) {
    parts.push(`<text x="${width / 2}" y="${titleOffset + height / 2}" text-anchor="middle" fill="#666">no history to plot</text>`);
  }
  const panelWidth = width / Math.max(1, panels.length);
  panels.forEach((panel, i) => {
    const series = seriesFor(panel.keys, record);
    parts.push(renderPanel(panel.title, panel.yLabel, series, epochs, i * panelWidth, titleOffset, panelWidth, height));
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Largest width or height of a plot, in pixels. */
export const MAX_PLOT_SIZE = 100_000;

/** A width or height: a finite number of pixels in [1, {@link MAX_PLOT_SIZE}] (`fallback` when undefined). */
function checkSize(option: 'width' | 'height', value: unknown, fallback: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !(v >= 1 && v <= MAX_PLOT_SIZE)) {
    const got = typeof value === 'number' ? String(value) : `a ${typeof value}`;
    throw new ValueError(
      `plotHistory: width and height must be positive finite numbers of pixels in [1, ${MAX_PLOT_SIZE}]; ${option} got ${got}`,
    );
  }
  return v;
}

function unpack(history: HistoryLike): { record: Record<string, number[]>; epochs: readonly number[] | undefined } {
  if (history === null || typeof history !== 'object') {
    throw new ValueError(`plotHistory: expected a History or a record of number arrays, got ${history === null ? 'null' : typeof history}`);
  }
  const h = history as Record<string, unknown>;
  const inner =
    h.history !== null && typeof h.history === 'object' && !Array.isArray(h.history) ? (h.history as Record<string, unknown>) : h;
  // `epochs` is drawn as given; Keras' `epoch` (0-based, as in History) is drawn 1-based.
  const isNumbers = (x: unknown): x is number[] => Array.isArray(x) && x.every((e) => typeof e === 'number');
  const epochsRaw = inner === h ? undefined : isNumbers(h.epochs) ? h.epochs : isNumbers(h.epoch) ? h.epoch.map((e) => e + 1) : undefined;
  const record: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(inner)) {
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' || x === null)) {
      record[k] = v.map((x: number | null) => (x === null ? Number.NaN : x));
    }
  }
  return { record, epochs: epochsRaw };
}

const baseName = (k: string): string => (k.startsWith('val_') ? k.slice(4) : k);

function seriesFor(keys: string[], record: Record<string, number[]>): Series[] {
  const bases: string[] = [];
  for (const k of keys) if (!bases.includes(baseName(k))) bases.push(baseName(k));
  const ordered = [...keys].sort(
    (a, b) => bases.indexOf(baseName(a)) - bases.indexOf(baseName(b)) || Number(a.startsWith('val_')) - Number(b.startsWith('val_')),
  );
  return ordered.map((key) => ({
    key,
    values: record[key]!,
    color: PALETTE[bases.indexOf(baseName(key)) % PALETTE.length]!,
    dashed: key.startsWith('val_'),
  }));
}

function renderPanel(
  title: string,
  yLabel: string,
  series: Series[],
  epochs: readonly number[] | undefined,
  x0: number,
  y0: number,
  w: number,
  h: number,
): string {
  const plotW = Math.max(10, w - MARGIN.left - MARGIN.right);
  const plotH = Math.max(10, h - MARGIN.top - MARGIN.bottom);
  const left = x0 + MARGIN.left;
  const top = y0 + MARGIN.top;
  const n = Math.max(...series.map((s) => s.values.length));
  const xs = (i: number): number => (epochs && epochs.length > i && Number.isFinite(epochs[i]!) ? epochs[i]! : i + 1);
  let xMin = Infinity;
  let xMax = -Infinity;
  for (let i = 0; i < n; i++) {
    xMin = Math.min(xMin, xs(i));
    xMax = Math.max(xMax, xs(i));
  }
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of series) {
    for (const v of s.values) {
      if (Number.isFinite(v)) {
        yMin = Math.min(yMin, v);
        yMax = Math.max(yMax, v);
      }
    }
  }
  if (!Number.isFinite(yMin)) {
    yMin = 0;
    yMax = 1;
  }
  // a constant series gets a margin around it, kept within the finite numbers
  const clamp = (v: number): number => Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, v));
  const xPad = Math.abs(xMin) > 1e15 ? Math.abs(xMin) * 0.1 : 1;
  const xTicks = niceTicks(xMin === xMax ? clamp(xMin - xPad) : xMin, xMin === xMax ? clamp(xMax + xPad) : xMax, 6, true);
  const yTicks = niceTicks(
    yMin === yMax ? clamp(yMin - (Math.abs(yMin) * 0.1 || 1)) : yMin,
    yMin === yMax ? clamp(yMax + (Math.abs(yMax) * 0.1 || 1)) : yMax,
    5,
    false,
  );
  const [xa, xb] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const [ya, yb] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  // Halves keep the differences finite even for values near ±Number.MAX_VALUE.
  const px = (x: number): number => left + ((x * 0.5 - xa * 0.5) / (xb * 0.5 - xa * 0.5)) * plotW;
  const py = (y: number): number => top + plotH - ((y * 0.5 - ya * 0.5) / (yb * 0.5 - ya * 0.5)) * plotH;
  const f = (v: number): string => (Math.round(v * 100) / 100).toString();
  const out: string[] = [`<g class="panel">`];
  out.push(
    `<text x="${f(left + plotW / 2)}" y="${f(y0 + 22)}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  );
  out.push(`<rect x="${f(left)}" y="${f(top)}" width="${f(plotW)}" height="${f(plotH)}" fill="none" stroke="#333"/>`);
  const xStep = xTicks.length > 1 ? xTicks[1]! - xTicks[0]! : 1;
  const yDiff = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;
  const yStep = Number.isFinite(yDiff) ? yDiff : yTicks[1]! * 0.5 - yTicks[0]! * 0.5;
  const xExp = useExponent(xTicks, xStep);
  const yExp = useExponent(yTicks, yStep);
  for (const t of xTicks) {
    const x = f(px(t));
    out.push(`<line x1="${x}" y1="${f(top)}" x2="${x}" y2="${f(top + plotH)}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${x}" y1="${f(top + plotH)}" x2="${x}" y2="${f(top + plotH + 5)}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${f(top + plotH + 18)}" text-anchor="middle">${formatTick(t, xStep, xExp)}</text>`);
  }
  for (const t of yTicks) {
    const y = f(py(t));
    out.push(`<line x1="${f(left)}" y1="${y}" x2="${f(left + plotW)}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${f(left - 5)}" y1="${y}" x2="${f(left)}" y2="${y}" stroke="#333"/>`);
    out.push(`<text x="${f(left - 8)}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t, yStep, yExp)}</text>`);
  }
  out.push(`<text x="${f(left + plotW / 2)}" y="${f(top + plotH + 38)}" text-anchor="middle">epoch</text>`);
  const ly = top + plotH / 2;
  out.push(
    `<text x="${f(x0 + 16)}" y="${f(ly)}" text-anchor="middle" transform="rotate(-90 ${f(x0 + 16)} ${f(ly)})">${escapeXml(yLabel)}</text>`,
  );
  for (const s of series) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    let segment: string[] = [];
    const flush = (): void => {
      if (segment.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${segment.join(' ')}"/>`);
      segment = [];
    };
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (!Number.isFinite(v)) {
        flush();
        continue;
      }
      const p = `${f(px(xs(i)))},${f(py(v))}`;
      segment.push(p);
      if (s.values.length <= 60) out.push(`<circle cx="${f(px(xs(i)))}" cy="${f(py(v))}" r="${s.dashed ? 2.5 : 3}" fill="${s.color}"/>`);
    }
    flush();
  }
  // Legend inside the plot area, in the right-hand corner the curves end away from (top for a falling
  // loss, bottom for a rising accuracy).
  const lineH = 16;
  const legendW = 20 + 7 * Math.max(...series.map((s) => legendText(s).length));
  const legendH = series.length * lineH + 6;
  const lx = left + plotW - legendW - 8;
  let endSum = 0;
  let endCount = 0;
  for (const s of series) {
    for (let i = s.values.length - 1; i >= 0; i--) {
      if (Number.isFinite(s.values[i]!)) {
        endSum += s.values[i]!;
        endCount++;
        break;
      }
    }
  }
  const endsHigh = endCount > 0 && endSum / endCount > (ya + yb) / 2;
  let lyy = endsHigh ? top + plotH - legendH - 4 : top + 8;
  out.push(
    `<rect x="${f(lx - 6)}" y="${f(lyy - 4)}" width="${f(legendW + 8)}" height="${f(legendH)}" ` +
      `fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`,
  );
  for (const s of series) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${f(lx)}" y1="${f(lyy + 6)}" x2="${f(lx + 16)}" y2="${f(lyy + 6)}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${f(lx + 20)}" y="${f(lyy + 6)}" dominant-baseline="middle">${escapeXml(legendText(s))}</text>`);
    lyy += lineH;
  }
  out.push('</g>');
  return out.join('\n');
}

function legendText(s: Series): string {
  let bad = 0;
  for (const v of s.values) if (!Number.isFinite(v)) bad++;
  return bad > 0 ? `${s.key} (${bad} non-finite)` : s.key;
}

/** Round tick values (1, 2, 5 × 10^k steps) covering [min, max]; integer steps only when `integer`. */
export function niceTicks(min: number, max: number, count: number, integer: boolean): number[] {
  const n = Math.max(1, Math.min(100, Math.floor(count) || 1));
  // near ±Number.MAX_VALUE the round ticks around [min, max] are not all finite: evenly spaced ones, finite, instead
  const even = (): number[] => Array.from({ length: n + 1 }, (_, i) => (i === n ? max : min * (1 - i / n) + max * (i / n)));
  const span = max - min;
  if (!Number.isFinite(span)) return even();
  let step = niceStep(span / n);
  if (integer) step = Math.max(1, Math.round(step));
  const start = Math.floor(min / step + 1e-9) * step;
  const end = Math.ceil(max / step - 1e-9) * step;
  if (!Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(end - start) || (end - start) / step > 4 * n + 2) return even();
  const ticks: number[] = [];
  for (let i = 0; start + i * step <= end + step * 1e-9 && i <= 4 * n + 2; i++) ticks.push(start + i * step);
  if (ticks.length < 2) ticks.push(start + step);
  return ticks;
}

function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

function useExponent(ticks: number[], step: number): boolean {
  return Math.abs(step) < 1e-4 || ticks.some((t) => Math.abs(t) >= 1e6);
}

function formatTick(v: number, step: number, exponent: boolean): string {
  if (Math.abs(v) < Math.abs(step) * 1e-9) return '0';
  if (exponent) return v.toExponential(2);
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
