// `pnpm lab`: the lab on http://127.0.0.1:5173 with Vite's dev server (edits reload the page);
// `pnpm lab --dist` serves the built site (pnpm lab:build) as a plain static host would.
import { join, resolve } from 'node:path';
import { createServer } from 'vite';
import { num, runIfMain } from '../../shared/cli.js';
import { LAB_ROOT, writeAssets } from './assets.js';
import { GENERATED, labConfig } from './config.js';
import { serveStatic } from './static-server.js';

const USAGE = 'Usage: pnpm lab [--port N] [--dist [DIR]]   (--dist serves the output of pnpm lab:build)';

async function main(argv: string[]): Promise<void> {
  const port = num(argv, '--port') ?? 5173;
  const i = argv.indexOf('--dist');
  if (i >= 0) {
    const next = argv[i + 1];
    const dir = next !== undefined && !next.startsWith('--') ? resolve(next) : join(LAB_ROOT, 'dist');
    const s = await serveStatic(dir, port);
    console.log(`Serving ${dir} at ${s.url} (Ctrl+C stops)`);
    return;
  }
  writeAssets(GENERATED);
  const server = await createServer(labConfig({ port }));
  await server.listen();
  console.log(`The lab (Vite dev server; edits reload the page): ${server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`}`);
}

runIfMain(import.meta.url, 'lab', USAGE, (argv) => {
  main(argv).catch((e: unknown) => {
    console.error(`lab: ${(e as Error).message}`);
    process.exitCode = 1;
  });
});
