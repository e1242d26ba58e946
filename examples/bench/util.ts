/** Shared plumbing for the benchmark sections: timing, rows, tables. */

/** One measured number. `value` is in `unit` (higher is better); `ms` is the time of one call. */
export interface Row {
  section: string;
  case: string;
  impl: string;
  unit: 'GFLOP/s' | 'GB/s' | 's/epoch' | string;
  value: number;
  ms: number;
  /** value / baseline value for the same case (filled in by the runner). */
  ratio?: number;
  note?: string;
}

/** What a section gets from the runner. */
export interface BenchContext {
  /** `--quick`: fewer repetitions and smaller problems, for a smoke run. */
  quick: boolean;
  log(message: string): void;
}

/** A benchmark section: measures its cases on every implementation it knows and returns the rows. */
export interface Section {
  name: string;
  title: string;
  /** The implementation the ratios are relative to (falls back to the first one measured). */
  baseline: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

/**
 * Milliseconds per call of `fn`: one warm-up call, then batches until `minMs` have passed; the median
 * batch is reported. A single call slower than `minMs` is reported as is (after its own warm-up).
 */
export function measure(fn: () => void, minMs = 400): number {
  let t0 = performance.now();
  fn();
  const first = performance.now() - t0;
  if (first > minMs) {
    t0 = performance.now();
    fn();
    return performance.now() - t0;
  }
  const perBatch = Math.max(1, Math.ceil(minMs / 8 / Math.max(first, 1e-3)));
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 3 || performance.now() - start < minMs) {
    t0 = performance.now();
    for (let i = 0; i < perBatch; i++) fn();
    samples.push((performance.now() - t0) / perBatch);
    if (samples.length > 200) break;
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

/** `loss 0.512 → 0.401 → …`: a contender's loss after each epoch, for a row's note. */
export const lossTrail = (loss: number[]): string => `loss ${loss.map((v) => v.toFixed(3)).join(' → ')}`;

/**
 * An empty row list and `add(case, impl, ms, note?)`, which appends the row of one measurement of a named case:
 * `value = valueOf(case, ms)` in `unit`.
 */
export function rowCollector<C extends { name: string }>(
  section: string,
  unit: Row['unit'],
  valueOf: (c: C, ms: number) => number,
): { rows: Row[]; add: (c: C, impl: string, ms: number, note?: string) => void } {
  const rows: Row[] = [];
  const add = (c: C, impl: string, ms: number, note?: string): void => {
    rows.push({ section, case: c.name, impl, unit, value: valueOf(c, ms), ms, ...(note ? { note } : {}) });
  };
  return { rows, add };
}

/** Fills ratio = value / baseline value per case. */
export function addRatios(rows: Row[], baseline: string): void {
  const byCase = new Map<string, number>();
  for (const r of rows) if (r.impl === baseline) byCase.set(r.case, r.value);
  for (const r of rows) {
    const base = byCase.get(r.case);
    if (base !== undefined && base > 0) r.ratio = r.value / base;
  }
}

/** A plain-text table: one line per row, columns padded. */
export function table(rows: Row[], baseline: string): string {
  const head = ['case', 'impl', 'value', 'unit', 'ms/call', `× ${baseline}`, 'note'];
  const body = rows.map((r) => [
    r.case,
    r.impl,
    r.value.toFixed(r.value >= 100 ? 0 : 2),
    r.unit,
    r.ms >= 100 ? r.ms.toFixed(0) : r.ms.toFixed(3),
    r.ratio === undefined ? '-' : r.ratio.toFixed(2),
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The value after `--name` on the command line, or null when the option is absent (or has no value). */
export function cliOption(name: string): string | null {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? null) : null;
}
