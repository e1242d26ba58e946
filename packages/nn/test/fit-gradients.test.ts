import { describe, expect, it } from 'vitest';
import { Dense, Sequential } from '@tapegrad/nn';
import { Generator, rand, randint, type Tensor } from '@tapegrad/tensor';
import { getBackend, setBackend } from '@tapegrad/tensor/backend';

/** A seeded 20-8-3 model trained 2 epochs of 5 batches; `onBatchBegin` runs before every step. */
function train(onBatchBegin: (model: Sequential) => void, onBatchEnd: (model: Sequential) => void = () => {}): Tensor[] {
  const g = new Generator(4);
  const x = rand([40, 20], { generator: g });
  const y = randint(0, 3, [40], { generator: g });
  const model = new Sequential({ seed: 2 });
  model.add(new Dense(8, { activation: 'relu', inputShape: [20] }));
  model.add(new Dense(3, { activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  model.fit(x, y, {
    epochs: 2,
    batchSize: 8,
    verbose: 0,
    seed: 1,
    callbacks: [{ onBatchBegin: () => onBatchBegin(model), onBatchEnd: () => onBatchEnd(model) }],
  });
  return model.getWeights();
}

describe('fit owns the gradients', () => {
  it('writes each step’s gradients into the previous step’s tensors, with the same weights as fresh ones', () => {
    const seen: Tensor[][] = [];
    const reused = train(
      () => {},
      (m) => seen.push(m.parameters().map((p) => p.grad!)),
    );
    expect(seen).toHaveLength(10);
    for (const grads of seen.slice(1)) grads.forEach((t, i) => expect(t, `parameter ${i}`).toBe(seen[0]![i]));
    // a callback that drops the gradients before each step makes every backward allocate: the same numbers
    const fresh = train((m) => m.parameters().forEach((p) => (p.grad = null)));
    fresh.forEach((w, i) => expect(Array.from(w.values()), `weight ${i}`).toEqual(Array.from(reused[i]!.values())));
  });
});

describe('where a float32 Dense kernel and its gradient live', () => {
  it('on a wasm backend, in the WebAssembly memory of the Adam kernel (updated there with no copy); else in ordinary arrays', () => {
    const initial = getBackend();
    for (const backend of ['wasm', 'js'] as const) {
      setBackend(backend);
      const g = new Generator(3);
      const model = new Sequential({ seed: 1 });
      model.add(new Dense(128, { activation: 'relu', inputShape: [64] })); // a 64×128 kernel: 8192 floats
      model.add(new Dense(2, { activation: 'softmax' }));
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const kernel = model.parameters()[0]!;
      const data = kernel.value.data;
      const inMemory = data.buffer.byteLength > data.byteLength; // a view of a larger memory
      expect(inMemory, backend).toBe(backend === 'wasm');
      model.fit(rand([32, 64], { generator: g }), randint(0, 2, [32], { generator: g }), { epochs: 1, batchSize: 16, verbose: 0 });
      expect(kernel.value.data, 'updated in place').toBe(data);
      expect(kernel.grad!.data.buffer === data.buffer, backend).toBe(backend === 'wasm');
    }
    setBackend(initial);
  });
});
