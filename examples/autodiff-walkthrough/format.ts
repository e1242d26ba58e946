/** Printing for the walkthrough: tensors as aligned rows of fixed-point numbers, labelled blocks, small tables. */
import type { Tensor } from '@tapegrad/tensor';

/** One number with `digits` decimals, `-0` shown as `0`. */
export const fixed = (v: number, digits = 6): string => (Object.is(v, -0) ? 0 : v).toFixed(digits);

/** A tensor as lines of aligned fixed-point numbers, one line per row (a vector or a scalar on one line). */
export function rows(t: Tensor, digits = 6): string[] {
  const values = Array.from(t.astype('float64').values(), (v) => fixed(v, digits));
  const width = Math.max(...values.map((s) => s.length));
  const cols = t.ndim === 2 ? t.shape[1]! : t.size;
  const out: string[] = [];
  for (let i = 0; i < values.length; i += cols)
    out.push(
      `[ ${values
        .slice(i, i + cols)
        .map((s) => s.padStart(width))
        .join('  ')} ]`,
    );
  return t.ndim === 0 ? [values[0]!] : out;
}

/** `label` and the rows of `t` side by side, the label padded to `width`. */
export function block(label: string, t: Tensor, width = 26, digits = 6): string[] {
  return rows(t, digits).map((line, i) => `  ${(i === 0 ? label : '').padEnd(width)}${line}`);
}

/** A table with a header row and a rule, columns padded to their widest cell. */
export function table(header: string[], body: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    '  ' +
    cells
      .map((s, c) => s.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}
