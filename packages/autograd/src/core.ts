/**
 * The data model of the tape, in one place: a {@link Variable} remembers the {@link TapeEntry} that made it;
 * an entry records one application of an {@link Op} with its {@link OpContext}; {@link apply} runs an op and
 * records the entry. Forward mode lives here too, as the tangents that `apply` pushes through each op while a
 * `jvp` is running. The op methods of Variable (`x.mul(y)`, `x.sum()`) are not written here: `methods.ts`
 * derives them from the op table.
 */
import { DTypeError, ShapeError, Tensor, ValueError, broadcastShapes, fmtShape, formatTensor, shapesEqual } from '@tapegrad/tensor';
import { fmtValue as describeArgument } from '@tapegrad/tensor';
import { zerosLike, type DType, type NestedArray } from '@tapegrad/tensor';
import { currentBackward, isAnomalyEnabled, isGradEnabled } from './grad-mode.js';

declare global {
  /**
   * The op methods of {@link Variable} (`x.mul(y)`, `x.sum()`, `x.backward()`, …). This interface is filled in
   * by `methods.ts` from the op table; it is global (rather than a module augmentation) so that the published,
   * bundled type declarations keep the methods.
   */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
  interface TapegradVariableMethods {}
}

/** What an op accepts as an operand: a Variable, a Tensor (a constant) or a number (a constant scalar). */
export type Operand = Variable | Tensor | number;

/**
 * A gradient hook: sees the gradient arriving at a variable and may return a replacement — a Tensor or
 * Variable of the variable's shape and dtype (anything else is an error naming the hook and the variable) —
 * or undefined (or null) to keep it.
 */
export type GradHook = (grad: Variable) => Variable | Tensor | null | void;

// The class and this interface merge: every Variable has the methods of TapegradVariableMethods.
// methods.ts attaches them; the interface only types them.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface Variable extends TapegradVariableMethods {}

/**
 * A tensor that remembers how it was computed. `entry` is the tape entry that produced it (null for a leaf
 * or a constant); `backward()` fills `grad` of every leaf that requires a gradient.
 *
 * `grad` always holds a plain Tensor (optimizers read and write it). After `backward({ createGraph: true })`,
 * `gradVariable` also holds the gradient as a Variable that is itself on the tape, for higher derivatives.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class Variable {
  /** The current value. Optimizers may update it in place. */
  value: Tensor;
  /** The accumulated gradient (a contiguous tensor of the value's shape), or null before any backward. */
  grad: Tensor | null = null;
  /** After a `createGraph` backward, the accumulated gradient as a Variable (earlier plain parts as constants); else null. */
  gradVariable: Variable | null = null;
  /** Whether ops on this variable are recorded. */
  requiresGrad: boolean;
  /** Optional label. */
  name?: string;
  /** The tape entry that produced this variable; null for leaves and constants. */
  entry: TapeEntry | null = null;
  /** Hooks run, in order, on the gradient arriving here. */
  readonly hooks: GradHook[] = [];

  /** `a` where `cond` is non-zero, `b` elsewhere (the free function `where`, attached by `methods.ts`). */
  declare static where: (cond: Variable | Tensor, a: Operand, b: Operand) => Variable;

  constructor(value: Tensor, options: { requiresGrad?: boolean; name?: string } = {}) {
    this.value = value;
    this.requiresGrad = options.requiresGrad ?? false;
    if (options.name !== undefined) this.name = options.name;
  }

  /** The shape of the value. */
  get shape(): readonly number[] {
    return this.value.shape;
  }
  /** The dtype of the value. */
  get dtype(): DType {
    return this.value.dtype;
  }
  /** The number of dimensions. */
  get ndim(): number {
    return this.value.ndim;
  }
  /** The number of elements. */
  get size(): number {
    return this.value.size;
  }
  /** True for a variable no op produced (a user-created leaf). */
  get isLeaf(): boolean {
    return this.entry === null;
  }
  /** The single element as a number. */
  item(): number {
    return this.value.item();
  }
  /** The value as nested arrays. */
  toArray(): NestedArray {
    return this.value.toArray();
  }
  /** Forgets the accumulated gradient. */
  zeroGrad(): void {
    this.grad = null;
    this.gradVariable = null;
  }
  /** The same value as a constant: no tape entry, no gradient flows through it. */
  detach(): Variable {
    return new Variable(this.value, this.name === undefined ? {} : { name: this.name });
  }
  /** Sets `requiresGrad` on a leaf and returns it. */
  requiresGrad_(flag = true): this {
    if (this.entry !== null && !flag) {
      const by = this.entry.op.name;
      throw new ValueError(`requiresGrad_: cannot turn off gradients of a non-leaf variable (made by '${by}'); use detach()`);
    }
    if (flag && this.dtype === 'int32') {
      const what = `an int32 variable ${fmtShape(this.shape)}`;
      throw new DTypeError(`requiresGrad_: ${what} cannot require a gradient; convert it with astype('float32')`);
    }
    this.requiresGrad = flag;
    return this;
  }
  /**
   * Adds a hook on the gradient arriving here (see {@link GradHook}: it may return a replacement of this
   * variable's shape and dtype); returns a function that removes it.
   */
  registerHook(hook: GradHook): () => void {
    if (typeof hook !== 'function') {
      const got = hook === null ? 'null' : typeof hook;
      throw new ValueError(`registerHook: expected a function (grad) => replacement or undefined, got ${got}`);
    }
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }
  /** Shows the value, the gradient and the op that made this variable. */
  toString(): string {
    const label = this.name ? ` '${this.name}'` : '';
    const made = this.entry ? `op=${this.entry.op.name}` : this.requiresGrad ? 'leaf' : 'constant';
    const grad = this.grad ? `, grad=${fmtValue(this.grad)}` : '';
    return `Variable${label}(${fmtValue(this.value)}, ${made}${grad})`;
  }
}

