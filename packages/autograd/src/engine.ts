import * as K from '@tapegrad/tensor';
import { DTypeError, ShapeError, Tensor, ValueError, fmtShape, shapesEqual } from '@tapegrad/tensor';
import {
  Variable,
  apply,
  checkFinite,
  dependsOn,
  hasTangent,
  isAllZero,
  isForwardModeActive,
  isUserOp,
  markOutsideTapeError,
  tapeMark,
} from './core.js';
import type { GradHook, Op, OpContext, TapeEntry } from './core.js';
import { describeValue, describeVariable } from './describe.js';
import { fillsStorage } from './fused/ownership.js';
import { inBackwardOf, isAnomalyEnabled, withGradMode } from './grad-mode.js';

/** Options of {@link backward}. */
export interface BackwardOptions {
  /**
   * The gradient of the output: a Tensor or Variable of the output's shape and dtype (required unless the
   * output has one element; then it defaults to 1).
   */
  gradient?: Tensor | Variable;
  /** Keep the graph so backward can run through it again (default: false; it is released). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so gradients can be differentiated again (implies retainGraph). */
  createGraph?: boolean;
  /**
   * Storage for leaf gradients, by leaf: a leaf without a gradient yet, used once in the graph, may get its
   * gradient written by a fused fast backward into the tensor given for it (same shape and dtype, contiguous;
   * its contents are overwritten), which then becomes its `.grad` — no allocation. For a training loop that
   * owns its gradients: `fit` hands back last step's (a callback that keeps a `.grad` during `fit` must copy it).
   */
  gradientBuffers?: ReadonlyMap<Variable, Tensor>;
}

/**
 * Every variable `root` depends on, inputs before the outputs they feed (a depth-first post-order, like
 * micrograd's `build_topo`, written with an explicit stack so deep graphs cannot overflow the call stack).
 */
