import * as K from '@tapegrad/tensor';
import { ShapeError, Tensor, ValueError, fmtShape, shapesEqual } from '@tapegrad/tensor';
import { claimFresh, unmarkFresh } from './fast.js';
import { inBackwardOf, isAnomalyEnabled, withGradMode } from './grad-mode.js';
import { checkFinite, type TapeNode } from './op.js';
import { Variable } from './variable.js';

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
    const inputs = top.v.node?.inputs ?? [];
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
  const leafGrads = propagate(root, seed, { createGraph, retainGraph: options.retainGraph ?? createGraph, targets: null });
  for (const [leaf, g] of leafGrads) {
    const converted = g.value.dtype !== leaf.dtype;
    const t = converted ? g.value.astype(leaf.dtype) : g.value;
    // A first gradient that nothing else references (a dtype conversion, or a tensor the fast kernels just made) is kept, not copied.
    if (leaf.grad === null) leaf.grad = converted || (!createGraph && claimFresh(t)) ? t : t.clone();
    else leaf.grad = K.add(leaf.grad, t);
    if (createGraph) leaf.gradVariable = leaf.gradVariable === null ? g : withGradMode(true, () => leaf.gradVariable!.add(g));
  }
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
  const found = propagate(output, seed, { createGraph, retainGraph: options.retainGraph ?? createGraph, targets: new Set(inputs) });
  for (const g of found.values()) unmarkFresh(g.value); // returned to the caller: no leaf may keep it later
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
      throw new ShapeError(`${fn}: the output has shape ${fmtShape(root.shape)}; pass { gradient } of that shape, or reduce it to a scalar first`);
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
 * (or, with `targets` null, of the leaves that require one).
 */
function propagate(
  root: Variable,
  seed: Variable,
  { createGraph, retainGraph, targets }: { createGraph: boolean; retainGraph: boolean; targets: Set<Variable> | null },
): Map<Variable, Variable> {
  const order = topologicalOrder(root);
  const isTarget = (v: Variable): boolean => (targets ? targets.has(v) : v.node === null && v.requiresGrad);
  // Only walk variables that lead to a target: inputs come first in `order`, so one pass decides.
  const wanted = new Set<Variable>();
  for (const v of order) if (isTarget(v) || v.node?.inputs.some((u) => wanted.has(u))) wanted.add(v);

  const grads = new Map<Variable, Variable>([[root, seed]]);
  const found = new Map<Variable, Variable>();
  // Without createGraph the backward formulas run unrecorded: plain tensor arithmetic, nothing kept.
  withGradMode(createGraph, () => {
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i]!;
      let g = grads.get(v);
      if (g === undefined || !wanted.has(v)) continue;
      grads.delete(v);
      if (v.hooks.length > 0) unmarkFresh(g.value); // a hook may keep the gradient: never hand it to a leaf
      for (const hook of v.hooks) {
        const replaced = hook(g);
        if (replaced !== undefined) g = replaced instanceof Variable ? replaced : new Variable(replaced);
      }
      if (isTarget(v)) found.set(v, g);
      if (v.node === null) continue;
      const inputGrads = backwardThrough(v.node, g);
      v.node.inputs.forEach((u, k) => {
        const gu = inputGrads[k];
        if (!gu || !wanted.has(u)) return;
        const previous = grads.get(u);
        grads.set(u, previous ? previous.add(gu) : gu);
      });
      if (!retainGraph) release(v.node);
    }
  });
  return found;
}

/** Runs one entry's backward and checks what it returned. */
function backwardThrough(node: TapeNode, g: Variable): (Variable | null)[] {
  const { op, ctx, inputs } = node;
  if (ctx.released) {
    throw new ValueError(
      `backward: the graph through '${op.name}' (tape entry #${node.id}) was already released by an earlier backward(); ` +
        `pass { retainGraph: true } to the first backward to go through the same graph twice`,
    );
  }
  const result = isAnomalyEnabled() ? inBackwardOf(op.name, () => op.backward(g, ctx)) : op.backward(g, ctx);
  if (!Array.isArray(result) || result.length !== inputs.length) {
    throw new ValueError(`${op.name}: backward returned ${Array.isArray(result) ? result.length : typeof result} gradients for ${inputs.length} inputs`);
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
        `${op.name}: backward returned a gradient of shape ${fmtShape(gi.shape)} for input ${k}, which has shape ${fmtShape(inputs[k]!.shape)}`,
      );
    }
    if (isAnomalyEnabled()) checkFinite(gi.value, `${op.name} (backward, gradient of input ${k})`, inputs);
  });
  return result;
}

function release(node: TapeNode): void {
  node.ctx.released = true;
  node.ctx.saved = [];
}