function fmtValue(t: Tensor): string {
  if (t.size === 1) return String(t.values()[0]);
  return formatTensor(t).replace(/\s*\n\s*/g, ' ');
}

/**
 * What an op's forward leaves for its backward: the input {@link Variable}s, the output Variable (set once
 * forward returns), the op's non-tensor arguments (`params`: axes, a slope, …) and anything saved with
 * {@link OpContext.save}.
 */
export class OpContext<P = unknown> {
  /** The inputs as Variables, so a backward can use them in differentiable expressions. */
  readonly inputs: Variable[];
  /** The op's non-tensor arguments, as given to {@link apply}. */
  readonly params: P;
  /** The result of the op; backward formulas may reuse it (tanh′ = 1 − y²) and stay twice-differentiable. */
  output!: Variable;
  /** Values stored by {@link OpContext.save}; cleared when the graph is released. */
  saved: unknown[] = [];
  /** True once a backward without `retainGraph` has walked through this entry. */
  released = false;

  constructor(inputs: Variable[], params?: P) {
    this.inputs = inputs;
    this.params = params as P;
  }

  /** Keeps values (tensors, numbers, variables) for the backward pass. */
  save(...values: unknown[]): void {
    this.saved = values;
  }
}

/**
 * A differentiable operation: `forward` computes the value from input tensors; `backward` maps the output's
 * gradient to one gradient per input (null for inputs that need none), written with Variable ops so that
 * `createGraph` can differentiate it again; `jvp` pushes input tangents forward (forward mode).
 */
export interface Op<P = unknown> {
  /** Label shown on the tape, in error messages and in graph exports. */
  name: string;
  /** The derivative table line (`y = a·b   ∂a = g·b   ∂b = g·a   ẏ = ȧ·b + a·ḃ`), shown by tape listings. */
  formula?: string;
  /** Computes the output value from the input values. */
  forward(inputs: Tensor[], ctx: OpContext<P>): Tensor;
  /** Maps the output gradient to the gradients of the inputs (same shapes as the inputs). */
  backward(grad: Variable, ctx: OpContext<P>): (Variable | null)[];
  /**
   * Forward mode: the output's tangent from one tangent per input (zeros for inputs that carry none),
   * written with Variable ops. Without it, forward mode through this op throws.
   */
  jvp?(tangents: Variable[], ctx: OpContext<P>): Variable;
  /**
   * A fused backward on plain tensors (see `fused/`), which the engine calls instead of `backward` when no
   * graph is being recorded. Returns one gradient per input (null where none is needed), or null to decline
   * (then `backward` runs). By contract every tensor it returns is freshly allocated and referenced nowhere
   * else, so the engine may keep it as a leaf's `.grad` without copying. `out[k]`, when given, is storage the
   * engine offers for input k's gradient (a leaf's, see `BackwardOptions.gradientBuffers`): a contiguous tensor of
   * the input's shape and dtype whose contents may be overwritten; returning it, filled, saves an allocation.
   */
  fastBackward?(grad: Tensor, ctx: OpContext<P>, out?: readonly (Tensor | null)[]): (Tensor | null)[] | null;
}

