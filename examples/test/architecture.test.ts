/**
 * The architecture as a test: the dependency direction between packages (DESIGN.md §1), no import cycle
 * between files (type imports count too: a cycle of types is still a tangle a reader has to hold in mind),
 * the size limits the code keeps (nn files ≤ 450 lines, every line ≤ 140 characters), and what the public
 * entries may expose.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === '.generated') continue;
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const packages = ['tensor', 'autograd', 'optim', 'nn'] as const;
const sources = packages.flatMap((p) => tsFiles(join(root, 'packages', p, 'src')));

/** Every `import … from '…'` / `export … from '…'` of a file, with whether it is type-only. */
function imports(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const found: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*'([^']+)'/gms)) {
    const clause = m[2]!.trim();
    const names = clause.startsWith('{') ? clause.slice(1, -1).split(',').map((s) => s.trim()).filter(Boolean) : [clause];
    found.push({ spec: m[3]!, typeOnly: m[1] !== undefined || names.every((n) => n.startsWith('type ')) });
  }
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) found.push({ spec: m[1]!, typeOnly: false });
  return found;
}

/** Groups of files that import each other (strongly connected components of size > 1), by Tarjan's algorithm. */
function cycles(files: string[]): string[][] {
  const local = (f: string): string[] =>
    imports(f)
      .filter((i) => i.spec.startsWith('.'))
      .map((i) => resolve(dirname(f), i.spec.replace(/\.js$/, '.ts')));
  const edges = new Map(files.map((f) => [f, local(f)]));
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(relative(root, w));
      } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return groups;
}

describe('architecture', () => {
  it('finds the source files (the test itself can fail)', () => {
    expect(sources.length).toBeGreaterThan(60);
    expect(cycles([join(root, 'examples/test/fixtures/cycle-a.ts'), join(root, 'examples/test/fixtures/cycle-b.ts')])).toHaveLength(1);
  });

  it('has no import cycle between source files, type imports included', () => {
    expect(cycles(sources)).toEqual([]);
  });

  it('keeps the dependency direction tensor ← {autograd, optim} ← nn, and optim needs autograd only in its tests', () => {
    const allowed: Record<(typeof packages)[number], string[]> = {
      tensor: [],
      autograd: ['@tapegrad/tensor'],
      optim: ['@tapegrad/tensor'],
      nn: ['@tapegrad/tensor', '@tapegrad/autograd', '@tapegrad/optim'],
    };
    const wrong: string[] = [];
    for (const p of packages) {
      for (const f of tsFiles(join(root, 'packages', p, 'src'))) {
        for (const { spec } of imports(f)) {
          if (!spec.startsWith('@tapegrad/')) continue;
          const target = spec.split('/').slice(0, 2).join('/');
          if (target === `@tapegrad/${p}` || !allowed[p].includes(target)) wrong.push(`${relative(root, f)} imports ${spec}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('uses Node built-ins only in the node entry of nn', () => {
    const offenders = sources
      .filter((f) => !f.includes(join('nn', 'src', 'node')))
      .filter((f) => imports(f).some((i) => i.spec.startsWith('node:') || ['fs', 'path', 'zlib', 'os'].includes(i.spec)));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('keeps every nn source file at 450 lines or fewer', () => {
    const long = tsFiles(join(root, 'packages/nn/src'))
      .map((f) => [relative(root, f), readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > 450);
    expect(long).toEqual([]);
  });

  it('keeps every line of TypeScript at 140 characters or fewer', () => {
    const files = [...packages.flatMap((p) => tsFiles(join(root, 'packages', p))), ...tsFiles(join(root, 'examples'))];
    const long: string[] = [];
    for (const f of files) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if ([...line].length > 140) long.push(`${relative(root, f)}:${i + 1} (${[...line].length})`);
        });
    }
    expect(long).toEqual([]);
  });
});
