/** Section "elementwise": GB/s of add and sum on float32 (tapegrad's kernels and the peers). */
import * as T from '@tapegrad/tensor';
import { elementwiseCases, gbps, type ElementwiseCase } from './cases.js';
import { tfElementwise } from './peers/tfjs.js';
import { runTorch, torchUnavailable } from './peers/torch.js';
import { measure, type BenchContext, type Row, type Section } from './util.js';

type Kernel = (...args: unknown[]) => T.Tensor;

export const elementwiseSection: Section = {
  name: 'elementwise',
  title: 'elementwise add and sum (float32, contiguous)',
  baseline: 'tapegrad',
  async run(ctx: BenchContext): Promise<Row[]> {
    const cases = elementwiseCases(ctx.quick);
    const minMs = ctx.quick ? 100 : 400;
    const rows: Row[] = [];
    const add = (c: ElementwiseCase, impl: string, ms: number): void => {
      rows.push({ section: 'elementwise', case: c.name, impl, unit: 'GB/s', value: gbps(c, ms), ms });
    };

    const kernels = T as unknown as Record<string, Kernel | undefined>;
    const g = new T.Generator(2);
    for (const c of cases) {
      const fn = kernels[c.op];
      if (typeof fn !== 'function') {
        ctx.log(`  tapegrad ${c.op} not available yet: skipped`);
        continue;
      }
      const x = T.randn([c.size], { generator: g });
      const y = T.randn([c.size], { generator: g });
      add(c, 'tapegrad', measure(() => void (c.op === 'add' ? fn(x, y) : fn(x)), minMs));
    }

    for (const tfBackend of ['cpu', 'wasm'] as const) {
      try {
        const ms = await tfElementwise(tfBackend, cases, minMs);
        cases.forEach((c, i) => add(c, `tfjs-${tfBackend}`, ms[i]!));
      } catch (e) {
        ctx.log(`  tfjs-${tfBackend} skipped: ${(e as Error).message}`);
      }
    }

    const why = torchUnavailable();
    if (why) ctx.log(`  torch skipped: ${why}`);
    else for (const r of runTorch({ minMs, elementwise: cases }).elementwise) add(cases.find((c) => c.name === r.case)!, 'torch', r.ms);
    return rows;
  },
};
