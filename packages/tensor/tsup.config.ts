import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['webgpu'],
  // one ESM file: the WebGPU backend is still evaluated only when init() asks for it, but apps'
  // bundlers get no chunk to split off (Vite's default worker format, iife, refuses split builds)
  splitting: false,
});
