import { Generator, Tensor, assertClose, randn } from '@tapegrad/tensor';
import { getBackend, setBackend, wasmSupported, type BackendName } from '@tapegrad/tensor/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, type Parameter } from '../src/index.js';

// Adam reads a plain same-dtype gradient directly (no scratch copy, one tight loop); the general path
// (taken when the gradient needs preparation, e.g. with maximize) must give the same values and state:
// bit for bit with the TypeScript loop, within float32 rounding with the wasm kernel.

/** Runs 25 Adam steps on twin parameters, one through the direct path and one through the general path. */
function twins(dtype: 'float32' | 'float64', Ctor: typeof Adam = Adam): { fast: Parameter; slow: Parameter; a: Adam; b: Adam } {
  const g = new Generator(11);
  const init = randn([5, 7], { generator: g, dtype }).mul(1e-6); // small, so the update's last bits show
  const fast: Parameter = { value: init.clone(), grad: null };
  const slow: Parameter = { value: init.clone(), grad: null };
  const a = new Ctor([fast], { lr: 0.01 });
  const b = new Ctor([slow], { lr: 0.01, maximize: true }); // ascends −g: the same update, via the scratch path
  for (let t = 0; t < 25; t++) {
    const grad = randn([10, 7], { generator: g, dtype }).mul(t % 3 === 0 ? 1e-3 : 1);
    // a strided view on even steps, a view at an offset on odd ones
    fast.grad = t % 2 === 0 ? grad.slice([0, 10, 2]) : grad.slice([5, 10]);
    slow.grad = fast.grad.neg();
    a.step();
    b.step();
  }
  return { fast, slow, a, b };
}

describe('Adam direct path', () => {
  let before: BackendName;
  beforeAll(() => void (before = getBackend()));
  afterAll(() => void setBackend(before));

  for (const dtype of ['float32', 'float64'] as const) {
    it(`equals the general path bit for bit on the js backend (${dtype}, offset and strided gradients)`, () => {
      setBackend('js');
      const { fast, slow, a, b } = twins(dtype);
      expect(fast.value).toBeInstanceOf(Tensor);
      expect(Array.from(fast.value.data)).toEqual(Array.from(slow.value.data));
      const sa = a.state().slots[0]!.buffers;
      const sb = b.state().slots[0]!.buffers;
      expect(sa['expAvg']!.data).toEqual(sb['expAvg']!.data);
      expect(sa['expAvgSq']!.data).toEqual(sb['expAvgSq']!.data);
    });
  }

  for (const dtype of ['float32', 'float64'] as const) {
    it(`AdamW (decoupled decay applied first) takes the direct path and equals the general path bit for bit (${dtype})`, () => {
      setBackend('js');
      const { fast, slow, a, b } = twins(dtype, AdamW);
      expect(a.weightDecay).toBe(1e-2);
      expect(Array.from(fast.value.data)).toEqual(Array.from(slow.value.data));
      expect(a.state().slots[0]!.buffers['expAvgSq']!.data).toEqual(b.state().slots[0]!.buffers['expAvgSq']!.data);
    });
  }

  it.runIf(wasmSupported())('equals the general path within float32 rounding on the wasm backend', () => {
    setBackend('wasm');
    const { fast, slow } = twins('float32');
    assertClose(fast.value, slow.value, { rtol: 1e-5, atol: 1e-8 });
  });
});
