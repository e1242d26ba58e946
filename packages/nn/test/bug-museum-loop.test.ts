// The bug museum, training-loop exhibits: momentum rules and batching as the tutorials (or a careless port) wrote
// them, against the reference heavy-ball update, @tapegrad/optim's SGD and @tapegrad/nn's batching. The gradient
// exhibits are in bug-museum.test.ts.
import { Tensor, tensor } from '@tapegrad/tensor';
import { describe, expect, test } from 'vitest';
import { SGD } from '@tapegrad/optim';
import { batchIndices } from '../src/index.js';
import { momentumUpdate } from '../src/reference/index.js';

const lr = 0.1;
const alpha = 0.9;

/** The heavy-ball trajectory Δw(t) = αΔw(t−1) − η∇E on E(w) = ½w² (∇E = w), from the reference code. */
function referenceMomentum(w0: number, steps: number): number[] {
  const path: number[] = [];
  let w = [tensor([w0], undefined, { dtype: 'float64' })];
  let prev: Tensor[] | null = null;
  for (let s = 0; s < steps; s++) {
    const r = momentumUpdate(w, [w[0]!], prev, { lr, momentum: alpha });
    w = r.weights;
    prev = r.steps;
    path.push(w[0]!.item());
  }
  return path;
}

/** A momentum rule on E(w) = ½w²: `velocity(v, g)` gives the new velocity, and w −= v. */
function trajectory(w0: number, steps: number, velocity: (v: number, g: number, previousG: number) => number): number[] {
  const path: number[] = [];
  let w = w0;
  let v = 0;
  let previousG = 0;
  for (let s = 0; s < steps; s++) {
    const g = w;
    v = velocity(v, g, previousG);
    w -= v;
    previousG = g;
    path.push(w);
  }
  return path;
}

/** The tutorial's update: v = α·g(t−1) + η·g(t), w −= v — the previous raw GRADIENT, not the previous step. */
const rawGradientMomentum = (w0: number, steps: number): number[] => trajectory(w0, steps, (_, g, previousG) => alpha * previousG + lr * g);

/** The tutorial's update: v ← v + η·g, w −= v — the velocity never decays (α = 1). */
const undecayedMomentum = (w0: number, steps: number): number[] => trajectory(w0, steps, (v, g) => v + lr * g);

/** The same rule with the decay: v ← α·v + η·g — the control, which is the heavy ball. */
const decayedMomentum = (w0: number, steps: number): number[] => trajectory(w0, steps, (v, g) => alpha * v + lr * g);

describe('bug museum: "momentum" that adds the previous raw gradient', () => {
  test('on E(w) = ½·w² it leaves the heavy-ball trajectory (Δw(t) = αΔw(t−1) − η∇E) from step 2 on', () => {
    const ref = referenceMomentum(1, 6);
    const buggy = rawGradientMomentum(1, 6);
    // hand-computed heavy ball: w1 = 1 − 0.1 = 0.9; Δ2 = 0.9·(−0.1) − 0.1·0.9 = −0.18 → w2 = 0.72
    expect(ref[0]).toBeCloseTo(0.9, 14);
    expect(ref[1]).toBeCloseTo(0.72, 14);
    // the bug: first step identical (the control), then Δ2 = −(0.9·1 + 0.1·0.9) = −0.99 → w2 = −0.09
    expect(buggy[0]).toBeCloseTo(ref[0]!, 14);
    expect(buggy[1]).toBeCloseTo(-0.09, 14);
    let worst = 0;
    for (let s = 1; s < 6; s++) worst = Math.max(worst, Math.abs(buggy[s]! - ref[s]!));
    expect(worst).toBeGreaterThan(0.5);
  });

  test("and against @tapegrad/optim's SGD with momentum (PyTorch rule): the reference matches, the bug does not", () => {
    const opt = new SGD(undefined, { lr, momentum: alpha });
    let w = tensor([1], undefined, { dtype: 'float64' });
    const optimPath: number[] = [];
    for (let s = 0; s < 6; s++) {
      w = opt.update([w], [w])[0]!; // ∇(½w²) = w
      optimPath.push(w.item());
    }
    const ref = referenceMomentum(1, 6);
    const buggy = rawGradientMomentum(1, 6);
    for (let s = 0; s < 6; s++) expect(optimPath[s]).toBeCloseTo(ref[s]!, 13);
    expect(Math.abs(buggy[3]! - optimPath[3]!)).toBeGreaterThan(0.1);
  });
});

