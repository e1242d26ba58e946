import { Code, I32, V128, encodeModule, type FuncDef } from './encoder.js';

/**
 * Emits the float32 GEMM kernels as a WebAssembly SIMD module. Addresses and strides are in bytes.
 *
 * - `pack(src, so, si, no, ni, dst, R)`: element `(o, p)` at `src + o*so + p*si` goes to panel `o / R`,
 *   row `p`, lane `o % R` of `dst` (panels of `ni*R` floats). Scalar; any strides. Padding lanes are left
 *   alone (the caller zeroes them).
 * - `packRowsA` / `packRowsB(src, ld, panels, ni, dst)`: the same for full panels whose `R` lanes are
 *   contiguous in the source (row `p` of panel `q` is `src + q*R*4 + p*ld`): v128 copies.
 * - `macro(ap, bp, c, mp, np, kc, ldc)`: `C += Ap·Bp` for `mp` packed A panels (`MR` rows) and `np`
 *   packed B panels (`NR` columns) of depth `kc`; each `MR×NR` tile is summed in v128 locals by the
 *   micro-kernel, then added to C (row stride `ldc`).
 */
export function gemmModule(MR: number, NRV: number): Uint8Array<ArrayBuffer> {
  const NR = NRV * 4;
  return encodeModule([packFn(), packRowsFn('packRowsA', MR), packRowsFn('packRowsB', NR), macroFn(MR, NRV, NR)]);
}

function packFn(): FuncDef {
  const [src, so, si, no, ni, dst, R] = [0, 1, 2, 3, 4, 5, 6];
  const c = new Code(7);
  const o = c.local(I32);
  const s = c.local(I32);
  const d = c.local(I32);
  const p = c.local(I32);
  const rstep = c.local(I32);
  c.get(R).i32(2).shl().set(rstep);
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
  return { name: 'pack', params: [I32, I32, I32, I32, I32, I32, I32], results: [], code: c };
}

function packRowsFn(name: string, R: number): FuncDef {
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
  for (let v = 0; v < R / 4; v++) c.get(dst).get(s).v128Load(v * 16).v128Store(v * 16);
  c.incBy(s, ld).inc(dst, R * 4).inc(p, -1);
  c.br(0).end().end();
  c.inc(q, 1);
  c.br(0).end().end();
  return { name, params: [I32, I32, I32, I32, I32], results: [], code: c };
}

function macroFn(MR: number, NRV: number, NR: number): FuncDef {
  const [ap, bp, cp, mp, np, kc, ldc] = [0, 1, 2, 3, 4, 5, 6];
  const c = new Code(7);
  const jr = c.local(I32);
  const ir = c.local(I32);
  const a = c.local(I32);
  const b = c.local(I32);
  const p = c.local(I32);
  const cr = c.local(I32);
  const aPanel = c.local(I32);
  const bPanel = c.local(I32);
  const acc: number[][] = [];
  for (let r = 0; r < MR; r++) acc.push(Array.from({ length: NRV }, () => c.local(V128)));
  const bv = Array.from({ length: NRV }, () => c.local(V128));
  const av = c.local(V128);

  c.get(kc).i32(MR * 4).mul().set(aPanel);
  c.get(kc).i32(NR * 4).mul().set(bPanel);
  // for jr in 0..np
  c.block().loop();
  c.get(jr).get(np).geU().brIf(1);
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
    for (let v = 0; v < NRV; v++) c.get(acc[r]![v]!).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(acc[r]![v]!);
  }
  c.inc(a, MR * 4).inc(b, NR * 4);
  c.get(p).i32(-1).add().tee(p).brIf(0);
  c.end();
  // C tile += acc
  c.get(cp).get(ir).i32(MR).mul().get(ldc).mul().add().get(jr).i32(NR * 4).mul().add().set(cr);
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NRV; v++) c.get(cr).get(cr).v128Load(v * 16).get(acc[r]![v]!).f32x4Add().v128Store(v * 16);
    if (r < MR - 1) c.incBy(cr, ldc);
  }
  c.inc(ir, 1);
  c.br(0).end().end();
  c.inc(jr, 1);
  c.br(0).end().end();
  return { name: 'macro', params: [I32, I32, I32, I32, I32, I32, I32], results: [], code: c };
}
