// Importers refuse what would make them compute something else than the file's model or read past their limits: a
// TF.js Flatten that reorders features (channels_first) or an unknown data_format, a non-boolean trainable, a shard
// symlinked out of the model's directory, a size limit that is not a positive integer, and an ONNX model with no
// default-domain opset — each with a clear error rather than a silently different model.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, ValueError, randn } from '@tapegrad/tensor';
import {
  Dense,
  Dropout,
  Flatten,
  Sequential,
  fromTfjsArtifacts,
  parseJsonSafe,
  toTfjsArtifacts,
  type TfjsArtifacts,
} from '../src/index.js';
import { exportOnnx, importOnnx } from '../src/onnx/index.js';
import { decodeModel, encodeModel, type ModelProtoData } from '../src/onnx/proto.js';
import { exportTfjs, importOnnxFile, importTfjs, load, loadJson } from '../src/node/index.js';

type Json = Record<string, unknown>;

const base = mkdtempSync(join(tmpdir(), 'tapegrad-import-guards-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function images(): Sequential {
  const m = new Sequential({ seed: 0, name: 'images' });
  m.add(new Dropout(0.1, { inputShape: [2, 3] }));
  m.add(new Flatten());
  m.add(new Dense(2));
  return m;
}

function small(): Sequential {
  const m = new Sequential({ seed: 1, name: 'small' });
  m.add(new Dense(4, { activation: 'relu', inputShape: [3] }));
  m.add(new Dense(2, { activation: 'softmax' }));
  return m;
}

/** The artifacts of `m` with `f` applied to a copy of their layer configs. */
function edited(m: Sequential, f: (layers: Json[]) => void): TfjsArtifacts {
  const a = toTfjsArtifacts(m);
  const topology = structuredClone(a.modelTopology) as Json;
  f((topology.config as Json).layers as Json[]);
  return { ...a, modelTopology: topology };
}
const config = (l: Json): Json => l.config as Json;

describe('fromTfjsArtifacts: Flatten data_format and trainable', () => {
  it("refuses channels_first on a sample of two axes wherever the Flatten is (here after a Dropout)", () => {
    const a = edited(images(), (l) => (config(l[1]!).data_format = 'channels_first'));
    expect(() => fromTfjsArtifacts(a)).toThrow(ValueError);
    expect(() => fromTfjsArtifacts(a)).toThrow(
      new RegExp(
        "^fromTfjsArtifacts: layer 'flatten' \\(Flatten\\): unsupported attribute data_format 'channels_first' " +
          'on its input \\[null, 2, 3\\]: .*reorders the features',
      ),
    );
  });

  it('refuses a data_format that is neither channels_last nor channels_first', () => {
    for (const [format, shown] of [
      ['bogus', '"bogus"'],
      [42, '42'],
      ['CHANNELS_LAST', '"CHANNELS_LAST"'],
    ] as const) {
      const a = edited(images(), (l) => (config(l[1]!).data_format = format));
      expect(() => fromTfjsArtifacts(a)).toThrow(
        `fromTfjsArtifacts: layer 'flatten' (Flatten): data_format must be 'channels_last' or 'channels_first', got ${shown}`,
      );
    }
  });

  it('accepts channels_first where it changes nothing (a one-axis input) and channels_last anywhere, same predictions', () => {
    const m = images();
    const x = randn([4, 2, 3], { generator: new Generator(1) });
    const last = fromTfjsArtifacts(edited(m, (l) => (config(l[1]!).data_format = 'channels_last')));
    expect(last.predict(x).equals(m.predict(x))).toBe(true);
    const flatAgain = edited(m, (l) => l.splice(2, 0, { class_name: 'Flatten', config: { name: 'f2', data_format: 'channels_first' } }));
    expect(fromTfjsArtifacts(flatAgain).predict(x).equals(m.predict(x))).toBe(true);
  });

  it('requires trainable to be a boolean', () => {
    for (const v of ['yes', 1, null]) {
      const a = edited(small(), (l) => (config(l[0]!).trainable = v));
      expect(() => fromTfjsArtifacts(a)).toThrow(/^fromTfjsArtifacts: layer 'dense' \(Dense\): trainable must be a boolean, got /);
    }
    const frozen = fromTfjsArtifacts(edited(small(), (l) => (config(l[0]!).trainable = false)));
    expect(frozen.layers[0]!.trainable).toBe(false);
  });
});

describe('importTfjs: shards stay inside the model directory', () => {
  it('refuses a shard symlinked to a file outside the directory, and reads one symlinked inside it', () => {
    const src = join(base, 'export');
    exportTfjs(small(), src);
    const doc = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    const shard = doc.weightsManifest[0]!.paths[0]!;
    const outside = join(base, 'outside.bin');
    copyFileSync(join(src, shard), outside);

    const escaping = join(base, 'escaping');
    mkdirSync(escaping);
    copyFileSync(join(src, 'model.json'), join(escaping, 'model.json'));
    symlinkSync(outside, join(escaping, shard));
    expect(() => importTfjs(escaping)).toThrow(ValueError);
    expect(() => importTfjs(escaping)).toThrow(
      /the weights file group1-shard1of1\.bin it lists resolves to .*outside\.bin, outside the model's directory/,
    );

    const inside = join(base, 'inside');
    mkdirSync(inside);
    copyFileSync(join(src, 'model.json'), join(inside, 'model.json'));
    copyFileSync(join(src, shard), join(inside, 'real.bin'));
    symlinkSync('real.bin', join(inside, shard));
    const x = randn([3, 3], { generator: new Generator(2) });
    expect(importTfjs(inside).predict(x).equals(importTfjs(src).predict(x))).toBe(true);
  });

  it('refuses a shard that is a directory', () => {
    const src = join(base, 'dir-shard');
    exportTfjs(small(), src);
    const doc = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    doc.weightsManifest[0]!.paths = ['sub'];
    mkdirSync(join(src, 'sub'));
    writeFileSync(join(src, 'model.json'), JSON.stringify(doc));
    expect(() => importTfjs(src)).toThrow(/the weights file sub it lists is not a regular file/);
  });
});

describe('size limits must be positive integers', () => {
  const onnx = exportOnnx(small());
  const bad: [unknown, string][] = [
    [NaN, 'NaN'],
    [-1, '-1'],
    [0, '0'],
    [Infinity, 'Infinity'],
    [1.5, '1.5'],
    ['100', '"100"'],
  ];

  it('importOnnx and importOnnxFile', () => {
    for (const [v, shown] of bad) {
      expect(() => importOnnx(onnx, { maxBytes: v as number })).toThrow(
        `importOnnx: maxBytes must be a positive integer (a size limit in bytes), got ${shown}`,
      );
    }
    expect(() => importOnnx(onnx, null as never)).toThrow(/^importOnnx: options must be an object such as \{ maxBytes \}, got null/);
    const file = join(base, 'm.onnx');
    writeFileSync(file, onnx);
    expect(() => importOnnxFile(file, { maxBytes: NaN })).toThrow(/^importOnnxFile: maxBytes must be a positive integer/);
    expect(importOnnx(onnx, { maxBytes: onnx.length }).layers).toHaveLength(2);
    expect(() => importOnnx(onnx, { maxBytes: onnx.length - 1 })).toThrow(/refusing models over/);
  });

  it('importTfjs, load, loadJson and parseJsonSafe', () => {
    const dir = join(base, 'limits');
    exportTfjs(small(), dir);
    const json = join(base, 'model.json');
    writeFileSync(json, JSON.stringify(small().toJSON()));
    for (const [v, shown] of bad) {
      const message = `maxBytes must be a positive integer (a size limit in bytes), got ${shown}`;
      expect(() => importTfjs(dir, { maxBytes: v as number })).toThrow(`importTfjs: ${message}`);
      expect(() => load(json, { maxBytes: v as number })).toThrow(`load: ${message}`);
      expect(() => loadJson(json, { maxBytes: v as number })).toThrow(`loadJson: maxBytes must be a positive integer`);
    }
    expect(() => parseJsonSafe('{}', { maxDepth: NaN })).toThrow('parseJsonSafe: maxDepth must be a positive integer, got NaN');
    expect(() => parseJsonSafe('[[[1]]]', { maxDepth: 2 })).toThrow(/nesting deeper than 2/);
    expect(importTfjs(dir, { maxBytes: 10_000 }).layers).toHaveLength(2);
  });
});

describe('importOnnx: the default-domain opset', () => {
  const withOpsets = (opsets: ModelProtoData['opset_import']): Uint8Array => {
    const m = decodeModel('test', exportOnnx(small()));
    m.opset_import = opsets;
    return encodeModel(m);
  };

  it('names a model that declares no opset import, or only other domains, or two default ones', () => {
    expect(() => importOnnx(withOpsets([]))).toThrow(
      "importOnnx: the model declares no opset import; expected one import of the default domain ('' or 'ai.onnx') " +
        'with an opset from 7 to 26',
    );
    expect(() => importOnnx(withOpsets([{ domain: 'ai.onnx.ml', version: 3 }]))).toThrow(
      /^importOnnx: the model declares no opset import \(only of the domains "ai\.onnx\.ml"\); expected one import of the default domain/,
    );
    expect(() => importOnnx(withOpsets([{ domain: '', version: 13 }, { domain: 'ai.onnx', version: 13 }]))).toThrow(
      /^importOnnx: the model declares 2 opset imports of the default domain; expected one/,
    );
    expect(() => importOnnx(withOpsets([{ domain: '' }]))).toThrow(/^importOnnx: the default domain's opset import has no version/);
    expect(importOnnx(withOpsets([{ domain: '', version: 13 }])).layers).toHaveLength(2);
  });
});
