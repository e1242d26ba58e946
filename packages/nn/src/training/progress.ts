import { ValueError, fmtValue } from '@tapegrad/tensor';
import { checkNumberOption } from './option-checks.js';

/**
 * Where progress is written: `process.stdout` satisfies it in Node; `isTTY` enables the live bar, and `columns`
 * (the terminal's width, read at every redraw) keeps each redrawn line within one terminal row.
 */
export interface ProgressWriter {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** A writer that prints whole lines with `console.log` (never a TTY): the browser-safe default. */
export const consoleWriter: ProgressWriter = {
  isTTY: false,
  write(s: string): void {
    const line = s.replace(/\r/g, '').replace(/\n$/, '');
    if (line.length > 0) console.log(line);
  },
};

/** Formats seconds as `1m05s` / `12s` / `0.4s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Formats logs as `loss: 0.1234 - accuracy: 0.9612` (Keras order as given). */
export function formatLogs(logs: Record<string, number>): string {
  return logParts(logs).join(' - ');
}

/** `loss: 0.1234`, `accuracy: 0.9612`, … one part per log but `time` and `lr` (see {@link formatLogs}). */
function logParts(logs: Record<string, number>): string[] {
  return Object.keys(logs)
    .filter((k) => k !== 'time' && k !== 'lr')
    .map((k) => `${k}: ${formatNumber(logs[k]!)}`);
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

/** Options of a {@link ProgressBar}. */
export interface ProgressOptions {
  /** 0 silent, 1 live bar on a TTY (one line per epoch otherwise), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  writer?: ProgressWriter;
  /** Bar width in characters. */
  width?: number;
  /** Injected clock in milliseconds (tests); `performance.now` / `Date.now` otherwise. */
  now?: () => number;
  /** Minimum milliseconds between two redraws of the live bar. */
  interval?: number;
}

/** Widest bar, in characters. */
export const MAX_BAR_WIDTH = 1000;
/** Longest interval between two redraws, in milliseconds (one hour). */
const MAX_INTERVAL_MS = 3_600_000;

const defaultNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Keras-style progress: on a TTY a live bar `Epoch 3/10  [=====>....] 120/938 ETA 4.1s - loss: …`
 * redrawn with `\r`; otherwise (or with `verbose: 2`) one summary line per epoch; `verbose: 0` prints nothing.
 */
export class ProgressBar {
  readonly verbose: 0 | 1 | 2;
  readonly writer: ProgressWriter;
  readonly width: number;
  private readonly now: () => number;
  private readonly interval: number;
  private epochStart = 0;
  private lastDraw = -Infinity;
  private epochs = 0;
  private epoch = 0;
  private steps = 0;
  private live = false;

  constructor(options: ProgressOptions = {}) {
    const verbose = options.verbose ?? 1;
    if (verbose !== 0 && verbose !== 1 && verbose !== 2) {
      throw new ValueError(`ProgressBar: verbose must be 0, 1 or 2, got ${fmtValue(options.verbose)}`);
    }
    this.verbose = verbose;
    this.writer = options.writer ?? consoleWriter;
    if (this.writer === null || typeof this.writer !== 'object' || typeof this.writer.write !== 'function') {
      throw new ValueError(`ProgressBar: writer must be an object with a write(s) method, got ${fmtValue(options.writer)}`);
    }
    this.width = checkNumberOption('ProgressBar', 'width', options.width, 30, { min: 1, max: MAX_BAR_WIDTH, integer: true });
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new ValueError(`ProgressBar: now must be a function returning milliseconds, got ${fmtValue(options.now)}`);
    }
    this.now = options.now ?? defaultNow;
    this.interval = checkNumberOption('ProgressBar', 'interval', options.interval, 100, { min: 0, max: MAX_INTERVAL_MS });
  }

  /** Starts an epoch (`epoch` 0-based) of `steps` batches. */
  epochBegin(epoch: number, epochs: number, steps: number): void {
    this.epoch = epoch;
    this.epochs = epochs;
    this.steps = steps;
    this.epochStart = this.now();
    this.lastDraw = -Infinity;
    this.live = this.verbose === 1 && this.writer.isTTY === true;
    if (this.live) this.writer.write(`Epoch ${epoch + 1}/${epochs}\n`);
  }

  /** Reports that `step` batches (1-based count) are done, with the running logs. */
  batchEnd(step: number, logs: Record<string, number>): void {
    if (!this.live) return;
    const t = this.now();
    if (step < this.steps && t - this.lastDraw < this.interval) return;
    this.lastDraw = t;
    this.writer.write(`\r${this.barLine(step, logs, t)}\x1b[K`);
  }

  /** Ends the epoch with its final logs (including validation) and writes the epoch line. */
  epochEnd(logs: Record<string, number>): void {
    if (this.verbose === 0) return;
    const elapsed = (this.now() - this.epochStart) / 1000;
    const parts = [formatDuration(elapsed), ...logParts(logs)];
    if (this.live) {
      // the last redraw of the bar; a line too wide for the terminal continues on whole rows of its own
      const lines = this.fit(this.steps, [`${this.steps}/${this.steps}`, ...parts], false);
      this.writer.write(`\r${lines.join('\x1b[K\n')}\x1b[K\n`);
    } else {
      this.writer.write(`Epoch ${this.epoch + 1}/${this.epochs} - ${parts.join(' - ')}\n`);
    }
  }

  /** The bar text for `step` of the current epoch: one terminal row at most (shorter bar, fewer logs if it must). */
  barLine(step: number, logs: Record<string, number>, t = this.now()): string {
    const elapsed = (t - this.epochStart) / 1000;
    const eta = step > 0 ? (elapsed / step) * (this.steps - step) : NaN;
    const counter = `${String(step).padStart(String(this.steps).length)}/${this.steps}`;
    return this.fit(step, [counter, `ETA ${formatDuration(eta)}`, ...logParts(logs)], true)[0]!;
  }

  /**
   * Lays out `[bar] part - part - …` within the terminal's width (unknown width: one line, full bar). The bar
   * shrinks to 10 characters, then goes; past that a live row (`oneRow`, redrawn with `\r`, so it must never wrap)
   * drops trailing parts, and a final line continues its parts on further rows.
   */
  private fit(step: number, parts: string[], oneRow: boolean): string[] {
    const room = (this.writer.columns ?? Infinity) - 1;
    const text = parts.join(' - ');
    if (text.length + this.width + 3 <= room) return [`${this.bar(step, this.width)} ${text}`];
    const barWidth = Math.floor(room - text.length - 3);
    if (barWidth >= 10) return [`${this.bar(step, barWidth)} ${text}`];
    const rows: string[] = [];
    let row = '';
    for (const part of parts) {
      const next = row === '' ? part : `${row} - ${part}`;
      if (next.length <= room || row === '') row = next;
      else {
        rows.push(row);
        if (oneRow) break;
        row = part;
      }
    }
    if (!oneRow || rows.length === 0) rows.push(row);
    return oneRow ? [rows[0]!.slice(0, Math.max(room, 1))] : rows;
  }

  private bar(step: number, w: number): string {
    const filled = this.steps > 0 ? Math.min(w, Math.floor((step / this.steps) * w)) : w;
    if (filled >= w) return `[${'='.repeat(w)}]`;
    return `[${'='.repeat(filled)}>${'.'.repeat(w - filled - 1)}]`;
  }
}
