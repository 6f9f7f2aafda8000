import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { View } from '../../src/backend/backend';
import { runStarts } from '../../src/backend/cpu/conv-batch';
import { gemm, matmul } from '../../src/backend/cpu/matmul';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { ThreadPool, WakeGauge } from '../../src/backend/cpu/thread-pool';
import { expectSameBits, oneAndTwo, untilWorkersHelp } from '../helpers/threads';
import { setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';
import { Code, ValType, encodeModule, memoryImport } from '../../src/backend/cpu/wasm/encoder';
import { type SplitSettings, setSplitSettings } from '../../src/backend/cpu/wasm/gemm-driver';
import { threadedGemm, wasmGemm } from '../../src/backend/cpu/wasm/gemm-kernel';
import { heapReplays } from '../../src/backend/cpu/wasm/heap-pool';
import { ArgumentError, conv2d, getThreads, init, manualSeed, memory, randn, scope, tensor } from '../../src';

/** Seeded floats in [-1, 1). */
function randArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

const view = (data: Float32Array, shape: number[], strides: number[], offset = 0): View => ({
  storage: { device: 'cpu', dtype: 'float32', size: data.length, bytes: data.byteLength, refs: 1, data } as CpuStorage,
  shape,
  strides,
  offset,
});

/** C = A·B in doubles, the reference (rows i ≡ 0 mod `every` only; the others stay 0). */
function reference(M: number, N: number, K: number, a: (i: number, k: number) => number, b: (k: number, j: number) => number, every = 1): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i += every)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a(i, k) * b(k, j);
      c[i * N + j] = s;
    }
  return c;
}

