import { readdirSync } from 'node:fs';
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

  it('rejects a bad worker count or timeout', async () => {
    await expect(useGemmWorkers(-1)).rejects.toThrow(/useGemmWorkers/);
    await expect(useGemmWorkers(1.5)).rejects.toThrow(/useGemmWorkers/);
    for (const t of [-1, NaN, Infinity, '5' as unknown as number]) {
      await expect(useGemmWorkers(1, { timeoutMs: t })).rejects.toThrow(/useGemmWorkers: timeoutMs must be a finite number ≥ 0, got/);
    }
    expect(gemmWorkerCount()).toBe(0);
  });

  it.skipIf(!wasmSupported())('overlapping starts and stops take effect in call order, and leave no worker behind', async () => {
    const threads = (): number => readdirSync('/proc/self/task').length;
    const before = threads();
    for (let i = 0; i < 3; i++) {
      expect(await Promise.all([useGemmWorkers(1), useGemmWorkers(3)])).toEqual([1, 3]);
      expect(gemmWorkerCount()).toBe(3);
    }
    const [, stopped, last] = await Promise.all([useGemmWorkers(2), stopGemmWorkers(), useGemmWorkers(1)]);
    expect([stopped, last, gemmWorkerCount()]).toEqual([undefined, 1, 1]);
    await stopGemmWorkers();
    expect(gemmWorkerCount()).toBe(0);
    // terminated threads leave the process (a little later than terminate() resolves)
    for (let t = 0; t < 100 && threads() > before; t++) await new Promise((r) => setTimeout(r, 20));
    expect(threads()).toBeLessThanOrEqual(before);
  });
});
