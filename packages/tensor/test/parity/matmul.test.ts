import { describe, expect, it } from 'vitest';
import { pickTile } from '../../src/backend/webgpu/kernels/matmul.wgsl';
import { linear, matmul, type Tensor } from '../../src/index';
import { DEVICES } from '../helpers';
import { both as bothOn, expectSame as sameOn, ints, kernelBackends, runOn } from './harness';
import { COL, GAP, type Layout, matmulParity, ROW, TOL } from './matmul-harness';

// ── the kernel against the CPU backend, on hand-made views ─────────────────
const { device, gpu, cpu } = await kernelBackends();
const expectParity = device ? matmulParity(gpu, cpu) : async () => {};

// Each distinct kernel variant (tile × A layout × B layout × batch rank × dtype, all baked in)
// costs lavapipe about 3 s of CPU to compile on a cold shader cache (a new user's first run), so
// these cases cover every operand loader (A: k, k4, m, m4, g; B: n, n4, k, k4, g), the tiles
// pickTile chooses across their edges, and int8, with few variants. The tuning candidates, every load order on every tile and
// int8 on every tile run in test/kernels/matmul.test.ts (`npm run test:kernels`).
describe.skipIf(!device)('webgpu matmul kernel vs the CPU backend', () => {
  // the small tile and the medium one: 1, primes, K = 0, K or N
  // of 1, vec4-aligned, several tiles
  it.each([
    [1, 1, 1],
    [7, 13, 5],
    [33, 65, 17],
    [129, 257, 63],
    [5, 0, 3],
    [1, 40, 9],
    [9, 40, 1],
    [64, 64, 64],
    [16, 32, 8],
  ])('M×K×N = %i×%i×%i, row-major', async (M, K, N) => {
    await expectParity([], M, K, N, ROW, ROW);
  });

  it('the medium tile across tile and K-step edges', async () => {
    for (const [M, K, N] of [
      [7, 13, 5],
      [129, 257, 63],
      [130, 21, 131],
    ])
      await expectParity([], M, K, N, ROW, ROW, 'medium');
  });

  it('the large tile across tile and K-step edges, vec4 and scalar loads', async () => {
    for (const [M, K, N] of [
      [7, 13, 5],
      [129, 257, 63],
      [64, 64, 64],
      [130, 20, 260],
    ])
      await expectParity([], M, K, N, ROW, ROW, 'large');
  });

  it('the large tile with both operands vec4 along K (B transposed), and K = 0', async () => {
    await expectParity([], 129, 40, 131, ROW, COL, 'large'); // A k4, B k4
    await expectParity([], 128, 0, 128, ROW, COL, 'large'); // K = 0: zeros
  });

  // one kernel variant per case (a test each keeps every test's cold compile short)
  const strided: [string, number, number, number, Layout, Layout][] = [
    ['A m4, B k4', 12, 8, 16, { kind: 'col', offset: 4 }, { kind: 'col', offset: 8 }],
    ['A m, B k', 17, 5, 9, { kind: 'col', offset: 3 }, { kind: 'col', offset: 1 }],
    ['generic (neither dim unit stride)', 17, 5, 9, { kind: 'gap', offset: 3 }, { kind: 'gap', offset: 2 }],
    ['generic, vec4-aligned sizes (the same variant)', 33, 20, 12, { kind: 'gap', offset: 0 }, { kind: 'gap', offset: 4 }],
  ];
  it.each(strided)('transposed and strided operands with offsets: %s', async (_name, M, K, N, la, lb) => {
    await expectParity([], M, K, N, la, lb);
  });

  it('batched and broadcast batch dims (stride 0), including a transposed operand', async () => {
    await expectParity([3], 9, 14, 11, ROW, ROW);
    await expectParity([2, 5], 8, 12, 4, { kind: 'row', offset: 0, broadcast: [false, true] }, { kind: 'col', offset: 4, broadcast: [true, false] });
    await expectParity([4], 17, 5, 9, { kind: 'col', offset: 3 }, { kind: 'row', offset: 0, broadcast: [true] });
  });

  it('int8 × int8 → int32, exact: tile edges, strided operands, a broadcast batch', async () => {
    await expectParity([], 130, 37, 129, ROW, ROW, 'small', true);
    await expectParity([], 7, 13, 5, GAP, GAP, undefined, true);
    await expectParity([3], 16, 12, 20, { kind: 'row', offset: 0, broadcast: [true] }, ROW, undefined, true);
  });

  it('picks the tile configuration by the amount of work', () => {
    expect(pickTile(8, 8, 1).name).toBe('small');
    expect(pickTile(40, 40, 1).name).toBe('small');
    expect(pickTile(512, 512, 1).name).toBe('medium');
    expect(pickTile(4096, 4096, 1).name).toBe('large');
    expect(pickTile(256, 256, 64).name).toBe('large');
  });
});

// ── through the public ops, webgpu vs cpu ──────────────────────────────────
const hasWebGpu = DEVICES.includes('webgpu');

const both = (shape: number[], seed: number, requiresGrad = false) => bothOn(shape, seed, requiresGrad);
const expectSame = (g: Tensor, c: Tensor) => sameOn(g, c, TOL);

describe.skipIf(!hasWebGpu)('matmul and linear on webgpu vs cpu', () => {
  it.each([
    [
      [2, 3],
      [3, 4],
    ],
    [
      [1, 1],
      [1, 1],
    ],
    [
      [3, 7, 13],
      [3, 13, 5],
    ],
    [
      [2, 1, 6, 5],
      [5, 5, 4],
    ],
    [
      [6, 0],
      [0, 3],
    ],
  ])('%j @ %j', async (sa, sb) => {
    const a = both(sa, 1);
    const b = both(sb, 2);
    await expectSame(matmul(a.g, b.g), matmul(a.c, b.c));
  });

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
    for (const [sa, sb] of [
      [
        [5, 9],
        [9, 5],
      ],
      [[9], [9, 3]],
      [[2, 3, 9], [9]],
    ]) {
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
