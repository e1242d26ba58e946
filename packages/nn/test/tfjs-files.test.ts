// The TF.js layers format on disk (exportTfjs / importTfjs): model.json beside weight shards, every file written
// atomically, and every refusal of a missing, truncated or misplaced shard naming the file.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Generator, TapegradError, randn } from '@tapegrad/tensor';
import { Dense, Dropout, Sequential } from '../src/index.js';
import { exportTfjs, importTfjs } from '../src/node/index.js';

// a shard that shrinks between importTfjs's stat and its read (a file being rewritten): readBounded hands back fewer bytes
const race = vi.hoisted(() => ({ shrink: false }));
vi.mock('../src/node/bounded-read.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/node/bounded-read.js')>();
  const readBounded: typeof real.readBounded = (...args) => {
    const bytes = real.readBounded(...args);
    return race.shrink && args[1].endsWith('.bin') ? bytes.subarray(0, bytes.length - 4) : bytes;
  };
  return { ...real, readBounded };
});

// a write that fails (a full disk, an I/O error): writeFileAtomic refuses the paths `failing` matches
const inject = vi.hoisted(() => ({ failing: null as RegExp | null }));
vi.mock('../src/node/files.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/node/files.js')>();
  const writeFileAtomic: typeof real.writeFileAtomic = (path, data) => {
    if (inject.failing?.test(path)) throw new Error(`writeFileAtomic: could not write ${path}: ENOSPC (injected)`);
    real.writeFileAtomic(path, data);
  };
  return { ...real, writeFileAtomic };
});
const failingWrites = <T>(paths: RegExp, f: () => T): T => {
  inject.failing = paths;
  try {
    return f();
  } finally {
    inject.failing = null;
  }
};

