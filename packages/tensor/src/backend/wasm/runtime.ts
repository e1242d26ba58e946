/**
 * The WebAssembly state: `WebAssembly.Memory` objects that grow on demand (they never shrink), one for the
 * GEMM ({@link gemmModule}), one for the training-step and binary-op kernels ({@link kernelsModule},
 * {@link binaryModule}), and, once worker threads are lent, a shared one for the products split across
 * them. Only those use shared memory: copies into a SharedArrayBuffer are about 3× slower than into an
 * ArrayBuffer. Kernels for other ops can be added to any of the modules.
 */
import { gemmModule, type Tile } from './gemm-module.js';
import { binaryModule, type BinMode, type BinOp } from './binary-module.js';
import { kernelsModule } from './kernels-module.js';

/** A micro-kernel tile of a GEMM variant and its macro-kernel's speed relative to 4×8 (for choosing one per product). */
export interface RatedTile extends Tile {
  speed: number;
}

/**
 * The micro-kernel tiles of each GEMM variant, chosen per product (`gemm.ts`; the first one for products split with
 * worker threads). 4×8 keeps its 8 accumulators, 2 B
 * vectors and 4 A splats in V8's 15 allocatable xmm registers (TurboFan loads all splats of an iteration before its
 * multiply-adds; 5×8 or 4×12 spill and run at half speed). With FMA no temporary is needed for the product, so 3×12
 * fits too (9 accumulators + 3 + 3): its macro-kernel alone runs ~5% faster (65.0 vs 62.0 GFLOP/s, kc = 128–256,
 * Zen 4), whole products with packing and copies 2–4% (the `speed` below); without FMA it spills (27 GFLOP/s).
 */
export const GEMM_TILES: { plain: readonly RatedTile[]; fma: readonly RatedTile[] } = {
  plain: [{ MR: 4, NR: 8, speed: 1 }],
  fma: [
    { MR: 4, NR: 8, speed: 1 },
    { MR: 3, NR: 12, speed: 1.03 },
  ],
};

/** The operand strides of a macro-kernel call, in bytes: `[aStep, aPanel, bStep, bPanel]` (see {@link gemmModule}). */
type Steps = [aStep: number, aPanel: number, bStep: number, bPanel: number];

/** The exports of the GEMM module. */
export interface GemmExports {
  pack(src: number, so: number, si: number, o0: number, no: number, ni: number, dst: number, R: number): void;
  packT(src: number, ld: number, nq: number, ni: number, dst: number, R: number): void;
  packT3: PackPanelsFn;
  /** One per lane count of the module's tiles. */
  [rows: `packRows${number}`]: PackPanelsFn;
  /** `macroAdd{MR}x{NR}` and `macroSet{MR}x{NR}`, one pair per tile. */
  [macro: `macro${'Add' | 'Set'}${number}x${number}`]: MacroFn;
}

/** A packer of whole panels: `(src, ld, panels, ni, dst)` (see {@link gemmModule}). */
export type PackPanelsFn = (src: number, ld: number, panels: number, ni: number, dst: number) => void;
/** A macro-kernel: `(ap, bp, c, mp, np, kc, ldc, aStep, aPanel, bStep, bPanel, nvLast)` (see {@link gemmModule}). */
export type MacroFn = (
  ap: number,
  bp: number,
  c: number,
  mp: number,
  np: number,
  kc: number,
  ldc: number,
  ...steps: [...Steps, nvLast: number]
) => void;

/**
 * The scalar arguments of the Adam kernels (see {@link kernelsModule}): `c1 = 1 − β₁`, `c2 = 1 − β₂`,
 * `step = lr/bc₁`, `ibc2 = 1/√bc₂`, `tiny` the magnitude below which a moment is stored as 0.
 */
export type AdamScalars = [b1: number, c1: number, b2: number, c2: number, eps: number, step: number, ibc2: number, tiny: number];

