// Files written by an earlier version still load: the version-1 fixtures (written by the code of that time, see
// fixtures/make-model-v1.ts) give the same weights, generator and optimizer state, the same predictions and the
// same next training epoch as that code computed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getBackend } from '@tapegrad/tensor/backend';
import { Sequential, decodeTensors } from '../src/index.js';
import { fixtureData } from './fixtures/fixture-data.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const expected = JSON.parse(fixture('model-v1-expected.json')) as Record<
  string,
  Record<string, { predictions: number[]; nextEpochLoss?: number[] }>
>;
// The plain TypeScript backend is the bit-exact reference; a SIMD variant may round differently in the last bit.
const exact = getBackend() === 'js';
const want = expected[getBackend()] ?? expected.js!;

function expectNumbers(got: ArrayLike<number>, wanted: readonly number[]): void {
  expect(got.length).toBe(wanted.length);
  if (exact) expect(Array.from(got)).toEqual(wanted);
  else Array.from(got).forEach((v, i) => expect(v).toBeCloseTo(wanted[i]!, 5));
}

describe('version-1 model files (written before the format moved on) still load', () => {
  const { x, labels, y } = fixtureData();
  for (const key of ['adam', 'nadam', 'uncompiled']) {
    it(`model-v1-${key}.json: weights, states, predictions and the next epoch as written`, () => {
      const text = fixture(`model-v1-${key}.json`);
      const doc = JSON.parse(text);
      expect(doc.version).toBe(1);
      const model = Sequential.fromJSON(text);
      const stored = decodeTensors(doc.weights.tensors);
      for (const [name, p] of model.namedParameters()) expect(p.value.equals(stored[name]!)).toBe(true);
      expect(model.generator.getState()).toEqual(doc.generatorState);
      expect(model.epoch).toBe(doc.epoch);
      if (doc.compile) {
        const state = model.optimizer!.state();
        expect(state.iterations).toBe(doc.optimizerState.iterations);
        expect(state.slots).toEqual(doc.optimizerState.slots);
      } else {
        expect(model.isCompiled).toBe(false);
      }
      expectNumbers(model.predict(x).values(), want[key]!.predictions);
      const loss = want[key]!.nextEpochLoss;
      if (loss) {
        const h = model.fit(x, key === 'nadam' ? labels : y, { epochs: 1, batchSize: 8, verbose: 0 });
        expectNumbers(h.history.loss!, loss);
      }
    });
  }
});
