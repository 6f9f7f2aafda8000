import { describe, expect, it } from 'vitest';
import type { Storage, View } from '../../src/backend/backend';
import { MATMUL_TILES } from '../../src/backend/webgpu/kernels/matmul-candidates';
import { matmul as gpuMatmul, pickTile, tileWorkgroupBytes } from '../../src/backend/webgpu/kernels/matmul.wgsl';
import { linear, matmul, type Tensor, } from '../../src/index';
import { DEVICES, expectClose, randomValues } from '../helpers';
import { both as bothOn, expectSame as sameOn, ints, kernelBackends, runOn } from './harness';

const TOL = { rtol: 1e-3, atol: 1e-3 };

// ── the kernel against the CPU backend, on hand-made views ─────────────────
const { device, gpu, cpu } = await kernelBackends();

/** An operand [...batch, rows, cols] laid out in a storage of its own, with the given layout. */
interface Layout {
  /** 'row' row-major, 'col' last two dims swapped, 'gap' neither dim unit stride. */
  kind: 'row' | 'col' | 'gap';
  offset: number;
  /** Batch dims of this shape that are broadcast (stride 0). */
  broadcast?: boolean[];
}

function makeOperand(shape: number[], layout: Layout, seed: number, int8 = false): { c: View; g: View } {
  const r = shape.length;
  const [rows, cols] = shape.slice(r - 2);
  const strides = new Array<number>(r).fill(0);
  const step = layout.kind === 'gap' ? 2 : 1;
  if (layout.kind === 'col') {
    strides[r - 2] = 1;
    strides[r - 1] = rows;
  } else {
    strides[r - 1] = step;
    strides[r - 2] = cols * step + (layout.kind === 'gap' ? 3 : 0);
  }
  let span = layout.kind === 'col' ? rows * cols : rows * strides[r - 2];
  for (let d = r - 3; d >= 0; d--) {
    strides[d] = layout.broadcast?.[d] ? 0 : span;
    if (!layout.broadcast?.[d]) span *= shape[d];
  }
  const size = layout.offset + span + 1;
  const values = randomValues(size, seed);
  // int8: the full range, −128 and 127 included
  const data = int8 ? Int8Array.from(values, (v) => Math.max(-128, Math.min(127, Math.round(v * 128)))) : Float32Array.from(values);
  const dtype = int8 ? 'int8' : 'float32';
  const c = cpu.alloc(dtype, size);
  const g = gpu.alloc(dtype, size);
  cpu.write(c, data);
  gpu.write(g, data);
  return { c: { storage: c, shape, strides, offset: layout.offset }, g: { storage: g, shape, strides, offset: layout.offset } };
}

/** Run the GPU kernel (optionally forcing a tile) and the CPU backend on the same views; compare. */
async function expectParity(
  batch: number[], M: number, K: number, N: number, la: Layout, lb: Layout, tile?: keyof typeof MATMUL_TILES, int8 = false,
): Promise<void> {
  const a = makeOperand([...batch, M, K], la, M * 31 + K, int8);
  const b = makeOperand([...batch, K, N], lb, K * 17 + N + 5, int8);
  const outSize = [...batch, M, N].reduce((p, d) => p * d, 1);
  const outType = int8 ? 'int32' : 'float32';
  const want = cpu.alloc(outType, outSize);
  cpu.matmul(a.c, b.c, want);
  const got: Storage = gpu.alloc(outType, outSize);
  const before = gpu.runtime.stats();
  gpuMatmul(gpu.runtime, a.g, b.g, got, tile ? MATMUL_TILES[tile] : undefined);
  const after = gpu.runtime.stats();
  // transposed, strided and broadcast operands are read in place: one dispatch, no copies
  expect(after.dispatches - before.dispatches).toBe(outSize === 0 ? 0 : 1);
  expect(after.copies - before.copies).toBe(0);
  const whole = (s: Storage): View => ({ storage: s, shape: [s.size], strides: [1], offset: 0 });
  if (int8) expect(Array.from(await gpu.read(whole(got)))).toEqual(Array.from(cpu.readSync(whole(want)))); // integers: exact
  else expectClose(await gpu.read(whole(got)), cpu.readSync(whole(want)), TOL);
  for (const s of [a.g.storage, b.g.storage, got]) gpu.free(s);
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [7, 13, 5], [33, 65, 17], [64, 64, 64], [129, 257, 63], [5, 0, 3], [1, 40, 9], [9, 40, 1], [16, 32, 8],
];
const ROW: Layout = { kind: 'row', offset: 0 };

