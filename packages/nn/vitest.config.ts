import { configDefaults, defineConfig } from 'vitest/config';
import '../../scripts/lavapipe-env';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/slow runs in `npm run test:kernels` (vitest.kernels.config.ts)
    exclude: [...configDefaults.exclude, 'test/slow/**'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
  },
});
