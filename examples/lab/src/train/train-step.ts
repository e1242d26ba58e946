// One optimizer step on one batch — Keras's `train_on_batch`. The worker needs it so that pause and stop
// act between batches; @tapegrad/nn's Sequential has `fit` and `fitAsync` (which yield between batches but
// cannot be held mid-epoch), so until it has `trainOnBatch` this is `fit` on exactly one batch.
import type { Sequential } from '@tapegrad/nn';
import type { Tensor } from '@tapegrad/tensor';

type WithTrainOnBatch = Sequential & { trainOnBatch?: (x: Tensor, y: Tensor) => Record<string, number> };

/** One step on the batch (x, y); returns the batch's loss and metrics. The model's epoch counter is unchanged. */
export function trainOnBatch(model: Sequential, x: Tensor, y: Tensor): Record<string, number> {
  const own = (model as WithTrainOnBatch).trainOnBatch;
  if (typeof own === 'function') return own.call(model, x, y);
  const epoch = model.epoch;
  const history = model.fit(x, y, { epochs: 1, batchSize: x.shape[0]!, shuffle: false, verbose: 0 });
  model.epoch = epoch;
  return history.last();
}
