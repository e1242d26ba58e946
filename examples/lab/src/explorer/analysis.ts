// Everything the explorer shows about one program, computed without the DOM: the graph in tape order, the
// backward pass one tape entry at a time (recorded from the engine itself with gradient hooks), the final
// gradients next to central finite differences, and forward mode (autograd's jvp) one tangent at a time.
import { Variable, concat, gradients, jvp, noGrad, topologicalOrder, variable, type Op } from '@tapegrad/autograd';
import { Tensor, ValueError, onesLike, zeros } from '@tapegrad/tensor';
import { evaluate, type Evaluation } from './evaluate.js';
import { parseProgram, type Program } from './parse.js';

/** An op's derivative table line in three parts: the forward, the VJP (one term per input) and the JVP. */
export interface OpMath {
  forward: string;
  vjp: string;
  jvp: string;
}

/**
 * Splits a derivative table line (`y = a·b   ∂a = g·b   ∂b = g·a   ẏ = ȧ·b + a·ḃ`) at its first `∂` and its
 * `ẏ` into the forward, the VJP and the JVP.
 */
export function splitFormula(line: string): OpMath {
  const d = line.indexOf('∂');
  const t = line.indexOf('ẏ');
  const end = (i: number): number => (i < 0 ? line.length : i);
  return {
    forward: line.slice(0, Math.min(end(d), end(t))).trim(),
    vjp: d < 0 ? '' : line.slice(d, t > d ? t : line.length).trim(),
    jvp: t < 0 ? '' : line.slice(t).trim(),
  };
}

/** The op's own formula (the op table's math line, or a defineOp's `formula`), split; null if it has none. */
const opMath = (op: Op): OpMath | null => (op.formula ? splitFormula(op.formula) : null);

/** One vertex of the graph: an input, a constant or a tape entry (an op application). */
export interface GraphNode {
  /** Position in topological order (inputs before the ops that use them). */
  index: number;
  kind: 'input' | 'constant' | 'op';
  /** The op's name for an op node. */
  op: string | null;
  /** The input's or result's name, or `#k` for an unnamed result. */
  label: string;
  /** Indices of the nodes this one consumes (op nodes only), in argument order. */
  inputs: number[];
  value: Tensor;
  variable: Variable;
  /** The op's derivative table line (its `formula`). */
  math: OpMath | null;
}

/** One step of the backward walk: a tape entry, the gradient that arrived at its output, and its VJP. */
export interface BackwardStep {
  /** The op node being differentiated. */
  node: number;
  /** ∂out/∂(this entry's output): complete when the walk reaches it. */
  incoming: Tensor;
  /** What the entry's VJP sends to each input (null for a constant input). */
  contributions: { node: number; grad: Tensor | null }[];
}

/** One input's gradient from the tape next to its central-difference estimate. */
export interface GradientCheck {
  name: string;
  node: number;
  value: Tensor;
  grad: Tensor;
  numeric: Tensor;
  /** max |grad − numeric| / max(1, |numeric|) over the elements. */
  error: number;
}

/** The full picture of one run. */
export interface Analysis {
  program: Program;
  evaluation: Evaluation;
  nodes: GraphNode[];
  /** The tape entries in the order the engine's backward visited them. */
  steps: BackwardStep[];
  checks: GradientCheck[];
  /** The gradient seed: ones of the output's shape (for a non-scalar output that is the gradient of its sum). */
  seedIsSum: boolean;
  /** Number of input elements (n) and output elements (m). */
  inputElements: number;
  outputElements: number;
}

/** The most input elements a program may have (the explorer differentiates each one numerically). */
export const MAX_INPUT_ELEMENTS = 400;

/** Step size of the central difference for an input value x (float64). */
const fdStep = (x: number): number => 1e-6 * Math.max(1, Math.abs(x));

