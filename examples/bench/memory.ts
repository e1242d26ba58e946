/**
 * Section "memory": peak resident memory of `pnpm mnist` training on Fashion-MNIST (all 60,000 images, no
 * validation split), and its resident memory after each epoch — a leak would show as growth from epoch to epoch.
 * Runs the CLI in a child Node process and reads its `/proc/<pid>/status` (Linux) whenever it prints an epoch line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_DIR } from './epoch.js';
import type { BenchContext, Row, Section } from './util.js';

/** VmRSS and VmHWM (peak) of a process in MB, or null when /proc has no such process. */
function residentMb(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(/\s(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(key)) ?? '')?.[1] ?? NaN);
    return { rss: kb('VmRSS:') / 1024, peak: kb('VmHWM:') / 1024 };
  } catch {
    return null;
  }
}

/** Runs `pnpm mnist` (the CLI under tsx) with `args`; returns the resident MB read at each epoch line and the peak. */
async function mnistRun(args: string[]): Promise<{ perEpoch: number[]; peak: number; seconds: number }> {
  const cli = fileURLToPath(new URL('../mnist/cli.ts', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const perEpoch: number[] = [];
  let peak = 0;
  let buffered = '';
  let errors = '';
  child.stderr.on('data', (d: Buffer) => void (errors += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!/^Epoch \d+\/\d+/.test(line.trim())) continue;
      const m = residentMb(child.pid!);
      if (m) {
        perEpoch.push(m.rss);
        peak = Math.max(peak, m.peak);
      }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`pnpm mnist exited with ${code}: ${errors.trim().split('\n').pop()}`);
  return { perEpoch, peak, seconds: (performance.now() - t0) / 1000 };
}

export const memorySection: Section = {
  name: 'memory',
  title: 'memory: resident set of `pnpm mnist` on Fashion-MNIST (MB; lower is better)',
  baseline: 'tapegrad',
  async run(ctx: BenchContext): Promise<Row[]> {
    if (!existsSync(FASHION_DIR) || !existsSync('/proc/self/status')) {
      ctx.log(`  skipped: needs ${FASHION_DIR} (dataset-fashion-mnist) and Linux /proc`);
      return [];
    }
    const epochs = ctx.quick ? 2 : 5;
    const out = mkdtempSync(path.join(tmpdir(), 'tapegrad-bench-mnist-'));
    try {
      const args = ['--data', FASHION_DIR, '--epochs', String(epochs), '--validation-split', '0', '--out', out];
      const r = await mnistRun(args);
      const line = r.perEpoch.map((v) => v.toFixed(0)).join(' / ');
      const growth = r.perEpoch.length > 1 ? r.perEpoch[r.perEpoch.length - 1]! - r.perEpoch[0]! : 0;
      ctx.log(`  pnpm mnist ${args.slice(0, -2).join(' ')}: peak ${r.peak.toFixed(0)} MB, after each epoch ${line} MB`);
      const change = `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB`;
      const note = `after each epoch ${line} MB; last − first ${change}; ${r.seconds.toFixed(1)} s in all`;
      const c = `pnpm mnist, Fashion-MNIST 60k, ${epochs} epochs`;
      return [
        { section: 'memory', case: `${c}: peak RSS`, impl: 'tapegrad', unit: 'MB', value: r.peak, ms: r.seconds * 1000, note },
        {
          section: 'memory',
          case: `${c}: RSS growth per epoch`,
          impl: 'tapegrad',
          unit: 'MB',
          value: growth / Math.max(1, epochs - 1),
          ms: 0,
        },
      ];
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
};
