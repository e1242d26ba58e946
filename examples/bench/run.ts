/**
 * `pnpm bench`: runs the benchmark sections, prints one table per section and writes every row to
 * `bench-results/bench.json`. Options: `--quick` (smaller, shorter), `--only matmul,elementwise`.
 * Add a section by writing a {@link Section} (see matmul.ts) and listing it in `sections` below.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enableRelaxedSimd } from '@tapegrad/nn/node';
import { availableBackends, getBackend, relaxedSimdSupported, wasmSupported } from '@tapegrad/tensor/backend';
import { browserSection } from './browser.js';
import { elementwiseSection } from './elementwise.js';
import { epochSection } from './epoch.js';
import { matmulSection } from './matmul.js';
import { memorySection } from './memory.js';
import { stepSection } from './step.js';
import { addRatios, table, type Row, type Section } from './util.js';

const sections: Section[] = [matmulSection, elementwiseSection, stepSection, epochSection, memorySection, browserSection];

async function main(): Promise<void> {
  // Before the first tensor operation picks the backend: the FMA variant joins where the engine has relaxed SIMD.
  enableRelaxedSimd();
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : null;
  const unknown = only ? [...only].filter((n) => !sections.some((s) => s.name === n)) : [];
  if (unknown.length > 0) {
    throw new Error(`bench: unknown section(s) ${unknown.join(', ')}; expected one of ${sections.map((s) => s.name).join(', ')}`);
  }

  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    tapegradBackend: getBackend(),
    backends: availableBackends(),
    wasmSimd: wasmSupported(),
    relaxedSimd: relaxedSimdSupported(),
    quick,
  };
  console.log(
    `tapegrad bench — ${meta.cpu}, ${meta.cores} cores, Node ${meta.node}, ` +
      `default backend ${meta.tapegradBackend} (available: ${meta.backends.join(', ')})${quick ? ' (quick)' : ''}`,
  );

  const all: Row[] = [];
  const summary: Record<string, { title: string; baseline: string }> = {};
  for (const section of sections) {
    if (only && !only.has(section.name)) continue;
    console.log(`\n## ${section.title}`);
    const rows = await section.run({ quick, log: (m) => console.log(m) });
    const baseline = rows.some((r) => r.impl === section.baseline) ? section.baseline : (rows[0]?.impl ?? section.baseline);
    addRatios(rows, baseline);
    console.log('');
    console.log(table(rows, baseline));
    summary[section.name] = { title: section.title, baseline };
    all.push(...rows);
  }

  const dir = path.resolve(process.cwd(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'bench.json');
  writeFileSync(file, JSON.stringify({ meta, sections: summary, rows: all }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
