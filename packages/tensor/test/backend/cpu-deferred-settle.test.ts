import { describe, expect, it } from 'vitest';
import { heapChunks, heapPool, heapScratch, onThisThread } from '../../src/backend/cpu/wasm/heap-pool';
import { setCpuThreads, settlePool } from '../../src/backend/cpu/threads';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { conv2d, expand, keep, matmul, maxPool2d, memory, relu, scope, slice, type Tensor, tensor } from '../../src/index';
import { expectSameBits, heapWorkersOnly, oneAndTwo } from '../helpers/threads';
import { rand } from './simd-helpers';

// The CPU primitives that settle a job left running on the workers themselves (./threads.ts
// deferSettle: unary, binary, max pooling, convolutions, matmul) read what the previous op's job
// writes — a convolution's or a dense product's packed operand, a broadcast value — only once it
// is done. The caller leaves every chunk of a heap job to the workers here, so it runs ahead of
// them: a read before the settle would see the job's output half written.

heapWorkersOnly();

const seeded = (shape: number[], seed: number) =>
  scope(() =>
    keep(
      tensor(
        rand(
          shape.reduce((p, d) => p * d, 1),
          seed,
          -1,
          1,
        ),
      ).reshape(shape),
    ),
  );

/** f's data on one thread and on two (the workers ran), which must have the same bits; and the memory left as it was. */
async function sameOnThreads(f: () => Tensor): Promise<Float32Array> {
  const m0 = memory().tensors;
  const [one, two] = await oneAndTwo(() => scope(() => f().dataSync() as Float32Array));
  expectSameBits(one, two);
  expect(memory().tensors).toBe(m0);
  return one;
}

describe('CPU primitives with a deferred settle', () => {
  // a large op's output, of which the next op reads the front: the workers take a job's chunks
  // from the back, so that part is written last
  const BIG = 1 << 22;
  // a freed block of NaNs of that size, which the op's output then takes: a read too early sees NaN,
  // not a stale copy of the same values from the run before
  const poison = () => tensor(new Float32Array(BIG).fill(Number.NaN)).dispose();

  it('conv2d packs a weight that the op before it writes on the workers (the front of a relu of 4M floats)', async () => {
    const x = seeded([3, 64, 6, 6], 1),
      w0 = seeded([BIG], 2);
    const weight = (t: Tensor) => slice(t, 0, 0, 64 * 64 * 9).reshape([64, 64, 3, 3]);
    const one = await sameOnThreads(() => {
      poison();
      return conv2d(x, weight(relu(w0)), { padding: 1 });
    });
    // the weight's zeros count: negative entries of w0 must not reach the product
    const ref = scope(() => conv2d(x, weight(tensor(Array.from(w0.dataSync().subarray(0, 64 * 64 * 9), (v) => Math.max(v, 0)))), { padding: 1 }).dataSync());
    expectSameBits(one, ref as Float32Array);
    for (const t of [x, w0]) t.dispose();
  });

  it('matmul packs the operand that the op before it writes on the workers', async () => {
    const a = seeded([64, 784], 3),
      b0 = seeded([BIG], 4);
    const right = (t: Tensor) => slice(t, 0, 0, 784 * 16).reshape([784, 16]);
    const one = await sameOnThreads(() => {
      poison();
      return matmul(a, right(relu(b0)));
    });
    const ref = scope(() => matmul(a, right(tensor(Array.from(b0.dataSync().subarray(0, 784 * 16), (v) => Math.max(v, 0))))).dataSync());
    expectSameBits(one, ref as Float32Array);
    for (const t of [a, b0]) t.dispose();
  });

  it('a binary op whose broadcast operand is a value the op before it writes on the workers (the first of a relu of 4M floats)', async () => {
    const x = seeded([64, 8, 28, 28], 5),
      z = seeded([BIG], 11),
      N = 64 * 8 * 28 * 28;
    const one = await sameOnThreads(() => {
      poison();
      const y = relu(z);
      // y's first element, broadcast over x: read by the caller while y's job may still run
      const v = expand(slice(y, 0, 0, 1).reshape([1, 1, 1, 1]), x.shape);
      return x.mul(v);
    });
    const first = Math.max(z.dataSync()[0], 0);
    expect(one[N - 1]).toBe(Math.fround(x.dataSync()[N - 1] * first));
    for (const t of [x, z]) t.dispose();
  });

  it('a binary op with a value per line (x [64, 8, 28, 28] times v [64, 8, 1, 1]) whose values the op before it writes on the workers', async () => {
    const x = seeded([64, 8, 28, 28], 12),
      z = seeded([BIG], 13);
    const one = await sameOnThreads(() => {
      poison();
      // the first 512 values of relu(z), one per line of 784: read by the caller while relu's job may still run
      return x.mul(slice(relu(z), 0, 0, 64 * 8).reshape([64, 8, 1, 1]));
    });
    const xd = x.dataSync(),
      zd = z.dataSync();
    for (const line of [0, 1, 511]) expect(one[line * 784 + 5]).toBe(Math.fround(xd[line * 784 + 5] * Math.max(zd[line], 0)));
    for (const t of [x, z]) t.dispose();
  });

  it('a chain of pooled ops (conv, relu, max pooling, conv) and the gradients, with the bias gradient beside the weight gradient', async () => {
    const x = seeded([16, 1, 28, 28], 6);
    const shapes = [[8, 1, 3, 3], [8], [16, 8, 3, 3], [16]];
    await sameOnThreads(() => {
      const ps = shapes.map((s, i) =>
        tensor(
          rand(
            s.reduce((p, d) => p * d, 1),
            7 + i,
            -1,
            1,
          ),
          { requiresGrad: true },
        ),
      );
      const [p1, q1, p2, q2] = ps.map((p, i) => p.reshape(shapes[i]));
      const h = maxPool2d(relu(conv2d(x, p1, { padding: 1, bias: q1 })), 2);
      const y = conv2d(h, p2, { padding: 1, bias: q2 });
      y.mul(y).sum().backward();
      const parts = [y, ...ps.map((p) => p.grad!)].map((t) => t.dataSync() as Float32Array);
      return tensor(Float32Array.from(parts.flatMap((p) => Array.from(p))));
    });
    x.dispose();
  });
});

