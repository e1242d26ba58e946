// The core packages must run in a browser: bundling each one for the browser platform must succeed
// (esbuild fails on any node: import or Node built-in); tsconfig.lib.json (no Node types) guards globals.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const source = (path: string): string => fileURLToPath(new URL(`../../packages/${path}`, import.meta.url));

/** Bundles `packages/<path>` for the browser: the files it pulled in and the bundle's length in characters. */
async function browserBundle(path: string): Promise<{ inputs: string[]; length: number }> {
  const result = await build({
    entryPoints: [source(path)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { inputs: Object.keys(result.metafile.inputs), length: result.outputFiles[0]!.text.length };
}

/** The inputs that are Node built-ins or nn's node entry. */
const nodeOnly = (inputs: string[]): string[] => inputs.filter((p) => p.startsWith('node:') || p.includes('/src/node/'));

describe('browser safety of the core packages', () => {
  for (const pkg of ['tensor', 'autograd', 'optim', 'nn']) {
    it(`@tapegrad/${pkg} bundles for the browser with no Node built-in`, async () => {
      const { inputs, length } = await browserBundle(`${pkg}/src/index.ts`);
      expect(nodeOnly(inputs)).toEqual([]);
      expect(length).toBeGreaterThan(1000);
    });
  }

  it('@tapegrad/nn/onnx bundles for the browser (protobufjs, the schema, no Node built-in); the main entry has no protobufjs', async () => {
    const { inputs: onnx } = await browserBundle('nn/src/onnx/index.ts');
    expect(nodeOnly(onnx)).toEqual([]);
    expect(onnx.some((p) => p.includes('protobufjs'))).toBe(true);
    expect(onnx.some((p) => p.endsWith('onnx-schema.json'))).toBe(true);
    // the main entry's only third-party code is @tapegrad/tensor's seedrandom
    const packagesOf = (inputs: string[]): string[] => [
      ...new Set(inputs.map((p) => /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean)),
    ] as string[];
    expect(packagesOf((await browserBundle('nn/src/index.ts')).inputs)).toEqual(['seedrandom']);
    expect(packagesOf(onnx).sort()).toEqual(['long', 'protobufjs', 'seedrandom']);
  });

  it('the node entry, by contrast, is rejected by a browser build', async () => {
    await expect(browserBundle('nn/src/node/index.ts')).rejects.toThrow();
  });
});
