import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, History, Sequential } from '@tapegrad/nn';
import { exportOnnxFile, importOnnxFile, importTfjs, load, loadMnistPackage, save } from '@tapegrad/nn/node';
import { runCli, type CliIO } from '../mnist/main.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

function run(argv: string[], isTTY = false): Run {
  let out = '';
  let err = '';
  const io: CliIO = { out: (s) => void (out += s), err: (s) => void (err += s), isTTY };
  const code = runCli(argv, io);
  return { code, out, err };
}

/** Writes an IDX file (uint8) with the given dims. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const outBytes = new Uint8Array(header.length + data.length);
  outBytes.set(header);
  outBytes.set(data, header.length);
  return outBytes;
}

let dir: string;
let trained: Run;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mnist-cli-'));
  // 2,000 real digits (1,800 trained on, 200 validation), 2 epochs: the bar below is 80% test accuracy
  trained = run(['--train-size', '2000', '--test-size', '500', '--epochs', '2', '--seed', '3', '--out', join(dir, 'out')]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('pnpm mnist (train)', () => {
  it('learns real digits: loss falls and test accuracy > 80% after 2 epochs on 2,000 digits', () => {
    expect(trained.err).toBe('');
    expect(trained.code).toBe(0);
    expect(trained.out).toContain('Total params: 101,770');
    expect(trained.out).toMatch(/Epoch 1\/2 .*loss: .*accuracy: .*val_loss: .*val_accuracy: /);
    expect(trained.out).toMatch(/Epoch 2\/2 /);
    // the epoch time is printed once, in seconds
    const m = /Test accuracy: ([\d.]+)% \(loss [\d.]+\) on 500 images — ([\d.]+) s per epoch\n/.exec(trained.out);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(80);
    const h = History.fromJSON(JSON.parse(readFileSync(join(dir, 'out', 'history.json'), 'utf8')));
    const loss = h.history.loss!;
    const valLoss = h.history.val_loss!;
    expect(loss).toHaveLength(2);
    expect(loss[1]!).toBeLessThan(loss[0]!);
    expect(valLoss[1]!).toBeLessThan(valLoss[0]!);
    expect(loss[0]!).toBeLessThan(Math.log(10)); // below chance after one epoch
    expect(h.params.samples).toBe(1800);
    expect(h.params.validationSamples).toBe(200);
  });

  it('writes model.json, history.json and history.svg; the model reloads with identical predictions', () => {
    const out = join(dir, 'out');
    for (const f of ['model.json', 'history.json', 'history.svg']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'history.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const model = load(join(out, 'model.json'));
    expect(model.epoch).toBe(2);
    const { xTest, yTest } = loadMnistPackage({ trainSize: 2000, testSize: 500, seed: 0 });
    const p1 = model.predict(xTest);
    const p2 = load(join(out, 'model.json')).predict(xTest);
    expect(p1.equals(p2)).toBe(true);
    // the reloaded model scores what training reported
    const acc = model.evaluate(xTest, yTest).accuracy!;
    const reported = Number(/Test accuracy: ([\d.]+)%/.exec(trained.out)![1]);
    expect(100 * acc).toBeCloseTo(reported, 1);
  });

  it('draws a live progress bar on a TTY and stays silent but for the result with --quiet', () => {
    const tty = run(['--train-size', '300', '--test-size', '100', '--epochs', '1', '--hidden', '16', '--out', join(dir, 'tty')], true);
    expect(tty.code).toBe(0);
    expect(tty.out).toMatch(/\r\[=+\] \d+\/\d+/);
    const quiet = run([
      ...['--train-size', '300', '--test-size', '100', '--epochs', '1', '--hidden', '16,8', '--activation', 'tanh'],
      ...['--optimizer', 'sgd', '--lr', '0.1', '--quiet', '--out', join(dir, 'quiet')],
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.out.trim().split('\n')).toHaveLength(1);
    expect(quiet.out).toMatch(/^Test accuracy: /);
    expect(load(join(dir, 'quiet', 'model.json')).layers.map((l) => l.outputSize)).toEqual([16, 8, 10]);
  });

  it('trains from IDX files, raw and gzipped, with Fashion-MNIST names', () => {
    const data = join(dir, 'idx');
    const { xTrain, yTrain } = loadMnistPackage({ trainSize: 300, testSize: 100, seed: 1 });
    const px = Uint8Array.from(xTrain.values(), (v) => Math.round(v * 255));
    const lb = Uint8Array.from(yTrain.values());
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'train-images-idx3-ubyte.gz'), gzipSync(idx([300, 28, 28], px)));
    writeFileSync(join(data, 'train-labels-idx1-ubyte'), idx([300], lb));
    writeFileSync(join(data, 't10k-images-idx3-ubyte'), idx([100, 28, 28], px.subarray(0, 100 * 784)));
    writeFileSync(join(data, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([100], lb.subarray(0, 100))));
    const r = run([
      ...['--data', data, '--epochs', '8', '--batch-size', '16', '--validation-split', '0', '--hidden', '32'],
      ...['--quiet', '--out', join(dir, 'idx-out')],
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // the test images are training images here: the model must fit them well
    expect(Number(/Test accuracy: ([\d.]+)%/.exec(r.out)![1])).toBeGreaterThan(80);
    const p = run(['predict', '--model', join(dir, 'idx-out', 'model.json'), '--data', data]);
    expect(p.code).toBe(0);
    expect(p.out).toContain('100 test images');

    // a truncated IDX file is a one-line runtime error naming the file
    writeFileSync(join(data, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([100], lb.subarray(0, 100))).subarray(0, 20));
    const bad = run(['--data', data, '--epochs', '1', '--out', join(dir, 'idx-bad')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^mnist: error: .*t10k-labels-idx1-ubyte\.gz.*(truncated|corrupted)/);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('pnpm mnist checks before training and keeps what it trained', () => {
  const small = ['--train-size', '300', '--test-size', '100', '--epochs', '1', '--hidden', '8'];

  it('model.json is a small inference file (≤ 0.6 MB for 784-128-10); --save-optimizer adds the optimizer state', () => {
    const text = readFileSync(join(dir, 'out', 'model.json'), 'utf8');
    expect(text.length).toBeLessThanOrEqual(600_000);
    expect(JSON.parse(text).optimizerState).toBeNull();
    const r = run([...small, '--quiet', '--save-optimizer', '--out', join(dir, 'with-optimizer')]);
    expect(r.code).toBe(0);
    const m = load(join(dir, 'with-optimizer', 'model.json'));
    expect(m.optimizer!.state().slots.length).toBe(4);
  });

  it('test labels out of range fail before the first epoch, and nothing is written', () => {
    const data = join(dir, 'idx-bad-labels');
    const { xTrain, yTrain } = loadMnistPackage({ trainSize: 300, testSize: 100, seed: 1 });
    const px = Uint8Array.from(xTrain.values(), (v) => Math.round(v * 255));
    const lb = Uint8Array.from(yTrain.values());
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'train-images-idx3-ubyte'), idx([300, 28, 28], px));
    writeFileSync(join(data, 'train-labels-idx1-ubyte'), idx([300], lb));
    writeFileSync(join(data, 't10k-images-idx3-ubyte'), idx([100, 28, 28], px.subarray(0, 100 * 784)));
    const bad = lb.slice(0, 100);
    bad[57] = 12;
    writeFileSync(join(data, 't10k-labels-idx1-ubyte'), idx([100], bad));
    const r = run(['--data', data, '--epochs', '3', '--out', join(dir, 'bad-labels-out')]);
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/Epoch/);
    expect(r.err).toBe('mnist: error: test label 57 is 12; expected a digit class 0–9 (are these the right files?)\n');
    expect(existsSync(join(dir, 'bad-labels-out', 'model.json'))).toBe(false);
  });

  it('an empty test split fails before the first epoch, and nothing is written', () => {
    const data = join(dir, 'idx-empty-test');
    const { xTrain, yTrain } = loadMnistPackage({ trainSize: 300, testSize: 100, seed: 1 });
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'train-images-idx3-ubyte'), idx([300, 28, 28], Uint8Array.from(xTrain.values(), (v) => Math.round(v * 255))));
    writeFileSync(join(data, 'train-labels-idx1-ubyte'), idx([300], Uint8Array.from(yTrain.values())));
    writeFileSync(join(data, 't10k-images-idx3-ubyte'), idx([0, 28, 28], new Uint8Array(0)));
    writeFileSync(join(data, 't10k-labels-idx1-ubyte'), idx([0], new Uint8Array(0)));
    const r = run(['--data', data, '--epochs', '1', '--out', join(dir, 'empty-test-out')]);
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/Epoch/);
    expect(r.err).toBe('mnist: error: the test files hold no images; expected at least one (are these the right files?)\n');
    expect(existsSync(join(dir, 'empty-test-out', 'model.json'))).toBe(false);
  });

  it.runIf(existsSync('/proc/self'))('an output directory the kernel cannot create (/proc) fails at once instead of hanging', () => {
    // Node 20's mkdirSync(…, { recursive: true }) loops forever on procfs; the CLI creates one level at a time
    const r = run([...small, '--out', '/proc/tapegrad-no-such-dir/sub']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^mnist: error: cannot create the output directory \/proc\/tapegrad-no-such-dir\/sub: ENOENT/);
  });

  it('an output path taken by a directory fails before training', () => {
    mkdirSync(join(dir, 'taken', 'model.json'), { recursive: true });
    const r = run([...small, '--out', join(dir, 'taken')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^mnist: error: cannot write .*taken\/model\.json: it is a directory\n$/);
  });

  it('when the output directory disappears during training, the trained model is saved elsewhere and the message says where', () => {
    const out = join(dir, 'vanishing');
    let err = '';
    let removed = false;
    const io: CliIO = {
      out: (s) => {
        // the epoch line is printed at the end of training: remove the output directory under the CLI's feet
        if (!removed && /Epoch 1\/1/.test(s)) {
          rmSync(out, { recursive: true, force: true });
          removed = true;
        }
      },
      err: (s) => void (err += s),
    };
    const code = runCli([...small, '--out', out], io);
    expect(removed).toBe(true);
    expect(code).toBe(1);
    const saved = /saved the trained model to (\S+\.json) instead/.exec(err);
    expect(saved).not.toBeNull();
    expect(err).toContain(`(the trained model was saved to ${saved![1]})`);
    const model = load(saved![1]!);
    expect(model.epoch).toBe(1);
    rmSync(saved![1]!);
  });
});

describe('pnpm mnist predict', () => {
  it('prints accuracy and a 10×10 confusion matrix whose counts add up', () => {
    const r = run(['predict', '--model', join(dir, 'out', 'model.json'), '--train-size', '2000', '--test-size', '500']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const m = /Accuracy: ([\d.]+)% \((\d+)\/500\)/.exec(r.out);
    expect(m).not.toBeNull();
    const reported = Number(/Test accuracy: ([\d.]+)%/.exec(trained.out)![1]);
    expect(Number(m![1])).toBeCloseTo(reported, 1);
    const rows = r.out.split('\n').filter((l) => /^\d\s/.test(l));
    expect(rows).toHaveLength(10);
    let diagonal = 0;
    let total = 0;
    rows.forEach((row, i) => {
      const cells = row.trim().split(/\s+/).map(Number);
      expect(cells).toHaveLength(12); // class, 10 counts, total
      diagonal += cells[1 + i]!;
      total += cells[11]!;
    });
    expect(total).toBe(500);
    expect(diagonal).toBe(Number(m![2]));
  });

  it('reports a missing or corrupted model file in one line with exit code 1', () => {
    const missing = run(['predict', '--model', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`mnist predict: error: model file not found: ${join(dir, 'nope.json')}\n`);

    const text = readFileSync(join(dir, 'out', 'model.json'), 'utf8');
    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, text.slice(0, Math.floor(text.length / 2)));
    const t = run(['predict', '--model', truncated]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/^mnist predict: error: cannot load model .*truncated\.json: /);
    expect(t.err.trim().split('\n')).toHaveLength(1);

    // flip weight bytes inside the base64 payload: the checksum or the decoder must catch it
    const doc = JSON.parse(text) as { weights: { tensors: Record<string, { data?: string }> } };
    const first = Object.values(doc.weights.tensors)[0]!;
    const fields = first as Record<string, unknown>;
    const key = Object.keys(first).find((k) => typeof fields[k] === 'string' && (fields[k] as string).length > 100)!;
    const s = (first as Record<string, string>)[key]!;
    (first as Record<string, string>)[key] = s.slice(0, 40) + (s[40] === 'A' ? 'B' : 'A') + s.slice(41);
    const corrupted = join(dir, 'corrupted.json');
    writeFileSync(corrupted, JSON.stringify(doc));
    const c = run(['predict', '--model', corrupted]);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/^mnist predict: error: cannot load model .*corrupted\.json: .*/);

    const notModel = join(dir, 'not-model.json');
    writeFileSync(notModel, '{"hello": 1}');
    const n = run(['predict', '--model', notModel]);
    expect(n.code).toBe(1);
    expect(n.err).toMatch(/not a tapegrad model/);
  });
});

