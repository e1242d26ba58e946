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

/** The MLP epoch workload as every contender runs it (see epoch.ts). */
export interface EpochSpec {
  hidden: number;
  batchSize: number;
  lr: number;
  epochs: number;
  /** Time only this many batches per epoch and scale to the full epoch (for the slow tfjs-cpu backend). */
  maxBatches?: number;
}

/**
 * Seconds per epoch of the 784-H-10 ReLU/softmax-cross-entropy MLP trained with Adam in TensorFlow.js:
 * `mode: 'loop'` is a custom loop (`optimizer.minimize`), `mode: 'fit'` is `model.fit` on the whole set.
 * Returns one entry per epoch, extrapolated when `maxBatches` cuts the epoch short.
 */
export async function tfEpochs(
  backend: 'cpu' | 'wasm',
  mode: 'loop' | 'fit',
  x: Float32Array,
  labels: Int32Array,
  spec: EpochSpec,
): Promise<{ seconds: number[]; loss: number[]; batchesTimed: number }> {
  const tf = await useTfBackend(backend);
  const n = labels.length;
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: spec.hidden, activation: 'relu', inputShape: [784] }));
  model.add(tf.layers.dense({ units: 10 }));
  const optimizer = tf.train.adam(spec.lr);
  const batches = Math.ceil(n / spec.batchSize);
  const timed = Math.min(batches, spec.maxBatches ?? batches);
  const used = Math.min(n, timed * spec.batchSize);
  const xs = tf.tensor2d(x.subarray(0, used * 784), [used, 784]);
  const ys = tf.oneHot(tf.tensor1d(labels.subarray(0, used), 'int32'), 10).toFloat();
  const seconds: number[] = [];
  const loss: number[] = [];
  if (mode === 'fit') {
    model.compile({ optimizer, loss: (t, p) => tf.losses.softmaxCrossEntropy(t, p) });
    for (let e = 0; e < spec.epochs; e++) {
      const t0 = performance.now();
      const h = await model.fit(xs, ys, { batchSize: spec.batchSize, epochs: 1, shuffle: true, verbose: 0 });
      seconds.push(((performance.now() - t0) / 1000) * (batches / timed));
      loss.push(h.history.loss![0] as number);
    }
  } else {
    for (let e = 0; e < spec.epochs; e++) {
      const t0 = performance.now();
      const perm = tf.util.createShuffledIndices(used);
      let total = 0;
      for (let b = 0; b < timed; b++) {
        const idx = tf.tensor1d(Int32Array.from(perm.subarray(b * spec.batchSize, Math.min(used, (b + 1) * spec.batchSize))), 'int32');
        const xb = tf.gather(xs, idx);
        const yb = tf.gather(ys, idx);
        const l = optimizer.minimize(
          () =>
            tf.losses.softmaxCrossEntropy(yb, model.apply(xb) as import('@tensorflow/tfjs').Tensor) as import('@tensorflow/tfjs').Scalar,
          true,
        );
        total += (l!.dataSync()[0] ?? 0) * idx.shape[0];
        tf.dispose([idx, xb, yb, l!]);
      }
      seconds.push(((performance.now() - t0) / 1000) * (batches / timed));
      loss.push(total / used);
    }
  }
  tf.dispose([xs, ys]);
  model.dispose();
  optimizer.dispose();
  return { seconds, loss, batchesTimed: timed };
}
