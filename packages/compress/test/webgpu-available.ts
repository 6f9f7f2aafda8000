import { init } from '@aimodel/nn';

/**
 * Whether WebGPU is available here; with AIMODEL_REQUIRE_WEBGPU=1 its absence fails the suite
 * instead of skipping. The default device is the CPU again afterwards.
 */
export async function hasWebGpu(): Promise<boolean> {
  try {
    await init({ device: 'webgpu' });
    return true;
  } catch (e) {
    if (process.env.AIMODEL_REQUIRE_WEBGPU === '1') throw new Error(`AIMODEL_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${(e as Error).message}`);
    return false;
  } finally {
    await init({ device: 'cpu' });
  }
}
