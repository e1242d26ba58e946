import { describe, expect, it, vi } from 'vitest';
import { Dense, Sequential } from '@tapegrad/nn';
import { Generator, rand, randint } from '@tapegrad/tensor';

/** The sizes of the arrays fit and the layers ask `kernelStateArrays` for (memory that, with GEMM workers, is never returned). */
const asked: number[] = [];
vi.mock('@tapegrad/tensor/backend', async (importOriginal) => {
  const backend = await importOriginal<typeof import('@tapegrad/tensor/backend')>();
  return {
    ...backend,
    kernelStateArrays: (...args: Parameters<typeof backend.kernelStateArrays>) => {
      asked.push(args[1] * args[2]);
      return backend.kernelStateArrays(...args);
    },
  };
});

describe('fit keeps its storage between calls', () => {
  it('a loop of short fits takes no new kernel-state memory after the first (a larger batch: only its batch buffer)', () => {
    const g = new Generator(4);
    const x = rand([300, 100], { generator: g });
    const y = randint(0, 3, [300], { generator: g });
    const model = new Sequential({ seed: 2 });
    model.add(new Dense(64, { activation: 'relu', inputShape: [100] }));
    model.add(new Dense(3, { activation: 'softmax' }));
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    model.fit(x, y, { epochs: 1, batchSize: 50, verbose: 0, seed: 1 });
    const first = asked.length;
    expect(asked).toContain(50 * 100); // the batch buffer
    expect(asked).toContain(100 * 64); // a gradient buffer (and the kernel, and Adam's moments)
    for (let i = 0; i < 3; i++) model.fit(x, y, { epochs: 1, batchSize: 50, verbose: 0, seed: 1 });
    expect(asked.length).toBe(first);
    model.fit(x, y, { epochs: 1, batchSize: 100, verbose: 0, seed: 1 });
    expect(asked.slice(first)).toEqual([100 * 100]);
    model.fit(x, y, { epochs: 1, batchSize: 20, verbose: 0, seed: 1 }); // a smaller batch: a view of the larger buffer
    expect(asked.length).toBe(first + 1);
  });
});
