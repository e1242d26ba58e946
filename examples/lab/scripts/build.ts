// `pnpm lab:build`: writes the static site to examples/lab/dist (or --out DIR) and prints each file's size.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { flag, runIfMain } from '../../shared/cli.js';
import { LAB_ROOT, writeAssets } from './assets.js';
import { GENERATED, labConfig } from './config.js';

/** One built file with its raw and gzip size in bytes. */
export interface BuiltFile {
  path: string;
  bytes: number;
  gzip: number;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** Builds the site into `outDir`; returns its files with sizes. */
export async function buildLab(outDir: string): Promise<BuiltFile[]> {
  writeAssets(GENERATED);
  await build(labConfig({ outDir }));
  return listFiles(outDir).map((p) => {
    const data = readFileSync(p);
    // the digits file is gzip already: its size on the wire is its size
    return { path: relative(outDir, p), bytes: data.length, gzip: p.endsWith('.bin') ? data.length : gzipSync(data, { level: 9 }).length };
  });
}

const USAGE = 'Usage: pnpm lab:build [--out DIR]   (default examples/lab/dist)';

runIfMain(import.meta.url, 'lab:build', USAGE, (argv) => {
  const outDir = resolve(flag(argv, '--out') ?? join(LAB_ROOT, 'dist'));
  buildLab(outDir).then(
    (files) => {
      const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
      console.log(`Built the lab into ${outDir}:`);
      for (const f of files.sort((a, b) => a.path.localeCompare(b.path))) {
        console.log(`  ${f.path.padEnd(36)} ${kb(f.bytes).padStart(11)}  gzip ${kb(f.gzip).padStart(11)}`);
      }
      console.log('Any static host serves it; locally: pnpm lab --dist');
    },
    (e: unknown) => {
      console.error(`lab:build: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
});
