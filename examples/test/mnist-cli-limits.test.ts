/**
 * The limits of `pnpm mnist`: a learning rate the model could not save is a usage error before any training, and the
 * size and integer options say which limit a value breaks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainOptions, runCli, type CliIO } from '../mnist/main.js';

const dir = mkdtempSync(join(tmpdir(), 'mnist-cli-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: CliIO = { out: (s) => void (out += s), err: (s) => void (err += s) };
  const code = runCli(argv, io);
  return { code, out, err };
}

describe('pnpm mnist limits', () => {
  it.each([
    [['--lr', '1e9'], /^mnist: --lr '1e9' is out of range: compile: lr must be a finite number in \[0, 1000000\].*, got 1000000000 \(see/],
    [['--lr', '2e6', '--optimizer', 'sgd'], /--lr '2e6' is out of range: compile: lr must be a finite number in \[0, 1000000\]/],
    [['--hidden', '100000000'], /^mnist: --hidden: layer size 100000000 is above the limit of 100000 units, got '100000000' \(see/],
    [['--hidden', '64,200000'], /--hidden: layer size 200000 is above the limit of 100000 units, got '64,200000'/],
    [['--batch-size', '1e20'], /^mnist: --batch-size must be an integer in \[1, 9007199254740991\], got '1e20' \(see/],
    [['--epochs', '2.5'], /--epochs must be an integer ≥ 1, got '2\.5'/],
  ])('%j → exit 2 before training, stating the limit', (argv, message) => {
    const r = run([...(argv as string[]), '--out', join(dir, 'out')]);
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
  });

  it('the limits themselves are accepted, and integers may be written with an exponent', () => {
    const o = parseTrainOptions(['--lr', '1e6', '--hidden', '100000', '--batch-size', '1e9', '--epochs', '1e1']);
    expect(o).toMatchObject({ lr: 1e6, hidden: [100000], batchSize: 1e9, epochs: 10 });
  });

  it('hidden sizes the model cannot hold are a usage error before training, with the parameter limit', () => {
    const r = run(['--train-size', '100', '--test-size', '10', '--hidden', '100000', '--quiet', '--out', join(dir, 'big')]);
    expect(r.err).toMatch(/^mnist: --hidden 100000: Sequential\.add: layer 'dense' \(Dense\) would bring the model to 78500000 parameters/);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
  });
});
