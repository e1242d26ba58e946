import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, ValueError, add, div, maximum, mean, minimum, mul, sub, sum, matmul, randn, type Tensor } from '@tapegrad/tensor';
import {
  availableBackends,
  gemm,
  gemmJs,
  gemmWasm,
  gemmWasmFma,
  getBackend,
  kernelStateArrays,
  relaxedSimdSupported,
  simdPeakKernel,
  setBackend,
  wasmSupported,
} from '@tapegrad/tensor/backend';
import type { AdamUpdateFn, BackendName, BinaryKernelOp } from '@tapegrad/tensor/backend';
import {
  BINARY_WASM_MIN,
  adamUpdate,
  addRowVector,
  binaryKernel,
  columnSum,
  gemmWorkerSource,
  gemmWorkersReady,
  reluBackward,
  setGemmWorkers,
} from '../src/backend/index.js';
import { adamUpdateJs, addRowVectorJs, binaryJs, columnSumJs, reluBackwardJs } from '../src/backend/js/kernels.js';
import { adamUpdateWasm, addRowVectorWasm, binaryWasm, columnSumWasm, reluBackwardWasm } from '../src/backend/wasm/kernels.js';
import { binaryModule } from '../src/backend/wasm/binary-module.js';
import { encodeModule, sleb, uleb } from '../src/backend/wasm/encoder.js';
import { gemmModule } from '../src/backend/wasm/gemm-module.js';
import { chooseTile, gemmVariant } from '../src/backend/wasm/gemm.js';
import { kernelsModule } from '../src/backend/wasm/kernels-module.js';
import { GEMM_TILES, residentGemmState, residentKernels } from '../src/backend/wasm/runtime.js';
import { PEAK_ACCUMULATORS, peakModule } from '../src/backend/wasm/peak-module.js';
import * as mainEntry from '@tapegrad/tensor';
import * as backendEntry from '@tapegrad/tensor/backend';

const gen = new Generator(7);
const rnd = (shape: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor => randn(shape, { generator: gen, dtype });
const initial = getBackend();
/** The backends this run can test: js and wasm, and wasm-fma where relaxed SIMD is on (`pnpm test:fma`). */
const backends = availableBackends();
const wasmVariants = backends.filter((b) => b !== 'js');
const gemmOf = { wasm: gemmWasm, 'wasm-fma': gemmWasmFma } as const;

afterAll(() => {
  setBackend(initial);
});

describe('the backend behind its own entry', () => {
  const backendNames = [
    'gemm',
    'gemmJs',
    'gemmWasm',
    'gemmWasmFma',
    'adamUpdate',
    'kernelStateArrays',
    'addRowVector',
    'reluBackward',
    'columnSum',
    'binaryKernel',
    'setBackend',
    'getBackend',
    'wasmSupported',
    'relaxedSimdSupported',
    'availableBackends',
    'simdPeakKernel',
    'setGemmWorkers',
    'gemmWorkerSource',
    'gemmWorkersReady',
  ];

  it("'@tapegrad/tensor' exports none of the backend names; '@tapegrad/tensor/backend' exports them all", () => {
    for (const name of backendNames) {
      expect(name in mainEntry, `main entry exports ${name}`).toBe(false);
      expect(backendEntry, `backend entry lacks ${name}`).toHaveProperty(name);
    }
    expect(typeof backendEntry.gemmWorkerSource).toBe('string');
    expect(Object.keys(backendEntry).filter((name) => name in mainEntry)).toEqual([]);
  });
});

/** Naive matmul of 2-D (possibly strided) tensors in float64, plus Σ|a·b| for the error bound. */
function reference(a: Tensor, b: Tensor): { value: Float64Array; bound: Float64Array; k: number } {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const value = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  const A = new Float64Array(m * k);
  const B = new Float64Array(k * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) A[i * k + p] = a.get(i, p);
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) B[p * n + j] = b.get(p, j);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = A[i * k + p]!;
      for (let j = 0; j < n; j++) {
        value[i * n + j] += x * B[p * n + j]!;
        bound[i * n + j] += Math.abs(x * B[p * n + j]!);
      }
    }
  }
  return { value, bound, k };
}

function worstError(c: Tensor, ref: { value: Float64Array; bound: Float64Array; k: number }): number {
  const u = c.dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  const v = c.values();
  let worst = 0;
  for (let i = 0; i < v.length; i++) {
    const r = Math.abs(v[i]! - ref.value[i]!) / ((ref.k + 2) * u * ref.bound[i]! + 1e-300);
    if (!(r <= worst)) worst = r;
  }
  return worst;
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 256],
  [5, 9, 257],
  [17, 23, 29],
  [37, 1, 36],
  [1, 37, 35],
  [131, 19, 300],
  [64, 128, 784],
  [784, 128, 64],
  [64, 784, 128],
];

function operands(m: number, n: number, k: number, tA: boolean, tB: boolean, dtype: 'float32' | 'float64' = 'float32'): [Tensor, Tensor] {
  return [tA ? rnd([k, m], dtype).T : rnd([m, k], dtype), tB ? rnd([n, k], dtype).T : rnd([k, n], dtype)];
}

