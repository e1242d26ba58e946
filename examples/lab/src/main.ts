// The lab's entry: picks the backend (?backend=js forces the plain TypeScript kernels, ?backend=wasm the
// WebAssembly SIMD ones, ?backend=wasm-fma those with the relaxed-SIMD GEMM), mounts the four sections and
// records when the page first answers input.
import { getBackend, setBackend, type BackendName } from '@tapegrad/tensor/backend';
import { mountBackprop } from './backprop/backprop-view.js';
import { byId } from './dom.js';
import { mountDrawing } from './draw/draw-view.js';
import { mountExplorer } from './explorer/explorer-view.js';
import { backendLabel, mountTraining } from './train/train-view.js';

function chooseBackend(): BackendName | 'auto' {
  const asked = new URLSearchParams(location.search).get('backend');
  const backend = asked === 'js' || asked === 'wasm' || asked === 'wasm-fma' ? asked : 'auto';
  try {
    setBackend(backend);
    return backend;
  } catch (e) {
    byId('backend-error').textContent = `${(e as Error).message}. Using the JavaScript backend.`;
    setBackend('js');
    return 'js';
  }
}

const backend = chooseBackend();
const select = byId<HTMLSelectElement>('backend-select');
select.value = backend;
select.addEventListener('change', () => {
  const url = new URL(location.href);
  if (select.value === 'auto') url.searchParams.delete('backend');
  else url.searchParams.set('backend', select.value);
  location.assign(url.href);
});
byId('page-backend').textContent = backendLabel(getBackend());
document.body.dataset.pageBackend = getBackend();

mountExplorer();
mountTraining(backend);
mountDrawing();
mountBackprop();

// performance.now() counts from navigation start: this is the time until the explorer is drawn and every control answers.
const interactive = performance.now();
document.body.dataset.interactiveMs = interactive.toFixed(0);
byId('interactive-time').textContent = `${Math.round(interactive)} ms`;
