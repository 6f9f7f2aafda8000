import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemm } from '../../src/backend/cpu/matmul';
import { setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';
import { heapSplit } from '../../src/backend/cpu/wasm/heap-pool';
import { manualSeed, matmul, memory, randn, scope, type Tensor } from '../../src';
import { expectSameBits, oneAndTwo } from '../helpers/threads';

// Small float products of heap tensors (a dense layer's forward and gradients) split across the
// worker threads by panels (src/backend/cpu/dense.ts): the same bits as the single-threaded wasm
// gemm on plain arrays, for the row split (more row panels) and the column split, K blocks of
// 256 with a partial last one, depths not a multiple of 4, transposed views and folded batches.
describe('CPU small dense products on worker threads', () => {
  // the workers take every chunk (a product this small is over before a sleeping worker wakes, when the caller helps)
  beforeAll(() => {
    heapSplit.callerHelps = false;
  });
  afterAll(() => {
    heapSplit.callerHelps = true;
    setCpuThreads(1);
  });

  // [A shape, B shape, A transposed (stored [K, M]), B transposed (stored [N, K])]
  const cases: [number[], number[], boolean, boolean][] = [
    [[64, 784], [784, 10], false, false], // the small CNN's dense layer: h·w
    [[64, 10], [10, 784], false, true], // g·wᵀ (column split, N > 512, K = 10)
    [[784, 64], [64, 10], true, false], // hᵀ·g
    [[37, 530], [530, 13], false, false],
    [[5, 9], [9, 700], true, true],
    [[4, 50, 300], [300, 12], false, false], // batches folded into 200 rows
  ];
  for (const [as, bs, ta, tb] of cases) {
    it(`[${as}]${ta ? 'ᵀ' : ''} · [${bs}]${tb ? 'ᵀ' : ''}: the single-threaded gemm's bits on 1 and 2 threads`, async () => {
      const before = memory().tensors;
      const K = bs[0],
        N = bs[1],
        M = as.slice(0, -1).reduce((p, d) => p * d, 1);
      const run = () =>
        scope(() => {
          manualSeed(3);
          const a: Tensor = ta ? randn([as[1], as[0]]).transpose(0, 1) : randn(as);
          const b: Tensor = tb ? randn([bs[1], bs[0]]).transpose(0, 1) : randn(bs);
          return matmul(a, b).dataSync() as Float32Array;
        });
      const chunks = workerChunks();
      const [one, two] = await oneAndTwo(run);
      expectSameBits(one, two);
      expect(workerChunks()).toBeGreaterThan(chunks);
      // the wasm gemm on plain copies, one thread
      setCpuThreads(1);
      const [a, b] = scope(() => {
        manualSeed(3);
        const x = (ta ? randn([as[1], as[0]]) : randn(as)).dataSync() as Float32Array;
        const y = (tb ? randn([bs[1], bs[0]]) : randn(bs)).dataSync() as Float32Array;
        return [x.slice(), y.slice()];
      });
      const c = new Float32Array(M * N);
      gemm(M, N, K, a, 0, ta ? 1 : K, ta ? M : 1, b, 0, tb ? 1 : N, tb ? K : 1, c, 0, N, false);
      expectSameBits(c, two);
      expect(memory().tensors).toBe(before);
    });
  }
});