describe.each(backends)('backend %s', (backend) => {
  it('matches the triple loop on odd and MLP shapes, all four transpose combinations', () => {
    setBackend(backend);
    expect(getBackend()).toBe(backend);
    for (const [m, n, k] of shapes) {
      for (let t = 0; t < 4; t++) {
        const [a, b] = operands(m, n, k, t % 2 === 1, t >= 2);
        const err = worstError(matmul(a, b), reference(a, b));
        expect(err, `${backend} ${m}×${k}·${k}×${n} trans ${t}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('matches on batched, broadcast and strided operands', () => {
    setBackend(backend);
    const a = rnd([3, 6, 10]);
    const b = rnd([10, 7]);
    const c = matmul(a, b);
    for (let i = 0; i < 3; i++) {
      const ai = a.index(i);
      expect(worstError(matmul(ai, b), reference(ai, b))).toBeLessThanOrEqual(1);
      expect(Array.from(c.index(i).values())).toEqual(Array.from(matmul(ai, b).values()));
    }
    const s = rnd([20, 30]).slice([0, 20, 3], [2, 27]);
    const bs = rnd([9, 25]).T;
    expect(worstError(matmul(s, bs), reference(s, bs))).toBeLessThanOrEqual(1);
  });

  it('accumulates into C and overwrites it otherwise', () => {
    setBackend(backend);
    const [m, n, k] = [9, 13, 70];
    const A = rnd([m * k]).values() as Float32Array;
    const B = rnd([k * n]).values() as Float32Array;
    const C = new Float32Array(m * n).fill(NaN);
    gemm(false, false, m, n, k, A, 0, k, B, 0, n, C, 0, n);
    const once = C.slice();
    gemm(false, false, m, n, k, A, 0, k, B, 0, n, C, 0, n, true);
    let worst = 0;
    for (let i = 0; i < C.length; i++) worst = Math.max(worst, Math.abs(C[i]! - 2 * once[i]!));
    expect(worst).toBeLessThan(1e-4);
    expect(once.some((x) => Number.isNaN(x))).toBe(false);
  });

  it('allows C to be the same array as an operand', () => {
    setBackend(backend);
    const n = 6;
    const A = rnd([n * n])
      .values()
      .slice() as Float32Array;
    const B = rnd([n * n]).values() as Float32Array;
    const expected = new Float32Array(n * n);
    gemm(false, false, n, n, n, A, 0, n, B, 0, n, expected, 0, n);
    gemm(false, false, n, n, n, A, 0, n, B, 0, n, A, 0, n);
    expect(Array.from(A)).toEqual(Array.from(expected));
  });

  it('computes float64 on the JS path (bit-identical to gemmJs)', () => {
    setBackend(backend);
    const [a, b] = operands(19, 21, 300, false, true, 'float64');
    const c = matmul(a, b);
    expect(c.dtype).toBe('float64');
    expect(worstError(c, reference(a, b))).toBeLessThanOrEqual(1);
    const C = new Float64Array(19 * 21);
    gemmJs(false, true, 19, 21, 300, a.data, a.offset, 300, b.data, b.offset, 300, C, 0, 21);
    expect(Array.from(c.values())).toEqual(Array.from(C));
  });
});

describe('js vs wasm', () => {
  it('wasm SIMD is available on Node 20; the default is the fastest variant unless TAPEGRAD_BACKEND says otherwise', () => {
    expect(wasmSupported()).toBe(true);
    const env = process.env.TAPEGRAD_BACKEND;
    const fastest = relaxedSimdSupported() ? 'wasm-fma' : 'wasm';
    expect(backends).toEqual(relaxedSimdSupported() ? ['js', 'wasm', 'wasm-fma'] : ['js', 'wasm']);
    expect(initial).toBe(env === 'js' || env === 'wasm' || env === 'wasm-fma' ? env : fastest);
    expect(setBackend('auto')).toBe(fastest);
    // on Node 20, relaxed SIMD is on exactly when the suite runs on the FMA variant (vitest.setup.ts turns its flag on)
    if (process.versions.node.startsWith('20.')) expect(relaxedSimdSupported()).toBe(env === 'wasm-fma');
    setBackend(initial);
  });

  it("'wasm-fma' is refused with a hint where relaxed SIMD is off", () => {
    if (relaxedSimdSupported()) {
      expect(setBackend('wasm-fma')).toBe('wasm-fma');
    } else {
      expect(() => setBackend('wasm-fma')).toThrow(/setBackend: the 'wasm-fma' backend needs WebAssembly relaxed SIMD.*enableRelaxedSimd/);
    }
    setBackend(initial);
  });

  it.each(wasmVariants)('js and %s agree within float32 tolerance on the MLP shapes and all transposes', (variant) => {
    for (const [m, n, k] of shapes) {
      for (let t = 0; t < 4; t++) {
        const [a, b] = operands(m, n, k, t % 2 === 1, t >= 2);
        setBackend('js');
        const cj = matmul(a, b).values();
        setBackend(variant);
        const cw = matmul(a, b).values();
        const ref = reference(a, b);
        let worst = 0;
        for (let i = 0; i < cj.length; i++) {
          worst = Math.max(worst, Math.abs(cj[i]! - cw[i]!) / ((k + 2) * 2 ** -22 * ref.bound[i]! + 1e-30));
        }
        expect(worst, `${m}×${k}·${k}×${n} trans ${t}`).toBeLessThanOrEqual(1);
      }
    }
    setBackend(initial);
  });

  it.each(wasmVariants)('%s is bit-identical run to run, also after the memory grew and other products ran', (variant) => {
    setBackend(variant);
    const [a, b] = operands(64, 128, 784, false, false);
    const first = matmul(a, b).values().slice();
    matmul(rnd([300, 700]), rnd([700, 500])); // grows memory
    matmul(rnd([3, 5]), rnd([5, 2]));
    const second = matmul(a, b).values();
    expect(new Uint32Array(second.buffer, second.byteOffset, second.length)).toEqual(new Uint32Array(first.buffer));
    const [at, bt] = operands(33, 47, 513, true, true);
    const x = matmul(at, bt).values().slice();
    expect(Array.from(matmul(at, bt).values())).toEqual(Array.from(x));
    setBackend(initial);
  });

  it.skipIf(!relaxedSimdSupported())('wasm-fma runs the relaxed-SIMD GEMM: gemm on wasm-fma = gemmWasmFma, on wasm = gemmWasm', () => {
    const [m, n, k] = [37, 29, 300];
    const A = f32(m * k),
      B = f32(k * n);
    const on = (backend: BackendName): Float32Array => {
      setBackend(backend);
      const C = new Float32Array(m * n);
      gemm(false, false, m, n, k, A, 0, k, B, 0, n, C, 0, n);
      return C;
    };
    const direct = (fn: typeof gemmWasm): Float32Array => {
      const C = new Float32Array(m * n);
      fn(false, false, m, n, k, A, 0, k, B, 0, n, C, 0, n);
      return C;
    };
    expect(bits(on('wasm-fma'))).toEqual(bits(direct(gemmWasmFma)));
    expect(bits(on('wasm'))).toEqual(bits(direct(gemmWasm)));
    setBackend(initial);
  });

  it('gemmWasm and gemmJs agree when called directly with offsets and padded leading dimensions', () => {
    const [m, n, k, lda, ldb, ldc] = [11, 14, 40, 43, 17, 15];
    const A = rnd([3 + m * lda]).values() as Float32Array;
    const B = rnd([2 + k * ldb]).values() as Float32Array;
    const Cj = new Float32Array(1 + m * ldc).fill(7);
    gemmJs(false, false, m, n, k, A, 3, lda, B, 2, ldb, Cj, 1, ldc, true);
    for (const variant of wasmVariants) {
      const Cw = new Float32Array(1 + m * ldc).fill(7);
      gemmOf[variant](false, false, m, n, k, A, 3, lda, B, 2, ldb, Cw, 1, ldc, true);
      let worst = 0;
      for (let i = 0; i < Cj.length; i++) worst = Math.max(worst, Math.abs(Cj[i]! - Cw[i]!));
      expect(worst, variant).toBeLessThan(1e-4);
      expect(Cw[0]).toBe(7);
      expect(Cw[1 + n]).toBe(7); // padding between rows untouched
    }
  });

  it('gemmWasm and gemmJs agree for every transpose with offsets, padded leading dimensions and accumulate', () => {
    const [m, n, k] = [13, 21, 530]; // k > 256: three depth blocks; m, n not multiples of the 4×8 tile
    for (let t = 0; t < 4; t++) {
      const [tA, tB] = [t % 2 === 1, t >= 2];
      const lda = (tA ? m : k) + 3;
      const ldb = (tB ? k : n) + 5;
      const A = rnd([2 + (tA ? k : m) * lda]).values() as Float32Array;
      const B = rnd([1 + (tB ? n : k) * ldb]).values() as Float32Array;
      for (const acc of [false, true]) {
        const Cj = rnd([4 + m * (n + 2)])
          .values()
          .slice() as Float32Array;
        const C0 = Cj.slice();
        gemmJs(tA, tB, m, n, k, A, 2, lda, B, 1, ldb, Cj, 4, n + 2, acc);
        for (const variant of wasmVariants) {
          const Cw = C0.slice();
          gemmOf[variant](tA, tB, m, n, k, A, 2, lda, B, 1, ldb, Cw, 4, n + 2, acc);
          let worst = 0;
          for (let i = 0; i < Cj.length; i++) worst = Math.max(worst, Math.abs(Cj[i]! - Cw[i]!));
          expect(worst, `${variant} trans ${t} accumulate ${acc}`).toBeLessThan(2e-3);
          for (let i = 0; i < m; i++) expect(Cw[4 + i * (n + 2) + n]).toBe(Cj[4 + i * (n + 2) + n]); // row padding untouched
        }
      }
    }
  });

  it('the wasm-fma GEMM picks the tile with the least padded work per speed: 3×12 for 128×512, 4×8 for 64×128', () => {
    const [t48, t312] = [GEMM_TILES.fma[0]!, GEMM_TILES.fma[1]!];
    expect([t48.MR, t48.NR, t312.MR, t312.NR]).toEqual([4, 8, 3, 12]);
    expect(chooseTile(GEMM_TILES.fma, 128, 512)).toBe(t312); // 129×516 vs 128×512: 1.6% padding, 3% faster
    expect(chooseTile(GEMM_TILES.fma, 64, 128)).toBe(t48); // 66×132 vs 64×128: 6.3% padding
    expect(chooseTile(GEMM_TILES.fma, 128, 10)).toBe(t312); // 12 columns instead of 16
    expect(chooseTile(GEMM_TILES.plain, 129, 516)).toBe(GEMM_TILES.plain[0]);
    expect(chooseTile(GEMM_TILES.fma, 784, 512)).toBe(t312); // MLP-B's dW₁: 786×516, then copied out of a C buffer
  });

  it.skipIf(!relaxedSimdSupported())('the 4×8 and 3×12 FMA tiles give the same bits: every transpose, edges, offsets, accumulate', () => {
    const [on48, on312] = [gemmVariant(true, GEMM_TILES.fma[0]!), gemmVariant(true, GEMM_TILES.fma[1]!)];
    // m, n not multiples of 3, 4, 8 or 12; k of three depth blocks, under 4, odd. 200×200×530 packs every way: rows
    // of A by 3×4 transposes (packT3) or, transposed, as 3-lane rows (packRows3); B as 12-lane rows or by 4×4 transposes.
    const cases = [[13, 23, 530], [128, 40, 128], [7, 12, 3], [1, 1, 9], [40, 100, 257], [200, 200, 530]] as const;
    for (const [m, n, k] of cases) {
      for (let t = 0; t < 4; t++) {
        const [tA, tB] = [t % 2 === 1, t >= 2];
        const lda = (tA ? m : k) + 3;
        const ldb = (tB ? k : n) + 5;
        const A = f32(2 + (tA ? k : m) * lda);
        const B = f32(1 + (tB ? n : k) * ldb);
        for (const acc of [false, true]) {
          const C0 = f32(4 + m * (n + 2));
          const [C1, C2] = [C0.slice(), C0.slice()];
          on48(tA, tB, m, n, k, A, 2, lda, B, 1, ldb, C1, 4, n + 2, acc);
          on312(tA, tB, m, n, k, A, 2, lda, B, 1, ldb, C2, 4, n + 2, acc);
          expect(bits(C2), `${m}×${k}·${k}×${n} trans ${t} accumulate ${acc}`).toEqual(bits(C1));
          const ref = new Float32Array(C0);
          gemmJs(tA, tB, m, n, k, A, 2, lda, B, 1, ldb, ref, 4, n + 2, acc);
          let worst = 0;
          for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i]! - C2[i]!));
          expect(worst).toBeLessThan(2e-3);
          expect(C2[0]).toBe(C0[0]); // before the offset: untouched
          for (let i = 0; i < m; i++) expect(C2[4 + i * (n + 2) + n]).toBe(C0[4 + i * (n + 2) + n]); // row padding untouched
        }
      }
    }
  });

  it.each(wasmVariants)('%s runs a product in the resident memory that holds an operand: same bits, every mix and tile', (variant) => {
    setBackend(variant);
    const fma = variant === 'wasm-fma';
    /** `x` copied into a view of a resident memory (made by kernelStateArrays) or into an ordinary array. */
    const place = (x: Float32Array, resident: boolean): Float32Array => {
      const y = resident ? (kernelStateArrays('float32', Math.max(4096, x.length), 1)[0] as Float32Array).subarray(0, x.length) : x.slice();
      y.set(x);
      return y;
    };
    // [m, n, k, extra floats per C row]: C written in place (m a multiple of 3 and 4, n of 4 and rows n apart) or not
    // (m = 13, n = 22, padded rows); k of one to three depth blocks
    const cases = [[24, 40, 300, 0], [12, 12, 5, 0], [13, 22, 530, 0], [24, 40, 70, 2]] as const;
    for (const tile of fma ? GEMM_TILES.fma : GEMM_TILES.plain) {
      const run = gemmVariant(fma, tile);
      for (const [m, n, k, pad] of cases) {
        for (let t = 0; t < 4; t++) {
          const [tA, tB, ldc] = [t % 2 === 1, t >= 2, n + pad];
          const [lda, ldb] = [(tA ? m : k) + 3, (tB ? k : n) + 5];
          const [A0, B0, C0] = [f32(2 + (tA ? k : m) * lda), f32(1 + (tB ? n : k) * ldb), f32(4 + m * ldc + 3)];
          for (const acc of [false, true]) {
            const ref = C0.slice();
            run(tA, tB, m, n, k, A0, 2, lda, B0, 1, ldb, ref, 4, ldc, acc);
            for (let mix = 1; mix < 8; mix++) {
              const [A, B, C] = [place(A0, (mix & 1) > 0), place(B0, (mix & 2) > 0), place(C0, (mix & 4) > 0)];
              run(tA, tB, m, n, k, A!, 2, lda, B!, 1, ldb, C!, 4, ldc, acc);
              const what = `${tile.MR}×${tile.NR}, ${m}×${k}·${k}×${n} trans ${t} accumulate ${acc} resident ${mix}`;
              expect(bits(C!), what).toEqual(bits(ref)); // also: nothing before the offset, between rows or after C touched
              expect(bits(A!), what).toEqual(bits(A0));
              expect(bits(B!), what).toEqual(bits(B0));
            }
          }
        }
      }
    }
    // It did run there: an operand that is not resident is copied into the memory's free tail.
    const [W, dW] = kernelStateArrays('float32', 784 * 128, 2) as [Float32Array, Float32Array];
    W.set(f32(784 * 128));
    const tail = new Float32Array(W.buffer, residentGemmState(W, fma)!.free * 4, 64 * 784).fill(NaN);
    const x = f32(64 * 784);
    const y = new Float32Array(64 * 128);
    gemmOf[variant](false, false, 64, 128, 784, x, 0, 784, W, 0, 128, y, 0, 128);
    expect(bits(tail)).toEqual(bits(x));
    expect((kernelStateArrays('float32', 5000, 1)[0] as Float32Array).every((v) => v === 0)).toBe(true); // handed out zeroed
    const yRef = new Float32Array(64 * 128);
    gemmOf[variant](false, false, 64, 128, 784, x, 0, 784, W.slice(), 0, 128, yRef, 0, 128);
    expect(bits(y)).toEqual(bits(yRef));
    // C = xᵀ·y where C overlaps the operand read in place (the same resident array): the product of the values before
    const [xy] = kernelStateArrays('float32', 64 * 784 + 784 * 128, 1) as [Float32Array];
    xy.set(x);
    const plain = xy.slice();
    gemmOf[variant](true, false, 784, 128, 64, xy, 0, 784, y, 0, 128, xy, 1000, 128);
    gemmOf[variant](true, false, 784, 128, 64, plain, 0, 784, y, 0, 128, plain, 1000, 128);
    expect(bits(xy)).toEqual(bits(plain));
    // a view reaching into the free tail (scratch) is not read in place: the product runs in the GEMM's own memory
    const free = residentGemmState(dW, fma)!.free;
    const over = new Float32Array(dW.buffer, (free - 100) * 4, 784 * 128);
    const overRef = over.slice();
    gemmOf[variant](true, false, 784, 128, 64, x, 0, 784, y, 0, 128, over, 0, 128);
    gemmOf[variant](true, false, 784, 128, 64, x, 0, 784, y, 0, 128, overRef, 0, 128);
    expect(bits(over)).toEqual(bits(overRef));
    // a memory of its own (over half an arena) has little tail: a product too large for it runs elsewhere, the same
    const [big] = kernelStateArrays('float32', 3_000_000, 1) as [Float32Array];
    for (const [m, n, k] of [[8, 8, 8], [64, 128, 784]] as const) {
      const [a, b, c] = [f32(m * k), f32(k * n), new Float32Array(m * n)];
      gemmOf[variant](false, false, m, n, k, a, 0, k, b, 0, n, big, 5000, n);
      gemmOf[variant](false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n);
      expect(bits(big.subarray(5000, 5000 + m * n))).toEqual(bits(c));
    }
    setBackend(initial);
  });

  it('rejects unknown backend names', () => {
    expect(() => setBackend('gpu' as BackendName)).toThrow(ValueError);
    expect(() => setBackend('gpu' as BackendName)).toThrow(
      "setBackend: unknown backend 'gpu'; expected 'js', 'wasm', 'wasm-fma' or 'auto'",
    );
  });
});

describe('the SIMD ceiling loop (for the benchmark)', () => {
  it.each(wasmVariants)('%s: runs its multiply-adds in registers and returns the accumulated value', (variant) => {
    const { run, flopsPerIteration } = simdPeakKernel(variant === 'wasm-fma');
    expect(flopsPerIteration).toBe(16 * PEAK_ACCUMULATORS);
    // acc ← acc + a·b from 0, 2 steps per iteration, summed over the accumulators: about 2·iterations·a·b each
    const a = Math.fround(1.0000001),
      b = Math.fround(0.9999999);
    expect(run(1)).toBeCloseTo(PEAK_ACCUMULATORS * 2 * a * b, 5);
    expect(Math.abs(run(1000) - PEAK_ACCUMULATORS * 2000 * a * b)).toBeLessThan(0.1);
  });
});

describe('wasm encoder', () => {
  it('encodes LEB128 like the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(63)).toEqual([63]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
  });

  it('emits modules that validate, for several tile shapes', () => {
    expect(WebAssembly.validate(encodeModule([]))).toBe(true);
    for (const [MR, NR] of [[4, 8], [6, 8], [4, 16], [1, 4], [3, 12], [5, 8]] as const)
      expect(WebAssembly.validate(gemmModule({ MR, NR }))).toBe(true);
    expect(WebAssembly.validate(kernelsModule())).toBe(true);
    expect(WebAssembly.validate(binaryModule())).toBe(true);
    // the FMA variant validates exactly where relaxed SIMD is on
    for (const tile of GEMM_TILES.fma) expect(WebAssembly.validate(gemmModule(tile, 0, true))).toBe(relaxedSimdSupported());
    expect(WebAssembly.validate(peakModule(false))).toBe(true);
    expect(WebAssembly.validate(peakModule(true))).toBe(relaxedSimdSupported());
    // each module stays under the 4 KB Chrome allows for synchronous compiles on the main thread
    const gemms = [...GEMM_TILES.plain, ...GEMM_TILES.fma].map((tile) => gemmModule(tile, 16384, true));
    for (const m of [kernelsModule(), binaryModule(), ...gemms]) expect(m.length).toBeLessThan(4096);
  });
});

const f32 = (n: number, scale = 1): Float32Array => {
  const a = rnd([n]).values().slice() as Float32Array;
  for (let i = 0; i < n; i++) a[i] = a[i]! * scale;
  return a;
};
const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/**
 * The wasm Adam kernel's arithmetic written out in TypeScript: the rule of `adamUpdateJs` with every operation
 * rounded to float32 in the kernel's order (what its f32x4 lanes and scalar tail compute).
 */
const adamFloat32Model: AdamUpdateFn<Float32Array> = (param, pOff, grad, gOff, m, v, n, lr, beta1, beta2, eps, bc1, bc2, maxV) => {
  const f = Math.fround;
  const b1 = f(beta1), c1 = f(1 - beta1), b2 = f(beta2), c2 = f(1 - beta2), e = f(eps);
  const s = f(lr / bc1), d = f(1 / Math.sqrt(bc2));
  const tiny = eps > 0 ? 2 ** -126 : 0;
  const flush = (x: number): number => (Math.abs(x) < tiny ? 0 : x);
  for (let j = 0; j < n; j++) {
    const g = grad[gOff + j]!;
    const mj = flush(f(f(b1 * m[j]!) + f(c1 * g)));
    let vj = flush(f(f(b2 * v[j]!) + f(c2 * f(g * g))));
    m[j] = mj;
    v[j] = vj;
    if (maxV) vj = maxV[j] = vj > maxV[j]! ? vj : maxV[j]!;
    const denom = f(f(f(Math.sqrt(vj)) * d) + e);
    param[pOff + j] = f(param[pOff + j]! - f(s * f(mj / denom)));
  }
};

describe('training-step kernels', () => {
  it('adamUpdate: wasm = its float32 model bit for bit, within float32 rounding of the JS reference, close to float64', () => {
    for (const n of [1, 7, 1000, 16384 * 2 + 5]) {
      for (const amsgrad of [false, true]) {
        const p0 = f32(n + 3);
        const pj = p0.slice(),
          pw = p0.slice(),
          pf = p0.slice();
        const [mj, vj, mw, vw, mf, vf] = Array.from({ length: 6 }, () => new Float32Array(n));
        const [xj, xw, xf] = Array.from({ length: 3 }, () => (amsgrad ? new Float32Array(n) : null));
        const p64 = Float64Array.from(p0),
          m64 = new Float64Array(n),
          v64 = new Float64Array(n),
          x64 = amsgrad ? new Float64Array(n) : null;
        const [lr, b1, b2, eps] = [1e-2, 0.9, 0.999, 1e-8];
        for (let t = 1; t <= 3; t++) {
          const g = f32(n + 1, t === 2 ? 1e-3 : 1);
          if (n > 2) g[2] = 0;
          const bc1 = 1 - b1 ** t,
            bc2 = 1 - b2 ** t;
          adamUpdateJs(pj, 3, g, 1, mj, vj, n, lr, b1, b2, eps, bc1, bc2, xj);
          adamUpdateWasm(pw, 3, g, 1, mw, vw, n, lr, b1, b2, eps, bc1, bc2, xw);
          adamFloat32Model(pf, 3, g, 1, mf, vf, n, lr, b1, b2, eps, bc1, bc2, xf);
          adamUpdateJs(p64, 3, Float64Array.from(g), 1, m64, v64, n, lr, b1, b2, eps, bc1, bc2, x64);
        }
        const at = `n=${n} amsgrad=${amsgrad}`;
        expect(bits(pw), at).toEqual(bits(pf));
        expect(bits(mw), at).toEqual(bits(mf));
        expect(bits(vw), at).toEqual(bits(vf));
        if (xw && xf) expect(bits(xw), at).toEqual(bits(xf));
        expect(Array.from(pw.subarray(0, 3))).toEqual(Array.from(p0.subarray(0, 3))); // before pOff untouched
        expect(Array.from(pj.subarray(0, 3))).toEqual(Array.from(p0.subarray(0, 3)));
        let worst = 0,
          worstJ = 0;
        for (let j = 0; j < n; j++) {
          worst = Math.max(worst, Math.abs(pw[3 + j]! - p64[3 + j]!));
          worstJ = Math.max(worstJ, Math.abs(pw[3 + j]! - pj[3 + j]!));
        }
        expect(worst, at).toBeLessThan(1e-5);
        expect(worstJ, at).toBeLessThan(1e-5);
        // the first step moves every parameter with a nonzero gradient by about lr
        if (n > 3) expect(Math.abs(pw[3 + 3]! - p0[3 + 3]!)).toBeGreaterThan(1e-3);
      }
    }
  });

  it('adamUpdate stores subnormal float32 moments as +0 when eps > 0 (not NaN, not float64, not with eps = 0), on every kernel', () => {
    const tiny = 2 ** -126;
    const sub = 2 ** -149; // the smallest subnormal: 0.9·sub rounds back to sub, so without the flush m stays there
    const kernels: [string, AdamUpdateFn<Float32Array>][] = [['js', adamUpdateJs], ['model', adamFloat32Model]];
    if (wasmSupported()) kernels.push(['wasm', adamUpdateWasm]);
    for (const [name, kernel] of kernels) {
      for (const amsgrad of [false, true]) {
        // lanes: subnormal m and v with g = 0 (4 SIMD lanes + a scalar tail), NaN, normal moments that decay below 2⁻¹²⁶ or not
        const m0 = [sub, sub, 3 * sub, -sub, sub, NaN, 0.5, tiny, -2 * tiny];
        const n = m0.length;
        const m = Float32Array.from(m0);
        const v = Float32Array.from(m0, (x) => (Number.isNaN(x) ? NaN : Math.abs(x)));
        const p = new Float32Array(n).fill(1);
        const g = new Float32Array(n);
        const vmax = amsgrad ? new Float32Array(n) : null;
        kernel(p, 0, g, 0, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0.5, 0.1, vmax);
        const at = `${name} amsgrad=${amsgrad}`;
        expect(Array.from(m.subarray(0, 5)), at).toEqual([0, 0, 0, 0, 0]);
        expect(Object.is(m[3], 0), at).toBe(true); // +0, not -0
        expect(Array.from(v.subarray(0, 5)), at).toEqual([0, 0, 0, 0, 0]);
        expect(Number.isNaN(m[5]!) && Number.isNaN(v[5]!) && Number.isNaN(p[5]!), at).toBe(true);
        expect(m[6], at).toBe(Math.fround(0.45));
        expect(m[7], at).toBe(0); // 0.9·2⁻¹²⁶ is subnormal
        expect(m[8], at).toBe(Math.fround(-1.8 * tiny)); // still normal
        expect(Array.from(p.subarray(0, 5)), at).toEqual([1, 1, 1, 1, 1]);
      }
      // eps = 0: no flush (m = v = 0 would make 0/0 where the subnormal pair gives a finite step)
      const m = Float32Array.from([sub, sub, sub, sub, sub]);
      const v = Float32Array.from([sub, sub, sub, sub, sub]);
      const p = new Float32Array(5).fill(1);
      kernel(p, 0, new Float32Array(5), 0, m, v, 5, 1e-3, 0.9, 0.999, 0, 0.5, 0.1);
      expect(Array.from(m), `${name} eps=0`).toEqual([sub, sub, sub, sub, sub]);
      expect(p.every((x) => Number.isFinite(x)), `${name} eps=0`).toBe(true);
    }
    // float64 storage keeps its moments as computed (2⁻¹⁴⁹ is a normal float64)
    const m64 = Float64Array.from([sub]);
    adamUpdateJs(new Float64Array(1), 0, new Float64Array(1), 0, m64, Float64Array.from([sub]), 1, 1e-3, 0.9, 0.999, 1e-8, 0.5, 0.1);
    expect(m64[0]).toBe(0.9 * sub);
  });

  it('adamUpdate on float32 storage equals the float64 rule with the moments rounded as stored; AMSGrad uses the running max', () => {
    const n = 64;
    const p32 = f32(n),
      m32 = new Float32Array(n),
      v32 = new Float32Array(n),
      x32 = new Float32Array(n);
    const p = Float64Array.from(p32),
      m = new Float64Array(n),
      v = new Float64Array(n),
      vmax = new Float64Array(n);
    const plain = p32.slice(),
      mp = new Float32Array(n),
      vp = new Float32Array(n);
    const [lr, b1, b2, eps] = [1e-2, 0.9, 0.999, 1e-8];
    for (let t = 1; t <= 4; t++) {
      const g = f32(n, 2 ** -t); // shrinking gradients: v falls below its running max
      const bc1 = 1 - b1 ** t,
        bc2 = 1 - b2 ** t;
      adamUpdateJs(p32, 0, g, 0, m32, v32, n, lr, b1, b2, eps, bc1, bc2, x32);
      adamUpdateJs(plain, 0, g, 0, mp, vp, n, lr, b1, b2, eps, bc1, bc2);
      for (let j = 0; j < n; j++) {
        m[j] = Math.fround(b1 * m[j]! + (1 - b1) * g[j]!);
        v[j] = Math.fround(b2 * v[j]! + (1 - b2) * (g[j]! * g[j]!));
        vmax[j] = Math.max(vmax[j]!, v[j]!);
        p[j] = Math.fround(p[j]! - ((lr / bc1) * m[j]!) / (Math.sqrt(vmax[j]!) * (1 / Math.sqrt(bc2)) + eps));
      }
    }
    expect(Array.from(p32)).toEqual(Array.from(p));
    expect(Array.from(x32)).toEqual(Array.from(vmax));
    expect(Array.from(v32)).toEqual(Array.from(vp));
    expect(Array.from(v32).some((x, j) => x < x32[j]!)).toBe(true);
    expect(Array.from(plain).some((x, j) => x !== p32[j])).toBe(true);
  });

  it('addRowVector (with and without ReLU), also in place: wasm = JS bit for bit = naive loop', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 5],
      [64, 128],
      [200, 130],
    ] as const) {
      const x = f32(2 + rows * cols);
      x[2] = NaN;
      const b = f32(cols + 1);
      for (const relu of [false, true]) {
        const oj = new Float32Array(rows * cols + 1).fill(9);
        const ow = oj.slice();
        addRowVectorJs(x, 2, rows, cols, b, 1, oj, 1, relu);
        addRowVectorWasm(x, 2, rows, cols, b, 1, ow, 1, relu);
        expect(bits(ow), `${rows}×${cols} relu ${relu}`).toEqual(bits(oj));
        expect(ow[0]).toBe(9);
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            const s = Math.fround(x[2 + i * cols + j]! + b[1 + j]!);
            const want = relu ? (s > 0 ? s : 0) : s;
            expect(Object.is(ow[1 + i * cols + j], want) || (Number.isNaN(want) && Number.isNaN(ow[1 + i * cols + j]!))).toBe(true);
          }
        }
        const inPlace = x.slice();
        addRowVectorWasm(inPlace, 2, rows, cols, b, 1, inPlace, 2, relu);
        expect(bits(inPlace.subarray(2))).toEqual(bits(ow.subarray(1)));
      }
    }
  });

  it('reluBackward: wasm = JS bit for bit; passes dy where y > 0, zero elsewhere (NaN y → 0)', () => {
    const n = 16384 + 11;
    const dy = f32(n + 1);
    const y = f32(n + 2);
    y[2] = NaN;
    y[3] = -0;
    const oj = new Float32Array(n),
      ow = new Float32Array(n);
    reluBackwardJs(dy, 1, y, 2, oj, 0, n);
    reluBackwardWasm(dy, 1, y, 2, ow, 0, n);
    expect(bits(ow)).toEqual(bits(oj));
    for (let j = 0; j < n; j++) expect(ow[j]).toBe(y[2 + j]! > 0 ? dy[1 + j]! : 0);
    expect(Object.is(ow[0], 0)).toBe(true);
  });

  it('columnSum: wasm = JS bit for bit (rows added in order), close to float64, accumulate adds', () => {
    for (const [rows, cols] of [
      [1, 3],
      [64, 128],
      [64, 10],
      [300, 129],
    ] as const) {
      const x = f32(5 + rows * cols);
      const oj = f32(cols + 2),
        ow = oj.slice();
      const start = oj.slice();
      columnSumJs(x, 5, rows, cols, oj, 2);
      columnSumWasm(x, 5, rows, cols, ow, 2);
      expect(bits(ow)).toEqual(bits(oj));
      expect(Array.from(ow.subarray(0, 2))).toEqual(Array.from(start.subarray(0, 2)));
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += x[5 + i * cols + j]!;
        expect(Math.abs(ow[2 + j]! - s)).toBeLessThan(1e-4 * rows);
      }
      const once = ow.slice();
      columnSumWasm(x, 5, rows, cols, ow, 2, true);
      columnSumJs(x, 5, rows, cols, oj, 2, true);
      expect(bits(ow)).toEqual(bits(oj));
      for (let j = 0; j < cols; j++) expect(Math.abs(ow[2 + j]! - 2 * once[2 + j]!)).toBeLessThan(1e-4 * rows);
    }
  });

  it('adamUpdate runs the wasm kernel for float32 arrays on the wasm backend, else the JS reference (a float64 gradient too)', () => {
    const n = 40;
    const g = f32(n),
      p0 = f32(n);
    const run = (backend: BackendName, grad: Float32Array | Float64Array, kernel: 'dispatch' | 'js' | 'wasm'): Float32Array => {
      setBackend(backend);
      const p = p0.slice(),
        m = new Float32Array(n),
        v = new Float32Array(n),
        vmax = new Float32Array(n);
      for (let t = 1; t <= 2; t++) {
        const args = [p, 0, grad, 0, m, v, n, 1e-2, 0.9, 0.999, 1e-8, 1 - 0.9 ** t, 1 - 0.999 ** t, vmax] as const;
        if (kernel === 'dispatch') adamUpdate(...args);
        else if (kernel === 'js') adamUpdateJs(...args);
        else adamUpdateWasm(p, 0, grad as Float32Array, 0, m, v, n, 1e-2, 0.9, 0.999, 1e-8, 1 - 0.9 ** t, 1 - 0.999 ** t, vmax);
      }
      return p;
    };
    expect(bits(run('wasm', g, 'dispatch'))).toEqual(bits(run('wasm', g, 'wasm')));
    expect(bits(run('js', g, 'dispatch'))).toEqual(bits(run('js', g, 'js')));
    expect(bits(run('wasm', Float64Array.from(g), 'dispatch'))).toEqual(bits(run('js', g, 'js')));
    const x = new Float32Array(n);
    expect(() => adamUpdate(x, 0, x, 0, x, x, n, 1, 0.9, 0.9, 1e-8, 1, 1, new Float32Array(n - 1))).toThrow(
      'adamUpdate: maxV needs elements [0, 40) but has length 39',
    );
    setBackend(initial);
  });

  it('kernelStateArrays: zeroed arrays; on wasm, float32 ones of ≥ 4096 elements live in wasm memory, 64-byte aligned, disjoint', () => {
    setBackend('js');
    for (const a of kernelStateArrays('float32', 5000, 2)) {
      expect(a).toBeInstanceOf(Float32Array);
      expect(a.buffer.byteLength).toBe(5000 * 4);
    }
    if (!wasmSupported()) return;
    setBackend('wasm');
    const small = kernelStateArrays('float32', 4095, 2);
    expect(small.map((a) => a.buffer.byteLength)).toEqual([4095 * 4, 4095 * 4]);
    expect(kernelStateArrays('float64', 10000, 1)[0]).toBeInstanceOf(Float64Array);
    const [m, v, w] = kernelStateArrays('float32', 10001, 3) as Float32Array[];
    expect(residentKernels(m!, v!, w!)).not.toBeNull();
    for (const a of [m!, v!, w!]) {
      expect(a.length).toBe(10001);
      expect(a.byteOffset % 64).toBe(0);
      expect(a.every((x) => x === 0)).toBe(true);
    }
    m!.fill(1);
    expect(v!.every((x) => x === 0) && w!.every((x) => x === 0)).toBe(true); // disjoint
    // a request over half an arena gets a memory of its own; the shared arena goes on after it
    const [big] = kernelStateArrays('float32', 3_000_000, 1) as Float32Array[];
    expect(residentKernels(big!)).not.toBeNull();
    expect(big!.buffer).not.toBe(m!.buffer);
    const [after] = kernelStateArrays('float32', 4096, 1) as Float32Array[];
    expect(after!.buffer).toBe(m!.buffer);
    expect(residentKernels(m!, big!)).toBeNull(); // different memories: Adam copies, as for ordinary arrays
    // where the engine refuses the memory, ordinary arrays
    const Memory = WebAssembly.Memory;
    try {
      (WebAssembly as { Memory: unknown }).Memory = function () {
        throw new RangeError('WebAssembly.Memory(): could not allocate memory');
      };
      const [plain] = kernelStateArrays('float32', 3_000_000, 1) as Float32Array[];
      expect(plain!.buffer.byteLength).toBe(3_000_000 * 4);
      expect(residentKernels(plain!)).toBeNull();
    } finally {
      (WebAssembly as { Memory: unknown }).Memory = Memory;
    }
    expect(() => kernelStateArrays('int32' as 'float32', 4, 1)).toThrow(
      "kernelStateArrays: got dtype int32; expected 'float32' or 'float64'",
    );
    expect(() => kernelStateArrays('float32', -1, 1)).toThrow(ValueError);
    setBackend(initial);
  });

  it('adamUpdate on state from kernelStateArrays (updated in wasm memory) = on ordinary arrays, bit for bit; mixed state too', () => {
    if (!wasmSupported()) return;
    setBackend('wasm');
    for (const n of [4096, 16384 * 2 + 5]) {
      for (const amsgrad of [false, true]) {
        const p0 = f32(n + 3);
        const [pa, pb, pc] = [p0.slice(), p0.slice(), p0.slice()];
        const plain = Array.from({ length: 3 }, () => new Float32Array(n));
        const resident = kernelStateArrays('float32', n, 3) as Float32Array[];
        const mixed = [kernelStateArrays('float32', n, 1)[0] as Float32Array, new Float32Array(n), new Float32Array(n)];
        // θ and g in the state's memory too (a Dense kernel, fit's gradient buffers): updated with no copy at all
        const [pd, gd, ...all] = kernelStateArrays('float32', n + 3, 5) as Float32Array[];
        pd!.set(p0);
        expect(residentKernels(...resident)).not.toBeNull();
        expect(residentKernels(pd!, gd!, ...all)).not.toBeNull();
        for (let t = 1; t <= 3; t++) {
          const g = f32(n + 1, t === 2 ? 1e-3 : 1);
          gd!.set(g);
          const sc = [1e-2, 0.9, 0.999, 1e-8, 1 - 0.9 ** t, 1 - 0.999 ** t] as const;
          for (const [p, [m, v, x]] of [
            [pa, plain],
            [pb, resident],
            [pc, mixed],
          ] as const) {
            adamUpdate(p, 3, g, 1, m!, v!, n, ...sc, amsgrad ? x! : null);
          }
          adamUpdate(pd!, 3, gd!, 1, all[0]!, all[1]!, n, ...sc, amsgrad ? all[2]! : null);
        }
        const at = `n=${n} amsgrad=${amsgrad}`;
        expect(bits(pb), at).toEqual(bits(pa));
        expect(bits(pc), at).toEqual(bits(pa));
        expect(bits(pd!), at).toEqual(bits(pa));
        expect(bits(pb.subarray(0, 3)), at).toEqual(bits(p0.subarray(0, 3)));
        for (let i = 0; i < (amsgrad ? 3 : 2); i++) {
          expect(bits(resident[i]!), at).toEqual(bits(plain[i]!));
          expect(bits(mixed[i]!), at).toEqual(bits(plain[i]!));
          expect(bits(all[i]!.subarray(0, n)), at).toEqual(bits(plain[i]!));
          expect(all[i]![n], at).toBe(0); // nothing written past the n elements
        }
        expect(plain[0]!.some((x) => x !== 0)).toBe(true);
      }
    }
    setBackend(initial);
  });

  it('the dispatchers follow the backend switch, take float64 on the JS path and check ranges', () => {
    const x = f32(12),
      b = f32(4);
    const outs = (['js', 'wasm'] as BackendName[]).map((be) => {
      setBackend(be);
      const o = new Float32Array(12);
      addRowVector(x, 0, 3, 4, b, 0, o, 0, true);
      reluBackward(x, 0, o, 0, o, 0, 12);
      const cs = new Float32Array(4);
      columnSum(o, 0, 3, 4, cs, 0);
      const p = x.slice(),
        m = new Float32Array(12),
        v = new Float32Array(12);
      adamUpdate(p, 0, o, 0, m, v, 12, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001);
      return [...o, ...cs, ...p];
    });
    expect(outs[1]).toEqual(outs[0]);
    setBackend('wasm');
    const x64 = Float64Array.from(x),
      o64 = new Float64Array(4);
    columnSum(x64, 0, 3, 4, o64, 0);
    for (let j = 0; j < 4; j++) expect(o64[j]).toBeCloseTo(x64[j]! + x64[4 + j]! + x64[8 + j]!, 14);
    expect(() => columnSum(x, 0, 4, 4, o64, 0)).toThrow('columnSum: x needs elements [0, 16) but has length 12');
    expect(() => reluBackward(x, 0, x, 0, x, 1, 12)).toThrow(/reluBackward: out needs elements \[1, 13\)/);
    expect(() => adamUpdate(x, 0, x, 0, x, x, -1, 1, 0.9, 0.9, 1e-8, 1, 1)).toThrow(ValueError);
    setBackend(initial);
  });
});

/** Float32 values equal bit for bit, or both NaN (NaN payloads are not specified by JS or wasm). */
function expectSameF32(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  const gb = bits(got),
    wb = bits(want);
  for (let i = 0; i < got.length; i++) {
    if (gb[i] === wb[i] || (Number.isNaN(got[i]!) && Number.isNaN(want[i]!))) continue;
    expect(`${got[i]} (0x${gb[i]!.toString(16)})`, `${what} at ${i}`).toBe(`${want[i]} (0x${wb[i]!.toString(16)})`);
  }
}

/** Random float32 data with NaN, ±0, ±Inf, subnormals and huge values sprinkled in (`phase` shifts the pattern). */
function specials(n: number, phase: number): Float32Array {
  const a = f32(n);
  const sp = [NaN, 0, -0, Infinity, -Infinity, 1e-45, -3e-39, 3e38, -3e38, 1, -1];
  for (let i = 0; i < n; i++) if ((i + phase) % 3 === 0) a[i] = sp[(i * 7 + phase) % sp.length]!;
  return a;
}

const binOps: BinaryKernelOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
const naive: Record<BinaryKernelOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  maximum: Math.max,
  minimum: Math.min,
};

describe('binary kernels', () => {
  it('wasm = JS bit for bit = naive float32 loop: every op, array or scalar operands, NaN/±0/±Inf, odd lengths, offsets', () => {
    for (const n of [1, 3, 4, 7, 8, 9, 31, 33, 1000, 16384 * 2 + 13]) {
      const a = specials(n + 2, 0),
        b = specials(n + 1, 1);
      // exact ±0 pairs both ways round for maximum/minimum
      if (n > 4) {
        a[2] = -0;
        b[1] = 0;
        a[3] = 0;
        b[2] = -0;
        a[4] = NaN;
        b[3] = NaN;
      }
      for (const op of binOps) {
        const scalars = [2.5, -0, 0, NaN, -Infinity];
        const cases: [number, number, Float32Array, Float32Array][] = [[1, 1, a, b]];
        for (const s of scalars) {
          cases.push([1, 0, a, Float32Array.of(9, s)], [0, 1, Float32Array.of(9, 9, s), b]);
        }
        for (const [sa, sb, A, B] of cases) {
          const aOff = 2,
            bOff = 1;
          const oj = new Float32Array(n + 1).fill(7),
            ow = oj.slice();
          binaryJs(op, A, aOff, sa, B, bOff, sb, oj, 1, n);
          binaryWasm(op, A, aOff, sa, B, bOff, sb, ow, 1, n);
          const what = `${op} n=${n} steps ${sa},${sb} scalar ${sa === 0 ? A[2] : sb === 0 ? B[1] : '-'}`;
          expectSameF32(ow, oj, what);
          expect(ow[0]).toBe(7);
          const want = new Float32Array(n);
          for (let i = 0; i < n; i++) want[i] = naive[op](A[aOff + i * sa]!, B[bOff + i * sb]!);
          expectSameF32(ow.subarray(1), want, `${what} vs naive`);
        }
      }
    }
  });

  it('max/min: −0 < +0 and NaN wins in either position, like Math.max/Math.min', () => {
    const a = Float32Array.of(-0, 0, NaN, 1, -0, 0, NaN, 5, 3);
    const b = Float32Array.of(0, -0, 1, NaN, -0, 0, NaN, -Infinity, Infinity);
    const mx = new Float32Array(9),
      mn = new Float32Array(9);
    binaryWasm('maximum', a, 0, 1, b, 0, 1, mx, 0, 9);
    binaryWasm('minimum', a, 0, 1, b, 0, 1, mn, 0, 9);
    expect(Array.from(mx)).toEqual([0, 0, NaN, NaN, -0, 0, NaN, 5, Infinity]);
    expect(Array.from(mn)).toEqual([-0, -0, NaN, NaN, -0, 0, NaN, -Infinity, 3]);
    expect(Object.is(mx[0], 0) && Object.is(mx[1], 0) && Object.is(mn[0], -0) && Object.is(mn[1], -0)).toBe(true);
  });

  it('in place (out = a) gives the same result', () => {
    const n = 16384 + 77;
    const a = specials(n, 2),
      b = specials(n, 0);
    for (const op of binOps) {
      const want = new Float32Array(n);
      binaryJs(op, a, 0, 1, b, 0, 1, want, 0, n);
      const x = a.slice();
      binaryWasm(op, x, 0, 1, b, 0, 1, x, 0, n);
      expectSameF32(x, want, op);
    }
  });

  it('the dispatcher follows the backend switch, runs float64 in JS and checks its arguments', () => {
    const n = BINARY_WASM_MIN + 5;
    const a = specials(n, 1),
      b = specials(n, 2);
    const outs = (['js', 'wasm'] as BackendName[]).map((be) => {
      setBackend(be);
      const o = new Float32Array(n);
      binaryKernel('div', a, 0, 1, b, 0, 1, o, 0, n);
      return o;
    });
    expectSameF32(outs[1]!, outs[0]!, 'div dispatch');
    setBackend('wasm');
    const a64 = Float64Array.from(a),
      o64 = new Float64Array(n);
    binaryKernel('mul', a64, 0, 1, Float64Array.of(0.1), 0, 0, o64, 0, n);
    for (let i = 0; i < n; i += 97) expect(Object.is(o64[i], a64[i]! * 0.1)).toBe(true);
    expect(() => binaryKernel('add', a, 0, 2, b, 0, 1, o64, 0, 3)).toThrow(ValueError);
    expect(() => binaryKernel('add', a, 1, 1, b, 0, 1, new Float32Array(n), 0, n)).toThrow(/binaryKernel: a needs elements \[1, /);
    expect(() => binaryKernel('add', a, 0, 1, b, 0, 0, new Float32Array(n), 1, n)).toThrow(/binaryKernel: out needs/);
    setBackend(initial);
  });

  it('tensor ops give the same float32 results on both backends (contiguous, offset views, scalar either side, strided)', () => {
    const n = 3 * BINARY_WASM_MIN + 3;
    const x = randn([3, n / 3], { generator: gen }),
      y = randn([3, n / 3], { generator: gen });
    x.data[5] = NaN;
    y.data[6] = -0;
    x.data[6] = 0;
    y.data[7] = Infinity;
    const fns = [add, sub, mul, div, maximum, minimum];
    const run = (): Tensor[] =>
      fns.flatMap((fn) => [
        fn(x, y),
        fn(x, 0.3),
        fn(-1.5, y),
        fn(x.T, y.T),
        fn(x, y.get(0, 1)),
        fn(x.slice(1), y.slice(2)),
        fn(x.slice(null, [1, n / 3]), 2),
      ]);
    setBackend('js');
    const js = run();
    setBackend('wasm');
    const wasm = run();
    setBackend(initial);
    js.forEach((t, i) => {
      expect(wasm[i]!.shape).toEqual(t.shape);
      expect(wasm[i]!.dtype).toBe('float32');
      expectSameF32(wasm[i]!.contiguous().values() as Float32Array, t.contiguous().values() as Float32Array, `result ${i}`);
    });
    // against a naive float32 loop
    const s = sub(-1.5, y).values();
    for (let i = 0; i < n; i += 53) expect(Object.is(s[i], Math.fround(-1.5 - y.data[i]!))).toBe(true);
  });
});

describe('float32 row sums (four rows interleaved)', () => {
  it('sum over the last axis is bit-identical to a sequential float64 loop per row: row counts 1–9, offsets, padded rows, NaN/Inf', () => {
    for (const rows of [1, 2, 3, 4, 5, 7, 8, 9, 64]) {
      for (const cols of [1, 3, 10, 784]) {
        const base = randn([rows, cols + 3], { generator: gen });
        base.data[7] = rows === 5 ? NaN : base.data[7]!;
        base.data[8] = rows === 7 ? Infinity : base.data[8]!;
        // contiguous, an offset view, and rows padded apart (kept stride cols + 3)
        const views = [randn([rows, cols], { generator: gen }), base.slice(null, [2, cols + 2]), base.slice(null, [0, cols])];
        for (const v of views) {
          const got = sum(v, -1).values() as Float32Array;
          const m = mean(v, 1).values() as Float32Array;
          for (let r = 0; r < rows; r++) {
            let a = 0;
            for (let i = 0; i < cols; i++) a += v.get(r, i);
            expect(Object.is(got[r], Math.fround(a)) || (Number.isNaN(a) && Number.isNaN(got[r]!)), `${rows}×${cols} row ${r}`).toBe(true);
            expect(Object.is(m[r], Math.fround(a / cols)) || Number.isNaN(a)).toBe(true);
          }
        }
      }
    }
    // 3-D: the kept axes merge into one run of equally spaced rows
    const x = randn([3, 5, 17], { generator: gen });
    const s = sum(x, 2);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 5; j++) {
        let a = 0;
        for (let k = 0; k < 17; k++) a += x.get(i, j, k);
        expect(s.get(i, j)).toBe(Math.fround(a));
      }
    }
  });
});

describe('gemm worker threads (optional hook)', () => {
  it('splitting C between the caller and a worker gives bit-identical results, on shared memory', async () => {
    const shapes3: [number, number, number, boolean, boolean][] = [
      [64, 128, 784, false, false],
      [784, 128, 64, true, false],
      [64, 784, 128, false, true],
      [100, 37, 300, true, true],
      // last column panels that are partial (500 = 62·8 + 4 = 41·12 + 8, 90 = 11·8 + 2 = 7·12 + 6)
      [128, 500, 256, false, false],
      [200, 90, 300, true, true],
    ];
    const inputs = shapes3.map(([m, n, k, tA, tB]) => ({
      m,
      n,
      k,
      tA,
      tB,
      A: f32(m * k),
      B: f32(k * n),
      C0: f32(m * n),
    }));
    const run = (acc: boolean): Float32Array[] =>
      wasmVariants.flatMap((variant) =>
        inputs.map(({ m, n, k, tA, tB, A, B, C0 }) => {
          const C = C0.slice();
          gemmOf[variant](tA, tB, m, n, k, A, 0, tA ? m : k, B, 0, tB ? k : n, C, 0, n, acc);
          return C;
        }),
      );
    // split products run on 4×8; the 3×12 tile, forced, must split the same way
    const on312 = relaxedSimdSupported() ? gemmVariant(true, GEMM_TILES.fma[1]!) : null;
    const forced = (acc: boolean): Float32Array[] =>
      on312 === null
        ? []
        : inputs.map(({ m, n, k, tA, tB, A, B, C0 }) => {
            const C = C0.slice();
            on312(tA, tB, m, n, k, A, 0, tA ? m : k, B, 0, tB ? k : n, C, 0, n, acc);
            return C;
          });
    const single312 = [...forced(false), ...forced(true)];
    const single = [...run(false), ...run(true)];
    const worker = new Worker(`(${gemmWorkerSource})(require('node:worker_threads').parentPort)`, { eval: true });
    try {
      setGemmWorkers([worker]);
      const t0 = Date.now();
      while (gemmWorkersReady() < 1 && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 10));
      expect(gemmWorkersReady()).toBe(1);
      const threaded = [...run(false), ...run(true)];
      threaded.forEach((c, i) => expect(bits(c), `case ${i}`).toEqual(bits(single[i]!)));
      [...forced(false), ...forced(true)].forEach((c, i) => expect(bits(c), `3×12 case ${i}`).toEqual(bits(single312[i]!)));
      // and the same bits as 4×8 (the FMA results are the second half of each run)
      single312.forEach((c, i) => {
        const j = (i < inputs.length ? 0 : 2 * inputs.length) + inputs.length + (i % inputs.length);
        expect(bits(c), `3×12 = 4×8, case ${i}`).toEqual(bits(single[j]!));
      });
      // the training-step kernels keep working on the shared memory
      const o = new Float32Array(6);
      addRowVectorWasm(f32(6), 0, 2, 3, f32(3), 0, o, 0, true);
      expect(o.every((x) => x >= 0)).toBe(true);
    } finally {
      setGemmWorkers(null);
      await worker.terminate();
    }
    expect(gemmWorkersReady()).toBe(0);
    expect(bits(run(false)[0]!)).toEqual(bits(single[0]!));
  });

  it('with workers in use, kernel state lives in their shared memory: split products and Adam use it in place, same bits', async () => {
    setBackend(wasmVariants.at(-1)!);
    const [Wv, Xv, dy] = [f32(784 * 128), f32(64 * 784), f32(64 * 128)];
    /** x·W, xᵀ·dy into `dW` and dy·Wᵀ (the MLP-A products, all large enough to split) on every variant. */
    const products = (W: Float32Array, X: Float32Array, dW: Float32Array): Float32Array[] =>
      wasmVariants.flatMap((variant) => {
        const [y, dx] = [new Float32Array(64 * 128), new Float32Array(64 * 784)];
        gemmOf[variant](false, false, 64, 128, 784, X, 0, 784, W, 0, 128, y, 0, 128);
        gemmOf[variant](true, false, 784, 128, 64, X, 0, 784, dy, 0, 128, dW, 0, 128);
        gemmOf[variant](false, true, 64, 784, 128, dy, 0, 128, W, 0, 128, dx, 0, 784);
        return [y, dW.slice(), dx];
      });
    const single = products(Wv, Xv, new Float32Array(784 * 128));
    const adamRef = [f32(40000), f32(40000, 0.1), new Float32Array(40000), new Float32Array(40000)];
    const adamStep = (p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array): void =>
      adamUpdateWasm(p, 0, g, 0, m, v, 40000, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001);
    const before = kernelStateArrays('float32', 5000, 1)[0]!;
    const worker = new Worker(`(${gemmWorkerSource})(require('node:worker_threads').parentPort)`, { eval: true });
    let W: Float32Array;
    try {
      setGemmWorkers([worker]);
      const t0 = Date.now();
      while (gemmWorkersReady() < 1 && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 10));
      expect(gemmWorkersReady()).toBe(1);
      const [w, x, dW] = kernelStateArrays('float32', 784 * 128, 3) as Float32Array[];
      W = w!;
      expect(W.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(before.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      W.set(Wv);
      const X = x!.subarray(0, 64 * 784);
      X.set(Xv);
      products(W, X, dW!).forEach((c, i) => expect(bits(c), `product ${i}`).toEqual(bits(single[i]!)));
      // Adam on state handed out before and after the shared memory grew (a new buffer object over the same memory)
      const [p, g] = kernelStateArrays('float32', 40000, 2) as Float32Array[];
      gemmOf.wasm(false, false, 700, 700, 700, f32(490000), 0, 700, f32(490000), 0, 700, new Float32Array(490000), 0, 700);
      const [m, v] = kernelStateArrays('float32', 40000, 2) as Float32Array[];
      expect(m!.buffer).not.toBe(p!.buffer);
      expect(residentKernels(p!, g!, m!, v!)).not.toBeNull();
      p!.set(adamRef[0]!);
      g!.set(adamRef[1]!);
      for (let t = 0; t < 3; t++) {
        adamStep(p!, g!, m!, v!);
        adamStep(...(adamRef as [Float32Array, Float32Array, Float32Array, Float32Array]));
      }
      expect(bits(p!)).toEqual(bits(adamRef[0]!));
      expect(bits(v!)).toEqual(bits(adamRef[3]!));
      expect(bits(W)).toEqual(bits(Wv)); // untouched by the products' scratch
      // a large update is split with the worker (units of 1024 elements; n not a multiple of 4): the same bits, AMSGrad too
      const big = 100003;
      for (const amsgrad of [false, true]) {
        const [p1, g1, m1, v1, x1] = kernelStateArrays('float32', big, 5) as Float32Array[];
        const ref = [f32(big), f32(big, 0.1), new Float32Array(big), new Float32Array(big), new Float32Array(big)];
        p1!.set(ref[0]!);
        for (let t = 1; t <= 3; t++) {
          const g = f32(big, t === 2 ? 1e-3 : 1);
          g1!.set(g);
          const sc = [1e-3, 0.9, 0.999, 1e-8, 1 - 0.9 ** t, 1 - 0.999 ** t] as const;
          adamUpdateWasm(p1!, 0, g1!, 0, m1!, v1!, big, ...sc, amsgrad ? x1! : null);
          adamUpdateWasm(ref[0]!, 0, g, 0, ref[2]!, ref[3]!, big, ...sc, amsgrad ? ref[4]! : null);
        }
        expect(bits(p1!), `amsgrad ${amsgrad}`).toEqual(bits(ref[0]!));
        expect(bits(m1!)).toEqual(bits(ref[2]!));
        expect(bits(v1!)).toEqual(bits(ref[3]!));
        if (amsgrad) expect(bits(x1!)).toEqual(bits(ref[4]!));
      }
    } finally {
      setGemmWorkers(null);
      await worker.terminate();
    }
    // after the workers: the views stay valid, products on them run on one thread, new state goes to arenas again
    const dW2 = kernelStateArrays('float32', 784 * 128, 1)[0] as Float32Array;
    expect(dW2.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    products(W, Xv, dW2).forEach((c, i) => expect(bits(c), `after, product ${i}`).toEqual(bits(single[i]!)));
    setBackend(initial);
  });
});
