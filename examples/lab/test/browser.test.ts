// The lab in a real browser: build the site, serve it as a static host would (127.0.0.1, ephemeral port) and
// drive Debian's Chromium with playwright-core. Runs on the backend the suite runs on (TAPEGRAD_BACKEND=js
// gives the page ?backend=js, wasm-fma ?backend=wasm-fma). Skips only when Chromium is missing outside CI; in CI,
// .ci/run installs it.
import * as AG from '@tapegrad/autograd';
import { Dense, Sequential, fromTfjsArtifacts } from '@tapegrad/nn';
import { exportTfjs, loadMnistPackage } from '@tapegrad/nn/node';
import { exportOnnx, importOnnx } from '@tapegrad/nn/onnx';
import type { Tensor } from '@tapegrad/tensor';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_ROOT } from '../scripts/assets.js';
import { CHROMIUM, launchChromium } from '../scripts/chromium.js';
import { serveStatic, type StaticServer } from '../scripts/static-server.js';
import { splitFormula } from '../src/explorer/analysis.js';
import { inputLeaves, inputLines } from './inputs.js';

const haveChromium = existsSync(CHROMIUM);
const inCI = Boolean(process.env.CI);
const env = process.env.TAPEGRAD_BACKEND;
const backend = env === 'js' || env === 'wasm-fma' ? env : 'wasm';
const ARTIFACTS = join(LAB_ROOT, 'test-artifacts');
/** Test accuracy the page's training must reach after 3 epochs on the 8,000 digits (measured: see the README). */
const ACCURACY_FLOOR = 0.9;
/** The page's digits asset is this split (8,000 train then 2,000 test); the samples the page draws are its first test digits. */
const split = loadMnistPackage({ trainSize: 8000, testSize: 2000, seed: 0 });

/** The page's probabilities for the next few test digits ("Use a test digit"), with the digits' indices. */
async function sampleProbabilities(page: Page, count: number): Promise<{ k: number; p: number[] }[]> {
  const out: { k: number; p: number[] }[] = [];
  for (let i = 0; i < count; i++) {
    await page.click('#draw-sample');
    const k = Number(await page.getAttribute('#draw-sample-label', 'data-sample'));
    out.push({ k, p: JSON.parse((await page.getAttribute('#probabilities', 'data-probabilities'))!) as number[] });
  }
  return out;
}

/** Checks that `model` (in Node) gives the page's probabilities on those test digits. */
function expectSameProbabilities(model: Sequential, shown: { k: number; p: number[] }[], what: string): void {
  for (const { k, p } of shown) {
    const q = (model.predict(split.xTest.slice([k, k + 1])) as Tensor).values();
    p.forEach((v, d) => expect(Math.abs(v - q[d]!), `${what}: test digit #${k}, class ${d}`).toBeLessThan(1e-5));
  }
}

