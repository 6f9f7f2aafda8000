import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { setHeapEnabled } from '../../src/backend/cpu/heap';
import { setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';
import { heapSplit } from '../../src/backend/cpu/wasm/heap-pool';
import { setQuantizedSimd } from '../../src/backend/cpu/wasm/quantized';
import { manualSeed, maxPool2d, memory, quantize, quantizedLinear, rand, requantizePerTensor, scope, tensor } from '../../src';
import { untilWorkersHelp } from '../helpers/threads';
import { randInt8 } from '../helpers/random-int8';

// The int8 byte passes that run in place on heap tensors (../../src/backend/cpu/quantized-heap.ts),
// split across the worker pool with 2 threads: the bytes of 1 thread, of the JS loop and of tensors
// outside the heap, all equal to quantize of the float32 dequantization.

afterAll(() => setCpuThreads(1));

describe('requantizePerTensor on heap tensors', () => {
  it('gives the same bytes in place on 1 and 2 threads (a worker taking part), in the JS loop and outside the heap; no tensor leaks', async () => {
    const before = memory().tensors;
    const n = 70001; // not a multiple of 4 or of a chunk
    const codes = randInt8(n + 3, 5);
    /** The requantized bytes of codes 3… (a view from byte 3), read back. */
    const run = () =>
      scope(() => {
        const q = tensor(codes, { dtype: 'int8' }).slice(0, 3);
        return requantizePerTensor(q, 0.037, -9, 0.05, 17, 'int8').dataSync() as Int8Array;
      });
    const want = scope(() => {
      const q = tensor(codes.subarray(3), { dtype: 'int8' });
      return quantize(q.to('float32').sub(-9).mul(Math.fround(0.037)), 0.05, 17, 'int8').dataSync() as Int8Array;
    });
    expect(new Set(want).size).toBeGreaterThan(100);
    setCpuThreads(1);
    expect(run()).toEqual(want);
    setCpuThreads(2);
    expect(await warmGemmThreads()).toBe(true);
    const chunks = workerChunks();
    expect(untilWorkersHelp(run)).toEqual(want);
    // the pass is quick: the calling thread may finish every chunk before a worker wakes, so
    // once more with the workers alone
    heapSplit.callerHelps = false;
    onTestFinished(() => void (heapSplit.callerHelps = true));
    expect(run()).toEqual(want);
    heapSplit.callerHelps = true;
    expect(workerChunks()).toBeGreaterThan(chunks);
    setCpuThreads(1);
    setQuantizedSimd(false);
    onTestFinished(() => void setQuantizedSimd(true));
    expect(run()).toEqual(want); // the JS loop over the heap storage
    setQuantizedSimd(true);
    setHeapEnabled(false);
    onTestFinished(() => setHeapEnabled(true));
    expect(run()).toEqual(want); // plain arrays
    expect(memory().tensors).toBe(before);
  });
});

describe('quantize and 2×2 max pooling of heap tensors across threads', () => {
  it('give the bytes of one thread with the workers alone (runs of 16 values; pooled rows of 14 and 7 bytes through the tail buffers); no tensor leaks', async () => {
    const before = memory().tensors;
    // 4·33, 8·33 and 2·33 planes (6, 3 and 2 chunks of 16 K bytes: runs of 22, 88 and 33 planes),
    // 14 and 7 windows a row (a group's store 2 and 9 bytes past the row) and 17 (16 + 1);
    // 4·33·28·28 + 5 floats (a partial last group)
    const shapes = [
      [4, 33, 28, 28],
      [8, 33, 14, 14],
      [2, 33, 16, 34],
    ];
    const run = () =>
      scope(() => {
        manualSeed(7);
        const out: Uint8Array[] = [];
        for (const shape of shapes)
          for (const dtype of ['int8', 'uint8'] as const) {
            const q = quantize(rand(shape).mul(6).sub(3), 0.02, dtype === 'int8' ? -5 : 131, dtype);
            out.push(new Uint8Array(q.dataSync().buffer.slice(0)), new Uint8Array(maxPool2d(q, 2).dataSync().buffer.slice(0)));
          }
        const flat = quantize(
          rand([4 * 33 * 28 * 28 + 5])
            .mul(600)
            .sub(300),
          0.7,
          3,
          'int8',
        );
        out.push(new Uint8Array(flat.dataSync().buffer.slice(0)));
        return out;
      });
    setCpuThreads(1);
    const one = run();
    setCpuThreads(2);
    expect(await warmGemmThreads()).toBe(true);
    heapSplit.callerHelps = false;
    onTestFinished(() => void (heapSplit.callerHelps = true));
    const chunks = workerChunks();
    const two = run();
    expect(workerChunks()).toBeGreaterThan(chunks);
    heapSplit.callerHelps = true;
    expect(two.length).toBe(one.length);
    for (let i = 0; i < one.length; i++) expect(Buffer.compare(two[i], one[i]), `output ${i}`).toBe(0);
    setCpuThreads(1);
    expect(memory().tensors).toBe(before);
  });
});

describe('quantizedLinear’s requantization on heap tensors', () => {
  it('gives the same floats straight from the products’ block into the output’s on 1 and 2 threads, in the streamed pass, the JS loop and outside the heap; no tensor leaks', async () => {
    const before = memory().tensors;
    // 37 rows (not a multiple of a chunk) × 1036 columns (not of 8); dequantized (with and without a bias, ReLU) and float (dynamic) outputs
    const [M, N, K] = [37, 1036, 40];
    const xv = randInt8(M * K, 50),
      wv = randInt8(N * K, 51);
    const scales = Array.from({ length: N }, (_, j) => 0.002 + 0.0001 * (j % 17));
    const bias = Array.from({ length: N }, (_, j) => (j % 11) * 0.25 - 1.3);
    const run = () =>
      scope(() => {
        const x = tensor(xv, { dtype: 'int8' }).reshape([M, K]);
        const w = tensor(wv, { dtype: 'int8' }).reshape([N, K]);
        const common = { inputScale: 0.03, inputZeroPoint: -7, weightScale: scales };
        const output = { scale: 0.04, zeroPoint: 3, dtype: 'int8' } as const;
        return [
          quantizedLinear(x, w, { ...common, bias, output, dequantize: true }),
          quantizedLinear(x, w, { ...common, output, dequantize: true, relu: true }),
          quantizedLinear(x, w, { ...common, bias }),
          quantizedLinear(x, w, common),
        ];
      });
    /** The four outputs' floats, one after the other. */
    const all = () =>
      scope(() => {
        const out = new Float32Array(4 * M * N);
        run().forEach((y, i) => out.set(y.dataSync() as Float32Array, i * M * N));
        return out;
      });
    setCpuThreads(1);
    setQuantizedSimd(false);
    onTestFinished(() => void setQuantizedSimd(true));
    const want = all(); // the JS loop
    setQuantizedSimd(true);
    expect(new Set(want.subarray(0, M * N)).size).toBeGreaterThan(50);
    expect(want.subarray(M * N, 2 * M * N).every((v) => v >= 0)).toBe(true);
    expect(all()).toEqual(want); // in the heap, on this thread
    setCpuThreads(2);
    expect(await warmGemmThreads()).toBe(true);
    expect(all()).toEqual(want); // the pass on the calling thread, among pooled ops
    expect(all()).toEqual(want);
    setCpuThreads(1);
    setHeapEnabled(false);
    onTestFinished(() => setHeapEnabled(true));
    expect(all()).toEqual(want); // plain arrays: the streamed pass
    setHeapEnabled(true);
    expect(memory().tensors).toBe(before);
  });
});
