import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run test:kernels`: the exhaustive WebGPU kernel sweeps in test/kernels (every matmul tuning
// candidate and load order, every attention head width class, long normalize row-length lists).
// Each shader variant costs lavapipe seconds of CPU to compile on a cold cache, which is why these
// stay out of the default run (vitest.config.ts), where test/parity covers every kernel path with
// few variants.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['test/kernels/**/*.test.ts'], exclude: configDefaults.exclude, testTimeout: 60_000 },
});
