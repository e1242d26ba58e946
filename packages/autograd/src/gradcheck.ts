import { DTypeError, Generator, ShapeError, Tensor, ValueError, fmtShape, isFloat, randn, shapesEqual } from '@tapegrad/tensor';
import { Variable, isOutsideTapeError } from './core.js';
import { variable } from './variable.js';
import { describeValue } from './describe.js';
import { enableGrad, noGrad } from './grad-mode.js';
import { gradients, topologicalOrder } from './engine.js';

/** Options of {@link gradcheck} and {@link gradgradcheck}. */
export interface GradcheckOptions {
  /** Half-width of the central difference (in float64): a finite number > 0. Default 1e-6. */
  eps?: number;
  /**
   * Absolute tolerance: an entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|. A finite number ≥ 0.
   * Default 1e-5.
   */
  atol?: number;
  /** Relative tolerance (see `atol`): a finite number ≥ 0. Default 1e-3. */
  rtol?: number;
  /** Throw a {@link GradcheckError} describing the worst entry when the check fails. Default true. */
  raise?: boolean;
  /**
   * `'jacobian'` compares the full Jacobian (one backward per output element); `'vjp'` compares one
   * vector–Jacobian product for a fixed random cotangent; `'auto'` (default) uses the full Jacobian when the
   * outputs have at most `maxJacobianOutputs` elements. Any other value is an error.
   */
  mode?: 'auto' | 'jacobian' | 'vjp';
  /** Output-size limit for the full Jacobian in `'auto'` mode (a number ≥ 0). Default 4096. */
  maxJacobianOutputs?: number;
  /** Seed of the random cotangent (`'vjp'` mode and {@link gradgradcheck}) and of `sample`. Default 0. */
  seed?: number;
  /**
   * Perturb at most this many (seeded, randomly chosen) elements of each input instead of all of them: the
   * numeric side costs two forward passes per element, so big inputs are sampled. A positive integer.
   * Default: every element.
   */
  sample?: number;
  /**
   * Compute the analytic side with `createGraph: true`, i.e. through the differentiable backward formulas
   * rather than the fused fast paths some ops take when nothing records the backward. Default false.
   */
  createGraph?: boolean;
}

/** The entry of the Jacobian (or VJP) that is furthest outside the tolerance. */
export interface GradcheckWorst {
  /** Position of the input in the `inputs` list. */
  input: number;
  /** Multi-dimensional index of the element inside that input. */
  index: number[];
  /** Which output and element (multi-dimensional) the entry belongs to; null in `'vjp'` mode. */
  output: { output: number; index: number[] } | null;
  /** The derivative computed by backward. */
  analytic: number;
  /** The derivative computed by central differences. */
  numeric: number;
}

/** What {@link gradcheck} found. */
export interface GradcheckResult {
  /** Every entry is within `atol + rtol·|numeric|`. */
  ok: boolean;
  /** The largest |analytic − numeric| over all compared entries. */
  maxError: number;
  /** The entry with the largest error relative to its tolerance (null when nothing was compared). */
  worst: GradcheckWorst | null;
  /** Which comparison ran. */
  mode: 'jacobian' | 'vjp';
  /** How many (output element, input element) entries were compared. */
  checked: number;
}

/** Thrown by {@link gradcheck} / {@link gradgradcheck} when analytic and numeric derivatives disagree. */
export class GradcheckError extends ValueError {
  override name = 'GradcheckError';
  /** The full result of the failed check. */
  readonly result: GradcheckResult;
  constructor(message: string, result: GradcheckResult) {
    super(message);
    this.result = result;
  }
}

/**
 * A function under test: Variables in, one Variable (or a list of them) out. Anything else it returns (a number,
 * a Tensor computed outside the tape) is refused with an error naming what it returned.
 */
export type GradcheckFn = (...inputs: Variable[]) => Variable | readonly Variable[];

/** An input of {@link gradcheck}: a Tensor (checked if float) or a Variable (checked if float and `requiresGrad`). */
export type GradcheckInput = Variable | Tensor;

interface Prepared {
  /** float64 copy (layout preserved when no element is aliased), or the original int32 tensor. */
  tensor: Tensor;
  differentiable: boolean;
  name: string | undefined;
  /** Storage position of each logical (row-major) element. */
  positions: Int32Array;
}

