/**
 * The shared WebAssembly state: one `WebAssembly.Memory` that grows on demand (it never shrinks) and the
 * kernel instances that import it. Kernels for other ops can be added beside {@link gemmModule} and
 * instantiated against the same memory.
 */
import { gemmModule } from './gemm-module.js';
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
  adam(p: number, g: number, m: number, v: number, n: number, b1: number, c1: number, b2: number, c2: number, eps: number, step: number, bc2: number): void;
  addRow(x: number, rows: number, cols: number, b: number, out: number): void;
  addRowRelu(x: number, rows: number, cols: number, b: number, out: number): void;
  reluBack(dy: number, y: number, out: number, n: number): void;
  colSum(x: number, rows: number, cols: number, out: number): void;
}

interface State {
  memory: WebAssembly.Memory;
  gemm: GemmExports;
  kernels: KernelExports;
  f32: Float32Array;
  /** The GEMM module's bytes for this memory (what a worker instantiates); set for shared memory only. */
  sharedGemmBytes: Uint8Array<ArrayBuffer> | null;
}

/** Largest size of the shared memory (1 GiB); only reserved address space until used. */
const SHARED_MAX_PAGES = 16384;

let bytes: Uint8Array<ArrayBuffer> | null = null;
let kernelBytes: Uint8Array<ArrayBuffer> | null = null;
let supported: boolean | null = null;
let state: State | null = null;

function moduleBytes(): Uint8Array<ArrayBuffer> {
  bytes ??= gemmModule(MR, NR / 4);
  return bytes;
}

/** True when this JavaScript engine has WebAssembly with 128-bit SIMD (checked once by validating the kernels). */
export function wasmSupported(): boolean {
  if (supported === null) {
    try {
      kernelBytes ??= kernelsModule();
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes()) && WebAssembly.validate(kernelBytes);
    } catch {
      supported = false;
    }
  }
  return supported;
}

// Synchronous compilation is fine in browsers too: each module is about 1–2 KB, far below the 4 KB limit
// Chrome puts on synchronous compiles on the main thread.
function instantiate(shared: boolean): State {
  const memory = shared
    ? new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: 16 });
  const gemmBytes = shared ? gemmModule(MR, NR / 4, SHARED_MAX_PAGES) : moduleBytes();
  kernelBytes ??= kernelsModule();
  const kBytes = shared ? kernelsModule(SHARED_MAX_PAGES) : kernelBytes;
  const gemm = new WebAssembly.Instance(new WebAssembly.Module(gemmBytes), { env: { memory } });
  const kernels = new WebAssembly.Instance(new WebAssembly.Module(kBytes), { env: { memory } });
  return {
    memory,
    gemm: gemm.exports as unknown as GemmExports,
    kernels: kernels.exports as unknown as KernelExports,
    f32: new Float32Array(memory.buffer),
    sharedGemmBytes: shared ? gemmBytes : null,
  };
}

/**
 * The wasm state with memory for at least `floats` float32 elements. `f32` is re-created after the
 * memory grows (growing detaches or replaces the old buffer), so callers take it from the returned state
 * each call.
 */
export function wasmState(floats: number): State {
  state ??= instantiate(false);
  const need = floats * 4;
  const have = state.memory.buffer.byteLength;
  if (need > have) state.memory.grow(Math.ceil((need - have) / 65536));
  if (state.f32.byteLength !== state.memory.buffer.byteLength || state.f32.buffer.byteLength === 0) {
    state.f32 = new Float32Array(state.memory.buffer);
  }
  return state;
}

/**
 * Moves the wasm kernels onto a shared `WebAssembly.Memory` (needs SharedArrayBuffer: Node, or a
 * cross-origin-isolated page) so worker threads can run GEMM blocks on the same memory; returns it and
 * the GEMM module bytes the workers instantiate.
 */
export function sharedWasmState(): { memory: WebAssembly.Memory; gemmBytes: Uint8Array<ArrayBuffer> } {
  if (state?.sharedGemmBytes == null) state = instantiate(true);
  return { memory: state.memory, gemmBytes: state.sharedGemmBytes! };
}

/** Size in bytes of the generated kernel module (for the benchmark report). */
export const wasmModuleSize = (): number => moduleBytes().length;
