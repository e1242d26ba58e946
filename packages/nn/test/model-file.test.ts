// The model file refuses every hostile or inconsistent field before it costs memory or a training run, and save
// refuses what load would refuse (issue 11, items 1–3 and 10).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, TapegradError, ShapeError, randn } from '@tapegrad/tensor';
import { Adam, type Parameter } from '@tapegrad/optim';
import { Dense, Dropout, Sequential, crc32Hex, decodeTensors, toCategorical, type ModelJSON } from '../src/index.js';

type Doc = ModelJSON & Record<string, unknown>;

function data(): { x: Tensor; y: Tensor } {
  const g = new Generator(4);
  const x = randn([24, 3], { generator: g });
  const v = x.values();
  const lab = new Int32Array(24);
  for (let i = 0; i < 24; i++) lab[i] = v[i * 3]! > 0 ? 1 : 0;
  return { x, y: toCategorical(new Tensor(lab, [24]), 2) };
}

function trained(): { m: Sequential; x: Tensor; y: Tensor; text: string } {
  const { x, y } = data();
  const m = new Sequential({ seed: 2, name: 'file' });
  m.add(new Dense(4, { activation: 'relu', inputShape: [3] }));
  m.add(new Dropout(0.2, { seed: 9 }));
  m.add(new Dense(2, { activation: 'softmax' }));
  m.compile({ optimizer: 'adam', lr: 0.01, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  return { m, x, y, text: JSON.stringify(m.toJSON()) };
}

const mutate = (text: string, f: (d: Doc) => void): string => {
  const d = JSON.parse(text) as Doc;
  f(d);
  return JSON.stringify(d);
};

/** The version-1 fixture (no checksums on states): what the range checks alone must catch. */
const v1 = (): string => readFileSync(new URL('./fixtures/model-v1-adam.json', import.meta.url), 'utf8');

describe('sizes: one view, counted before anything is allocated', () => {
  const small = (): Sequential => new Sequential({ seed: 1 }).add(new Dense(4, { inputShape: [3] })).add(new Dense(2));

  it("a first layer whose inputShape contradicts the document's is refused before allocating (was 4e8 floats)", () => {
    const text = mutate(JSON.stringify(small().toJSON()), (d) => void (d.architecture.layers[0]!.config.inputShape = [1e8]));
    expect(() => Sequential.fromJSON(text)).toThrow(TapegradError);
    // with 100 units the product used to overflow the allocator into a raw RangeError
    const wide = mutate(text, (d) => void (d.architecture.layers[0]!.config.units = 100));
    expect(() => Sequential.fromJSON(wide)).toThrow(TapegradError);
    const smaller = mutate(text, (d) => void (d.architecture.layers[0]!.config.inputShape = [1e6]));
    expect(() => Sequential.fromJSON(smaller)).toThrow(ShapeError);
    expect(() => Sequential.fromJSON(smaller)).toThrow(
      /layer 0 'dense' declares inputShape \[1000000\] .* but the document's inputShape \[3\] has 3/,
    );
  });

  it('the parameter count is checked for the whole stack, whatever declares the input size', () => {
    const noDocShape = mutate(JSON.stringify(small().toJSON()), (d) => {
      d.inputShape = null;
      d.architecture.layers[0]!.config.inputShape = [2e7];
    });
    expect(() => Sequential.fromJSON(noDocShape)).toThrow(
      /the architecture has 80000004 parameters, more than 67108864; refusing to allocate/,
    );
    const huge = mutate(JSON.stringify(small().toJSON()), (d) => {
      d.inputShape = [8193, 8192];
      d.architecture.layers[0]!.config.inputShape = [8193, 8192];
    });
    expect(() => Sequential.fromJSON(huge)).toThrow(/at most 67108864 features/);
    const none = mutate(JSON.stringify(small().toJSON()), (d) => {
      d.inputShape = null;
      delete d.architecture.layers[0]!.config.inputShape;
    });
    expect(() => Sequential.fromJSON(none)).toThrow(/neither the document nor its first layer has an inputShape/);
  });
});

describe('every field is validated', () => {
  it('generator states: s0..s2 of 1e300 (the shuffle then returned zeros), a bad carry or spare, a wrong checksum', () => {
    expect(() => Sequential.fromJSON(mutate(v1(), (d) => void ((d.generatorState as { prng: { s0: number } }).prng.s0 = 1e300)))).toThrow(
      /generatorState\.prng\.s0 must be a multiple of 2\^-32 in \[0, 1\), got 1e\+300/,
    );
    expect(() => Sequential.fromJSON(mutate(v1(), (d) => void ((d.generatorState as { prng: { c: number } }).prng.c = -1)))).toThrow(
      /prng\.c/,
    );
    expect(() => Sequential.fromJSON(mutate(v1(), (d) => void ((d.generatorState as { spare: unknown }).spare = 'x')))).toThrow(/spare/);
    const renamed = mutate(v1(), (d) => void ((d.generatorState as { prng: Record<string, unknown> }).prng = { c: 0, s0: 0, s1: 0, t: 0 }));
    expect(() => Sequential.fromJSON(renamed)).toThrow(/prng must have exactly the fields c, s0, s1, s2; missing "s2"; unexpected "t"/);
    const { text } = trained();
    const flipped = mutate(text, (d) => void (d.generatorState.prng.s1 = (Math.round(d.generatorState.prng.s1 * 2 ** 32) ^ 1) / 2 ** 32));
    expect(() => Sequential.fromJSON(flipped)).toThrow(/generatorState: checksum mismatch/);
    const layer = mutate(text, (d) => void (d.layerGeneratorStates['dropout']!.prng.c += 1));
    expect(() => Sequential.fromJSON(layer)).toThrow(/layerGeneratorStates\.dropout: checksum mismatch/);
    expect(() => Sequential.fromJSON(mutate(text, (d) => void (d.layerGeneratorStates = {})))).toThrow(/missing "dropout"/);
  });

  it('optimizer state: lr "abc" or -5 (fit used to return NaN weights), buffers {} (a raw TypeError at fit), steps, counts', () => {
    for (const doc of [v1(), trained().text]) {
      type S = { lr: unknown; iterations: unknown; slots: { step: unknown; buffers: unknown }[] };
      const opt = (f: (s: S) => void): string => mutate(doc, (d) => f(d.optimizerState as unknown as S));
      expect(() => Sequential.fromJSON(opt((s) => void (s.lr = 'abc')))).toThrow(/optimizerState\.lr must be a finite number/);
      expect(() => Sequential.fromJSON(opt((s) => void (s.lr = -5)))).toThrow(
        /optimizerState\.lr must be a finite number in \[0, 1000000\], got -5/,
      );
      expect(() => Sequential.fromJSON(opt((s) => void (s.slots[0]!.buffers = {})))).toThrow(
        /buffers must have exactly "expAvg", "expAvgSq", got none/,
      );
      expect(() => Sequential.fromJSON(opt((s) => void (s.iterations = 2.5)))).toThrow(/iterations must be an integer/);
      expect(() => Sequential.fromJSON(opt((s) => void (s.slots[0]!.step = 1e9)))).toThrow(/step must be an integer in \[0, \d+\]/);
      expect(() => Sequential.fromJSON(opt((s) => void s.slots.push(s.slots[0]!, s.slots[0]!)))).toThrow(/at most 4 entries/);
    }
  });

  it('optimizer moments: NaN, negative second moments, wrong dtype or length', () => {
    type Buffer1 = { dtype: string; data: unknown[] };
    const slot0 = (d: Doc): Record<string, Buffer1> =>
      (d.optimizerState as unknown as { slots: { buffers: Record<string, Buffer1> }[] }).slots[0]!.buffers;
    expect(() => Sequential.fromJSON(mutate(v1(), (d) => void (slot0(d).expAvg!.data[3] = 'NaN')))).toThrow(/expAvg: element 3 is "NaN"/);
    expect(() => Sequential.fromJSON(mutate(v1(), (d) => void (slot0(d).expAvg!.data[3] = 1e300)))).toThrow(/element 3 is Infinity/);
    expect(() => Sequential.fromJSON(mutate(v1(), (d) => void (slot0(d).expAvgSq!.data[0] = -1)))).toThrow(/never negative/);
    expect(() => Sequential.fromJSON(mutate(v1(), (d) => void (slot0(d).expAvg!.dtype = 'float64')))).toThrow(/must be \{dtype: 'float32'/);
    expect(() => Sequential.fromJSON(mutate(v1(), (d) => void slot0(d).expAvg!.data.pop()))).toThrow(/data: 24 numbers/);
  });

  it('hyperparameters: unknown, missing, mistyped, out of range or absurd values', () => {
    const { text } = trained();
    const cfg = (f: (c: Record<string, unknown>) => void): string => mutate(text, (d) => f(d.compile!.optimizerConfig));
    expect(() => Sequential.fromJSON(cfg((c) => void (c.lr = 1e308)))).toThrow(
      /optimizerConfig\.lr must be a finite number of magnitude ≤ 1000000/,
    );
    expect(() => Sequential.fromJSON(cfg((c) => void (c.amsgrad = 'yes')))).toThrow(/amsgrad must be a boolean/);
    expect(() => Sequential.fromJSON(cfg((c) => void (c.betas = [0.9])))).toThrow(/betas must be 2 finite numbers of magnitude ≤ 1000000/);
    expect(() => Sequential.fromJSON(cfg((c) => void (c.betas = [0.9, 1.5])))).toThrow(/beta2/);
    expect(() => Sequential.fromJSON(cfg((c) => void delete c.eps))).toThrow(/missing "eps"/);
    expect(() => Sequential.fromJSON(cfg((c) => void (c.momentum = 0.9)))).toThrow(/unexpected "momentum"/);
    expect(() => Sequential.fromJSON(mutate(text, (d) => void (d.compile!.loss = 'nope')))).toThrow(/unknown loss 'nope'/);
    expect(() => Sequential.fromJSON(mutate(text, (d) => void (d.compile!.metrics = ['accuracy', 7 as unknown as string])))).toThrow(
      /metrics\[1\]/,
    );
    expect(() => Sequential.fromJSON(mutate(text, (d) => void (d.compile = null)))).toThrow(/an optimizerState but no compile section/);
  });

  it('weights must be finite, the epoch a safe count, and version 2 has every field', () => {
    const { text } = trained();
    const nanWeights = mutate(text, (d) => {
      const t = d.weights.tensors['dense/bias']!;
      const bytes = new Uint8Array(new Float32Array([NaN, 0, 0, 0]).buffer);
      t.data = Buffer.from(bytes).toString('base64');
      t.crc32 = crc32Hex(bytes);
    });
    expect(() => Sequential.fromJSON(nanWeights)).toThrow(/tensor "dense\/bias": element 0 is NaN; expected finite values/);
    expect(() => Sequential.fromJSON(mutate(text, (d) => void (d.epoch = -1)))).toThrow(/epoch must be an integer in \[0, /);
    for (const key of ['epoch', 'generatorState', 'layerGeneratorStates', 'optimizerState', 'compile', 'inputShape']) {
      expect(() => Sequential.fromJSON(mutate(text, (d) => void delete d[key]))).toThrow(new RegExp(`${key} is missing`));
    }
  });
});

describe('checksums cover every binary payload; moments are base64 like the weights', () => {
  it('optimizer moments are stored as {shape, dtype, data, crc32} of their parameter', () => {
    const { m, text } = trained();
    const doc = JSON.parse(text) as Doc;
    const slots = doc.optimizerState!.slots;
    expect(slots).toHaveLength(4);
    expect(Object.keys(slots[0]!.buffers).sort()).toEqual(['expAvg', 'expAvgSq']);
    expect(slots[0]!.buffers.expAvg!.shape).toEqual([3, 4]);
    const moments = decodeTensors(slots[0]!.buffers);
    const live = m.optimizer!.state().slots[0]!.buffers;
    expect(Array.from(moments.expAvg!.values())).toEqual(live.expAvg!.data);
    const flipped = mutate(text, (d) => {
      const b = d.optimizerState!.slots[1]!.buffers.expAvgSq!;
      b.data = (b.data[0] === 'A' ? 'B' : 'A') + b.data.slice(1);
    });
    expect(() => Sequential.fromJSON(flipped)).toThrow(/slots\[1\] \(parameter 'dense\/bias'\)\.buffers\).*checksum mismatch/);
  });
});

describe('save(model, path, { includeOptimizer: false })', () => {
  it('leaves out the optimizer state: smaller, loads compiled, predicts the same and trains with a fresh optimizer', () => {
    const { m, x, y, text } = trained();
    const lean = m.toJSON({ includeOptimizer: false });
    expect(lean.optimizerState).toBeNull();
    expect(JSON.stringify(lean).length).toBeLessThan(text.length * 0.7);
    const back = Sequential.fromJSON(JSON.stringify(lean));
    expect(back.isCompiled).toBe(true);
    expect(back.predict(x).equals(m.predict(x))).toBe(true);
    expect(back.optimizer!.iterations).toBe(0);
    const h = back.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(Number.isFinite(h.history.loss![0])).toBe(true);
    // JSON.stringify passes the key ('') to toJSON: the default (with the optimizer) applies
    expect(JSON.parse(JSON.stringify(m)).optimizerState).not.toBeNull();
  });
});

describe('save refuses what load would refuse', () => {
  const base = (name: string, seed: number | string, units = 2): Sequential =>
    new Sequential({ seed, name }).add(new Dense(units, { inputShape: [1] }));

  it('seed NaN or Infinity, a name over 200 characters, units over the cap: refused at save, not at load (data loss)', () => {
    // the constructors refuse them first (settings-validation.test.ts); set afterwards, save still refuses them
    const set = (m: Sequential, change: (m: Record<string, unknown>) => void): Sequential => (change(m as never), m);
    expect(() => base('m', NaN)).toThrow(/^Sequential: seed must be a finite number/);
    expect(() => set(base('m', 0), (m) => (m.seed = NaN)).toJSON()).toThrow(/toJSON: .*seed must be a finite number/);
    expect(() => set(base('m', 0), (m) => (m.seed = Infinity)).toJSON()).toThrow(/seed must be a finite number/);
    expect(() => set(base('m', 0), (m) => (m.name = 'x'.repeat(201))).toJSON()).toThrow(
      /name must be a string of at most 200 characters, got a string of length 201/,
    );
    const wide = base('m', 0);
    (wide.layers[0] as unknown as { units: number }).units = 1e7 + 1;
    expect(() => wide.toJSON()).toThrow(/units must be a positive integer ≤ 10000000/);
    expect(() => base('m', 0).toJSON()).not.toThrow();
  });

  it('an optimizer the file cannot name, a learning rate beyond the file bounds, non-finite weights', () => {
    class Custom extends Adam {
      override readonly name: string = 'custom-adam';
    }
    const m = base('m', 0);
    m.compile({ optimizer: new Custom(), loss: 'mse' });
    expect(() => m.toJSON()).toThrow(/compile\.optimizer 'custom-adam' is not one of sgd, /);
    const fast = base('m', 0);
    expect(() => fast.compile({ optimizer: 'sgd', lr: 1e7, loss: 'mse' })).toThrow(
      /^compile: lr must be a finite number in \[0, 1000000\]/,
    );
    fast.compile({ optimizer: 'sgd', lr: 0.1, loss: 'mse' });
    fast.optimizer!.lr = 1e7; // set afterwards (as a callback could): save still refuses it
    expect(() => fast.toJSON()).toThrow(/optimizerConfig\.lr must be a finite number of magnitude ≤ 1000000/);
    const broken = base('m', 0);
    (broken.parameters()[0]!.value.data as Float32Array)[0] = NaN;
    expect(() => broken.toJSON()).toThrow(/refusing to save .*element 0 is NaN/);
    const p: Parameter = broken.parameters()[0]!;
    expect(p.value.size).toBe(2);
  });
});

describe('error messages stay one short line', () => {
  it('200,000 unexpected tensor names are a few names and a count', () => {
    const { text } = trained();
    const crowded = mutate(text, (d) => {
      const t = d.weights.tensors['dense/bias']!;
      for (let i = 0; i < 200_000; i++) d.weights.tensors[`extra-${i}`] = t;
    });
    let message = '';
    try {
      Sequential.fromJSON(crowded);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/unexpected "extra-0", "extra-1", "extra-2" and 199997 more$/);
    expect(message.length).toBeLessThan(300);
  });

  it('megabyte-long names, types and shapes are described, not repeated', () => {
    const { text } = trained();
    const long = 'n'.repeat(1_000_000);
    const cases: ((d: Doc) => void)[] = [
      (d) => void (d.architecture.layers[0]!.config.name = long),
      (d) => void (d.architecture.layers[0]!.type = long),
      (d) => void (d.architecture.layers[0]!.config.activation = long),
      (d) => void (d.architecture.layers[0]!.config.inputShape = new Array(100_000).fill(3)),
      (d) => void (d.compile!.loss = long),
      (d) => void (d.format = long as 'tapegrad-model'),
      (d) => void (d.weights.tensors['dense/bias']!.shape = [long as unknown as number]),
    ];
    for (const f of cases) {
      let message = '';
      try {
        Sequential.fromJSON(mutate(text, f));
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe('');
      expect(message.length).toBeLessThan(400);
    }
  });
});
