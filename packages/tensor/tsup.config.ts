import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['webgpu'],
  // One ESM file of plain top-level declarations, so apps' bundlers tree-shake it (checked by
  // scripts/bundle-size.test.mjs: `import { ShapeError }` keeps a few kB):
  // - the WebGPU backend is imported statically by device.ts, not with import(): esbuild wraps
  //   every module a dynamic import reaches in a lazy initialiser (`__esm`) when it does not split,
  //   and those wrappers' top-level calls kept the whole library in every bundle. Its modules only
  //   declare kernels and classes; nothing touches a GPU or Dawn before init(), and a bundle that
  //   never calls init() drops the backend;
  // - top-level factory calls (defineOp, memoKernel, wgsl, …) are marked @__NO_SIDE_EFFECTS__ or
  //   @__PURE__, and Tensor keeps its computed-key inspect hook on a small base class (esbuild keeps
  //   any class with such a key);
  // - no chunks: Vite's default worker format, iife, refuses split builds.
  splitting: false,
});
