import { BackendUnavailableError } from '../../errors';

/**
 * Finding a WebGPU adapter and opening a device: `navigator.gpu` in browsers, Dawn (the optional
 * `webgpu` npm package, imported only when asked for) in Node.
 */

/** Limits requested at the adapter's maximum, so large tensors and tiles fit. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
] as const;

/** Optional features enabled when the adapter has them. */
const WANTED_FEATURES = ['subgroups', 'timestamp-query', 'shader-f16'] as const;

const SETUP_HINT =
  'install a GPU driver with Vulkan, Metal or D3D12 support (on Linux without a GPU, Mesa lavapipe: ' +
  "bash scripts/install-lavapipe.sh), or use init({ device: 'cpu' })";

const nodeGpus = new Map<string, Promise<GPU | null>>();

/**
 * Dawn's package name, held in a variable: bundlers building a browser app (Vite, webpack, Rollup,
 * esbuild) follow an `import('webgpu')` with a literal specifier and fail on Dawn's Node-only code
 * (`node:path`, `createRequire`, a native addon), though the browser never runs it. A variable
 * specifier, with the comments that silence Vite's and webpack's notices, is left for Node to
 * resolve at run time.
 */
const DAWN_PACKAGE = 'webgpu';

/** Whether `e`, thrown by importing Dawn, says the `webgpu` package itself is not installed. */
function isDawnMissing(e: unknown): boolean {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(message).includes(`'${DAWN_PACKAGE}'`);
}

/**
 * Dawn's GPU object in Node, one per distinct set of flags; null when the `webgpu` package is
 * not installed (it is an optional peer dependency). An installed package that fails to load (no
 * binary for this platform, a missing system library) throws BackendUnavailableError with the cause.
 */
function dawn(flags: readonly string[]): Promise<GPU | null> {
  const key = flags.join('\n');
  let gpu = nodeGpus.get(key);
  if (!gpu) {
    gpu = (async () => {
      let mod: typeof import('webgpu');
      try {
        mod = await import(/* @vite-ignore */ /* webpackIgnore: true */ DAWN_PACKAGE);
      } catch (e) {
        if (isDawnMissing(e)) return null;
        nodeGpus.delete(key);
        throw new BackendUnavailableError('init', `the 'webgpu' package (Dawn) is installed but failed to load (${(e as Error).message}); ${SETUP_HINT}`);
      }
      Object.assign(globalThis, mod.globals);
      return mod.create([...flags]);
    })();
    nodeGpus.set(key, gpu);
  }
  return gpu;
}

async function findGpu(dawnFlags: readonly string[]): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  // Dawn flags need a Dawn instance of our own, even where a navigator.gpu shim exists in Node
  if (nav?.gpu && !(isNode && dawnFlags.length)) return nav.gpu;
  if (!isNode) throw new BackendUnavailableError('init', `this browser has no WebGPU (navigator.gpu is missing); ${SETUP_HINT}`);
  const gpu = await dawn(dawnFlags);
  if (!gpu) {
    throw new BackendUnavailableError(
      'init',
      "WebGPU in Node needs the 'webgpu' package (Dawn's Node binding), an optional peer dependency of @aimodel/tensor that is not installed: run npm install webgpu (browsers need nothing: they use navigator.gpu)",
    );
  }
  return gpu;
}

function describe(adapter: GPUAdapter): string {
  const info = adapter.info;
  return [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
}

/** Software rasterisers (Mesa lavapipe/llvmpipe, SwiftShader, WARP) and adapters flagged as fallback. */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const fallback =
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ||
    (adapter.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter;
  return Boolean(fallback) || /llvmpipe|lavapipe|swiftshader|microsoft basic render/i.test(describe(adapter));
}

/** The WGSL language features of the GPU object each device was opened through. */
const languageFeatures = /* @__PURE__ */ new WeakMap<GPUDevice, ReadonlySet<string>>();

/**
 * The WGSL language features (`packed_4x8_integer_dot_product`, …) available to `device`'s
 * shaders: those of the GPU object {@link requestGpu} opened it through (`navigator.gpu` or
 * Dawn's), or, for a device opened elsewhere, of `navigator.gpu` when there is one, else none.
 */
export function wgslLanguageFeatures(device: GPUDevice): ReadonlySet<string> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return languageFeatures.get(device) ?? nav?.gpu?.wgslLanguageFeatures ?? new Set();
}

/** Options of {@link requestGpu}. */
export interface RequestGpuOptions {
  powerPreference?: GPUPowerPreference;
  /** Refuse software adapters (lavapipe, SwiftShader, WARP). */
  hardwareOnly?: boolean;
  /** Flags for Dawn's `create()` in Node (e.g. `enable-dawn-features=disable_robustness`). */
  dawnFlags?: readonly string[];
}

/**
 * Open a WebGPU device: the adapter's limits above at their maximum and the features
 * `subgroups`, `timestamp-query` and `shader-f16` where the adapter has them.
 * Throws `BackendUnavailableError` (op 'init') saying what to install when there is no adapter.
 * @example
 * ```ts no-run: internal to the WebGPU backend (not exported)
 * const device = await requestGpu();
 * ```
 */
export async function requestGpu(opts: RequestGpuOptions = {}): Promise<GPUDevice> {
  const gpu = await findGpu(opts.dawnFlags ?? []);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new BackendUnavailableError('init', `requesting a WebGPU adapter failed (${(e as Error).message}); ${SETUP_HINT}`);
  }
  if (!adapter) throw new BackendUnavailableError('init', `no WebGPU adapter was found; ${SETUP_HINT}`);
  if (opts.hardwareOnly && isSoftwareAdapter(adapter)) {
    throw new BackendUnavailableError('init', `the only WebGPU adapter is a software one (${describe(adapter)}), which is slower than the CPU backend`);
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  try {
    const device = await adapter.requestDevice({ label: 'aimodel', requiredLimits, requiredFeatures });
    languageFeatures.set(device, new Set(gpu.wgslLanguageFeatures ?? []));
    return device;
  } catch (e) {
    throw new BackendUnavailableError('init', `opening the WebGPU device failed (${(e as Error).message}); ${SETUP_HINT}`);
  }
}
