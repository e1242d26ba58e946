import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { variable } from '@tapegrad/autograd';
import { linspace } from '@tapegrad/tensor';

const snippetPath = (name: string): string => fileURLToPath(new URL(`../readme-snippets/${name}`, import.meta.url));
const snippet = (name: string): string => readFileSync(snippetPath(name), 'utf8').trim();
const readme = (): string => readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
/** The fenced TypeScript blocks of the README, trimmed. */
const readmeBlocks = (): string[] => [...readme().matchAll(/```(?:ts|typescript)\r?\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

afterEach(() => vi.restoreAllMocks());

describe('README snippets', () => {
  it('the 10-line MNIST program is in the README verbatim and is 10 lines', () => {
    const code = snippet('mnist-10-lines.ts');
    expect(code.split('\n').length).toBeLessThanOrEqual(10);
    expect(readmeBlocks()).toContain(code);
  });

  it('the custom-op example is in the README verbatim', () => {
    expect(readmeBlocks()).toContain(snippet('custom-op.ts'));
  });

  it('the 10-line MNIST program runs and passes the accuracy bar on the built-in digits', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true); // the per-epoch progress lines
    await import('../readme-snippets/mnist-10-lines.js');
    const printed = log.mock.calls.map((c) => c[0] as { loss?: number; accuracy?: number });
    const result = printed.find((p) => p && typeof p === 'object' && 'accuracy' in p);
    expect(result).toBeDefined();
    expect(result!.accuracy!).toBeGreaterThanOrEqual(0.93); // 0.9465 measured with seed 0
    expect(result!.loss!).toBeLessThan(0.3);
  });

  it('the custom-op example runs: both checks pass, no overflow, and the derivative is tanh', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const { logCosh } = await import('../readme-snippets/custom-op.js');
    expect(log.mock.calls[0]).toEqual([true, true]);
    const big = log.mock.calls[1]![0] as number[];
    expect(big[0]).toBeCloseTo(1000 - Math.LN2, 3);
    expect(big[1]).toBe(0);
    expect(Number.isFinite(big[2])).toBe(true);
    // against the naive formula where it does not overflow, on a strided (sliced) input
    const xs = linspace(-5, 5, 21, { dtype: 'float64' }).slice([0, 21, 2]);
    const x = variable(xs, { requiresGrad: true });
    const y = logCosh(x);
    y.sum().backward();
    const xv = xs.values();
    for (let i = 0; i < xv.length; i++) {
      expect(y.value.get(i)).toBeCloseTo(Math.log(Math.cosh(xv[i]!)), 12);
      expect(x.grad!.get(i)).toBeCloseTo(Math.tanh(xv[i]!), 12);
    }
  });
});
