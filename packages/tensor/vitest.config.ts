import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the exhaustive kernel sweeps run apart: `npm run test:kernels` (vitest.kernels.config.ts)
    exclude: [...configDefaults.exclude, 'test/kernels/**'],
    setupFiles: ['test/helpers/setup.ts'], // the shared toBeAllClose matcher
    testTimeout: 60_000,
    // --expose-gc lets the memory tests check the FinalizationRegistry safety net
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
