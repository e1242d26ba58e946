/**
 * Section "elementwise": GB/s of add and sum on float32 (tapegrad's kernels and the peers), of add into an
 * existing tensor (`add(a, b, { out })`: the same SIMD loop without allocating the result, which for a fresh
 * 16 MB output costs page faults the kernel pays in system time), and of the backend's training-step
 * kernels (adamUpdate, addRowVector, reluBackward, columnSum) on the JS and wasm backends.
 */
import * as T from '@tapegrad/tensor';
import * as B from '@tapegrad/tensor/backend';
import { elementwiseCases, elementwiseShapes, gbps, stepCases, type ElementwiseCase, type StepCase } from './cases.js';
import { addPeerRows } from './peers/peer-rows.js';
import { tfElementwise } from './peers/tfjs.js';
import { measure, rowCollector, type BenchContext, type Row, type Section } from './util.js';

/** A closure running one step kernel on fresh float32 data of the case's size. */
function stepCall(c: StepCase): () => void {
  const n = c.rows * c.cols;
  const x = new Float32Array(n).map((_, i) => Math.sin(i));
  const y = new Float32Array(n).map((_, i) => Math.cos(i));
  const out = new Float32Array(n);
  // Adam's moments where the optimizer keeps them: in wasm memory on the wasm backend
  const [m, v] = B.kernelStateArrays('float32', n, 2) as [Float32Array, Float32Array];
  switch (c.kernel) {
    case 'adamUpdate':
      return () => B.adamUpdate(out, 0, x, 0, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001);
    case 'addRowVector':
      return () => B.addRowVector(x, 0, c.rows, c.cols, y, 0, out, 0, true);
    case 'reluBackward':
      return () => B.reluBackward(x, 0, y, 0, out, 0, n);
    case 'columnSum':
      return () => B.columnSum(x, 0, c.rows, c.cols, out, 0);
  }
}

export const elementwiseSection: Section = {
  name: 'elementwise',
  title: 'elementwise add and sum (float32, contiguous)',
  baseline: 'tapegrad',
  async run(ctx: BenchContext): Promise<Row[]> {
    const cases = elementwiseCases(ctx.quick);
    const minMs = ctx.quick ? 100 : 400;
    const { rows, add } = rowCollector<ElementwiseCase>('elementwise', 'GB/s', gbps);

    const g = new T.Generator(2);
    for (const c of cases) {
      const [xs, ys] = elementwiseShapes(c);
      const x = T.randn(xs, { generator: g });
      const y = T.randn(ys, { generator: g });
      const cpu0 = process.cpuUsage();
      const ms = measure(() => void (c.op === 'add' ? T.add(x, y) : T.sum(x)), minMs);
      const cpu = process.cpuUsage(cpu0);
      add(
        c,
        'tapegrad',
        ms,
        c.op === 'add' ? `system time ${((100 * cpu.system) / (cpu.user + cpu.system)).toFixed(0)}% (page faults)` : '',
      );
      if (c.op === 'add') {
        const out = T.zeros(xs);
        const into = measure(() => void T.add(x, y, { out }), minMs);
        rows.push({
          section: 'elementwise',
          case: `${c.name} into out (add(a, b, { out }))`,
          impl: 'tapegrad',
          unit: 'GB/s',
          value: gbps(c, into),
          ms: into,
        });
      }
    }

    const before = B.getBackend();
    for (const c of stepCases()) {
      // wasm-fma runs the same step kernels as wasm
      for (const backend of B.wasmSupported() ? (['js', 'wasm'] as const) : (['js'] as const)) {
        B.setBackend(backend);
        const ms = measure(stepCall(c), minMs);
        const gb = (c.bytes * c.rows * c.cols) / (ms * 1e6);
        rows.push({
          section: 'elementwise',
          case: c.name,
          impl: backend === 'js' ? 'tapegrad-js' : 'tapegrad',
          unit: 'GB/s',
          value: gb,
          ms,
        });
      }
    }
    B.setBackend(before);

    await addPeerRows(ctx, 'elementwise', cases, minMs, tfElementwise, add);
    return rows;
  },
};