const root = mkdtempSync(join(tmpdir(), 'tapegrad-tfjs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const tmp = (): string => mkdtempSync(join(root, `${count++}-`));

function model(seed = 4, units = 32): Sequential {
  const m = new Sequential({ seed, name: 'files' });
  m.add(new Dense(units, { activation: 'relu', inputShape: [20] }));
  m.add(new Dropout(0.1));
  m.add(new Dense(5, { activation: 'softmax' }));
  return m;
}

type Manifest = { weightsManifest: { paths: string[]; weights: unknown[] }[]; format: string; modelTopology: unknown };
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Manifest;

describe('exportTfjs / importTfjs', () => {
  it('writes model.json and 4 MiB shards as TF.js does, and reads them back (directory or file) with identical predictions', () => {
    const dir = join(tmp(), 'model');
    const m = model();
    const files = exportTfjs(m, dir);
    expect(files.modelJson).toBe(join(dir, 'model.json'));
    expect(files.shards).toEqual([join(dir, 'group1-shard1of1.bin')]);
    const doc = manifest(dir);
    expect(doc.format).toBe('layers-model');
    expect(doc.weightsManifest[0]!.paths).toEqual(['group1-shard1of1.bin']);
    expect(readFileSync(files.shards[0]!).length).toBe(4 * (20 * 32 + 32 + 32 * 5 + 5));
    const x = randn([6, 20], { generator: new Generator(1) });
    expect(importTfjs(dir).predict(x).equals(m.predict(x))).toBe(true);
    expect(importTfjs(files.modelJson).predict(x).equals(m.predict(x))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('splits the weights into shards of shardBytes and removes the shards of an earlier export it no longer lists', () => {
    const dir = tmp();
    const m = model();
    const files = exportTfjs(m, dir, { shardBytes: 1000 });
    expect(files.shards).toHaveLength(Math.ceil((4 * 837) / 1000));
    expect(manifest(dir).weightsManifest[0]!.paths[0]).toBe('group1-shard1of4.bin');
    const x = randn([3, 20], { generator: new Generator(2) });
    expect(importTfjs(dir).predict(x).equals(m.predict(x))).toBe(true);
    writeFileSync(join(dir, 'notes.bin'), 'mine');
    exportTfjs(m, dir);
    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json', 'notes.bin']);
    expect(() => exportTfjs(m, dir, { shardBytes: 0 })).toThrow(/shardBytes must be an integer ≥ 4/);
  });

  it('a re-export writes its shards under new names, then removes only the files the old model.json listed', () => {
    const dir = tmp();
    exportTfjs(model(), dir, { shardBytes: 1000 });
    writeFileSync(join(dir, 'notes.bin'), 'mine');
    writeFileSync(join(dir, 'group1-shard9of9.bin'), 'not listed by the old model.json');
    const m = model(7);
    const files = exportTfjs(m, dir, { shardBytes: 1000 });
    const names = manifest(dir).weightsManifest[0]!.paths;
    expect(names).toHaveLength(4);
    const tag = /^group1-shard1of4\.([0-9a-f]{8})\.bin$/.exec(names[0]!)![1];
    expect(names).toEqual([1, 2, 3, 4].map((i) => `group1-shard${i}of4.${tag}.bin`));
    expect(files.shards).toEqual(names.map((n) => join(dir, n)));
    expect(readdirSync(dir).sort()).toEqual([...names, 'group1-shard9of9.bin', 'model.json', 'notes.bin'].sort());
    const x = randn([3, 20], { generator: new Generator(3) });
    expect(importTfjs(dir).predict(x).equals(m.predict(x))).toBe(true);
    // TF.js's plain names are free again (and another shard count never collides): the next export takes them
    exportTfjs(m, dir, { shardBytes: 1000 });
    expect(manifest(dir).weightsManifest[0]!.paths).toEqual([1, 2, 3, 4].map((i) => `group1-shard${i}of4.bin`));
    expect(readdirSync(dir).filter((f) => f.includes(tag!))).toEqual([]);
    expect(importTfjs(dir).predict(x).equals(m.predict(x))).toBe(true);
  });

  it.each([
    ['model.json cannot be written', /model\.json$/],
    ['the second shard cannot be written', /group1-shard2of\d+(\.[0-9a-f]{8})?\.bin$/],
  ])('a re-export that fails (%s) leaves the old export loadable with its old weights', (_label, failing) => {
    const dir = tmp();
    const old = model(4);
    exportTfjs(old, dir, { shardBytes: 1000 });
    const before = readdirSync(dir).sort();
    const x = randn([4, 20], { generator: new Generator(5) });
    // the same architecture with other weights (would load silently under the old model.json), and another one
    for (const [next, shardBytes] of [
      [model(9), 1000],
      [model(9, 16), 600],
    ] as const) {
      const message = `^exportTfjs: could not export to ${dir} \\(the shards it wrote are removed; .* is left as it was\\): `;
      const export_ = (): unknown => exportTfjs(next, dir, { shardBytes });
      expect(() => failingWrites(failing, export_)).toThrow(new RegExp(`${message}writeFileAtomic: .*ENOSPC`));
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(importTfjs(dir).predict(x).equals(old.predict(x))).toBe(true);
    }
    // into a new directory: nothing is left behind
    const fresh = tmp();
    expect(() => failingWrites(failing, () => exportTfjs(model(), fresh, { shardBytes: 1000 }))).toThrow(TapegradError);
    expect(readdirSync(fresh)).toEqual([]);
  });

  it('removes nothing outside the directory and no file but the shards the old model.json listed', () => {
    const base = tmp();
    const dir = join(base, 'model');
    exportTfjs(model(), dir);
    writeFileSync(join(base, 'outside.bin'), 'keep');
    writeFileSync(join(dir, 'mine.bin'), 'keep');
    const doc = manifest(dir);
    doc.weightsManifest[0]!.paths.push('../outside.bin', '/etc/hostname', 'model.json');
    writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
    exportTfjs(model(), dir);
    expect(readFileSync(join(base, 'outside.bin'), 'utf8')).toBe('keep');
    expect(readdirSync(dir).sort()).toEqual([manifest(dir).weightsManifest[0]!.paths[0]!, 'mine.bin', 'model.json'].sort());
    // a model.json that is not a TF.js model: its neighbours are not taken for shards
    writeFileSync(join(dir, 'model.json'), 'garbage');
    exportTfjs(model(), dir);
    expect(readdirSync(dir)).toHaveLength(4);
    expect(importTfjs(dir).layers).toHaveLength(3);
  });

  it('refuses a missing or truncated shard, naming the file', () => {
    const dir = tmp();
    exportTfjs(model(), dir, { shardBytes: 1000 });
    truncateSync(join(dir, 'group1-shard4of4.bin'), 100);
    expect(() => importTfjs(dir)).toThrow(
      /model\.json: the weights files of group 1 hold 3100 bytes but its weights need 3348 — truncated/,
    );
    const gone = tmp();
    exportTfjs(model(), gone);
    writeFileSync(join(gone, 'group1-shard1of1.bin'), new Uint8Array(4 * 837 + 4));
    expect(() => importTfjs(gone)).toThrow(/hold 3352 bytes but its weights need 3348/);
    const missing = tmp();
    exportTfjs(model(), missing);
    const doc = manifest(missing);
    doc.weightsManifest[0]!.paths = ['elsewhere.bin'];
    writeFileSync(join(missing, 'model.json'), JSON.stringify(doc));
    expect(() => importTfjs(missing)).toThrow(/the weights file elsewhere\.bin it lists is missing/);
  });

  it('refuses a shard that changed while it was read instead of filling the missing bytes with zeros', () => {
    const dir = tmp();
    exportTfjs(model(), dir);
    race.shrink = true;
    try {
      expect(() => importTfjs(dir)).toThrow(/the weights file group1-shard1of1\.bin changed while it was read \(3348 bytes, then 3344\)/);
    } finally {
      race.shrink = false;
    }
    expect(importTfjs(dir).layers).toHaveLength(3);
  });

  it.each([
    [
      'a path out of the directory',
      '../secret.bin',
      /weights path "..\/secret.bin" must be a file name relative to the model\.json's directory/,
    ],
    ['an absolute path', '/etc/passwd', /weights path "\/etc\/passwd" must be a file name relative/],
    ['a URL', 'https://example.com/w.bin', /must be a file name relative/],
  ])('refuses %s in the manifest', (_label, path, message) => {
    const dir = tmp();
    exportTfjs(model(), dir);
    const doc = manifest(dir);
    doc.weightsManifest[0]!.paths = [path];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
    expect(() => importTfjs(dir)).toThrow(message);
  });

  it('refuses what is not a TF.js layers model, and carries fromTfjsArtifacts refusals with the file named', () => {
    const dir = tmp();
    exportTfjs(model(), dir);
    const doc = manifest(dir);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...doc, format: 'graph-model' }));
    expect(() => importTfjs(dir)).toThrow(/unsupported format "graph-model"; tapegrad imports TF.js layers models/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ hello: 1 }));
    expect(() => importTfjs(dir)).toThrow(/not a TF.js layers model/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(doc).slice(0, 200));
    expect(() => importTfjs(dir)).toThrow(/invalid JSON .* truncated or corrupted/);
    const t = doc.modelTopology as { config: { layers: { class_name: string }[] } };
    t.config.layers[1]!.class_name = 'SpatialDropout1D';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
    expect(() => importTfjs(dir)).toThrow(
      new RegExp(`^${join(dir, 'model.json')}: fromTfjsArtifacts: layer 'dropout' \\(SpatialDropout1D\\): unsupported`),
    );
    expect(() => importTfjs(dir)).toThrow(TapegradError);
    expect(() => importTfjs(join(dir, 'nope'))).toThrow(/cannot read/);
  });

  it('creates the directory, and says so when it cannot', () => {
    const base = tmp();
    writeFileSync(join(base, 'file'), 'x');
    expect(() => exportTfjs(model(), join(base, 'file', 'sub'))).toThrow(/exportTfjs: cannot create the directory/);
    mkdirSync(join(base, 'deep'));
    exportTfjs(model(), join(base, 'deep', 'er'));
    expect(existsSync(join(base, 'deep', 'er', 'model.json'))).toBe(true);
  });
});
