/**
 * TensorFlow.js peers: the pure-JS `cpu` backend and the `wasm` backend (XNNPACK, SIMD), single-threaded.
 * The wasm binaries are loaded from node_modules with setWasmPaths.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { elementwiseShapes, type ElementwiseCase, type MatmulCase } from '../cases.js';
import { measure } from '../util.js';
import { tfEpochsWith, type EpochSpec } from './tfjs-epochs.js';

export type { EpochSpec } from './tfjs-epochs.js';

type TF = typeof import('@tensorflow/tfjs');

let tfPromise: Promise<TF> | null = null;

/** Loads tfjs once (with its console banner about tfjs-node silenced) and registers the wasm paths. */
function loadTf(): Promise<TF> {
  tfPromise ??= (async () => {
    const log = console.log;
    const warn = console.warn;
    console.log = console.warn = () => {};
    try {
      const tf = await import('@tensorflow/tfjs');
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
      // One thread, like every other contender here.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      return tf;
    } finally {
      console.log = log;
      console.warn = warn;
    }
  })();
  return tfPromise;
}

/** Switches tfjs to `backend` ('cpu' | 'wasm') and returns tfjs. */
async function useTfBackend(backend: 'cpu' | 'wasm'): Promise<TF> {
  const tf = await loadTf();
  const log = console.log;
  const warn = console.warn;
  console.log = console.warn = () => {};
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
    await tf.ready();
    // The "install tfjs-node" banner is printed on the first op of a backend, not at setBackend.
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
  } finally {
    console.log = log;
    console.warn = warn;
  }
  return tf;
}

/** ms per `tf.matMul` (result read back with dataSync and disposed) for each case. */
export async function tfMatmul(backend: 'cpu' | 'wasm', cases: MatmulCase[], minMs: number): Promise<number[]> {
  const tf = await useTfBackend(backend);
  return cases.map((c) => {
    const a = c.transA ? tf.randomNormal([c.k, c.m]) : tf.randomNormal([c.m, c.k]);
    const b = c.transB ? tf.randomNormal([c.n, c.k]) : tf.randomNormal([c.k, c.n]);
    const ms = measure(() => {
      const y = tf.matMul(a, b, c.transA, c.transB);
      y.dataSync();
      y.dispose();
    }, minMs);
    a.dispose();
    b.dispose();
    return ms;
  });
}

/** ms per `tf.add` / `tf.sum` (read back and disposed) for each case. */
export async function tfElementwise(backend: 'cpu' | 'wasm', cases: ElementwiseCase[], minMs: number): Promise<number[]> {
  const tf = await useTfBackend(backend);
  return cases.map((c) => {
    const [xs, ys] = elementwiseShapes(c);
    const x = tf.randomNormal(xs);
    const y = tf.randomNormal(ys);
    const ms = measure(() => {
      const z = c.op === 'add' ? tf.add(x, y) : tf.sum(x);
      z.dataSync();
      z.dispose();
    }, minMs);
    x.dispose();
    y.dispose();
    return ms;
  });
}

/**
 * Seconds per epoch of the MLP trained with Adam in TensorFlow.js on `backend` (see {@link tfEpochsWith}).
 */
export async function tfEpochs(
  backend: 'cpu' | 'wasm',
  mode: 'loop' | 'fit',
  x: Float32Array,
  labels: Int32Array,
  spec: EpochSpec,
): Promise<{ seconds: number[]; loss: number[]; batchesTimed: number }> {
  return tfEpochsWith(await useTfBackend(backend), mode, x, labels, spec);
}
