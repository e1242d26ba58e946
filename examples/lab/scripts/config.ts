// The lab's Vite configuration, as a function so the build script, the dev server and the tests share it.
import { join } from 'node:path';
import type { InlineConfig } from 'vite';
import { LAB_ROOT } from './assets.js';

/** Where generated assets live (git-ignored); Vite serves them in dev and copies them into the build. */
export const GENERATED = join(LAB_ROOT, '.generated');

/** Vite settings: relative base (works from any folder of any static host), ES module worker. */
export function labConfig(options: { outDir?: string; port?: number } = {}): InlineConfig {
  return {
    configFile: false,
    root: LAB_ROOT,
    base: './',
    publicDir: GENERATED,
    logLevel: 'warn',
    build: {
      outDir: options.outDir ?? join(LAB_ROOT, 'dist'),
      emptyOutDir: true,
      target: 'es2022',
      reportCompressedSize: false,
    },
    worker: { format: 'es' },
    server: { host: '127.0.0.1', port: options.port ?? 5173, strictPort: false },
  };
}
