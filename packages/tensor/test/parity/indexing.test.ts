import { describe, expect, it } from 'vitest';
import { fromArray } from '../../src/creation';
import { memory, zeros } from '../../src/index';
import { DEVICES, randomValues } from '../helpers';

/**
 * WebGPU-only behaviour of the indexing family (values and gradients on every device are in the
 * op table, test/op-table.ts): out-of-range indices, which the CPU rejects, never touch memory on
 * the GPU; narrow and slice are views there too.
 */

const suite = describe.skipIf(!DEVICES.includes('webgpu'));

suite('indexing on WebGPU', () => {
  it('out-of-range indices never touch memory on the GPU: gather gives 0, scatterAdd skips them', async () => {
    const x = fromArray([1, 2, 3, 4], [2, 2], { device: 'webgpu' });
    const i = fromArray([5, 0, -3, 1], [2, 2], { device: 'webgpu', dtype: 'int32' });
    const z = zeros([2, 2], { device: 'webgpu' });
    expect(await x.gather(1, i).toArray()).toEqual([
      [0, 1],
      [0, 4],
    ]);
    expect(await z.scatterAdd(1, i, x).toArray()).toEqual([
      [2, 0],
      [0, 4],
    ]);
  });

  it('narrow and slice are views on the device: no new memory, reads match', async () => {
    const x = fromArray(randomValues(60, 1), [6, 10], { device: 'webgpu' });
    const before = memory().devices.webgpu;
    const n = x.narrow(1, 2, 5);
    const s = x.slice(0, 1, 6, 2);
    expect(memory().devices.webgpu.bytes).toBe(before.bytes);
    const host = (await x.toArray()) as number[][];
    expect(await n.toArray()).toEqual(host.map((r) => r.slice(2, 7)));
    expect(await s.toArray()).toEqual([host[1], host[3], host[5]]);
    for (const t of [n, s, x]) t.dispose();
  });
});
