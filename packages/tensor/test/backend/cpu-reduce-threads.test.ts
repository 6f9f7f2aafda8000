import { describe, expect, it } from 'vitest';
import { setSimdPath } from '../../src/backend/cpu/wasm/simd-driver';
import { keep, memory, scope, type Tensor, tensor } from '../../src/index';
import { heapWorkersOnly, threePaths } from '../helpers/threads';
import { firstDifference, rand } from './simd-helpers';

// Conv bias gradients (sums of heap tensors [N, C, H, W] over dims 0, 2, 3) on worker threads:
// the image rows split in ranges across the threads, each output's row sums added in row order,
// so two threads give one thread's bits; checked against the JS loop and, with values whose sums
// are exact in any order, against hand-made sums. The caller leaves every chunk to the workers.

heapWorkersOnly();

/** threePaths with this file's JS paths. */
const paths = (f: () => Tensor) => threePaths(f, (on) => setSimdPath(on ? 'js' : 'auto'));

describe('CPU conv bias-gradient sums on worker threads', () => {
  for (const [shape, permuted] of [
    [[64, 8, 28, 28], false], // the small CNN's first conv
    [[64, 16, 14, 14], false], // its second
    [[37, 5, 16, 12], false], // row ranges that cut images
    [[600, 16, 1, 8], false], // 9600 rows: two passes of 8192 and 1408 rows (the second on one thread)
    [[8, 64, 14, 14], true], // [C, N, H, W] permuted to [N, C, …]: rows not back to back (strided per channel)
  ] as [number[], boolean][]) {
    it(`x[${shape}]${permuted ? ' (permuted view)' : ''}.sum([0, 2, 3]): the same bits on 1 and 2 threads, near the JS loop`, async () => {
      const m0 = memory().tensors;
      const x = scope(() =>
        keep(
          tensor(
            rand(
              shape.reduce((p, d) => p * d, 1),
              7,
            ),
          ).reshape(shape),
        ),
      );
      const view = () => (permuted ? x.permute([1, 0, 2, 3]) : x);
      const r = await paths(() => view().sum([0, 2, 3]));
      expect(r.one).toBeAllClose(r.js, { rtol: 1e-6, atol: 1e-4 });
      expect(firstDifference(r.two, r.one)).toBe(-1);
      expect(r.worked).toBeGreaterThan(0);
      x.dispose();
      expect(memory().tensors).toBe(m0);
    });
  }

  it('sums every image of every channel (values whose sums are exact in any order)', async () => {
    const [N, C, HW] = [53, 3, 16 * 16]; // 2 chunks of 80 rows: the cut inside an image
    const v = new Float32Array(N * C * HW);
    const want = new Float32Array(C);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < HW; i++) {
          const value = ((n * 7 + c * 13 + i) % 17) - 8 + (c + 1) * 0.25;
          v[(n * C + c) * HW + i] = value;
          want[c] += value;
        }
    const x = scope(() => keep(tensor(v).reshape([N, C, 16, 16])));
    const r = await paths(() => x.sum([0, 2, 3]));
    for (const got of [r.js, r.one, r.two]) expect(Array.from(got)).toEqual(Array.from(want));
    expect(r.worked).toBeGreaterThan(0);
    x.dispose();
  });
});
