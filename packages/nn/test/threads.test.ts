import { afterAll, describe, expect, it } from 'vitest';
import { Generator, matmul, randn } from '@tapegrad/tensor';
import { getBackend, wasmSupported } from '@tapegrad/tensor/backend';
import { gemmWorkerCount, stopGemmWorkers, useGemmWorkers } from '../src/node/index.js';

afterAll(async () => {
  await stopGemmWorkers();
});

describe('useGemmWorkers (the optional second core for matmul)', () => {
  it.skipIf(!wasmSupported() || getBackend() === 'js')('splits large products across a worker with bit-identical results', async () => {
    const g = new Generator(5);
    const a = randn([256, 300], { generator: g });
    const b = randn([300, 512], { generator: g });
    const bT = randn([512, 300], { generator: g }).T;
    const single = [matmul(a, b), matmul(a, bT)];
    expect(await useGemmWorkers(1)).toBe(1);
    expect(gemmWorkerCount()).toBe(1);
    const split = [matmul(a, b), matmul(a, bT)];
    for (let i = 0; i < 2; i++) expect(split[i]!.equals(single[i]!)).toBe(true);
    await stopGemmWorkers();
    expect(gemmWorkerCount()).toBe(0);
    expect(matmul(a, b).equals(single[0]!)).toBe(true);
  });

  it('rejects a bad worker count', async () => {
    await expect(useGemmWorkers(-1)).rejects.toThrow(/useGemmWorkers/);
    await expect(useGemmWorkers(1.5)).rejects.toThrow(/useGemmWorkers/);
  });
});
