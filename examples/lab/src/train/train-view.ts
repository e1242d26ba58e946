// Section 2, training: the form, the worker, live curves, the confusion matrix, pause/resume/stop,
// download and load — and a timer on the page's thread that shows it stays responsive while the worker trains.
import type { BackendName } from '@tapegrad/tensor/backend';
import { byId, fmt, h } from '../dom.js';
import { currentModel, setModel, setSamples } from '../model-store.js';
import { renderChart, type Series } from './chart.js';
import { FORMAT_LABEL, loadModelFiles, modelFiles, type ModelFile, type ModelFormat } from './model-files.js';
import type { Evaluation, FromWorker, ToWorker, TrainConfig } from './protocol.js';

const count = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number, digits: number): string => `${(x * 100).toFixed(digits)}%`;
const sumOf = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);

/** Learning rates that work for each optimizer on this task (the form switches to them). */
const DEFAULT_LR: Record<string, number> = {
  adam: 0.001,
  adamw: 0.001,
  nadam: 0.002,
  rmsprop: 0.001,
  sgd: 0.1,
  momentum: 0.05,
  adagrad: 0.05,
};

/** Counts a 10 ms interval timer's ticks and the longest gap between them while training runs. */
class ResponsivenessMeter {
  ticks = 0;
  maxGap = 0;
  private last = 0;
  private started = 0;
  private id: ReturnType<typeof setInterval> | null = null;

  start(): void {
    this.ticks = 0;
    this.maxGap = 0;
    this.started = this.last = performance.now();
    this.id ??= setInterval(() => {
      const now = performance.now();
      this.maxGap = Math.max(this.maxGap, now - this.last);
      this.last = now;
      this.ticks++;
    }, 10);
  }
  stop(): void {
    if (this.id !== null) clearInterval(this.id);
    this.id = null;
  }
  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }
}

interface Curves {
  trainLoss: [number, number][];
  trainAcc: [number, number][];
  testLoss: [number, number][];
  testAcc: [number, number][];
  epochs: number;
}

