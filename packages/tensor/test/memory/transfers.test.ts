import { describe, expect, it } from 'vitest';
import {
  type DeviceName,
  arange,
  oneHot,
  pad,
  type TransferCounts,
  DTypeError,
  full,
  fullLike,
  memory,
  ones,
  onesLike,
  profile,
  tensor,
  transfers,
  zeros,
  zerosLike,
} from '../../src/index';
import { DEVICES } from '../helpers';

/**
 * transfers() and profile().transfers count the copies of tensor data between host and device:
 * uploads only where host values enter a device, reads only where data comes back. Constants
 * (zeros, full, …) and number operands make none.
 */

/** Bytes `n` int8 elements move: one each on the CPU; on WebGPU, packed four a word, whole words. */
const int8Bytes = (device: DeviceName, n: number) => (device === 'webgpu' ? Math.ceil(n / 4) * 4 : n);

function since(device: DeviceName, before: TransferCounts): TransferCounts {
  const now = transfers().devices[device];
  return {
    writes: now.writes - before.writes,
    writeBytes: now.writeBytes - before.writeBytes,
    reads: now.reads - before.reads,
    readBytes: now.readBytes - before.readBytes,
  };
}

for (const device of DEVICES) {
  describe(`transfers [${device}]`, () => {
    it('count one write per tensor created from host values and one read per data(), with their bytes', async () => {
      const before = transfers().devices[device];
      const x = tensor([1, 2, 3, 4, 5], { device });
      const i = tensor([-1, 2], { device, dtype: 'int8' });
      expect(since(device, before)).toEqual({ writes: 2, writeBytes: 5 * 4 + int8Bytes(device, 2), reads: 0, readBytes: 0 });
      expect(Array.from(await x.data())).toEqual([1, 2, 3, 4, 5]);
      const s = x.sum();
      expect(await s.item()).toBe(15);
      expect(Array.from(await i.data())).toEqual([-1, 2]);
      const col = x.reshape([5, 1]);
      const t = col.transpose(0, 1); // a strided view reads as one read of its elements
      expect(await t.toArray()).toEqual([[1, 2, 3, 4, 5]]);
      expect(since(device, before)).toEqual({
        writes: 2,
        writeBytes: 20 + int8Bytes(device, 2),
        reads: 4,
        readBytes: 20 + 4 + int8Bytes(device, 2) + 20,
      });
      for (const v of [x, i, s, col, t]) v.dispose(); // nothing left for the GC safety net to free mid-way through a later memory() comparison
      const total = transfers();
      expect(total.writes).toBe(total.devices.cpu.writes + total.devices.webgpu.writes);
      expect(total.readBytes).toBe(total.devices.cpu.readBytes + total.devices.webgpu.readBytes);
    });

    it('make constants on the device: zeros, ones, full and the *Like forms upload nothing', async () => {
      const like = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { device, dtype: 'int32' },
      );
      // garbage first, so that pooled WebGPU buffers reused below must really be overwritten
      tensor(new Float32Array(64).fill(Number.NaN), { device }).dispose();
      const mem = memory();
      const before = transfers().devices[device];
      const made = [
        zeros([8, 8], { device }),
        ones([3], { device, dtype: 'int8' }),
        full([2, 2], -2.5, { device }),
        full([3], 5, { device, dtype: 'bool' }),
        full([2], 300, { device, dtype: 'uint8' }),
        full([0, 3], 1, { device }),
        zerosLike(like),
        onesLike(like, { dtype: 'float32' }),
        fullLike(like, 7.9),
      ];
      expect(since(device, before).writes).toBe(0);
      expect(Array.from(await made[0].data())).toEqual(new Array(64).fill(0));
      expect(Array.from(await made[1].data())).toEqual([1, 1, 1]);
      expect(await made[2].toArray()).toEqual([
        [-2.5, -2.5],
        [-2.5, -2.5],
      ]);
      expect(await made[3].toArray()).toEqual([true, true, true]);
      expect(await made[4].toArray()).toEqual([44, 44]); // 300 wraps to 8 bits, as a Uint8Array store
      expect(made[5].shape).toEqual([0, 3]);
      expect(await made[6].toArray()).toEqual([
        [0, 0, 0],
        [0, 0, 0],
      ]);
      expect([made[6].dtype, made[7].dtype, made[8].dtype, made[8].device]).toEqual(['int32', 'float32', 'int32', device]);
      expect(await made[7].toArray()).toEqual([
        [1, 1, 1],
        [1, 1, 1],
      ]);
      expect(await made[8].toArray()).toEqual([
        [7, 7, 7],
        [7, 7, 7],
      ]);
      expect(since(device, before).writes).toBe(0);
      for (const t of made) t.dispose();
      expect(memory().devices[device]).toEqual(mem.devices[device]);
      like.dispose();
    });

    it('make index tables on the device: integer arange, oneHot and reflect/replicate/circular pads upload nothing', async () => {
      const x = tensor([[1, 2, 3, 4]], { device });
      const mem = memory();
      const before = transfers().devices[device];
      const a = arange(-2, 7, 3, { dtype: 'int32', device });
      const f = arange(5, { device });
      const absA = a.abs();
      const h = oneHot(absA, 6);
      const r = pad(x, [3, 2], { mode: 'reflect' });
      const p = pad(x, [2, 3], { mode: 'replicate' });
      const c = pad(x, [4, 1], { mode: 'circular' });
      expect(since(device, before).writes).toBe(0);
      expect(Array.from(await a.data())).toEqual([-2, 1, 4]);
      expect(a.dtype).toBe('int32');
      expect(Array.from(await f.data())).toEqual([0, 1, 2, 3, 4]);
      expect(f.dtype).toBe('float32');
      expect(await h.toArray()).toEqual([
        [0, 0, 1, 0, 0, 0],
        [0, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0],
      ]);
      // torch.nn.functional.pad(x, (3, 2), mode='reflect') etc.
      expect(await r.toArray()).toEqual([[4, 3, 2, 1, 2, 3, 4, 3, 2]]);
      expect(await p.toArray()).toEqual([[1, 1, 1, 2, 3, 4, 4, 4, 4]]);
      expect(await c.toArray()).toEqual([[1, 2, 3, 4, 1, 2, 3, 4, 1]]);
      // non-integer steps still come from the host, exactly as before
      const q = arange(0, 1, 0.25, { device });
      expect(Array.from(await q.data())).toEqual([0, 0.25, 0.5, 0.75]);
      for (const t of [a, f, absA, h, r, p, c, q]) t.dispose();
      expect(memory().devices[device]).toEqual(mem.devices[device]);
      x.dispose();
    });

    it('a leaf constant can require grad; only float32 may, with a DTypeError naming the op otherwise', async () => {
      const w = zeros([2], { device, requiresGrad: true });
      w.mul(3).sum().backward();
      expect(Array.from(await (w.grad as NonNullable<typeof w.grad>).data())).toEqual([3, 3]);
      w.dispose();
      const before = memory().devices[device];
      expect(() => full([2], 1, { device, dtype: 'int32', requiresGrad: true })).toThrow(DTypeError);
      expect(() => ones([2], { device, dtype: 'bool', requiresGrad: true })).toThrow(/ones: only float32 tensors can require gradients, got bool/);
      expect(memory().devices[device]).toEqual(before);
    });
  });
}

describe.skipIf(!DEVICES.includes('webgpu'))('profile() transfers [webgpu]', () => {
  it('reports the writes and reads of the profiled function only', async () => {
    const x = tensor([1, 2, 3], { device: 'webgpu' });
    const p = await profile(() => x.mul(2).add(0.5).sum().item(), { device: 'webgpu' });
    expect(p.result).toBe(13.5); // Σ(2x + 0.5)
    expect(p.transfers).toEqual({ writes: 0, writeBytes: 0, reads: 1, readBytes: 4 });
    const q = await profile(
      async () => {
        const y = tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { device: 'webgpu' },
        );
        const v = await y.matmul(y).data();
        y.dispose();
        return Array.from(v);
      },
      { device: 'webgpu' },
    );
    expect(q.result).toEqual([7, 10, 15, 22]);
    expect(q.transfers).toEqual({ writes: 1, writeBytes: 16, reads: 1, readBytes: 16 });
    x.dispose();
  });
});
