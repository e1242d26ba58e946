import { Code, I32, V128, encodeModule, type FuncDef } from './encoder.js';

/** A micro-kernel tile: `MR` rows × `NR` columns of C (`NR` a multiple of 4: `NR / 4` v128 accumulators per row). */
export interface Tile {
  MR: number;
  NR: number;
}

/**
 * Emits the float32 GEMM kernels for one micro-kernel tile as a WebAssembly SIMD module.
 * Addresses and strides are in bytes.
 *
 * - `pack(src, so, si, o0, no, ni, dst, R)`: for `o0 ≤ o < no`, element `(o, p)` at `src + o*so + p*si`
 *   goes to panel `o / R`, row `p`, lane `o % R` of `dst` (panels of `ni*R` floats). Scalar; any strides.
 *   Padding lanes are left alone.
 * - `packT(src, ld, nq, ni, dst, R)`: the same for `4*nq` lanes whose rows are contiguous in the source
 *   (element `(o, p)` at `src + o*ld + p*4`), four lanes × four rows at a time with a v128 4×4 transpose
 *   (`R` a multiple of 4); `packT3(src, ld, panels, ni, dst)` likewise for 3-lane panels (three lanes × four rows).
 * - `packRows{R}(src, ld, panels, ni, dst)`, one per lane count `R` of the tiles: the same for full panels whose
 *   `R` lanes are contiguous in the source (row `p` of panel `q` is `src + q*R*4 + p*ld`): v128 copies. When `R` is
 *   not a multiple of 4, each row's last copy reads and writes up to 3 floats past the row; the next row overwrites
 *   them, and the caller leaves room for those of the last row (and something readable after the last source row).
 * - `macroAdd{MR}x{NR}(ap, bp, c, mp, np, kc, ldc, aStep, aPanel, bStep, bPanel, nvLast)`: `C += A·B` (`macroSet…`:
 *   `C = A·B`) for `mp` A panels (`MR` rows) and `np` B panels (`NR` columns) of depth `kc`; each `MR×NR` tile is
 *   summed in v128 locals by the micro-kernel, then added to C (row stride `ldc`) — for the tiles of the last B
 *   panel only their first `nvLast` column vectors, so C's rows need only be as wide as the columns rounded up to 4.
 *   Panel `q` of A starts at `ap + q*aPanel` and its lanes at depth `p + 1` lie `aStep` bytes after those at depth
 *   `p` (packed: `aStep = MR*4`, `aPanel = kc*MR*4`; read in place from a matrix whose lanes are contiguous: `aStep`
 *   = its row stride, `aPanel = MR*4`); likewise B with `bStep`, `bPanel`. With `fma` the micro-kernel multiplies
 *   and adds with one relaxed-SIMD `f32x4.relaxed_madd` (fused where the CPU has FMA: one rounding instead of two), else with
 *   `f32x4.mul` then `f32x4.add`. Every element of C is summed over the depth in the same order whatever the
 *   tile, so all tiles give the same bits.
 */
export function gemmModule({ MR, NR }: Tile, sharedMaxPages = 0, fma = false): Uint8Array<ArrayBuffer> {
  return encodeModule(
    [
      packFn(),
      packTFn(),
      packT3Fn(),
      ...[...new Set([MR, NR])].map(packRowsFn),
      macroFn(`macroAdd${MR}x${NR}`, MR, NR / 4, NR, true, fma),
      macroFn(`macroSet${MR}x${NR}`, MR, NR / 4, NR, false, fma),
    ],
    1,
    sharedMaxPages,
  );
}

function packFn(): FuncDef {
  const [src, so, si, o0, no, ni, dst, R] = [0, 1, 2, 3, 4, 5, 6, 7];
  const c = new Code(8);
  const o = c.local(I32);
  const s = c.local(I32);
  const d = c.local(I32);
  const p = c.local(I32);
  const rstep = c.local(I32);
  c.get(R).i32(2).shl().set(rstep);
  c.get(o0).set(o);
  c.block().loop();
  c.get(o).get(no).geU().brIf(1);
  c.get(src).get(o).get(so).mul().add().set(s);
  // d = dst + ((o / R) * ni * R + o % R) * 4
  c.get(dst).get(o).get(R).raw(0x6e).get(ni).mul().get(R).mul().get(o).get(R).raw(0x70).add().i32(2).shl().add().set(d);
  c.get(ni).set(p);
  c.block().loop();
  c.get(p).eqz().brIf(1);
  c.get(d).get(s).f32Load().f32Store();
  c.incBy(s, si).incBy(d, rstep).inc(p, -1);
  c.br(0).end().end();
  c.inc(o, 1);
  c.br(0).end().end();
  return { name: 'pack', params: [I32, I32, I32, I32, I32, I32, I32, I32], results: [], code: c };
}

