// tensor-methods.ts installs the kernel methods on Tensor.prototype; the package entry imports it.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

describe('the kernel methods installed on Tensor', () => {
  it('are defined like class methods (on the prototype, not enumerable)', () => {
    const a = T.arange(6).reshape(2, 3);
    for (const name of ['add', 'sum', 'matmul', 'toString'] as const) {
      const d = Object.getOwnPropertyDescriptor(T.Tensor.prototype, name);
      expect(typeof d?.value, name).toBe('function');
      expect(d?.enumerable, name).toBe(false);
    }
    const keys: string[] = [];
    for (const k in a) keys.push(k);
    expect(keys).toEqual(Object.keys(a));
  });

  it("util.inspect prints the formatted tensor (Node's console.log)", () => {
    const t = T.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(inspect(t)).toBe(T.formatTensor(t));
  });

  it('survive a tree-shaking bundle of the entry (package.json lists the entry and tensor-methods.ts as side effects)', async () => {
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const out = await build({
      stdin: { contents: `export { tensor } from ${JSON.stringify(entry)};`, resolveDir: process.cwd(), loader: 'ts' },
      bundle: true,
      platform: 'neutral',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      mainFields: ['module', 'main'],
    });
    const mod = (await import(`data:text/javascript,${encodeURIComponent(out.outputFiles[0]!.text)}`)) as typeof T;
    expect(
      mod
        .tensor([
          [1, 2],
          [3, 4],
        ])
        .add(1)
        .sum(1, { keepDims: true })
        .toArray(),
    ).toEqual([[5], [9]]);
  });
});