/**
 * Checks the gradients of `fn` at `inputs` against float64 central differences
 * (∂f/∂x ≈ (f(x + ε) − f(x − ε)) / 2ε for every input element).
 *
 * Float inputs are copied to float64 (a transposed or sliced input keeps its strides, so the op also sees
 * the non-contiguous layout); int32 inputs (indices) and Variables with `requiresGrad` false are constants.
 * Whatever should be checked must be an input: float constants the function closes over must be float64.
 * Small outputs (≤ `maxJacobianOutputs` elements) get a full Jacobian comparison, larger ones a random VJP.
 * @example gradcheck((x, y) => x.mul(y).sum(), [randn([3, 4]), randn([3, 4])]);
 */
export function gradcheck(fn: GradcheckFn, inputs: readonly GradcheckInput[], options: GradcheckOptions = {}): GradcheckResult {
  return runCheck('gradcheck', fn, inputs, options, false);
}

/**
 * Checks second derivatives: the first-order vector–Jacobian product of `fn` for a fixed random cotangent
 * v, computed with `createGraph`, is itself gradchecked with respect to the inputs and v
 * (∂/∂x (vᵀ·∂f/∂x) analytic vs central differences), as PyTorch's `gradgradcheck` does. A user op whose backward
 * computes a gradient outside the tape (from `g.value`) cannot be differentiated again: the check fails with nothing
 * compared (`worst` null, `maxError` NaN; the GradcheckError names the op).
 */
export function gradgradcheck(fn: GradcheckFn, inputs: readonly GradcheckInput[], options: GradcheckOptions = {}): GradcheckResult {
  checkArguments('gradgradcheck', fn, inputs, options);
  const prepared = inputs.map((x, i) => prepare('gradgradcheck', x, i));
  const n = prepared.length;
  const leaves = prepared.map((p) => makeLeaf(p));
  const outs = enableGrad(() => asList('gradgradcheck', fn(...leaves)));
  const generator = new Generator(options.seed ?? 0);
  const cotangents = outs.map((o) => randn(o.shape, { generator, dtype: 'float64' }));
  const diffIndices = prepared.flatMap((p, i) => (p.differentiable ? [i] : []));
  const firstOrder: GradcheckFn = (...args) => {
    const xs = args.slice(0, n);
    const vs = args.slice(n);
    const ys = asList('gradgradcheck', fn(...xs));
    const wrt = diffIndices.map((i) => xs[i]!);
    const grads = vjpVariables(ys, vs, wrt);
    const result: Variable[] = [];
    for (const g of grads) if (g !== null) result.push(g);
    if (result.length === 0) throw new ValueError('gradgradcheck: no input of the function receives a gradient');
    return result;
  };
  const inner: GradcheckInput[] = [
    ...prepared.map((p, i) => withFlag(p, inputs[i]!)),
    ...cotangents.map((v, k) => variable(v, { requiresGrad: true, name: `cotangent of output ${k}` })),
  ];
  const label = `${describeOps(outs)}, differentiating its backward (output i = the VJP for differentiable input i)`;
  return runCheck('gradgradcheck', firstOrder, inner, options, true, label);
}

// ---- implementation -----------------------------------------------------------------------------

