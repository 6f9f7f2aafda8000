import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/backend/backend';
import { add, BackendUnavailableError, cat, DeviceError, matmul, ones, Tensor, tensor, where, zeros } from '../../src/index';

// Only the CPU backend exists in this release, so a "GPU" tensor is made by hand: its storage says
// webgpu. Ops must reject the mix in validation, before any backend is asked to compute.
function fakeGpuTensor(shape: number[]): Tensor {
  const storage: Storage = { device: 'webgpu', dtype: 'float32', size: shape.reduce((a, b) => a * b, 1), bytes: 0, refs: 0 };
  return Tensor._create(
    storage,
    shape,
    shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)),
    0,
  );
}

describe('device checks', () => {
  const gpu = fakeGpuTensor([2, 2]);

  it('binary ops on tensors of different devices throw DeviceError naming both devices', () => {
    expect(() => add(ones([2, 2]), gpu)).toThrow(DeviceError);
    expect(() => add(ones([2, 2]), gpu)).toThrow(/add: tensors are on different devices: cpu and webgpu/);
  });

  it('matmul, where and cat check devices too', () => {
    expect(() => matmul(ones([2, 2]), gpu)).toThrow(/matmul: tensors are on different devices/);
    expect(() => where(tensor([true, false]), ones([2, 2]), gpu)).toThrow(DeviceError);
    expect(() => cat([zeros([2, 2]), gpu])).toThrow(/cat: tensors are on different devices/);
  });

  it('dataSync on a non-CPU tensor is refused with a hint', () => {
    expect(() => gpu.dataSync()).toThrow(BackendUnavailableError);
  });

  it('moving to an uninitialised device reports how to initialise it', () => {
    expect(() => ones([2]).to('webgpu')).toThrow(/webgpu backend is not initialised; call await init\(\{ device: 'webgpu' \}\)/);
  });
});
