import { Code, F32, I32, V128, encodeModule, type FuncDef } from './encoder.js';

/**
 * Emits the float32 training-step kernels as a WebAssembly SIMD module (addresses in bytes, counts in
 * elements). Each runs four lanes at a time and finishes with a scalar tail doing the same float32
 * operations in the same order, so the lanes and the tail agree bit for bit (and the elementwise kernels
 * match {@link addRowVectorJs} etc. bit for bit).
 *
 * - `adam(p, g, m, v, n, b1, c1, b2, c2, eps, step, ibc2, tiny)`: Adam ({@link adamUpdateJs}'s rule, in float32
 *   arithmetic) in place on `p`, `m`, `v` (`step = lr/bc₁`, `ibc2 = 1/√bc₂`; a new moment of magnitude below
 *   `tiny` is stored as +0, NaN kept); `adamMax(p, g, m, v, vmax, n, …)` the AMSGrad variant, with
 *   `v̂ = max(v̂, v)` in `vmax` used in the denominator.
 * - `addRow(x, rows, cols, b, out)` / `addRowRelu(...)`: `out[i, j] = x[i, j] + b[j]` (then ReLU).
 * - `reluBack(dy, y, out, n)`: `out = y > 0 ? dy : 0`.
 * - `colSum(x, rows, cols, out)`: `out[j] += Σᵢ x[i, j]`, rows in order.
 *
 * With `sharedMaxPages > 0` the module imports a shared memory of at most that many pages.
 */
export function kernelsModule(sharedMaxPages = 0): Uint8Array<ArrayBuffer> {
  const funcs = [adamFn(false), adamFn(true), addRowFn('addRow', false), addRowFn('addRowRelu', true), reluBackFn(), colSumFn()];
  return encodeModule(funcs, 1, sharedMaxPages);
}

/**
 * Emits `for (j = 0; j < n; j++) body` as a 4-lane loop plus a scalar tail: `body(simd)` must consume and
 * advance nothing itself; `step(bytes)` is called after each iteration to advance the pointers.
 */
function lanes(c: Code, n: number, body: (simd: boolean) => void, step: (bytes: number) => void): void {
  const left = c.local(I32);
  c.get(n).set(left);
  c.block().loop();
  c.get(left).i32(4).ltS().brIf(1);
  body(true);
  step(16);
  c.inc(left, -4);
  c.br(0).end().end();
  c.block().loop();
  c.get(left).eqz().brIf(1);
  body(false);
  step(4);
  c.inc(left, -1);
  c.br(0).end().end();
}

/** Emits `for (i = 0; i < rows; i++) body()` (unsigned compare; `rows` a local holding the count). */
function forRows(c: Code, rows: number, body: () => void): void {
  const i = c.local(I32);
  c.block().loop();
  c.get(i).get(rows).geU().brIf(1);
  body();
  c.inc(i, 1);
  c.br(0).end().end();
}

const load = (c: Code, simd: boolean): Code => (simd ? c.v128Load() : c.f32Load());
const store = (c: Code, simd: boolean): Code => (simd ? c.v128Store() : c.f32Store());

