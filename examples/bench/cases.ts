/** The problems every implementation is measured on (shared by tapegrad and the peers). */

/** `C = op(A)·op(B)` with `op(A)` m×k and `op(B)` k×n; a transposed operand is stored the other way round. */
export interface MatmulCase {
  name: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/**
 * The three products of one Dense(784→128) step at batch 64 (forward, weight gradient, input gradient: MLP-A),
 * MLP-B's largest (784→512 at batch 128), and 1024³.
 */
export function matmulCases(quick: boolean): MatmulCase[] {
  const big = quick ? 256 : 1024;
  return [
    { name: 'x·W (64×784)·(784×128)', m: 64, k: 784, n: 128, transA: false, transB: false },
    { name: 'xᵀ·dy (64×784)ᵀ·(64×128)', m: 784, k: 64, n: 128, transA: true, transB: false },
    { name: 'dy·Wᵀ (64×128)·(784×128)ᵀ', m: 64, k: 128, n: 784, transA: false, transB: true },
    { name: 'x·W (128×784)·(784×512)', m: 128, k: 784, n: 512, transA: false, transB: false },
    { name: `${big}³`, m: big, k: big, n: big, transA: false, transB: false },
  ];
}

/** GFLOP/s of one product that took `ms`. */
export const gflops = (c: MatmulCase, ms: number): number => (2 * c.m * c.n * c.k) / (ms * 1e6);

/** Elementwise add of two float32 vectors, or the sum of one. */
export interface ElementwiseCase {
  name: string;
  op: 'add' | 'sum';
  size: number;
  /** For add: the second operand is one row of `cols` elements broadcast over the `size / cols` rows of the first (a bias). */
  cols?: number;
}

/** The operands' shapes of an elementwise case: `[x, y]`. */
export const elementwiseShapes = (c: ElementwiseCase): [number[], number[]] =>
  c.cols ? [[c.size / c.cols, c.cols], [c.cols]] : [[c.size], [c.size]];

/** A batch-64 MLP activation (64×784) and a 4M-element vector (beyond the caches). */
export function elementwiseCases(quick: boolean): ElementwiseCase[] {
  const big = quick ? 1 << 20 : 1 << 22;
  return [
    { name: 'add 64×784', op: 'add', size: 64 * 784 },
    { name: 'add 128×512 + [512] (a broadcast row)', op: 'add', size: 128 * 512, cols: 512 },
    { name: `add ${big >> 20}M`, op: 'add', size: big },
    { name: 'sum 64×784', op: 'sum', size: 64 * 784 },
    { name: `sum ${big >> 20}M`, op: 'sum', size: big },
  ];
}

/** GB/s moved by one call that took `ms` (add reads two and writes one float32 per element, sum reads one). */
export const gbps = (c: ElementwiseCase, ms: number): number =>
  (c.op === 'add' ? (c.cols ? 8 * c.size + 4 * c.cols : 12 * c.size) : 4 * c.size) / (ms * 1e6);

/** A training-step kernel of the backend dispatcher on one MNIST-MLP step's data (float32). */
export interface StepCase {
  name: string;
  kernel: 'adamUpdate' | 'addRowVector' | 'reluBackward' | 'columnSum';
  rows: number;
  cols: number;
  /** Bytes read and written per element. */
  bytes: number;
}

/** Adam over all 101,770 parameters of the 784-128-10 MLP, and the dense layer's bias/ReLU kernels at batch 64. */
export function stepCases(): StepCase[] {
  return [
    { name: 'adamUpdate 101,770 params', kernel: 'adamUpdate', rows: 1, cols: 784 * 128 + 128 + 128 * 10 + 10, bytes: 28 },
    { name: 'addRowVector+ReLU 64×128', kernel: 'addRowVector', rows: 64, cols: 128, bytes: 8 },
    { name: 'reluBackward 64×128', kernel: 'reluBackward', rows: 64, cols: 128, bytes: 12 },
    { name: 'columnSum 64×128', kernel: 'columnSum', rows: 64, cols: 128, bytes: 4 },
  ];
}
