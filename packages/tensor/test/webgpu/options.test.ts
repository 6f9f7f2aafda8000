import { afterAll, describe, expect, it } from 'vitest';
import { WebGpuBackend } from '../../src/backend/webgpu';
import { requestGpu } from '../../src/backend/webgpu/gpu';
import { MATMUL_TILES } from '../../src/backend/webgpu/kernels/matmul-candidates';
import { backendOf, matmulTileFor } from '../../src/device';
import { ArgumentError, init, matmul, profile, randn, type Tensor } from '../../src/index';
import { DEVICES, expectClose } from '../helpers';

/** `init({ webgpu: { … } })`: the Dawn flags and the forced matmul tile configuration. */
const suite = describe.skipIf(!DEVICES.includes('webgpu'));

const TOL = { rtol: 1e-3, atol: 1e-3 };

/** A product on the GPU and on the CPU, and the matmul kernels the GPU dispatched. */
async function product(M: number, K: number, N: number): Promise<{ got: Float32Array; want: Float32Array; keys: string[] }> {
  const a = randn([M, K], { device: 'cpu' });
  const b = randn([K, N], { device: 'cpu' });
  const [ga, gb] = [a.to('webgpu'), b.to('webgpu')];
  let out: Tensor | null = null;
  const { kernels } = await profile(
    () => {
      out = matmul(ga, gb);
    },
    { device: 'webgpu' },
  );
  const got = (await out!.data()) as Float32Array;
  const want = (await matmul(a, b).data()) as Float32Array;
  for (const t of [a, b, ga, gb, out!]) t.dispose();
  return { got, want, keys: kernels.map((k) => k.key).filter((k) => k.startsWith('matmul:')) };
}

suite('init({ webgpu }) options', { timeout: 120_000 }, () => {
  afterAll(async () => {
    await init({ device: 'webgpu', webgpu: { matmulTile: 'auto' } });
    await init({ device: 'cpu' });
  });

  it('matmulTile forces one tile configuration for every product, until set back to auto', async () => {
    await init({ device: 'webgpu', webgpu: { matmulTile: 'large-db' } });
    expect((backendOf('webgpu') as WebGpuBackend).matmulTile).toBe(MATMUL_TILES['large-db']);
    // a 9×5×7 product would get the small tile; forced, the large double-buffered one computes it
    for (const [M, K, N] of [
      [9, 5, 7],
      [150, 70, 140],
    ]) {
      const { got, want, keys } = await product(M, K, N);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/^matmul:large-db:/);
      expectClose(got, want, TOL);
    }
    await init({ device: 'webgpu' }); // options not given: unchanged
    expect((backendOf('webgpu') as WebGpuBackend).matmulTile?.name).toBe('large-db');
    await init({ device: 'webgpu', webgpu: { matmulTile: 'auto' } });
    expect((backendOf('webgpu') as WebGpuBackend).matmulTile).toBeUndefined();
    expect((await product(9, 5, 7)).keys[0]).toMatch(/^matmul:small:/);
  });

  it('an unknown matmulTile, or one the adapter has too little workgroup memory for, is an ArgumentError', async () => {
    const bad = init({ device: 'webgpu', webgpu: { matmulTile: 'huge' as never } });
    await expect(bad).rejects.toThrow(ArgumentError);
    await expect(init({ device: 'webgpu', webgpu: { matmulTile: 'huge' as never } })).rejects.toThrow(
      /^init: unknown webgpu.matmulTile 'huge' \(expected 'auto' or one of small, medium, large, large-bk8, /,
    );
    await expect(init({ device: 'webgpu', webgpu: { matmulTile: 'toString' as never } })).rejects.toThrow(/unknown webgpu.matmulTile 'toString'/);
    // a device opened with WebGPU's default limits: 16 KiB of workgroup memory, 32 KiB asked for
    const adapter = await navigatorlessAdapter();
    const small = new WebGpuBackend(await adapter.requestDevice());
    try {
      expect(small.runtime.device.limits.maxComputeWorkgroupStorageSize).toBe(16384);
      await expect(matmulTileFor('large-bk32', small)).rejects.toThrow(
        /^init: webgpu.matmulTile 'large-bk32' needs 32768 bytes of workgroup memory; this adapter allows 16384$/,
      );
      expect(await matmulTileFor('large-db', small)).toBe(MATMUL_TILES['large-db']); // 16 KiB fits
    } finally {
      small.runtime.device.destroy();
    }
  });

  it('dawnFlags: a device without Dawn’s bounds-check transform computes the same; other flags while one is open throw', async () => {
    const device = await requestGpu({ dawnFlags: ['enable-dawn-features=disable_robustness'] });
    const be = new WebGpuBackend(device);
    try {
      const [M, K, N] = [130, 37, 129];
      const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
      const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
      const view = (s: ReturnType<typeof be.alloc>, shape: number[]) => ({ storage: s, shape, strides: [shape[1], 1], offset: 0 });
      const [sa, sb, so] = [be.alloc('float32', M * K), be.alloc('float32', K * N), be.alloc('float32', M * N)];
      be.write(sa, a);
      be.write(sb, b);
      be.matmul(view(sa, [M, K]), view(sb, [K, N]), so);
      const got = await be.read({ storage: so, shape: [M * N], strides: [1], offset: 0 });
      const want = new Float32Array(M * N);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
          want[i * N + j] = s;
        }
      expectClose(got, want, TOL);
    } finally {
      device.destroy();
    }
    // the test suite's device was opened with AIMODEL_TEST_DAWN_FLAGS (normally none)
    const opened = (process.env.AIMODEL_TEST_DAWN_FLAGS ?? '').split(',').filter(Boolean);
    const other = opened.length ? [] : ['enable-dawn-features=disable_robustness'];
    await expect(init({ device: 'webgpu', webgpu: { dawnFlags: other } })).rejects.toThrow(
      `init: webgpu.dawnFlags ${JSON.stringify(other)} differ from those of the open WebGPU device (${JSON.stringify(opened)})`,
    );
    await expect(init({ device: 'webgpu', webgpu: { dawnFlags: opened } })).resolves.toBe('webgpu');
    await expect(init({ device: 'webgpu', webgpu: { dawnFlags: 'disable_robustness' as never } })).rejects.toThrow(
      /^init: webgpu.dawnFlags must be an array of strings, got "disable_robustness"$/,
    );
  });
});

/** An adapter from a Dawn instance of the test's own (the `webgpu` package). */
async function navigatorlessAdapter(): Promise<GPUAdapter> {
  const { create } = await import('webgpu');
  const adapter = await create([]).requestAdapter();
  if (!adapter) throw new Error('no adapter');
  return adapter;
}