describe('heap scratch and work beside a job', () => {
  it('while a job that may use the scratch block runs, the other block is handed out; else the same one', async () => {
    setCpuThreads(2);
    expect(await warmGemmThreads()).toBe(true);
    const a = heapScratch(1000);
    expect(a).not.toBeNull();
    expect(heapScratch(1000)).toBe(a);
    // a job left running on the workers over the block (the caller leaves its chunks to them here)
    heapChunks(2, 1, (emit, c) => emit('zero', (a as number) + c * 2000, 500), true);
    const b = heapScratch(1000);
    expect(b).not.toBeNull();
    expect(b).not.toBe(a);
    settlePool();
    expect(heapScratch(1000)).toBe(b);
    // a large block (over 1 M floats) is not doubled: the job is settled and the block reused
    const big = heapScratch((1 << 20) + 1) as number;
    heapChunks(2, 1, (emit, c) => emit('zero', big + c * 2000, 500), true);
    expect(heapPool()?.detached).toBe(true);
    expect(heapScratch((1 << 20) + 1)).toBe(big);
    expect(heapPool()?.detached).toBe(false);
    setCpuThreads(1);
    expect(heapScratch((1 << 20) + 1)).toBe(big);
  });

  it('onThisThread runs heap kernels unsplit (no pool inside), and restores the pool after, also when it throws', async () => {
    setCpuThreads(2);
    expect(await warmGemmThreads()).toBe(true);
    expect(heapPool()).not.toBeNull();
    expect(onThisThread(() => heapPool())).toBeNull();
    expect(heapPool()).not.toBeNull();
    expect(() =>
      onThisThread(() => {
        throw new RangeError('boom');
      }),
    ).toThrow('boom');
    expect(heapPool()).not.toBeNull();
    setCpuThreads(1);
  });
});