/** The exports of the training-step kernel module (see {@link kernelsModule}). */
export interface KernelExports {
  adam(p: number, g: number, m: number, v: number, n: number, ...scalars: AdamScalars): void;
  adamMax(p: number, g: number, m: number, v: number, vmax: number, n: number, ...scalars: AdamScalars): void;
  addRow(x: number, rows: number, cols: number, b: number, out: number): void;
  addRowRelu(x: number, rows: number, cols: number, b: number, out: number): void;
  reluBack(dy: number, y: number, out: number, n: number): void;
  colSum(x: number, rows: number, cols: number, out: number): void;
}

/**
 * The exports of the binary-op module (see {@link binaryModule}), by name `${op}_${mode}` (only the pairs of
 * `BIN_FUNCS` exist): `(a, b or the scalar, out, n)`.
 */
export type BinaryExports = Record<`${BinOp}_${BinMode}`, (a: number, b: number, out: number, n: number) => void>;

interface GemmState {
  memory: WebAssembly.Memory;
  /** Shared memory (for worker threads): its modules declare a shared memory. */
  shared: boolean;
  /** The GEMM exports on this memory, without and with FMA (each instantiated on first use). */
  variants: [GemmExports | null, GemmExports | null];
  f32: Float32Array;
}

interface KernelState {
  memory: WebAssembly.Memory;
  kernels: KernelExports;
  /** The binary-op kernels, on the same memory. */
  binary: BinaryExports;
  f32: Float32Array;
}

/** Largest size of the shared memory (1 GiB); only reserved address space until used. */
const SHARED_MAX_PAGES = 16384;

/** GEMM module bytes, one module per tile of the variant, by [shared][fma]. */
const gemmBytes: (Uint8Array<ArrayBuffer>[] | null)[][] = [
  [null, null],
  [null, null],
];
/** Each GEMM module compiled once (resident memories instantiate them again). */
const compiledGemm = new WeakMap<Uint8Array<ArrayBuffer>, WebAssembly.Module>();
let kernelBytes: Uint8Array<ArrayBuffer> | null = null;
/** The step kernels for the shared memory (the workers instantiate them too, for Adam split with them). */
let sharedKernelBytes: Uint8Array<ArrayBuffer> | null = null;
let binaryBytes: Uint8Array<ArrayBuffer> | null = null;
let supported: boolean | null = null;
let relaxed = false;
let gemmSt: GemmState | null = null;
let sharedSt: GemmState | null = null;
let kernelSt: KernelState | null = null;

/** The GEMM modules of a variant, one per tile (each under the 4 KB Chrome compiles synchronously on its main thread). */
function moduleBytes(shared: boolean, fma: boolean): Uint8Array<ArrayBuffer>[] {
  const row = gemmBytes[shared ? 1 : 0]!;
  const i = fma ? 1 : 0;
  row[i] ??= (fma ? GEMM_TILES.fma : GEMM_TILES.plain).map((t) => gemmModule(t, shared ? SHARED_MAX_PAGES : 0, fma));
  return row[i]!;
}

/** The exports of a variant's GEMM modules instantiated on `memory`, in one object (their packers are the same code). */
function instantiateGemmModules(modules: readonly Uint8Array<ArrayBuffer>[], memory: WebAssembly.Memory): GemmExports {
  const compiled = (b: Uint8Array<ArrayBuffer>): WebAssembly.Module => {
    let mod = compiledGemm.get(b);
    if (!mod) compiledGemm.set(b, (mod = new WebAssembly.Module(b)));
    return mod;
  };
  const exports = modules.map((b) => new WebAssembly.Instance(compiled(b), { env: { memory } }).exports);
  return Object.assign({}, ...exports) as GemmExports;
}

/** True when this JavaScript engine has WebAssembly with 128-bit SIMD (checked once by validating the kernels). */
export function wasmSupported(): boolean {
  if (supported === null) {
    try {
      kernelBytes ??= kernelsModule();
      binaryBytes ??= binaryModule();
      supported =
        typeof WebAssembly === 'object' &&
        moduleBytes(false, false).every((b) => WebAssembly.validate(b)) &&
        WebAssembly.validate(kernelBytes) &&
        WebAssembly.validate(binaryBytes);
    } catch {
      supported = false;
    }
  }
  return supported;
}