function runCheck(
  fnName: string,
  fn: GradcheckFn,
  inputs: readonly GradcheckInput[],
  options: GradcheckOptions,
  numericWithGrad: boolean,
  label?: string,
): GradcheckResult {
  checkArguments(fnName, fn, inputs, options);
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const raise = options.raise ?? true;

  const prepared = inputs.map((x, i) => prepare(fnName, x, i));
  if (!prepared.some((p) => p.differentiable)) {
    throw new ValueError(
      `${fnName}: none of the ${inputs.length} inputs is a float tensor or a Variable with requiresGrad; nothing to check`,
    );
  }

  // Analytic side: one graph, backpropagated repeatedly with retainGraph.
  const leaves = prepared.map((p) => makeLeaf(p));
  const outs = enableGrad(() => asList(fnName, fn(...leaves)));
  if (outs.length === 0) throw new ValueError(`${fnName}: the function returned no outputs`);
  outs.forEach((o, k) => {
    if (o.dtype !== 'float64') {
      throw new DTypeError(
        `${fnName}: output ${k} has dtype ${o.dtype}; ` +
          `expected float64 (create constants inside the function with dtype 'float64' or from the inputs)`,
      );
    }
  });
  const opNames = label ?? describeOps(outs);
  const outSizes = outs.map((o) => o.size);
  const totalOut = outSizes.reduce((a, b) => a + b, 0);
  const mode: 'jacobian' | 'vjp' =
    options.mode === 'jacobian' || options.mode === 'vjp'
      ? options.mode
      : totalOut <= (options.maxJacobianOutputs ?? 4096)
        ? 'jacobian'
        : 'vjp';

  const diff = prepared.flatMap((p, i) => (p.differentiable ? [i] : []));
  // analytic[i] holds, per differentiable input, rows of length input size: one row per output element
  // (jacobian) or a single row (vjp).
  const rows = mode === 'jacobian' ? totalOut : 1;
  const analytic = new Map<number, Float64Array>();
  for (const i of diff) analytic.set(i, new Float64Array(rows * prepared[i]!.tensor.size));

  const wrt = diff.map((i) => leaves[i]!);
  /** Backpropagates `gradient` from `out` and stores each input's gradient in `analytic` at `row`. */
  const backpropInto = (out: Variable, gradient: Tensor, row: number, accumulate: boolean): void => {
    const grads = gradients(out, wrt, { gradient, retainGraph: true, createGraph: options.createGraph ?? false });
    diff.forEach((i, n) => {
      const g = grads[n]!;
      const leaf = leaves[i]!;
      if (!shapesEqual(g.shape, leaf.shape)) {
        throw new ShapeError(
          `${fnName}: the gradient of input ${i} has shape ${fmtShape(g.shape)}; ` +
            `expected the input's shape ${fmtShape(leaf.shape)} (${opNames})`,
        );
      }
      const values = g.value.astype('float64').data;
      const target = analytic.get(i)!;
      const at = row * leaf.size;
      if (accumulate) for (let e = 0; e < values.length; e++) target[at + e]! += values[e]!;
      else target.set(values, at);
    });
  };

  let cotangents: Tensor[] = [];
  try {
    if (mode === 'jacobian') {
      let row = 0;
      for (let k = 0; k < outs.length; k++) {
        const out = outs[k]!;
        for (let j = 0; j < out.size; j++, row++) {
          if (!out.requiresGrad) continue;
          const seed = new Float64Array(out.size);
          seed[j] = 1;
          backpropInto(out, new Tensor(seed, out.shape), row, false);
        }
      }
    } else {
      const generator = new Generator(options.seed ?? 0);
      cotangents = outs.map((o) => randn(o.shape, { generator, dtype: 'float64' }));
      for (let k = 0; k < outs.length; k++) if (outs[k]!.requiresGrad) backpropInto(outs[k]!, cotangents[k]!, 0, true);
    }
  } catch (e) {
    // A user op's backward computed a gradient outside the tape, which the check differentiates again: a failure
    // (analytic derivatives there are unknown, so nothing is compared).
    if (!isOutsideTapeError(e)) throw e;
    const result: GradcheckResult = { ok: false, maxError: NaN, worst: null, mode, checked: 0 };
    if (!raise) return result;
    const error = new GradcheckError(`${fnName} failed for ${opNames}: ${(e as Error).message}`, result);
    error.cause = e;
    throw error;
  }

  // Numeric side: central differences, perturbing one storage element at a time.
  const evaluate = (): Float64Array[] => {
    const run = (): Float64Array[] =>
      asList(fnName, fn(...prepared.map((p) => makeLeaf(p, numericWithGrad)))).map((o) => o.value.astype('float64').data as Float64Array);
    return numericWithGrad ? enableGrad(run) : noGrad(run);
  };
  let maxError = 0;
  let worstRatio = -1;
  let worst: GradcheckWorst | null = null;
  let checked = 0;
  const compare = (a: number, num: number, input: number, element: number, outRow: number | null): void => {
    checked++;
    const err = Math.abs(a - num);
    const ratio = Number.isNaN(err) ? Infinity : err === 0 ? 0 : err / (atol + rtol * Math.abs(num));
    if (err > maxError || Number.isNaN(err)) maxError = Number.isNaN(err) ? NaN : Math.max(maxError, err);
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = {
        input,
        index: unravel(element, prepared[input]!.tensor.shape),
        output: outRow === null ? null : locateOutput(outRow, outs),
        analytic: a,
        numeric: num,
      };
    }
  };

  const sampler = new Generator(`${options.seed ?? 0}:sample`);
  for (const i of diff) {
    const p = prepared[i]!;
    const data = p.tensor.data;
    const size = p.tensor.size;
    const a = analytic.get(i)!;
    for (const e of chooseElements(size, options.sample, sampler)) {
      const pos = p.positions[e]!;
      const saved = data[pos]!;
      data[pos] = saved + eps;
      const plus = evaluate();
      data[pos] = saved - eps;
      const minus = evaluate();
      data[pos] = saved;
      if (mode === 'jacobian') {
        let row = 0;
        for (let k = 0; k < outs.length; k++) {
          const fp = plus[k]!;
          const fm = minus[k]!;
          for (let j = 0; j < fp.length; j++, row++) compare(a[row * size + e]!, (fp[j]! - fm[j]!) / (2 * eps), i, e, row);
        }
      } else {
        let num = 0;
        for (let k = 0; k < outs.length; k++) {
          const v = cotangents[k]!.data;
          const fp = plus[k]!;
          const fm = minus[k]!;
          for (let j = 0; j < fp.length; j++) num += (v[j]! * (fp[j]! - fm[j]!)) / (2 * eps);
        }
        compare(a[e]!, num, i, e, null);
      }
    }
  }

  const ok = worstRatio <= 1;
  const result: GradcheckResult = { ok, maxError, worst, mode, checked };
  if (!ok && raise) {
    const w = worst as GradcheckWorst | null;
    const where = w === null ? '' : describeWorst(w, prepared);
    throw new GradcheckError(
      `${fnName} failed for ${opNames}: ${where}; ` +
        `tolerance atol ${atol} + rtol ${rtol}·|numeric|; ` +
        `max |analytic − numeric| = ${maxError} over ${checked} ${mode === 'jacobian' ? 'Jacobian entries' : 'VJP entries'}`,
      result,
    );
  }
  return result;
}

