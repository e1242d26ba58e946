// Runs before every test file: `TAPEGRAD_BACKEND=wasm-fma` (pnpm test:fma) needs WebAssembly relaxed SIMD, which
// Node 20 has behind a V8 flag; turning it on here, before any module is compiled, runs the suite on that variant.
import { setFlagsFromString } from 'node:v8';

if (process.env.TAPEGRAD_BACKEND === 'wasm-fma') setFlagsFromString('--experimental-wasm-relaxed-simd');