// Each distinct kernel variant costs lavapipe 1–5 s to compile (cached on disk afterwards), so the
// cases below are chosen to cover every layout with few variants rather than all combinations.
describe.skipIf(!(device))('webgpu matmul kernel vs the CPU backend', { timeout: 60_000 }, () => {
  it.each(SHAPES)('M×K×N = %i×%i×%i, row-major', async (M, K, N) => {
    await expectParity([], M, K, N, ROW, ROW);
  });

  // eight new kernel variants: tens of seconds of lavapipe JIT on a cold shader cache
  it('int8 × int8 → int32, exact: every tile config, transposed and strided operands, a broadcast batch', { timeout: 300_000 }, async () => {
    const COL: Layout = { kind: 'col', offset: 4 };
    const GAP: Layout = { kind: 'gap', offset: 1 };
    for (const tile of ['tiny', 'small', 'medium', 'large'] as const) await expectParity([], 130, 37, 129, ROW, ROW, tile, true);
    await expectParity([], 33, 64, 17, COL, ROW, undefined, true);
    await expectParity([], 9, 21, 40, ROW, COL, undefined, true);
    await expectParity([], 7, 13, 5, GAP, GAP, undefined, true);
    await expectParity([3], 16, 12, 20, { kind: 'row', offset: 0, broadcast: [true] }, ROW, undefined, true);
  });

  it.each(['tiny', 'small', 'medium', 'large'] as const)('the %s tile config, across tile edges', async (tile) => {
    for (const [M, K, N] of [[7, 13, 5], [129, 257, 63], [64, 64, 64], [130, 20, 260]]) await expectParity([], M, K, N, ROW, ROW, tile);
  });

  // The tuning candidates for the large tile differ in how tiles reach workgroup memory (K step,
  // double buffering, thread order of vec4-along-K loads): each is checked across tile edges, on
  // both orders of a vec4 operand (A row-major: vec4 along K; B transposed: vec4 along K too) and a
  // scalar one, and on a K that is not a multiple of its K step.
  const CANDIDATES = (Object.keys(MATMUL_TILES) as (keyof typeof MATMUL_TILES)[]).filter((t) => t.startsWith('large-'));
  it.each(CANDIDATES)('the %s tuning candidate, across tile and K-step edges, all load orders', { timeout: 300_000 }, async (tile) => {
    if (tileWorkgroupBytes(MATMUL_TILES[tile]) > gpu.runtime.device.limits.maxComputeWorkgroupStorageSize) return; // not on this adapter
    await expectParity([], 130, 37, 260, ROW, ROW, tile); // A k4, B n4
    await expectParity([], 129, 40, 131, ROW, { kind: 'col', offset: 4 }, tile); // A k4, B k4 (transposed)
    await expectParity([2], 140, 9, 129, { kind: 'gap', offset: 1 }, { kind: 'col', offset: 0 }, tile); // A generic scalar, B k (unaligned K)
    await expectParity([], 128, 0, 128, ROW, ROW, tile); // K = 0: zeros
    await expectParity([], 1157, 9, 260, ROW, ROW, tile); // 10 block-rows: more than one band of 8
  });

  it('transposed and strided operands (neither dim unit stride), vec4-aligned or not, with offsets', async () => {
    const cases: [number, number, number, Layout, Layout][] = [
      [12, 8, 16, { kind: 'col', offset: 4 }, { kind: 'col', offset: 8 }], // A m4, B k4
      [17, 5, 9, { kind: 'col', offset: 3 }, { kind: 'col', offset: 1 }], // A m, B k
      [33, 20, 12, { kind: 'col', offset: 0 }, { kind: 'row', offset: 0 }], // A m4, B n4
      [17, 5, 9, { kind: 'gap', offset: 3 }, { kind: 'gap', offset: 2 }], // generic
      [33, 20, 12, { kind: 'gap', offset: 0 }, { kind: 'gap', offset: 4 }], // generic, aligned
      [16, 24, 8, { kind: 'row', offset: 1 }, { kind: 'row', offset: 4 }], // A k (unaligned offset), B n4
    ];
    for (const [M, K, N, la, lb] of cases) await expectParity([], M, K, N, la, lb);
  });

  it('batched and broadcast batch dims (stride 0), including a transposed operand', async () => {
    await expectParity([3], 9, 14, 11, ROW, ROW);
    await expectParity([2, 5], 8, 12, 4, { kind: 'row', offset: 0, broadcast: [false, true] }, { kind: 'col', offset: 4, broadcast: [true, false] });
    await expectParity([4], 17, 5, 9, { kind: 'col', offset: 3 }, { kind: 'row', offset: 0, broadcast: [true] });
  });

  it('picks the tile configuration by the amount of work', () => {
    expect(pickTile(8, 8, 1).name).toBe('tiny');
    expect(pickTile(8, 4096, 64).name).toBe('tiny'); // one dim ≤ 16: a 32-wide tile would idle half its threads or more
    expect(pickTile(32, 32, 1).name).toBe('small');
    expect(pickTile(512, 512, 1).name).toBe('medium');
    expect(pickTile(4096, 4096, 1).name).toBe('large');
    expect(pickTile(256, 256, 64).name).toBe('large');
  });
});