// Instruction sequences, one wasm statement per line (prettier would break each chain into one call per line).
// prettier-ignore
function packTFn(): FuncDef {
  const [src, ld, nq, ni, dst, R] = [0, 1, 2, 3, 4, 5];
  const c = new Code(6);
  const q = c.local(I32);
  const s = c.local(I32);
  const d = c.local(I32);
  const p = c.local(I32);
  const row = c.local(I32);
  const lane = c.local(I32);
  const r = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  const t = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  c.get(R).i32(4).shl().set(row); // bytes between 4 consecutive packed rows of a panel: 4*R*4
  c.block().loop();
  c.get(q).get(nq).geU().brIf(1);
  c.get(q).i32(2).shl().set(lane);
  c.get(src).get(lane).get(ld).mul().add().set(s);
  // d = dst + ((lane / R) * ni * R + lane % R) * 4
  c.get(dst).get(lane).get(R).raw(0x6e).get(ni).mul().get(R).mul().get(lane).get(R).raw(0x70).add().i32(2).shl().add().set(d);
  c.i32(0).set(p);
  c.block().loop();
  c.get(p).i32(4).add().get(ni).raw(0x4b).brIf(1); // p + 4 > ni (unsigned)
  for (let i = 0; i < 4; i++) {
    c.get(s);
    if (i > 0) c.get(ld).i32(i).mul().add();
    c.v128Load().set(r[i]!);
  }
  c.get(r[0]!).get(r[1]!).shuffle32(0, 4, 1, 5).set(t[0]!);
  c.get(r[0]!).get(r[1]!).shuffle32(2, 6, 3, 7).set(t[1]!);
  c.get(r[2]!).get(r[3]!).shuffle32(0, 4, 1, 5).set(t[2]!);
  c.get(r[2]!).get(r[3]!).shuffle32(2, 6, 3, 7).set(t[3]!);
  const out = (i: number, a: number, l: [number, number, number, number]): void => {
    c.get(d);
    if (i > 0) c.get(R).i32(4 * i).mul().add();
    c.get(t[a]!).get(t[a + 2]!).shuffle32(...l).v128Store();
  };
  out(0, 0, [0, 1, 4, 5]);
  out(1, 0, [2, 3, 6, 7]);
  out(2, 1, [0, 1, 4, 5]);
  out(3, 1, [2, 3, 6, 7]);
  c.inc(s, 16).incBy(d, row).inc(p, 4);
  c.br(0).end().end();
  // leftover rows p < ni: scalar, lane by lane
  c.block().loop();
  c.get(p).get(ni).geU().brIf(1);
  for (let i = 0; i < 4; i++) {
    c.get(d).get(s);
    if (i > 0) c.get(ld).i32(i).mul().add();
    c.f32Load().f32Store(i * 4);
  }
  c.inc(s, 4).get(d).get(R).i32(2).shl().add().set(d).inc(p, 1);
  c.br(0).end().end();
  c.inc(q, 1);
  c.br(0).end().end();
  return { name: 'packT', params: [I32, I32, I32, I32, I32, I32], results: [], code: c };
}

// Instruction sequences, one wasm statement per line (prettier would break each chain into one call per line).
// prettier-ignore
function packT3Fn(): FuncDef {
  const [src, ld, panels, ni, dst] = [0, 1, 2, 3, 4];
  const c = new Code(5);
  const q = c.local(I32);
  const s = c.local(I32);
  const p = c.local(I32);
  const r = [c.local(V128), c.local(V128), c.local(V128)];
  const [t, u, v] = [c.local(V128), c.local(V128), c.local(V128)];
  c.block().loop();
  c.get(q).get(panels).geU().brIf(1);
  c.get(src).get(q).get(ld).mul().i32(3).mul().add().set(s);
  c.i32(0).set(p);
  c.block().loop();
  c.get(p).i32(4).add().get(ni).raw(0x4b).brIf(1); // p + 4 > ni (unsigned)
  c.get(s).v128Load().set(r[0]!);
  c.get(s).get(ld).add().v128Load().set(r[1]!);
  c.get(s).get(ld).i32(2).mul().add().v128Load().set(r[2]!);
  c.get(r[0]!).get(r[1]!).shuffle32(0, 4, 1, 5).set(t); // a0 b0 a1 b1
  c.get(r[0]!).get(r[1]!).shuffle32(2, 6, 3, 7).set(u); // a2 b2 a3 b3
  c.get(t).get(r[2]!).shuffle32(3, 5, 3, 5).set(v); // b1 c1 · ·
  c.get(dst).get(t).get(r[2]!).shuffle32(0, 1, 4, 2).v128Store(); // a0 b0 c0 a1
  c.get(dst).get(v).get(u).shuffle32(0, 1, 4, 5).v128Store(16); // b1 c1 a2 b2
  c.get(dst).get(u).get(r[2]!).shuffle32(6, 2, 3, 7).v128Store(32); // c2 a3 b3 c3
  c.inc(s, 16).inc(dst, 48).inc(p, 4);
  c.br(0).end().end();
  // leftover rows p < ni: scalar
  c.block().loop();
  c.get(p).get(ni).geU().brIf(1);
  c.get(dst).get(s).f32Load().f32Store();
  c.get(dst).get(s).get(ld).add().f32Load().f32Store(4);
  c.get(dst).get(s).get(ld).i32(2).mul().add().f32Load().f32Store(8);
  c.inc(s, 4).inc(dst, 12).inc(p, 1);
  c.br(0).end().end();
  c.inc(q, 1);
  c.br(0).end().end();
  return { name: 'packT3', params: [I32, I32, I32, I32, I32], results: [], code: c };
}

