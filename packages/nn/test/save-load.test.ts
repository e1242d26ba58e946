import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, Tensor, randn } from '@tapegrad/tensor';
import { load, save } from '../src/node/model-io.js';
import { Dense, Dropout, Sequential, toCategorical, type ModelJSON } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tapegrad-nn-save-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const x = randn([n, 5], { generator: g });
  const v = x.values();
  const lab = new Int32Array(n);
  for (let i = 0; i < n; i++) lab[i] = (v[i * 5]! > 0 ? 1 : 0) + (v[i * 5 + 1]! > 0 ? 1 : 0);
  return { x, y: toCategorical(new Tensor(lab, [n]), 3) };
}

function trained(optimizer = 'adam'): { m: Sequential; x: Tensor; y: Tensor } {
  const { x, y } = data(96, 1);
  const m = new Sequential({ seed: 7, name: 'net' });
  m.add(new Dense(12, { activation: 'relu', inputShape: [5] }));
  m.add(new Dropout(0.1, { seed: 3 }));
  m.add(new Dense(3, { activation: 'softmax' }));
  m.compile({ optimizer, lr: 0.01, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
  return { m, x, y };
}

const sameWeights = (a: Sequential, b: Sequential): boolean => a.getWeights().every((w, i) => w.equals(b.getWeights()[i]!));

describe('toJSON / fromJSON', () => {
  it('a versioned document with architecture, compile config, optimizer state, seed and weights', () => {
    const { m } = trained();
    const doc = m.toJSON();
    expect(doc.format).toBe('tapegrad-model');
    expect(doc.version).toBe(2);
    expect(doc.seed).toBe(7);
    expect(doc.epoch).toBe(2);
    expect(doc.architecture.layers.map((l) => l.type)).toEqual(['Dense', 'Dropout', 'Dense']);
    expect(doc.compile).toMatchObject({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    expect(Object.keys(doc.weights.tensors)).toEqual(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']);
    expect(doc.weights.tensors['dense/kernel']!.shape).toEqual([5, 12]);
    expect(doc.optimizerState).not.toBeNull();
  });

  for (const opt of ['adam', 'sgd', 'rmsprop']) {
    it(`load(save(m)) predicts bit-identically and resumes with bit-identical steps (${opt})`, () => {
      const { m, x, y } = trained(opt);
      const m2 = Sequential.fromJSON(JSON.stringify(m.toJSON()));
      expect(m2.predict(x).equals(m.predict(x))).toBe(true);
      const h1 = m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      const h2 = m2.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      expect(h2.history.loss).toEqual(h1.history.loss);
      expect(sameWeights(m, m2)).toBe(true);
      expect(m2.epoch).toBe(4);
    });
  }

  it('rejects foreign, corrupted, truncated and hostile documents with clear errors', () => {
    const { m } = trained();
    const good = JSON.stringify(m.toJSON());
    const mutate = (f: (d: ModelJSON & Record<string, unknown>) => void): string => {
      const d = JSON.parse(good);
      f(d);
      return JSON.stringify(d);
    };
    expect(() => Sequential.fromJSON(good.slice(0, good.length - 40))).toThrow(/invalid JSON.*truncated/);
    expect(() => Sequential.fromJSON(mutate((d) => void ((d as { format: string }).format = 'keras')))).toThrow(/not a tapegrad model/);
    expect(() => Sequential.fromJSON(mutate((d) => void ((d as { version: number }).version = 3)))).toThrow(/unsupported model version 3/);
    const flip = mutate((d) => {
      const t = d.weights.tensors['dense/kernel']!;
      t.data = (t.data[0] === 'A' ? 'B' : 'A') + t.data.slice(1);
    });
    expect(() => Sequential.fromJSON(flip)).toThrow(/checksum mismatch/);
    expect(() =>
      Sequential.fromJSON(mutate((d) => void (d.weights.tensors['dense/kernel']!.data = d.weights.tensors['dense/kernel']!.data.slice(8)))),
    ).toThrow(/truncated or corrupted/);
    expect(() => Sequential.fromJSON(mutate((d) => void delete d.weights.tensors['dense/bias']))).toThrow(/missing "dense\/bias"/);
    expect(() => Sequential.fromJSON(mutate((d) => void (d.architecture.layers[0]!.config.units = 13)))).toThrow(
      /does not match the model/,
    );
    expect(() => Sequential.fromJSON(mutate((d) => void (d.architecture.layers[0]!.config.units = 1e9)))).toThrow(
      /units must be a positive integer/,
    );
    expect(() => Sequential.fromJSON(mutate((d) => void (d.architecture.layers[0]!.config.units = 1e7)))).toThrow(/refusing to allocate/);
    expect(() => Sequential.fromJSON(mutate((d) => void (d.architecture.layers[1]!.type = 'Lambda')))).toThrow(
      /unknown layer type "Lambda"/,
    );
    expect(() => Sequential.fromJSON(mutate((d) => void (d.compile!.optimizer = 'evil')))).toThrow();
    expect(() =>
      Sequential.fromJSON(good.replace('"format":"tapegrad-model"', '"__proto__":{"polluted":1},"format":"tapegrad-model"')),
    ).toThrow(/forbidden key "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => Sequential.fromJSON(mutate((d) => void ((d as Record<string, unknown>).generatorState = { prng: 3 })))).toThrow(
      /generatorState/,
    );
  });
});

describe('node save/load', () => {
  it('writes atomically and loads back bit-identically', () => {
    const { m, x } = trained();
    const path = join(dir, 'model.json');
    writeFileSync(path, 'old contents');
    save(m, path);
    expect(readdirSync(dir)).toEqual(['model.json']);
    expect(JSON.parse(readFileSync(path, 'utf8')).format).toBe('tapegrad-model');
    const back = load(path);
    expect(back.predict(x).equals(m.predict(x))).toBe(true);
    expect(back.summary({ print: false })).toBe(m.summary({ print: false }));
  });

  it('a failed save leaves no file; a corrupted or missing file is a clear error', () => {
    const { m } = trained();
    expect(() => save(m, join(dir, 'no-such-dir', 'model.json'))).toThrow(/could not write/);
    const path = join(dir, 'bad.json');
    save(m, path);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
    expect(() => load(path)).toThrow(/truncated or corrupted/);
    expect(() => load(join(dir, 'missing.json'))).toThrow(/cannot read/);
  });
});
