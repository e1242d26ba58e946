// Section 4: backprop by hand vs autograd for the current model, layer by layer, with @tapegrad/nn's
// explainBackprop — the delta rule in float64 beside the tape's gradients through the model's training path.
import { explainBackprop, type BackpropExplanation } from '@tapegrad/nn';
import { Tensor, fmtShape } from '@tapegrad/tensor';
import { byId, fmt, h } from '../dom.js';
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

/** The flat positions of the `k` largest |values| in one pass, largest first (ties: the earlier position first). */
function largestPositions(t: Tensor, k = 3): number[] {
  const v = t.values();
  const top: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    let at = top.length;
    while (at > 0 && Math.abs(v[top[at - 1]!]!) < a) at--;
    if (at < k) {
      top.splice(at, 0, i);
      if (top.length > k) top.pop();
    }
  }
  return top;
}

/** The entries of `t` at `positions` as `[i, j] value`. */
function entries(t: Tensor, positions: number[]): string {
  const cols = t.shape[1] ?? 1;
  const tv = t.values();
  return positions.map((i) => `[${Math.floor(i / cols)}, ${i % cols}] ${fmt(tv[i]!, 5)}`).join('  ');
}

function render(e: BackpropExplanation, n: number, source: string): void {
  const rows = e.layers.map((l) => {
    // many ∂W rows are 0 (border pixels): show where the hand-derived ∂W is largest, and autograd's at the same places
    const top = largestPositions(l.dWHand);
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, l.layer),
      h('td', {}, l.activation),
      h('td', {}, h('code', { class: 'formula' }, l.formula)),
      h('td', {}, fmtShape(l.dWHand.shape)),
      h('td', {}, h('code', {}, entries(l.dWHand, top))),
      h('td', {}, h('code', {}, entries(l.dWAutograd, top))),
      h('td', { 'data-max-diff': l.maxDiff }, fmt(l.maxDiff, 2)),
    );
  });
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
