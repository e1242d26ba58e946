import { readFileSync } from 'node:fs';
import { Tensor } from '@tapegrad/tensor';
import type { Parameter } from '../src/index.js';

/** The fixture written by fixtures/make_golden.py. */
export interface Golden {
  generator: string;
  A: number[][];
  b: number[];
  shapes: Record<string, number[][]>;
  init: Record<string, number[][]>;
  fixedGrads: number[][][];
  decreasingGrads: number[][][];
  cases: {
    name: string;
    optimizer: string;
    options: Record<string, unknown>;
    problem: string;
    steps: number;
    reference: string;
    dtype: string;
    trajectory: number[][][];
  }[];
  schedules: { schedule: string; options: Record<string, unknown>; metrics: number[] | null; lrs: number[] }[];
}

export const golden: Golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8'));

/** Fresh float64 (or float32) parameters for a problem, as the script made them. */
export function makeParams(problem: string, dtype: 'float64' | 'float32' = 'float64'): Parameter[] {
  return golden.init[problem]!.map((v, i) => {
    const data = dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v);
    return { value: new Tensor(data, golden.shapes[problem]![i]!), grad: null };
  });
}

/** The gradients of step t (0-based) at the current values, computed exactly as the script does. */
export function gradsFor(problem: string, t: number, values: Tensor[]): Tensor[] {
  const dt = values[0]!.dtype === 'float32' ? Float32Array : Float64Array;
  if (problem === 'fixed' || problem === 'decreasing') {
    const gs = (problem === 'fixed' ? golden.fixedGrads : golden.decreasingGrads)[t]!;
    return gs.map((g, i) => new Tensor(dt.from(g), values[i]!.shape));
  }
  const x = values[0]!.values();
  if (problem === 'quadratic') {
    const out = new dt(3);
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += golden.A[i]![j]! * x[j]!;
      out[i] = s - golden.b[i]!;
    }
    return [new Tensor(out, [3])];
  }
  const a = x[0]!;
  const b = x[1]!;
  return [new Tensor(dt.from([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)]), [2])];
}

/** max |a − b| / max(|b|, 1) over all elements. */
export function relDev(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1));
  return worst;
}
