// Stopping the lab's training mid-epoch: the partial epoch is marked partial (with the digits it saw), not
// recorded as a finished one; and the draw section says a model is ready as soon as one arrives.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_ROOT } from '../scripts/assets.js';
import { CHROMIUM, launchChromium } from '../scripts/chromium.js';
import { serveStatic, type StaticServer } from '../scripts/static-server.js';

const haveChromium = existsSync(CHROMIUM);
const inCI = Boolean(process.env.CI);
const env = process.env.TAPEGRAD_BACKEND;
const backend = env === 'js' || env === 'wasm-fma' ? env : 'wasm';

describe.skipIf(!haveChromium && !inCI)(`the lab stopped mid-epoch (${backend} backend)`, () => {
  let dist = '';
  let server: StaticServer;
  let context: BrowserContext;
  let closeChromium: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`Chromium not found at ${CHROMIUM}`);
    dist = mkdtempSync(join(tmpdir(), 'tapegrad-lab-dist-'));
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const built = spawnSync(process.execPath, [tsx, join(LAB_ROOT, 'scripts', 'build.ts'), '--out', dist], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`lab:build failed (${built.status}):\n${built.stdout}\n${built.stderr}`);
    server = await serveStatic(dist);
    ({ context, close: closeChromium } = await launchChromium());
  }, 120_000);

  afterAll(async () => {
    await closeChromium?.();
    await server?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  it('marks a stopped epoch partial with the digits it saw, and the draw section shows the model is ready', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}?backend=${backend}`);
    await page.waitForSelector('body[data-interactive-ms]');
    await page.waitForSelector('#train-start:not([disabled])');
    expect(await page.textContent('#prediction')).toMatch(/No model yet/);
    // small batches on a wide model: an epoch lasts long enough to stop it in the middle
    await page.fill('#hidden', '1024, 1024, 1024');
    await page.fill('#batch-size', '1');
    await page.fill('#epochs', '2');
    await page.click('#train-start');
    await page.waitForSelector('#train-status:has-text("Epoch 1/2, batch")');
    await page.click('#train-stop');
    await page.waitForSelector('body[data-training]', { timeout: 50_000 });
    expect(await page.getAttribute('body', 'data-training')).toBe('stopped');
    const rows = await page.$$eval('#epoch-body tr', (trs) =>
      trs.map((r) => ({ partial: r.getAttribute('data-partial'), seen: Number(r.getAttribute('data-seen')), text: r.textContent ?? '' })),
    );
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.partial).toBe('true');
    expect(row.seen).toBeGreaterThan(0);
    expect(row.seen).toBeLessThan(8000);
    expect(row.text).toContain(`partial: ${row.seen.toLocaleString('en-US')} of 8,000 digits`);
    // no finished epoch: the header's epoch time stays empty, and the summary says the run stopped within epoch 1
    expect(await page.textContent('#epoch-time')).toBe('—');
    expect(await page.textContent('#train-summary')).toMatch(/^Stopped after 0 epochs and [\d,]+ of 8,000 digits of epoch 1/);
    // a model arrived while nothing was drawn: the draw section says so without a stroke or a click on Clear
    expect(await page.textContent('#prediction')).toMatch(/^Model ready: draw a digit/);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
