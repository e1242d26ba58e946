/**
 * The browser bench page: trains MLP-A (784-128-10, ReLU, softmax cross-entropy, Adam 1e-3, batch 64) on the
 * Fashion-MNIST images the server hands out, first with tapegrad's `model.fit` (its default backend in this
 * engine), then with TensorFlow.js on its wasm backend (one thread) in the same page. `window.benchRun` returns
 * the seconds of each epoch; the bench section (../browser.ts) drives it in headless Chromium.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Tensor } from '@tapegrad/tensor';
import { getBackend } from '@tapegrad/tensor/backend';
import { tfEpochsWith } from '../peers/tfjs-epochs.js';
import { tapegradEpochs } from '../workloads.js';

/** What the page reports. */
export interface BrowserBenchResult {
  samples: number;
  userAgent: string;
  tapegrad: { backend: string; seconds: number[]; loss: number[] };
  tfjs: { backend: string; seconds: number[]; loss: number[] } | { error: string };
}

async function fetchBytes(name: string): Promise<Uint8Array> {
  const res = await fetch(name);
  if (!res.ok) throw new Error(`bench page: ${name}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function run(epochs: number): Promise<BrowserBenchResult> {
  const pixels = await fetchBytes('images.bin');
  const labelBytes = await fetchBytes('labels.bin');
  const n = labelBytes.length;
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = pixels[i]! / 255;
  const labels = Int32Array.from(labelBytes);
  const spec = { name: 'MLP-A', hidden: [128], batchSize: 64, dtype: 'float32' as const, epochs };
  const mine = tapegradEpochs(new Tensor(x, [n, 784]), new Tensor(labels, [n]), spec);
  let tfjs: BrowserBenchResult['tfjs'];
  try {
    setWasmPaths(new URL('./', location.href).href);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
    await tf.ready();
    const r = await tfEpochsWith(tf, 'loop', x, labels, { hidden: 128, batchSize: 64, lr: 1e-3, epochs });
    tfjs = { backend: 'wasm', seconds: r.seconds, loss: r.loss };
  } catch (e) {
    tfjs = { error: (e as Error).message };
  }
  return { samples: n, userAgent: navigator.userAgent, tapegrad: { backend: getBackend(), ...mine }, tfjs };
}

(globalThis as { benchRun?: typeof run }).benchRun = run;
