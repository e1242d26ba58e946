// Section 1, the expression explorer: wires the program editor to the analysis and draws the graph, the
// backward walk one tape entry at a time, the gradient check and forward mode beside reverse mode.
import { add, fmtShape, type Tensor } from '@tapegrad/tensor';
import { byId, exactValues, fmt, fmtTensor, h } from '../dom.js';
import { allDirections, analyze, forwardMode, timeModes, type Analysis, type Direction, type ForwardRun } from './analysis.js';
import { EXAMPLES } from './examples.js';
import { FUNCTIONS } from './functions.js';
import { renderGraph } from './graph-view.js';

interface State {
  analysis: Analysis | null;
  /** Backward steps taken (0 = only the seed at the output). */
  step: number;
  /** Forward mode is shown on the graph instead of gradients. */
  showTangents: boolean;
  direction: Direction | null;
  /** Forward mode along `direction`, run once per program and direction (stepping backward does not change it). */
  forward: ForwardRun | null;
}

/** Sets up the explorer; returns once the first example has been analysed and drawn. */
export function mountExplorer(): void {
  const program = byId<HTMLTextAreaElement>('program');
  const examples = byId<HTMLSelectElement>('example-select');
  const error = byId('program-error');
  const state: State = { analysis: null, step: 0, showTangents: false, direction: null, forward: null };
  const setDirection = (d: Direction | null): void => {
    state.direction = d;
    state.forward = null;
    if (d && state.analysis) state.forward = forwardMode(state.analysis, d);
  };

  for (const e of EXAMPLES) examples.append(h('option', { value: e.id }, e.title));
  examples.addEventListener('change', () => {
    program.value = EXAMPLES.find((e) => e.id === examples.value)!.source;
    run();
  });
  byId('function-list').replaceChildren(
    ...Object.entries(FUNCTIONS).map(([name, spec]) => h('li', {}, h('code', {}, name), ` — ${spec.help}`)),
  );

  const run = (): void => {
    try {
      state.analysis = analyze(program.value);
      state.step = 0;
      setDirection(allDirections(state.analysis)[0] ?? null);
      error.textContent = '';
      program.removeAttribute('aria-invalid');
      renderAll(state);
    } catch (e) {
      error.textContent = (e as Error).message;
      program.setAttribute('aria-invalid', 'true');
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  program.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 500);
  });
  program.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      clearTimeout(timer);
      run();
    }
  });
  byId('run-program').addEventListener('click', () => {
    clearTimeout(timer);
    run();
  });

  const stepTo = (k: number): void => {
    if (!state.analysis) return;
    state.step = Math.max(0, Math.min(state.analysis.steps.length, k));
    state.showTangents = false;
    const focused = document.activeElement;
    renderAll(state);
    // a button that just became disabled drops keyboard focus: hand it to the one that still moves
    if (focused instanceof HTMLButtonElement && focused.disabled) byId(state.step === 0 ? 'step-next' : 'step-back').focus();
  };
  byId('step-reset').addEventListener('click', () => stepTo(0));
  byId('step-back').addEventListener('click', () => stepTo(state.step - 1));
  byId('step-next').addEventListener('click', () => stepTo(state.step + 1));
  byId('step-all').addEventListener('click', () => stepTo(Number.MAX_SAFE_INTEGER));
  byId<HTMLSelectElement>('direction-select').addEventListener('change', (event) => {
    if (!state.analysis) return;
    setDirection(allDirections(state.analysis)[Number((event.target as HTMLSelectElement).value)] ?? null);
    state.showTangents = true;
    renderAll(state);
  });
  byId('show-tangents').addEventListener('click', () => {
    state.showTangents = !state.showTangents;
    renderAll(state);
  });

  examples.value = EXAMPLES[0]!.id;
  program.value = EXAMPLES[0]!.source;
  run();
}

/** Gradients known after `step` backward steps: each reached entry's incoming gradient, and the partial sums at the inputs. */
function gradientsSoFar(a: Analysis, step: number): Map<number, Tensor> {
  const grads = new Map<number, Tensor>();
  const out = a.nodes[a.nodes.length - 1]!;
  const seed = a.steps[0]?.incoming;
  if (seed) grads.set(out.index, seed);
  for (const s of a.steps.slice(0, step)) {
    grads.set(s.node, s.incoming);
    for (const c of s.contributions) {
      if (!c.grad || a.nodes[c.node]!.kind !== 'input') continue;
      const previous = grads.get(c.node);
      grads.set(c.node, previous ? add(previous, c.grad) : c.grad);
    }
  }
  return grads;
}

