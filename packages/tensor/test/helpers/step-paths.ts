import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceName } from '../../src/index';
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

/** A step under test: the values after a few steps of `c` on `device`, by the fused primitive or by the composed float32 ops. */
export type StepRun<C> = (device: DeviceName, shape: number[], c: C, fused: boolean) => Promise<number[][]>;

/** For every shape and case, a test that the fused `name` step gives the composed ops' values bit for bit on the CPU. */
export function itMatchesComposed<C>(name: string, shapes: number[][], cases: readonly C[], run: StepRun<C>): void {
  for (const shape of shapes) {
    for (const c of cases) {
      it(`${name} ${JSON.stringify(c)} on [${shape}]: the composed float32 ops, bit for bit`, async () => {
        expect(await run('cpu', shape, c, true)).toEqual(await run('cpu', shape, c, false));
      });
    }
  }
}
