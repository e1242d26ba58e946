/** The MLP training workloads of the epoch section, browser-safe (the browser bench page runs them too). */
import { Dense, Sequential } from '@tapegrad/nn';
import type { Tensor } from '@tapegrad/tensor';

/** One MLP training workload: `784-hidden…-10`, its batch size, parameter dtype and number of epochs. */
export interface Workload {
  name: string;
  hidden: number[];
  batchSize: number;
  dtype: 'float32' | 'float64';
  epochs: number;
}

/** Seconds of each epoch of tapegrad's `model.fit` on the workload, and the loss after each. */
export function tapegradEpochs(x: Tensor, labels: Tensor, w: Workload): { seconds: number[]; loss: number[] } {
  const model = new Sequential();
  w.hidden.forEach((h, i) => model.add(new Dense(h, { activation: 'relu', dtype: w.dtype, ...(i === 0 ? { inputShape: [784] } : {}) })));
  model.add(new Dense(10, { activation: 'softmax', dtype: w.dtype }));
  model.compile({ optimizer: 'adam', lr: 1e-3, loss: 'sparseCategoricalCrossentropy' });
  const seconds: number[] = [];
  let t0 = 0;
  const history = model.fit(x, labels, {
    epochs: w.epochs,
    batchSize: w.batchSize,
    verbose: 0,
    seed: 0,
    callbacks: [
      {
        onEpochBegin: () => void (t0 = performance.now()),
        onEpochEnd: () => void seconds.push((performance.now() - t0) / 1000),
      },
    ],
  });
  return { seconds, loss: history.history['loss'] ?? [] };
}