function renderAll(state: State): void {
  const a = state.analysis!;
  const forward = state.forward;
  renderGraph(byId('graph'), a, {
    current: state.step > 0 ? a.steps[state.step - 1]!.node : null,
    grads: gradientsSoFar(a, state.step),
    tangents: state.showTangents && forward ? forward.tangents : null,
  });
  byId('show-tangents').setAttribute('aria-pressed', String(state.showTangents));
  renderStep(a, state.step);
  renderChecks(a);
  renderForward(a, state, forward);
  renderTape(a);
}

function renderStep(a: Analysis, step: number): void {
  const total = a.steps.length;
  byId('step-count').textContent = `${step} of ${total}`;
  byId<HTMLButtonElement>('step-back').disabled = step === 0;
  byId<HTMLButtonElement>('step-reset').disabled = step === 0;
  byId<HTMLButtonElement>('step-next').disabled = step === total;
  byId<HTMLButtonElement>('step-all').disabled = step === total;
  const out = a.nodes[a.nodes.length - 1]!;
  const panel = byId('step-detail');
  if (step === 0) {
    const seed = a.seedIsSum ? `ones of shape ${fmtShape(out.value.shape)} (the gradient of the sum of the output)` : '1';
    panel.replaceChildren(
      h('p', {}, `Backward starts at the output ${out.label} with the seed ∂${out.label}/∂${out.label} = ${seed}.`),
      h(
        'p',
        {},
        `It then visits the ${total} tape entries in reverse; at each one the gradient that arrived is complete, ` +
          "and the op's VJP sends it to the op's inputs.",
      ),
    );
    return;
  }
  const s = a.steps[step - 1]!;
  const node = a.nodes[s.node]!;
  const math = node.math;
  panel.replaceChildren(
    h(
      'p',
      {},
      h('strong', {}, `Tape entry ${node.op} → ${node.label}`),
      ` (inputs ${node.inputs.map((i) => a.nodes[i]!.label).join(', ')})`,
    ),
    h(
      'p',
      {},
      `Incoming gradient g = ∂${out.label}/∂${node.label} = `,
      h('code', { 'data-incoming': exactValues(s.incoming) }, fmtTensor(s.incoming, 4, 12)),
    ),
    h('p', {}, 'VJP: ', h('code', { class: 'formula' }, math ? `${math.forward}     ${math.vjp}` : `(op '${node.op}' has no formula)`)),
    h(
      'ul',
      { class: 'contributions' },
      ...s.contributions.map((c, k) =>
        h(
          'li',
          {},
          `input ${k} (${a.nodes[c.node]!.label}) receives `,
          c.grad ? h('code', {}, fmtTensor(c.grad, 4, 12)) : 'nothing (a constant)',
        ),
      ),
    ),
  );
}

function renderChecks(a: Analysis): void {
  const rows = a.checks.map((c) =>
    h(
      'tr',
      { 'data-input': c.name },
      h('th', { scope: 'row' }, c.name),
      h('td', {}, h('code', {}, fmtTensor(c.value, 4, 6))),
      h('td', { class: 'grad', 'data-grad': exactValues(c.grad) }, h('code', {}, fmtTensor(c.grad, 6, 6))),
      h('td', { 'data-numeric': exactValues(c.numeric) }, h('code', {}, fmtTensor(c.numeric, 6, 6))),
      h('td', {}, `${fmt(c.error, 2)} ${c.error < 1e-6 ? '✓' : '✗'}`),
    ),
  );
  byId('check-body').replaceChildren(...rows);
  const worst = Math.max(0, ...a.checks.map((c) => c.error));
  byId('check-summary').textContent =
    `${a.checks.length} input${a.checks.length === 1 ? '' : 's'}: tape gradients agree with central differences (h = 10⁻⁶, float64) ` +
    `to a relative error of ${fmt(worst, 2)}${worst < 1e-6 ? '.' : ' — larger than expected.'}`;
}

function directionLabel(a: Analysis, d: Direction): string {
  const shape = a.evaluation.inputs.find((x) => x.name === d.input)!.variable.shape;
  if (shape.length === 0) return d.input;
  const index: number[] = [];
  let rest = d.element;
  for (let k = shape.length - 1; k >= 0; k--) {
    index.unshift(rest % shape[k]!);
    rest = Math.floor(rest / shape[k]!);
  }
  return `${d.input}[${index.join(', ')}]`;
}