describe('bug museum: a momentum rule with no decay (v ← v + η·g)', () => {
  test('the decayed rule is the heavy ball (control); without the decay it parts from step 2 and never settles', () => {
    const ref = referenceMomentum(1, 200);
    const control = decayedMomentum(1, 200);
    const buggy = undecayedMomentum(1, 200);
    for (let s = 0; s < 200; s++) expect(control[s]).toBeCloseTo(ref[s]!, 12);
    // step 1 is the same for both; step 2: v = 0.1 + 0.1·0.9 = 0.19 → w2 = 0.71 instead of 0.72
    expect(buggy[0]).toBeCloseTo(0.9, 14);
    expect(buggy[1]).toBeCloseTo(0.71, 14);
    // the heavy ball has converged (it decays like (√α)ᵗ = 0.949ᵗ: |w| ≤ 6·10⁻⁵ over steps 181–200) ...
    expect(Math.max(...ref.slice(180).map(Math.abs))).toBeLessThan(1e-4);
    // ... while the undecayed velocity is an undamped oscillator (both roots of λ² − (2 − η)λ + 1 = 0 lie on the unit
    // circle): it still swings through ±1.006 there, 10⁴ times further from the minimum.
    expect(Math.max(...buggy.slice(180).map(Math.abs))).toBeGreaterThan(1);
  });
});

describe('bug museum: batches split into batch_size pieces instead of pieces of batch_size', () => {
  /** np.array_split(X, batch_size): batch_size pieces whose sizes differ by at most one. */
  const intoBatchSizePieces = (n: number, batchSize: number): number[] =>
    Array.from({ length: batchSize }, (_, k) => Math.floor(n / batchSize) + (k < n % batchSize ? 1 : 0));
  /** The intended split: pieces of batch_size, the last one holding the remainder. */
  const ofBatchSize = (n: number, batchSize: number): number[] =>
    Array.from({ length: Math.ceil(n / batchSize) }, (_, k) => Math.min(batchSize, n - k * batchSize));

  test("the control is @tapegrad/nn's batching; the bug gives batches n/batch_size rows wide", () => {
    for (const [n, batchSize] of [[60000, 32], [8000, 64], [1000, 32], [10, 3]] as const) {
      expect(batchIndices(n, batchSize).map((b) => b.length)).toEqual(ofBatchSize(n, batchSize));
    }
    // MNIST's 60,000 training images at batch_size 32: 32 batches of 1,875 (58.6× too wide, 58.6× fewer updates)
    const wrong = intoBatchSizePieces(60000, 32);
    expect(wrong).toEqual(new Array(32).fill(1875));
    expect(ofBatchSize(60000, 32).length / wrong.length).toBeCloseTo(58.59, 2);
    // the repository's 8,000 digits at batch_size 64: 64 batches of 125 instead of 125 batches of 64
    expect(intoBatchSizePieces(8000, 64)).toEqual(new Array(64).fill(125));
  });

  test('it is invisible exactly when n = batch_size², which is why one small run proves nothing', () => {
    expect(intoBatchSizePieces(4096, 64)).toEqual(ofBatchSize(4096, 64));
    expect(intoBatchSizePieces(1000, 32)).not.toEqual(ofBatchSize(1000, 32)); // 31.25 rows: close, and still wrong
  });
});
