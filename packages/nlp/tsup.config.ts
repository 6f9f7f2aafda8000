import { defineConfig } from 'tsup';

export default defineConfig({
  // glove-worker / word2vec-worker: the entries of the training threads, loaded beside index.js / index.cjs
  entry: ['src/index.ts', 'src/glove-worker.ts', 'src/word2vec-worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // import.meta.url in the CommonJS build too (glove-threads finds its worker beside the module)
  shims: true,
  target: 'es2022',
  external: ['webgpu'],
});
