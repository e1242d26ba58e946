// The core packages must run in a browser: bundling each one for the browser platform must succeed
// (esbuild fails on any node: import or Node built-in); tsconfig.lib.json (no Node types) guards globals.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = (pkg: string): string => fileURLToPath(new URL(`../../packages/${pkg}/src/index.ts`, import.meta.url));

describe('browser safety of the core packages', () => {
  for (const pkg of ['tensor', 'autograd', 'optim', 'nn']) {
    it(`@tapegrad/${pkg} bundles for the browser with no Node built-in`, async () => {
      const result = await build({
        entryPoints: [entry(pkg)],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((p) => p.startsWith('node:') || p.includes('/src/node/'))).toEqual([]);
      expect(result.outputFiles[0]!.text.length).toBeGreaterThan(1000);
    });
  }

  it('@tapegrad/nn/onnx bundles for the browser (protobufjs, the schema, no Node built-in); the main entry has no protobufjs', async () => {
    const bundle = async (file: string): Promise<string[]> => {
      const result = await build({
        entryPoints: [fileURLToPath(new URL(`../../packages/nn/src/${file}`, import.meta.url))],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      return Object.keys(result.metafile.inputs);
    };
    const onnx = await bundle('onnx/index.ts');
    expect(onnx.filter((p) => p.startsWith('node:') || p.includes('/src/node/'))).toEqual([]);
    expect(onnx.some((p) => p.includes('protobufjs'))).toBe(true);
    expect(onnx.some((p) => p.endsWith('onnx-schema.json'))).toBe(true);
    // the main entry's only third-party code is @tapegrad/tensor's seedrandom
    const packagesOf = (inputs: string[]): string[] => [
      ...new Set(inputs.map((p) => /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean)),
    ] as string[];
    expect(packagesOf(await bundle('index.ts'))).toEqual(['seedrandom']);
    expect(packagesOf(onnx).sort()).toEqual(['long', 'protobufjs', 'seedrandom']);
  });

  it('the node entry, by contrast, is rejected by a browser build', async () => {
    const nodeEntry = fileURLToPath(new URL('../../packages/nn/src/node/index.ts', import.meta.url));
    await expect(
      build({ entryPoints: [nodeEntry], bundle: true, platform: 'browser', write: false, logLevel: 'silent' }),
    ).rejects.toThrow();
  });
});