function renderForward(a: Analysis, state: State, run: ForwardRun | null): void {
  const directions = allDirections(a);
  const select = byId<HTMLSelectElement>('direction-select');
  const chosen = state.direction
    ? directions.findIndex((d) => d.input === state.direction!.input && d.element === state.direction!.element)
    : 0;
  select.replaceChildren(
    ...directions.map((d, i) => h('option', { value: i, selected: i === chosen }, `ẋ = unit tangent of ${directionLabel(a, d)}`)),
  );
  if (!run || !state.direction) return;
  const out = a.nodes[a.nodes.length - 1]!;
  const label = directionLabel(a, state.direction);
  const check = a.checks.find((c) => c.name === state.direction!.input)!;
  const reverse = check.grad.values()[state.direction.element]!;
  const jv = Array.from(run.outputTangent.values()).reduce((s, v) => s + v, 0);
  byId('jvp-result').replaceChildren(
    h(
      'p',
      {},
      `Forward mode: one pass carries the tangent of ${label} through every op: `,
      h('code', { 'data-jvp': String(jv) }, `ẏ = ∂${out.label}/∂${label} = ${fmt(jv, 6)}`),
    ),
    h(
      'p',
      {},
      `Reverse mode got the same number as one entry of the gradient of ${check.name}: `,
      h('code', {}, fmt(reverse, 6)),
      Math.abs(jv - reverse) <= 1e-9 * Math.max(1, Math.abs(reverse)) ? ' ✓' : ' ✗',
    ),
  );
  byId('tangent-body').replaceChildren(
    ...a.nodes
      .filter((n) => n.kind === 'op')
      .map((n) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, `${n.op} → ${n.label}`),
          h('td', {}, h('code', { class: 'formula' }, n.math?.jvp || '—')),
          h('td', {}, h('code', {}, run.tangents[n.index] ? fmtTensor(run.tangents[n.index]!, 4, 6) : '0')),
        ),
      ),
  );
  const cost = costOf(a);
  const entries = a.nodes.filter((n) => n.kind === 'op').length;
  const n = a.inputElements;
  const m = a.outputElements;
  byId('cost-body').replaceChildren(
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, 'Reverse (backward)'),
      h('td', {}, `${m === 1 ? 1 : `1 (of the sum; ${m} for a full Jacobian)`}`),
      h('td', {}, `${entries} VJPs`),
      h('td', {}, `${fmt(cost.reverseMs, 2)} ms`),
    ),
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, 'Forward (JVP)'),
      h('td', {}, `${n} (one per input element)`),
      h('td', {}, `${n * entries} JVPs`),
      h('td', {}, `${fmt(cost.forwardMs, 2)} ms`),
    ),
  );
  byId('cost-note').textContent =
    `n = ${n} input elements, m = ${m} output element${m === 1 ? '' : 's'}, ${entries} tape entries. ` +
    'Forward mode needs one pass per input direction, reverse mode one per output: for a loss (m = 1) of many parameters ' +
    'reverse mode wins, for few inputs and many outputs forward mode does. ' +
    "Forward-mode tangents here come from autograd's jvp: each op's JVP rule (the ẏ column).";
}

const costs = new WeakMap<Analysis, ReturnType<typeof timeModes>>();

/** Both modes timed once per program (a step click does not rerun them). */
function costOf(a: Analysis): ReturnType<typeof timeModes> {
  let cost = costs.get(a);
  if (!cost) costs.set(a, (cost = timeModes(a)));
  return cost;
}

function renderTape(a: Analysis): void {
  byId('tape-body').replaceChildren(
    ...a.nodes
      .filter((n) => n.kind === 'op')
      .map((n, k) =>
        h(
          'tr',
          {},
          h('td', {}, String(k)),
          h('td', {}, n.op),
          h('td', {}, n.inputs.map((i) => `${a.nodes[i]!.label} ${fmtShape(a.nodes[i]!.value.shape)}`).join(', ')),
          h('td', {}, `${n.label} ${fmtShape(n.value.shape)}`),
          h('td', {}, h('code', {}, fmtTensor(n.value, 4, 6))),
        ),
      ),
  );
}
