/**
 * Compute pipelines cached by kernel key (STYLE guideline 6): a kernel is a function from a
 * config to a `KernelSource` whose `key` covers everything baked into its code; sizes that vary
 * go in the parameter words instead, so one pipeline serves every shape.
 */

/** How a kernel binds a tensor buffer: `read` (var<storage, read>) or `read_write`. */
export type BufferAccess = 'read' | 'read_write';

/**
 * A self-describing WGSL compute kernel. Entry point `main`.
 *
 * Bindings (group 0): the tensor buffers at 0..n-1 with the access in `bindings` (by default
 * every buffer is `read` except the last, `read_write`), then, when the dispatch passes
 * parameter words, `var<storage, read> p: array<u32>` at binding n.
 * @example
 * ```ts no-run: internal to the WebGPU backend (not exported)
 * const k: KernelSource = { key: 'double', workgroupSize: [64, 1, 1], code: `…fn main(…) {…}` };
 * ```
 */
export interface KernelSource {
  /** Cache key: two kernels with the same key must have the same code. */
  readonly key: string;
  readonly code: string;
  readonly workgroupSize: readonly [number, number, number];
  /** Access of each tensor binding; defaults to read-only inputs and a read_write last buffer. */
  readonly bindings?: readonly BufferAccess[];
}

/**
 * A kernel generator memoized on its arguments (compared as JSON). Generators are pure functions
 * of their configuration, and building the WGSL text of a kernel (a matmul's is several KiB) on
 * every dispatch, only for the pipeline cache to find it compiled, cost more than the rest of the
 * dispatch on the host. The memo is shared by all devices (the text does not depend on one).
 */
/* @__NO_SIDE_EFFECTS__ */
export function memoKernel<A extends unknown[]>(make: (...args: A) => KernelSource): (...args: A) => KernelSource {
  const made = new Map<string, KernelSource>();
  return (...args: A) => {
    const key = args.length === 1 && typeof args[0] !== 'object' ? String(args[0]) : JSON.stringify(args);
    let kernel = made.get(key);
    if (!kernel) {
      kernel = make(...args);
      made.set(key, kernel);
    }
    return kernel;
  };
}

/** The access list a dispatch of `kernel` over `count` buffers uses. */
export function bindingAccess(kernel: KernelSource, count: number): readonly BufferAccess[] {
  if (kernel.bindings) return kernel.bindings;
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? 'read_write' : 'read'));
}

export interface CachedPipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, CachedPipeline>();
  private compiled = 0;

  constructor(private readonly device: GPUDevice) {}

  /**
   * The pipeline for `kernel` with tensor bindings `access` and, when `withParams`, the params
   * binding after them. Layouts are explicit, so bindings a kernel does not use are still valid.
   */
  get(kernel: KernelSource, access: readonly BufferAccess[], withParams: boolean): CachedPipeline {
    const key = `${kernel.key}|${access.map((a) => (a === 'read' ? 'r' : 'w')).join('')}${withParams ? '|p' : ''}`;
    let hit = this.pipelines.get(key);
    if (hit) return hit;
    const entries: GPUBindGroupLayoutEntry[] = access.map((a, binding) => ({
      binding,
      visibility: 4, // GPUShaderStage.COMPUTE
      buffer: { type: a === 'read' ? 'read-only-storage' : 'storage' },
    }));
    // params: one persistent buffer, each dispatch's words at a dynamic offset (see command-queue.ts)
    if (withParams) entries.push({ binding: access.length, visibility: 4, buffer: { type: 'read-only-storage', hasDynamicOffset: true } });
    const layout = this.device.createBindGroupLayout({ label: key, entries });
    const module = this.device.createShaderModule({ label: kernel.key, code: kernel.code });
    const pipeline = this.device.createComputePipeline({
      label: kernel.key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    hit = { pipeline, layout };
    this.pipelines.set(key, hit);
    this.compiled++;
    return hit;
  }

  /** Pipelines compiled so far (a cache hit does not count). */
  get size(): number {
    return this.compiled;
  }
}
