// Takes the README's screenshots of the built lab: the explorer mid-backward (at a matmul) and the training
// section at 1280×800, and the top of the page at a phone's width (390 px).
//   tsx examples/lab/scripts/screenshots.ts [--dist DIR] [--out docs]
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { flag, runIfMain } from '../../shared/cli.js';
import { LAB_ROOT } from './assets.js';
import { launchChromium } from './chromium.js';
import { serveStatic } from './static-server.js';

async function screenshots(dist: string, out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const server = await serveStatic(dist);
  const chromium = await launchChromium();
  try {
    const page = await chromium.context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('body[data-interactive-ms]');
    await page.selectOption('#example-select', 'two-layer');
    // backward up to the second layer's matmul, whose VJP (its op table line) is the one to show
    const atMatmul = async (): Promise<boolean> => /Tape entry matmul/.test((await page.textContent('#step-detail')) ?? '');
    for (let k = 0; k < 20 && !(await atMatmul()); k++) await page.click('#step-next');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(out, 'lab-explorer.png') });
    await page.evaluate(() => document.getElementById('step-next')!.closest('.two-columns')!.scrollIntoView());
    await page.screenshot({ path: join(out, 'lab-explorer-steps.png') });

    await page.waitForSelector('#train-start:not([disabled])');
    await page.click('#train-start');
    await page.waitForSelector('body[data-training]', { timeout: 300_000 });
    await page.evaluate(() => document.getElementById('training')!.scrollIntoView());
    await page.screenshot({ path: join(out, 'lab-training.png') });

    await page.locator('#draw-canvas').scrollIntoViewIfNeeded();
    const box = (await page.locator('#draw-canvas').boundingBox())!;
    const stroke = async (points: [number, number][]): Promise<void> => {
      await page.mouse.move(box.x + points[0]![0] * box.width, box.y + points[0]![1] * box.height);
      await page.mouse.down();
      for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 8 });
      await page.mouse.up();
    };
    await stroke([
      [0.3, 0.25],
      [0.5, 0.15],
      [0.68, 0.28],
      [0.6, 0.48],
      [0.3, 0.8],
      [0.72, 0.8],
    ]); // a 2
    await page.click('#backprop-run');
    await page.evaluate(() => document.getElementById('drawing')!.scrollIntoView());
    await page.screenshot({ path: join(out, 'lab-draw-backprop.png') });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(out, 'lab-phone.png') });
  } finally {
    await chromium.close();
    await server.close();
  }
}

runIfMain(import.meta.url, 'lab screenshots', 'Usage: tsx examples/lab/scripts/screenshots.ts [--dist DIR] [--out DIR]', (argv) => {
  const dist = resolve(flag(argv, '--dist') ?? join(LAB_ROOT, 'dist'));
  screenshots(dist, resolve(flag(argv, '--out') ?? join(LAB_ROOT, '..', '..', 'docs'))).catch((e: unknown) => {
    console.error(`lab screenshots: ${(e as Error).message}`);
    process.exitCode = 1;
  });
});
