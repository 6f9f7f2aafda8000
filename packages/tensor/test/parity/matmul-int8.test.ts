import { describe, expect, it, vi } from 'vitest';
import type { Storage, View } from '../../src/backend/backend';
import { type Int8Dot, type Int8TileName, int8MatmulKernel, matmulInt8 } from '../../src/backend/webgpu/kernels/matmul-int8.wgsl';
import { matmul, type Tensor } from '../../src/index';
import { randomValues } from '../helpers';
import { ints, kernelBackends, runOn } from './harness';

// The packed int8 matmul kernel (kernels/matmul-int8.wgsl.ts) against the CPU backend, exactly:
// every operand load (w/u: K-packed words read directly from aligned/unaligned rows, t: row-packed
// words transposed, g: byte loads), both tiles, both dot-product paths (dot4I8Packed and the unpacking fallback), K tails
// (K = 1, 3, 5, 4k + 1), operands starting mid-word and broadcast batches.
const { device, gpu, cpu } = await kernelBackends();

/** How an operand [...batch, rows, cols] sits in its storage: strides of the last two dims, offset, broadcast batch. */
interface Place {
  /** `row`: row-major with row pitch `pitch` (≥ cols); `col`: column-major with column pitch `pitch` (≥ rows); `gap`: stride 2 along both. */
  kind: 'row' | 'col' | 'gap';
  pitch?: number;
  offset: number;
  broadcast?: boolean;
}

function operand(batch: number[], rows: number, cols: number, place: Place, seed: number): { c: View; g: View; free(): void } {
  const strides = [0, 0];
  if (place.kind === 'row') strides.splice(0, 2, place.pitch ?? cols, 1);
  else if (place.kind === 'col') strides.splice(0, 2, 1, place.pitch ?? rows);
  else strides.splice(0, 2, 2 * cols + 1, 2);
  const span = place.kind === 'col' ? cols * strides[1] : rows * strides[0];
  const batchStrides = batch.map(() => (place.broadcast ? 0 : span));
  const size =
    place.offset +
    span *
      (place.broadcast
        ? 1
        : Math.max(
            1,
            batch.reduce((a, b) => a * b, 1),
          )) +
    3;
  // the full int8 range, −128 and 127 included
  const data = Int8Array.from(randomValues(size, seed, 0, 1), (u) => Math.min(127, Math.floor(u * 256) - 128));
  data[place.offset] = -128;
  data[size - 1] = 127;
  const c = cpu.alloc('int8', size);
  const g = gpu.alloc('int8', size);
  cpu.write(c, data);
  gpu.write(g, data);
  const view = (storage: Storage): View => ({ storage, shape: [...batch, rows, cols], strides: [...batchStrides, ...strides], offset: place.offset });
  return { c: view(c), g: view(g), free: () => gpu.free(g) };
}

/** The product on both backends, exactly equal; `loads` names the A and B loads the kernel must pick (e.g. `wt`). */
async function expectExact(
  batch: number[],
  M: number,
  K: number,
  N: number,
  pa: Place,
  pb: Place,
  tile: Int8TileName,
  dot: Int8Dot,
  loads: string,
): Promise<void> {
  const a = operand(batch, M, K, pa, M * 7 + K);
  const b = operand(batch, K, N, pb, K * 13 + N);
  const size = [...batch, M, N].reduce((p, d) => p * d, 1);
  const want = cpu.alloc('int32', size);
  cpu.matmul(a.c, b.c, want);
  const got = gpu.alloc('int32', size);
  const before = gpu.runtime.stats();
  const spy = vi.spyOn(gpu.runtime, 'dispatch');
  matmulInt8(gpu.runtime, a.g, b.g, got, { tile, dot });
  expect(spy.mock.calls[0][0].key).toBe(`matmul-int8:${tile}:a${loads[0]}:b${loads[1]}:r${Math.max(1, batch.length)}:${dot}`);
  spy.mockRestore();
  const after = gpu.runtime.stats();
  expect(after.dispatches - before.dispatches).toBe(1); // operands read in place: no copies
  expect(after.copies - before.copies).toBe(0);
  const whole = (s: Storage): View => ({ storage: s, shape: [size], strides: [1], offset: 0 });
  expect(Array.from(await gpu.read(whole(got)))).toEqual(Array.from(cpu.readSync(whole(want))));
  for (const s of [a, b]) s.free();
  gpu.free(got);
}

const ROW = { kind: 'row', offset: 0 } as const;