describe('pnpm mnist export and --init: models for other engines, and training from them', () => {
  const small = ['--train-size', '300', '--test-size', '100', '--epochs', '1'];

  it('exports the trained model as TF.js files and as ONNX; both read back to the same predictions', () => {
    const model = join(dir, 'out', 'model.json');
    const t = run(['export', '--model', model, '--format', 'tfjs', '--out', join(dir, 'tfjs')]);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^Wrote .*tfjs\/model\.json \([\d.]+ KB\) and .*group1-shard1of1\.bin \(397\.5 KB\)\n/);
    const o = run(['export', '--model', model, '--format', 'onnx', '--out', join(dir, 'onnx')]);
    expect(o.code).toBe(0);
    expect(o.out).toMatch(/^Wrote .*onnx\/model\.onnx \(398\.0 KB\): ONNX opset 13, input 'input' \[batch, 784\], output 'output'\n$/);
    const { xTest } = loadMnistPackage({ trainSize: 2000, testSize: 500, seed: 0 });
    const want = load(model).predict(xTest);
    expect(importTfjs(join(dir, 'tfjs')).predict(xTest).equals(want)).toBe(true);
    expect(importOnnxFile(join(dir, 'onnx', 'model.onnx')).predict(xTest).equals(want)).toBe(true);
    // predict reads every format, with the accuracy of the original
    const reported = /Accuracy: ([\d.]+)%/;
    const base = run(['predict', '--model', model, '--train-size', '2000', '--test-size', '500']);
    for (const file of [join(dir, 'onnx', 'model.onnx'), join(dir, 'tfjs', 'model.json'), join(dir, 'tfjs')]) {
      const p = run(['predict', '--model', file, '--train-size', '2000', '--test-size', '500']);
      expect(p.code).toBe(0);
      expect(reported.exec(p.out)![1]).toBe(reported.exec(base.out)![1]);
    }
  });

  it('--init trains on from a tapegrad, TF.js or ONNX model, keeping its architecture', () => {
    for (const init of [join(dir, 'out', 'model.json'), join(dir, 'tfjs', 'model.json'), join(dir, 'onnx', 'model.onnx')]) {
      const out = join(dir, `init-${init.split('/').slice(-2).join('-')}`);
      const r = run([...small, '--init', init, '--quiet', '--out', out]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      // the starting point already reads digits: one epoch on 300 more keeps it far above chance
      expect(Number(/Test accuracy: ([\d.]+)%/.exec(r.out)![1])).toBeGreaterThan(70);
      const m = load(join(out, 'model.json'));
      expect(m.layers.map((l) => l.outputSize)).toEqual([128, 10]);
    }
  });

  it('--init takes a model that ends in logits (as PyTorch MLPs do) and trains it with the loss from logits', () => {
    const logits = new Sequential({ seed: 5 });
    logits.add(new Dense(16, { activation: 'relu', inputShape: [784] }));
    logits.add(new Dense(10));
    exportOnnxFile(logits, join(dir, 'logits.onnx'));
    const r = run([
      ...['--train-size', '1000', '--test-size', '200', '--epochs', '3'],
      ...['--init', join(dir, 'logits.onnx'), '--quiet', '--out', join(dir, 'logits')],
    ]);
    expect(r.code).toBe(0);
    expect(Number(/Test accuracy: ([\d.]+)%/.exec(r.out)![1])).toBeGreaterThan(60);
    expect(load(join(dir, 'logits', 'model.json')).fromLogits).toBe(true);
  });

  it('refuses, before training, a starting model that does not fit the digits', () => {
    const five = new Sequential({ seed: 5 });
    five.add(new Dense(5, { activation: 'softmax', inputShape: [784] }));
    save(five, join(dir, 'five.json'));
    const r = run([...small, '--init', join(dir, 'five.json'), '--out', join(dir, 'five')]);
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/Epoch/);
    expect(r.err).toMatch(/^mnist: error: the model in .*five\.json has 5 outputs; expected 10 classes\n$/);
    const tanh = new Sequential({ seed: 5 });
    tanh.add(new Dense(10, { activation: 'tanh', inputShape: [784] }));
    save(tanh, join(dir, 'tanh.json'));
    const t = run([...small, '--init', join(dir, 'tanh.json'), '--out', join(dir, 'tanh')]);
    expect(t.err).toMatch(/ends in Dense 'dense' \(tanh\); expected a Dense with softmax or no activation \(logits\)/);
    const missing = run([...small, '--init', join(dir, 'nope.onnx'), '--out', join(dir, 'nope')]);
    expect(missing.err).toBe(`mnist: error: model file not found: ${join(dir, 'nope.onnx')}\n`);
    writeFileSync(join(dir, 'bad.onnx'), 'not protobuf at all');
    const bad = run([...small, '--init', join(dir, 'bad.onnx'), '--out', join(dir, 'bad')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^mnist: error: cannot load model .*bad\.onnx: .*importOnnx: /);
  });

  it('export refuses what the format cannot express, naming the layer', () => {
    const gelu = new Sequential({ seed: 5 });
    gelu.add(new Dense(10, { activation: 'gelu', inputShape: [784], name: 'hidden' }));
    save(gelu, join(dir, 'gelu.json'));
    const r = run(['export', '--model', join(dir, 'gelu.json'), '--format', 'onnx', '--out', join(dir, 'gelu')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mnist export: error: cannot export .*: exportOnnx: unsupported activation 'gelu' in layer 'hidden'/);
    // TF.js has gelu
    expect(run(['export', '--model', join(dir, 'gelu.json'), '--format', 'tfjs', '--out', join(dir, 'gelu')]).code).toBe(0);
  });
});

describe('usage', () => {
  it('prints help for train and predict with exit code 0', () => {
    const h = run(['--help']);
    expect(h.code).toBe(0);
    const options = ['--data', '--hidden', '--activation', '--optimizer', '--lr', '--epochs', '--batch-size', '--validation-split'];
    for (const o of [...options, '--seed', '--out', '--quiet', '--init FILE', 'pnpm mnist export']) {
      expect(h.out).toContain(o);
    }
    expect(h.out).not.toContain('--train-size');
    const p = run(['predict', '-h']);
    expect(p.code).toBe(0);
    expect(p.out).toContain('--model FILE');
    const e = run(['export', '--help']);
    expect(e.code).toBe(0);
    expect(e.out).toContain('--format tfjs|onnx');
  });

  it.each([
    [['--epochs', '0'], /--epochs must be an integer ≥ 1, got '0'/],
    [['--epochs', 'ten'], /--epochs must be an integer/],
    [['--lr', '-1'], /--lr must be a positive number, got '-1'/],
    [['--validation-split', '1'], /--validation-split must be a fraction in \[0, 1\)/],
    [['--hidden', '128,,64'], /--hidden must be comma-separated positive layer sizes/],
    [['--activation', 'swishy'], /--activation must be one of .*relu/],
    [['--optimizer', 'adamm'], /--optimizer must be one of .*adam/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--epochs'], /option '--epochs' needs a value/],
    [['--seed', '1', '--seed', '2'], /given more than once/],
    [['extra'], /unexpected argument 'extra'/],
    [['predict'], /predict needs --model FILE/],
    [['predict', '--model', 'm.json', '--epochs', '3'], /unknown option '--epochs'/],
    [['--init', 'm.onnx', '--hidden', '64'], /--hidden and --activation describe a new model; --init starts from .* in m\.onnx/],
    [['--init', ''], /--init needs a model file/],
  ])('%j → exit 2 with one line', (argv, message) => {
    const r = run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/^mnist( predict)?: .*\(see 'pnpm mnist( predict)? --help'\)\n$/);
  });

  it.each([
    [['export', '--format', 'onnx', '--out', 'x'], /export needs --model FILE/],
    [['export', '--model', 'm.json', '--format', 'keras', '--out', 'x'], /--format must be tfjs or onnx, got "keras"/],
    [['export', '--model', 'm.json', '--format', 'onnx'], /export needs --out DIR/],
    [['export', '--model', 'm.json', '--format', 'onnx', '--out', 'x', '--epochs', '2'], /unknown option '--epochs'/],
  ])('%j → exit 2 with one line', (argv, message) => {
    const r = run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/^mnist export: .*\(see 'pnpm mnist export --help'\)\n$/);
  });

  it('reports a missing data directory with exit code 1', () => {
    const r = run(['--data', join(dir, 'no-such-dir'), '--out', join(dir, 'x')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`mnist: error: data directory not found: ${join(dir, 'no-such-dir')}\n`);
    // an --out that is a file fails before any training
    writeFileSync(join(dir, 'a-file'), 'x');
    const o = run(['--out', join(dir, 'a-file', 'sub')]);
    expect(o.code).toBe(1);
    expect(o.out).toBe('');
    expect(o.err).toMatch(/^mnist: error: cannot create the output directory .*a-file/);
    const e = run(['--data', dir, '--out', join(dir, 'x')]);
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/^mnist: error: .*no train images file/);
  });
});
