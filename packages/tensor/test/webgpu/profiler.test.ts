import { afterAll, describe, expect, it } from 'vitest';
import type { Storage, View } from '../../src/backend/backend';
import { WebGpuBackend } from '../../src/backend/webgpu';
import type { KernelSource } from '../../src/backend/webgpu/pipeline-cache';
import { profileRuntime } from '../../src/backend/webgpu/profiler';
import { bufferOf } from '../../src/backend/webgpu/storage';
import { linearGrid } from '../../src/backend/webgpu/wgsl/grid';
import { ArgumentError, init, memory, profile, type ProfileResult, scope, tensor, type Tensor } from '../../src/index';
import { openTestGpu } from '../helpers';
import { axpbKernel } from '../helpers/axpb-kernel';

/**
 * The opt-in GPU profiler. Timestamps of a software adapter may be coarse or zero, so these tests
 * check structure (keys, counts, totals, clean-up, unchanged results), never durations.
 */

const device = await openTestGpu();
const suite = describe.skipIf(!device);
afterAll(() => device?.destroy());

/** Counts what the profiler may create on `dev`: query sets (and their destruction) and compute passes. */
function instrument(dev: GPUDevice): { querySets: number; destroyed: number; passes: number; timedPasses: number } {
  const seen = { querySets: 0, destroyed: 0, passes: 0, timedPasses: 0 };
  const createQuerySet = dev.createQuerySet.bind(dev);
  dev.createQuerySet = (desc: GPUQuerySetDescriptor) => {
    const q = createQuerySet(desc);
    const destroy = q.destroy.bind(q);
    q.destroy = () => {
      seen.destroyed++;
      destroy();
    };
    seen.querySets++;
    return q;
  };
  const createCommandEncoder = dev.createCommandEncoder.bind(dev);
  dev.createCommandEncoder = (desc?: GPUCommandEncoderDescriptor) => {
    const enc = createCommandEncoder(desc);
    const begin = enc.beginComputePass.bind(enc);
    enc.beginComputePass = (d?: GPUComputePassDescriptor) => {
      seen.passes++;
      if (d?.timestampWrites) seen.timedPasses++;
      return begin(d);
    };
    return enc;
  };
  return seen;
}

const seen = device ? instrument(device) : null!;
const gpu = device ? new WebGpuBackend(device) : (null as unknown as WebGpuBackend);
const hasTimestamps = device?.features.has('timestamp-query') ?? false;

/** y += a·x: accumulates into `out`. */
const axpb = axpbKernel('test:axpb', 'y[i]');
const twice: KernelSource = { ...axpb, key: 'test:axpb-2' };

const whole = (s: Storage): View => ({ storage: s, shape: [s.size], strides: [1], offset: 0 });

/** `count` dispatches alternating between two kernel keys, accumulating into `out`; then reads `out`. */
async function workload(x: Storage, out: Storage, n: number, count: number): Promise<number[]> {
  const rt = gpu.runtime;
  for (let k = 0; k < count; k++) {
    rt.dispatch(k % 3 === 2 ? twice : axpb, [bufferOf(x), bufferOf(out)], [n, 0x3f800000 /* 1.0f */], linearGrid(n, 64));
  }
  return Array.from(await gpu.read(whole(out)));
}

/** Checks every profile must pass: non-negative times, totals equal to the sum over kernels. */
function expectConsistent(p: ProfileResult<unknown>, timestamps: boolean): void {
  for (const k of p.kernels) {
    expect(k.dispatches).toBeGreaterThan(0);
    if (timestamps) {
      expect(Number.isFinite(k.gpuMs)).toBe(true);
      expect(k.gpuMs).toBeGreaterThanOrEqual(0);
    } else {
      expect(k.gpuMs).toBeNull();
    }
  }
  if (!timestamps) {
    expect(p.totalGpuMs).toBeNull();
    return;
  }
  const sum = p.kernels.reduce((s, k) => s + k.gpuMs!, 0);
  expect(p.totalGpuMs).toBeCloseTo(sum, 9);
  const sorted = p.kernels.map((k) => k.gpuMs!);
  expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
}

