import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './temp-dirs.js';
import { History } from '@tapegrad/nn';
import { load } from '@tapegrad/nn/node';
import { createOptimizer } from '@tapegrad/optim';
import { run as runKeras } from '../tutorial-keras-style/main.js';
import { run as runNumpy } from '../tutorial-numpy-style/main.js';

const tmp = tempDirs('tapegrad-tutorial-');

describe('examples/tutorial-keras-style', () => {
  it("leaves each optimizer's own default learning rate unless lr is given (adadelta 1.0, not the tutorial's 1e-3)", () => {
    const small = { trainSize: 200, testSize: 100, epochs: 1, hidden: 8, outDir: tmp() };
    expect(runKeras({ ...small, optimizer: 'adadelta' }).model.optimizer!.lr).toBe(1);
    expect(runKeras({ ...small, optimizer: 'rmsprop' }).model.optimizer!.lr).toBe(createOptimizer('rmsprop').lr);
    expect(runKeras({ ...small, optimizer: 'sgd', lr: 0.5 }).model.optimizer!.lr).toBe(0.5);
  });

  it('adds layers, compiles by name, fits with validation, plots, saves, reloads and predicts', () => {
    const out = tmp();
    const r = runKeras({ trainSize: 1500, testSize: 500, epochs: 3, hidden: 64, outDir: out });
    // summary: layer table and totals (784·64+64 + 64·10+10 = 50,890)
    expect(r.summary).toContain('Dense');
    expect(r.summary).toContain('softmax');
    expect(r.summary).toContain('50,890');
    // fit with validation: per-epoch train and validation curves, loss falls
    const h = r.history.history;
    expect(h.loss).toHaveLength(3);
    expect(h.val_loss).toHaveLength(3);
    expect(h.val_accuracy).toHaveLength(3);
    expect(h.loss![2]!).toBeLessThan(0.6 * h.loss![0]!);
    expect(r.test.accuracy!).toBeGreaterThanOrEqual(0.85);
    // files written and re-loadable
    for (const f of Object.values(r.files)) expect(existsSync(f)).toBe(true);
    const svg = readFileSync(r.files.plot, 'utf8');
    expect(svg.trimStart().startsWith('<svg')).toBe(true);
    expect(svg).toContain('val_loss');
    const hist = History.fromJSON(JSON.parse(readFileSync(r.files.history, 'utf8')));
    expect(hist.history.loss).toEqual(h.loss);
    const again = load(r.files.model);
    expect(again.summary({ print: false })).toBe(r.model.summary({ print: false }));
    expect(r.reloadIdentical).toBe(true);
    // predict on the first ten test digits
    expect(r.predicted).toHaveLength(10);
    expect(r.predicted.filter((p, i) => p === r.actual[i]).length).toBeGreaterThanOrEqual(7);
  });
});

describe('examples/tutorial-numpy-style', () => {
  it('mlp([784, 100, 10]) fits, predicts labels, scores accuracy and survives save/load', () => {
    const r = runNumpy({ trainSize: 1500, testSize: 500, epochs: 3, outDir: tmp() });
    expect(r.net.layers.map((l) => l.outputSize)).toEqual([100, 10]);
    expect(r.net.layers.map((l) => l.activationName)).toEqual(['relu', 'softmax']);
    const loss = r.history.history.loss!;
    expect(loss[loss.length - 1]!).toBeLessThan(0.6 * loss[0]!);
    expect(r.trainAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.85);
    expect(r.reloadedAccuracy).toBe(r.testAccuracy);
    expect(r.predicted.every((p) => Number.isInteger(p) && p >= 0 && p < 10)).toBe(true);
    expect(existsSync(r.modelPath)).toBe(true);
  });

  it("takes pluggable parts: sigmoid hidden layer, the tutorial's mse loss and plain SGD", () => {
    const r = runNumpy({
      sizes: [784, 32, 10],
      hidden: 'sigmoid',
      loss: 'mse',
      optimizer: 'sgd',
      lr: 5,
      trainSize: 1000,
      testSize: 300,
      epochs: 3,
      batchSize: 16,
      outDir: tmp(),
    });
    expect(r.net.layers.map((l) => l.activationName)).toEqual(['sigmoid', 'softmax']);
    expect(r.net.lossName).toBe('meanSquaredError');
    // mse averages over the 10 outputs too, so its gradients are small: plain SGD needs a large step
    const loss = r.history.history.loss!;
    expect(loss[loss.length - 1]!).toBeLessThan(0.75 * loss[0]!);
    expect(r.testAccuracy).toBeGreaterThan(0.6); // far above the 10% of chance
    expect(r.reloadedAccuracy).toBe(r.testAccuracy);
  });
});
