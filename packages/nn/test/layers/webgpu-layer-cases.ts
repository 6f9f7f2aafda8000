// One breadth layer on the CPU and on WebGPU: the same outputs and input gradients (used by
// breadth-webgpu.test.ts and, for the layers slow to compile, test/slow/breadth-webgpu-heavy.test.ts).
import { expect, it } from 'vitest';
import { type Module, manualSeed, memory, randn, scope, type Tensor, TransformerDecoderLayer } from '../../src/index';
import { expectValues } from '../helpers';

/** A test's name, the layer, and its input's shape. */
export type LayerCase = [string, () => Module, number[]];

/** Output and input gradient of a weighted sum, read back. */
async function run(m: Module, inputs: Tensor[]): Promise<[number[], number[]]> {
  const x = inputs[0];
  x.requiresGrad = true;
  const y = scope(() => m.call(...(m instanceof TransformerDecoderLayer ? [x, inputs[1]] : inputs)) as Tensor);
  scope(() => y.mul(y.detach().sin().add(1.5)).sum().backward());
  const out: [number[], number[]] = [Array.from(await y.data()), Array.from(await x.grad!.data())];
  y.dispose();
  x.grad?.dispose();
  x.grad = null;
  return out;
}

/** One test per case: the layer's output and input gradient on WebGPU match the CPU's, no tensor left. */
export function itMatchesCpu(cases: LayerCase[]): void {
  for (const [name, make, shape] of cases) {
    it(name, async () => {
      const before = memory().tensors;
      manualSeed(3);
      const m = make();
      const x = randn(shape);
      const memoryIn = randn([2, 4, 8]);
      const [yc, gc] = await run(m, [x, memoryIn]);
      await m.to('webgpu');
      const xg = scope(() => x.detach().to('webgpu'));
      const mg = memoryIn.to('webgpu');
      const [yg, gg] = await run(m, [xg, mg]);
      expectValues(yg, yc, 1e-4);
      expectValues(gg, gc, 1e-3);
      for (const t of [x, memoryIn, xg, mg]) t.dispose();
      m.zeroGrad();
      m.dispose();
      expect(memory().tensors).toBe(before);
    });
  }
}
