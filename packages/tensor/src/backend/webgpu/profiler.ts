import type { DeviceName, TransferCounts } from '../backend';
import { backendOf, getDefaultDevice } from '../../device';
import { ArgumentError } from '../../errors';
import type { WebGpuBackend } from './index';
import type { DispatchProbe } from './command-queue';
import type { Runtime } from './runtime';
import { USAGE } from './usage';

/**
 * GPU profiling with timestamp queries. While a profile runs, the command queue hands every
 * dispatch to a {@link KernelProfiler}: it counts the dispatch under its kernel key and, when the
 * device has 'timestamp-query', gives it a compute pass of its own whose beginning and end write
 * two timestamps into a query set. Before each submission the written queries are resolved into a
 * buffer; after the profiled function, one copy per query set into a mappable buffer is read back
 * and the pass durations are summed per key. Nothing here runs while no profile is active.
 *
 * This module is loaded with the package, so it only imports the WebGPU backend's types.
 */

/**
 * Time and dispatch count of one kernel in a {@link profile}.
 * @example
 * ```ts no-run: profiles WebGPU kernels (the examples test runs on the CPU)
 * const { kernels } = await profile(() => y.sum().item(), { device: 'webgpu' });
 * const slowest: KernelProfile = kernels[0]; // { key, dispatches, gpuMs }
 * ```
 */
export interface KernelProfile {
  /** The kernel's cache key (its generated code's name and configuration). */
  key: string;
  /** Dispatches of this kernel recorded while profiling. */
  dispatches: number;
  /**
   * GPU time of those dispatches in milliseconds (the sum over their compute passes), or null when
   * the device has no 'timestamp-query' feature. Timestamps of software adapters may be coarse or 0.
   */
  gpuMs: number | null;
}

/**
 * What {@link profile} returns.
 * @example
 * ```ts no-run: profiles WebGPU kernels (the examples test runs on the CPU)
 * const { result, kernels, totalGpuMs, submits } = await profile(() => x.matmul(x).sum().item(), { device: 'webgpu' });
 * ```
 */
export interface ProfileResult<T> {
  /** What the profiled function returned (awaited). */
  result: T;
  /** One entry per kernel key, slowest first (most dispatched first when there are no timestamps). */
  kernels: KernelProfile[];
  /** The sum of the kernels' `gpuMs`, or null without 'timestamp-query'. */
  totalGpuMs: number | null;
  /** Queue submissions made while the function ran (each read back of data makes one). */
  submits: number;
  /**
   * Tensor data copied while the function ran: host→device `writes` (uploads of host values) and
   * device→host `reads` (`data()`, `item()`), with their bytes (see `memory()`'s `transfers`).
   * A training step in steady state writes only its batch and reads only what it reports.
   * @example
   * ```ts no-run: profiles WebGPU kernels (the examples test runs on the CPU)
   * await init({ device: 'webgpu' });
   * const x = tensor([1, 2, 3], { device: 'webgpu' });
   * const { transfers } = await profile(() => x.mul(2).sum().item(), { device: 'webgpu' });
   * transfers.writes; // 0: the 2 is a kernel parameter, not an upload
   * transfers.reads;  // 1
   * ```
   */
  transfers: TransferCounts;
}

/**
 * Options of {@link profile}.
 * @example
 * ```ts no-run: profiles WebGPU kernels (the examples test runs on the CPU)
 * await profile(step, { device: 'webgpu' });
 * ```
 */
export interface ProfileOptions {
  /** The device whose kernels are profiled: 'webgpu' (default: the default device). */
  device?: DeviceName;
}

/** The most queries one query set may hold (WebGPU's limit). */
const MAX_QUERIES = 4096;
/** Resolve destinations must be 256-byte aligned: 32 queries of 8 bytes. */
const RESOLVE_ALIGN_QUERIES = 32;

interface TimedSet {
  querySet: GPUQuerySet;
  /** QUERY_RESOLVE | COPY_SRC, 8 bytes per query. */
  resolve: GPUBuffer;
  /** Queries handed out (the next pass writes `next` and `next + 1`). */
  next: number;
  /** Queries up to here are resolved or skipped. */
  resolved: number;
  /** The kernel key of the pass whose beginning is query `2 * i` (sparse where skipped). */
  keys: string[];
}

