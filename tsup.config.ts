import { defineConfig, type Options } from 'tsup';

/** One tsup build per package: ESM + CJS + .d.ts into `packages/<name>/dist`. */
const pkg = (name: string, entry: Record<string, string>, tsconfig = 'tsconfig.lib.json'): Options => ({
  entry: Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, `packages/${name}/${v}`])),
  outDir: `packages/${name}/dist`,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  target: 'es2022',
  // classes keep their names in both builds (error messages, stack traces and console output show `Tensor`, not
  // `_Tensor` or `_class5`), and Node built-ins keep their `node:` prefix (a browser bundler then refuses them by name)
  keepNames: true,
  removeNodeProtocol: false,
  // the packages' own dependencies stay imports (installed beside them), as do Node's built-ins
  external: [/^@tapegrad\//, /^node:/, /^protobufjs/, 'seedrandom'],
  tsconfig,
});

export default defineConfig([
  pkg('tensor', { index: 'src/index.ts', 'backend/index': 'src/backend/index.ts' }),
  pkg('autograd', { index: 'src/index.ts' }),
  pkg('optim', { index: 'src/index.ts' }),
  // The node entry (file and dataset I/O) is the one place that needs Node's types.
  pkg('nn', { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'onnx/index': 'src/onnx/index.ts' }, 'tsconfig.build-node.json'),
]);