/**
 * True when the engine also has relaxed SIMD (`f32x4.relaxed_madd`, the FMA GEMM of the `wasm-fma` backend):
 * on by default in Chromium and Node ≥ 22; Node 20 has it behind a V8 flag a host may turn on at run time
 * (`enableRelaxedSimd` in `@tapegrad/nn/node`), so a negative answer is checked again on the next call.
 */
export function relaxedSimdSupported(): boolean {
  if (!relaxed && wasmSupported()) {
    try {
      relaxed = moduleBytes(false, true).every((b) => WebAssembly.validate(b));
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

// Synchronous compilation is fine in browsers too: each module is about 1–2 KB, far below the 4 KB limit
// Chrome puts on synchronous compiles on the main thread.
function instantiateGemm(shared: boolean): GemmState {
  const memory = shared
    ? new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: 16 });
  return { memory, shared, variants: [null, null], f32: new Float32Array(memory.buffer) };
}

/** The GEMM exports of one variant on the state's memory. */
function gemmExports(st: GemmState, fma: boolean): GemmExports {
  const i = fma ? 1 : 0;
  st.variants[i] ??= instantiateGemmModules(moduleBytes(st.shared, fma), st.memory);
  return st.variants[i];
}

/** Grows `memory` to hold `floats` float32 elements; returns a view of its whole buffer (re-created after growth). */
function ensure(memory: WebAssembly.Memory, f32: Float32Array, floats: number): Float32Array {
  const need = floats * 4;
  const have = memory.buffer.byteLength;
  if (need > have) memory.grow(Math.ceil((need - have) / 65536));
  if (f32.byteLength !== memory.buffer.byteLength || f32.buffer.byteLength === 0) return new Float32Array(memory.buffer);
  return f32;
}

/**
 * The GEMM's wasm memory, as a float32 view of at least `floats` elements, and the exports of the variant
 * (`fma`: the relaxed-SIMD micro-kernel). `f32` is re-created after the memory grows (growing detaches or
 * replaces the old buffer), so callers take it from the returned state each call.
 */
export function wasmState(floats: number, fma = false): { f32: Float32Array; gemm: GemmExports } {
  gemmSt ??= instantiateGemm(false);
  gemmSt.f32 = ensure(gemmSt.memory, gemmSt.f32, floats);
  return { f32: gemmSt.f32, gemm: gemmExports(gemmSt, fma) };
}

/**
 * A memory a product can run in (gemm.ts): its float32 view, the variant's GEMM exports instantiated on it, where its
 * scratch starts (float offset, 64-byte aligned; what lies below is arrays handed out by {@link residentArrays}),
 * whether a buffer is one of its own, and for the shared memory, which grows without detaching its views, `grow`
 * (to at least `floats`, returning the view to use); null for a memory of fixed size.
 */
export interface GemmHome {
  f32: Float32Array;
  gemm: GemmExports;
  free: number;
  holds(buffer: ArrayBufferLike): boolean;
  grow: ((floats: number) => Float32Array) | null;
}

/**
 * The shared memory of {@link sharedWasmState} as a {@link GemmHome}, for products split across worker threads: its
 * scratch starts past the kernel state handed out there while workers were in use.
 */
export function sharedGemmState(fma = false): GemmHome {
  sharedSt ??= instantiateGemm(true);
  const home = sharedHome;
  return {
    f32: sharedSt.f32,
    gemm: gemmExports(sharedSt, fma),
    free: home ? home.used : 0,
    holds: (buffer) => home !== null && residentByBuffer.get(buffer) === home,
    grow: growShared,
  };
}

/** Grows the shared memory to at least `floats` float32 elements; returns its view (also kept by its states). */
function growShared(floats: number): Float32Array {
  const st = sharedSt!;
  st.f32 = ensure(st.memory, st.f32, floats);
  if (sharedHome) sharedHome.f32 = st.f32;
  return st.f32;
}

/**
 * The training-step and binary-op kernels' wasm state with memory for at least `floats` float32 elements
 * (never shared).
 */
export function kernelState(floats: number): KernelState {
  if (kernelSt === null) {
    const memory = new WebAssembly.Memory({ initial: 16 });
    kernelBytes ??= kernelsModule();
    binaryBytes ??= binaryModule();
    const kernels = new WebAssembly.Instance(new WebAssembly.Module(kernelBytes), { env: { memory } });
    const binary = new WebAssembly.Instance(new WebAssembly.Module(binaryBytes), { env: { memory } });
    kernelSt = {
      memory,
      kernels: kernels.exports as unknown as KernelExports,
      binary: binary.exports as unknown as BinaryExports,
      f32: new Float32Array(memory.buffer),
    };
  }
  kernelSt.f32 = ensure(kernelSt.memory, kernelSt.f32, floats);
  return kernelSt;
}

/** Elements per chunk of each array the step kernels copy into wasm memory (64 KiB). */
export const CHUNK = 16384;

/**
 * A fixed-size memory of kernel state read in place: `[p chunk | g chunk | state arrays…]` in floats. It never
 * grows, so views of its buffer stay valid for as long as anything holds them.
 */
interface ResidentArena {
  memory: WebAssembly.Memory;
  /** The shared memory (kernel state handed out while worker threads are in use), which grows; else a fixed-size arena. */
  shared: boolean;
  kernels: KernelExports;
  f32: Float32Array;
  /** Floats handed out so far, scratch included. */
  used: number;
  /** The GEMM exports on this memory, without and with FMA (each instantiated on first use; see {@link residentGemmState}). */
  gemms: [GemmExports | null, GemmExports | null];
}

/** Floats of one shared arena (16 MiB); a larger request gets a memory of its own. */
const ARENA_FLOATS = 1 << 22;
const SCRATCH = 2 * CHUNK;
let arena: ResidentArena | null = null;
let kernelModule: WebAssembly.Module | null = null;
const residentByBuffer = new WeakMap<ArrayBufferLike, ResidentArena>();
/**
 * Floats of kernel state the shared memory takes at most (64 MiB). A memory cannot shrink, so what it holds is never
 * returned: past this, state goes to arenas again, whose GEMM products copy their operands into the shared memory.
 */
const SHARED_RESIDENT_FLOATS = 1 << 24;
/** Kernel state goes to the shared memory (worker threads are in use: see {@link setSharedResidence}). */
let sharedResidence = false;
let sharedHome: ResidentArena | null = null;

/**
 * While on (threads.ts turns it on when worker threads are lent), {@link residentArrays} hands out views of the
 * shared memory the workers see, so that products split with them read Dense kernels, `fit`'s batches and write
 * gradients where they lie, and Adam updates them there; the views stay valid after the workers stop.
 */
export function setSharedResidence(on: boolean): void {
  sharedResidence = on;
}

function sharedArena(): ResidentArena {
  if (sharedHome === null) {
    const st = (sharedSt ??= instantiateGemm(true));
    const mod = new WebAssembly.Module((sharedKernelBytes ??= kernelsModule(SHARED_MAX_PAGES)));
    const kernels = new WebAssembly.Instance(mod, { env: { memory: st.memory } }).exports as unknown as KernelExports;
    // its GEMM exports are the shared memory's own (st.variants): the ones the split products use
    sharedHome = { memory: st.memory, shared: true, kernels, f32: st.f32, used: SCRATCH, gemms: st.variants };
  }
  return sharedHome;
}

function newArena(floats: number): ResidentArena {
  const pages = Math.ceil((floats * 4) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  kernelModule ??= new WebAssembly.Module((kernelBytes ??= kernelsModule()));
  const kernels = new WebAssembly.Instance(kernelModule, { env: { memory } }).exports as unknown as KernelExports;
  const st: ResidentArena = { memory, shared: false, kernels, f32: new Float32Array(memory.buffer), used: SCRATCH, gemms: [null, null] };
  residentByBuffer.set(memory.buffer, st);
  return st;
}

/**
 * `count` zeroed float32 arrays of `n` elements, views of a WebAssembly memory whose kernels read and write them in
 * place (see {@link residentKernels}): 16 MiB arenas shared by successive calls (a request over half of one gets
 * its own memory), never grown, so the views stay valid; an arena is freed when no view of it is left and it is
 * not the one still being filled. While GEMM workers are in use, the shared memory they see instead (up to 64 MiB,
 * never freed; see {@link setSharedResidence}): it grows, but a shared memory's old views stay valid.
 */
export function residentArrays(count: number, n: number): Float32Array[] {
  const stride = (n + 15) & ~15; // 64-byte aligned arrays
  const need = count * stride;
  let home: ResidentArena;
  if (sharedResidence && (sharedHome?.used ?? SCRATCH) + need <= SCRATCH + SHARED_RESIDENT_FLOATS) {
    home = sharedArena();
    growShared(home.used + need);
    residentByBuffer.set(home.f32.buffer, home); // each growth makes a new buffer object over the same memory
  } else if (need > ARENA_FLOATS / 2) home = newArena(SCRATCH + need);
  else {
    if (arena === null || arena.used + need > ARENA_FLOATS) arena = newArena(ARENA_FLOATS);
    home = arena;
  }
  const out: Float32Array[] = [];
  // zeroed here: the free tail of an arena is a GEMM's scratch (residentGemmState), so it need not be zero any more
  for (let i = 0; i < count; i++) out.push(home.f32.subarray(home.used + i * stride, home.used + i * stride + n).fill(0));
  home.used += need;
  return out;
}

/**
 * The kernels and float32 view of the resident memory that holds every one of `arrays` (made by
 * {@link residentArrays}), or null when they are ordinary arrays or live in different memories. Its first
 * `2·CHUNK` floats are the caller's scratch; `shared`: it is the memory the GEMM workers see.
 */
export function residentKernels(...arrays: Float32Array[]): { kernels: KernelExports; f32: Float32Array; shared: boolean } | null {
  const home = residentByBuffer.get(arrays[0]!.buffer);
  if (!home || arrays.some((a) => residentByBuffer.get(a.buffer) !== home)) return null;
  return home;
}

/**
 * The resident memory that holds `x` (a view made by {@link residentArrays}) as a {@link GemmHome}, or null when `x`
 * is an ordinary array. Its scratch is its free tail, for one product at a time: a later {@link residentArrays} call
 * may take it.
 */
export function residentGemmState(x: Float32Array, fma: boolean): GemmHome | null {
  const home = residentByBuffer.get(x.buffer);
  if (!home) return null;
  if (home.shared) return sharedGemmState(fma);
  const i = fma ? 1 : 0;
  const gemm = (home.gemms[i] ??= instantiateGemmModules(moduleBytes(false, fma), home.memory));
  return { f32: home.f32, gemm, free: home.used, holds: (buffer) => residentByBuffer.get(buffer) === home, grow: null };
}

/**
 * Creates (once) the shared `WebAssembly.Memory` for products split across worker threads (needs
 * SharedArrayBuffer: Node, or a cross-origin-isolated page); returns it and the module bytes the workers instantiate
 * on it: the GEMM's, one module per tile (`fmaBytes`, the relaxed-SIMD variant, null where the engine lacks it), and
 * the step kernels' (Adam).
 */
export function sharedWasmState(): {
  memory: WebAssembly.Memory;
  gemmBytes: Uint8Array<ArrayBuffer>[];
  fmaBytes: Uint8Array<ArrayBuffer>[] | null;
  kernelBytes: Uint8Array<ArrayBuffer>;
} {
  sharedSt ??= instantiateGemm(true);
  return {
    memory: sharedSt.memory,
    gemmBytes: moduleBytes(true, false),
    fmaBytes: relaxedSimdSupported() ? moduleBytes(true, true) : null,
    kernelBytes: (sharedKernelBytes ??= kernelsModule(SHARED_MAX_PAGES)),
  };
}