/**
 * Counts dispatches per kernel key and, when `timestamps` is set, times each one with a pair of
 * timestamp queries. Attach it with `Runtime.setProbe`, submit and detach, then `collect()`.
 * `dispose()` frees every query set and buffer (`collect` calls it).
 */
export class KernelProfiler implements DispatchProbe {
  private readonly counts = new Map<string, number>();
  private sets: TimedSet[] = [];
  private readonly capacity: number;

  /** `capacity`: queries per query set (a multiple of 32, at most 4096); smaller only in tests. */
  constructor(
    private readonly device: GPUDevice,
    readonly timestamps: boolean,
    capacity = MAX_QUERIES,
  ) {
    this.capacity = Math.min(MAX_QUERIES, Math.max(RESOLVE_ALIGN_QUERIES, Math.ceil(capacity / RESOLVE_ALIGN_QUERIES) * RESOLVE_ALIGN_QUERIES));
  }

  /** Query sets created so far (tests). */
  get querySets(): number {
    return this.sets.length;
  }

  dispatched(key: string): GPUComputePassTimestampWrites | undefined {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (!this.timestamps) return undefined;
    let set = this.sets.at(-1);
    if (!set || set.next + 2 > this.capacity) {
      set = {
        querySet: this.device.createQuerySet({ label: 'aimodel profile', type: 'timestamp', count: this.capacity }),
        resolve: this.device.createBuffer({ label: 'aimodel profile resolve', size: 8 * this.capacity, usage: USAGE.QUERY_RESOLVE | USAGE.COPY_SRC }),
        next: 0,
        resolved: 0,
        keys: [],
      };
      this.sets.push(set);
    }
    const begin = set.next;
    set.keys[begin / 2] = key;
    set.next += 2;
    return { querySet: set.querySet, beginningOfPassWriteIndex: begin, endOfPassWriteIndex: begin + 1 };
  }

  beforeSubmit(encoder: GPUCommandEncoder): void {
    for (const set of this.sets) {
      if (set.next === set.resolved) continue;
      encoder.resolveQuerySet(set.querySet, set.resolved, set.next - set.resolved, set.resolve, 8 * set.resolved);
      // the next submission's range must start at an aligned destination offset
      set.next = set.resolved = Math.min(this.capacity, Math.ceil(set.next / RESOLVE_ALIGN_QUERIES) * RESOLVE_ALIGN_QUERIES);
    }
  }

  /**
   * Read the resolved timestamps back (after the profiled work was submitted and the profiler
   * detached) and return one entry per kernel key. Frees everything, also when it throws.
   */
  async collect(): Promise<KernelProfile[]> {
    try {
      const ns = this.timestamps ? await this.readDurations() : null;
      const kernels = [...this.counts].map(([key, dispatches]): KernelProfile => {
        const t = ns?.get(key);
        return { key, dispatches, gpuMs: ns ? (t ?? 0) / 1e6 : null };
      });
      return kernels.sort((a, b) => (b.gpuMs ?? 0) - (a.gpuMs ?? 0) || b.dispatches - a.dispatches || (a.key < b.key ? -1 : 1));
    } finally {
      this.dispose();
    }
  }

  /** Destroy the query sets and resolve buffers (idempotent). */
  dispose(): void {
    for (const set of this.sets) {
      set.querySet.destroy();
      set.resolve.destroy();
    }
    this.sets = [];
  }

  /** Nanoseconds per kernel key, summed over its passes. */
  private async readDurations(): Promise<Map<string, number>> {
    const sets = this.sets.filter((s) => s.resolved > 0);
    const total = new Map<string, number>();
    if (sets.length === 0) return total;
    const reads = sets.map((s) => this.device.createBuffer({ label: 'aimodel profile read', size: 8 * s.resolved, usage: USAGE.MAP_READ | USAGE.COPY_DST }));
    try {
      const encoder = this.device.createCommandEncoder({ label: 'aimodel profile' });
      sets.forEach((s, i) => encoder.copyBufferToBuffer(s.resolve, 0, reads[i], 0, 8 * s.resolved));
      this.device.queue.submit([encoder.finish()]);
      await Promise.all(reads.map((r) => r.mapAsync(1 /* GPUMapMode.READ */)));
      sets.forEach((s, i) => {
        const stamps = new BigUint64Array(reads[i].getMappedRange());
        s.keys.forEach((key, pass) => {
          if (2 * pass + 1 >= s.resolved) return; // never submitted (the device was lost)
          const begin = stamps[2 * pass];
          const end = stamps[2 * pass + 1];
          // some implementations report an end before the beginning for very short passes
          const d = end > begin ? Number(end - begin) : 0;
          total.set(key, (total.get(key) ?? 0) + d);
        });
      });
      return total;
    } finally {
      for (const r of reads) r.destroy();
    }
  }
}

