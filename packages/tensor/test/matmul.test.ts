import { afterEach, describe, expect, it, vi } from 'vitest';
import { Generator, ShapeError, Tensor, ValueError, IndexError, matmul, randn, randint, tensor, type DType } from '@tapegrad/tensor';
import { gemm } from '@tapegrad/tensor/backend';
import { flat64 } from './helpers.js';

const gen = new Generator(20240611);
const rnd = (shape: number[], dtype: DType = 'float32'): Tensor => randn(shape, { generator: gen, dtype });

interface Reference {
  shape: number[];
  value: Float64Array;
  /** Σ|a·b| per output element: scales the rounding-error bound. */
  bound: Float64Array;
  k: number;
}

/** NumPy matmul by the definition: promote 1-D operands, broadcast batch dims, triple loop in float64. */
function reference(a: Tensor, b: Tensor): Reference {
  const as = a.ndim === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.ndim === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const A = flat64(a);
  const B = flat64(b);
  const m = as[as.length - 2]!;
  const k = as[as.length - 1]!;
  const n = bs[bs.length - 1]!;
  const ba = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const nd = Math.max(ba.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < nd; i++) {
    const x = ba[ba.length - nd + i] ?? 1;
    batch.push(x === 1 ? (bb[bb.length - nd + i] ?? 1) : x);
  }
  const batchSize = batch.reduce((x, y) => x * y, 1);
  const value = new Float64Array(batchSize * m * n);
  const bound = new Float64Array(batchSize * m * n);
  const bi = new Array<number>(nd).fill(0);
  for (let t = 0; t < batchSize; t++) {
    let aMat = 0;
    for (let d = 0; d < ba.length; d++) aMat = aMat * ba[d]! + (ba[d] === 1 ? 0 : bi[nd - ba.length + d]!);
    let bMat = 0;
    for (let d = 0; d < bb.length; d++) bMat = bMat * bb[d]! + (bb[d] === 1 ? 0 : bi[nd - bb.length + d]!);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let s1 = 0;
        for (let p = 0; p < k; p++) {
          const x = A[aMat * m * k + i * k + p]! * B[bMat * k * n + p * n + j]!;
          s += x;
          s1 += Math.abs(x);
        }
        value[t * m * n + i * n + j] = s;
        bound[t * m * n + i * n + j] = s1;
      }
    }
    for (let d = nd - 1; d >= 0; d--) {
      if (++bi[d]! < batch[d]!) break;
      bi[d] = 0;
    }
  }
  const shape = [...batch, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])];
  return { shape, value, bound, k };
}

/** Asserts shape, dtype, and every element within the a-priori error bound (k+2)·u·Σ|a·b|. */
function expectMatches(actual: Tensor, ref: Reference, dtype: DType, label = ''): void {
  expect(actual.shape, label).toEqual(ref.shape);
  expect(actual.dtype, label).toBe(dtype);
  const u = dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  const v = actual.values();
  expect(v.length).toBe(ref.value.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < v.length; i++) {
    const tol = (ref.k + 2) * u * ref.bound[i]! + 1e-300;
    const r = Math.abs(v[i]! - ref.value[i]!) / tol;
    if (!(r <= worst)) {
      worst = r;
      at = i;
    }
  }
  if (!(worst <= 1)) {
    throw new Error(`${label}: element ${at} is ${v[at]}, expected ${ref.value[at]} (error ${worst.toFixed(2)}× the bound)`);
  }
}

