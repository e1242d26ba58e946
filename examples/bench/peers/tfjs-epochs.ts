/**
 * The MLP epoch workload in TensorFlow.js, browser-safe (no Node API): the Node peer (tfjs.ts) and the browser
 * bench page run the same loop.
 */
type TF = typeof import('@tensorflow/tfjs');

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
 * Seconds per epoch of the 784-H-10 ReLU/softmax-cross-entropy MLP trained with Adam in TensorFlow.js `tf` (its
 * backend already chosen): `mode: 'loop'` is a custom loop (`optimizer.minimize`), `mode: 'fit'` is `model.fit`
 * on the whole set. Returns one entry per epoch, extrapolated when `maxBatches` cuts the epoch short.
 */
export async function tfEpochsWith(
  tf: TF,
  mode: 'loop' | 'fit',
  x: Float32Array,
  labels: Int32Array,
  spec: EpochSpec,
): Promise<{ seconds: number[]; loss: number[]; batchesTimed: number }> {
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
