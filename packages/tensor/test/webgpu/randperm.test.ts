import { describe, expect, it } from 'vitest';
import { Generator, memory, randperm, transfers } from '../../src/index';
import { DEVICES } from '../helpers';

// randperm on WebGPU runs the generator's Fisher–Yates on the device: the same permutation as the
// host's Generator.permutation, value for value, with no upload, and the generator left where the
// host's draw leaves it.
describe.runIf(DEVICES.includes('webgpu'))('randperm on WebGPU', () => {
  it('equals Generator.permutation for the same seed, uploads nothing, and advances the generator alike', async () => {
    for (const [n, seed] of [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [10, 5],
      [1001, 6],
      [70_000, 7],
    ]) {
      const before = memory().tensors;
      const host = new Generator({ seed });
      const device = new Generator({ seed });
      const writes = transfers().devices.webgpu?.writes ?? 0;
      const p = randperm(n, { device: 'webgpu', generator: device });
      expect(transfers().devices.webgpu?.writes ?? 0).toBe(writes);
      expect([p.device, p.dtype, p.shape]).toEqual(['webgpu', 'int32', [n]]);
      const got = Array.from(await p.data());
      expect(got).toEqual(Array.from(host.permutation(n)));
      // both streams continue from the same place
      expect(Array.from(device.randomBits(4))).toEqual(Array.from(host.randomBits(4)));
      p.dispose();
      expect(memory().tensors).toBe(before);
    }
  });

  it('a second draw from one generator is a new permutation, as on the host', async () => {
    const host = new Generator({ seed: 11 });
    const device = new Generator({ seed: 11 });
    for (let k = 0; k < 3; k++) {
      const p = randperm(257, { device: 'webgpu', generator: device });
      expect(Array.from(await p.data())).toEqual(Array.from(host.permutation(257)));
      p.dispose();
    }
  });
});
