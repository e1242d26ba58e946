/**
 * A tiny WebAssembly binary encoder: just enough to emit tapegrad's kernels at run time (no build step,
 * no toolchain, no binary in the repository). Functions are written as instruction sequences with
 * {@link Code}; {@link encodeModule} wraps them in a module that imports one memory (`env.memory`).
 */

/** Value types. */
export const I32 = 0x7f;
/** 128-bit SIMD vector. */
export const V128 = 0x7b;
/** 32-bit float. */
export const F32 = 0x7d;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** An instruction-sequence builder for one function body; every method appends and returns `this`. */
// One line per case: the table reads as a table.
// prettier-ignore
export class Code {
  readonly bytes: number[] = [];
  private readonly localTypes: number[] = [];
  private readonly nParams: number;

  constructor(nParams: number) {
    this.nParams = nParams;
  }

  /** Declares a new local of `type` and returns its index. */
  local(type: number): number {
    this.localTypes.push(type);
    return this.nParams + this.localTypes.length - 1;
  }

  /** Appends raw bytes. */
  raw(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }

  get(i: number): this { return this.raw(0x20, ...uleb(i)); }
  set(i: number): this { return this.raw(0x21, ...uleb(i)); }
  tee(i: number): this { return this.raw(0x22, ...uleb(i)); }
  i32(v: number): this { return this.raw(0x41, ...sleb(v)); }
  add(): this { return this.raw(0x6a); }
  sub(): this { return this.raw(0x6b); }
  mul(): this { return this.raw(0x6c); }
  shl(): this { return this.raw(0x74); }
  eqz(): this { return this.raw(0x45); }
  ne(): this { return this.raw(0x47); }
  ltU(): this { return this.raw(0x49); }
  geU(): this { return this.raw(0x4f); }
  /** `block` with no result. */
  block(): this { return this.raw(0x02, 0x40); }
  /** `loop` with no result. */
  loop(): this { return this.raw(0x03, 0x40); }
  end(): this { return this.raw(0x0b); }
  br(depth: number): this { return this.raw(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.raw(0x0d, ...uleb(depth)); }
  /** `local[i] += delta` for an i32 local. */
  inc(i: number, delta: number): this { return this.get(i).i32(delta).add().set(i); }
  /** `local[i] += local[j]` for i32 locals. */
  incBy(i: number, j: number): this { return this.get(i).get(j).add().set(i); }

  f32Load(offset = 0): this { return this.raw(0x2a, 2, ...uleb(offset)); }
  f32Store(offset = 0): this { return this.raw(0x38, 2, ...uleb(offset)); }

  // 0xFD-prefixed SIMD instructions (memarg = alignment log2, offset).
  v128Load(offset = 0): this { return this.raw(0xfd, ...uleb(0), 4, ...uleb(offset)); }
  v128Store(offset = 0): this { return this.raw(0xfd, ...uleb(11), 4, ...uleb(offset)); }
  v128Load32Splat(offset = 0): this { return this.raw(0xfd, ...uleb(9), 2, ...uleb(offset)); }
  v128Zero(): this { return this.raw(0xfd, ...uleb(12), ...new Array<number>(16).fill(0)); }
  f32x4Splat(): this { return this.raw(0xfd, ...uleb(19)); }
  f32x4ExtractLane(lane: number): this { return this.raw(0xfd, ...uleb(31), lane); }
  f32x4Add(): this { return this.raw(0xfd, ...uleb(228)); }
  f32x4Sub(): this { return this.raw(0xfd, ...uleb(229)); }
  f32x4Mul(): this { return this.raw(0xfd, ...uleb(230)); }
  f32x4Div(): this { return this.raw(0xfd, ...uleb(231)); }
  /** Relaxed SIMD `a·b + c` lane-wise: fused (one rounding) where the CPU has FMA, else a multiply then an add. */
  f32x4RelaxedMadd(): this { return this.raw(0xfd, ...uleb(0x105)); }
  f32x4Sqrt(): this { return this.raw(0xfd, ...uleb(227)); }
  /** `a < b ? b : a` lane-wise (so `pmax(0, x)` is `x > 0 ? x : 0`, NaN → 0). */
  f32x4Pmax(): this { return this.raw(0xfd, ...uleb(235)); }
  /** Lane-wise minimum: NaN if either lane is NaN, −0 < +0 (like `Math.min`). */
  f32x4Min(): this { return this.raw(0xfd, ...uleb(232)); }
  /** Lane-wise maximum: NaN if either lane is NaN, −0 < +0 (like `Math.max`). */
  f32x4Max(): this { return this.raw(0xfd, ...uleb(233)); }
  /** Lane-wise `a > b` as an all-ones / all-zeros mask. */
  f32x4Gt(): this { return this.raw(0xfd, ...uleb(68)); }
  v128And(): this { return this.raw(0xfd, ...uleb(78)); }
  /** `a & ~b` bitwise. */
  v128AndNot(): this { return this.raw(0xfd, ...uleb(79)); }
  /** Lane-wise `a < b` as an all-ones / all-zeros mask (false when either lane is NaN). */
  f32x4Lt(): this { return this.raw(0xfd, ...uleb(67)); }
  f32x4Abs(): this { return this.raw(0xfd, ...uleb(224)); }
  /** Byte shuffle of two vectors: lane `i` of the result is byte `lanes[i]` of `a ‖ b`. */
  shuffle(lanes: number[]): this { return this.raw(0xfd, ...uleb(13), ...lanes); }
  /** Shuffle of two f32x4 vectors by 32-bit lane indices (0–3 from `a`, 4–7 from `b`). */
  shuffle32(l0: number, l1: number, l2: number, l3: number): this {
    return this.shuffle([l0, l1, l2, l3].flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]));
  }
  f32Const(v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return this.raw(0x43, ...b);
  }
  f32Mul(): this { return this.raw(0x94); }
  f32Add(): this { return this.raw(0x92); }
  f32Sub(): this { return this.raw(0x93); }
  f32Div(): this { return this.raw(0x95); }
  f32Sqrt(): this { return this.raw(0x91); }
  f32Min(): this { return this.raw(0x96); }
  f32Max(): this { return this.raw(0x97); }
  f32Gt(): this { return this.raw(0x5e); }
  f32Lt(): this { return this.raw(0x5d); }
  f32Abs(): this { return this.raw(0x8b); }
  select(): this { return this.raw(0x1b); }
  /** Signed `i32.lt_s`. */
  ltS(): this { return this.raw(0x48); }

  /** The encoded body: local declarations, instructions, `end`. */
  encode(): number[] {
    const groups: number[][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]!++;
      else groups.push([1, t]);
    }
    const body = [...uleb(groups.length), ...groups.flatMap(([n, t]) => [...uleb(n!), t!]), ...this.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  }
};

/** Every module starts with `\0asm` and the binary format version 1. */
const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** One exported function of a module. */
export interface FuncDef {
  name: string;
  params: number[];
  results: number[];
  code: Code;
}

/**
 * Encodes a module that imports `env.memory` (at least `minPages` pages) and exports `funcs`; with
 * `sharedMaxPages > 0` the memory is a shared one of at most that many pages (for worker threads).
 */
export function encodeModule(funcs: FuncDef[], minPages = 1, sharedMaxPages = 0): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const limits = sharedMaxPages > 0 ? [0x03, ...uleb(minPages), ...uleb(sharedMaxPages)] : [0x00, ...uleb(minPages)];
  const imports = [[...uleb(3), ...utf8('env'), ...uleb(6), ...utf8('memory'), 0x02, ...limits]];
  const bytes = [
    ...MAGIC_AND_VERSION,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...uleb(utf8(f.name).length), ...utf8(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(funcs.map((f) => f.code.encode()))),
  ];
  return new Uint8Array(bytes);
}
