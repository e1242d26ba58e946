import { describe, expect, it } from 'vitest';
import { Generator, Tensor, ValueError, randn } from '@tapegrad/tensor';
import {
  CSVLogger,
  Dense,
  EarlyStopping,
  History,
  JSONLogger,
  LambdaCallback,
  LearningRateScheduler,
  LivePlot,
  ModelCheckpoint,
  ProgressBar,
  ReduceLROnPlateau,
  Sequential,
  TerminateOnNaN,
  toCategorical,
  type Callback,
} from '../src/index.js';

function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const x = randn([n, 4], { generator: g });
  const v = x.values();
  const lab = new Int32Array(n);
  for (let i = 0; i < n; i++) lab[i] = v[i * 4]! + v[i * 4 + 1]! > 0 ? 1 : 0;
  return { x, y: toCategorical(new Tensor(lab, [n]), 2) };
}

function model(lr = 0.05, optimizer = 'adam'): Sequential {
  const m = new Sequential({ seed: 1 });
  m.add(new Dense(8, { activation: 'tanh', inputShape: [4] }));
  m.add(new Dense(2, { activation: 'softmax' }));
  m.compile({ optimizer, lr, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('callbacks', () => {
  it('custom callbacks see every hook in order with Keras logs', () => {
    const { x, y } = data(40, 1);
    const events: string[] = [];
    const cb: Callback = {
      onTrainBegin: () => void events.push('train+'),
      onEpochBegin: (e) => void events.push(`epoch${e}+`),
      onBatchBegin: (b) => void events.push(`b${b}+`),
      onBatchEnd: (b, logs) => void events.push(`b${b}-${logs.size}`),
      onEpochEnd: (e, logs) => void events.push(`epoch${e}-${Object.keys(logs).join(',')}`),
      onTrainEnd: () => void events.push('train-'),
    };
    model().fit(x, y, { epochs: 2, batchSize: 32, validationSplit: 0.25, verbose: 0, callbacks: [cb] });
    expect(events).toEqual([
      'train+',
      'epoch0+',
      'b0+',
      'b0-30',
      'epoch0-loss,accuracy,val_loss,val_accuracy,lr,time',
      'epoch1+',
      'b0+',
      'b0-30',
      'epoch1-loss,accuracy,val_loss,val_accuracy,lr,time',
      'train-',
    ]);
  });

  it('EarlyStopping stops after `patience` epochs without improvement and restores the best weights', () => {
    const { x, y } = data(60, 2);
    const m = model(0.05);
    // the monitored value improves for 3 epochs and then gets worse: stop at epoch 3 + patience
    const fake = [5, 4, 3, 3.5, 3.6, 3.7, 3.8, 3.9, 4, 4.1];
    let snapshot: Tensor[] = [];
    const inject = new LambdaCallback({
      onEpochEnd: (e, logs) => {
        logs.val_loss = fake[e]!;
        if (e === 2) snapshot = m.getWeights();
      },
    });
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    const h = m.fit(x, y, { epochs: 10, verbose: 0, validationSplit: 0.2, callbacks: [inject, es] });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(es.bestEpoch).toBe(2);
    expect(es.stoppedEpoch).toBe(4);
    const w = m.getWeights();
    for (let i = 0; i < w.length; i++) expect(w[i]!.equals(snapshot[i]!)).toBe(true);
  });

  it('restoreBestWeights also applies when training runs to the last epoch', () => {
    const { x, y } = data(60, 3);
    const m = model(0.05);
    const fake = [3, 1, 2];
    let best: Tensor[] = [];
    const inject = new LambdaCallback({
      onEpochEnd: (e, logs) => {
        logs.loss = fake[e]!;
        if (e === 1) best = m.getWeights();
      },
    });
    m.fit(x, y, {
      epochs: 3,
      verbose: 0,
      callbacks: [inject, new EarlyStopping({ monitor: 'loss', patience: 5, restoreBestWeights: true })],
    });
    expect(m.getWeights()[0]!.equals(best[0]!)).toBe(true);
  });

  it('EarlyStopping on a missing monitor explains what to do', () => {
    const { x, y } = data(20, 4);
    expect(() => model().fit(x, y, { epochs: 1, verbose: 0, callbacks: [new EarlyStopping()] })).toThrow(
      /pass validationSplit or validationData/,
    );
  });

  it('ModelCheckpoint saves only on improvement through the injected function', () => {
    const { x, y } = data(40, 5);
    const fake = [3, 2, 2.5, 1, 1.5];
    const saved: number[] = [];
    const inject = new LambdaCallback({ onEpochEnd: (e, logs) => void (logs.val_loss = fake[e]!) });
    const ck = new ModelCheckpoint({ save: (m, info) => void saved.push(info.epoch, m.epoch) });
    model().fit(x, y, { epochs: 5, verbose: 0, validationSplit: 0.25, callbacks: [inject, ck] });
    expect(saved).toEqual([0, 1, 1, 2, 3, 4]);
    expect(ck.savedEpochs).toEqual([0, 1, 3]);
  });

  it('EarlyStopping with a baseline nobody beats still restores the best epoch seen (Keras 3), and all-NaN the first', () => {
    const { x, y } = data(40, 8);
    const m = model(0.05);
    const fake = [1, 0.5, 0.9, 0.95, 0.97];
    let best: Tensor[] = [];
    const inject = new LambdaCallback({
      onEpochEnd: (e, logs) => {
        logs.val_loss = fake[e]!;
        if (e === 1) best = m.getWeights();
      },
    });
    const es = new EarlyStopping({ patience: 3, baseline: 0.1, restoreBestWeights: true });
    const h = m.fit(x, y, { epochs: 5, verbose: 0, validationSplit: 0.25, callbacks: [inject, es] });
    expect(h.epoch).toEqual([0, 1, 2]); // improvements above the baseline do not reset the patience
    expect(es.bestEpoch).toBe(1);
    m.getWeights().forEach((w, i) => expect(w.equals(best[i]!)).toBe(true));
    const n = model(0.05);
    let first: Tensor[] = [];
    const nan = new LambdaCallback({
      onEpochEnd: (e, logs) => {
        logs.loss = NaN;
        if (e === 0) first = n.getWeights();
      },
    });
    n.fit(x, y, { epochs: 3, verbose: 0, callbacks: [nan, new EarlyStopping({ monitor: 'loss', patience: 5, restoreBestWeights: true })] });
    n.getWeights().forEach((w, i) => expect(w.equals(first[i]!)).toBe(true));
  });

  it('ModelCheckpoint keeps its best across fit calls (Keras): a later, worse run does not overwrite the best save', () => {
    const { x, y } = data(40, 9);
    const m = model();
    const saved: number[] = [];
    const ck = new ModelCheckpoint({ save: (_m, info) => void saved.push(info.value) });
    const run = (values: number[]): unknown =>
      m.fit(x, y, {
        epochs: values.length,
        verbose: 0,
        validationSplit: 0.25,
        callbacks: [new LambdaCallback({ onEpochEnd: (e, logs) => void (logs.val_loss = values[e]!) }), ck],
      });
    run([0.5, 0.3]);
    run([0.9]);
    run([0.2]);
    expect(saved).toEqual([0.5, 0.3, 0.2]);
  });

  it('LearningRateScheduler sets lr per epoch and History records it', () => {
    const { x, y } = data(20, 6);
    const h = model(0.1, 'sgd').fit(x, y, { epochs: 3, verbose: 0, callbacks: [new LearningRateScheduler((e) => 0.1 / (e + 1))] });
    expect(h.history.lr).toEqual([0.1, 0.05, 0.1 / 3]);
  });

  it('ReduceLROnPlateau multiplies lr by factor after patience epochs without improvement', () => {
    const { x, y } = data(20, 7);
    const fake = [1, 1, 1, 1, 1, 1];
    const inject = new LambdaCallback({ onEpochEnd: (e, logs) => void (logs.loss = fake[e]!) });
    const h = model(0.1, 'sgd').fit(x, y, {
      epochs: 6,
      verbose: 0,
      callbacks: [inject, new ReduceLROnPlateau({ monitor: 'loss', patience: 2, factor: 0.5 })],
    });
    // History holds the rate each epoch trained with: reduced after epochs 3 and 5 (patience 2, no improvement)
    expect(h.history.lr!.map((v) => +v.toFixed(6))).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('TerminateOnNaN stops cleanly instead of throwing', () => {
    const { x, y } = data(20, 8);
    const m = new Sequential({ seed: 1 });
    m.add(new Dense(2, { inputShape: [4] }));
    m.compile({ optimizer: 'sgd', lr: 1e6, loss: 'mse' }); // the largest lr compile takes: diverges in a few steps
    const t = new TerminateOnNaN();
    const h = m.fit(x, y, { epochs: 20, batchSize: 4, verbose: 0, callbacks: [t] });
    expect(t.terminatedAt).not.toBeNull();
    expect(h.epoch.length).toBeLessThan(20);
  });

  it("TerminateOnNaN stops the 'iterative' optimizer (one update per example) cleanly too; without it the error names the example", () => {
    const { x, y } = data(20, 8);
    const iterative = (): Sequential => {
      const m = new Sequential({ seed: 1 });
      m.add(new Dense(2, { inputShape: [4] }));
      return m.compile({ optimizer: 'iterative', lr: 1e6, loss: 'mse' });
    };
    const t = new TerminateOnNaN();
    const h = iterative().fit(x, y, { epochs: 20, batchSize: 4, verbose: 0, callbacks: [t] });
    expect(t.terminatedAt).not.toBeNull();
    expect(h.epoch.length).toBeLessThan(20);
    expect(() => iterative().fit(x, y, { epochs: 20, batchSize: 4, verbose: 0 })).toThrow(
      /^fit: the loss became (NaN|Infinity) at epoch \d+, batch \d+, example \d of the batch; .*TerminateOnNaN/,
    );
    const m = iterative();
    expect(() => {
      for (let i = 0; i < 20; i++) m.trainOnBatch(x, y);
    }).toThrow(/^trainOnBatch: the loss became (NaN|Infinity), example \d+ of the batch/);
  });

  it('fitAsync awaits asynchronous callbacks and gives the same numbers as fit; fit rejects them', async () => {
    const { x, y } = data(40, 11);
    const order: string[] = [];
    const slow: Callback = {
      onEpochEnd: async (e) => {
        await new Promise((r) => setTimeout(r, 5));
        order.push(`saved${e}`);
      },
      onEpochBegin: (e) => void order.push(`begin${e}`),
    };
    const a = await model().fitAsync(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [slow] });
    expect(order).toEqual(['begin0', 'saved0', 'begin1', 'saved1', 'begin2', 'saved2']);
    const b = model().fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(a.history.loss).toEqual(b.history.loss);
    expect(() => model().fit(x, y, { epochs: 1, verbose: 0, callbacks: [{ onBatchEnd: async () => {} }] })).toThrow(
      /use `await model.fitAsync/,
    );
  });

  it('CSV and JSON loggers collect one row per epoch in memory', () => {
    const { x, y } = data(20, 9);
    let written = '';
    const csv = new CSVLogger({ write: (s) => void (written = s) });
    const json = new JSONLogger();
    model().fit(x, y, { epochs: 2, verbose: 0, callbacks: [csv, json] });
    const lines = written.trim().split('\n');
    expect(lines[0]).toBe('epoch,loss,accuracy,lr,time');
    expect(lines.length).toBe(3);
    expect(JSON.parse(json.toString()).map((r: { epoch: number }) => r.epoch)).toEqual([0, 1]);
  });
});

describe('History', () => {
  it('pads keys that appear late with NaN and round-trips through JSON', () => {
    const h = new History({ seed: 5, epochs: 2 });
    h.record(0, { loss: 1 });
    h.record(1, { loss: 0.5, val_loss: 0.7 });
    expect(h.history.val_loss).toEqual([NaN, 0.7]);
    const back = History.fromJSON(JSON.parse(JSON.stringify(h)));
    expect(back.history.val_loss).toEqual([NaN, 0.7]);
    expect(back.params.seed).toBe(5);
    expect(back.last()).toEqual({ loss: 0.5, val_loss: 0.7 });
    expect(() => History.fromJSON({ epoch: [0], history: { loss: [1, 2] } })).toThrow(/history.loss must be an array of 1 numbers/);
    expect(() => History.fromJSON({ epoch: [0], history: { loss: [1, 2] } })).toThrow(ValueError);
    expect(() => History.fromJSON(null)).toThrow(/expected \{epoch: number\[\], history: \{\.\.\.\}\}, got null/);
    expect(() => History.fromJSON({ history: {} })).toThrow(ValueError);
  });
});

describe('progress', () => {
  it('a TTY gets a live bar with ETA and metrics; otherwise one line per epoch; verbose 0 is silent', () => {
    let t = 0;
    const tty = {
      out: '',
      isTTY: true,
      write(s: string) {
        this.out += s;
      },
    };
    const bar = new ProgressBar({ writer: tty, now: () => t, interval: 0, width: 10 });
    bar.epochBegin(0, 2, 4);
    t = 1000;
    bar.batchEnd(1, { loss: 0.5, accuracy: 0.75 });
    expect(tty.out).toContain('Epoch 1/2\n');
    expect(tty.out).toContain('\r[==>.......] 1/4 - ETA 3.0s - loss: 0.5000 - accuracy: 0.7500');
    t = 4000;
    bar.epochEnd({ loss: 0.25, accuracy: 1, val_loss: 0.3, lr: 0.1, time: 4 });
    // eslint-disable-next-line no-control-regex -- the erase-to-end-of-line escape is part of what is asserted
    expect(tty.out).toMatch(/\[==========\] 4\/4 - 4\.0s - loss: 0\.2500 - accuracy: 1\.0000 - val_loss: 0\.3000\x1b\[K\n$/);

    const file = {
      out: '',
      isTTY: false,
      write(s: string) {
        this.out += s;
      },
    };
    const { x, y } = data(40, 10);
    model().fit(x, y, { epochs: 2, batchSize: 8, verbose: 1, writer: file });
    const lines = file.out.trim().split('\n');
    expect(lines.length).toBe(2);
    expect(lines[1]).toMatch(/^Epoch 2\/2 - .* - loss: \d\.\d{4} - accuracy: \d\.\d{4}$/);

    const live = {
      out: '',
      isTTY: true,
      write(s: string) {
        this.out += s;
      },
    };
    model().fit(x, y, { epochs: 1, batchSize: 8, verbose: 1, writer: live });
    expect(live.out.startsWith('Epoch 1/1\n\r[')).toBe(true);
    // eslint-disable-next-line no-control-regex -- the erase-to-end-of-line escape is part of what is asserted
    expect(live.out).toMatch(/5\/5 - [\d.]+s - loss: \d\.\d{4} - accuracy: \d\.\d{4}\x1b\[K\n$/);

    const quiet = {
      out: '',
      isTTY: true,
      write(s: string) {
        this.out += s;
      },
    };
    model().fit(x, y, { epochs: 1, verbose: 0, writer: quiet });
    expect(quiet.out).toBe('');
  });
});

describe('epoch-end callbacks and History', () => {
  it('History already holds the epoch when the epoch-end callbacks run (a live plot never lags)', () => {
    const { x, y } = data(24, 11);
    const seen: number[] = [];
    const m = model();
    const probe = new LambdaCallback({ onEpochEnd: (e) => void seen.push(e, m.history!.history.loss!.length) });
    m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [probe] });
    expect(seen).toEqual([0, 1, 1, 2, 2, 3]);
  });

  it('LivePlot redraws an SVG with every epoch so far, after each epoch', () => {
    const { x, y } = data(24, 12);
    const drawn: { svg: string; epochs: number }[] = [];
    const plot = new LivePlot((svg, h) => void drawn.push({ svg, epochs: h.epoch.length }), { title: 'live' });
    model().fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, validationSplit: 0.25, callbacks: [plot] });
    expect(drawn.map((d) => d.epochs)).toEqual([1, 2, 3]);
    expect(drawn[2]!.svg.startsWith('<svg')).toBe(true);
    expect(drawn[2]!.svg).toContain('live');
    expect(drawn[2]!.svg).toContain('val_loss');
    expect(() => new LivePlot(null as unknown as () => void)).toThrow(ValueError);
  });

  it('fitAsync waits for a Promise returned by onBatchEnd before the next batch (a page can pause training)', async () => {
    const { x, y } = data(32, 13);
    const events: string[] = [];
    let release: (() => void) | null = null;
    const pause = new LambdaCallback({
      onBatchBegin: (b) => void events.push(`begin ${b}`),
      onBatchEnd: (b) => {
        events.push(`end ${b}`);
        if (b !== 1) return;
        return new Promise<void>((resolve) => {
          release = () => {
            events.push('released');
            resolve();
          };
        });
      },
    });
    const run = model().fitAsync(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [pause] });
    for (let i = 0; i < 20 && release === null; i++) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['begin 0', 'end 0', 'begin 1', 'end 1']);
    release!();
    await run;
    expect(events).toEqual(['begin 0', 'end 0', 'begin 1', 'end 1', 'released', 'begin 2', 'end 2', 'begin 3', 'end 3']);
  });
});

describe('progress bar in a terminal of a given width', () => {
  const terminal = (columns: number) => ({
    out: '',
    isTTY: true,
    columns,
    write(s: string) {
      this.out += s;
    },
  });
  /** Every row the terminal shows: redraws split at \r, rows at \n, the erase-line escape removed. */
  const rows = (out: string): string[] => out.split(/[\r\n]/).map((r) => r.replaceAll('\x1b[K', ''));

  it('at 80 columns no redraw or final row is wider than the terminal (a wrapped redraw would leave stale lines)', () => {
    let t = 0;
    const term = terminal(80);
    const bar = new ProgressBar({ writer: term, now: () => t, interval: 0 });
    bar.epochBegin(0, 10, 938);
    for (const step of [1, 120, 937]) {
      t += 500;
      bar.batchEnd(step, { loss: 0.123456, accuracy: 0.9612, mae: 0.01 });
    }
    t += 500;
    bar.epochEnd({ loss: 0.12, accuracy: 0.96, val_loss: 0.2, val_accuracy: 0.94, lr: 0.001, time: 2 });
    const shown = rows(term.out).filter((r) => r !== '');
    expect(Math.max(...shown.map((r) => r.length))).toBeLessThanOrEqual(79);
    expect(shown.some((r) => r.startsWith('[') && r.includes('120/938 - ETA'))).toBe(true);
    // the final line keeps every value, on as many rows as it needs
    const final = shown.slice(shown.findIndex((r) => r.includes('938/938')));
    expect(final.join(' - ')).toMatch(/938\/938 - 2\.0s - loss: 0\.1200 - accuracy: 0\.9600 - val_loss: 0\.2000 - val_accuracy: 0\.9400$/);
  });

  it('at 120 columns the epoch line with validation stays on one row, with a shorter bar', () => {
    let t = 0;
    const term = terminal(120);
    const bar = new ProgressBar({ writer: term, now: () => t, interval: 0 });
    bar.epochBegin(0, 1, 938);
    t = 4000;
    bar.epochEnd({ loss: 0.12, accuracy: 0.96, val_loss: 0.2, val_accuracy: 0.94, lr: 0.001, time: 4 });
    const shown = rows(term.out).filter((r) => r !== '' && !r.startsWith('Epoch'));
    expect(shown).toHaveLength(1);
    expect(shown[0]!.length).toBeLessThanOrEqual(119);
    expect(shown[0]).toMatch(/^\[=+\] 938\/938 - 4\.0s - loss: 0\.1200 - accuracy: 0\.9600 - val_loss: 0\.2000 - val_accuracy: 0\.9400$/);
  });

  it('a very narrow terminal drops the bar, then trailing logs, from the live row — it never wraps', () => {
    let t = 0;
    const term = terminal(30);
    const bar = new ProgressBar({ writer: term, now: () => t, interval: 0 });
    bar.epochBegin(0, 1, 938);
    t = 100;
    bar.batchEnd(5, { loss: 0.5, accuracy: 0.75 });
    const live = rows(term.out).filter((r) => r.includes('/938'));
    expect(live).toEqual(['  5/938 - ETA 19s']);
  });
});
