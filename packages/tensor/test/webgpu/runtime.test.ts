import { afterAll, describe, expect, it } from 'vitest';
import type { Storage, View } from '../../src/backend/backend';
import { CpuBackend } from '../../src/backend/cpu';
import { WebGpuBackend } from '../../src/backend/webgpu';
import { sizeClass } from '../../src/backend/webgpu/buffer-pool';
import { PARAMS_BYTES } from '../../src/backend/webgpu/command-queue';
import { bufferOf } from '../../src/backend/webgpu/storage';
import { linearGrid } from '../../src/backend/webgpu/wgsl/grid';
import { params } from '../../src/backend/webgpu/wgsl/params';
import { allocArray, castScalar, DTYPES, type DType, type TypedArray } from '../../src/dtype';
import { DeviceError, init, memory, scope, tensor } from '../../src/index';
import { openTestGpu } from '../helpers';
import { axpbKernel } from '../helpers/axpb-kernel';
import { expectSameStorageOn, hostValues, int, on, pairOn, randomShape, rng, sourceView, targetView, whole } from './storage-views';

const device = await openTestGpu();
const suite = describe.skipIf(!device);
const gpu = device ? new WebGpuBackend(device) : (null as unknown as WebGpuBackend);
const cpu = new CpuBackend();
afterAll(() => device?.destroy());

const pair = (dtype: DType, data: TypedArray) => pairOn(cpu, gpu, dtype, data);
const expectSameStorage = (c: Storage, g: Storage, what: string) => expectSameStorageOn(cpu, gpu, c, g, what);

suite('webgpu runtime: write and read', () => {
  it.each(DTYPES)('round-trips %s data, including offsets and strided reads', async (dtype) => {
    const data = hostValues(dtype, 37, rng(dtype.length));
    const { c, g } = pair(dtype, data);
    expect(Array.from(await gpu.read(whole(g)))).toEqual(Array.from(data));
    const views: Omit<View, 'storage'>[] = [
      { shape: [5], strides: [1], offset: 7 },
      { shape: [3, 4], strides: [1, 3], offset: 2 },
      { shape: [2, 3, 2], strides: [17, 0, 5], offset: 1 },
      { shape: [], strides: [], offset: 36 },
      { shape: [0, 4], strides: [4, 1], offset: 0 },
    ];
    for (const v of views) expect(Array.from(await gpu.read(on(g, v))), JSON.stringify(v)).toEqual(Array.from(cpu.readSync(on(c, v))));
    gpu.free(g);
  });

  it('converts bool, int8 and uint8 to and from 32-bit words exactly', async () => {
    const cases: [DType, number[]][] = [
      ['bool', [0, 1, 1, 0]],
      ['int8', [-128, -1, 0, 127]],
      ['uint8', [0, 1, 128, 255]],
      ['int32', [-(2 ** 31), -1, 0, 2 ** 31 - 1]],
    ];
    for (const [dtype, values] of cases) {
      const data = allocArray(dtype, values.length);
      data.set(values);
      const { g } = pair(dtype, data);
      const back = await gpu.read(whole(g));
      expect(back).toBeInstanceOf(data.constructor);
      expect(Array.from(back)).toEqual(values);
      gpu.free(g);
    }
  });
});

