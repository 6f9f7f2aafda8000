import { describe, expect, it } from 'vitest';
import { type DType, memory, scope, tensor, zeros } from '../../src/index';
import { DEVICES } from '../helpers';

/** Live tensors and bytes, in total and per device (memory() may report more than these). */
function counts() {
  const m = memory();
  const dev = (d: 'cpu' | 'webgpu') => ({ tensors: m.devices[d].tensors, bytes: m.devices[d].bytes });
  return { tensors: m.tensors, bytes: m.bytes, cpu: dev('cpu'), webgpu: dev('webgpu') };
}

/**
 * memory() counts the bytes each device really holds: typed arrays of the dtype's width on the
 * CPU; on WebGPU one byte per int8/uint8 element (packed four per 32-bit word) and one 32-bit word
 * per element of the other dtypes, in buffers rounded up to the pool's size class (powers of two
 * from 256 bytes).
 */
const EXPECTED: Record<string, { cpu: number; webgpu: number }> = {
  'int8 ×1000': { cpu: 1000, webgpu: 1024 },
  'int8 ×1048576': { cpu: 1048576, webgpu: 1048576 },
  'uint8 ×300': { cpu: 300, webgpu: 512 },
  'uint8 ×4097': { cpu: 4097, webgpu: 8192 },
  'bool ×100': { cpu: 100, webgpu: 512 },
  'bool ×3': { cpu: 3, webgpu: 256 },
  'float32 ×64': { cpu: 256, webgpu: 256 },
  'float32 ×65': { cpu: 260, webgpu: 512 },
  'int32 ×5000': { cpu: 20000, webgpu: 32768 },
};

describe.each(DEVICES)('memory() bytes [%s]', (device) => {
  it('counts the bytes the storages hold, for every dtype', () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const [dtype, n] = name.split(' ×') as [DType, string];
      const before = counts();
      const t = zeros([Number(n)], { device, dtype });
      const after = counts();
      expect(after[device].bytes - before[device].bytes, name).toBe(want[device]);
      expect(after.bytes - before.bytes, name).toBe(want[device]);
      const other = device === 'cpu' ? 'webgpu' : 'cpu';
      expect(after[other].bytes, name).toBe(before[other].bytes);
      t.dispose();
      expect(counts(), name).toEqual(before);
    }
  });

  it('int8 and uint8 results take one byte per element, as their inputs', async () => {
    const before = counts();
    const x = tensor(
      Int8Array.from({ length: 4096 }, (_, i) => (i % 255) - 127),
      { device, dtype: 'int8' },
    );
    const y = scope(() => x.neg()); // int8: −(−128) wraps; no element is −128 here
    const u = scope(() => x.to('uint8'));
    expect(counts()[device].bytes - before[device].bytes).toBe(3 * 4096);
    expect(Array.from((await y.data()).slice(0, 3))).toEqual([127, 126, 125]);
    expect(Array.from((await u.data()).slice(0, 3))).toEqual([129, 130, 131]);
    for (const t of [x, y, u]) t.dispose();
    expect(counts()).toEqual(before);
  });

  it('views add no bytes; results of int8 and bool ops are counted and freed', async () => {
    const before = counts();
    const x = tensor([1, -2, 3, -4], { device, dtype: 'int8' });
    const perStorage = device === 'cpu' ? 4 : 256;
    expect(counts()[device].bytes - before[device].bytes).toBe(perStorage);
    const v = scope(() => x.reshape([2, 2]).transpose(0, 1));
    expect(counts()[device].bytes - before[device].bytes).toBe(perStorage);
    const flags = scope(() => v.gt(0)); // a bool [2, 2] result: 4 bytes on the CPU
    expect(flags.dtype).toBe('bool');
    expect(await flags.toArray()).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(counts()[device].bytes - before[device].bytes).toBe(2 * perStorage);
    for (const t of [x, v, flags]) t.dispose();
    expect(counts()).toEqual(before);
  });
});
