import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig({
  ...packageBuild,
  // glove-worker / word2vec-worker: the entries of the training threads, loaded beside index.js / index.cjs
  entry: ['src/index.ts', 'src/glove-worker.ts', 'src/word2vec-worker.ts'],
  // import.meta.url in the CommonJS build too (glove-threads finds its worker beside the module)
  shims: true,
});