suite('webgpu runtime: fill and copy against the CPU backend', () => {
  it('fill on random strided views of every dtype', async () => {
    const r = rng(7);
    for (let t = 0; t < 60; t++) {
      const dtype = DTYPES[t % DTYPES.length];
      const shape = randomShape(r);
      const v = targetView(r, shape);
      const { c, g } = pair(dtype, hostValues(dtype, v.size, r));
      const value = [0, 1, -3.75, 300.5, -129, Number.NaN][t % 6];
      cpu.fill(on(c, { shape, ...v }), castScalar(value, dtype)); // the CPU stores a bool fill's raw byte

      gpu.fill(on(g, { shape, ...v }), value);
      await expectSameStorage(c, g, `fill ${dtype} ${JSON.stringify({ shape, ...v, value })}`);
      gpu.free(g);
    }
  });

  // every conversion once on a rank-3 view (a kernel per rank and dtype pair: each one costs a
  // compile on a cold shader cache), every rank for two conversions; the random sweep over ranks
  // and conversions is test/kernels/copy.test.ts (npm run test:kernels)
  it('copy between random strided views: every dtype conversion, every rank', async () => {
    const r = rng(11);
    const cases: [DType, DType, number][] = [
      ...DTYPES.flatMap((from) => DTYPES.map((to): [DType, DType, number] => [from, to, 3])),
      ...[0, 1, 2, 4, 5].flatMap((rank): [DType, DType, number][] => [
        ['float32', 'int32', rank],
        ['int32', 'int8', rank],
      ]),
    ];
    for (const [from, to, rank] of cases) {
      const shape = Array.from({ length: rank }, () => int(r, 2, 5));
      const s = sourceView(r, shape);
      const d = targetView(r, shape);
      const src = pair(from, hostValues(from, s.size, r));
      const dst = pair(to, hostValues(to, d.size, r));
      cpu.copy(on(src.c, { shape, ...s }), on(dst.c, { shape, ...d }));
      gpu.copy(on(src.g, { shape, ...s }), on(dst.g, { shape, ...d }));
      await expectSameStorage(dst.c, dst.g, `copy ${from}→${to} ${JSON.stringify({ shape, s, d })}`);
      gpu.free(src.g);
      gpu.free(dst.g);
    }
    expect(cases.length).toBe(35);
  });

  it('copy of sizes that are not multiples of the workgroup, large enough for a 2-D grid, and within one storage', async () => {
    for (const n of [1, 63, 65, 1000, 70_001]) {
      const data = hostValues('float32', 2 * n, rng(n));
      const { c, g } = pair('float32', data);
      // reversed-halves view into the same storage (kernel path with a copy made aside)
      const src = { shape: [n], strides: [2], offset: 1 };
      const dst = { shape: [n], strides: [2], offset: 0 };
      cpu.copy(on(c, src), on(c, dst));
      gpu.copy(on(g, src), on(g, dst));
      await expectSameStorage(c, g, `n=${n}`);
      gpu.free(g);
    }
    expect(linearGrid(70_001 * 64, 64)[1]).toBeGreaterThan(1);
  });

  it('NaN converts to true and ±0 to false', async () => {
    const { g } = pair('float32', Float32Array.from([Number.NaN, -0, 0, -0.5]));
    const out = gpu.alloc('bool', 4);
    gpu.copy(whole(g), whole(out));
    expect(Array.from(await gpu.read(whole(out)))).toEqual([1, 0, 0, 1]);
  });
});