function describeWorst(w: GradcheckWorst, prepared: readonly Prepared[]): string {
  const name = prepared[w.input]!.name;
  const shape = fmtShape(prepared[w.input]!.tensor.shape);
  const input = `input ${w.input}${name ? ` (${name})` : ''} of shape ${shape} at index [${w.index.join(', ')}]`;
  const output = w.output === null ? '' : ` w.r.t. output ${w.output.output} element [${w.output.index.join(', ')}]`;
  return `worst entry is ${input}${output}: analytic ${w.analytic} vs numeric ${w.numeric} (|diff| ${Math.abs(w.analytic - w.numeric)})`;
}

/** "op 'mul' (graph ops: add, mul)" — the op(s) that produced the outputs and the distinct ops of their graph. */
function describeOps(outs: readonly Variable[]): string {
  const heads = [...new Set(outs.map((o) => o.entry?.op.name ?? 'leaf'))];
  const all = new Set<string>();
  for (const o of outs) for (const v of topologicalOrder(o)) if (v.entry) all.add(v.entry.op.name);
  const head = heads.length === 1 ? `op '${heads[0]}'` : `ops ${heads.map((h) => `'${h}'`).join(', ')}`;
  const names = [...all];
  const listed = names.length > 12 ? `${names.slice(0, 12).join(', ')}, … (${names.length} ops)` : names.join(', ');
  return all.size > 1 ? `${head} (graph ops: ${listed})` : head;
}

function locateOutput(row: number, outs: readonly Variable[]): { output: number; index: number[] } {
  for (let k = 0; k < outs.length; k++) {
    const size = outs[k]!.size;
    if (row < size) return { output: k, index: unravel(row, outs[k]!.shape) };
    row -= size;
  }
  return { output: outs.length - 1, index: [] };
}

