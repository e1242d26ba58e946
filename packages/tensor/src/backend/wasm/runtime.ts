/**
 * The WebAssembly state: `WebAssembly.Memory` objects that grow on demand (they never shrink), one for the
 * GEMM ({@link gemmModule}), one for the training-step and binary-op kernels ({@link kernelsModule},
 * {@link binaryModule}), and, once worker threads are lent, a shared one for the products split across
 * them. Only those use shared memory: copies into a SharedArrayBuffer are about 3× slower than into an
 * ArrayBuffer. Kernels for other ops can be added to any of the modules.
 */
import { gemmModule } from './gemm-module.js';
import { binaryModule, type BinMode, type BinOp } from './binary-module.js';
import { kernelsModule } from './kernels-module.js';

/** Micro-kernel tile: `MR` rows × `NR` columns (`NR / 4` v128 accumulators per row). */
export const MR = 4;
/** Columns of a micro-kernel tile. */
export const NR = 8;

/** The exports of the GEMM module. */
export interface GemmExports {
  pack(src: number, so: number, si: number, o0: number, no: number, ni: number, dst: number, R: number): void;
  packT(src: number, ld: number, nq: number, ni: number, dst: number, R: number): void;
  packRowsA(src: number, ld: number, panels: number, ni: number, dst: number): void;
  packRowsB(src: number, ld: number, panels: number, ni: number, dst: number): void;
  macroAdd(ap: number, bp: number, c: number, mp: number, np: number, kc: number, ldc: number): void;
  macroSet(ap: number, bp: number, c: number, mp: number, np: number, kc: number, ldc: number): void;
}

/** The exports of the training-step kernel module (see {@link kernelsModule}). */
export interface KernelExports {
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    eps: number,
    step: number,
    bc2: number,
  ): void;
  adamMax(
    p: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    n: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    eps: number,
    step: number,
    bc2: number,
  ): void;
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
  gemm: GemmExports;
  f32: Float32Array;
  /** The GEMM module's bytes for this memory (what a worker instantiates); set for shared memory only. */
  sharedGemmBytes: Uint8Array<ArrayBuffer> | null;
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

let bytes: Uint8Array<ArrayBuffer> | null = null;
let kernelBytes: Uint8Array<ArrayBuffer> | null = null;
let binaryBytes: Uint8Array<ArrayBuffer> | null = null;
let supported: boolean | null = null;
let gemmSt: GemmState | null = null;
let sharedSt: GemmState | null = null;
let kernelSt: KernelState | null = null;

function moduleBytes(): Uint8Array<ArrayBuffer> {
  bytes ??= gemmModule(MR, NR / 4);
  return bytes;
}

/** True when this JavaScript engine has WebAssembly with 128-bit SIMD (checked once by validating the kernels). */
export function wasmSupported(): boolean {
  if (supported === null) {
    try {
      kernelBytes ??= kernelsModule();
      binaryBytes ??= binaryModule();
      supported =
        typeof WebAssembly === 'object' &&
        WebAssembly.validate(moduleBytes()) &&
        WebAssembly.validate(kernelBytes) &&
        WebAssembly.validate(binaryBytes);
    } catch {
      supported = false;
    }
  }
  return supported;
}

// Synchronous compilation is fine in browsers too: each module is about 1–2 KB, far below the 4 KB limit
// Chrome puts on synchronous compiles on the main thread.
function instantiateGemm(shared: boolean): GemmState {
  const memory = shared
    ? new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: 16 });
  const gemmBytes = shared ? gemmModule(MR, NR / 4, SHARED_MAX_PAGES) : moduleBytes();
  const gemm = new WebAssembly.Instance(new WebAssembly.Module(gemmBytes), { env: { memory } });
  return {
    memory,
    gemm: gemm.exports as unknown as GemmExports,
    f32: new Float32Array(memory.buffer),
    sharedGemmBytes: shared ? gemmBytes : null,
  };
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
 * The GEMM's wasm state with memory for at least `floats` float32 elements. `f32` is re-created after the
 * memory grows (growing detaches or replaces the old buffer), so callers take it from the returned state
 * each call.
 */
export function wasmState(floats: number): GemmState {
  gemmSt ??= instantiateGemm(false);
  gemmSt.f32 = ensure(gemmSt.memory, gemmSt.f32, floats);
  return gemmSt;
}

/** {@link wasmState} on the shared memory of {@link sharedWasmState}, for products split across worker threads. */
export function sharedGemmState(floats: number): GemmState {
  sharedSt ??= instantiateGemm(true);
  sharedSt.f32 = ensure(sharedSt.memory, sharedSt.f32, floats);
  return sharedSt;
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

/**
 * Creates (once) the shared `WebAssembly.Memory` for products split across worker threads (needs
 * SharedArrayBuffer: Node, or a cross-origin-isolated page); returns it and the GEMM module bytes the
 * workers instantiate on it.
 */
export function sharedWasmState(): { memory: WebAssembly.Memory; gemmBytes: Uint8Array<ArrayBuffer> } {
  sharedSt ??= instantiateGemm(true);
  return { memory: sharedSt.memory, gemmBytes: sharedSt.sharedGemmBytes! };
}