/** Starts the worker and wires the training section; `backend` is what the page asked for. */
export function mountTraining(backend: BackendName | 'auto'): void {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'tapegrad-training' });
  const send = (m: ToWorker): void => worker.postMessage(m);
  const form = byId<HTMLFormElement>('train-form');
  const trainButton = byId<HTMLButtonElement>('train-start');
  const pauseButton = byId<HTMLButtonElement>('train-pause');
  const stopButton = byId<HTMLButtonElement>('train-stop');
  const downloadButtons: Record<ModelFormat, HTMLButtonElement> = {
    tapegrad: byId('model-download'),
    tfjs: byId('model-download-tfjs'),
    onnx: byId('model-download-onnx'),
  };
  const enableDownloads = (): void => Object.values(downloadButtons).forEach((b) => (b.disabled = false));
  const status = byId('train-status');
  const meter = new ResponsivenessMeter();
  let curves: Curves = { trainLoss: [], trainAcc: [], testLoss: [], testAcc: [], epochs: 1 };
  let running = false;
  let paused = false;

  const setRunning = (on: boolean): void => {
    running = on;
    trainButton.disabled = on;
    pauseButton.disabled = !on;
    stopButton.disabled = !on;
    byId<HTMLInputElement>('model-file').disabled = on;
    if (!on) {
      paused = false;
      pauseButton.textContent = 'Pause';
      pauseButton.setAttribute('aria-pressed', 'false');
    }
  };
  const showError = (message: string): void => {
    byId('train-error').textContent = message;
  };

  const optimizer = byId<HTMLSelectElement>('optimizer');
  optimizer.addEventListener('change', () => {
    byId<HTMLInputElement>('lr').value = String(DEFAULT_LR[optimizer.value] ?? 0.01);
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (running) return;
    let config: TrainConfig;
    try {
      config = readForm();
    } catch (e) {
      showError((e as Error).message);
      return;
    }
    showError('');
    curves = { trainLoss: [], trainAcc: [], testLoss: [], testAcc: [], epochs: config.epochs };
    byId('epoch-body').replaceChildren();
    drawCurves(curves);
    setRunning(true);
    status.textContent = `Training ${describe(config)} …`;
    meter.start();
    send({ type: 'train', config });
  });
  pauseButton.addEventListener('click', () => {
    paused = !paused;
    send({ type: paused ? 'pause' : 'resume' });
  });
  stopButton.addEventListener('click', () => send({ type: 'stop' }));
  const filesStatus = byId('model-files-status');
  for (const [format, button] of Object.entries(downloadButtons) as [ModelFormat, HTMLButtonElement][]) {
    button.addEventListener('click', async () => {
      const m = currentModel();
      if (!m) return;
      button.setAttribute('aria-busy', 'true');
      try {
        const blobs = (await modelFiles(format, m.model, m.json)).map((f) => [f, toBlob(f)] as const);
        showError('');
        for (const [i, [f, blob]] of blobs.entries()) {
          // as tf.io.browserDownloads: one download per task, or a browser may keep only the last
          if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
          saveBlob(blob, f.name);
        }
        filesStatus.textContent =
          `Saved the model ${m.source} as ${FORMAT_LABEL[format]}: ` +
          blobs.map(([f, b]) => `${f.name} (${count(b.size)} bytes)`).join(' and ') +
          '.';
      } catch (e) {
        filesStatus.textContent = '';
        showError(`Could not save the model as ${FORMAT_LABEL[format]}: ${(e as Error).message}`);
      } finally {
        button.removeAttribute('aria-busy');
      }
    });
  }
  byId<HTMLInputElement>('model-file').addEventListener('change', async (event) => {
    const input = event.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    if (files.length === 0) return;
    const names = files.map((f) => f.name).join(' + ');
    try {
      const loaded = await loadModelFiles(files);
      delete byId('train-summary').dataset.loadedAccuracy;
      setModel(loaded.json, `loaded from ${names} (${FORMAT_LABEL[loaded.format]})`, { model: loaded.model });
      showError('');
      status.textContent = `Loaded ${names}; evaluating it on the test digits …`;
      send({ type: 'load', json: loaded.json });
    } catch (e) {
      showError(`Could not load ${names}: ${(e as Error).message}`);
    } finally {
      input.value = '';
    }
  });

  const updateMeter = (): void => {
    const gap = byId('responsiveness');
    gap.textContent =
      `While the worker trained, the page's 10 ms timer fired ${meter.ticks} times in ${meter.seconds.toFixed(1)} s; ` +
      `longest gap ${Math.round(meter.maxGap)} ms.`;
    gap.dataset.ticks = String(meter.ticks);
    gap.dataset.maxGap = String(Math.round(meter.maxGap));
  };

  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const m = event.data;
    switch (m.type) {
      case 'ready':
        setSamples(m.samples);
        byId('worker-backend').textContent = backendLabel(m.backend);
        document.body.dataset.workerBackend = m.backend;
        trainButton.disabled = false;
        status.textContent = `Ready: ${count(m.trainSize)} training and ${count(m.testSize)} test digits loaded in the worker.`;
        break;
      case 'progress': {
        const x = m.epoch + m.batch / m.batches;
        curves.trainLoss.push([x, m.loss]);
        curves.trainAcc.push([x, m.accuracy]);
        drawCurves(curves);
        status.textContent = `Epoch ${m.epoch + 1}/${m.epochs}, batch ${m.batch}/${m.batches}: `;
        status.textContent += `loss ${fmt(m.loss, 3)}, accuracy ${pct(m.accuracy, 1)}`;
        updateMeter();
        break;
      }
      case 'paused':
        paused = m.paused;
        pauseButton.textContent = m.paused ? 'Resume' : 'Pause';
        pauseButton.setAttribute('aria-pressed', String(m.paused));
        status.textContent = m.paused ? 'Paused (the worker holds between two batches).' : 'Resumed.';
        document.body.dataset.paused = String(m.paused);
        break;
      case 'epoch': {
        // a partial epoch (stopped mid-epoch) is marked as such, with the digits it saw and their own rate
        const x = m.partial ? m.epoch + m.seen / m.total : m.epoch + 1;
        curves.testLoss.push([x, m.test.loss]);
        curves.testAcc.push([x, m.test.accuracy]);
        drawCurves(curves);
        const rate = m.seconds > 0 ? `${Math.round(m.seen / m.seconds).toLocaleString('en-US')} digits/s` : '—';
        const digitsOf = `${count(m.seen)} of ${count(m.total)} digits`;
        const label = m.partial ? `${m.epoch + 1} (partial: ${digitsOf})` : String(m.epoch + 1);
        byId('epoch-body').append(
          h(
            'tr',
            {
              'data-epoch': m.epoch + 1,
              'data-test-accuracy': m.test.accuracy,
              'data-seconds': m.seconds,
              'data-seen': m.seen,
              'data-partial': String(m.partial),
            },
            h('td', {}, label),
            h('td', {}, fmt(m.loss, 4)),
            h('td', {}, pct(m.accuracy, 2)),
            h('td', {}, fmt(m.test.loss, 4)),
            h('td', {}, pct(m.test.accuracy, 2)),
            h('td', {}, `${m.seconds.toFixed(2)} s (${rate})`),
          ),
        );
        if (!m.partial) byId('epoch-time').textContent = `${m.seconds.toFixed(2)} s`;
        renderConfusion(m.test);
        const trained = m.partial
          ? `${m.epoch} epoch${m.epoch === 1 ? '' : 's'} and ${digitsOf} of epoch ${m.epoch + 1} (stopped)`
          : `epoch ${m.epoch + 1}`;
        setModel(m.model, `trained in this page, ${trained}`);
        enableDownloads();
        byId('train-summary').textContent =
          `${m.partial ? `Stopped after ${trained}` : `Epoch ${m.epoch + 1}`}: test accuracy ${pct(m.test.accuracy, 2)} ` +
          `on the ${count(sumOf(m.test.confusion))} test digits, ${m.seconds.toFixed(2)} s of training.`;
        updateMeter();
        break;
      }
      case 'evaluated':
        renderConfusion(m.test);
        enableDownloads();
        byId('train-summary').textContent =
          `Model ${currentModel()?.source ?? 'loaded'}: test accuracy ${pct(m.test.accuracy, 2)}, test loss ${fmt(m.test.loss, 4)}.`;
        byId('train-summary').dataset.loadedAccuracy = String(m.test.accuracy);
        status.textContent = 'Loaded model evaluated.';
        break;
      case 'done':
        meter.stop();
        updateMeter();
        setRunning(false);
        status.textContent = m.reason === 'stopped' ? 'Stopped.' : 'Training finished.';
        document.body.dataset.training = m.reason;
        break;
      case 'error':
        meter.stop();
        setRunning(false);
        showError(m.message);
        break;
    }
  };
  worker.onerror = (event) => showError(`The training worker failed: ${event.message}`);
  setRunning(false);
  trainButton.disabled = true; // until the worker has the digits
  drawCurves(curves);
  send({ type: 'init', backend, digitsUrl: new URL('mnist-digits.bin', document.baseURI).href });
}

