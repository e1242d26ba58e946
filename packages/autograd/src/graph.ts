import { fmtShape, type DType, type Tensor } from '@tapegrad/tensor';
import type { Variable } from './core.js';
import { topologicalOrder } from './engine.js';

/** One input of a {@link TapeRow}: its label, shape and dtype. */
export interface TapeInput {
  /** The input's name, `#id` of the entry that made it, or `leafN` for the N-th unnamed leaf. */
  label: string;
  /** The input's shape. */
  shape: number[];
  /** The input's dtype. */
  dtype: DType;
  /**
   * True when the input has no tape entry: a leaf made by no op, or a constant computed untracked (under noGrad,
   * or from inputs that require no gradient).
   */
  leaf: boolean;
}

/** One row of a tape listing: a tape entry (one op application) as plain data, in forward order. */
export interface TapeRow {
  /** Position on the tape (0 = first op applied). */
  index: number;
  /** The id of the tape entry. */
  id: number;
  /** The op's name (`mul`, `matmul`, …). */
  op: string;
  /** The op's derivative table line (`y = a·b   ∂a = g·b …`): the VJP that produced the inputs' gradients. */
  formula?: string;
  /** The op's inputs, in argument order. */
  inputs: TapeInput[];
  /** Label of the result (its name, or `#id`). */
  label: string;
  /** The result's name, if it has one. */
  name?: string;
  /** The result's shape. */
  outputShape: number[];
  /** The result's dtype. */
  dtype: DType;
}

/** Options of {@link toDot} and {@link toMermaid}. */
export interface GraphOptions {
  /** Show (a few of) each variable's values. */
  values?: boolean;
  /** Show (a few of) each variable's gradient, when it has one. */
  grads?: boolean;
  /** Layout direction. Default `'TB'` (top to bottom). */
  direction?: 'TB' | 'LR' | 'BT' | 'RL';
}

interface Labelled {
  order: Variable[];
  label: Map<Variable, string>;
}

function labelGraph(output: Variable): Labelled {
  const order = topologicalOrder(output);
  const label = new Map<Variable, string>();
  let leaves = 0;
  let rows = 0;
  for (const v of order) {
    // an unnamed result is called after its row in this listing (#k is the output of row k), not by its global id
    if (v.entry) label.set(v, v.name ?? `#${rows}`);
    else label.set(v, v.name ?? `leaf${leaves++}`);
    if (v.entry) rows++;
  }
  return { order, label };
}

/**
 * The tape that produced `output`: one entry per op application, inputs before outputs (the order the
 * forward pass ran; backward walks it in reverse).
 * @example tape(loss).map((e) => e.op)   // ['matmul', 'add', 'relu', 'sum']
 */
export function tape(output: Variable): TapeRow[] {
  const { order, label } = labelGraph(output);
  const rows: TapeRow[] = [];
  for (const v of order) {
    const entry = v.entry;
    if (!entry) continue;
    const row: TapeRow = {
      index: rows.length,
      id: entry.id,
      op: entry.op.name,
      inputs: entry.inputs.map((x) => ({ label: label.get(x) ?? '?', shape: [...x.shape], dtype: x.dtype, leaf: x.entry === null })),
      label: label.get(v)!,
      outputShape: [...v.shape],
      dtype: v.dtype,
    };
    if (entry.op.formula !== undefined) row.formula = entry.op.formula;
    if (v.name !== undefined) row.name = v.name;
    rows.push(row);
  }
  return rows;
}

/** Options of {@link formatTape}. */
export interface FormatTapeOptions {
  /** Add a column with each op's derivative table line (the VJP that produced its inputs' gradients). */
  formulas?: boolean;
}

/**
 * The tape of `output` as a printable table: index, op, inputs (label and shape), output and dtype — and,
 * with `formulas`, each op's derivative table line.
 * @example console.log(formatTape(loss, { formulas: true }))
 */