const check = (a: Tensor, b: Tensor, label = ''): void => {
  const dtype = a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
  expectMatches(matmul(a, b), reference(a, b), dtype, label || `${a.shape} @ ${b.shape}`);
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('matmul 2-D', () => {
  it('matches the triple loop on 60 random odd shapes in 1..37', () => {
    for (let t = 0; t < 60; t++) {
      const [m, n, k] = [gen.int(1, 38), gen.int(1, 38), gen.int(1, 38)];
      check(rnd([m, k]), rnd([k, n]));
    }
  });

  it('matches on the MLP shapes and around the block sizes (k > 256, m > 128)', () => {
    const x = rnd([64, 784]);
    const w = rnd([784, 128]);
    const dy = rnd([64, 128]);
    check(x, w, 'x·w');
    check(x.T, dy, 'xᵀ·dy');
    check(dy, w.T, 'dy·wᵀ');
    check(rnd([131, 513]), rnd([513, 9]));
    check(rnd([5, 257]), rnd([257, 17]));
    check(rnd([4, 256]), rnd([256, 8]));
  });

  it('reads transposed operands in place, all four combinations, without copying', () => {
    const spyClone = vi.spyOn(Tensor.prototype, 'clone');
    const spyAstype = vi.spyOn(Tensor.prototype, 'astype');
    for (const [m, n, k] of [
      [7, 13, 5],
      [33, 9, 300],
      [1, 17, 3],
      [12, 1, 31],
    ] as const) {
      const a = rnd([m, k]);
      const aT = rnd([k, m]).T;
      const b = rnd([k, n]);
      const bT = rnd([n, k]).T;
      check(a, b);
      check(aT, b);
      check(a, bT);
      check(aT, bT);
    }
    expect(spyClone).not.toHaveBeenCalled();
    expect(spyAstype).not.toHaveBeenCalled();
  });

  it('handles sliced views: row steps and offsets in place, column steps and negative steps by copying', () => {
    const big = rnd([40, 50]);
    const rowsStep = big.slice([1, 31, 2], [3, 20]); // [15, 17], strides [100, 1]
    check(rowsStep, rnd([17, 6]));
    check(rnd([6, 15]), rowsStep);
    check(rowsStep.T, rnd([15, 4]));
    const colsStep = big.slice([0, 12], [0, 50, 3]); // [12, 17], strides [50, 3]
    check(colsStep, rnd([17, 5]));
    check(rnd([3, 12]), colsStep);
    const reversed = big.slice([null, null, -1], [null, null, -2]); // negative steps
    check(reversed, rnd([25, 7]));
    check(rnd([2, 40]), reversed);
  });

  it('handles expanded (stride-0) operands', () => {
    check(rnd([1, 6]).expand(9, 6), rnd([6, 4]));
    check(rnd([5, 6]), rnd([6, 1]).expand(6, 11));
    check(rnd([1, 1]).expand(3, 8), rnd([8, 1]).expand(8, 2));
  });

  it('computes float64 to float64 precision, and float32 × float64 in float64', () => {
    check(rnd([13, 29], 'float64'), rnd([29, 7], 'float64'));
    check(rnd([29, 13], 'float64').T, rnd([7, 29], 'float64').T);
    check(rnd([6, 10]), rnd([10, 3], 'float64'));
    const exact = matmul(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        undefined,
        { dtype: 'float64' },
      ),
      tensor([[5], [6]], undefined, { dtype: 'float64' }),
    );
    expect(exact.toArray()).toEqual([[17], [39]]);
  });

  it('multiplies int32 in float and returns float32 (float64 with a float64 operand)', () => {
    const a = randint(-5, 6, [4, 7], { generator: gen });
    const b = randint(-5, 6, [7, 3], { generator: gen });
    const c = matmul(a, b);
    expect(c.dtype).toBe('float32');
    const ref = reference(a, b);
    expect(Array.from(c.values())).toEqual(Array.from(ref.value)); // small integers are exact
    expect(matmul(a, rnd([7, 2], 'float64')).dtype).toBe('float64');
  });
});

