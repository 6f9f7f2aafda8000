import { afterAll, beforeAll, describe, expect } from 'vitest';
import { setOptimizerStepPath } from '../../src/backend/cpu/wasm/optimizer-steps';

/** Registers `body`'s tests twice, on the fused optimizer steps' JS loops and on their WebAssembly SIMD kernels. */
export function describeStepPaths(body: () => void): void {
  for (const path of ['js', 'wasm'] as const) {
    describe(`${path} path`, () => {
      beforeAll(() => {
        expect(setOptimizerStepPath(path)).toBe(true);
      });
      afterAll(() => {
        setOptimizerStepPath('auto');
      });
      body();
    });
  }
}