function prepare(fnName: string, x: GradcheckInput, i: number): Prepared {
  const isVariable = x instanceof Variable;
  const t = isVariable ? x.value : x;
  if (!(t instanceof Tensor)) throw new ValueError(`${fnName}: input ${i} is ${describeValue(x)}; expected a Tensor or a Variable`);
  const differentiable = isFloat(t.dtype) && (!isVariable || x.requiresGrad);
  const name = isVariable ? x.name : undefined;
  const tensor = isFloat(t.dtype) ? toFloat64(t) : t;
  return { tensor, differentiable, name, positions: storagePositions(tensor) };
}

/**
 * A float64 copy that keeps the strides and offset of `t` (so a transposed or sliced input stays
 * non-contiguous) unless some element is aliased (stride 0), where perturbing one stored number would move
 * several logical elements at once. A small view of a large buffer is copied into a buffer of about its own size
 * with the same kind of layout (see {@link compacted}) rather than copying the whole buffer.
 */
function toFloat64(t: Tensor): Tensor {
  const aliased = t.shape.some((d, a) => d > 1 && t.strides[a] === 0);
  if (aliased || t.size === 0) return t.astype('float64');
  if (t.data.length > 8 * t.size + 64) return compacted(t);
  return new Tensor(Float64Array.from(t.data), t.shape, t.strides, t.offset);
}

/**
 * A float64 copy of `t` in a small buffer whose layout follows the pattern of t's: the axes in the same order of
 * stride size, with the same signs (a flipped axis stays flipped), a one-element gap after the inner axes wherever t
 * skips elements (a slice of columns, a step), and an element before the view or after it when t has some. So a
 * sliced, stepped, transposed or flipped view stays one, and a backward that ignores strides or the offset fails here
 * as it does on t.
 */
function compacted(t: Tensor): Tensor {
  const { shape } = t;
  const axes = shape.map((_, a) => a).filter((a) => shape[a]! > 1);
  axes.sort((a, b) => Math.abs(t.strides[a]!) - Math.abs(t.strides[b]!) || b - a);
  const strides = shape.map(() => 1);
  let extent = 1; // positions the axes placed so far span, in the copy …
  let originalExtent = 1; // … and in t
  let low = 0; // the lowest position relative to the first element (negative strides reach below it)
  let originalLow = 0;
  for (const a of axes) {
    const s = t.strides[a]!;
    const n = shape[a]!;
    const step = Math.abs(s) > originalExtent ? extent + 1 : extent;
    strides[a] = s < 0 ? -step : step;
    if (s < 0) {
      low -= step * (n - 1);
      originalLow -= Math.abs(s) * (n - 1);
    }
    extent += step * (n - 1);
    originalExtent += Math.abs(s) * (n - 1);
  }
  const before = t.offset + originalLow > 0 ? 1 : 0;
  const after = t.offset + originalLow + originalExtent < t.data.length ? 1 : 0;
  const copy = new Tensor(new Float64Array(before + extent + after), shape, strides, before - low);
  const from = storagePositions(t);
  const to = storagePositions(copy);
  const data = copy.data;
  for (let e = 0; e < from.length; e++) data[to[e]!] = t.data[from[e]!]!;
  return copy;
}

function storagePositions(t: Tensor): Int32Array {
  const out = new Int32Array(t.size);
  const nd = t.ndim;
  const counter = new Array<number>(nd).fill(0);
  let p = t.offset;
  for (let e = 0; e < t.size; e++) {
    out[e] = p;
    for (let d = nd - 1; d >= 0; d--) {
      p += t.strides[d]!;
      if (++counter[d]! < t.shape[d]!) break;
      p -= t.strides[d]! * t.shape[d]!;
      counter[d] = 0;
    }
  }
  return out;
}

function makeLeaf(p: Prepared, requiresGrad = true): Variable {
  return variable(p.tensor, { requiresGrad: requiresGrad && p.differentiable, ...(p.name !== undefined ? { name: p.name } : {}) });
}

/** Re-wraps a prepared input so that the inner check sees the same differentiability as the outer one. */
function withFlag(p: Prepared, original: GradcheckInput): GradcheckInput {
  return original instanceof Variable ? makeLeaf(p, original.requiresGrad) : p.tensor;
}