suite('webgpu runtime: dispatch API', () => {
  /** y = a·x + b, with a (f32) and b (i32) from the params. */
  const axpb = axpbKernel('test:axpb', 'f32(bitcast<i32>(p[2]))');

  it('each dispatch gets its own params; a sequence of dispatches and one read is one submission', async () => {
    const rt = gpu.runtime;
    const n = 100;
    const x = gpu.alloc('float32', n);
    gpu.write(
      x,
      Float32Array.from({ length: n }, (_, i) => i),
    );
    const outs = [0, 1, 2, 3, 4].map(() => gpu.alloc('float32', n));
    await gpu.read(whole(x)); // settle: start from an empty queue
    const before = rt.stats();
    outs.forEach((o, k) => {
      rt.dispatch(
        axpb,
        [bufferOf(x), bufferOf(o)],
        params()
          .u32(n)
          .f32(k + 0.5)
          .i32(-k),
        linearGrid(n, 64),
      );
    });
    gpu.fill(whole(outs[4]), 2);
    rt.dispatch(axpb, [bufferOf(outs[4]), bufferOf(outs[0])], [n, 0x40000000 /* 2.0f */, 1], linearGrid(n, 64));
    const pending = rt.stats();
    expect(pending.submits).toBe(before.submits);
    expect(pending.dispatches - before.dispatches).toBe(7);
    const y0 = await gpu.read(whole(outs[0]));
    const y3 = await gpu.read(whole(outs[3]));
    expect(rt.stats().submits - before.submits).toBe(2); // one per read; the second read had nothing else pending
    expect(Array.from(y0)).toEqual(new Array(n).fill(5));
    expect(Array.from(y3)).toEqual(Array.from({ length: n }, (_, i) => Math.fround(3.5 * i - 3)));
    for (const s of [x, ...outs]) gpu.free(s);
  });

  it('params of one submission past the params buffer: the queue submits and starts over, every dispatch sees its own words', async () => {
    // one submission of up to 10,000 dispatches (the default submits every 2,048): 1 MiB of params
    // at 256 bytes each holds 4,096, so the 5,000 below overflow it once
    const own = new WebGpuBackend((await openTestGpu()) as GPUDevice, { maxPendingDispatches: 10_000 });
    const rt = own.runtime;
    const n = 8;
    const x = own.alloc('float32', n);
    own.write(
      x,
      Float32Array.from({ length: n }, (_, i) => i),
    );
    const count = PARAMS_BYTES / 256 + 904;
    const outs = Array.from({ length: count }, () => own.alloc('float32', n));
    await own.read(whole(x));
    const before = rt.stats();
    outs.forEach((o, k) =>
      rt.dispatch(
        axpb,
        [bufferOf(x), bufferOf(o)],
        params()
          .u32(n)
          .f32(k)
          .i32(k % 7),
        [1],
      ),
    );
    expect(rt.stats().submits - before.submits).toBe(1); // the overflow, not the dispatch limit
    for (const k of [0, 1, 4095, 4096, 4097, count - 1]) {
      expect(Array.from(await own.read(whole(outs[k]))), `dispatch ${k}`).toEqual(Array.from({ length: n }, (_, i) => Math.fround(k * i + (k % 7))));
    }
    own.runtime.device.destroy();
  });

  it('bind groups are cached by layout and buffers: a repeated step creates none; the cache is bounded', async () => {
    const rt = gpu.runtime;
    const n = 16;
    const [x, y, z] = [0, 1, 2].map(() => gpu.alloc('float32', n));
    gpu.write(x, new Float32Array(n).fill(1));
    const step = (k: number) => {
      rt.dispatch(axpb, [bufferOf(x), bufferOf(y)], [n, 0x40000000 /* 2.0f */, k], [1]);
      rt.dispatch(axpb, [bufferOf(y), bufferOf(z)], [n, 0x3f800000 /* 1.0f */, k], [1]);
    };
    step(0);
    const before = rt.stats();
    for (let k = 1; k <= 50; k++) step(k);
    const after = rt.stats();
    expect(after.bindGroupHits - before.bindGroupHits).toBe(100);
    expect(after.bindGroups).toBe(before.bindGroups);
    // different params words, same bind group: each dispatch still reads its own (dynamic offset)
    expect(Array.from(await gpu.read(whole(z)))).toEqual(new Array(n).fill(2 + 50 + 50));
    for (const s of [x, y, z]) gpu.free(s);

    const small = new WebGpuBackend((await openTestGpu()) as GPUDevice, { bindGroupCacheSize: 4 });
    const src = small.alloc('float32', n);
    small.write(src, new Float32Array(n).fill(3));
    const outs = Array.from({ length: 10 }, () => small.alloc('float32', n));
    for (const [k, o] of outs.entries()) small.runtime.dispatch(axpb, [bufferOf(src), bufferOf(o)], [n, 0x3f800000, k], [1]);
    expect(small.runtime.stats().bindGroups).toBe(4);
    for (const [k, o] of outs.entries()) expect(Array.from(await small.read(whole(o)))).toEqual(new Array(n).fill(3 + k));
    small.runtime.device.destroy();
  });

  it('a fresh pipeline is compiled once per key', () => {
    const rt = gpu.runtime;
    const x = gpu.alloc('float32', 4);
    const y = gpu.alloc('float32', 4);
    rt.dispatch(axpb, [bufferOf(x), bufferOf(y)], [4, 0, 0], [1]);
    const compiled = rt.stats().pipelines;
    rt.dispatch(axpb, [bufferOf(x), bufferOf(y)], [4, 0, 0], [1]);
    expect(rt.stats().pipelines).toBe(compiled);
    gpu.free(x);
    gpu.free(y);
  });
});

