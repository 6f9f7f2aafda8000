import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run test:kernels` (with tensor's exhaustive kernel sweeps, as its own CI step): the tests in
// test/slow, whole training runs on WebGPU that take lavapipe tens of seconds to compile for on a
// cold shader cache — over the ~20 s a test may take in `npm test`.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['test/slow/**/*.test.ts'], exclude: configDefaults.exclude },
});
