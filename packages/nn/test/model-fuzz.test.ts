// The seeded model-file fuzz of the suite (the longer one: examples/fuzz/model-files.ts). Every single-byte flip and
// every structural mutation of a small saved model is refused with a TapegradError or loads into a model whose
// predictions and one training epoch are finite: no raw TypeError/RangeError, no silent NaN.
import { describe, expect, it } from 'vitest';
import { Dense, Dropout, Sequential } from '../src/index.js';
import { fixtureData } from './fixtures/fixture-data.js';
import { byteFlips, judgeAll, structuralMutations, type ModelApi } from './model-mutants.js';

describe('model-file fuzz', () => {
  const { x, y } = fixtureData();
  const m = new Sequential({ seed: 7, name: 'fuzz' });
  m.add(new Dense(6, { activation: 'relu', inputShape: [4] }));
  m.add(new Dropout(0.25, { seed: 3 }));
  m.add(new Dense(3, { activation: 'softmax' }));
  m.compile({ optimizer: 'adam', lr: 0.01, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  const text = JSON.stringify(m.toJSON());
  const api = Sequential as unknown as ModelApi;
  const data = { x, y, loss: 'categoricalCrossentropy' };

  it('every single-byte flip: refused or loads into a finite model', () => {
    const tally = judgeAll(api, byteFlips(text), data);
    expect(tally.examples).toEqual([]);
    expect(tally.tried).toBe(new TextEncoder().encode(text).length);
    expect(tally.raw + tally.nan).toBe(0);
    // flips in a name, the seed or a hyperparameter's digits are harmless: some mutants must load
    expect(tally.loaded).toBeGreaterThan(0);
  });

  it('every structural mutation (null, {}, [], a string, -1, 1e308, true, deleted): refused or loads into a finite model', () => {
    const tally = judgeAll(api, structuralMutations(text), data);
    expect(tally.examples).toEqual([]);
    expect(tally.tried).toBeGreaterThan(1000);
    expect(tally.raw + tally.nan).toBe(0);
    expect(tally.loaded).toBeGreaterThan(0);
  });
});