/** Parses and runs `source`, walks backward recording every step, and checks the gradients numerically. */
export function analyze(source: string): Analysis {
  const program = parseProgram(source);
  const evaluation = evaluate(program);
  if (!evaluation.output.requiresGrad) {
    throw new ValueError('the last line (the output) does not depend on any input; declare inputs with literals, e.g. x = 0.5');
  }
  const elements = evaluation.inputs.reduce((s, x) => s + x.variable.size, 0);
  if (elements > MAX_INPUT_ELEMENTS) {
    // each element costs two runs of the program for the finite differences and one JVP walk for forward mode
    throw new ValueError(`the inputs have ${elements} elements; the explorer checks every one, so keep it to ${MAX_INPUT_ELEMENTS}`);
  }
  const { output } = evaluation;
  const order = topologicalOrder(output);
  const index = new Map<Variable, number>(order.map((v, i) => [v, i]));
  const inputNames = new Map(evaluation.inputs.map((x) => [x.variable, x.name]));
  const nodes: GraphNode[] = order.map((v, i) => {
    const { entry } = v;
    const kind = entry ? 'op' : inputNames.has(v) ? 'input' : 'constant';
    return {
      index: i,
      kind,
      op: entry ? entry.op.name : null,
      label: inputNames.get(v) ?? v.name ?? (entry ? `#${i}` : v.size === 1 ? String(v.value.values()[0]) : 'constant'),
      inputs: entry ? entry.inputs.map((u) => index.get(u)!) : [],
      value: v.value,
      variable: v,
      math: entry ? opMath(entry.op) : null,
    };
  });

  // The engine's own walk, observed: a hook on every variable sees its complete gradient as it is reached.
  const arrivals: { variable: Variable; grad: Tensor }[] = [];
  const removers = order
    .filter((v) => v.requiresGrad)
    .map((v) => v.registerHook((g) => void arrivals.push({ variable: v, grad: g.value })));
  const leaves = evaluation.inputs.map((x) => x.variable);
  const grads = gradients(output, leaves, { gradient: onesLike(output.value), retainGraph: true });
  removers.forEach((remove) => remove());

  const steps: BackwardStep[] = [];
  for (const { variable, grad } of arrivals) {
    const { entry } = variable;
    if (!entry) continue;
    const vjps = noGrad(() => entry.op.backward(new Variable(grad), entry.ctx));
    steps.push({
      node: index.get(variable)!,
      incoming: grad,
      contributions: entry.inputs.map((u, k) => ({ node: index.get(u)!, grad: u.requiresGrad ? (vjps[k]?.value ?? null) : null })),
    });
  }

  const checks = evaluation.inputs.map(({ name, variable }, k): GradientCheck => {
    const numeric = finiteDifference(program, evaluation, name);
    const grad = grads[k]!.value;
    return { name, node: index.get(variable) ?? -1, value: variable.value, grad, numeric, error: relativeError(grad, numeric) };
  });
  return {
    program,
    evaluation,
    nodes,
    steps,
    checks,
    seedIsSum: output.size !== 1,
    inputElements: elements,
    outputElements: output.size,
  };
}

/** ∂ sum(output) / ∂ input by central differences: (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h for every element i. */
export function finiteDifference(program: Program, evaluation: Evaluation, name: string): Tensor {
  const x = evaluation.inputs.find((i) => i.name === name)!.variable.value;
  const base = Float64Array.from(x.values());
  const out = new Float64Array(base.length);
  const f = (values: Float64Array): number =>
    noGrad(() => {
      const r = evaluate(program, { values: new Map([[name, new Tensor(values, [...x.shape])]]) }).output;
      return Array.from(r.value.values()).reduce((s, v) => s + v, 0);
    });
  for (let i = 0; i < base.length; i++) {
    const h = fdStep(base[i]!);
    const plus = Float64Array.from(base);
    const minus = Float64Array.from(base);
    plus[i] = base[i]! + h;
    minus[i] = base[i]! - h;
    out[i] = (f(plus) - f(minus)) / (2 * h);
  }
  return new Tensor(out, [...x.shape]);
}

function relativeError(a: Tensor, b: Tensor): number {
  const av = a.values();
  const bv = b.values();
  let worst = 0;
  for (let i = 0; i < av.length; i++) worst = Math.max(worst, Math.abs(av[i]! - bv[i]!) / Math.max(1, Math.abs(bv[i]!)));
  return worst;
}

/** A direction for forward mode: the unit tangent of one element of one input. */
export interface Direction {
  input: string;
  /** Flat index into the input. */
  element: number;
}

