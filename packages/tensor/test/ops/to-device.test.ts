import { describe, expect, it } from 'vitest';
import { ArgumentError, DeviceError, DisposedError, type DType, type DeviceName, memory, scope, tensor, toDevice } from '../../src/index';
import { DEVICES } from '../helpers';

/** Live tensors and bytes per device (memory() may report more than these). */
function counts() {
  const m = memory();
  return { cpu: { ...m.devices.cpu }, webgpu: { ...m.devices.webgpu }, tensors: m.tensors, bytes: m.bytes } as const;
}
/** Values as strings that keep −0 and NaN apart. */
const show = (xs: ArrayLike<number>) => Array.from(xs, (v) => (Object.is(v, -0) ? '-0' : String(v)));
const live = () => {
  const c = counts();
  return { tensors: c.tensors, bytes: c.bytes, cpu: [c.cpu.tensors, c.cpu.bytes], webgpu: [c.webgpu.tensors, c.webgpu.bytes] };
};

describe('toDevice and to(device) on the CPU', () => {
  it('same device: toDevice and to return the tensor itself', async () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    expect(await toDevice(x, 'cpu')).toBe(x);
    expect(await x.toDevice('cpu')).toBe(x);
    expect(x.to('cpu')).toBe(x);
    x.dispose();
  });

  it('rejects unknown devices, disposed tensors and backends that are not initialised', async () => {
    const x = tensor([1]);
    await expect(x.toDevice('tpu' as DeviceName)).rejects.toThrow(ArgumentError);
    await expect(x.toDevice('tpu' as DeviceName)).rejects.toThrow("toDevice: unknown device 'tpu' (expected 'cpu' or 'webgpu')");
    x.dispose();
    await expect(x.toDevice('cpu')).rejects.toThrow(DisposedError);
    await expect(toDevice(x, 'cpu')).rejects.toThrow(/^toDevice: tensor was disposed$/);
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('toDevice between the CPU and WebGPU', () => {
  it('moves values in both directions, every dtype, strided views too', async () => {
    const before = live();
    const cases: [DType, number[]][] = [
      ['float32', [1.5, -2, 0, -0, Math.fround(3e38), NaN]],
      ['int32', [-2147483648, 2147483647, 0, 7, -9, 1]],
      ['int8', [-128, 127, 0, -1, 5, 9]],
      ['uint8', [0, 255, 1, 2, 128, 7]],
      ['bool', [1, 0, 0, 1, 1, 0]],
    ];
    for (const [dtype, values] of cases) {
      const c = tensor([values.slice(0, 3), values.slice(3)], { dtype });
      const g = await c.toDevice('webgpu');
      expect([g.device, g.dtype, g.shape]).toEqual(['webgpu', dtype, [2, 3]]);
      const back = await g.toDevice('cpu');
      expect([back.device, back.dtype, back.shape]).toEqual(['cpu', dtype, [2, 3]]);
      expect(show(back.dataSync())).toEqual(show(values));
      const gt = scope(() => g.transpose(0, 1));
      const backT = await toDevice(gt, 'cpu'); // a strided WebGPU view arrives contiguous
      expect(backT.strides).toEqual([2, 1]);
      expect(show(backT.dataSync())).toEqual(show([0, 3, 1, 4, 2, 5].map((i) => values[i])));
      for (const t of [c, g, back, gt, backT]) t.dispose();
    }
    expect(live()).toEqual(before);
  });

  it('makes a new leaf that does not require grad (as to()); the source is untouched', async () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const g = await w.toDevice('webgpu');
    expect(g.requiresGrad).toBe(false);
    expect(g.isLeaf).toBe(true);
    const y = scope(() => g.mul(2).sum());
    expect(await y.item()).toBe(12);
    const c = await g.toDevice('cpu');
    expect(c.requiresGrad).toBe(false);
    expect(Array.from(w.dataSync())).toEqual([1, 2, 3]);
    for (const t of [w, g, y, c]) t.dispose();
  });

  it('sees the work queued before it, and to() stays synchronous where it can', async () => {
    const before = live();
    const g = tensor([1, 2, 3], { device: 'webgpu' });
    const h = scope(() => g.mul(10).add(1));
    const hc = await h.toDevice('cpu');
    expect(Array.from(hc.dataSync())).toEqual([11, 21, 31]);
    const host = tensor([4, 5]);
    const up = host.to('webgpu'); // cpu → webgpu needs no read: still synchronous
    expect(up.device).toBe('webgpu');
    expect(await up.toArray()).toEqual([4, 5]);
    expect(g.to('webgpu')).toBe(g);
    expect(() => g.to('cpu')).toThrow(DeviceError);
    expect(() => g.to('cpu')).toThrow("to: reading webgpu memory is asynchronous, so webgpu → cpu cannot be synchronous: use `await t.toDevice('cpu')`");
    const cast = g.to('int32'); // dtype casts stay synchronous on every device
    expect([cast.device, cast.dtype]).toEqual(['webgpu', 'int32']);
    for (const t of [g, h, hc, host, up, cast]) t.dispose();
    expect(live()).toEqual(before);
  });
});
