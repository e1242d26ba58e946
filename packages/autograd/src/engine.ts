import * as K from '@tapegrad/tensor';
import { ShapeError, Tensor, ValueError, fmtShape, shapesEqual } from '@tapegrad/tensor';
import { Variable, checkFinite, isForwardModeActive, type TapeEntry } from './core.js';
import { inBackwardOf, isAnomalyEnabled, withGradMode } from './grad-mode.js';

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** The gradient of the output (required unless the output has one element; then it defaults to 1). */
  gradient?: Tensor | Variable;
  /** Keep the graph so backward can run through it again (default: false; it is released). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so gradients can be differentiated again (implies retainGraph). */
  createGraph?: boolean;
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
  const { found, fresh } = propagate(root, seed, { createGraph, retainGraph: options.retainGraph ?? createGraph, targets: null });
  for (const [leaf, g] of found) {
    const converted = g.value.dtype !== leaf.dtype;
    const t = converted ? g.value.astype(leaf.dtype) : g.value;
    // A first gradient that nothing else references (a dtype conversion, or a fast backward's result) is kept, not copied.
    if (leaf.grad === null) leaf.grad = converted || owns(fresh, t) ? t : t.clone();
    else leaf.grad = K.add(leaf.grad, t);
    if (createGraph) leaf.gradVariable = leaf.gradVariable === null ? g : withGradMode(true, () => leaf.gradVariable!.add(g));
  }
}

/** True (once per tensor) when `t` came from a fast backward and is contiguous storage of its own. */
function owns(fresh: Set<Tensor>, t: Tensor): boolean {
  return fresh.delete(t) && t.offset === 0 && t.data.length === t.size && t.isContiguous;
}

/** Options of {@link gradients}. */
export interface GradientsOptions {
  /** The gradient of the output (default 1 for a one-element output). */
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
  const { found } = propagate(output, seed, { createGraph, retainGraph: options.retainGraph ?? createGraph, targets: new Set(inputs) });
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
  const g = gradient instanceof Variable ? gradient : new Variable(gradient);
  if (!shapesEqual(g.shape, root.shape)) {
    throw new ShapeError(`${fn}: gradient has shape ${fmtShape(g.shape)} but the output has shape ${fmtShape(root.shape)}`);
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
  { createGraph, retainGraph, targets }: { createGraph: boolean; retainGraph: boolean; targets: Set<Variable> | null },
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
  // Without createGraph the backward formulas run unrecorded: plain tensor arithmetic, nothing kept.
  withGradMode(createGraph, () => {
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i]!;
      let g = grads.get(v);
      if (g === undefined || !wanted.has(v)) continue;
      grads.delete(v);
      if (v.hooks.length > 0) fresh.delete(g.value); // a hook may keep the gradient: never hand it to a leaf
      for (const hook of v.hooks) {
        const replaced = hook(g);
        if (replaced !== undefined) g = replaced instanceof Variable ? replaced : new Variable(replaced);
      }
      if (isTarget(v)) found.set(v, g);
      if (v.entry === null) continue;
      const inputGrads = backwardThrough(v.entry, g, fast ? fresh : null);
      v.entry.inputs.forEach((u, k) => {
        const gu = inputGrads[k];
        if (!gu || !wanted.has(u)) return;
        const previous = grads.get(u);
        grads.set(u, previous ? previous.add(gu) : gu);
      });
      if (!retainGraph) release(v.entry);
    }
  });
  return { found, fresh };
}

/**
 * Runs one entry's backward — its fused `fastBackward` when `fresh` is given (recording the tensors it
 * returns there) and the op has one that accepts, else its `backward` — and checks what came back.
 */
function backwardThrough(entry: TapeEntry, g: Variable, fresh: Set<Tensor> | null): (Variable | null)[] {
  const { op, ctx, inputs } = entry;
  if (ctx.released) {
    throw new ValueError(
      `backward: the graph through '${op.name}' (tape entry #${entry.id}) was already released by an earlier backward(); ` +
        `pass { retainGraph: true } to the first backward to go through the same graph twice`,
    );
  }
  const result = isAnomalyEnabled() ? inBackwardOf(op.name, () => runBackward(entry, g, fresh)) : runBackward(entry, g, fresh);
  if (!Array.isArray(result) || result.length !== inputs.length) {
    throw new ValueError(
      `${op.name}: backward returned ${Array.isArray(result) ? result.length : typeof result} gradients for ${inputs.length} inputs`,
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
      throw new ValueError(`${op.name}: backward returned a ${typeof gi} for input ${k}; expected a Variable or null`);
    }
    if (!shapesEqual(gi.shape, inputs[k]!.shape)) {
      throw new ShapeError(
        `${op.name}: backward returned a gradient of shape ${fmtShape(gi.shape)} for input ${k}, ` +
          `which has shape ${fmtShape(inputs[k]!.shape)}`,
      );
    }
    if (isAnomalyEnabled()) checkFinite(gi.value, `${op.name} (backward, gradient of input ${k})`, inputs);
  });
  return result;
}

/** The op's fast backward when `fresh` is given and it accepts (its tensors recorded in `fresh`), else its backward. */
function runBackward({ op, ctx }: TapeEntry, g: Variable, fresh: Set<Tensor> | null): (Variable | null)[] {
  const fastGrads = fresh !== null && op.fastBackward ? op.fastBackward(g.value, ctx) : null;
  if (fastGrads === null) return op.backward(g, ctx);
  return fastGrads.map((t) => {
    if (t === null) return null;
    fresh!.add(t);
    return new Variable(t);
  });
}

function release(entry: TapeEntry): void {
  entry.ctx.released = true;
  entry.ctx.saved = [];
}