describe('CPU gemm on worker threads', () => {
  let prev: SplitSettings;
  beforeAll(() => {
    expect(threadedGemm()?.memory?.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(wasmGemm()?.memory?.buffer).toBeInstanceOf(ArrayBuffer); // one thread: a plain memory (faster JS copies)
    // split even small products, into small chunks, all run by the worker: edge tiles too
    prev = setSplitSettings({ minWork: 1, minChunk: 1 << 10, callerHelps: false });
  });
  afterAll(() => {
    setSplitSettings(prev);
    setCpuThreads(1);
  });

  // [M, N, K, A transposed, B transposed]: skinny (gemv), odd, blocks of every size (MC 128,
  // MS 1024, NC 512, KC 256 edges: several steps, tiles and partial panels)
  const cases: [number, number, number, boolean, boolean][] = [
    [1, 300, 200, false, false],
    [300, 1, 200, false, true],
    [2, 9, 3, false, false],
    [37, 53, 29, true, false],
    [130, 257, 300, false, true],
    [129, 520, 513, true, true],
    [1029, 515, 260, false, false],
  ];
  for (const [M, N, K, ta, tb] of cases) {
    it(`${M}×${N}×${K}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}: the same bits on 1 and 2 threads, and right`, async () => {
      const a = randArray(M * K, M * 7 + K),
        b = randArray(K * N, N * 13 + K);
      // A stored [K, M] when transposed (element (i, k) at k·M + i), B likewise [N, K]
      const [ars, acs] = ta ? [1, M] : [K, 1],
        [brs, bcs] = tb ? [1, K] : [N, 1];
      const before = workerChunks();
      const [one, two] = await oneAndTwo(() => {
        const c = new Float32Array(M * N + 3).fill(7); // +3: nothing written past C
        gemm(M, N, K, a, 0, ars, acs, b, 0, brs, bcs, c, 0, N, false);
        return c;
      });
      expectSameBits(one, two);
      if (M > 1 && N > 1 && M * N * K > 5000) expect(workerChunks()).toBeGreaterThan(before);
      expect(Array.from(two.subarray(M * N))).toEqual([7, 7, 7]);
      const every = M > 200 ? 17 : 1; // rows checked against doubles (every row of a block edge is in some tile)
      const ref = reference(
        M,
        N,
        K,
        (i, k) => a[i * ars + k * acs],
        (k, j) => b[k * brs + j * bcs],
        every,
      );
      let err = 0;
      for (let i = 0; i < M; i += every) for (let j = 0; j < N; j++) err = Math.max(err, Math.abs(two[i * N + j] - ref[i * N + j]));
      expect(err).toBeLessThan(1e-4 * Math.sqrt(K));
    });
  }

  it('accumulates into C (C += A·B, rows ldc apart) the same way on 1 and 2 threads', async () => {
    const [M, N, K, ldc] = [70, 90, 600, 100];
    const a = randArray(M * K, 1),
      b = randArray(K * N, 2),
      c0 = randArray(M * ldc, 3);
    const [one, two] = await oneAndTwo(() => {
      const c = c0.slice();
      gemm(M, N, K, a, 0, K, 1, b, 0, N, 1, c, 0, ldc, true);
      return c;
    });
    expectSameBits(one, two);
    const ref = reference(
      M,
      N,
      K,
      (i, k) => a[i * K + k],
      (k, j) => b[k * N + j],
    );
    expect(two[5 * ldc + 95]).toBe(c0[5 * ldc + 95]); // past column N: untouched
    expect(two[3 * ldc + 4]).toBeCloseTo(c0[3 * ldc + 4] + ref[3 * N + 4], 3);
  });

  it('batched matmul (broadcast B, folded rows; per-batch B) gives the same bits on 1 and 2 threads', async () => {
    const [B, M, K, N] = [3, 50, 70, 40];
    const x = randArray(B * M * K, 4),
      w = randArray(K * N, 5),
      ws = randArray(B * K * N, 6);
    const run = (bv: View) => {
      const out = new Float32Array(B * M * N);
      matmul(view(x, [B, M, K], [M * K, K, 1]), bv, {
        device: 'cpu',
        dtype: 'float32',
        size: out.length,
        bytes: out.byteLength,
        refs: 1,
        data: out,
      } as CpuStorage);
      return out;
    };
    const [b1, b2] = await oneAndTwo(() => run(view(w, [B, K, N], [0, N, 1])));
    expectSameBits(b1, b2);
    const [p1, p2] = await oneAndTwo(() => run(view(ws, [B, K, N], [K * N, 1, K]))); // each Bᵀ-strided
    expectSameBits(p1, p2);
    // batch 2, row 3, column 4 of the per-batch product, by hand
    let s = 0;
    for (let k = 0; k < K; k++) s += x[2 * M * K + 3 * K + k] * ws[2 * K * N + 4 * K + k];
    expect(p2[2 * M * N + 3 * N + 4]).toBeCloseTo(s, 4);
  });

  // [x shape, w shape, stride]: small images run image by image as chunks of wasm calls split
  // across threads (./conv-batch.ts: runs of images shrinking toward the middle of the batch; 1200
  // images need several jobs, reusing their areas); the last one's two images are too large for
  // that: its gemm splits by tiles and its im2col rows by row
  const convs: [number[], number[], [number, number]][] = [
    [
      [1200, 1, 5, 5],
      [2, 1, 3, 3],
      [1, 1],
    ],
    [
      [2, 6, 17, 15],
      [20, 6, 3, 3],
      [1, 2],
    ],
    [
      [2, 16, 24, 24],
      [8, 16, 3, 3],
      [1, 1],
    ],
    // the small CNN's layers
    [
      [64, 1, 28, 28],
      [8, 1, 3, 3],
      [1, 1],
    ],
    [
      [64, 8, 14, 14],
      [16, 8, 3, 3],
      [1, 1],
    ],
    [
      [7, 32, 24, 24],
      [8, 32, 3, 3],
      [1, 1],
    ],
    // large images: image by image from 4 images on, else split by tiles
    [
      [4, 32, 24, 40],
      [8, 32, 3, 3],
      [1, 1],
    ],
    [
      [2, 32, 40, 40],
      [8, 32, 3, 3],
      [1, 1],
    ],
  ];
  for (const [xs, ws, stride] of convs) {
    it(`conv2d x[${xs}] w[${ws}] + bias: forward and the three gradients give the same bits on 1 and 2 threads, and as a separate add`, async () => {
      const before = memory().tensors;
      const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
      // the bias added by the convolution (fused), or by an add after it (the reference)
      const run = (fused: boolean) =>
        scope(() => {
          const x = tensor(randArray(n(xs), 8), { requiresGrad: true });
          const w = tensor(randArray(n(ws), 9), { requiresGrad: true });
          const b = tensor(randArray(ws[0], 10), { requiresGrad: true });
          const y = fused
            ? conv2d(x.reshape(xs), w.reshape(ws), { padding: 1, stride, bias: b })
            : conv2d(x.reshape(xs), w.reshape(ws), { padding: 1, stride }).add(b.reshape([ws[0], 1, 1]));
          y.mul(y).sum().backward();
          const parts = [y.dataSync(), x.grad!.dataSync(), w.grad!.dataSync(), b.grad!.dataSync()] as Float32Array[];
          const all = new Float32Array(parts.reduce((k, p) => k + p.length, 0));
          let o = 0;
          for (const p of parts) {
            all.set(p, o);
            o += p.length;
          }
          return all;
        });
      const chunks = workerChunks();
      const [one, two] = await oneAndTwo(() => run(true));
      expectSameBits(one, two);
      expect(workerChunks()).toBeGreaterThan(chunks);
      expectSameBits(one, run(false));
      setCpuThreads(1);
      expectSameBits(one, run(false));
      expect(memory().tensors).toBe(before);
    });
  }

  it('the image-by-image convolution splits a batch into runs shrinking from both ends toward the middle, none over the cap', () => {
    // 2 threads: each run a quarter of the images left (caller from the front, workers from the back)
    expect(runStarts(64, 2, 1638)).toEqual([0, 16, 24, 28, 30, 31, 32, 33, 34, 36, 40, 48, 64]);
    // at most 5 images a run (the call table's room): the long runs cut into 5s, a shorter last
    expect(runStarts(64, 2, 5)).toEqual([0, 5, 10, 15, 16, 21, 24, 28, 30, 31, 32, 33, 34, 36, 40, 45, 48, 53, 58, 63, 64]);
    expect(runStarts(10, 4, 100)).toEqual([0, 2, 3, 4, 5, 6, 7, 8, 10]);
    expect(runStarts(1, 2, 9)).toEqual([0, 1]);
  });

  it('conv2d + bias whose weight or bias needs no gradient: the gradients that are needed keep the bits of a separate add', () => {
    const before = memory().tensors;
    const xs = [64, 8, 14, 14],
      ws = [16, 8, 3, 3];
    const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
    // needs: which of x, w, b require a gradient; the bias added by the conv (fused) or by an add
    const run = (needs: [boolean, boolean, boolean], fused: boolean) =>
      scope(() => {
        const [x, w, b] = [tensor(randArray(n(xs), 4)), tensor(randArray(n(ws), 5)), tensor(randArray(16, 6))];
        [x, w, b].forEach((t, i) => {
          t.requiresGrad = needs[i];
        });
        const y = fused
          ? conv2d(x.reshape(xs), w.reshape(ws), { padding: 1, bias: b })
          : conv2d(x.reshape(xs), w.reshape(ws), { padding: 1 }).add(b.reshape([16, 1, 1]));
        y.mul(y).sum().backward();
        return [x, w, b].map((t) => (t.grad ? Array.from(t.grad.dataSync()) : null));
      });
    for (const needs of [
      [true, false, true],
      [false, true, false],
      [false, true, true],
    ] as [boolean, boolean, boolean][]) {
      const [fused, separate] = [run(needs, true), run(needs, false)];
      expect(fused.map((g) => g !== null)).toEqual(needs);
      expect(fused).toEqual(separate);
    }
    expect(memory().tensors).toBe(before);
  });

  it('a convolution (with a bias) repeated with new values on the same heap blocks (its call tables replayed) gives the same bits as on 1 thread', async () => {
    const xs = [64, 8, 14, 14],
      ws = [16, 8, 3, 3];
    const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
    // three steps with other inputs and weights: from the second on, the same shapes in the same blocks
    const run = () =>
      Float32Array.from(
        [1, 2, 3].flatMap((seed) =>
          scope(() => {
            const x = tensor(randArray(n(xs), seed), { requiresGrad: true });
            const w = tensor(randArray(n(ws), seed + 10), { requiresGrad: true });
            const b = tensor(randArray(ws[0], seed + 20));
            const y = conv2d(x.reshape(xs), w.reshape(ws), { padding: 1, bias: b });
            y.mul(y).sum().backward();
            return [
              ...(y.dataSync() as Float32Array).subarray(0, 4096),
              ...(x.grad!.dataSync() as Float32Array).subarray(0, 4096),
              ...(w.grad!.dataSync() as Float32Array),
            ];
          }),
        ),
      );
    const replays = heapReplays.count;
    const [one, two] = await oneAndTwo(run);
    expectSameBits(one, two);
    expect(heapReplays.count).toBeGreaterThan(replays);
    // the steps differ (a replayed table would otherwise hide stale values)
    expect(one.subarray(0, 4096)).not.toEqual(one.subarray(one.length / 3, one.length / 3 + 4096));
  });
});

describe('ThreadPool', () => {
  // inc(addr): the f32x4 at addr += 1 (a trap when addr is out of bounds)
  const f = new Code();
  f.get(0).get(0).v128Load().f32x4Const(1).f32x4Add().v128Store();
  const module = new WebAssembly.Module(
    encodeModule({ memory: memoryImport(true), funcs: [{ params: [ValType.i32], results: [], locals: [], body: f, export: 'inc' }] }),
  );
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
  const lanes = new Float32Array(memory.buffer);
  let pool: ThreadPool;
  beforeAll(async () => {
    pool = new ThreadPool(2, memory, [module]);
    expect(await pool.whenReady()).toBe(true);
  });
  afterAll(() => pool.close());

  /** How many times each of the first n vectors was incremented (all four lanes must agree). */
  const counts = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      expect(lanes.subarray(4 * i, 4 * i + 4).every((v) => v === lanes[4 * i])).toBe(true);
      return lanes[4 * i];
    });

  it('runs every chunk exactly once; a worker alone finishes a job the caller does not help with', () => {
    lanes.fill(0);
    const before = pool.workerChunks;
    pool.begin();
    for (let i = 0; i < 500; i++) pool.add(0, 16 * i);
    pool.publish();
    pool.wait();
    expect(pool.workerChunks - before).toBe(500);
    expect(counts(501)).toEqual([...new Array(500).fill(1), 0]);
  });

  it('a call added with addIn runs in the area of the thread that claims it: worker p adds p·spread to the marked arguments', () => {
    const job = () => {
      pool.begin();
      for (let i = 0; i < 100; i++) pool.addIn(0b1, 0, 16 * i);
      pool.spread = 16 * 200; // the worker's area: 200 vectors on
    };
    lanes.fill(0);
    job();
    pool.publish();
    pool.wait(); // the worker alone
    expect(counts(301)).toEqual([...new Array(200).fill(0), ...new Array(100).fill(1), 0]);
    lanes.fill(0);
    job();
    pool.run(); // the caller (area 0) and the worker
    const c = counts(300);
    expect(c.slice(100, 200)).toEqual(new Array(100).fill(0));
    expect(c.slice(0, 100).map((v, i) => v + c[200 + i])).toEqual(new Array(100).fill(1));
    pool.begin();
    pool.add(0, 0);
    expect(pool.spread).toBe(0); // each job starts without
  });

  it('while the machine is found busy, sleeping workers are left asleep: the caller runs the job, or wakes them when it does not help', () => {
    const nap = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // the worker stops polling and sleeps
    lanes.fill(0);
    nap();
    pool.gauge.quietUntil = performance.now() + 60_000;
    const before = pool.workerChunks;
    pool.begin();
    for (let i = 0; i < 300; i++) pool.add(0, 16 * i);
    pool.run();
    expect(pool.workerChunks - before).toBe(0);
    nap();
    pool.begin();
    for (let i = 0; i < 300; i++) pool.add(0, 16 * i);
    pool.publish();
    pool.wait();
    pool.gauge.quietUntil = 0;
    expect(pool.workerChunks - before).toBe(300);
    expect(counts(301)).toEqual([...new Array(300).fill(2), 0]);
  });

  it('chunks of several calls, and chunks added to a running job, run once each', () => {
    lanes.fill(0);
    pool.begin(3);
    for (let i = 0; i < 301; i++) pool.add(0, 16 * i); // 100 chunks of 3 and one of 1 (padded)
    pool.publish(false); // the workers take chunks from the front: the job grows at the end
    for (let i = 301; i < 400; i++) pool.add(0, 16 * i);
    pool.extend();
    pool.help();
    pool.wait();
    expect(counts(401)).toEqual([...new Array(400).fill(1), 0]);
  });

  it('a job the workers take from the back runs every chunk once with the caller helping; it cannot grow', () => {
    lanes.fill(0);
    pool.begin(2);
    for (let i = 0; i < 333; i++) {
      pool.add(0, 16 * i);
      if (i % 3 !== 0) pool.endChunk(); // chunks of 2 calls and of 1 (padded)
    }
    pool.publish();
    pool.add(0, 16 * 400);
    expect(() => pool.extend()).toThrow('publish(false)');
    pool.help();
    pool.wait();
    expect(counts(334)).toEqual([...new Array(333).fill(1), 0]);
    pool.begin(2);
    for (let i = 0; i < 3; i++) pool.add(0, 16 * i);
    expect(() => pool.endChunk()).toThrow('more than 2 calls');
  });

  it('a detached job finishes by the next settle, begin or close', () => {
    lanes.fill(0);
    pool.begin();
    for (let i = 0; i < 200; i++) pool.add(0, 16 * i);
    pool.publish();
    pool.detach();
    pool.settle(); // helps and waits
    expect(counts(201)).toEqual([...new Array(200).fill(1), 0]);
    pool.begin();
    for (let i = 0; i < 200; i++) pool.add(0, 16 * i);
    pool.publish();
    pool.detach(false); // the workers alone
    pool.begin(); // settles the detached job first
    pool.add(0, 16 * 300);
    pool.run();
    expect(counts(301)).toEqual([...new Array(200).fill(2), ...new Array(100).fill(0), 1]);
    const other = new ThreadPool(2, memory, [module]);
    other.begin();
    for (let i = 0; i < 50; i++) other.add(0, 16 * (500 + i));
    other.publish();
    other.detach();
    other.close(); // finishes the job (here, the workers being still asleep or starting)
    expect(counts(550).slice(500)).toEqual(new Array(50).fill(1));
  });

  it('a chunk that traps makes wait() throw, and the next job runs normally', () => {
    lanes.fill(0);
    pool.begin();
    for (let i = 0; i < 8; i++) pool.add(0, i === 5 ? 1 << 30 : 16 * i);
    expect(() => pool.run()).toThrow('ThreadPool: chunk 5 failed');
    expect(counts(8)).toEqual([1, 1, 1, 1, 1, 0, 1, 1]);
    pool.begin();
    pool.add(0, 16 * 5);
    pool.run();
    expect(counts(8)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('a closed pool is no longer ready', () => {
    const other = new ThreadPool(2, memory, [module]);
    other.close();
    expect(other.ready).toBe(false);
  });
});

describe('WakeGauge (when waking the workers costs the caller too much, they are left asleep)', () => {
  /** Wakes of `ms` each, one every `every` ms from `from` until `to`, skipping those in a pause; returns the pauses (start, length). */
  const feed = (g: WakeGauge, from: number, to: number, every: number, ms: number): [number, number][] => {
    const pauses: [number, number][] = [];
    for (let t = from; t < to; t += every) {
      if (t < g.quietUntil) continue;
      const before = g.quietUntil;
      g.note(t, t + ms);
      if (g.quietUntil !== before) pauses.push([t + ms, g.quietUntil - (t + ms)]);
    }
    return pauses;
  };

  it('an idle machine (wakes of 10 µs, one a millisecond) never pauses them', () => {
    const g = new WakeGauge(0);
    expect(feed(g, 0, 1000, 1, 0.01)).toEqual([]);
    expect(g.quietUntil).toBe(0);
  });

  it('a busy machine (25% of the time in wakes) pauses them after one 20 ms window: 4 ms, doubling up to 512 ms', () => {
    const g = new WakeGauge(0);
    const pauses = feed(g, 0, 4000, 2, 0.5);
    expect(pauses[0]).toEqual([20.5, 4]);
    expect(pauses.map((p) => p[1]).slice(0, 9)).toEqual([4, 8, 16, 32, 64, 128, 256, 512, 512]);
  });

  it('a window with less of its time in wakes halves the next pause; reset forgets everything', () => {
    const g = new WakeGauge(0);
    const busy = feed(g, 0, 200, 2, 0.5); // pauses of 4, 8, 16, 32, 64: the next would be 128
    expect(busy.map((p) => p[1])).toEqual([4, 8, 16, 32, 64]);
    const start = Math.max(200, g.quietUntil);
    expect(feed(g, start, start + 21, 1, 0.1)).toEqual([]); // 2.1 ms of 20.1: 10%, calm
    const again = feed(g, start + 21, start + 60, 2, 0.5);
    expect(again[0][1]).toBe(64);
    g.reset(1000);
    expect(g.quietUntil).toBe(0);
    expect(feed(g, 1000, 1030, 2, 0.5)[0]).toEqual([1020.5, 4]);
  });
});

describe('init({ threads })', () => {
  let prev: SplitSettings;
  beforeAll(() => {
    prev = setSplitSettings({ callerHelps: false });
  });
  afterAll(() => {
    setSplitSettings(prev);
    setCpuThreads(1);
  });

  it('sets the CPU thread count; getThreads reports it', async () => {
    await init({ device: 'cpu', threads: 2 });
    expect(getThreads()).toBe(2);
    await init({ device: 'cpu', threads: 1 });
    expect(getThreads()).toBe(1);
  });

  it('rejects counts that are not integers from 1 to 256, and unknown options', async () => {
    for (const bad of [0, -1, 1.5, 257, Number.NaN, '2', null]) {
      const e = await init({ device: 'cpu', threads: bad as number }).catch((x: unknown) => x);
      expect(ArgumentError.isInstance(e)).toBe(true);
      expect((e as Error).message).toMatch(/^init: threads must be an integer from 1 to 256, got /);
    }
    await expect(init({ device: 'cpu', thread: 2 } as never)).rejects.toThrow("init: unknown option 'thread' (expected device, webgpu, threads)");
  });

  it('a large matmul through the public API is the same on 1 and 2 threads', async () => {
    const run = () =>
      scope(() => {
        manualSeed(1);
        const a = randn([160, 300]),
          b = randn([300, 170]);
        return (a.matmul(b).dataSync() as Float32Array).slice();
      });
    await init({ device: 'cpu', threads: 1 });
    const one = run();
    await init({ device: 'cpu', threads: 2 });
    const chunks = workerChunks();
    const two = untilWorkersHelp(run);
    expect(workerChunks()).toBeGreaterThan(chunks);
    expectSameBits(one, two);
  });
});

describe('worker threads in a process of their own', () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aimodel-threads-'));
    const entry = join(dir, 'entry.ts');
    // threads from the environment (no init), one large product, then nothing: the process must exit
    writeFileSync(
      entry,
      `import { getThreads, manualSeed, randn } from ${JSON.stringify(join(__dirname, '../../src/index.ts'))};
import { workerChunks } from ${JSON.stringify(join(__dirname, '../../src/backend/cpu/threads.ts'))};
import { warmGemmThreads } from ${JSON.stringify(join(__dirname, '../../src/backend/cpu/matmul.ts'))};
const threads = getThreads();
const started = await warmGemmThreads();
manualSeed(1);
const a = randn([300, 400]);
const b = randn([400, 300]);
const y = a.matmul(b);
// the caller takes chunks too: on a loaded machine it may finish a product before the worker wakes,
// so repeat (bounded) until the worker has taken one
for (let i = 0; i < 500 && workerChunks() === 0; i++) a.matmul(b).dispose();
console.log(JSON.stringify({ threads, started, worked: workerChunks() > 0, y: y.dataSync()[0] }));
`,
    );
    script = join(dir, 'entry.mjs');
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: script, logLevel: 'silent' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const runChild = (env: Record<string, string>) =>
    new Promise<{ code: number | null; out: string; err: string; ms: number }>((resolve) => {
      const t0 = Date.now();
      execFile(process.execPath, [script], { env: { ...process.env, ...env }, timeout: 15_000 }, (e, out, err) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, out, err, ms: Date.now() - t0 }),
      );
    });

  it('AIMODEL_THREADS=2 runs products on two threads and the process exits by itself', async () => {
    const r = await runChild({ AIMODEL_THREADS: '2' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out);
    expect(res).toMatchObject({ threads: 2, started: true, worked: true });
    const one = await runChild({ AIMODEL_THREADS: '1' });
    expect(JSON.parse(one.out)).toMatchObject({ threads: 1, started: false, worked: false, y: res.y });
  });

  it('a bad AIMODEL_THREADS is an ArgumentError', async () => {
    const r = await runChild({ AIMODEL_THREADS: 'many' });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("threads: the AIMODEL_THREADS environment variable must be an integer from 1 to 256, got 'many'");
  });
});
