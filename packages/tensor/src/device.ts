import type { Backend, DeviceName } from './backend/backend';
import { CpuBackend } from './backend/cpu';
import { WebGpuBackend } from './backend/webgpu';
import { MATMUL_TILES, type MatmulTileName } from './backend/webgpu/kernels/matmul-candidates';
import { tileWorkgroupBytes } from './backend/webgpu/kernels/matmul.wgsl';
import { requestGpu } from './backend/webgpu/gpu';
import { warmGemmThreads } from './backend/cpu/matmul';
import { checkThreads, cpuThreads, setCpuThreads } from './backend/cpu/threads';
import { ArgumentError, BackendUnavailableError, checkOptions } from './errors';

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
  /** Settings of the WebGPU backend, applied when it is opened (by `'webgpu'` or `'auto'`). */
  webgpu?: WebGpuOptions;
  /**
   * Threads of the CPU backend, 1–256 (the calling thread included): large matrix products and
   * convolutions are split across worker threads over shared WebAssembly memory. Default: the
   * `AIMODEL_THREADS` environment variable (Node), else the available cores — Node's
   * `os.availableParallelism()`, a browser's `navigator.hardwareConcurrency` when the page is
   * cross-origin isolated — else 1. Where workers or shared memory are unavailable (a page that
   * is not cross-origin isolated) the backend uses one thread; `getThreads()` tells. Results are
   * identical for every thread count.
   */
  threads?: number;
}

/**
 * Settings of the WebGPU backend, for benchmarking and tuning; the defaults suit normal use.
 * @example
 * ```ts
 * // Node: Dawn without its bounds-check transform, one matmul tile configuration for every product
 * await init({ device: 'webgpu', webgpu: { dawnFlags: ['enable-dawn-features=disable_robustness'], matmulTile: 'large-db' } });
 * ```
 */
export interface WebGpuOptions {
  /**
   * Flags for the Dawn instance in Node (the `webgpu` package's `create(flags)`), such as
   * `'enable-dawn-features=disable_robustness'` (drops the index clamping Dawn adds to every
   * buffer access: faster, and our kernels bound-check their own accesses) or `'adapter=NAME'`.
   * They take effect when the device is opened: the first WebGPU `init` of the process, or the
   * first after the device was lost; asking for other flags while a device is open throws.
   * Ignored in browsers. Default: none.
   */
  dawnFlags?: readonly string[];
  /**
   * `'auto'` (default): each matrix product's tile configuration is chosen by its shape. A name
   * forces that configuration for every product (the `large-*` ones are tuning candidates for big
   * GPUs; see benchmarks/matmul-tune.mjs). Throws when the adapter's workgroup memory is too small
   * for it.
   */
  matmulTile?: MatmulTileName | 'auto';
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

/** The backend of `device` when it is open (the CPU's opens on first use), else undefined; opens nothing. */
export function openedBackend(device: DeviceName): Backend | undefined {
  return backends.get(device);
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
 * The number of threads the CPU backend uses (the calling thread included): `init({ threads })`'s
 * count, else the default (see `InitOptions.threads`); 1 where worker threads cannot run.
 * @example
 * ```ts
 * await init({ device: 'cpu', threads: 2 });
 * getThreads(); // 2 (1 where workers or shared memory are unavailable)
 * ```
 */
export function getThreads(): number {
  return cpuThreads();
}

/** The Dawn flags the open WebGPU device was created with. */
let openedFlags: readonly string[] = [];

/**
 * Open a GPU device and register the WebGPU backend (loaded only now that an adapter exists), or
 * keep the open one; then apply `opts`.
 */
async function initWebGpu(hardwareOnly: boolean, opts: WebGpuOptions): Promise<void> {
  if (opts.dawnFlags !== undefined && !(Array.isArray(opts.dawnFlags) && opts.dawnFlags.every((f) => typeof f === 'string'))) {
    throw new ArgumentError('init', `webgpu.dawnFlags must be an array of strings, got ${JSON.stringify(opts.dawnFlags)}`);
  }
  const flags = opts.dawnFlags ?? openedFlags;
  let be = backends.get('webgpu') as WebGpuBackend | undefined;
  if (be && !be.runtime.isLost) {
    if (flags.join('\n') !== openedFlags.join('\n')) {
      throw new ArgumentError(
        'init',
        `webgpu.dawnFlags ${JSON.stringify(flags)} differ from those of the open WebGPU device (${JSON.stringify(openedFlags)}): Dawn flags apply when the device is opened, once per process`,
      );
    }
  } else {
    const device = await requestGpu({ hardwareOnly, dawnFlags: flags });
    be = new WebGpuBackend(device);
    backends.set('webgpu', be);
    openedFlags = [...flags];
  }
  if (opts.matmulTile !== undefined) be.matmulTile = await matmulTileFor(opts.matmulTile, be);
}

/** The tile configuration `init({ webgpu: { matmulTile } })` names, checked against the adapter (internal: not exported by the package). */
export async function matmulTileFor(name: MatmulTileName | 'auto', be: WebGpuBackend) {
  if (name === 'auto') return undefined;
  const tile = Object.hasOwn(MATMUL_TILES, name) ? MATMUL_TILES[name] : undefined;
  if (!tile) {
    throw new ArgumentError('init', `unknown webgpu.matmulTile '${String(name)}' (expected 'auto' or one of ${Object.keys(MATMUL_TILES).join(', ')})`);
  }
  const limit = be.runtime.device.limits.maxComputeWorkgroupStorageSize;
  if (tileWorkgroupBytes(tile) > limit) {
    throw new ArgumentError('init', `webgpu.matmulTile '${name}' needs ${tileWorkgroupBytes(tile)} bytes of workgroup memory; this adapter allows ${limit}`);
  }
  return tile;
}

/**
 * Choose the default device and return its name. `'cpu'` always works. `'webgpu'` opens a GPU
 * device through `navigator.gpu` (browsers) or Dawn's `webgpu` package (Node), and throws
 * `BackendUnavailableError` with setup hints when there is no adapter. `'auto'` (the default)
 * selects WebGPU when a hardware adapter exists and the CPU otherwise — a software adapter such
 * as Mesa's lavapipe is correct but slower than the CPU backend, so it is used only on request.
 * `threads` sets how many threads the CPU backend uses (see `InitOptions.threads`).
 * @example
 * ```ts
 * const device = await init();     // 'webgpu' on a machine with a GPU, else 'cpu'
 * await init({ device: 'cpu' });
 * await init({ device: 'cpu', threads: 2 }); // split large CPU matmuls and convolutions over 2 threads
 * ```
 */
export async function init(opts: InitOptions = {}): Promise<DeviceName> {
  checkOptions('init', opts, ['device', 'webgpu', 'threads']);
  const want = opts.device ?? 'auto';
  if (want !== 'auto' && want !== 'cpu' && want !== 'webgpu') {
    throw new ArgumentError('init', `unknown device '${String(want)}' (expected 'auto', 'cpu' or 'webgpu')`);
  }
  if (opts.threads !== undefined) {
    // start the workers now, so the first products do not run on one thread while they boot
    if (setCpuThreads(checkThreads('init', 'threads', opts.threads)) > 1) await warmGemmThreads();
  }
  if (want === 'webgpu') {
    await initWebGpu(false, opts.webgpu ?? {});
    defaultDevice = 'webgpu';
    return defaultDevice;
  }
  if (want === 'auto') {
    try {
      await initWebGpu(true, opts.webgpu ?? {});
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