suite('profiler on the runtime', () => {
  const n = 200;

  it('counts dispatches per key, times each in its own pass, and leaves results unchanged', async () => {
    const x = gpu.alloc('float32', n);
    gpu.write(
      x,
      Float32Array.from({ length: n }, (_, i) => i / 7),
    );
    const plain = gpu.alloc('float32', n);
    gpu.fill(whole(plain), 0.5);
    const profiled = gpu.alloc('float32', n);
    gpu.fill(whole(profiled), 0.5);
    await gpu.read(whole(x)); // settle

    const before = { ...seen };
    const want = await workload(x, plain, n, 9);
    // not profiling: no query sets, and the 9 dispatches share compute passes
    expect(seen.querySets).toBe(before.querySets);
    expect(seen.timedPasses).toBe(before.timedPasses);
    const plainPasses = seen.passes - before.passes;
    expect(plainPasses).toBeLessThan(9);

    const mid = { ...seen };
    const stats0 = gpu.runtime.stats();
    const p = await profileRuntime(gpu.runtime, () => workload(x, profiled, n, 9));
    expect(p.result).toEqual(want);
    expect(p.submits).toBe(1); // the read
    expect(p.kernels.map((k) => [k.key, k.dispatches]).sort()).toEqual([
      ['test:axpb', 6],
      ['test:axpb-2', 3],
    ]);
    // only the profiled function's dispatches are counted
    expect(gpu.runtime.stats().dispatches - stats0.dispatches).toBe(9);
    expectConsistent(p, hasTimestamps);
    if (hasTimestamps) {
      expect(seen.timedPasses - mid.timedPasses).toBe(9);
      expect(seen.querySets - mid.querySets).toBe(1);
    }
    expect(seen.destroyed).toBe(seen.querySets);

    // after the profile the queue is back to shared passes and no queries
    const after = { ...seen };
    await workload(x, plain, n, 9);
    expect(seen.passes - after.passes).toBe(plainPasses);
    expect(seen.querySets).toBe(after.querySets);
    for (const s of [x, plain, profiled]) gpu.free(s);
  });

  it('without timestamp-query reports dispatch counts and null times, creating no query set', async () => {
    const x = gpu.alloc('float32', n);
    const out = gpu.alloc('float32', n);
    gpu.fill(whole(x), 1);
    gpu.fill(whole(out), 0);
    const before = { ...seen };
    const p = await profileRuntime(gpu.runtime, () => workload(x, out, n, 5), { timestamps: false });
    expect(p.result).toEqual(new Array(n).fill(5));
    expect(p.kernels.map((k) => [k.key, k.dispatches, k.gpuMs]).sort()).toEqual([
      ['test:axpb', 4, null],
      ['test:axpb-2', 1, null],
    ]);
    expect(p.submits).toBe(1); // the fills left pending were submitted as the profile began, uncounted
    expectConsistent(p, false);
    expect(seen.querySets).toBe(before.querySets);
    expect(seen.timedPasses).toBe(before.timedPasses);
    gpu.free(x);
    gpu.free(out);
  });

  it.runIf(hasTimestamps)('spreads many passes over several query sets and submissions, destroying them all', async () => {
    const x = gpu.alloc('float32', n);
    const out = gpu.alloc('float32', n);
    gpu.fill(whole(x), 1);
    gpu.fill(whole(out), 0);
    await gpu.read(whole(out));
    const before = { ...seen };
    const pool0 = gpu.runtime.stats().buffers;
    // 32 queries per set: 16 passes each; three reads resolve partial ranges at aligned offsets
    const p = await profileRuntime(
      gpu.runtime,
      async () => {
        const a = await workload(x, out, n, 20);
        const b = await workload(x, out, n, 1);
        gpu.runtime.dispatch(axpb, [bufferOf(x), bufferOf(out)], [n, 0x3f800000], linearGrid(n, 64)); // left pending
        return [a[0], b[0]];
      },
      { capacity: 32 },
    );
    expect(p.result).toEqual([20, 21]);
    expect(p.submits).toBe(2);
    expect(p.kernels.reduce((s, k) => s + k.dispatches, 0)).toBe(22);
    expectConsistent(p, true);
    expect(seen.timedPasses - before.timedPasses).toBe(22);
    expect(seen.querySets - before.querySets).toBeGreaterThanOrEqual(3);
    expect(seen.destroyed).toBe(seen.querySets);
    expect(Array.from(await gpu.read(whole(out)))[0]).toBe(22); // the pending dispatch ran
    expect(gpu.runtime.stats().buffers.live).toBe(pool0.live);
    gpu.free(x);
    gpu.free(out);
  });

  it('a throwing function detaches the profiler and frees its queries; profiles do not nest', async () => {
    const x = gpu.alloc('float32', n);
    const out = gpu.alloc('float32', n);
    gpu.fill(whole(x), 1);
    gpu.fill(whole(out), 0);
    await expect(
      profileRuntime(gpu.runtime, () => {
        gpu.runtime.dispatch(axpb, [bufferOf(x), bufferOf(out)], [n, 0x3f800000], linearGrid(n, 64));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(gpu.runtime.queue.probing).toBe(false);
    expect(seen.destroyed).toBe(seen.querySets);
    expect(Array.from(await gpu.read(whole(out)))[0]).toBe(1); // its dispatch was submitted, and validly

    const inner = await profileRuntime(gpu.runtime, async () => {
      await expect(profileRuntime(gpu.runtime, () => 1)).rejects.toThrow(ArgumentError);
      return 2;
    });
    expect(inner.result).toBe(2);
    expect(inner.kernels).toEqual([]);
    expect(inner.totalGpuMs).toBe(hasTimestamps ? 0 : null);
    gpu.free(x);
    gpu.free(out);
  });
});

suite('profile() through tensors', () => {
  /** A small forward step, read back. */
  async function step(x: Tensor, w: Tensor, b: Tensor): Promise<number[]> {
    const y = scope(() => x.matmul(w).add(b).relu().softmax(-1).sum(0));
    try {
      return Array.from(await y.data());
    } finally {
      y.dispose();
    }
  }

  it('reports the kernels of a step with unchanged results and flat memory', async () => {
    await init({ device: 'webgpu' });
    await init({ device: 'cpu' });
    const x = tensor(
      Array.from({ length: 6 }, (_, i) => Array.from({ length: 5 }, (_, j) => Math.sin(i * 5 + j))),
      { device: 'webgpu' },
    );
    const w = tensor(
      Array.from({ length: 5 }, (_, i) => Array.from({ length: 4 }, (_, j) => Math.cos(i * 4 + j))),
      { device: 'webgpu' },
    );
    const b = tensor([0.1, -0.2, 0.3, -0.4], { device: 'webgpu' });
    const want = await step(x, w, b);
    const mem = memory();
    const p = await profile(() => step(x, w, b), { device: 'webgpu' });
    expect(p.result).toEqual(want);
    expect(memory()).toEqual(mem);
    expect(p.submits).toBe(1);
    expect(p.kernels.length).toBeGreaterThanOrEqual(4);
    expect(new Set(p.kernels.map((k) => k.key)).size).toBe(p.kernels.length);
    expectConsistent(p, hasTimestamps);

    // the same step profiled twice reports the same kernels and counts
    const again = await profile(async () => step(x, w, b), { device: 'webgpu' });
    const shape = (r: ProfileResult<unknown>) => r.kernels.map((k) => [k.key, k.dispatches]).sort();
    expect(shape(again)).toEqual(shape(p));
    expect(memory()).toEqual(mem);
    for (const t of [x, w, b]) t.dispose();
  });

  it('a synchronous function is profiled too; its pending work is submitted and timed', async () => {
    const p = await profile(
      () => {
        const t = tensor([1, 2, 3], { device: 'webgpu' });
        const y = t.exp();
        t.dispose();
        return y;
      },
      { device: 'webgpu' },
    );
    expect(p.submits).toBe(0);
    expect(p.kernels.map((k) => k.dispatches).reduce((a, c) => a + c, 0)).toBeGreaterThanOrEqual(1);
    expectConsistent(p, hasTimestamps);
    Array.from(await p.result.data()).forEach((v, i) => expect(v).toBeCloseTo(Math.exp(i + 1), 4));
    p.result.dispose();
  });
});

describe('profile() arguments', () => {
  it('rejects the CPU and unknown devices', async () => {
    await init({ device: 'cpu' });
    await expect(profile(() => 1, { device: 'cpu' })).rejects.toThrow(ArgumentError);
    await expect(profile(() => 1, { device: 'cpu' })).rejects.toThrow('profile: GPU profiling needs the webgpu device');
    await expect(profile(() => 1)).rejects.toThrow(ArgumentError); // the default device is the CPU here
    await expect(profile(() => 1, { device: 'tpu' as 'webgpu' })).rejects.toThrow(ArgumentError);
  });
});