describe('matmul 1-D, batched, empty', () => {
  it('promotes 1-D operands and removes the added dimension', () => {
    const v = rnd([7]);
    const M = rnd([7, 5]);
    check(v, M); // [5]
    check(rnd([3, 7]), v); // [3]
    const dot = matmul(v, rnd([7]));
    expect(dot.shape).toEqual([]);
    check(v, rnd([7]));
    check(rnd([2, 3, 7]), v); // [2, 3]
    check(v, rnd([4, 7, 2])); // [4, 2]
    check(rnd([14]).slice([null, null, 2]), M); // strided vector
    check(rnd([7]).slice([null, null, -1]), M); // reversed vector
    expect(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).item()).toBe(32);
  });

  it('broadcasts batch dimensions', () => {
    check(rnd([2, 1, 3, 4]), rnd([5, 4, 6])); // [2, 5, 3, 6]
    check(rnd([3, 4, 5]), rnd([5, 6])); // folded into one GEMM
    check(rnd([3, 4, 5]), rnd([3, 5, 6]));
    check(rnd([4, 5]), rnd([2, 3, 5, 6])); // 2-D a broadcast over b's batch
    check(rnd([1, 4, 5]), rnd([3, 5, 2]));
    check(rnd([3, 1, 4, 5]).expand(3, 2, 4, 5), rnd([2, 5, 6])); // stride-0 batch dim
  });

  it('handles batched transposed and permuted views', () => {
    check(rnd([3, 5, 4]).transpose(0, 2, 1), rnd([3, 5, 6])); // per-batch transposed a: in place
    check(rnd([3, 4, 5]), rnd([3, 6, 5]).permute(0, 2, 1));
    check(rnd([5, 3, 4]).permute(1, 0, 2), rnd([4, 2])); // batch dim not outermost in memory
    check(rnd([4, 5, 3]).permute(2, 0, 1), rnd([3, 5, 2]));
    check(rnd([2, 3, 8, 9]).slice(null, [0, 3, 2], [1, 8, 2]), rnd([9, 4])); // sliced, non-foldable
  });

  it('handles size-0 and size-1 dimensions', () => {
    check(rnd([0, 3]), rnd([3, 4])); // [0, 4]
    check(rnd([3, 4]), rnd([4, 0])); // [3, 0]
    const z = matmul(rnd([3, 0]), rnd([0, 4])); // k = 0: zeros
    expect(z.shape).toEqual([3, 4]);
    expect(Array.from(z.values())).toEqual(new Array(12).fill(0));
    check(rnd([2, 0, 3, 4]), rnd([4, 5])); // [2, 0, 3, 5]
    check(rnd([0, 3, 4]), rnd([1, 4, 5])); // [0, 3, 5]
    expect(matmul(rnd([0]), rnd([0])).item()).toBe(0);
    check(rnd([1, 1]), rnd([1, 1]));
    check(rnd([1, 9]), rnd([9, 1]));
    check(rnd([9, 1]), rnd([1, 9]));
    check(rnd([1, 1, 1]), rnd([1, 1, 1]));
  });
});

describe('matmul errors', () => {
  it('names both shapes and the inner sizes on a mismatch', () => {
    expect(() => matmul(rnd([32, 784]), rnd([100, 10]))).toThrow(ShapeError);
    expect(() => matmul(rnd([32, 784]), rnd([100, 10]))).toThrow(
      'matmul: inner dimensions differ: a is [32, 784], b is [100, 10] (784 ≠ 100)',
    );
    expect(() => matmul(rnd([3]), rnd([4]))).toThrow('matmul: inner dimensions differ: a is [3], b is [4] (3 ≠ 4)');
    expect(() => matmul(rnd([2, 3, 4]), rnd([5]))).toThrow('(4 ≠ 5)');
  });

  it('rejects batch dimensions that cannot broadcast and 0-d operands', () => {
    expect(() => matmul(rnd([2, 3, 4]), rnd([3, 4, 5]))).toThrow(
      'matmul: batch dimensions [2] of a [2, 3, 4] and [3] of b [3, 4, 5] cannot broadcast (2 vs 3)',
    );
    expect(() => matmul(tensor(3), rnd([2, 2]))).toThrow(/matmul: operands need at least 1 dimension, got a \[\] and b \[2, 2\]/);
  });
});

