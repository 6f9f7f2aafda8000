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

/** Open a GPU device and register the WebGPU backend (loaded only now that an adapter exists). */
async function initWebGpu(hardwareOnly: boolean): Promise<void> {
  const current = backends.get('webgpu') as WebGpuBackend | undefined;
  if (current && !current.runtime.isLost) return;
  const device = await requestGpu({ hardwareOnly });
  const { WebGpuBackend } = await import('./backend/webgpu');
  backends.set('webgpu', new WebGpuBackend(device));
}

/**
 * Choose the default device and return its name. `'cpu'` always works. `'webgpu'` opens a GPU
 * device through `navigator.gpu` (browsers) or Dawn's `webgpu` package (Node), and throws
 * `BackendUnavailableError` with setup hints when there is no adapter. `'auto'` (the default)
 * selects WebGPU when a hardware adapter exists and the CPU otherwise — a software adapter such
 * as Mesa's lavapipe is correct but slower than the CPU backend, so it is used only on request.
 * @example
 * ```ts
 * const device = await init();     // 'webgpu' on a machine with a GPU, else 'cpu'
 * await init({ device: 'cpu' });
 * ```
 */
export async function init(opts: InitOptions = {}): Promise<DeviceName> {
  const want = opts.device ?? 'auto';
  if (want !== 'auto' && want !== 'cpu' && want !== 'webgpu') {
    throw new ArgumentError('init', `unknown device '${String(want)}' (expected 'auto', 'cpu' or 'webgpu')`);
  }
  if (want === 'webgpu') {
    await initWebGpu(false);
    defaultDevice = 'webgpu';
    return defaultDevice;
  }
  if (want === 'auto') {
    try {
      await initWebGpu(true);
      defaultDevice = 'webgpu';
      return defaultDevice;
    } catch (e) {
      if (!BackendUnavailableError.isInstance(e)) throw e;
    }
  }
  backendOf('cpu');
  defaultDevice = 'cpu';
  return defaultDevice;
}