export function formatTape(output: Variable, options: FormatTapeOptions = {}): string {
  const header = ['#', 'op', 'inputs', 'output', 'dtype', ...(options.formulas ? ['formula'] : [])];
  const rows = tape(output).map((e) => [
    String(e.index),
    escapeControl(e.op),
    e.inputs.map((x) => `${escapeControl(x.label)} ${fmtShape(x.shape)}`).join(', '),
    `${escapeControl(e.label)} ${fmtShape(e.outputShape)}`,
    e.dtype,
    ...(options.formulas ? [escapeControl(e.formula ?? '')] : []),
  ]);
  if (rows.length === 0) {
    const what = `${fmtShape(output.shape)} ${output.dtype}`;
    // No entry: a leaf that requires a gradient (ops on it will be recorded), or an untracked value — a leaf that
    // requires none, or a result computed under noGrad or from inputs that require none (the two look the same).
    if (output.requiresGrad)
      return `(empty tape: ${escapeControl(output.name ?? 'leaf')} ${what} is a leaf that requires a gradient; no op made it)`;
    const untracked =
      'is untracked (requiresGrad false): a leaf, or a result computed under noGrad or from inputs that require no gradient';
    return `(empty tape: ${escapeControl(output.name ?? 'value')} ${what} ${untracked} — no op was recorded)`;
  }
  const widths = header.map((h, c) => rows.reduce((w, r) => Math.max(w, r[c]!.length), h.length));
  const line = (cells: string[]): string =>
    cells
      .map((s, c) => s.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * The graph of `output` in Graphviz DOT: leaves are boxes (name, shape), ops are ellipses (op, output
 * shape), edges run from inputs to the op that consumed them.
 * @example writeFileSync('loss.dot', toDot(loss, { grads: true }))   // then: dot -Tsvg loss.dot
 */
export function toDot(output: Variable, options: GraphOptions = {}): string {
  const { order, label } = labelGraph(output);
  const id = new Map<Variable, string>(order.map((v, i) => [v, `n${i}`]));
  const lines = ['digraph tape {', `  rankdir=${options.direction ?? 'TB'};`, '  node [fontname="Helvetica", fontsize=11];'];
  for (const v of order) {
    const text = [v.entry ? `${v.entry.op.name}` : label.get(v)!, ...describe(v, options)];
    if (v.entry && v.name !== undefined) text.splice(1, 0, v.name);
    else if (v.entry) text.splice(1, 0, label.get(v)!);
    const shape = v.entry ? 'ellipse' : 'box';
    const extra = v === output ? ', penwidth=2' : '';
    lines.push(`  ${id.get(v)} [shape=${shape}, label="${text.map((t) => dotEscape(escapeControl(t))).join('\\n')}"${extra}];`);
  }
  for (const v of order) {
    const entry = v.entry;
    if (!entry) continue;
    entry.inputs.forEach((x, k) => {
      const attrs = entry.inputs.length > 1 ? ` [label="${k}"]` : '';
      lines.push(`  ${id.get(x)} -> ${id.get(v)}${attrs};`);
    });
  }
  lines.push('}');
  return lines.join('\n');
}

/**
 * The graph of `output` as a Mermaid flowchart: leaves are rectangles, ops are rounded (stadium) nodes.
 * @example
 * ```ts
 * console.log(toMermaid(loss)); // paste into a ```mermaid block of a Markdown page
 * ```
 */
export function toMermaid(output: Variable, options: GraphOptions = {}): string {
  const { order, label } = labelGraph(output);
  const id = new Map<Variable, string>(order.map((v, i) => [v, `n${i}`]));
  const lines = [`flowchart ${options.direction ?? 'TB'}`];
  for (const v of order) {
    const head = v.entry ? `${v.entry.op.name} ${label.get(v)!}` : label.get(v)!;
    const text = [head, ...describe(v, options)].map((t) => mermaidEscape(escapeControl(t))).join('<br/>');
    lines.push(v.entry ? `  ${id.get(v)}(["${text}"])` : `  ${id.get(v)}["${text}"]`);
  }
  for (const v of order) {
    const entry = v.entry;
    if (!entry) continue;
    entry.inputs.forEach((x, k) => {
      lines.push(entry.inputs.length > 1 ? `  ${id.get(x)} -->|${k}| ${id.get(v)}` : `  ${id.get(x)} --> ${id.get(v)}`);
    });
  }
  return lines.join('\n');
}

function describe(v: Variable, options: GraphOptions): string[] {
  const out = [`${fmtShape(v.shape)} ${v.dtype}`];
  if (options.values) out.push(`value ${preview(v.value)}`);
  if (options.grads && v.grad) out.push(`grad ${preview(v.grad)}`);
  return out;
}

/** Up to 6 values, 4 significant digits. */
function preview(t: Tensor): string {
  const flat = t.size <= 6 ? t.values() : t.reshape(-1).slice([0, 6]).values();
  const parts = Array.from(flat, (x) => fmtNumber(x));
  if (t.ndim === 0) return parts[0] ?? '';
  return `[${parts.join(', ')}${t.size > 6 ? ', …' : ''}]`;
}

function fmtNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  return Number(x.toPrecision(4)).toString();
}

/**
 * Control characters (newline, tab, …, and the line/paragraph separators) as escapes — `\n`, `\r`, `\t`, `\u001b` —
 * so that a name holding one cannot break a table row or a line of DOT or Mermaid.
 */
function escapeControl(s: string): string {
  return s.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function dotEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function mermaidEscape(s: string): string {
  return s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
