/**
 * The shared WebAssembly state: one `WebAssembly.Memory` that grows on demand (it never shrinks) and the
 * kernel instances that import it. Kernels for other ops can be added beside {@link gemmModule} and
 * instantiated against the same memory.
 */
import { gemmModule } from './gemm-module.js';

/** Micro-kernel tile: `MR` rows × `NR` columns (`NR / 4` v128 accumulators per row). */
export const MR = 4;
/** Columns of a micro-kernel tile. */
export const NR = 8;

/** The exports of the GEMM module. */
export interface GemmExports {
  pack(src: number, so: number, si: number, no: number, ni: number, dst: number, R: number): void;
  packRowsA(src: number, ld: number, panels: number, ni: number, dst: number): void;
  packRowsB(src: number, ld: number, panels: number, ni: number, dst: number): void;
  macro(ap: number, bp: number, c: number, mp: number, np: number, kc: number, ldc: number): void;
}

interface State {
  memory: WebAssembly.Memory;
  gemm: GemmExports;
  f32: Float32Array;
}

let bytes: Uint8Array<ArrayBuffer> | null = null;
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
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes());
    } catch {
      supported = false;
    }
  }
  return supported;
}

// Synchronous compilation is fine in browsers too: the module is about 1 KB, far below the 4 KB limit
// Chrome puts on synchronous compiles on the main thread.
function instantiate(): State {
  const memory = new WebAssembly.Memory({ initial: 16 });
  const module = new WebAssembly.Module(moduleBytes());
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { memory, gemm: instance.exports as unknown as GemmExports, f32: new Float32Array(memory.buffer) };
}

/**
 * The wasm state with memory for at least `floats` float32 elements. `f32` is re-created after the
 * memory grows (growing detaches the old buffer), so callers take it from the returned state each call.
 */
export function wasmState(floats: number): State {
  state ??= instantiate();
  const need = floats * 4;
  const have = state.memory.buffer.byteLength;
  if (need > have) {
    state.memory.grow(Math.ceil((need - have) / 65536));
    state.f32 = new Float32Array(state.memory.buffer);
  } else if (state.f32.buffer !== state.memory.buffer) {
    state.f32 = new Float32Array(state.memory.buffer);
  }
  return state;
}

/** Size in bytes of the generated kernel module (for the benchmark report). */
export const wasmModuleSize = (): number => moduleBytes().length;