if (!haveChromium && !inCI) {
  console.warn(`lab browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}

describe.skipIf(!haveChromium && !inCI)(`the lab in Chromium (${backend} backend)`, () => {
  let dist = '';
  let server: StaticServer;
  let context: BrowserContext;
  let closeChromium: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`Chromium not found at ${CHROMIUM}; CI must install it (.ci/run: apt-get install -y chromium)`);
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

  /** A fresh page on the lab, with page errors collected; failures keep a screenshot under test-artifacts/. */
  async function open(
    name: string,
    onTestFailed: (fn: () => Promise<void>) => void,
    viewport = { width: 1280, height: 800 },
  ): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    onTestFailed(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${backend}.png`), fullPage: true }).catch(() => undefined);
    });
    await page.goto(`${server.url}?backend=${backend}`);
    await page.waitForSelector('body[data-interactive-ms]');
    return { page, errors };
  }

  /** Clicks `button` and waits for `count` downloads: each one's suggested name and where Chromium saved it. */
  async function downloads(page: Page, button: string, count: number): Promise<{ name: string; path: string }[]> {
    const events: Download[] = [];
    const all = new Promise<void>((done) =>
      page.on('download', (d) => {
        events.push(d);
        if (events.length === count) done();
      }),
    );
    await page.click(button);
    await all;
    page.removeAllListeners('download');
    return Promise.all(events.map(async (d) => ({ name: d.suggestedFilename(), path: (await d.path())! })));
  }

  it('the explorer shows the gradients autograd computes in Node, steps backward by keyboard, and runs forward mode', async ({
    onTestFailed,
  }) => {
    const { page, errors } = await open('explorer', onTestFailed);
    expect(await page.getAttribute('body', 'data-page-backend')).toBe(backend);
    const program = [...inputLines(), 'h = relu(x @ W + b) + sigmoid(x @ W)', 'loss = sum(h * h) + logsumexp(h)'];
    await page.fill('#program', program.join('\n'));
    await page.click('#run-program');
    await page.waitForSelector('#check-body tr[data-input="W"]');

    const { x, W, b } = inputLeaves();
    const h = AG.add(AG.relu(AG.add(AG.matmul(x, W), b)), AG.sigmoid(AG.matmul(x, W)));
    AG.add(AG.sum(AG.mul(h, h)), AG.logsumexp(h)).backward();
    for (const [name, v] of [
      ['x', x],
      ['W', W],
      ['b', b],
    ] as const) {
      const shown = JSON.parse((await page.getAttribute(`#check-body tr[data-input="${name}"] td.grad`, 'data-grad'))!) as number[];
      const expected = Array.from(v.grad!.values());
      expect(shown).toHaveLength(expected.length);
      shown.forEach((g, i) => expect(g, `${name}[${i}]`).toBeCloseTo(expected[i]!, 12));
    }
    expect(await page.textContent('#check-summary')).toMatch(/agree with central differences/);

    // backward one tape entry at a time, from the keyboard
    await page.focus('#step-next');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    expect(await page.textContent('#step-count')).toMatch(/^2 of \d+$/);
    expect(await page.textContent('#step-detail')).toMatch(/Incoming gradient g = ∂loss\/∂/);
    // the VJP shown is the op's own line of autograd's op table
    const table = AG.opTable as unknown as Record<string, { spec: AG.OpSpec }>;
    const stepOp = /^Tape entry (\w+) →/.exec((await page.textContent('#step-detail strong'))!)![1]!;
    const { forward, vjp } = splitFormula(table[stepOp]!.spec.math);
    expect(await page.textContent('#step-detail code.formula')).toBe(`${forward}     ${vjp}`);
    await page.click('#step-all');
    expect(await page.isDisabled('#step-next')).toBe(true);

    // forward mode along W[1, 0] equals that entry of the reverse-mode gradient
    await page.selectOption('#direction-select', { label: 'ẋ = unit tangent of W[1, 0]' });
    const jvp = Number(await page.getAttribute('#jvp-result [data-jvp]', 'data-jvp'));
    expect(jvp).toBeCloseTo(W.grad!.values()[2]!, 12);
    expect(await page.textContent('#cost-body')).toMatch(/Forward \(JVP\)\s*11 \(one per input element\)/);
    // every tape entry's tangent row shows the JVP of its op's table line
    const rows = await page.$$eval('#tangent-body tr', (trs) =>
      trs.map((r) => Array.from(r.children).slice(0, 2).map((c) => c.textContent!)),
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const [entry, shown] of rows) expect(shown, entry).toBe(splitFormula(table[entry!.split(' ')[0]!]!.spec.math).jvp);

    // a mistake is reported with its position, and the page keeps working
    await page.fill('#program', 'x = 1\ny = tanh(x');
    await page.click('#run-program');
    expect(await page.textContent('#program-error')).toMatch(/line 2, column 11: expected '\)' to close the call of tanh\(/);
    expect(errors).toEqual([]);
  });

  it('loads tapegrad JSON, a TF.js model.json with its shards and an .onnx saved in Node: the accuracy and probabilities of Node', async ({
    onTestFailed,
  }) => {
    // a quick model on the first 2,000 training digits
    const [xTrain, yTrain, xTest, yTest] = [split.xTrain.slice([0, 2000]), split.yTrain.slice([0, 2000]), split.xTest, split.yTest];
    const model = new Sequential({ seed: 3 });
    model.add(new Dense(32, { activation: 'tanh', inputShape: [784] }));
    model.add(new Dense(10, { activation: 'softmax' }));
    model.compile({ optimizer: 'adam', lr: 0.003, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    model.fit(xTrain, yTrain, { epochs: 1, batchSize: 64, verbose: 0 });
    const accuracy = model.evaluate(xTest, yTest).accuracy!;
    const dir = mkdtempSync(join(tmpdir(), 'tapegrad-lab-model-'));
    const file = join(dir, 'model.json');
    writeFileSync(file, JSON.stringify(model.toJSON()));
    // TF.js as tfjs-node and the converter write it: model.json and three shards (the page matches them by name)
    const tfjs = exportTfjs(model, join(dir, 'tfjs'), { shardBytes: 40_000 });
    expect(tfjs.shards).toHaveLength(3);
    writeFileSync(join(dir, 'model.onnx'), exportOnnx(model));

    const { page, errors } = await open('load-model', onTestFailed);
    await page.waitForSelector('#train-start:not([disabled])');
    const load = async (files: string[], what: string): Promise<void> => {
      await page.setInputFiles('#model-file', files);
      // the summary names the files once the worker has evaluated the model they hold
      const summary = `Model loaded from ${files.map((f) => basename(f)).join(' + ')} (`;
      await page.waitForFunction((text) => {
        const e = document.getElementById('train-summary')!;
        return e.dataset.loadedAccuracy !== undefined && e.textContent!.startsWith(text);
      }, summary);
      const shown = Number(await page.getAttribute('#train-summary', 'data-loaded-accuracy'));
      // the same 2,000 test digits and the same weights: at most one digit may flip (another backend's rounding)
      expect(Math.abs(shown - accuracy), what).toBeLessThanOrEqual(1 / 2000);
      expectSameProbabilities(model, await sampleProbabilities(page, 2), what);
    };
    await load([file], 'tapegrad JSON');
    expect(await page.isEnabled('#model-download')).toBe(true);
    await load([...tfjs.shards].reverse().concat(tfjs.modelJson), 'TF.js');
    expect(await page.textContent('#train-summary')).toMatch(
      /^Model loaded from group1-shard3of3\.bin \+ group1-shard2of3\.bin \+ group1-shard1of3\.bin \+ model\.json \(TF\.js\): test accuracy/,
    );
    await load([join(dir, 'model.onnx')], 'ONNX');

    // what is not a model is refused with the loader's message, and the page keeps the model it had
    const refuse = async (files: string[], message: RegExp): Promise<void> => {
      const before = await page.textContent('#train-error');
      await page.setInputFiles('#model-file', files);
      await page.waitForFunction((b) => document.getElementById('train-error')!.textContent !== b, before);
      expect(await page.textContent('#train-error')).toMatch(message);
    };
    writeFileSync(file, '{"format": "something-else"}');
    await refuse([file], /Could not load model\.json: .*not a tapegrad model/);
    await refuse([tfjs.shards[0]!], /^Could not load group1-shard1of3\.bin: .*a \.bin file holds only the weights of a TF\.js model/);
    await refuse([tfjs.modelJson, tfjs.shards[0]!], /lists group1-shard2of3\.bin, group1-shard3of3\.bin, not selected/);
    writeFileSync(join(dir, 'model.onnx'), exportOnnx(model).subarray(0, 50_000));
    await refuse([join(dir, 'model.onnx')], /^Could not load model\.onnx: importOnnx: /);
    expect(await page.textContent('#train-summary')).toMatch(/^Model loaded from model\.onnx \(ONNX\): test accuracy/);
    expect(await page.getAttribute('#train-summary', 'data-loaded-accuracy')).toBeTruthy();

    // a gelu model: ONNX (opset 13) has no gelu, and the page shows exportOnnx's own refusal instead of a file
    const gelu = new Sequential({ seed: 1 });
    gelu.add(new Dense(8, { activation: 'gelu', inputShape: [784] }));
    gelu.add(new Dense(10, { activation: 'softmax' }));
    writeFileSync(file, JSON.stringify(gelu.toJSON()));
    await page.setInputFiles('#model-file', file);
    await page.waitForSelector('#train-summary[data-loaded-accuracy]');
    await page.click('#model-download-onnx');
    await page.waitForSelector('#train-error:has-text("Could not save")');
    expect(await page.textContent('#train-error')).toMatch(
      /^Could not save the model as ONNX: exportOnnx: unsupported activation 'gelu' in layer '\w+': ONNX has Gelu only from opset 20/,
    );
    expect(await page.textContent('#model-files-status')).toBe('');
    rmSync(dir, { recursive: true });
    expect(errors).toEqual([]);
  });

  it('trains in the worker while the page answers input, then predicts a drawn digit and explains backprop', async ({ onTestFailed }) => {
    const { page, errors } = await open('train-draw', onTestFailed);
    await page.waitForSelector('#train-start:not([disabled])');
    await page.fill('#epochs', '3');
    await page.click('#train-start');
    // while the worker trains, the page takes a click: pause is acknowledged mid-run, then resume
    await page.waitForSelector('#train-status:has-text("batch")');
    await page.click('#train-pause');
    await page.waitForSelector('body[data-paused="true"]');
    expect(await page.getAttribute('body', 'data-training')).toBeNull();
    expect(await page.textContent('#train-pause')).toBe('Resume');
    await page.click('#train-pause');
    await page.waitForSelector('body[data-training]', { timeout: 50_000 });
    expect(await page.getAttribute('body', 'data-training')).toBe('finished');
    const epochs = await page.$$eval('#epoch-body tr', (rows) => rows.map((r) => Number(r.getAttribute('data-test-accuracy'))));
    expect(epochs).toHaveLength(3);
    expect(epochs[2]).toBeGreaterThanOrEqual(ACCURACY_FLOOR);
    expect(Number(await page.getAttribute('#responsiveness', 'data-ticks'))).toBeGreaterThan(0);
    expect(await page.getAttribute('body', 'data-worker-backend')).toBe(backend);
    expect(await page.textContent('#epoch-time')).toMatch(/^\d+\.\d\d s$/);
    expect(await page.$$eval('#confusion tbody td', (cells) => cells.reduce((s, c) => s + Number(c.textContent), 0))).toBe(2000);

    // the downloaded model is tapegrad JSON that Node loads and scores like the page did
    const [download] = await downloads(page, '#model-download', 1);
    const saved = Sequential.fromJSON(readFileSync(download!.path, 'utf8'));
    expect(Math.abs(saved.evaluate(split.xTest, split.yTest).accuracy! - epochs[2]!)).toBeLessThanOrEqual(1 / 2000);
    // TF.js: the pair tf.io.browserDownloads writes; ONNX: one file — each predicts what the page's model predicts
    const [modelJson, weights] = await downloads(page, '#model-download-tfjs', 2);
    expect([modelJson!.name, weights!.name]).toEqual(['tapegrad-mnist-tfjs.json', 'tapegrad-mnist-tfjs.weights.bin']);
    const doc = JSON.parse(readFileSync(modelJson!.path, 'utf8'));
    expect(doc.format).toBe('layers-model');
    expect(doc.weightsManifest).toEqual([{ paths: ['./tapegrad-mnist-tfjs.weights.bin'], weights: expect.any(Array) }]);
    const fromTfjs = fromTfjsArtifacts({
      modelTopology: doc.modelTopology,
      weightSpecs: doc.weightsManifest[0].weights,
      weightData: readFileSync(weights!.path),
    });
    const [onnx] = await downloads(page, '#model-download-onnx', 1);
    expect(onnx!.name).toBe('tapegrad-mnist-model.onnx');
    const fromOnnx = importOnnx(readFileSync(onnx!.path));
    expect(await page.textContent('#model-files-status')).toMatch(
      /^Saved the model trained in this page, epoch 3 as ONNX: tapegrad-mnist-model\.onnx \([\d,]+ bytes\)\.$/,
    );
    const shown = await sampleProbabilities(page, 3);
    expectSameProbabilities(saved, shown, 'tapegrad JSON');
    expectSameProbabilities(fromTfjs, shown, 'TF.js');
    expectSameProbabilities(fromOnnx, shown, 'ONNX');
    expect(await page.textContent('#train-error')).toBe('');


    // draw a digit with mouse events: ten probabilities that sum to 1
    await page.click('#draw-clear');
    await page.locator('#draw-canvas').scrollIntoViewIfNeeded();
    const box = (await page.locator('#draw-canvas').boundingBox())!;
    await page.mouse.move(box.x + 0.3 * box.width, box.y + 0.2 * box.height);
    await page.mouse.down();
    await page.mouse.move(box.x + 0.75 * box.width, box.y + 0.2 * box.height, { steps: 8 });
    await page.mouse.move(box.x + 0.45 * box.width, box.y + 0.85 * box.height, { steps: 8 });
    await page.mouse.up();
    await page.waitForSelector('#probabilities[data-probabilities]');
    const p = JSON.parse((await page.getAttribute('#probabilities', 'data-probabilities'))!) as number[];
    expect(p).toHaveLength(10);
    p.forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
    expect(await page.textContent('#prediction')).toMatch(/^Prediction: \d, probability \d+\.\d%\.$/);

    // backprop by hand vs autograd for the trained network, layer by layer
    await page.click('#backprop-run');
    const diffs = await page.$$eval('#backprop-result td[data-max-diff]', (cells) =>
      cells.map((c) => Number(c.getAttribute('data-max-diff'))),
    );
    expect(diffs).toHaveLength(2);
    diffs.forEach((d) => expect(d).toBeLessThan(1e-4));
    expect(await page.getAttribute('a[href="./backprop.html#2-the-delta-rule"]', 'href')).toBeTruthy();
    const docs = await context.request.get(`${server.url}backprop.html`);
    expect(await docs.text()).toContain('id="2-the-delta-rule"');
    expect(errors).toEqual([]);
  });

  it('marks a stopped epoch partial with the digits it saw, and the draw section shows the model is ready', async ({ onTestFailed }) => {
    const { page, errors } = await open('stop-mid-epoch', onTestFailed);
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

  it('fits a phone screen: no sideways scrolling at 390 px', async ({ onTestFailed }) => {
    const { page, errors } = await open('phone', onTestFailed, { width: 390, height: 844 });
    await page.selectOption('#example-select', 'two-layer'); // its graph is wider than a phone: it must scroll in its own box
    await page.waitForSelector('#check-body tr[data-input="W2"]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.isVisible('#program')).toBe(true);
    expect(errors).toEqual([]);
  });
});
