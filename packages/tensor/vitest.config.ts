import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'], // the shared toBeAllClose matcher
    testTimeout: 60_000,
    // --expose-gc lets the memory tests check the FinalizationRegistry safety net
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