export function topologicalOrder(root: Variable): Variable[] {
  const order: Variable[] = [];
  const visited = new Set<Variable>([root]);
  const stack: { v: Variable; next: number }[] = [{ v: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.v.entry?.inputs ?? [];
    if (top.next < inputs.length) {
      const u = inputs[top.next++]!;
      if (!visited.has(u)) {
        visited.add(u);
        stack.push({ v: u, next: 0 });
      }
    } else {
      stack.pop();
      order.push(top.v); // all of its inputs are already in `order`
    }
  }
  return order;
}

/**
 * Backpropagates from `root` and adds the gradient into `.grad` of every leaf that requires one
 * (leaves accumulate across calls until `zeroGrad`).
 * @example loss.backward()   // same as backward(loss)
 */
export function backward(root: Variable, options: BackwardOptions = {}): void {
  const seed = seedGradient('backward', root, options.gradient);
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const { found, fresh } = propagate(root, seed, {
    fn: 'backward',
    createGraph,
    retainGraph,
    targets: null,
    buffers: options.gradientBuffers ?? null,
  });
  for (const [leaf, g] of found) {
    const converted = g.value.dtype !== leaf.dtype;
    const t = converted ? g.value.astype(leaf.dtype) : g.value;
    const previous = leaf.grad;
    // A first gradient that nothing else references (a dtype conversion, or a fast backward's result) is kept, not copied.
    if (previous === null) leaf.grad = converted || owns(fresh, t) ? t : t.clone();
    else leaf.grad = K.add(previous, t);
    if (createGraph) leaf.gradVariable = accumulated(leaf, previous, g);
    else if (leaf.gradVariable !== null) leaf.gradVariable = previous === null ? null : accumulated(leaf, previous, new Variable(t));
  }
}

/**
 * The new `gradVariable` of `leaf`, which stays the accumulated gradient like `.grad` (as PyTorch's `x.grad` after a
 * createGraph backward): the gradient before this backward (`previous`: its differentiable form when there is one, else
 * a constant — from a backward without createGraph) plus this backward's `part` (recorded, or a constant without
 * createGraph).
 */
function accumulated(leaf: Variable, previous: Tensor | null, part: Variable): Variable {
  if (previous === null) return part;
  const before = leaf.gradVariable ?? new Variable(previous);
  return withGradMode(true, () => before.add(part));
}

/** True (once per tensor) when `t` came from a fast backward and is contiguous storage of its own. */
function owns(fresh: Set<Tensor>, t: Tensor): boolean {
  return fresh.delete(t) && fillsStorage(t);
}

/** Options of {@link gradients}. */
export interface GradientsOptions {
  /** The gradient of the output: a Tensor or Variable of its shape and dtype (default 1 for a one-element output). */
  gradient?: Tensor | Variable;
  /** Keep the graph (default: the value of createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass so the results can be differentiated again. */
  createGraph?: boolean;
}

/**
 * The gradients of `output` with respect to `inputs` (like `torch.autograd.grad`): returned, not
 * accumulated into `.grad`. An input the output does not depend on gets zeros.
 */
export function gradients(output: Variable, inputs: readonly Variable[], options: GradientsOptions = {}): Variable[] {
  const seed = seedGradient('gradients', output, options.gradient);
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const { found } = propagate(output, seed, { fn: 'gradients', createGraph, retainGraph, targets: new Set(inputs), buffers: null });
  return inputs.map((x) => found.get(x) ?? new Variable(K.zerosLike(x.value)));
}

function seedGradient(fn: string, root: Variable, gradient: Tensor | Variable | undefined): Variable {
  if (!root.requiresGrad) {
    throw new ValueError(
      `${fn}: the output ${fmtShape(root.shape)} does not require a gradient (no input had requiresGrad, or it was computed under noGrad)`,
    );
  }
  if (gradient === undefined) {
    if (root.size !== 1) {
      throw new ShapeError(
        `${fn}: the output has shape ${fmtShape(root.shape)}; pass { gradient } of that shape, or reduce it to a scalar first`,
      );
    }
    return new Variable(K.onesLike(root.value));
  }
  if (!(gradient instanceof Variable || gradient instanceof Tensor)) {
    throw new ValueError(
      `${fn}: gradient is ${describeValue(gradient)}; expected a Tensor or Variable of the output's shape ` +
        `${fmtShape(root.shape)} and dtype ${root.dtype} (e.g. tensor(values, ${fmtShape(root.shape)}, { dtype: '${root.dtype}' }))`,
    );
  }
  const g = gradient instanceof Variable ? gradient : new Variable(gradient);
  if (!shapesEqual(g.shape, root.shape)) {
    throw new ShapeError(`${fn}: gradient has shape ${fmtShape(g.shape)} but the output has shape ${fmtShape(root.shape)}`);
  }
  if (g.dtype !== root.dtype) {
    throw new DTypeError(`${fn}: gradient has dtype ${g.dtype}, output has ${root.dtype}; convert it with astype('${root.dtype}')`);
  }
  return g;
}

/**
 * The reverse walk. Visits the variables in reverse topological order; each one's gradient is complete by
 * the time it is reached, so its hooks run once and its op's backward maps it to the inputs' gradients,
 * which are summed (a variable used twice gets both contributions). Returns the gradients of the targets
 * (or, with `targets` null, of the leaves that require one) and the set of gradient tensors that fast
 * backwards made and nobody else holds.
 */
function propagate(
  root: Variable,
  seed: Variable,
  {
    fn,
    createGraph,
    retainGraph,
    targets,
    buffers,
  }: {
    fn: string;
    createGraph: boolean;
    retainGraph: boolean;
    targets: Set<Variable> | null;
    buffers: ReadonlyMap<Variable, Tensor> | null;
  },
): { found: Map<Variable, Variable>; fresh: Set<Tensor> } {
  const order = topologicalOrder(root);
  const isTarget = (v: Variable): boolean => (targets ? targets.has(v) : v.entry === null && v.requiresGrad);
  // Only walk variables that lead to a target: inputs come first in `order`, so one pass decides.
  const wanted = new Set<Variable>();
  for (const v of order) if (isTarget(v) || v.entry?.inputs.some((u) => wanted.has(u))) wanted.add(v);

  // Fused fast paths run plain tensor loops: only when nothing is recorded and no tangent must be pushed.
  const fast = !createGraph && !isForwardModeActive();
  const grads = new Map<Variable, Variable>([[root, seed]]);
  const found = new Map<Variable, Variable>();
  const fresh = new Set<Tensor>();
  const offers = fast && buffers !== null && buffers.size > 0 ? usableBuffers(order, wanted, buffers) : null;
  const fastContext: FastContext | null = fast ? { fresh, offers } : null;
  // The entries this walk released: if it fails, a later walk through them is told so.
  const released: TapeEntry[] = [];
  // Without createGraph the backward formulas run unrecorded: plain tensor arithmetic, nothing kept.
  try {
    withGradMode(createGraph, () => {
      for (let i = order.length - 1; i >= 0; i--) {
        const v = order[i]!;
        let g = grads.get(v);
        if (g === undefined || !wanted.has(v)) continue;
        grads.delete(v);
        if (v.hooks.length > 0) fresh.delete(g.value); // a hook may keep the gradient: never hand it to a leaf
        for (let k = 0; k < v.hooks.length; k++) g = runHook(fn, v.hooks[k]!, k, v, g);
        if (isTarget(v)) found.set(v, g);
        if (v.entry === null) continue;
        const inputGrads = backwardThrough(v.entry, g, fastContext, createGraph);
        v.entry.inputs.forEach((u, k) => {
          const gu = inputGrads[k];
          if (!gu || !wanted.has(u)) return;
          const previous = grads.get(u);
          grads.set(u, previous ? previous.add(gu) : gu);
        });
        if (!retainGraph) {
          release(v.entry);
          released.push(v.entry);
        }
      }
    });
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    const reason = message.length > 200 ? `${message.slice(0, 200)}…` : message;
    for (const entry of released) failedWalks.set(entry.ctx, reason);
    throw e;
  }
  return { found, fresh };
}

/** The contexts released by a walk that then failed, with the first line of its error. */
const failedWalks = new WeakMap<OpContext, string>();

/**
 * Runs hook number `k` of `v` on the gradient `g` arriving there: a hook that returns undefined (or null) keeps
 * it; otherwise it must return a Tensor or Variable of the variable's shape and dtype, which replaces it.
 */
function runHook(fn: string, hook: GradHook, k: number, v: Variable, g: Variable): Variable {
  const replaced: unknown = hook(g);
  if (replaced === undefined || replaced === null) return g;
  const which = () => `${fn}: gradient hook ${k}${hook.name ? ` ('${hook.name}')` : ''} on ${describeVariable(v)}`;
  if (!(replaced instanceof Variable || replaced instanceof Tensor)) {
    throw new ValueError(
      `${which()} returned ${describeValue(replaced)}; expected a Tensor or Variable of shape ${fmtShape(v.shape)} ` +
        `and dtype ${v.dtype}, or undefined to keep the gradient`,
    );
  }
  if (!shapesEqual(replaced.shape, v.shape)) {
    throw new ShapeError(
      `${which()} returned a gradient of shape ${fmtShape(replaced.shape)}; expected the variable's shape ${fmtShape(v.shape)}`,
    );
  }
  if (replaced.dtype !== v.dtype) {
    throw new DTypeError(`${which()} returned a gradient of dtype ${replaced.dtype}; expected the variable's dtype ${v.dtype}`);
  }
  return replaced instanceof Variable ? replaced : new Variable(replaced);
}

/**
 * The gradient buffers that may be offered to fast backwards: those of leaves without a gradient, without hooks,
 * used exactly once in the walked graph (a leaf used twice gets a sum), whose tensor fits the leaf and owns its
 * storage.
 */
function usableBuffers(order: Variable[], wanted: Set<Variable>, buffers: ReadonlyMap<Variable, Tensor>): Map<Variable, Tensor> {
  const uses = new Map<Variable, number>();
  for (const v of order) {
    if (v.entry === null || !wanted.has(v)) continue;
    for (const u of v.entry.inputs) if (buffers.has(u)) uses.set(u, (uses.get(u) ?? 0) + 1);
  }
  const usable = new Map<Variable, Tensor>();
  for (const [u, n] of uses) {
    const t = buffers.get(u)!;
    const fits = t.dtype === u.dtype && shapesEqual(t.shape, u.shape) && fillsStorage(t);
    if (n === 1 && fits && u.entry === null && u.grad === null && u.hooks.length === 0) usable.set(u, t);
  }
  return usable;
}

/** What the fast backwards of one walk share: the tensors they made (`fresh`) and the leaf buffers on offer. */
interface FastContext {
  fresh: Set<Tensor>;
  offers: Map<Variable, Tensor> | null;
}

/**
 * Runs one entry's backward — its fused `fastBackward` when `fast` is given (recording the tensors it
 * returns in `fast.fresh`) and the op has one that accepts, else its `backward` — and checks what came back.
 */
function backwardThrough(entry: TapeEntry, g: Variable, fast: FastContext | null, createGraph: boolean): (Variable | null)[] {
  const { op, ctx, inputs } = entry;
  if (ctx.released) {
    const failure = failedWalks.get(ctx);
    if (failure !== undefined) {
      throw new ValueError(
        `backward: the graph through '${op.name}' (tape entry #${entry.id}) was already released by an earlier backward() ` +
          `that failed (${failure}): a backward releases the graph as it walks, up to where it fails; run the forward ` +
          `pass again to rebuild the graph, or pass { retainGraph: true } to a backward that may fail so that it keeps it`,
      );
    }
    throw new ValueError(
      `backward: the graph through '${op.name}' (tape entry #${entry.id}) was already released by an earlier backward(); ` +
        `pass { retainGraph: true } to the first backward to go through the same graph twice`,
    );
  }
  const since = tapeMark();
  const result = isAnomalyEnabled() ? inBackwardOf(op.name, () => runBackward(entry, g, fast)) : runBackward(entry, g, fast);
  if (!Array.isArray(result) || result.length !== inputs.length) {
    const got = Array.isArray(result) ? `${result.length} gradients` : describeValue(result);
    throw new ValueError(
      `${op.name}: backward returned ${got} for ${inputs.length} inputs; expected a list of ${inputs.length} (a Variable or null each)`,
    );
  }
  result.forEach((gi, k) => {
    if (gi === null || gi === undefined) return;
    // A constant input's gradient is discarded unchecked (it may have a broadcast shape).
    if (!inputs[k]!.requiresGrad) {
      result[k] = null;
      return;
    }
    if (!(gi instanceof Variable)) {
      throw new ValueError(`${op.name}: backward returned ${describeValue(gi)} for input ${k}; expected a Variable or null`);
    }
    if (!shapesEqual(gi.shape, inputs[k]!.shape)) {
      throw new ShapeError(
        `${op.name}: backward returned a gradient of shape ${fmtShape(gi.shape)} for input ${k}, ` +
          `which has shape ${fmtShape(inputs[k]!.shape)}`,
      );
    }
    if (gi.dtype !== inputs[k]!.dtype) {
      throw new DTypeError(
        `${op.name}: backward returned a gradient of dtype ${gi.dtype} for input ${k}, which has dtype ${inputs[k]!.dtype}`,
      );
    }
    if (isAnomalyEnabled()) checkFinite(gi.value, `${op.name} (backward, gradient of input ${k})`, inputs);
  });
  if (isUserOp(op) && (createGraph || (isForwardModeActive() && (hasTangent(g) || inputs.some(hasTangent))))) {
    guardOutsideTape(entry, g, result, since, createGraph);
  }
  return result;
}

/**
 * When a user op's gradients will be differentiated again — under createGraph, or while forward mode pushes tangents
 * through the backward (`hessian`, `jacfwd(grad(f))`) — replaces each gradient its backward computed outside the
 * tape (from `g.value` with tensor kernels, say) by the same value computed from g and the op's inputs by an op that
 * refuses to be differentiated: a later derivative through it (grad of grad, hvp, gradgradcheck, a tangent pushed
 * through it) is an error naming the op instead of a silent zero, while one that never goes through it is unaffected.
 *
 * A backward is linear in g (it is a VJP), so a gradient that does not depend on g is zero for every g; a nonzero one
 * was computed outside the tape. When g requires a gradient under createGraph, whatever the backward builds from it
 * with Variable ops is recorded, so the tape says whether a gradient depends on it. Otherwise (g is the constant
 * seed near the root, or nothing is recorded) a constant gradient may be a legitimate one (a linear op's `g.mul(3)`
 * records nothing), so the backward runs once more with g as a variable to tell. A zero gradient is left alone: it
 * is what an op with a zero Jacobian returns (the check cannot see a gradient computed outside the tape that happens
 * to be zero).
 */
function guardOutsideTape(entry: TapeEntry, g: Variable, result: (Variable | null)[], since: number, createGraph: boolean): void {
  const { op, ctx, inputs } = entry;
  let probe: { stand: Variable; grads: unknown; since: number } | null = null;
  result.forEach((gi, k) => {
    if (gi === null || gi === undefined || isAllZero(gi.value)) return;
    // A gradient recorded (or given a tangent) by ops on some variable was built with Variable ops.
    const builtByOps = createGraph ? gi.requiresGrad : hasTangent(gi);
    let outside: boolean;
    if (createGraph && g.requiresGrad) outside = !dependsOn(gi, g, since);
    else if (builtByOps) outside = false;
    else {
      if (probe === null) {
        const stand = new Variable(g.value, { requiresGrad: true });
        const mark = tapeMark();
        probe = { stand, grads: withGradMode(true, () => op.backward(stand, ctx)), since: mark };
      }
      const again: unknown = Array.isArray(probe.grads) ? probe.grads[k] : undefined;
      outside = !(again instanceof Variable && dependsOn(again, probe.stand, probe.since));
    }
    if (outside) result[k] = outsideTape(op, k, gi, [g, ...inputs]);
  });
}

/**
 * `gi` (input k's gradient from the backward of `op`) as the output of an op of `from` (recorded when one of them
 * requires a gradient, given a tangent when one of them has one) that refuses to be differentiated.
 */
function outsideTape(op: Op, k: number, gi: Variable, from: Variable[]): Variable {
  const refuse = (how: string): never => {
    throw markOutsideTapeError(
      new ValueError(
        `${op.name}: the gradient its backward returned for input ${k} was computed outside the tape (it does not ` +
          `depend on the incoming gradient g, e.g. it was made from g.value), so ${how}; write the ` +
          'backward with Variable ops on g to take second derivatives (grad of grad, hvp, hessian, gradgradcheck)',
      ),
    );
  };
  const marker: Op = {
    name: `${op.name} gradient (outside the tape)`,
    forward: () => gi.value,
    backward: () => refuse('it cannot be differentiated again'),
    jvp: () => refuse('forward mode cannot push a tangent through it'),
  };
  return apply(
    marker,
    from.filter((v, i) => from.indexOf(v) === i),
  );
}

/** The op's fast backward when `fast` is given and it accepts (its tensors recorded in `fast.fresh`), else its backward. */
function runBackward({ op, ctx, inputs }: TapeEntry, g: Variable, fast: FastContext | null): (Variable | null)[] {
  let fastGrads: (Tensor | null)[] | null = null;
  if (fast !== null && op.fastBackward) {
    const offers = fast.offers;
    const out = offers !== null && inputs.some((u) => offers.has(u)) ? inputs.map((u) => offers.get(u) ?? null) : undefined;
    fastGrads = op.fastBackward(g.value, ctx, out);
  }
  if (fastGrads === null) return op.backward(g, ctx);
  return fastGrads.map((t) => {
    if (t === null) return null;
    fast!.fresh.add(t);
    return new Variable(t);
  });
}

function release(entry: TapeEntry): void {
  entry.ctx.released = true;
  entry.ctx.saved = [];
}
