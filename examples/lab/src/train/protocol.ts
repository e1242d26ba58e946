// Messages between the page and the training worker. Everything crossing is plain data (numbers, strings,
// typed arrays); the model crosses as tapegrad's JSON document.
import type { BackendName } from '@tapegrad/tensor/backend';

/** What the form chose. */
export interface TrainConfig {
  hidden: number[];
  activation: 'relu' | 'tanh' | 'sigmoid' | 'gelu';
  optimizer: string;
  lr: number;
  batchSize: number;
  epochs: number;
  /** How many of the 8,000 training digits to use. */
  trainSize: number;
  seed: number;
}

/** Page → worker. */
export type ToWorker =
  | { type: 'init'; backend: BackendName | 'auto'; digitsUrl: string }
  | { type: 'train'; config: TrainConfig }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'load'; json: string };

/** Test accuracy and loss with the confusion matrix (rows: true digit, columns: predicted; 100 counts). */
export interface Evaluation {
  loss: number;
  accuracy: number;
  confusion: number[];
}

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; backend: BackendName; trainSize: number; testSize: number; samples: { x: Float32Array; y: Int32Array } }
  | { type: 'progress'; epoch: number; epochs: number; batch: number; batches: number; loss: number; accuracy: number; seen: number }
  | { type: 'paused'; paused: boolean }
  | {
      type: 'epoch';
      epoch: number;
      epochs: number;
      /** True when training stopped before the end of this epoch: `seen` is then less than `total`. */
      partial: boolean;
      /** Digits trained on in this epoch, of the `total` an epoch has. */
      seen: number;
      total: number;
      loss: number;
      accuracy: number;
      test: Evaluation;
      /** Seconds of training in this epoch (pauses excluded; the test evaluation not included). */
      seconds: number;
      model: string;
    }
  | { type: 'evaluated'; test: Evaluation; model: string }
  | { type: 'done'; reason: 'finished' | 'stopped' }
  | { type: 'error'; message: string };
