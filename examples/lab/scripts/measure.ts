// Measures the built lab in Chromium, per backend: time until the page answers input (fresh profile each load),
// seconds per training epoch in the worker (784-128-10, Adam, batch 64, 8,000 digits) and the page's timer ticks
// meanwhile. A benchmark, not a test: run it on a quiet machine after `pnpm lab:build`.
//   tsx examples/lab/scripts/measure.ts [--dist DIR] [--loads 5] [--epochs 3]
import { join, resolve } from 'node:path';
import { flag, num, runIfMain } from '../../shared/cli.js';
import { LAB_ROOT } from './assets.js';
import { launchChromium } from './chromium.js';
import { serveStatic } from './static-server.js';

async function measure(dist: string, loads: number, epochs: number): Promise<void> {
  const server = await serveStatic(dist);
  try {
    for (const backend of ['wasm', 'js']) {
      const ready: number[] = [];
      for (let k = 0; k < loads; k++) {
        const chromium = await launchChromium();
        const page = await chromium.context.newPage();
        await page.goto(`${server.url}?backend=${backend}`);
        await page.waitForSelector('body[data-interactive-ms]');
        ready.push(Number(await page.getAttribute('body', 'data-interactive-ms')));
        if (k === loads - 1) {
          await page.waitForSelector('#train-start:not([disabled])');
          await page.fill('#epochs', String(epochs));
          await page.click('#train-start');
          await page.waitForSelector('body[data-training]', { timeout: 600_000 });
          const rows = await page.$$eval('#epoch-body tr', (r) =>
            r.map((x) => [x.getAttribute('data-seconds'), x.getAttribute('data-test-accuracy')]),
          );
          const meter = page.locator('#responsiveness');
          console.log(`${backend}: ready after ${ready.join(', ')} ms (navigation start → explorer drawn and controls wired)`);
          rows.forEach(([s, a], e) =>
            console.log(`  epoch ${e + 1}: ${Number(s).toFixed(3)} s, test accuracy ${(Number(a) * 100).toFixed(2)}%`),
          );
          console.log(`  ${await meter.textContent()}`);
        }
        await chromium.close();
      }
    }
  } finally {
    await server.close();
  }
}

runIfMain(import.meta.url, 'lab measure', 'Usage: tsx examples/lab/scripts/measure.ts [--dist DIR] [--loads N] [--epochs N]', (argv) => {
  const dist = resolve(flag(argv, '--dist') ?? join(LAB_ROOT, 'dist'));
  measure(dist, num(argv, '--loads') ?? 5, num(argv, '--epochs') ?? 3).catch((e: unknown) => {
    console.error(`lab measure: ${(e as Error).message}`);
    process.exitCode = 1;
  });
});
