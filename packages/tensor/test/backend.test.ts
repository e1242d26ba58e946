import { afterAll, describe, expect, it } from 'vitest';
import {
  Generator,
  ValueError,
  gemm,
  gemmJs,
  gemmWasm,
  getBackend,
  matmul,
  randn,
  setBackend,
  wasmSupported,
  type BackendName,
  type Tensor,
} from '@tapegrad/tensor';
import { encodeModule, sleb, uleb } from '../src/backend/wasm/encoder.js';
import { gemmModule } from '../src/backend/wasm/gemm-module.js';

const gen = new Generator(7);
const rnd = (shape: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor => randn(shape, { generator: gen, dtype });
const initial = getBackend();

afterAll(() => {
  setBackend(initial);
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
  [1, 1, 1], [3, 5, 7], [4, 8, 256], [5, 9, 257], [17, 23, 29], [37, 1, 36], [1, 37, 35], [131, 19, 300],
  [64, 128, 784], [784, 128, 64], [64, 784, 128],
];

function operands(m: number, n: number, k: number, tA: boolean, tB: boolean, dtype: 'float32' | 'float64' = 'float32'): [Tensor, Tensor] {
  return [tA ? rnd([k, m], dtype).T : rnd([m, k], dtype), tB ? rnd([n, k], dtype).T : rnd([k, n], dtype)];
}

describe.each(['js', 'wasm'] as BackendName[])('backend %s', (backend) => {
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
    const A = rnd([n * n]).values().slice() as Float32Array;
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
  it('wasm SIMD is available on Node 20 and is the default unless TAPEGRAD_BACKEND says otherwise', () => {
    expect(wasmSupported()).toBe(true);
    const env = process.env.TAPEGRAD_BACKEND;
    expect(initial).toBe(env === 'js' || env === 'wasm' ? env : 'wasm');
    expect(setBackend('auto')).toBe('wasm');
  });

  it('agree within float32 tolerance on the MLP shapes and all transposes', () => {
    for (const [m, n, k] of shapes) {
      for (let t = 0; t < 4; t++) {
        const [a, b] = operands(m, n, k, t % 2 === 1, t >= 2);
        setBackend('js');
        const cj = matmul(a, b).values();
        setBackend('wasm');
        const cw = matmul(a, b).values();
        const ref = reference(a, b);
        let worst = 0;
        for (let i = 0; i < cj.length; i++) {
          worst = Math.max(worst, Math.abs(cj[i]! - cw[i]!) / ((k + 2) * 2 ** -22 * ref.bound[i]! + 1e-30));
        }
        expect(worst, `${m}×${k}·${k}×${n} trans ${t}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('wasm is bit-identical run to run, also after the memory grew and other products ran', () => {
    setBackend('wasm');
    const [a, b] = operands(64, 128, 784, false, false);
    const first = matmul(a, b).values().slice();
    matmul(rnd([300, 700]), rnd([700, 500])); // grows memory
    matmul(rnd([3, 5]), rnd([5, 2]));
    const second = matmul(a, b).values();
    expect(new Uint32Array(second.buffer, second.byteOffset, second.length)).toEqual(new Uint32Array(first.buffer));
    const [at, bt] = operands(33, 47, 513, true, true);
    const x = matmul(at, bt).values().slice();
    expect(Array.from(matmul(at, bt).values())).toEqual(Array.from(x));
  });

  it('gemmWasm and gemmJs agree when called directly with offsets and padded leading dimensions', () => {
    const [m, n, k, lda, ldb, ldc] = [11, 14, 40, 43, 17, 15];
    const A = rnd([3 + m * lda]).values() as Float32Array;
    const B = rnd([2 + k * ldb]).values() as Float32Array;
    const Cj = new Float32Array(1 + m * ldc).fill(7);
    const Cw = Cj.slice();
    gemmJs(false, false, m, n, k, A, 3, lda, B, 2, ldb, Cj, 1, ldc, true);
    gemmWasm(false, false, m, n, k, A, 3, lda, B, 2, ldb, Cw, 1, ldc, true);
    let worst = 0;
    for (let i = 0; i < Cj.length; i++) worst = Math.max(worst, Math.abs(Cj[i]! - Cw[i]!));
    expect(worst).toBeLessThan(1e-4);
    expect(Cw[0]).toBe(7);
    expect(Cw[1 + n]).toBe(7); // padding between rows untouched
  });

  it('rejects unknown backend names', () => {
    expect(() => setBackend('gpu' as BackendName)).toThrow(ValueError);
    expect(() => setBackend('gpu' as BackendName)).toThrow("setBackend: unknown backend 'gpu'; expected 'js', 'wasm' or 'auto'");
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
    for (const [mr, nrv] of [[4, 2], [6, 2], [4, 4], [1, 1]] as const) expect(WebAssembly.validate(gemmModule(mr, nrv))).toBe(true);
  });
});