describe('gemm', () => {
  /** C = op(A)·op(B) (+ C0) by the definition. */
  function naiveGemm(
    tA: boolean,
    tB: boolean,
    m: number,
    n: number,
    k: number,
    A: ArrayLike<number>,
    aOff: number,
    lda: number,
    B: ArrayLike<number>,
    bOff: number,
    ldb: number,
    C0: ArrayLike<number>,
    cOff: number,
    ldc: number,
    acc: boolean,
  ): Float64Array {
    const C = Float64Array.from(C0);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = acc ? C[cOff + i * ldc + j]! : 0;
        for (let p = 0; p < k; p++) s += A[aOff + (tA ? p * lda + i : i * lda + p)]! * B[bOff + (tB ? j * ldb + p : p * ldb + j)]!;
        C[cOff + i * ldc + j] = s;
      }
    }
    return C;
  }

  it('computes all transpose combinations with offsets, padded leading dimensions and accumulate', () => {
    for (let t = 0; t < 24; t++) {
      const tA = t % 2 === 1;
      const tB = (t >> 1) % 2 === 1;
      const acc = (t >> 2) % 2 === 1;
      const [m, n, k] = [gen.int(1, 20), gen.int(1, 20), gen.int(1, 300)];
      const lda = (tA ? m : k) + gen.int(0, 3);
      const ldb = (tB ? k : n) + gen.int(0, 3);
      const ldc = n + gen.int(0, 3);
      const [aOff, bOff, cOff] = [gen.int(0, 5), gen.int(0, 5), gen.int(0, 5)];
      const A = rnd([aOff + (tA ? k : m) * lda]).values() as Float32Array;
      const B = rnd([bOff + (tB ? n : k) * ldb]).values() as Float32Array;
      const C = rnd([cOff + m * ldc + 3])
        .values()
        .slice() as Float32Array;
      const expected = naiveGemm(tA, tB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, acc);
      gemm(tA, tB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, acc);
      for (let i = 0; i < C.length; i++) {
        const inside = i >= cOff && i < cOff + m * ldc && (i - cOff) % ldc < n;
        if (inside) expect(Math.abs(C[i]! - expected[i]!), `case ${t} element ${i}`).toBeLessThan(2e-4 * Math.sqrt(k) + 1e-5);
        else expect(C[i], `case ${t}: element ${i} outside C must be untouched`).toBe(expected[i]);
      }
    }
  });

  it('overwrites NaN in C when not accumulating, and k = 0 gives zeros', () => {
    const C = new Float32Array(6).fill(NaN);
    gemm(false, false, 2, 3, 1, new Float32Array([1, 2]), 0, 1, new Float32Array([1, 1, 1]), 0, 3, C, 0, 3);
    expect(Array.from(C)).toEqual([1, 1, 1, 2, 2, 2]);
    gemm(false, false, 2, 3, 0, new Float32Array(0), 0, 1, new Float32Array(0), 0, 3, C, 0, 3);
    expect(Array.from(C)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects sizes, leading dimensions and arrays that do not fit', () => {
    const A = new Float32Array(12);
    const C = new Float32Array(12);
    expect(() => gemm(false, false, -1, 3, 4, A, 0, 4, A, 0, 3, C, 0, 3)).toThrow(ValueError);
    expect(() => gemm(false, false, 3, 3, 4, A, 0, 3, A, 0, 3, C, 0, 3)).toThrow(
      'gemm: lda is 3 but the stored A has 4 columns per row; expected lda ≥ 4',
    );
    expect(() => gemm(false, false, 3, 3, 4, A, 1, 4, A, 0, 3, C, 0, 3)).toThrow(IndexError);
    expect(() => gemm(false, false, 3, 4, 4, A, 0, 4, new Float32Array(15), 0, 4, C, 0, 4)).toThrow(
      /gemm: B .* needs elements up to 16, but the array has 15/,
    );
  });
});
