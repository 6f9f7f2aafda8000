import type { Backend, DeviceName } from './backend/backend';
import { CpuBackend } from './backend/cpu';
import type { WebGpuBackend } from './backend/webgpu';
import { requestGpu } from './backend/webgpu/gpu';
import { ArgumentError, BackendUnavailableError } from './errors';

/**
 * Which device `init` should select.
 * @example
 * ```ts
 * await init({ device: 'cpu' });
 * ```
 */
export interface InitOptions {
  /** `'auto'` (default) picks the best available device; `'cpu'` or `'webgpu'` ask for one. */
  device?: DeviceName | 'auto';
}

const backends = new Map<DeviceName, Backend>();
let defaultDevice: DeviceName = 'cpu';

export function backendOf(device: DeviceName): Backend {
  let be = backends.get(device);
  if (!be && device === 'cpu') {
    be = new CpuBackend();
    backends.set('cpu', be);
  }
  if (!be) {
    throw new BackendUnavailableError(device, `the ${device} backend is not initialised; call await init({ device: '${device}' }) first`);
  }
  return be;
}

/**
 * The device new tensors are created on when none is given.
 * @example
 * ```ts
 * getDefaultDevice(); // 'cpu'
 * ```
 */
export function getDefaultDevice(): DeviceName {
  return defaultDevice;
}

/**
 * Whether the unfinished WebGPU backend may be selected: set the environment variable
 * `AIMODEL_EXPERIMENTAL_WEBGPU=1` (Node) to try it while its kernels are being written.
 */
export function experimentalWebGpu(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.AIMODEL_EXPERIMENTAL_WEBGPU === '1';
}

/** Open a GPU device and register the WebGPU backend (loaded only now that an adapter exists). */
async function initWebGpu(): Promise<void> {
  const current = backends.get('webgpu') as WebGpuBackend | undefined;
  if (current && !current.runtime.isLost) return;
  const device = await requestGpu();
  const { WebGpuBackend } = await import('./backend/webgpu');
  backends.set('webgpu', new WebGpuBackend(device));
}

/**
 * Choose the default device. `'cpu'` always works. `'webgpu'` is not available in this release
 * (the WebGPU backend ships next) and throws `BackendUnavailableError`, unless the environment
 * variable `AIMODEL_EXPERIMENTAL_WEBGPU=1` is set: then it opens a GPU device (throwing
 * `BackendUnavailableError` with setup hints when there is no adapter). `'auto'` selects the CPU.
 * Returns the device selected.
 * @example
 * ```ts
 * const device = await init(); // 'cpu'
 * await init({ device: 'cpu' });
 * ```
 */
export async function init(opts: InitOptions = {}): Promise<DeviceName> {
  const want = opts.device ?? 'auto';
  if (want !== 'auto' && want !== 'cpu' && want !== 'webgpu') {
    throw new ArgumentError('init', `unknown device '${String(want)}' (expected 'auto', 'cpu' or 'webgpu')`);
  }
  if (want === 'webgpu') {
    if (!experimentalWebGpu()) {
      throw new BackendUnavailableError(
        'init',
        "the WebGPU backend is not available in this version of @aimodel/tensor; use init({ device: 'cpu' }) or 'auto'",
      );
    }
    await initWebGpu();
    defaultDevice = 'webgpu';
    return defaultDevice;
  }
  backendOf('cpu');
  defaultDevice = 'cpu';
  return defaultDevice;
}
