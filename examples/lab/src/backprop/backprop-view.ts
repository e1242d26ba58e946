// Section 4: backprop by hand vs autograd for the current model, layer by layer, with @tapegrad/nn's
// explainBackprop — the delta rule in float64 beside the tape's gradients through the model's training path.
import { explainBackprop, type BackpropExplanation } from '@tapegrad/nn';
import { Tensor } from '@tapegrad/tensor';
import { byId, fmt, fmtShape, h } from '../dom.js';
import { currentModel, currentSamples, onModel } from '../model-store.js';

/** Wires the "explain" button; the explanation is redone whenever the model changes. */
export function mountBackprop(): void {
  const button = byId<HTMLButtonElement>('backprop-run');
  const count = byId<HTMLSelectElement>('backprop-count');
  const run = (): void => {
    const model = currentModel();
    const samples = currentSamples();
    const out = byId('backprop-result');
    if (!model || !samples) {
      out.replaceChildren(h('p', {}, 'Train or load a model first (section 2).'));
      return;
    }
    const n = Math.min(Number(count.value), samples.y.length);
    const x = new Tensor(samples.x.slice(0, n * 784), [n, 784]);
    const y = new Tensor(samples.y.slice(0, n), [n]);
    try {
      render(explainBackprop(model.model, x, y), n, model.source);
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, (e as Error).message));
    }
  };
  let shown = false;
  button.addEventListener('click', () => {
    shown = true;
    run();
  });
  count.addEventListener('change', () => shown && run());
  // Once shown, the explanation follows the model (each epoch); before that, training does no work on this thread.
  onModel(() => {
    button.disabled = false;
    if (shown) run();
  });
}

/** The entries of `t` at the 3 positions where |by| is largest, as `[i, j] value` (many ∂W rows are 0: border pixels). */
function largest(t: Tensor, by: Tensor): string {
  const v = by.values();
  const cols = by.shape[1] ?? 1;
  const top = Array.from(v.keys())
    .sort((a, b) => Math.abs(v[b]!) - Math.abs(v[a]!))
    .slice(0, 3);
  const tv = t.values();
  return top.map((i) => `[${Math.floor(i / cols)}, ${i % cols}] ${fmt(tv[i]!, 5)}`).join('  ');
}

function render(e: BackpropExplanation, n: number, source: string): void {
  const rows = e.layers.map((l) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, l.layer),
      h('td', {}, l.activation),
      h('td', {}, h('code', { class: 'formula' }, l.formula)),
      h('td', {}, fmtShape(l.dWHand.shape)),
      h('td', {}, h('code', {}, largest(l.dWHand, l.dWHand))),
      h('td', {}, h('code', {}, largest(l.dWAutograd, l.dWHand))),
      h('td', { 'data-max-diff': l.maxDiff }, fmt(l.maxDiff, 2)),
    ),
  );
  byId('backprop-result').replaceChildren(
    h(
      'p',
      {},
      `Model ${source}; ${n} test digit${n === 1 ? '' : 's'}; ` +
        `loss ${e.loss}: by hand ${fmt(e.lossHand, 6)}, by autograd ${fmt(e.lossAutograd, 6)}. ` +
        `Largest difference over δ, ∂W and ∂b of all layers: ${fmt(e.maxDiff, 2)} (float32 autograd vs float64 by hand).`,
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        {},
        h('caption', {}, 'Per layer, output layer last: the delta rule by hand beside autograd'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              'layer',
              'activation',
              'δ by the delta rule',
              '∂W shape',
              '∂W by hand (3 largest)',
              '∂W by autograd (same entries)',
              'max |hand − autograd|',
            ].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}