/** Forward mode along one direction: every tape entry's tangent, in forward order. */
export interface ForwardRun {
  /** Tangent of each node (null = identically zero), by node index. */
  tangents: (Tensor | null)[];
  /** The output tangent J·v: the directional derivative of every output element. */
  outputTangent: Tensor;
}

/** The unit tangent of `direction` for each input (zeros for the others). */
function unitTangents(a: Analysis, direction: Direction): Tensor[] {
  return a.evaluation.inputs.map((x) => {
    const t = zeros([...x.variable.shape], { dtype: 'float64' });
    if (x.name === direction.input) t.data[direction.element] = 1;
    return t;
  });
}

/**
 * Forward mode along `direction` with autograd's `jvp`, every tape entry's tangent included. jvp returns only
 * the tangent of what f returns, so f returns every tape entry's result flattened into one vector; the graph
 * it builds has the analysed graph's shape, so its k-th op node is the analysis's k-th op node.
 */
export function forwardMode(a: Analysis, direction: Direction): ForwardRun {
  const units = unitTangents(a, direction);
  const primals = a.evaluation.inputs.map((x) => variable(x.variable.value, { requiresGrad: true, dtype: 'float64', name: x.name }));
  const all = (...xs: Variable[]): Variable => {
    const values = new Map(a.evaluation.inputs.map((x, i) => [x.name, xs[i]!]));
    const order = topologicalOrder(evaluate(a.program, { values }).output).filter((v) => v.entry !== null);
    return concat(
      order.map((v) => v.reshape([-1])),
      0,
    );
  };
  const flat = jvp(all, primals, units).tangent.value.values();
  const tangents: (Tensor | null)[] = a.nodes.map(() => null);
  let at = 0;
  for (const n of a.nodes) {
    if (n.kind === 'input' && n.label === direction.input)
      tangents[n.index] = units[a.evaluation.inputs.findIndex((x) => x.name === n.label)]!;
    if (n.kind !== 'op') continue;
    tangents[n.index] = new Tensor(Float64Array.from(flat.subarray(at, at + n.value.size)), [...n.value.shape]);
    at += n.value.size;
  }
  const out = a.nodes[a.nodes.length - 1]!;
  return { tangents, outputTangent: tangents[out.index] ?? zeros([...out.value.shape], { dtype: 'float64' }) };
}

/** Every direction of the inputs, in order (the n one-hot tangents forward mode needs for a full gradient). */
export function allDirections(a: Analysis): Direction[] {
  return a.evaluation.inputs.flatMap((x) => Array.from({ length: x.variable.size }, (_, element) => ({ input: x.name, element })));
}

/** The full gradient of sum(output) by forward mode: n JVPs, one per input element. */
export function forwardModeGradient(a: Analysis): number[] {
  const primals = a.evaluation.inputs.map((x) => variable(x.variable.value, { dtype: 'float64' }));
  const program = (...xs: Variable[]): Variable =>
    evaluate(a.program, { values: new Map(a.evaluation.inputs.map((x, i) => [x.name, xs[i]!])) }).output;
  return allDirections(a).map((d) => {
    // one plain jvp of the program per direction: the cost forward mode really has
    const t = jvp(program, primals, unitTangents(a, d)).tangent.value.values();
    let s = 0;
    for (let i = 0; i < t.length; i++) s += t[i]!;
    return s;
  });
}

/** The whole gradient timed both ways (best of `repeats`, after a warm-up): a fresh forward + backward vs n JVPs. */
export function timeModes(a: Analysis, repeats = 5): { reverseMs: number; forwardMs: number } {
  const best = (f: () => void): number => {
    f();
    let ms = Infinity;
    for (let k = 0; k < repeats; k++) {
      const t0 = performance.now();
      f();
      ms = Math.min(ms, performance.now() - t0);
    }
    return ms;
  };
  const reverse = (): void => {
    const ev = evaluate(a.program);
    gradients(
      ev.output,
      ev.inputs.map((x) => x.variable),
      { gradient: onesLike(ev.output.value) },
    );
  };
  return { reverseMs: best(reverse), forwardMs: best(() => forwardModeGradient(a)) };
}
