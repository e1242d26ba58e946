// enableRelaxedSimd flips a process-wide V8 flag: vitest runs each test file in its own process, so only this file sees it.
import { describe, expect, it } from 'vitest';
import { Dense, Sequential } from '@tapegrad/nn';
import { Generator, allClose, rand, randint, type Tensor } from '@tapegrad/tensor';
import { availableBackends, relaxedSimdSupported, setBackend, wasmSupported } from '@tapegrad/tensor/backend';
import { enableRelaxedSimd, stopGemmWorkers, useGemmWorkers } from '../src/node/index.js';

/** The weights after one epoch of a 784-128-10 MLP on 640 seeded samples (the products are large enough for a worker). */
function trainedWeights(): Tensor[] {
  const g = new Generator(3);
  const x = rand([640, 784], { generator: g });
  const y = randint(0, 10, [640], { generator: g });
  const model = new Sequential({ seed: 1 });
  model.add(new Dense(128, { activation: 'relu', inputShape: [784] }));
  model.add(new Dense(10, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0, seed: 0 });
  return model.getWeights();
}

describe.skipIf(!wasmSupported())('enableRelaxedSimd (the wasm-fma backend on Node 20)', () => {
  it('turns relaxed SIMD on: wasm-fma is available and the default, trains bit-identically run to run and with a worker', async () => {
    expect(enableRelaxedSimd()).toBe(true);
    expect(relaxedSimdSupported()).toBe(true);
    expect(enableRelaxedSimd()).toBe(true);
    expect(availableBackends()).toEqual(['js', 'wasm', 'wasm-fma']);
    expect(setBackend('auto')).toBe('wasm-fma');
    const first = trainedWeights();
    const again = trainedWeights();
    first.forEach((w, i) => expect(again[i]!.equals(w), `weight ${i} run to run`).toBe(true));
    try {
      expect(await useGemmWorkers(1)).toBe(1);
      const threaded = trainedWeights();
      first.forEach((w, i) => expect(threaded[i]!.equals(w), `weight ${i} with a worker`).toBe(true));
    } finally {
      await stopGemmWorkers();
    }
    setBackend('wasm');
    const plain = trainedWeights();
    first.forEach((w, i) => expect(allClose(plain[i]!, w, { atol: 1e-4, rtol: 1e-3 }), `weight ${i} wasm vs wasm-fma`).toBe(true));
  });
});