// Instruction sequences, one wasm statement per line (prettier would break each chain into one call per line).
// prettier-ignore
function packRowsFn(R: number): FuncDef {
  const [src, ld, panels, ni, dst] = [0, 1, 2, 3, 4];
  const c = new Code(5);
  const q = c.local(I32);
  const s = c.local(I32);
  const p = c.local(I32);
  c.block().loop();
  c.get(q).get(panels).geU().brIf(1);
  c.get(src).get(q).i32(R * 4).mul().add().set(s);
  c.get(ni).set(p);
  c.block().loop();
  c.get(p).eqz().brIf(1);
  for (let v = 0; v < Math.ceil(R / 4); v++) c.get(dst).get(s).v128Load(v * 16).v128Store(v * 16);
  c.incBy(s, ld).inc(dst, R * 4).inc(p, -1);
  c.br(0).end().end();
  c.inc(q, 1);
  c.br(0).end().end();
  return { name: `packRows${R}`, params: [I32, I32, I32, I32, I32], results: [], code: c };
}

// Instruction sequences, one wasm statement per line (prettier would break each chain into one call per line).
// prettier-ignore
function macroFn(name: string, MR: number, NRV: number, NR: number, accumulate: boolean, fma: boolean): FuncDef {
  const [ap, bp, cp, mp, np, kc, ldc, aStep, aPanel, bStep, bPanel, nvLast] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const c = new Code(12);
  const jr = c.local(I32);
  const ir = c.local(I32);
  const a = c.local(I32);
  const b = c.local(I32);
  const p = c.local(I32);
  const cr = c.local(I32);
  const nv = c.local(I32);
  const acc: number[][] = [];
  for (let r = 0; r < MR; r++) acc.push(Array.from({ length: NRV }, () => c.local(V128)));
  const bv = Array.from({ length: NRV }, () => c.local(V128));
  const av = c.local(V128);

  // for jr in 0..np
  c.block().loop();
  c.get(jr).get(np).geU().brIf(1);
  c.i32(NRV).get(nvLast).get(jr).i32(1).add().get(np).ltU().select().set(nv); // nv = jr + 1 < np ? NRV : nvLast
  c.i32(0).set(ir);
  // for ir in 0..mp
  c.block().loop();
  c.get(ir).get(mp).geU().brIf(1);
  c.get(ap).get(ir).get(aPanel).mul().add().set(a);
  c.get(bp).get(jr).get(bPanel).mul().add().set(b);
  for (const row of acc) for (const x of row) c.v128Zero().set(x);
  c.get(kc).set(p);
  // micro-kernel: for p in 0..kc
  c.loop();
  for (let v = 0; v < NRV; v++) c.get(b).v128Load(v * 16).set(bv[v]!);
  for (let r = 0; r < MR; r++) {
    c.get(a).v128Load32Splat(r * 4).set(av);
    for (let v = 0; v < NRV; v++) {
      const x = acc[r]![v]!;
      if (fma) c.get(av).get(bv[v]!).get(x).f32x4RelaxedMadd().set(x);
      else c.get(x).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(x);
    }
  }
  c.incBy(a, aStep).incBy(b, bStep);
  c.get(p).i32(-1).add().tee(p).brIf(0);
  c.end();
  // C tile += acc: the first nv column vectors (all NR columns but in the last panel)
  c.get(cp).get(ir).i32(MR).mul().get(ldc).mul().add().get(jr).i32(NR * 4).mul().add().set(cr);
  const store = (r: number, v: number): void => {
    if (accumulate) c.get(cr).get(cr).v128Load(v * 16).get(acc[r]![v]!).f32x4Add().v128Store(v * 16);
    else c.get(cr).get(acc[r]![v]!).v128Store(v * 16);
  };
  for (let r = 0; r < MR; r++) {
    store(r, 0);
    for (let v = 1; v < NRV; v++) {
      c.get(nv).i32(v).raw(0x4b).raw(0x04, 0x40); // if nv > v (unsigned): a branch the CPU predicts
      store(r, v);
      c.end();
    }
    if (r < MR - 1) c.incBy(cr, ldc);
  }
  c.inc(ir, 1);
  c.br(0).end().end();
  c.inc(jr, 1);
  c.br(0).end().end();
  return { name, params: new Array<number>(12).fill(I32), results: [], code: c };
}
