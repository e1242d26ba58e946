import { Code, F32, I32, V128, encodeModule, type FuncDef } from './encoder.js';

/**
 * Emits the float32 elementwise binary kernels as a WebAssembly SIMD module on the training-step kernels'
 * memory (a separate module keeps each one under the 4 KB Chrome allows for synchronous compiles).
 * Addresses are in bytes, counts in elements; each kernel does one float32 operation per element, so results
 * match {@link binaryJs} bit for bit (up to NaN payloads).
 *
 * - `add_vv(a, b, out, n)`: `out = a + b`; `add_vs(a, s, out, n)`: `out = a + s` for a float32 `s`;
 *   `sub_sv(a, s, out, n)`: `out = s − a`; likewise `sub`, `mul`, `div`, `max`, `min` (see {@link BIN_FUNCS}).
 *   `max`/`min` are `f32x4.max`/`f32x4.min`: NaN if either is NaN, −0 < +0, exactly `Math.max`/`Math.min`.
 */
export function binaryModule(): Uint8Array<ArrayBuffer> {
  return encodeModule(BIN_FUNCS.map(([op, mode]) => binFn(op, mode)));
}

/** The ops of the binary kernels (wasm names: `max`/`min` are `maximum`/`minimum`). */
export type BinOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';
/** Operand layout: two arrays, array ⊕ scalar, scalar ⊕ array (only needed for the non-commutative ops). */
export type BinMode = 'vv' | 'vs' | 'sv';

/** Each op's instruction: on four lanes (`f32x4`) and on one (`f32`). */
const INSTRUCTIONS: Record<BinOp, readonly [simd: (c: Code) => Code, scalar: (c: Code) => Code]> = {
  add: [(c) => c.f32x4Add(), (c) => c.f32Add()],
  sub: [(c) => c.f32x4Sub(), (c) => c.f32Sub()],
  mul: [(c) => c.f32x4Mul(), (c) => c.f32Mul()],
  div: [(c) => c.f32x4Div(), (c) => c.f32Div()],
  max: [(c) => c.f32x4Max(), (c) => c.f32Max()],
  min: [(c) => c.f32x4Min(), (c) => c.f32Min()],
};

/** The binary kernels the module exports, each named `${op}_${mode}` (`sv` only for the ops that do not commute). */
// prettier-ignore
export const BIN_FUNCS: readonly (readonly [BinOp, BinMode])[] = [
  ['add', 'vv'], ['add', 'vs'], ['sub', 'vv'], ['sub', 'vs'], ['sub', 'sv'], ['mul', 'vv'], ['mul', 'vs'],
  ['div', 'vv'], ['div', 'vs'], ['div', 'sv'], ['max', 'vv'], ['max', 'vs'], ['min', 'vv'], ['min', 'vs'],
];

/**
 * `out[i] = a[i] ⊕ b[i]` (`vv`), `a[i] ⊕ s` (`vs`) or `s ⊕ a[i]` (`sv`) for `n` elements, eight lanes per
 * iteration, then four, then a scalar tail doing the same float32 operation (`out` may equal `a`).
 */
function binFn(op: BinOp, mode: BinMode): FuncDef {
  const [a, b, out, n] = [0, 1, 2, 3];
  const c = new Code(4);
  const sv = c.local(V128);
  if (mode !== 'vv') c.get(b).f32x4Splat().set(sv);
  const apply = (simd: boolean): Code => INSTRUCTIONS[op][simd ? 0 : 1](c);
  // One vector (offset `off` bytes) or scalar: push the two operands in order, apply, store.
  const one = (simd: boolean, off: number): void => {
    c.get(out);
    if (mode === 'sv') c.get(simd ? sv : b);
    c.get(a);
    if (simd) c.v128Load(off);
    else c.f32Load(off);
    if (mode === 'vv') {
      c.get(b);
      if (simd) c.v128Load(off);
      else c.f32Load(off);
    } else if (mode === 'vs') c.get(simd ? sv : b);
    apply(simd);
    if (simd) c.v128Store(off);
    else c.f32Store(off);
  };
  const left = c.local(I32);
  c.get(n).set(left);
  const loop = (count: number, body: () => void): void => {
    c.block().loop();
    c.get(left).i32(count).ltS().brIf(1);
    body();
    const bytes = count * 4;
    c.inc(a, bytes).inc(out, bytes);
    if (mode === 'vv') c.inc(b, bytes);
    c.inc(left, -count);
    c.br(0).end().end();
  };
  loop(8, () => {
    one(true, 0);
    one(true, 16);
  });
  loop(4, () => one(true, 0));
  loop(1, () => one(false, 0));
  return { name: `${op}_${mode}`, params: [I32, mode === 'vv' ? I32 : F32, I32, I32], results: [], code: c };
}