/**
 * One recorded application of an op. The output owns its entry (`output.entry`), and an entry points only at
 * its inputs, so a graph nobody backpropagates is garbage-collected with its last output.
 */
export interface TapeEntry {
  /** Creation order, unique per process: later entries have larger ids. */
  id: number;
  /** The op applied. */
  op: Op;
  /** The input variables, in the op's argument order. */
  inputs: Variable[];
  /** What forward saved for backward. */
  ctx: OpContext;
  /**
   * The output variable, behind a `WeakRef`-shaped `deref()`. It is an ordinary (strong) reference: a real
   * WeakRef keeps its target alive until the current synchronous job ends, so a synchronous training loop
   * would retain every graph it built. The output → entry → output cycle is collected as a whole.
   */
  outputRef: OutputRef;
}

/** How a {@link TapeEntry} refers to its output: `deref()` returns it. */
export class OutputRef {
  constructor(private readonly output: Variable) {}
  /** The output variable. */
  deref(): Variable {
    return this.output;
  }
}

let nextId = 0;

/**
 * Applies `op` to `inputs` (with its non-tensor arguments `params`) and records a tape entry when recording
 * is on and any input requires a gradient. Inside a `jvp`, it also computes the output's tangent.
 * @example apply(mul.spec.op!, [a, b])   // the same as mul(a, b) for same-shape a and b
 */
export function apply<P>(op: Op<P>, inputs: Variable[], params?: P): Variable {
  const ctx = new OpContext(inputs, params);
  const value = op.forward(
    inputs.map((v) => v.value),
    ctx,
  );
  if (!(value instanceof Tensor)) {
    throw new ValueError(`${op.name}: forward returned ${describeArgument(value)}; expected a Tensor`);
  }
  if (isAnomalyEnabled()) {
    const during = currentBackward();
    checkFinite(value, `${op.name} (forward${during === null ? '' : `, inside the backward of '${during}'`})`, inputs);
  }
  let record = false;
  if (isGradEnabled()) for (const v of inputs) if (v.requiresGrad) record = true;
  const output = new Variable(value, { requiresGrad: record });
  ctx.output = output;
  if (record) output.entry = { id: nextId++, op, inputs, ctx, outputRef: new OutputRef(output) };
  if (activeLevels !== 0) pushTangents(op, ctx, output);
  return output;
}

/** The id the next tape entry will get: entries recorded from now on have ids ≥ it (see {@link dependsOn}). */
export function tapeMark(): number {
  return nextId;
}

/**
 * True when `v` is `target` or was computed from it by ops recorded since `since` (a {@link tapeMark} taken after
 * `target` existed, so older entries cannot lead to it and the walk stays within what was recorded since).
 */
export function dependsOn(v: Variable, target: Variable, since: number): boolean {
  const seen = new Set<Variable>([v]);
  const stack = [v];
  while (stack.length > 0) {
    const w = stack.pop()!;
    if (w === target) return true;
    if (w.entry === null || w.entry.id < since) continue;
    for (const u of w.entry.inputs) {
      if (!seen.has(u)) {
        seen.add(u);
        stack.push(u);
      }
    }
  }
  return false;
}

