import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { setHeapEnabled } from '../../src/backend/cpu/heap';
import { setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';
import { setQuantizedSimd } from '../../src/backend/cpu/wasm/quantized';
import { memory, quantize, requantizePerTensor, scope, tensor } from '../../src';
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
