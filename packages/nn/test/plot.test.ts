import { describe, expect, it } from 'vitest';
import { ValueError } from '@tapegrad/tensor';
import { History } from '../src/training/history.js';
import { niceTicks, plotHistory } from '../src/training/plot.js';

/** Checks that every opened tag is closed in order (a tiny well-formedness test, no XML parser needed). */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose) continue;
    if (close) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
}

const attr = (tag: string, name: string): string => new RegExp(`${name}="([^"]*)"`).exec(tag)![1]!;
const polylines = (svg: string): string[] => [...svg.matchAll(/<polyline[^>]*>/g)].map((m) => m[0]);
const points = (tag: string): [number, number][] => attr(tag, 'points').split(' ').map((p) => p.split(',').map(Number) as [number, number]);
const yTickLabels = (panel: string): number[] =>
  [...panel.matchAll(/<text[^>]*text-anchor="end"[^>]*>([^<]*)<\/text>/g)].map((m) => Number(m[1]));
const xTickLabels = (panel: string): string[] =>
  [...panel.matchAll(/<text[^>]*y="[^"]*" text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]!);
const panels = (svg: string): string[] => svg.split('<g class="panel">').slice(1);

describe('plotHistory', () => {
  const history = {
    history: {
      loss: [2.3, 1.1, 0.7, 0.5, 0.42],
      val_loss: [2.4, 1.3, 0.9, 0.8, 0.85],
      accuracy: [0.2, 0.6, 0.75, 0.82, 0.86],
      val_accuracy: [0.18, 0.55, 0.7, 0.74, 0.73],
      lr: [0.01, 0.01, 0.01, 0.005, 0.005],
    },
  };

  it('draws a loss panel and an accuracy panel with dashed validation curves and a legend', () => {
    const svg = plotHistory(history, { title: 'MLP on <mnist>' });
    assertWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('MLP on &lt;mnist&gt;');
    const [lossPanel, accPanel] = panels(svg);
    expect(panels(svg)).toHaveLength(2);
    expect(lossPanel).toContain('>Loss</text>');
    expect(accPanel).toContain('>Accuracy</text>');
    expect(svg).not.toContain('>lr<'); // lr is excluded by default
    for (const key of ['loss', 'val_loss']) expect(lossPanel).toContain(`>${key}</text>`);
    for (const key of ['accuracy', 'val_accuracy']) expect(accPanel).toContain(`>${key}</text>`);
    expect(svg.match(/>epoch<\/text>/g)).toHaveLength(2);
    const lines = polylines(svg);
    expect(lines).toHaveLength(4);
    expect(lines.filter((l) => l.includes('stroke-dasharray'))).toHaveLength(2);
    // a validation curve shares its training curve's colour
    expect(attr(lines[0]!, 'stroke')).toBe(attr(lines[1]!, 'stroke'));
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    // the legend sits where the curves are not: top for the falling loss, bottom for the rising accuracy
    const legendY = (panel: string): number => Number(/<rect x="[^"]*" y="([^"]*)"[^>]*fill-opacity/.exec(panel)![1]);
    const frameMid = (panel: string): number => {
      const m = /<rect x="[^"]*" y="([\d.]+)" width="[^"]*" height="([\d.]+)" fill="none"/.exec(panel)!;
      return Number(m[1]) + Number(m[2]) / 2;
    };
    expect(legendY(lossPanel!)).toBeLessThan(frameMid(lossPanel!));
    expect(legendY(accPanel!)).toBeGreaterThan(frameMid(accPanel!));
  });

  it('maps values to coordinates monotonically inside the plot area, with ticks covering the data', () => {
    const svg = plotHistory(history);
    const [lossPanel] = panels(svg);
    const rect = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(lossPanel!)!.slice(1).map(Number);
    const [rx, ry, rw, rh] = rect as [number, number, number, number];
    const loss = points(polylines(svg)[0]!);
    expect(loss).toHaveLength(5);
    for (let i = 1; i < loss.length; i++) {
      expect(loss[i]![0]).toBeGreaterThan(loss[i - 1]![0]); // epochs go right
      expect(loss[i]![1]).toBeGreaterThan(loss[i - 1]![1]); // a falling loss goes down the page
    }
    for (const [x, y] of loss) {
      expect(x).toBeGreaterThanOrEqual(rx - 1e-9);
      expect(x).toBeLessThanOrEqual(rx + rw + 1e-9);
      expect(y).toBeGreaterThanOrEqual(ry - 1e-9);
      expect(y).toBeLessThanOrEqual(ry + rh + 1e-9);
    }
    const yTicks = yTickLabels(lossPanel!);
    expect(yTicks.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...yTicks)).toBeLessThanOrEqual(0.42);
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(2.4);
    expect(xTickLabels(lossPanel!)).toContain('5');
  });

  it('breaks lines at NaN and ±Infinity and says so in the legend', () => {
    const svg = plotHistory({ loss: [1, 0.9, Number.NaN, 0.5, 0.4, Infinity, -Infinity] });
    assertWellFormed(svg);
    expect(polylines(svg)).toHaveLength(2);
    expect(svg).toContain('loss (3 non-finite)');
    expect(svg).not.toMatch(/NaN|Infinity/);
    const allBad = plotHistory({ loss: [Number.NaN, Number.NaN] });
    expect(allBad).not.toMatch(/NaN"|Infinity"/);
    expect(polylines(allBad)).toHaveLength(0);
  });

  it('handles a single epoch, constant values, custom epochs, metric-only and empty histories', () => {
    const one = plotHistory({ history: { loss: [0.7], val_loss: [0.9] } });
    assertWellFormed(one);
    expect(panels(one)).toHaveLength(1);
    expect(one.match(/<circle/g)).toHaveLength(2);
    expect(one).not.toMatch(/NaN|Infinity/);
    const flat = plotHistory({ loss: [0.5, 0.5, 0.5] });
    expect(flat).not.toMatch(/NaN|Infinity/);
    const yTicks = yTickLabels(panels(flat)[0]!);
    expect(Math.min(...yTicks)).toBeLessThan(0.5);
    expect(Math.max(...yTicks)).toBeGreaterThan(0.5);
    const shifted = plotHistory({ history: { loss: [3, 2, 1] }, epochs: [10, 11, 12] });
    expect(xTickLabels(panels(shifted)[0]!)).toEqual(expect.arrayContaining(['10', '11', '12']));
    for (const extreme of [[1e308, -1e308], [1e-30, 3e-30], [1, 2e6]]) {
      const svg = plotHistory({ loss: extreme });
      assertWellFormed(svg);
      expect(svg).not.toMatch(/NaN|Infinity/);
      const ticks = yTickLabels(panels(svg)[0]!);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.length).toBeLessThanOrEqual(12);
      expect(Math.min(...ticks)).toBeLessThanOrEqual(Math.min(...extreme));
      expect(Math.max(...ticks)).toBeGreaterThanOrEqual(Math.max(...extreme) * (1 - 1e-9));
    }
    const metricsOnly = plotHistory({ mae: [0.3, 0.2], val_mae: [0.4, 0.3] });
    expect(panels(metricsOnly)).toHaveLength(1);
    expect(metricsOnly).toContain('>Metrics</text>');
    const empty = plotHistory({});
    assertWellFormed(empty);
    expect(empty).toContain('no history to plot');
  });

  it('ignores non-numeric entries, escapes names and validates its input', () => {
    const svg = plotHistory({ history: { loss: [1, 0.5], seed: 'abc' as unknown as number[], 'a<b&c_acc': [0.1, 0.2] } });
    expect(svg).toContain('a&lt;b&amp;c_acc');
    expect(svg).not.toContain('abc');
    expect(() => plotHistory(null as never)).toThrow(ValueError);
    expect(() => plotHistory({ loss: [1] }, { width: 0 })).toThrow(/width and height must be positive/);
  });
});

