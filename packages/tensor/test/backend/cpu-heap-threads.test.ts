import { describe, expect, it } from 'vitest';
import { MIN_PIECE } from '../../src/backend/cpu/wasm/heap-pool';
import { setMaxPoolPath } from '../../src/backend/cpu/wasm/max-pool';
import { setSimdPath } from '../../src/backend/cpu/wasm/simd-driver';
import { keep, maxPool2d, memory, relu, scope, type Tensor, tensor } from '../../src/index';
import { firstDifference, rand } from './simd-helpers';
import { heapWorkersOnly, threePaths } from '../helpers/threads';

// Elementwise and max-pool kernels on heap tensors split across the worker threads
// (./wasm/heap-pool.ts): the same bits as on one thread and as the JS loops, for sizes that do not
// divide evenly among chunks, scalars per line (the workers' indirect modes), and tensors too small
// to split. The caller leaves every chunk to the workers here, so they surely run.

heapWorkersOnly();

/** A heap tensor of `shape` holding seeded values with some NaN, ±0, ±inf and exact zeros. */
function input(shape: number[], seed: number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const v = rand(n, seed, -2, 2);
  for (let i = 0; i < n; i += 97) v[i] = [0, -0, Number.NaN, Infinity, -Infinity, 0.5][(i / 97) % 6];
  return scope(() => keep(tensor(v).reshape(shape)));
}

/** threePaths with this file's JS paths. */
const paths = (f: () => Tensor) =>
  threePaths(f, (on) => {
    setSimdPath(on ? 'js' : 'auto');
    setMaxPoolPath(on ? 'js' : 'auto');
  });

const BIG = [3, 5, 4001]; // lines not a multiple of 4 (each call writes past its line's end): not split
const LINES = [37, 8, 28, 28]; // lines of 784 (a multiple of 4), 37 images: chunks of unequal size

describe('CPU heap kernels on worker threads', () => {
  const cases: [string, number[], (x: Tensor, y: Tensor, b: Tensor) => Tensor, boolean][] = [
    ['relu of one long line', [64, 8, 28, 28], (x) => relu(x), true],
    ['x · 0.5 (scalar operand, indirect)', [64, 8, 28, 28], (x) => x.mul(0.5), true],
    ['2 − x (scalar first)', [64, 8, 28, 28], (x) => tensor(2).sub(x), true],
    ['x + bias per channel (a scalar per line)', LINES, (x, _y, b) => x.add(b), true],
    ['x > 0 into bool bytes', LINES, (x) => x.gt(0), true],
    ['x ≤ y', LINES, (x, y) => x.le(y), true],
    ['y · (x > 0) (float × bool)', LINES, (x, y) => y.mul(x.gt(0)), true],
    ['x²', LINES, (x) => x.pow(2), true],
    ['lines of 4001 + a scalar each stay on one thread', BIG, (x, _y, b) => x.add(b), false],
    ['a tensor below the split size', [7, 100], (x) => relu(x), false],
  ];
  for (const [name, shape, f, splits] of cases) {
    it(name, async () => {
      const m0 = memory().tensors;
      const x = input(shape, 1),
        y = input(shape, 2),
        b = input([shape[1], 1, 1].slice(0, shape.length - 1), 3);
      const r = await paths(() => f(x, y, b));
      expect(firstDifference(r.one, r.js)).toBe(-1);
      expect(firstDifference(r.two, r.one)).toBe(-1);
      if (splits) expect(r.worked).toBeGreaterThan(0);
      else expect(r.worked).toBe(0);
      for (const t of [x, y, b]) t.dispose();
      expect(memory().tensors).toBe(m0);
    });
  }

  it('a single line of 2·MIN_PIECE + 13 floats splits into pieces, the tail handled', async () => {
    const x = input([2 * MIN_PIECE + 13], 4);
    const r = await paths(() => x.mul(x));
    expect(firstDifference(r.two, r.js)).toBe(-1);
    expect(r.worked).toBeGreaterThan(0);
    x.dispose();
  });

  for (const shape of [
    [64, 8, 28, 28],
    [37, 7, 14, 18], // odd number of planes, an area of a multiple of 4
    [29, 9, 18, 15], // area 270: runs of an even number of planes
    [21, 9, 17, 13], // area 221: runs of 4 planes, odd windows left out
  ]) {
    it(`maxPool2d 2×2 x[${shape}]: values, indices and the gradient`, async () => {
      const m0 = memory().tensors;
      const x = input(shape, 5);
      const g = input([shape[0], shape[1], shape[2] >> 1, shape[3] >> 1], 6);
      const run = () =>
        scope(() => {
          const xx = x.detach();
          xx.requiresGrad = true;
          const y = maxPool2d(xx, 2);
          y.backward(g);
          const a = y.dataSync(),
            d = xx.grad!.dataSync();
          const all = new Float32Array(a.length + d.length);
          all.set(a);
          all.set(d, a.length);
          return tensor(all);
        });
      const r = await paths(run);
      expect(firstDifference(r.one, r.js)).toBe(-1);
      expect(firstDifference(r.two, r.one)).toBe(-1);
      expect(r.worked).toBeGreaterThan(0);
      x.dispose();
      g.dispose();
      expect(memory().tensors).toBe(m0);
    });
  }
});
