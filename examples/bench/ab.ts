/**
 * `pnpm bench:ab --base REF`: A/B timing of `model.fit` epochs, the commit REF against the working tree, in
 * alternating runs so that the drift of a shared machine (±5% within minutes) hits both sides alike. It checks REF
 * out into a temporary git worktree, installs it (from the pnpm store, offline when it can), runs `bench:profile`
 * there and here in turns (`--runs 3`; `--hidden 512,512 --batch 128 --epochs 3 --workers 1` pass through, as in
 * `pnpm bench:profile`), prints each run's steady epoch (the mean of epochs 2..N) and the ratio of the means, then
 * removes the worktree.
 * REF must have `bench:profile` (commit e54f112 or later).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliOption as option } from './util.js';

const PASSED = ['hidden', 'batch', 'epochs', 'workers'];

/** Runs a command; throws with its output when it fails. */
function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    throw new Error(`bench:ab: \`${cmd} ${args.join(' ')}\` in ${cwd} failed (${r.status ?? r.signal}):\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/** The pnpm this script runs under (`npm_execpath`), else corepack's. */
function pnpm(args: string[]): [string, string[]] {
  const exec = process.env.npm_execpath;
  if (exec && /pnpm/.test(exec)) return [process.execPath, [exec, ...args]];
  return ['corepack', ['pnpm', ...args]];
}

/** Seconds per epoch printed by `bench:profile` in `tree`. */
function epochs(tree: string, passed: string[]): number[] {
  const out = run(process.execPath, ['--import', 'tsx', 'examples/bench/profile.ts', ...passed, '--top', '1'], tree);
  const line = out.split('\n').find((l) => l.includes('s/epoch'));
  if (!line) throw new Error(`bench:ab: no 's/epoch' line in the output of bench:profile in ${tree}:\n${out}`);
  return line
    .slice(line.indexOf('s/epoch') + 7)
    .split('/')
    .map(Number);
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const steady = (s: number[]): number => mean(s.length > 1 ? s.slice(1) : s);

function main(): void {
  const base = option('base');
  const runs = Number(option('runs') ?? '3');
  if (!base || !Number.isInteger(runs) || runs < 1) {
    throw new Error(`bench:ab: got ${process.argv.slice(2).join(' ') || 'no options'}; expected --base REF [--runs N ≥ 1]`);
  }
  const passed = PASSED.flatMap((k) => (option(k) === null ? [] : [`--${k}`, option(k)!]));
  const here = process.cwd();
  const commit = run('git', ['rev-parse', '--verify', `${base}^{commit}`], here).trim();
  const tree = join(mkdtempSync(join(tmpdir(), 'tapegrad-ab-')), 'base');
  run('git', ['worktree', 'add', '--detach', tree, commit], here);
  try {
    try {
      run(...pnpm(['install', '--frozen-lockfile', '--offline']), tree);
    } catch {
      run(...pnpm(['install', '--frozen-lockfile']), tree); // the store lacks a package REF needs
    }
    const times: Record<'base' | 'head', number[]> = { base: [], head: [] };
    console.log(
      `A/B of model.fit epochs (${passed.join(' ') || 'MLP-A defaults'}): base ${base} (${commit.slice(0, 7)}) vs the working tree`,
    );
    for (let i = 1; i <= runs; i++) {
      for (const [side, dir] of [
        ['base', tree],
        ['head', here],
      ] as const) {
        const s = epochs(dir, passed);
        times[side].push(steady(s));
        console.log(`  run ${i} ${side}: ${s.map((x) => x.toFixed(3)).join(' / ')} s/epoch, steady ${steady(s).toFixed(3)}`);
      }
    }
    const [b, h] = [mean(times.base), mean(times.head)];
    console.log(`steady mean: base ${b.toFixed(3)} s, head ${h.toFixed(3)} s; head ÷ base ${(h / b).toFixed(3)}`);
  } finally {
    run('git', ['worktree', 'remove', '--force', tree], here);
    rmSync(join(tree, '..'), { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