describe('plotHistory with a History from fit', () => {
  it('draws History objects and their JSON, numbering Keras 0-based epochs from 1', () => {
    const h = new History({ epochs: 3 });
    h.record(0, { loss: 1, accuracy: 0.5, val_loss: 1.1, val_accuracy: 0.4, lr: 0.1, time: 0.2 });
    h.record(1, { loss: 0.6, accuracy: 0.7, val_loss: 0.8, val_accuracy: 0.6, lr: 0.1, time: 0.2 });
    h.record(2, { loss: 0.4, accuracy: 0.8, val_loss: 0.7, val_accuracy: 0.7, lr: 0.1, time: 0.2 });
    for (const source of [h, h.toJSON(), JSON.parse(JSON.stringify(h))]) {
      const svg = plotHistory(source);
      expect(panels(svg)).toHaveLength(2);
      expect(polylines(svg)).toHaveLength(4);
      const ticks = xTickLabels(panels(svg)[0]!);
      expect(ticks).toEqual(expect.arrayContaining(['1', '2', '3']));
      expect(svg).not.toContain('>time<');
    }
  });
});

describe('niceTicks', () => {
  it('uses 1-2-5 steps that cover the range', () => {
    expect(niceTicks(0.42, 2.4, 5, false)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(1, 5, 6, true)).toEqual([1, 2, 3, 4, 5]);
    const t = niceTicks(1, 300, 6, true);
    expect(t[0]).toBeLessThanOrEqual(1);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(300);
    expect(t[1]! - t[0]!).toBe(50);
  });
});
