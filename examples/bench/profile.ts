/**
 * `pnpm bench:profile`: trains an MLP with `model.fit` on Fashion-MNIST (synthetic data of the same shape when
 * Debian's `dataset-fashion-mnist` is missing) under V8's sampling profiler and prints the seconds per epoch and the
 * functions with the most self time per epoch — where an epoch's time goes. Options: `--hidden 512,512` (default 128),
 * `--batch 128` (64), `--epochs 5` (3), `--workers 1` (0: the GEMM on one thread), `--top 30` (20), `--out FILE` (also
 * write the `.cpuprofile`, which Chrome's DevTools open). wasm functions show as `wasm-function[i]` and their module's
 * hash: in each GEMM module (one per micro-kernel tile) [5] and [6] are the macro-kernels (`macroAdd…`, `macroSet…`),
 * in the step-kernel module [0] is Adam.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { enableRelaxedSimd, stopGemmWorkers, useGemmWorkers } from '@tapegrad/nn/node';
import { loadData } from './epoch.js';
import { cliOption } from './util.js';
import { tapegradEpochs, type Workload } from './workloads.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const option = (name: string, fallback: string): string => cliOption(name) ?? fallback;

/** Self time per function (ms), largest first. */
function selfTimes(p: Profile): [string, number][] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}`;
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  enableRelaxedSimd();
  const hidden = option('hidden', '128').split(',').map(Number);
  const [batchSize, epochs, workers, top] = ['batch', 'epochs', 'workers', 'top'].map((k, i) =>
    Number(option(k, ['64', '3', '0', '20'][i]!)),
  );
  const bad = [...hidden, batchSize, epochs, top].find((v) => !Number.isInteger(v) || v < 1);
  if (bad !== undefined || !Number.isInteger(workers) || workers < 0) {
    throw new Error(`bench:profile: got ${process.argv.slice(2).join(' ')}; expected positive integers (--workers ≥ 0)`);
  }
  const data = loadData(60000);
  if (data.dataDir === null) console.log(`(${data.source})`);
  if (workers > 0) await useGemmWorkers(workers);
  const workload: Workload = { name: 'profile', hidden, batchSize, dtype: 'float32', epochs };

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const { seconds } = tapegradEpochs(data.x, data.labels, workload);
  const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
  session.disconnect();
  if (workers > 0) stopGemmWorkers();

  const out = option('out', '');
  if (out) writeFileSync(out, JSON.stringify(profile));
  console.log(
    `784-${hidden.join('-')}-10, batch ${batchSize}, ${workers} worker(s): s/epoch ${seconds.map((s) => s.toFixed(3)).join(' / ')}`,
  );
  console.log(`self time per epoch (main thread${workers > 0 ? '; the workers are not sampled' : ''}):`);
  for (const [name, ms] of selfTimes(profile).slice(0, top)) console.log(`${(ms / epochs).toFixed(1).padStart(9)} ms  ${name}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
