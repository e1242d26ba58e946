/**
 * Section "browser": MLP-A epochs in headless Chromium, tapegrad (`model.fit`, the engine's default backend —
 * wasm-fma, since Chromium has relaxed SIMD) and TensorFlow.js wasm (one thread) in the same page. Bundles
 * browser/page.ts with esbuild, serves it with the Fashion-MNIST images from 127.0.0.1, and drives Debian's
 * Chromium with playwright-core (the lab's launcher). Skips when Chromium or the dataset is missing.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadIdxDataset } from '@tapegrad/nn/node';
import { CHROMIUM, launchChromium } from '../lab/scripts/chromium.js';
import { serveStatic } from '../lab/scripts/static-server.js';
import type { BrowserBenchResult } from './browser/page.js';
import { FASHION_DIR } from './epoch.js';
import { lossTrail, type BenchContext, type Row, type Section } from './util.js';

/** Writes the page (bundle, HTML, the tfjs wasm binaries, the images as bytes) into `dir`; returns the sample count. */
async function writeSite(dir: string, samples: number): Promise<number> {
  await build({
    entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: path.join(dir, 'page.js'),
    logLevel: 'error',
  });
  writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>tapegrad bench</title><script type="module" src="page.js"></script>\n',
  );
  const wasmDir = path.join(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(path.join(wasmDir, f), path.join(dir, f));
  const d = loadIdxDataset(FASHION_DIR);
  const n = Math.min(samples, d.yTrain.shape[0]!);
  const x = d.xTrain.values() as Float32Array;
  const bytes = new Uint8Array(n * 784);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(x[i]! * 255);
  writeFileSync(path.join(dir, 'images.bin'), bytes);
  writeFileSync(path.join(dir, 'labels.bin'), Uint8Array.from(d.yTrain.values().subarray(0, n)));
  return n;
}

export const browserSection: Section = {
  name: 'browser',
  title: 'MLP-A epochs in headless Chromium: tapegrad and TensorFlow.js wasm in the same page (s/epoch; lower is better)',
  baseline: 'tfjs-wasm',
  async run(ctx: BenchContext): Promise<Row[]> {
    if (!existsSync(CHROMIUM) || !existsSync(FASHION_DIR)) {
      ctx.log(`  skipped: needs Chromium at ${CHROMIUM} and ${FASHION_DIR}`);
      return [];
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'tapegrad-bench-page-'));
    const server = await serveStatic(dir);
    const browser = await launchChromium();
    try {
      const n = await writeSite(dir, ctx.quick ? 6000 : 60000);
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.waitForFunction(() => 'benchRun' in globalThis);
      const epochs = ctx.quick ? 2 : 3;
      const r = await page.evaluate(
        (e) => (globalThis as unknown as { benchRun(e: number): Promise<BrowserBenchResult> }).benchRun(e),
        epochs,
      );
      if (errors.length > 0) ctx.log(`  page errors: ${errors.join('; ')}`);
      ctx.log(`  ${r.userAgent}: ${n} samples, ${epochs} epochs each`);
      const rows: Row[] = [];
      const add = (impl: string, seconds: number[], note: string): void => {
        const perEpoch = seconds.map((s) => s.toFixed(2)).join(' / ');
        const steady = seconds.length > 1 ? seconds.slice(1) : seconds;
        const s = steady.reduce((a, b) => a + b, 0) / steady.length;
        const c = `MLP-A in Chromium, ${n} samples: steady (2–${seconds.length})`;
        rows.push({ section: 'browser', case: c, impl, unit: 's/epoch', value: s, ms: s * 1000, note: `epochs ${perEpoch}; ${note}` });
        ctx.log(`  ${impl}: ${perEpoch} s/epoch`);
      };
      add(`tapegrad-${r.tapegrad.backend}`, r.tapegrad.seconds, `model.fit; ${lossTrail(r.tapegrad.loss)}`);
      if ('error' in r.tfjs) ctx.log(`  tfjs-wasm skipped: ${r.tfjs.error}`);
      else add('tfjs-wasm', r.tfjs.seconds, `custom loop, 1 thread; ${lossTrail(r.tfjs.loss)}`);
      return rows;
    } finally {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