describe.skipIf(!device)('webgpu int8 matmul kernel vs the CPU backend (exact int32)', () => {
  it('the kernel key names the load, tile, batch rank and dot path', () => {
    const c = { tile: 'large', a: 'w', b: 't', batchRank: 1, dot: 'unpack' } as const;
    expect(int8MatmulKernel(c).key).toBe('matmul-int8:large:aw:bt:r1:unpack');
    expect(int8MatmulKernel({ ...c, dot: 'dot4' }).code).toContain('dot4I8Packed');
    expect(int8MatmulKernel(c).code).not.toContain('dot4I8Packed');
  });

  for (const dot of ['dot4', 'unpack'] as const) {
    it(`${dot}: A and B both K-packed words (x · Wᵀ, a quantized Linear), both tiles, K tails masked`, async () => {
      // B = Wᵀ of a row-major W [N, K]; K of 5 and 33 read from rows of pitch 8 and 36 (the bytes past K belong to the row)
      await expectExact([], 70, 64, 67, ROW, { kind: 'col', offset: 0 }, 'large', dot, 'ww');
      await expectExact([], 9, 5, 7, { kind: 'row', pitch: 8, offset: 4 }, { kind: 'col', pitch: 8, offset: 8 }, 'large', dot, 'ww');
      await expectExact([], 33, 33, 35, { kind: 'row', pitch: 36, offset: 0 }, { kind: 'col', pitch: 36, offset: 0 }, 'small', dot, 'ww');
    });

    it(`${dot}: row-packed words transposed (A column-major, B row-major [K, N])`, async () => {
      await expectExact([], 68, 37, 72, { kind: 'col', offset: 4 }, ROW, 'large', dot, 'tt');
      await expectExact([], 4, 2, 8, { kind: 'col', offset: 0 }, ROW, 'small', dot, 'tt');
    });

    it(`${dot}: K-contiguous rows starting mid-word (odd K: 1, 3, 5, 4k + 1; slices)`, async () => {
      for (const K of [1, 3, 5, 17]) await expectExact([], 5, K, 3, { kind: 'row', offset: 1 }, { kind: 'col', offset: 2 }, 'small', dot, 'uu');
      await expectExact([], 66, 70, 65, { kind: 'row', pitch: 71, offset: 3 }, { kind: 'col', pitch: 73, offset: 0 }, 'large', dot, 'uu');
    });

    it(`${dot}: byte loads: B row-major from mid-word, gaps`, async () => {
      await expectExact([], 5, 7, 3, ROW, { kind: 'row', offset: 3 }, 'small', dot, 'ug');
      await expectExact([], 40, 21, 66, { kind: 'gap', offset: 2 }, { kind: 'gap', offset: 1 }, 'large', dot, 'gg');
    });
  }

  it('a broadcast batch, mixed loads, M = 1 and N = 1', async () => {
    await expectExact([3], 6, 12, 10, { kind: 'row', offset: 0, broadcast: true }, { kind: 'row', pitch: 12, offset: 0 }, 'small', 'dot4', 'wt');
    await expectExact([2], 1, 9, 1, ROW, { kind: 'col', offset: 0 }, 'small', 'unpack', 'uu'); // batch stride 9: rows start mid-word
  });

  it('sums past 2³¹ wrap as int32, as on the CPU', async () => {
    // 127·127·K with K = 140,000 > 2³¹ / 16129: an exact wrap on both backends
    const K = 140_000;
    const ones = (v: number) => {
      const c = cpu.alloc('int8', K);
      const g = gpu.alloc('int8', K);
      cpu.write(c, new Int8Array(K).fill(v));
      gpu.write(g, new Int8Array(K).fill(v));
      return { c, g };
    };
    const [a, b] = [ones(127), ones(127)];
    const out = { c: cpu.alloc('int32', 1), g: gpu.alloc('int32', 1) };
    const view = (s: Storage, shape: number[], strides: number[]): View => ({ storage: s, shape, strides, offset: 0 });
    cpu.matmul(view(a.c, [1, K], [K, 1]), view(b.c, [K, 1], [1, K]), out.c);
    matmulInt8(gpu.runtime, view(a.g, [1, K], [K, 1]), view(b.g, [K, 1], [1, K]), out.g);
    const want = cpu.readSync(view(out.c, [1], [1]))[0];
    expect(want).toBe((127 * 127 * K) | 0);
    expect((await gpu.read(view(out.g, [1], [1])))[0]).toBe(want);
    for (const s of [a.g, b.g, out.g]) gpu.free(s);
  });
});

describe.skipIf(!device)('int8 matmul through the op on WebGPU', () => {
  it('odd K, slices starting mid-word and transposed operands give the CPU int32 result', async () => {
    const q = (shape: number[], seed: number) => ints(shape, -128, 127, seed, 'int8');
    for (const K of [1, 3, 5, 9]) {
      const inputs = [q([6, K], K), q([K, 7], K + 1)];
      const want = await runOn('cpu', inputs, (a, b) => matmul(a, b));
      const got = await runOn('webgpu', inputs, (a, b) => matmul(a, b));
      expect(got.dtype).toBe('int32');
      expect(got.value).toEqual(want.value);
    }
    // A from element 1 of each row (mid-word), B a column slice from element 3, transposed
    const sliced = (a: Tensor, b: Tensor) => matmul(a.narrow(1, 1, 6), b.narrow(1, 3, 6).transpose(0, 1));
    const inputs = [q([5, 9], 3), q([4, 11], 4)];
    expect((await runOn('webgpu', inputs, sliced)).value).toEqual((await runOn('cpu', inputs, sliced)).value);
  });
});