/** The outputs of the function under test as a list, refusing anything but a Variable or a list of Variables. */
function asList(fnName: string, out: unknown): Variable[] {
  if (out instanceof Variable) return [out];
  const hint = (x: unknown): string =>
    x instanceof Tensor ? ' (a Tensor carries no tape: compute the output with Variable ops on the inputs given to the function)' : '';
  if (!Array.isArray(out)) {
    throw new ValueError(`${fnName}: the function returned ${describeValue(out)}; expected a Variable or a list of Variables${hint(out)}`);
  }
  const list: unknown[] = out;
  list.forEach((v, k) => {
    if (!(v instanceof Variable)) {
      throw new ValueError(
        `${fnName}: element ${k} of the list the function returned is ${describeValue(v)}; expected a Variable${hint(v)}`,
      );
    }
  });
  return list as Variable[];
}

/**
 * Refuses arguments that would fail inside the check or make it meaningless (a negative or NaN tolerance passes
 * every entry).
 */
function checkArguments(fnName: string, fn: unknown, inputs: unknown, options: GradcheckOptions): void {
  if (typeof fn !== 'function') {
    throw new ValueError(`${fnName}: the function to check is ${describeValue(fn)}; expected a function of Variables`);
  }
  if (!Array.isArray(inputs)) {
    throw new ValueError(`${fnName}: inputs is ${describeValue(inputs)}; expected a list of Tensors or Variables`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new ValueError(`${fnName}: options is ${describeValue(options)}; expected an object`);
  }
  const { eps, atol, rtol, mode, maxJacobianOutputs, sample } = options as Record<string, unknown>;
  const isNumber = (x: unknown): x is number => typeof x === 'number' && !Number.isNaN(x);
  const show = (x: unknown): string => (typeof x === 'number' ? String(x) : typeof x === 'string' ? `'${x}'` : describeValue(x));
  if (eps !== undefined && !(isNumber(eps) && Number.isFinite(eps) && eps > 0)) {
    throw new ValueError(`${fnName}: eps must be a finite number > 0, got ${show(eps)}`);
  }
  for (const [key, value] of [
    ['atol', atol],
    ['rtol', rtol],
  ] as const) {
    if (value !== undefined && !(isNumber(value) && Number.isFinite(value) && value >= 0)) {
      throw new ValueError(`${fnName}: ${key} must be a finite number ≥ 0, got ${show(value)}`);
    }
  }
  if (mode !== undefined && mode !== 'auto' && mode !== 'jacobian' && mode !== 'vjp') {
    throw new ValueError(`${fnName}: mode must be 'auto', 'jacobian' or 'vjp', got ${show(mode)}`);
  }
  if (maxJacobianOutputs !== undefined && !(isNumber(maxJacobianOutputs) && maxJacobianOutputs >= 0)) {
    throw new ValueError(`${fnName}: maxJacobianOutputs must be a number ≥ 0, got ${show(maxJacobianOutputs)}`);
  }
  if (sample !== undefined && !(Number.isInteger(sample) && (sample as number) >= 1)) {
    throw new ValueError(`${fnName}: sample must be a positive integer, got ${show(sample)}`);
  }
}

/**
 * Σₖ vₖᵀ·∂yₖ/∂x for each x in `wrt`, as Variables on the tape (createGraph), so they can be differentiated again.
 */
function vjpVariables(ys: readonly Variable[], vs: readonly Variable[], wrt: readonly Variable[]): (Variable | null)[] {
  let total: (Variable | null)[] = wrt.map(() => null);
  for (let k = 0; k < ys.length; k++) {
    const y = ys[k]!;
    if (!y.requiresGrad) continue;
    const grads = gradients(y, wrt, { gradient: vs[k]!, retainGraph: true, createGraph: true });
    total = total.map((t, i) => (t === null ? grads[i]! : t.add(grads[i]!)));
  }
  return total;
}

/** All element indices 0..size−1, or `sample` distinct ones in increasing order (partial Fisher–Yates). */
function chooseElements(size: number, sample: number | undefined, generator: Generator): Int32Array {
  const all = new Int32Array(size);
  for (let e = 0; e < size; e++) all[e] = e;
  if (sample === undefined || sample >= size) return all; // a positive integer (see checkArguments)
  for (let k = 0; k < sample; k++) {
    const j = generator.int(k, size);
    const t = all[k]!;
    all[k] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, sample).sort();
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    index[d] = flat % n;
    flat = Math.floor(flat / n);
  }
  return index;
}
