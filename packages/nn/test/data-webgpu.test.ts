import { describe, expect, it } from 'vitest';
import { arange, DataLoader, Generator, memory, type Tensor, TensorDataset, transfers } from '../src/index';
import { hasWebGpu } from './webgpu-available';

const WEBGPU = await hasWebGpu();

/** Every batch of one epoch, read back, the batches disposed. */
async function epoch(loader: DataLoader): Promise<number[][][]> {
  const out: number[][][] = [];
  for (const batch of loader) {
    out.push(await Promise.all(batch.map(async (t: Tensor) => Array.from(await t.data()))));
    for (const t of batch) t.dispose();
  }
  return out;
}

describe.runIf(WEBGPU)('DataLoader on WebGPU', () => {
  it('shuffles on the device: the same batches as on the CPU for the same seed, no upload for the order', async () => {
    const n = 23;
    const x = arange(2 * n).reshape([n, 2]);
    const y = arange(n, undefined, 1, { dtype: 'int32' });
    const xg = x.to('webgpu');
    const yg = y.to('webgpu');
    const cpu = new DataLoader(new TensorDataset(x, y), { batchSize: 5, shuffle: true, seed: 9 });
    const gpu = new DataLoader(new TensorDataset(xg, yg), { batchSize: 5, shuffle: true, seed: 9 });
    const before = memory().tensors;
    for (let e = 0; e < 2; e++) {
      const onCpu = await epoch(cpu);
      const writes = transfers().devices.webgpu.writes;
      const onGpu = await epoch(gpu);
      expect(transfers().devices.webgpu.writes - writes).toBe(0);
      expect(onGpu).toEqual(onCpu);
      expect(onCpu.length).toBe(5);
      // a real shuffle: the labels come out in a different order than 0 … n − 1
      expect(onCpu.flatMap((b) => b[1])).not.toEqual(Array.from({ length: n }, (_, i) => i));
      expect([...onCpu.flatMap((b) => b[1])].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    // an explicit generator advances the same way on both devices
    const g1 = new Generator({ seed: 4 });
    const g2 = new Generator({ seed: 4 });
    await epoch(new DataLoader(new TensorDataset(x), { batchSize: 8, shuffle: true, generator: g1 }));
    await epoch(new DataLoader(new TensorDataset(xg), { batchSize: 8, shuffle: true, generator: g2 }));
    expect(Array.from(g2.randomBits(2))).toEqual(Array.from(g1.randomBits(2)));
    expect(memory().tensors).toBe(before);
    for (const t of [x, y, xg, yg]) t.dispose();
  });
});
