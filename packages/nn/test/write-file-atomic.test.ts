// writeFileAtomic writes to the file a path names, not over the directory entry: a symlink is written through (the
// link stays), an existing file keeps its mode (and owner, as root), and a directory, FIFO or device is refused.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValueError } from '@tapegrad/tensor';
import { saveJson, writeFileAtomic } from '../src/node/index.js';

const root = mkdtempSync(join(tmpdir(), 'tapegrad-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const tmp = (): string => mkdtempSync(join(root, `${count++}-`));
const mode = (p: string): number => statSync(p).mode & 0o777;
const noTempFiles = (d: string): void => expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
const isRoot = process.getuid?.() === 0;
// the CommonJS fs object is writable; syncBuiltinESMExports carries a replaced function to the ESM imports of node:fs
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

describe('writeFileAtomic through symlinks', () => {
  it('writes the file a symlink points to; the link stays a link (relative and absolute links)', () => {
    const d = tmp();
    mkdirSync(join(d, 'real'));
    const target = join(d, 'real', 'model.json');
    writeFileSync(target, 'old');
    symlinkSync(join('real', 'model.json'), join(d, 'relative.json'));
    symlinkSync(target, join(d, 'absolute.json'));
    writeFileAtomic(join(d, 'relative.json'), 'new');
    expect(lstatSync(join(d, 'relative.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new');
    saveJson(join(d, 'absolute.json'), { v: 2 });
    expect(lstatSync(join(d, 'absolute.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('{"v":2}');
    noTempFiles(d);
    noTempFiles(join(d, 'real'));
  });

  it('a dangling symlink: the file is created where it points (read relative to the link), and a chain is followed', () => {
    const d = tmp();
    mkdirSync(join(d, 'links'));
    mkdirSync(join(d, 'out'));
    symlinkSync(join('..', 'out', 'w.bin'), join(d, 'links', 'w.bin'));
    symlinkSync(join('links', 'w.bin'), join(d, 'chain.bin'));
    writeFileAtomic(join(d, 'chain.bin'), Uint8Array.from([1, 2, 3]));
    expect(lstatSync(join(d, 'chain.bin')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(d, 'links', 'w.bin')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(d, 'out', 'w.bin')).isFile()).toBe(true);
    expect(Array.from(readFileSync(join(d, 'out', 'w.bin')))).toEqual([1, 2, 3]);
    noTempFiles(d);
  });

  it('refuses a symlink loop, naming the path', () => {
    const d = tmp();
    symlinkSync('b', join(d, 'a'));
    symlinkSync('a', join(d, 'b'));
    expect(() => writeFileAtomic(join(d, 'a'), 'x')).toThrow(/^writeFileAtomic: .*\/a: more than 40 symlinks in a row \(a loop\?\)/);
    expect(lstatSync(join(d, 'a')).isSymbolicLink()).toBe(true);
  });
});

describe('writeFileAtomic keeps what the replaced file had', () => {
  it('keeps the permission bits of an existing file (0600 stays 0600, also through a symlink)', () => {
    const d = tmp();
    const p = join(d, 'secret.json');
    writeFileSync(p, 'old');
    chmodSync(p, 0o600);
    writeFileAtomic(p, 'new');
    expect(mode(p)).toBe(0o600);
    expect(readFileSync(p, 'utf8')).toBe('new');
    chmodSync(p, 0o640);
    symlinkSync(p, join(d, 'link.json'));
    writeFileAtomic(join(d, 'link.json'), 'newer');
    expect(mode(p)).toBe(0o640);
    expect(readFileSync(p, 'utf8')).toBe('newer');
  });

  it('a new file gets 0644 less the umask, as before', () => {
    const p = join(tmp(), 'fresh.json');
    writeFileAtomic(p, '{}');
    expect(mode(p)).toBe(0o644 & ~process.umask());
  });

  it.skipIf(!isRoot)('as root, keeps the owner and group of an existing file', () => {
    const p = join(tmp(), 'theirs.json');
    writeFileSync(p, 'old');
    chownSync(p, 4321, 8765);
    chmodSync(p, 0o600);
    writeFileAtomic(p, 'new');
    const st = statSync(p);
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([4321, 8765, 0o600]);
    expect(readFileSync(p, 'utf8')).toBe('new');
  });
});

describe('writeFileAtomic refuses what is not a regular file, leaving it untouched', () => {
  it('a FIFO, directly or through a symlink', () => {
    const d = tmp();
    const fifo = join(d, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(() => writeFileAtomic(fifo, 'x')).toThrow(ValueError);
    expect(() => writeFileAtomic(fifo, 'x')).toThrow(
      `writeFileAtomic: ${fifo} is a FIFO (named pipe), not a regular file; expected a path to a file`,
    );
    symlinkSync(fifo, join(d, 'link'));
    expect(() => writeFileAtomic(join(d, 'link'), 'x')).toThrow(
      `writeFileAtomic: ${join(d, 'link')} (a symlink to ${fifo}) is a FIFO (named pipe), not a regular file`,
    );
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync(join(d, 'link')).isSymbolicLink()).toBe(true);
    noTempFiles(d);
  });

  it('a directory', () => {
    const d = tmp();
    mkdirSync(join(d, 'models'));
    writeFileSync(join(d, 'models', 'keep'), 'x');
    expect(() => saveJson(join(d, 'models'), {})).toThrow(/writeFileAtomic: .*models is a directory, not a regular file; expected a path/);
    expect(readFileSync(join(d, 'models', 'keep'), 'utf8')).toBe('x');
    noTempFiles(d);
  });
});

describe('writeFileAtomic when the rename fails', () => {
  it('leaves the target (and the symlink to it) untouched and removes the temporary file', () => {
    const d = tmp();
    const p = join(d, 'model.json');
    writeFileSync(p, 'old');
    symlinkSync(p, join(d, 'link.json'));
    const rename = fs.renameSync;
    fs.renameSync = () => {
      throw new Error('EIO: i/o error, rename (injected)');
    };
    syncBuiltinESMExports();
    try {
      expect(() => writeFileAtomic(join(d, 'link.json'), 'new')).toThrow(
        `writeFileAtomic: could not write ${join(d, 'link.json')} (a symlink to ${p}): EIO: i/o error, rename (injected)`,
      );
    } finally {
      fs.renameSync = rename;
      syncBuiltinESMExports();
    }
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(lstatSync(join(d, 'link.json')).isSymbolicLink()).toBe(true);
    noTempFiles(d);
    writeFileAtomic(join(d, 'link.json'), 'new');
    expect(readFileSync(p, 'utf8')).toBe('new');
  });
});
