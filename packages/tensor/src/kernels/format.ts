import { checkTensor } from '../args.js';
import { TapegradError, ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { broadcastShapes, contiguousStrides, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';

// ---- comparing --------------------------------------------------------------------------------------

/** Tolerances for {@link allClose} and {@link assertClose}: close means `|a − b| ≤ atol + rtol·|b|`. */
export interface CloseOptions {
  /** Relative tolerance, scaled by `|b|` (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Whether NaN in both places counts as equal (default false). */
  equalNan?: boolean;
}

/** Thrown by {@link assertClose}; the message names the worst element, both values and the tolerance. */
export class AssertionError extends TapegradError {
  override name = 'AssertionError';
}

interface Worst {
  /** Flat (row-major) index of the worst element in the broadcast shape, -1 when all are close. */
  index: number;
  actual: number;
  expected: number;
  tolerance: number;
  failures: number;
  maxAbsDiff: number;
}

const toTensor = (v: Tensor | number): Tensor => (typeof v === 'number' ? new Tensor(Float64Array.of(v), []) : v);

/** Walks two broadcast tensors once, tracking the element that exceeds its tolerance the most. */
function compare(fn: string, a: Tensor, b: Tensor, options: CloseOptions): { shape: number[]; worst: Worst } {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  const equalNan = options.equalNan ?? false;
  const shape = broadcastShapes(fn, a.shape, b.shape);
  const va = a.expand(shape).values();
  const vb = b.expand(shape).values();
  const worst: Worst = { index: -1, actual: 0, expected: 0, tolerance: 0, failures: 0, maxAbsDiff: 0 };
  let worstExcess = 0;
  for (let i = 0; i < va.length; i++) {
    const x = va[i]!;
    const y = vb[i]!;
    let diff: number;
    let excess: number;
    const tol = atol + rtol * Math.abs(y);
    if (x === y || (equalNan && x !== x && y !== y)) {
      diff = 0;
      excess = 0;
    } else {
      diff = Math.abs(x - y);
      // NaN on one side, or infinities of different sign/size, rank above every finite miss.
      excess = diff === diff && diff !== Infinity ? diff - tol : Infinity;
    }
    if (!(diff <= worst.maxAbsDiff)) worst.maxAbsDiff = diff;
    if (excess > 0) {
      worst.failures++;
      if (worst.index < 0 || excess > worstExcess) {
        worstExcess = excess;
        Object.assign(worst, { index: i, actual: x, expected: y, tolerance: tol });
      }
    }
  }
  return { shape, worst };
}

/**
 * True when every element satisfies `|a − b| ≤ atol + rtol·|b|` (NumPy's `allclose`: the operands broadcast,
 * equal infinities are close, NaN is close to nothing unless `equalNan`).
 */
export function allClose(a: Tensor | number, b: Tensor | number, options: CloseOptions = {}): boolean {
  return compare('allClose', toTensor(a), toTensor(b), options).worst.failures === 0;
}

/** The largest `|a − b|` over the broadcast elements (NaN if any difference is NaN; 0 for empty tensors). */
export function maxAbsDiff(a: Tensor | number, b: Tensor | number): number {
  return compare('maxAbsDiff', toTensor(a), toTensor(b), { equalNan: true }).worst.maxAbsDiff;
}

/**
 * Throws an {@link AssertionError} unless `actual` and `expected` have the same shape (a number `expected`
 * broadcasts) and are {@link allClose}; the message gives the count of failing elements and the worst one
 * with its index, both values and its tolerance.
 * @example assertClose(y, tensor([[1, 2], [3, 4]]), { atol: 1e-6 }, 'forward pass');
 */
export function assertClose(actual: Tensor | number, expected: Tensor | number, options: CloseOptions = {}, message?: string): void {
  const head = message ? `${message}: assertClose` : 'assertClose';
  const a = toTensor(actual);
  const b = toTensor(expected);
  if (typeof expected !== 'number' && !shapesEqual(a.shape, b.shape)) {
    throw new ShapeError(`${head}: actual has shape ${fmtShape(a.shape)} but expected has shape ${fmtShape(b.shape)}`);
  }
  const { shape, worst } = compare(head, a, b, options);
  if (worst.failures === 0) return;
  const index: number[] = [];
  let rest = worst.index;
  const strides = contiguousStrides(shape);
  for (const s of strides) {
    index.push(Math.floor(rest / s));
    rest %= s;
  }
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  throw new AssertionError(
    `${head}: ${worst.failures} of ${sizeOfShape(shape)} elements differ by more than atol + rtol·|expected| ` +
      `(atol=${atol}, rtol=${rtol}); worst at [${index.join(', ')}]: actual ${worst.actual}, expected ${worst.expected}, ` +
      `|diff| ${Math.abs(worst.actual - worst.expected)} > tolerance ${worst.tolerance}`,
  );
}

function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---- printing ---------------------------------------------------------------------------------------

/** Options for {@link formatTensor} (the defaults follow NumPy/PyTorch). */
export interface FormatOptions {
  /** Digits after the decimal point for floats (default 4). */
  precision?: number;
  /** Tensors with more elements than this are elided with `...` (default 1000). */
  threshold?: number;
  /** Items kept at each end of an elided axis (default 3). */
  edgeItems?: number;
  /** Rows of numbers wrap to stay within this many characters (default 75). */
  lineWidth?: number;
  /** Text before the opening bracket (default `tensor(`); the closing `)` is added when it ends in `(`. */
  prefix?: string;
}

const ELLIPSIS = -1;

/** The value of a numeric {@link FormatOptions} entry, checked: a ValueError names the option and what it got. */
function formatOption(options: FormatOptions, key: 'precision' | 'threshold' | 'edgeItems' | 'lineWidth', dflt: number): number {
  const v: unknown = options[key];
  if (v === undefined) return dflt;
  const ok =
    typeof v === 'number' &&
    (key === 'precision' ? Number.isInteger(v) && v >= 0 && v <= 100 : key === 'edgeItems' ? Number.isInteger(v) && v >= 0 : v >= 0);
  if (!ok) {
    const expected = {
      precision: 'an integer from 0 to 100',
      threshold: 'a number ≥ 0 (Infinity never elides)',
      edgeItems: 'an integer ≥ 0',
      lineWidth: 'a number ≥ 0',
    }[key];
    throw new ValueError(`formatTensor: options.${key} is ${fmtValue(v)}; expected ${expected}`);
  }
  return v;
}

/**
 * NumPy-style text for a tensor: nested brackets, columns aligned to one width, floats with `precision`
 * decimals (scientific notation when magnitudes call for it), `...` elision when the tensor has more than
 * `threshold` elements, and `shape=`/`dtype=` after the data when elided, empty or not float32. Elements are read
 * through the strides, so a huge broadcast view (`scalar(1).expand(100000, 100000)`) prints its corners without
 * being copied.
 * @example formatTensor(tensor([[1, 2], [3, 4]]))   // 'tensor([[1., 2.],\n        [3., 4.]])'
 */
export function formatTensor(t: Tensor, options: FormatOptions = {}): string {
  checkTensor('formatTensor', t);
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`formatTensor: options must be an object, got ${fmtValue(options)}`);
  }
  const precision = formatOption(options, 'precision', 4);
  const edgeItems = formatOption(options, 'edgeItems', 3);
  const lineWidth = formatOption(options, 'lineWidth', 75);
  const prefix = options.prefix ?? 'tensor(';
  if (typeof prefix !== 'string') throw new ValueError(`formatTensor: options.prefix is ${fmtValue(prefix)}; expected a string`);
  const summarize = t.size > formatOption(options, 'threshold', 1000);
  // Read in place: `at` is an index into `t.data`, moved by the tensor's own strides.
  const flat = t.data;
  const shape = t.shape;
  const ndim = shape.length;
  const strides = t.strides;
  const last = ndim === 0 ? 0 : strides[ndim - 1]!;

  const shown = (axis: number): number[] => {
    const n = shape[axis]!;
    if (summarize && n > 2 * edgeItems) {
      const head = Array.from({ length: edgeItems }, (_, i) => i);
      const tail = Array.from({ length: edgeItems }, (_, i) => n - edgeItems + i);
      return [...head, ELLIPSIS, ...tail];
    }
    return Array.from({ length: n }, (_, i) => i);
  };

  const visible: number[] = [];
  const collect = (axis: number, at: number): void => {
    if (axis === ndim) {
      visible.push(flat[at]!);
      return;
    }
    for (const i of shown(axis)) if (i !== ELLIPSIS) collect(axis + 1, at + i * strides[axis]!);
  };
  if (t.size > 0) collect(0, t.offset);
  const fmt = numberFormatter(visible, t.dtype === 'int32', precision);
  let width = 0;
  for (const v of visible) width = Math.max(width, fmt(v).length);
  const cell = (v: number): string => fmt(v).padStart(width);

  const base = prefix.length;
  const render = (axis: number, at: number): string => {
    if (axis === ndim) return cell(flat[at]!);
    const indent = ' '.repeat(base + axis + 1);
    const items = shown(axis);
    if (axis === ndim - 1) {
      let text = '';
      let column = base + axis + 1;
      items.forEach((i, k) => {
        const s = i === ELLIPSIS ? '...' : cell(flat[at + i * last]!);
        if (k > 0) {
          if (column + 2 + s.length + 1 > lineWidth) {
            text += ',\n' + indent;
            column = base + axis + 1;
          } else {
            text += ', ';
            column += 2;
          }
        }
        text += s;
        column += s.length;
      });
      return `[${text}]`;
    }
    const separator = ',' + '\n'.repeat(ndim - axis - 1) + indent;
    return `[${items.map((i) => (i === ELLIPSIS ? '...' : render(axis + 1, at + i * strides[axis]!))).join(separator)}]`;
  };

  const body = t.size === 0 ? '['.repeat(Math.max(ndim, 1)) + ']'.repeat(Math.max(ndim, 1)) : render(0, t.offset);
  const extras: string[] = [];
  if (summarize || (t.size === 0 && ndim !== 1)) extras.push(`shape=${fmtShape(shape)}`);
  if (t.dtype !== 'float32') extras.push(`dtype=${t.dtype}`);
  const suffix = prefix.endsWith('(') ? ')' : '';
  return `${prefix}${[body, ...extras].join(', ')}${suffix}`;
}

/** Chooses one notation for all visible values so that the columns line up. */
function numberFormatter(values: readonly number[], integer: boolean, precision: number): (v: number) => string {
  const special = (v: number): string | null => (v !== v ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null);
  if (integer) return (v) => String(v);
  let maxAbs = 0;
  let minAbs = Infinity;
  let allIntegral = true;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a > 0 && a < minAbs) minAbs = a;
    if (!Number.isInteger(v)) allIntegral = false;
  }
  if (allIntegral && maxAbs < 1e16) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  const scientific = maxAbs >= 1e8 || minAbs < 1e-4 || maxAbs / minAbs > 1e3;
  if (scientific) {
    return (v) => special(v) ?? v.toExponential(precision).replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return (v) => special(v) ?? v.toFixed(precision);
}