suite('webgpu runtime: buffer pool and ordering', () => {
  it('a released buffer is reused by the next allocation of its size class', () => {
    const a = gpu.alloc('float32', 1000);
    const buf = bufferOf(a);
    gpu.free(a);
    const b = gpu.alloc('int32', 900); // 3600 B and 4000 B share the 4 KiB class
    expect(bufferOf(b)).toBe(buf);
    gpu.free(b);
    expect(sizeClass(1, 2 ** 32)).toBe(256);
    expect(sizeClass(4000, 2 ** 32)).toBe(4096);
    expect(sizeClass(130 * 2 ** 20 + 1, 128 * 2 ** 20)).toBe(130 * 2 ** 20 + 256); // past the binding limit: no doubling
  });

  it('pooled bytes stay bounded over 1,000 alloc/free cycles', async () => {
    const rt = gpu.runtime;
    const r = rng(3);
    const start = rt.stats().buffers;
    for (let i = 0; i < 1000; i++) {
      const held = [int(r, 1, 5000), int(r, 1, 300), int(r, 1, 70_000)].map((n) => gpu.alloc('float32', n));
      for (const s of held) gpu.free(s);
    }
    await gpu.read(whole(gpu.alloc('float32', 1)));
    const end = rt.stats().buffers;
    expect(end.live).toBeLessThanOrEqual(start.live + 1);
    expect(end.created - start.created).toBeLessThan(40); // ~ one buffer per size class and slot
    expect(end.pooledBytes).toBeLessThan(4 * 2 ** 20);
  });

  it('a write into a just-released pooled buffer does not overtake commands that read it', async () => {
    const a = gpu.alloc('float32', 64);
    gpu.write(a, new Float32Array(64).fill(1));
    const b = gpu.alloc('float32', 64);
    gpu.copy(on(a, { shape: [64], strides: [1], offset: 0 }), on(b, { shape: [8, 8], strides: [1, 8], offset: 0 })); // kernel, unsubmitted
    const c = gpu.alloc('float32', 64);
    gpu.copy(whole(a), whole(c)); // buffer copy, unsubmitted
    const buf = bufferOf(a);
    gpu.free(a);
    const d = gpu.alloc('float32', 64);
    expect(bufferOf(d)).toBe(buf);
    gpu.write(d, new Float32Array(64).fill(7));
    expect(Array.from(await gpu.read(whole(b)))).toEqual(new Array(64).fill(1));
    expect(Array.from(await gpu.read(whole(c)))).toEqual(new Array(64).fill(1));
    expect(Array.from(await gpu.read(whole(d)))).toEqual(new Array(64).fill(7));
    for (const s of [b, c, d]) gpu.free(s);
  });
});

suite('webgpu backend through tensors', () => {
  it('moves tensors to the GPU, reads them back, and keeps memory() flat', async () => {
    await init({ device: 'webgpu' });
    await init({ device: 'cpu' });
    const before = memory().devices.webgpu;
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]).to('webgpu');
    expect(x.device).toBe('webgpu');
    expect(await x.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const xt = x.transpose(0, 1);
    expect(await xt.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    xt.dispose();
    const flags = tensor([true, false], { dtype: 'bool' }).to('webgpu');
    expect(Array.from(await flags.data())).toEqual([1, 0]);
    expect(memory().devices.webgpu).toEqual({ tensors: before.tensors + 2, bytes: before.bytes + 256 + 256 }); // the buffers' size class
    flags.dispose();
    expect(() => x.to('cpu')).toThrow(DeviceError);
    const ex = x.exp();
    Array.from(await ex.data()).forEach((v, i) => expect(Math.abs(v - Math.exp(i + 1)) / Math.exp(i + 1)).toBeLessThan(1e-5));
    ex.dispose();
    for (let i = 0; i < 20; i++) {
      scope(() => {
        tensor([1, 2, 3], { device: 'webgpu' }).reshape([3, 1]).expand([3, 4]).contiguous();
      });
    }
    x.dispose();
    expect(memory().devices.webgpu).toEqual(before);
  });
});

suite('webgpu runtime: device loss', () => {
  it('after the device is destroyed every call throws DeviceError instead of hanging', async () => {
    const dev = await openTestGpu();
    const be = new WebGpuBackend(dev!);
    const s = be.alloc('float32', 16);
    be.write(s, new Float32Array(16));
    const pending = be.read(whole(s));
    dev!.destroy();
    // the read was submitted before the loss; its mapping is aborted and reported, not left hanging
    const outcome = await Promise.race([
      pending.then(
        () => 'resolved',
        (e) => e,
      ),
      new Promise((r) => setTimeout(() => r('hung'), 5000)),
    ]);
    expect(outcome).toBeInstanceOf(DeviceError);
    expect(String(outcome)).toMatch(/webgpu: device lost: /);
    await be.runtime.lost;
    expect(() => be.alloc('float32', 4)).toThrow(DeviceError);
    expect(() => be.write(s, new Float32Array(16))).toThrow(/webgpu: device lost: /);
    expect(() => be.fill(whole(s), 1)).toThrow(DeviceError);
    expect(() => be.unary('exp', whole(s), s)).toThrow(DeviceError);
    await expect(be.read(whole(s))).rejects.toThrow(DeviceError);
    expect(() => be.free(s)).not.toThrow();
  });
});