const toBlob = (f: ModelFile): Blob => new Blob([typeof f.data === 'string' ? f.data : new Uint8Array(f.data)], { type: f.type });

/** Saves `blob` as a download named `name`. */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function readForm(): TrainConfig {
  const value = (id: string): string => byId<HTMLInputElement | HTMLSelectElement>(id).value.trim();
  const int = (id: string, label: string, lo: number, hi: number): number => {
    const v = Number(value(id));
    if (!Number.isInteger(v) || v < lo || v > hi)
      throw new Error(`${label} must be a whole number from ${lo} to ${hi}, got '${value(id)}'`);
    return v;
  };
  const hiddenText = value('hidden');
  const hidden = hiddenText === '' ? [] : hiddenText.split(/[\s,]+/).map(Number);
  if (hidden.some((u) => !Number.isInteger(u) || u < 1 || u > 1024) || hidden.length > 4) {
    throw new Error(`Hidden layers: up to 4 sizes from 1 to 1024 separated by commas (e.g. 128, 64), got '${hiddenText}'`);
  }
  const lr = Number(value('lr'));
  if (!(lr > 0 && lr <= 10)) throw new Error(`Learning rate must be a number in (0, 10], got '${value('lr')}'`);
  return {
    hidden,
    activation: value('activation') as TrainConfig['activation'],
    optimizer: value('optimizer'),
    lr,
    batchSize: int('batch-size', 'Batch size', 1, 4096),
    epochs: int('epochs', 'Epochs', 1, 100),
    trainSize: int('train-size', 'Training digits', 100, 8000),
    seed: int('seed', 'Seed', 0, 2 ** 31 - 1),
  };
}

const describe = (c: TrainConfig): string =>
  `784-${[...c.hidden, 10].join('-')} (${c.activation}), ${c.optimizer} lr ${c.lr}, batch ${c.batchSize}, ${c.trainSize} digits`;

/** How the backend is shown. */
export const backendLabel = (b: BackendName): string =>
  b === 'wasm-fma' ? 'WebAssembly relaxed SIMD (FMA)' : b === 'wasm' ? 'WebAssembly SIMD' : 'JavaScript (fallback)';

function drawCurves(c: Curves): void {
  const series = (name: string, className: string, points: [number, number][], dots = false): Series => ({ name, className, points, dots });
  renderChart(byId('loss-chart'), {
    label: 'Loss',
    xMax: c.epochs,
    series: [series('training loss (running mean)', 'train', c.trainLoss), series('test loss', 'test', c.testLoss, true)],
  });
  renderChart(byId('accuracy-chart'), {
    label: 'Accuracy',
    xMax: c.epochs,
    yRange: [0, 1],
    percent: true,
    series: [series('training accuracy (running mean)', 'train', c.trainAcc), series('test accuracy', 'test', c.testAcc, true)],
  });
}

function renderConfusion(e: Evaluation): void {
  const max = Math.max(...e.confusion);
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'true ↓ / predicted →'),
    ...Array.from({ length: 10 }, (_, j) => h('th', { scope: 'col' }, String(j))),
  );
  const rows = Array.from({ length: 10 }, (_, i) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, String(i)),
      ...Array.from({ length: 10 }, (_, j) => {
        const count = e.confusion[i * 10 + j]!;
        const alpha = count === 0 ? 0 : 0.12 + 0.88 * (count / max);
        return h('td', { class: i === j ? 'diagonal' : count > 0 ? 'miss' : '', style: `--shade: ${alpha.toFixed(3)}` }, String(count));
      }),
    ),
  );
  const caption = h('caption', {}, 'Confusion matrix on the test digits (rows: true digit, columns: predicted)');
  byId('confusion').replaceChildren(caption, h('thead', {}, head), h('tbody', {}, ...rows));
}
