// The training worker: owns the digits and the model, trains batch by batch (Sequential.trainOnBatch), and
// yields to its event loop often so that pause, resume and stop take effect within a batch. The page's thread
// never trains.
import { Dense, Sequential, confusionMatrix, gatherRows } from '@tapegrad/nn';
import { Generator, Tensor, shuffle } from '@tapegrad/tensor';
import { getBackend, setBackend } from '@tapegrad/tensor/backend';
import { PIXELS, loadDigits, type Digits } from './digits.js';
import type { Evaluation, FromWorker, ToWorker, TrainConfig } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker): void => scope.postMessage(message);

let digits: Digits | null = null;
let model: Sequential | null = null;
let paused = false;
let stopped = false;
let training = false;
let wake: (() => void) | null = null;

// A zero-delay yield: a MessageChannel message is not clamped like a nested setTimeout (≥ 4 ms).
const channel = new MessageChannel();
const pending: (() => void)[] = [];
channel.port1.onmessage = () => pending.shift()?.();
const yieldToEvents = (): Promise<void> =>
  new Promise((resolve) => {
    pending.push(resolve);
    channel.port2.postMessage(null);
  });

scope.onmessage = (event) => {
  const message = event.data;
  const run = async (): Promise<void> => {
    switch (message.type) {
      case 'init':
        setBackend(message.backend);
        digits = await loadDigits(message.digitsUrl);
        post({
          type: 'ready',
          backend: getBackend(),
          trainSize: digits.xTrain.shape[0]!,
          testSize: digits.xTest.shape[0]!,
          samples: { x: digits.xTest.values().slice(0, 64 * PIXELS) as Float32Array, y: digits.yTest.values().slice(0, 64) as Int32Array },
        });
        return;
      case 'train':
        if (training) throw new Error('train: a run is in progress; stop it first');
        await train(message.config);
        return;
      case 'pause':
      case 'resume':
        paused = message.type === 'pause';
        if (!paused) wake?.();
        post({ type: 'paused', paused });
        return;
      case 'stop':
        stopped = true;
        paused = false;
        wake?.();
        return;
      case 'load': {
        if (training) throw new Error('load: stop the training run first');
        model = Sequential.fromJSON(message.json);
        post({ type: 'evaluated', test: evaluate(model), model: message.json });
        return;
      }
    }
  };
  run().catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
};

/** The model the form describes: hidden Dense layers, then 10 softmax outputs with sparse cross-entropy. */
function buildModel(c: TrainConfig): Sequential {
  const m = new Sequential({ seed: c.seed });
  [...c.hidden, 10].forEach((units, i) => {
    const activation = i === c.hidden.length ? 'softmax' : c.activation;
    m.add(new Dense(units, { activation, ...(i === 0 ? { inputShape: [PIXELS] } : {}) }));
  });
  m.compile({ optimizer: c.optimizer, lr: c.lr, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** Test loss and accuracy, and the confusion matrix of the predicted classes. */
function evaluate(m: Sequential): Evaluation {
  const { xTest, yTest } = digits!;
  const r = m.evaluate(xTest, yTest, { batchSize: 500 });
  const predicted = m.predictClasses(xTest, { batchSize: 500 });
  return { loss: r.loss!, accuracy: r.accuracy!, confusion: Array.from(confusionMatrix(predicted, yTest, 10).values()) };
}

async function train(c: TrainConfig): Promise<void> {
  if (!digits) throw new Error('train: the digits are not loaded yet');
  training = true;
  stopped = false;
  paused = false;
  try {
    const m = buildModel(c);
    model = m;
    const n = Math.min(c.trainSize, digits.xTrain.shape[0]!);
    const x = digits.xTrain.values();
    const y = digits.yTrain.values();
    const bs = Math.min(c.batchSize, n);
    const batches = Math.ceil(n / bs);
    const postEvery = Math.max(1, Math.round(batches / 40)); // about 40 points per epoch on the live curves
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const generator = new Generator(c.seed);
    const xb = new Float32Array(bs * PIXELS);
    const yb = new Int32Array(bs);
    for (let epoch = 0; epoch < c.epochs && !stopped; epoch++) {
      shuffle(order, { generator });
      let lossSum = 0;
      let accSum = 0;
      let seen = 0;
      let busy = 0;
      let lastYield = performance.now();
      for (let b = 0; b < batches; b++) {
        if (performance.now() - lastYield > 8) {
          await yieldToEvents();
          lastYield = performance.now();
        }
        while (paused) await new Promise<void>((resolve) => (wake = resolve));
        if (stopped) break;
        const t0 = performance.now();
        const size = Math.min(bs, n - b * bs);
        gatherRows(x, PIXELS, order, b * bs, size, xb);
        gatherRows(y, 1, order, b * bs, size, yb);
        const logs = m.trainOnBatch(new Tensor(xb.subarray(0, size * PIXELS), [size, PIXELS]), new Tensor(yb.subarray(0, size), [size]));
        busy += performance.now() - t0;
        lossSum += logs.loss! * size;
        accSum += logs.accuracy! * size;
        seen += size;
        if (b % postEvery === postEvery - 1 || b === batches - 1) {
          post({
            type: 'progress',
            epoch,
            epochs: c.epochs,
            batch: b + 1,
            batches,
            loss: lossSum / seen,
            accuracy: accSum / seen,
            seen: epoch * n + seen,
          });
        }
      }
      if (seen === 0) break;
      // a stop mid-epoch leaves a partial epoch: reported as such, and not counted in the model's epochs
      const partial = seen < n;
      if (!partial) m.epoch += 1;
      post({
        type: 'epoch',
        epoch,
        epochs: c.epochs,
        partial,
        seen,
        total: n,
        loss: lossSum / seen,
        accuracy: accSum / seen,
        test: evaluate(m),
        seconds: busy / 1000,
        model: JSON.stringify(m.toJSON()),
      });
    }
    post({ type: 'done', reason: stopped ? 'stopped' : 'finished' });
  } finally {
    training = false;
    wake = null;
  }
}