/** True when every element of `t` is 0 (NaN is not). */
export function isAllZero(t: Tensor): boolean {
  const data = t.values();
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

/** The ops made by `defineOp` (user code: the engine checks what their backward returns more closely). */
const userOps = new WeakSet<Op>();

/** Marks `op` as a user-defined op (see `defineOp`). */
export function markUserOp(op: Op): void {
  userOps.add(op);
}

/** True for an op made by `defineOp`. */
export function isUserOp(op: Op): boolean {
  return userOps.has(op);
}

/** The errors raised on differentiating a gradient that a user op's backward computed outside the tape. */
const outsideTape = new WeakSet<object>();

/** Records `e` as such an error (gradcheck reports it as a failed check) and returns it. */
export function markOutsideTapeError<E extends Error>(e: E): E {
  outsideTape.add(e);
  return e;
}

/** True when `e`, or an error it was raised for (its `cause`, transitively), is one {@link markOutsideTapeError} recorded. */
export function isOutsideTapeError(e: unknown): boolean {
  for (let k = 0; k < 32 && typeof e === 'object' && e !== null; k++) {
    if (outsideTape.has(e)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Throws naming `where` and the input shapes when `t` holds NaN or ±Infinity (used by anomaly mode). */
export function checkFinite(t: Tensor, where: string, inputs: readonly Variable[]): void {
  const data = t.values();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const shapes = inputs.map((v) => fmtShape(v.shape)).join(', ');
      throw new ValueError(`detectAnomaly: ${where} produced ${data[i]} at flat index ${i}; input shapes ${shapes}`);
    }
  }
}

// ---- forward mode ---------------------------------------------------------------------------------

/**
 * The tangents of each forward-mode level (one per running `jvp`, outermost first). A level maps a
 * variable to its tangent; a variable without one has tangent zero.
 */
const levels: Map<Variable, Variable>[] = [];
/** How many levels `apply` pushes tangents through: all of them, except while a JVP rule itself runs. */
let activeLevels = 0;
/** The zero tangents made up for inputs that carry none (see {@link isZeroTangent}). */
const zeroFills = new WeakSet<Variable>();

/** Opens a forward-mode level (a `jvp` call) and returns its index. */
export function beginForwardLevel(): number {
  levels.push(new Map());
  activeLevels = levels.length;
  return levels.length - 1;
}

/** Closes the innermost forward-mode level. */
export function endForwardLevel(level: number): void {
  levels.length = level;
  activeLevels = level;
}

/** True while some `jvp` is running (the engine then takes no fused fast path: they carry no tangents). */
export function isForwardModeActive(): boolean {
  return activeLevels !== 0;
}

/** Sets the tangent of `v` at `level`. */
export function setTangent(level: number, v: Variable, tangent: Variable): void {
  levels[level]!.set(v, tangent);
}

/** The tangent of `v` at `level`, or undefined (zero). */
export function tangentOf(level: number, v: Variable): Variable | undefined {
  return levels[level]?.get(v);
}

/** True when `v` carries a tangent at an active level (a binary op then broadcasts it by an expand). */
export function hasTangent(v: Variable): boolean {
  for (let l = 0; l < activeLevels; l++) if (levels[l]!.has(v)) return true;
  return false;
}

/** Gives `to` the tangents of `from` at every active level (`to` is a fresh leaf standing for `from`). */
export function inheritTangents(from: Variable, to: Variable): void {
  for (let l = 0; l < activeLevels; l++) {
    const t = levels[l]!.get(from);
    if (t !== undefined) levels[l]!.set(to, t);
  }
}

/** True for a zero tangent that forward mode made up for an input that carries none. */
export function isZeroTangent(t: Variable): boolean {
  return zeroFills.has(t);
}

/**
 * Computes the output's tangent at every active level where some input has one. The innermost level goes
 * first, and a level's rule runs with only the levels outside it active, so the tangent it produces carries
 * the outer levels' tangents itself (nested `jvp` and `jacfwd` work without perturbation confusion).
 */
function pushTangents<P>(op: Op<P>, ctx: OpContext<P>, output: Variable): void {
  const depth = activeLevels;
  for (let level = depth - 1; level >= 0; level--) {
    const tangents = levels[level]!;
    if (!ctx.inputs.some((v) => tangents.has(v))) continue;
    if (op.jvp === undefined) {
      throw new ValueError(
        `jvp: op '${op.name}' has no forward-mode rule; give it a jvp (defineOp derives one from the backward when none is given)`,
      );
    }
    const inputTangents = ctx.inputs.map((v) => tangents.get(v) ?? zeroTangent(v));
    activeLevels = level;
    let t: Variable;
    try {
      t = op.jvp(inputTangents, ctx);
    } finally {
      activeLevels = depth;
    }
    tangents.set(output, fitTangent(op.name, t, output));
  }
}

function zeroTangent(v: Variable): Variable {
  const z = new Variable(zerosLike(v.value));
  zeroFills.add(z);
  return z;
}

/** Checks a rule's tangent against the output; a tangent that broadcasts to it (a zero operand's) is expanded. */
function fitTangent(name: string, t: unknown, output: Variable): Variable {
  if (!(t instanceof Variable)) throw new ValueError(`${name}: jvp returned ${typeof t}; expected a Variable`);
  if (shapesEqual(t.shape, output.shape)) return t;
  let fits = false;
  try {
    fits = shapesEqual(broadcastShapes(name, t.shape, output.shape), output.shape);
  } catch {
    fits = false;
  }
  if (!fits) {
    throw new ShapeError(
      `${name}: jvp returned a tangent of shape ${fmtShape(t.shape)} for an output of shape ${fmtShape(output.shape)}; ` +
        "expected the output's shape (or one that broadcasts to it)",
    );
  }
  return t.expand(output.shape);
}