/**
 * Profile the GPU kernels a function runs on the WebGPU runtime `rt` (what {@link profile} does
 * once it has the runtime). `timestamps` defaults to whether the device has 'timestamp-query'.
 */
export async function profileRuntime<T>(
  rt: Runtime,
  fn: () => T | Promise<T>,
  opts: { timestamps?: boolean; capacity?: number } = {},
): Promise<ProfileResult<Awaited<T>>> {
  rt.checkAlive();
  if (rt.queue.probing) throw new ArgumentError('profile', 'another profile is already running on this device');
  const profiler = new KernelProfiler(rt.device, opts.timestamps ?? rt.hasFeature('timestamp-query'), opts.capacity);
  try {
    rt.setProbe(profiler); // submits earlier work first: it is not part of the profile
    const before = rt.stats();
    let result: Awaited<T>;
    let submits: number;
    let transfers: TransferCounts;
    try {
      result = await fn();
      const after = rt.stats();
      submits = after.submits - before.submits;
      transfers = {
        writes: after.uploads - before.uploads,
        writeBytes: after.uploadBytes - before.uploadBytes,
        reads: after.reads - before.reads,
        readBytes: after.readBytes - before.readBytes,
      };
    } finally {
      rt.setProbe(null); // submits the work still recorded, resolving its queries
    }
    let kernels: KernelProfile[];
    try {
      kernels = await profiler.collect();
    } catch (e) {
      rt.checkAlive(); // a lost device is reported as such
      throw e;
    }
    const totalGpuMs = profiler.timestamps ? kernels.reduce((s, k) => s + (k.gpuMs ?? 0), 0) : null;
    return { result, kernels, totalGpuMs, submits, transfers };
  } finally {
    profiler.dispose();
  }
}

/**
 * Run `fn` (sync or async) and report the GPU kernels it dispatched: per kernel key the number of
 * dispatches and the GPU time measured with timestamp queries, plus the number of queue
 * submissions and the tensor data copied between host and device (`transfers`). Profiling changes no results; while it runs each dispatch gets its own compute
 * pass (timestamps are per pass), so the step runs a little slower than it otherwise would.
 * Work recorded before the call is submitted first and is not counted; the work `fn` leaves
 * recorded is submitted and waited for before this resolves. Buffer copies and uploads are not
 * timed; work recorded by other code while an async `fn` awaits is counted with it.
 *
 * When the device has no 'timestamp-query' feature, `gpuMs` and `totalGpuMs` are null and only
 * the dispatch counts are reported. Software adapters (Mesa lavapipe) may report coarse or zero
 * times. Profiles do not nest: a second one on the same device throws `ArgumentError`, as does a
 * device other than 'webgpu' (`'cpu'` has no GPU kernels to time).
 * @example
 * ```ts no-run: profiles WebGPU kernels (the examples test runs on the CPU)
 * await init({ device: 'webgpu' });
 * const x = randn([512, 512]);
 * const { result, kernels, totalGpuMs } = await profile(() => x.matmul(x).relu().sum().item(), { device: 'webgpu' });
 * for (const k of kernels) console.log(k.key, k.dispatches, k.gpuMs?.toFixed(3));
 * ```
 */
export async function profile<T>(fn: () => T | Promise<T>, opts: ProfileOptions = {}): Promise<ProfileResult<Awaited<T>>> {
  const device = opts.device ?? getDefaultDevice();
  if (device === 'cpu') throw new ArgumentError('profile', 'GPU profiling needs the webgpu device');
  if (device !== 'webgpu') throw new ArgumentError('profile', `unknown device '${String(device)}' (expected 'webgpu')`);
  if (typeof fn !== 'function') throw new ArgumentError('profile', 'expected a function to profile');
  return profileRuntime((backendOf('webgpu') as WebGpuBackend).runtime, fn);
}
