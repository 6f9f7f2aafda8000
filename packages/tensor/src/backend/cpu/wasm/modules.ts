/**
 * Where the CPU backend gets its WebAssembly modules' bytes: `wasmModule(name, ...args)` runs the
 * emitter `name` (../wasm/*.ts write the modules from TypeScript at run time; nothing is
 * committed). The published build replaces this file (tsup.config.ts) with the bytes of the calls
 * listed by {@link precomputedCalls}, emitted at build time by this very code and stored compressed
 * (./precomputed.ts), which is smaller in an app's bundle than the emitters: the same modules, so
 * results are the same, and nothing waits for `init()`. A call outside the list (a kernel shape
 * other than the defaults, which only tests and tuning use) makes the published build warn and
 * take the JS path.
 */
import { emitGemmKernel, TILE } from './gemm-kernel';
import { emitGemvModule } from './gemv';
import { emitIm2colModule } from './im2col';
import { emitMaxPoolModule } from './max-pool';
import { emitOptimizerStepModule } from './optimizer-steps';
import { emitPackModule } from './pack';
import { emitQuantizedModule } from './quantized-kernels';
import { emitSimdModule } from './simd-kernels';
import { emitInt8DotKernel, emitInt8DotPack } from './int8-dot';
import { INT8_DOT_TILE, INT8_TILE } from './int8-gemm';

/** A memory of the kind a module is emitted for (only whether it is shared matters). */
const memoryOfKind = (shared: boolean): WebAssembly.Memory | undefined => (shared ? new WebAssembly.Memory({ initial: 0, maximum: 1, shared }) : undefined);

/** The SIMD module, its memory import shared or not (the CPU heap's memory). */
const simd: (shared: boolean) => Uint8Array<ArrayBuffer> = emitSimdModule;

const EMITTERS = {
  simd,
  gemm: emitGemmKernel,
  pack: emitPackModule,
  gemv: emitGemvModule,
  im2col: (shared: boolean) => emitIm2colModule(memoryOfKind(shared)),
  maxPool: (shared: boolean) => emitMaxPoolModule(memoryOfKind(shared)),
  optimizerSteps: emitOptimizerStepModule,
  quantized: emitQuantizedModule,
  int8Dot: emitInt8DotKernel,
  int8DotPack: emitInt8DotPack,
};
type Emitters = typeof EMITTERS;
export type WasmModuleName = keyof Emitters;

/**
 * The calls the CPU backend makes (a function: the tile constants come from modules that import this one), exactly as its files make them (the keys compare arguments):
 * default kernel shapes, memories shared (worker threads, the shared heap) or not.
 */
export const precomputedCalls = (): { [K in WasmModuleName]: Parameters<Emitters[K]>[] } => ({
  simd: [[false], [true]],
  gemm: [
    [TILE, false, false],
    [TILE, false, true],
    [INT8_TILE, true, false],
    [INT8_TILE, true, true],
  ],
  pack: [
    [TILE.mr, TILE.nr, 'f32', false],
    [TILE.mr, TILE.nr, 'f32', true],
    [INT8_TILE.mr, INT8_TILE.nr, 'i8', false],
    [INT8_TILE.mr, INT8_TILE.nr, 'i8', true],
  ],
  gemv: [[]],
  im2col: [[false], [true]],
  maxPool: [[true]],
  optimizerSteps: [[]],
  quantized: [[false], [true]],
  int8Dot: [
    [INT8_DOT_TILE, false],
    [INT8_DOT_TILE, true],
  ],
  int8DotPack: [
    [INT8_DOT_TILE.mr, INT8_DOT_TILE.nr, false],
    [INT8_DOT_TILE.mr, INT8_DOT_TILE.nr, true],
  ],
});

/** The bytes of the module that emitter `name` writes for `args`. */
export function wasmModule<K extends WasmModuleName>(name: K, ...args: Parameters<Emitters[K]>): Uint8Array<ArrayBuffer> {
  return (EMITTERS[name] as (...a: unknown[]) => Uint8Array<ArrayBuffer>)(...args);
}
