import { availableParallelism } from 'node:os';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { configDefaults, defineConfig } from 'vitest/config';
import '../../scripts/lavapipe-env';

/**
 * The files that take longest on a cold shader cache (lavapipe compiling their WebGPU kernels:
 * 20-70 s each), started first so that the two forks end together; the rest follow vitest's own
 * order (longest last time, else largest file first).
 */
const FIRST = [
  'test/ops/op-table-webgpu-structured.test.ts',
  'test/ops/op-table-webgpu-elementwise.test.ts',
  'test/webgpu/runtime.test.ts',
  'test/browser/browser.test.ts',
  'test/parity/matmul-int8.test.ts',
  'test/backend/cpu-threads.test.ts',
];

class HeavyFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i < 0 ? FIRST.length : i;
    };
    const base = await super.sort(files);
    return base.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the exhaustive kernel sweeps run apart: `npm run test:kernels` (vitest.kernels.config.ts)
    exclude: [...configDefaults.exclude, 'test/kernels/**'],
    setupFiles: ['test/helpers/setup.ts'], // the shared toBeAllClose matcher
    testTimeout: 60_000,
    sequence: { sequencer: HeavyFirst },
    // --expose-gc lets the memory tests check the FinalizationRegistry safety net. One fork per
    // core (vitest's default leaves one core free): this package's suite is the longest of the
    // monorepo's, and after the others finish it would otherwise run on one core of two.
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'], maxForks: availableParallelism(), minForks: 1 } },
  },
});