// ── through the public ops, webgpu vs cpu ──────────────────────────────────
const hasWebGpu = DEVICES.includes('webgpu');

const both = (shape: number[], seed: number, requiresGrad = false) => bothOn(shape, seed, requiresGrad);
const expectSame = (g: Tensor, c: Tensor) => sameOn(g, c, TOL);

describe.skipIf(!(hasWebGpu))('matmul and linear on webgpu vs cpu', { timeout: 60_000 }, () => {
  it.each([[[2, 3], [3, 4]], [[1, 1], [1, 1]], [[3, 7, 13], [3, 13, 5]], [[2, 1, 6, 5], [5, 5, 4]], [[6, 0], [0, 3]]])(
    '%j @ %j',
    async (sa, sb) => {
      const a = both(sa, 1);
      const b = both(sb, 2);
      await expectSame(matmul(a.g, b.g), matmul(a.c, b.c));
    },
  );

  it('1-D operands: dot, vector·matrix, matrix·vector, vector·batch', async () => {
    const v = both([13], 3);
    const w = both([13], 4);
    const m = both([13, 6], 5);
    const mt = both([6, 13], 6);
    const bt = both([2, 13, 3], 7);
    await expectSame(matmul(v.g, w.g), matmul(v.c, w.c));
    await expectSame(matmul(v.g, m.g), matmul(v.c, m.c));
    await expectSame(matmul(mt.g, v.g), matmul(mt.c, v.c));
    await expectSame(matmul(v.g, bt.g), matmul(v.c, bt.c));
  });

  it('int8 matmul through the op: int32 result equal to the CPU one, 1-D and batched', async () => {
    const q = (shape: number[], seed: number) => ints(shape, -128, 127, seed, 'int8');
    for (const [sa, sb] of [[[5, 9], [9, 4]], [[9], [9, 3]], [[2, 3, 9], [9]]]) {
      const inputs = [q(sa, 1), q(sb, 2)];
      const want = await runOn('cpu', inputs, (a, b) => matmul(a, b));
      const got = await runOn('webgpu', inputs, (a, b) => matmul(a, b));
      expect(got.dtype).toBe('int32');
      expect(got.value).toEqual(want.value);
    }
  });

  it('transposed inputs are read without contiguous()', async () => {
    const a = both([2, 17, 33], 8);
    const b = both([2, 40, 17], 9);
    await expectSame(matmul(a.g.transpose(-1, -2), b.g.transpose(-1, -2)), matmul(a.c.transpose(-1, -2), b.c.transpose(-1, -2)));
  });

  it('linear without and with bias', async () => {
    const x = both([5, 3, 24], 10);
    const w = both([7, 24], 11);
    const bias = both([7], 12);
    await expectSame(linear(x.g, w.g), linear(x.c, w.c));
    await expectSame(linear(x.g, w.g, bias.g), linear(x.c, w.c, bias.c));
  });

  it('matmul gradients match the CPU (backward uses transposed views)', async () => {
    const a = both([3, 21, 10], 13, true);
    const b = both([3, 10, 34], 14, true);
    const gy = both([3, 21, 34], 15);
    matmul(a.g, b.g).backward(gy.g);
    matmul(a.c, b.c).backward(gy.c);
    await expectSame(a.g.grad!, a.c.grad!);
    await expectSame(b.g.grad!, b.c.grad!);
  });

  it('linear gradients match the CPU, with bias once its kernels exist', async () => {
    const x = both([9, 16], 16, true);
    const w = both([5, 16], 17, true);
    const bias = both([5], 18, true);
    const gy = both([9, 5], 19);
    linear(x.g, w.g).backward(gy.g);
    linear(x.c, w.c).backward(gy.c);
    await expectSame(x.g.grad!, x.c.grad!);
    await expectSame(w.g.grad!, w.c.grad!);
    linear(x.g, w.g, bias.g).backward(gy.g);
    linear(x.c, w.c, bias.c).backward(gy.c);
    await expectSame(bias.g.grad!, bias.c.grad!);
    await expectSame(w.g.grad!, w.c.grad!);
  });
});
