/** The peers of the matmul and elementwise sections: TensorFlow.js (cpu, wasm) and PyTorch on the section's cases. */
import type { BenchContext } from '../util.js';
import { runTorch, torchUnavailable } from './torch.js';

/**
 * Measures `cases` with TensorFlow.js on its cpu and wasm backends (`tfjs`: tfMatmul or tfElementwise) and with
 * PyTorch's `kind` workload when torch runs here, adding one row per case and peer with `add`; a peer that cannot
 * run is logged as skipped.
 */
export async function addPeerRows<C extends { name: string }>(
  ctx: BenchContext,
  kind: 'matmul' | 'elementwise',
  cases: C[],
  minMs: number,
  tfjs: (backend: 'cpu' | 'wasm', cases: C[], minMs: number) => Promise<number[]>,
  add: (c: C, impl: string, ms: number, note?: string) => void,
): Promise<void> {
  for (const backend of ['cpu', 'wasm'] as const) {
    try {
      const ms = await tfjs(backend, cases, minMs);
      cases.forEach((c, i) => add(c, `tfjs-${backend}`, ms[i]!));
      ctx.log(`  tfjs-${backend}: done`);
    } catch (e) {
      ctx.log(`  tfjs-${backend} skipped: ${(e as Error).message}`);
    }
  }
  const why = torchUnavailable();
  if (why) {
    ctx.log(`  torch skipped: ${why}`);
    return;
  }
  const res = runTorch({ minMs, [kind]: cases });
  ctx.log(`  torch ${res.info.torch}, ${res.info.threads} thread(s), BLAS: ${res.info.blas}`);
  for (const r of res[kind])
    add(
      cases.find((c) => c.name === r.case)!,
      'torch',
      r.ms,
      res.info.openblas ? 'OpenBLAS' : undefined,
    );
}