function adamFn(amsgrad: boolean): FuncDef {
  const [p, g, m, v, vmax] = [0, 1, 2, 3, 4];
  const n = amsgrad ? 5 : 4; // after the pointers p, g, m, v (and vmax)
  const scalars = [n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7, n + 8];
  const [b1, c1, b2, c2, eps, step, bc2, tiny] = scalars as [number, number, number, number, number, number, number, number];
  const c = new Code(n + 9);
  const vec = scalars.map(() => c.local(V128));
  const [B1, C1, B2, C2, EPS, STEP, BC2, TINY] = vec as [number, number, number, number, number, number, number, number];
  scalars.forEach((s, i) => c.get(s).f32x4Splat().set(vec[i]!));
  const [gv, mv, vv, wv] = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  const [gs, ms, vs, ws] = [c.local(F32), c.local(F32), c.local(F32), c.local(F32)];
  lanes(
    c,
    n,
    (simd) => {
      const [G, M, V, W] = simd ? [gv, mv, vv, wv] : [gs, ms, vs, ws];
      const [kb1, kc1, kb2, kc2, keps, kstep, kbc2, ktiny] = simd
        ? [B1, C1, B2, C2, EPS, STEP, BC2, TINY]
        : [b1, c1, b2, c2, eps, step, bc2, tiny];
      // x = |x| < tiny ? +0 : x (a subnormal moment would slow every later step's arithmetic on it)
      const flush = (x: number): void => {
        if (simd) c.get(x).get(x).f32x4Abs().get(ktiny).f32x4Lt().v128AndNot().set(x);
        else c.f32Const(0).get(x).get(x).f32Abs().get(ktiny).f32Lt().select().set(x);
      };
      const mul = (): Code => (simd ? c.f32x4Mul() : c.f32Mul());
      const add = (): Code => (simd ? c.f32x4Add() : c.f32Add());
      const sub = (): Code => (simd ? c.f32x4Sub() : c.f32Sub());
      const div = (): Code => (simd ? c.f32x4Div() : c.f32Div());
      const sqrt = (): Code => (simd ? c.f32x4Sqrt() : c.f32Sqrt());
      load(c.get(g), simd).set(G);
      // m = b1*m + c1*g
      c.get(kb1);
      load(c.get(m), simd);
      mul().get(kc1).get(G);
      mul();
      add().set(M);
      // v = b2*v + c2*(g*g)
      c.get(kb2);
      load(c.get(v), simd);
      mul().get(kc2).get(G).get(G);
      mul();
      mul();
      add().set(V);
      flush(M);
      flush(V);
      c.get(m).get(M);
      store(c, simd);
      c.get(v).get(V);
      store(c, simd);
      if (amsgrad) {
        // v = vmax = (vmax < v ? v : vmax), i.e. `if (v > vmax) vmax = v` (NaN in v keeps vmax)
        load(c.get(vmax), simd).set(W);
        if (simd) c.get(W).get(V).f32x4Pmax();
        else c.get(V).get(W).get(V).get(W).f32Gt().select();
        c.set(V).get(vmax).get(V);
        store(c, simd);
      }
      // p = p - step * (m / (sqrt(v)*ibc2 + eps))
      c.get(p);
      load(c.get(p), simd);
      c.get(kstep).get(M).get(V);
      sqrt().get(kbc2);
      mul().get(keps);
      add();
      div();
      mul();
      sub();
      store(c, simd);
    },
    (bytes) => {
      for (const x of amsgrad ? [p, g, m, v, vmax] : [p, g, m, v]) c.inc(x, bytes);
    },
  );
  const params = [...new Array<number>(n + 1).fill(I32), ...new Array<number>(scalars.length).fill(F32)];
  return { name: amsgrad ? 'adamMax' : 'adam', params, results: [], code: c };
}

function addRowFn(name: string, relu: boolean): FuncDef {
  const [x, rows, cols, b, out] = [0, 1, 2, 3, 4];
  const c = new Code(5);
  const bj = c.local(I32);
  const zero = c.local(V128);
  const s = c.local(F32);
  c.v128Zero().set(zero);
  forRows(c, rows, () => {
    c.get(b).set(bj);
    lanes(
      c,
      cols,
      (simd) => {
        c.get(out);
        if (relu && simd) c.get(zero); // pmax(0, s) = 0 < s ? s : 0
        load(c.get(x), simd);
        load(c.get(bj), simd);
        if (simd) c.f32x4Add();
        else c.f32Add();
        if (relu && simd) c.f32x4Pmax();
        if (relu && !simd) c.set(s).get(s).f32Const(0).get(s).f32Const(0).f32Gt().select();
        store(c, simd);
      },
      (bytes) => {
        c.inc(x, bytes).inc(out, bytes).inc(bj, bytes);
      },
    );
  });
  return { name, params: [I32, I32, I32, I32, I32], results: [], code: c };
}

function reluBackFn(): FuncDef {
  const [dy, y, out, n] = [0, 1, 2, 3];
  const c = new Code(4);
  const zero = c.local(V128);
  c.v128Zero().set(zero);
  lanes(
    c,
    n,
    (simd) => {
      c.get(out);
      if (simd) {
        load(c.get(dy), true);
        load(c.get(y), true).get(zero).f32x4Gt();
        c.v128And();
      } else {
        load(c.get(dy), false).f32Const(0);
        load(c.get(y), false).f32Const(0).f32Gt();
        c.select();
      }
      store(c, simd);
    },
    (bytes) => {
      c.inc(dy, bytes).inc(y, bytes).inc(out, bytes);
    },
  );
  return { name: 'reluBack', params: [I32, I32, I32, I32], results: [], code: c };
}

function colSumFn(): FuncDef {
  const [x, rows, cols, out] = [0, 1, 2, 3];
  const c = new Code(4);
  const o = c.local(I32);
  forRows(c, rows, () => {
    c.get(out).set(o);
    lanes(
      c,
      cols,
      (simd) => {
        c.get(o);
        load(c.get(o), simd);
        load(c.get(x), simd);
        if (simd) c.f32x4Add();
        else c.f32Add();
        store(c, simd);
      },
      (bytes) => {
        c.inc(x, bytes).inc(o, bytes);
      },
    );
  });
  return { name: 'colSum', params: [I32, I32, I32, I32], results: [], code: c };
}
