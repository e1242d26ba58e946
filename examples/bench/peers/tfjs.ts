/**
 * TensorFlow.js peers: the pure-JS `cpu` backend and the `wasm` backend (XNNPACK, SIMD), single-threaded.
 * The wasm binaries are loaded from node_modules with setWasmPaths.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ElementwiseCase, MatmulCase } from '../cases.js';
import { measure } from '../util.js';

type TF = typeof import('@tensorflow/tfjs');

let tfPromise: Promise<TF> | null = null;

/** Loads tfjs once (with its console banner about tfjs-node silenced) and registers the wasm paths. */
export function loadTf(): Promise<TF> {
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

/** Switches tfjs to `backend` ('cpu' | 'wasm'); returns the tfjs version string. */
export async function useTfBackend(backend: 'cpu' | 'wasm'): Promise<TF> {
  const tf = await loadTf();
  const log = console.log;
  console.log = () => {};
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
    await tf.ready();
  } finally {
    console.log = log;
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
    const x = tf.randomNormal([c.size]);
    const y = tf.randomNormal([c.size]);
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
