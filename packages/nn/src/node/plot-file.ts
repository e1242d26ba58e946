import { plotHistory, type HistoryLike, type PlotOptions } from '../training/plot.js';
import { writeFileAtomic } from './files.js';

/** Renders {@link plotHistory} and writes the SVG to `path` atomically; returns the SVG text. */
export function writeHistoryPlot(history: HistoryLike, path: string, options: PlotOptions = {}): string {
  const svg = plotHistory(history, options);
  writeFileAtomic(path, svg);
  return svg;
}
