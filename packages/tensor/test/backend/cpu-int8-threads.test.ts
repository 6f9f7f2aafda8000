import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { setSplitSettings } from '../../src/backend/cpu/wasm/gemm-driver';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { setHeapEnabled } from '../../src/backend/cpu/heap';
import { outData } from '../../src/backend/cpu/storage';
import { setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';
import { wasmInt8Gemm } from '../../src/backend/cpu/wasm/int8-gemm';
import { setQuantizedSimd } from '../../src/backend/cpu/wasm/quantized';
import { matmul, memory, type QuantizedConv2dOptions, quantizedConv2d, scope, tensor } from '../../src';
import { untilWorkersHelp } from '../helpers/threads';
import { randInt8 } from '../helpers/random-int8';

// The int8 gemm (and through it int8 matmul and QuantizedLinear) split across the worker pool:
// integer results are exact, so 2 threads must give 1 thread's bytes. The int8 convolution runs
// image by image on the pool (column stride 1, Ho·Wo a multiple of 4, K ≤ 512, tensors in the CPU
// heap) and must give the one-thread bytes too, in every output mode, as the fused path does.

const rand = randInt8;

/** `f` on one thread, then on two until a worker took part (every 2-thread run the same bytes; the int8 gemm ran each time). */
async function oneAndTwo<T extends Int32Array | Int8Array | Uint8Array | Float32Array>(f: () => T, split = true): Promise<[T, T]> {
  setCpuThreads(2);
  f(); // creates the int8 gemm's shared twin, whose modules the pool then runs
  setCpuThreads(1);
  const calls = wasmInt8Gemm()!.calls.standard;
  const one = f();
  expect(wasmInt8Gemm()!.calls.standard).toBeGreaterThan(calls);
  setCpuThreads(2);
  expect(await warmGemmThreads()).toBe(true);
  const chunks = workerChunks();
  const two = split ? untilWorkersHelp(f) : f();
  if (split) expect(workerChunks()).toBeGreaterThan(chunks);
  else expect(workerChunks()).toBe(chunks);
  return [one, two];
}

afterAll(() => setCpuThreads(1));

describe('int8 gemm on 2 threads', () => {
  it('gives the exact products, the bytes of 1 thread, with a worker taking part (K past one block, ragged edges)', async () => {
    const [M, N, K] = [130, 203, 600];
    const a = rand(M * K, 1),
      b = rand(K * N, 2);
    const [one, two] = await oneAndTwo(() => {
      const c = new Int32Array(M * N);
      wasmInt8Gemm()!(M, N, K, a, 0, K, 1, b, 0, N, 1, c, 0, N);
      return c;
    });
    expect(Buffer.compare(Buffer.from(two.buffer), Buffer.from(one.buffer))).toBe(0);
    for (const [i, j] of [
      [0, 0],
      [129, 202],
      [64, 101],
      [7, 200],
    ]) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      expect(two[i * N + j]).toBe(s);
    }
  });

  it('int8 matmul and the fused int8 convolution (both split) give 1 thread’s bytes, without leaking tensors', async () => {
    const x = rand(64 * 512, 3),
      w = rand(512 * 256, 4);
    const start = memory().tensors;
    const [m1, m2] = await oneAndTwo(() =>
      scope(() => matmul(tensor(x, { dtype: 'int8' }).reshape([64, 512]), tensor(w, { dtype: 'int8' }).reshape([512, 256])).dataSync() as Int32Array),
    );
    expect(m2).toEqual(m1);
    let s = 0;
    for (let k = 0; k < 512; k++) s += x[5 * 512 + k] * w[k * 256 + 17];
    expect(m2[5 * 256 + 17]).toBe(s);
    const img = rand(4 * 16 * 24 * 24, 5),
      filt = rand(32 * 16 * 9, 6);
    const conv = () =>
      scope(
        () =>
          quantizedConv2d(tensor(img, { dtype: 'int8' }).reshape([4, 16, 24, 24]), tensor(filt, { dtype: 'int8' }).reshape([32, 16, 3, 3]), {
            inputScale: 0.02,
            inputZeroPoint: -3,
            weightScale: 0.01,
            bias: new Float32Array(32).fill(0.25),
            output: { scale: 0.05, zeroPoint: 4, dtype: 'int8' },
            padding: [1, 1],
          }).dataSync() as Int8Array,
      );
    const [c1, c2] = await oneAndTwo(conv);
    expect(c2.length).toBe(4 * 32 * 24 * 24);
    expect(c2).toEqual(c1);
    expect(new Set(c2).size).toBeGreaterThan(50); // not saturated: the comparison means something
    expect(memory().tensors).toBe(start);
  });

  const convCases: [string, number[], number[], Partial<QuantizedConv2dOptions>][] = [
    [
      'uint8 out, dilation 2, padding [2, 1], stride [2, 1]',
      [5, 6, 19, 20],
      [12, 6, 3, 3],
      { stride: [2, 1], padding: [2, 1], dilation: [2, 2], output: { scale: 0.04, zeroPoint: 100, dtype: 'uint8' } },
    ],
    [
      'float32 out (dequantized), groups 2, a 1×5 kernel, no padding',
      [4, 8, 16, 24],
      [6, 4, 1, 5],
      { groups: 2, output: { scale: 0.03, zeroPoint: -7, dtype: 'int8' }, dequantize: true },
    ],
    [
      'int8 out, 28×28 planes (two 16-byte groups a row), 1 input channel (the MNIST first layer)',
      [7, 1, 28, 28],
      [16, 1, 3, 3],
      { padding: [1, 1], output: { scale: 0.02, zeroPoint: -128, dtype: 'int8' } },
    ],
  ];
  for (const [name, xs, ws, extra] of convCases)
    it(`the threaded int8 convolution gives the one-thread bytes: ${name}`, async () => {
      // the workers alone take the chunks (the calling thread waits), so they surely run some
      const prev = setSplitSettings({ callerHelps: false });
      onTestFinished(() => void setSplitSettings(prev));
      const img = rand(
          xs.reduce((a, b) => a * b),
          7,
        ),
        filt = rand(
          ws.reduce((a, b) => a * b),
          8,
        );
      const opts = { inputScale: 0.02, inputZeroPoint: 5, weightScale: 0.01, bias: new Float32Array(ws[0]).map((_, i) => i * 0.1 - 0.3), ...extra };
      const conv = () =>
        scope(() => quantizedConv2d(tensor(img, { dtype: 'int8' }).reshape(xs), tensor(filt, { dtype: 'int8' }).reshape(ws), opts).dataSync() as Int8Array);
      const [c1, c2] = await oneAndTwo(conv);
      expect(c2).toEqual(c1);
      expect(new Set(c2).size).toBeGreaterThan(20);
      // tensors outside the CPU heap: the fused path, on the calling thread; the same bytes
      setHeapEnabled(false);
      onTestFinished(() => setHeapEnabled(true));
      const [p1, p2] = await oneAndTwo(conv, false);
      expect(p1).toEqual(c1);
      expect(p2).toEqual(c1);
    });

  it.each([1, 2])(
    'the threaded convolution keeps a weight packed across calls (memory().packed), and packs it again when its bytes change in place (%i threads: call tables replayed)',
    async (threads) => {
      setCpuThreads(threads);
      if (threads > 1) expect(await warmGemmThreads()).toBe(true);
      const start = memory().tensors;
      const img = scope(() => tensor(rand(3 * 4 * 12 * 12, 11), { dtype: 'int8' }).reshape([3, 4, 12, 12]));
      const w = scope(() => tensor(rand(8 * 4 * 9, 12), { dtype: 'int8' }).reshape([8, 4, 3, 3]));
      const opts = { inputScale: 0.02, weightScale: 0.01, output: { scale: 0.05, zeroPoint: 1, dtype: 'int8' as const }, padding: 1 };
      const conv = (weight: typeof w) => scope(() => quantizedConv2d(img, weight, opts).dataSync() as Int8Array);
      const packedBefore = memory().packed;
      const first = conv(w);
      const held = memory().packed;
      expect(held).toBeGreaterThan(packedBefore); // the packed weight, a derived copy of w's storage
      expect(conv(w)).toEqual(first); // served from the packed copy
      expect(memory().packed).toBe(held); // not packed again
      // the same storage, other bytes (written in place, as an in-place op would): packed again
      const changed = rand(8 * 4 * 9, 13);
      outData(w._storage).set(changed);
      expect(memory().packed).toBe(packedBefore); // the write released the copy
      const fresh = scope(() => tensor(changed, { dtype: 'int8' }).reshape([8, 4, 3, 3]));
      const want = conv(fresh);
      expect(want).not.toEqual(first);
      expect(conv(w)).toEqual(want);
      // another output kind in between, then the first again (a replayed table must be this call's)
      const asUint8 = { ...opts, output: { scale: 0.05, zeroPoint: 128, dtype: 'uint8' as const } };
      const u = scope(() => quantizedConv2d(img, fresh, asUint8).dataSync() as Uint8Array);
      setQuantizedSimd(false); // the JS loops: the reference
      onTestFinished(() => void setQuantizedSimd(true));
      const uJs = scope(() => quantizedConv2d(img, fresh, asUint8).dataSync() as Uint8Array);
      setQuantizedSimd(true);
      expect(u).toEqual(uJs);
      expect(conv(w)).toEqual(want);
      for (const t of [img, w, fresh]) t.dispose();
      expect(memory().tensors).toBe(start);
      expect(memory().packed).toBe(packedBefore); // freed with the weights
      setCpuThreads(1);
    },
  );
});
