import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, Conv2dParams, Storage, View } from '../../src/backend/backend';
import { CpuBackend } from '../../src/backend/cpu';
import { WebGpuBackend } from '../../src/backend/webgpu';
import { conv2d, memory, tensor } from '../../src/index';
import { DEVICES, openTestGpu, randomValues } from '../helpers';

/**
 * conv2d and its two gradients run as implicit GEMMs on the matmul generator, with load hooks
 * that gather image taps (kernels/conv2d.wgsl.ts). Each primitive on WebGPU against the CPU backend,
 * on the shapes that reach every hook branch: padding on all sides (unequal per axis), stride 2,
 * dilation 2, groups 2 and depthwise, 1×1 kernels with and without the plain strided fast path,
 * reductions that are not a multiple of the K step, outputs that are not a multiple of a tile,
 * batch > 1 and batch 1 (the weight gradient's strided A), aligned (vec4) and unaligned offsets.
 */

const device = await openTestGpu();
afterAll(() => device?.destroy());
const gpu = device ? new WebGpuBackend(device) : (null as unknown as WebGpuBackend);
const cpu = new CpuBackend();
const suite = describe.skipIf(!device);

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const TOL = { rtol: 1e-4, atol: 1e-4 };

/** The same values on both backends, behind a view at element `offset`. */
function inputPair(shape: number[], seed: number, offset: number): { c: View; g: View } {
  const data = new Float32Array(offset + numel(shape));
  data.set(randomValues(numel(shape), seed), offset);
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const c = cpu.alloc('float32', data.length),
    g = gpu.alloc('float32', data.length);
  cpu.write(c, data);
  gpu.write(g, data);
  return { c: { storage: c, shape, strides, offset }, g: { storage: g, shape, strides, offset } };
}

/** Run one primitive on both backends into fresh outputs (the GPU's prefilled with NaN) and compare. */
async function expectSame(shape: number[], run: (be: Backend, out: Storage, side: 'c' | 'g') => void): Promise<void> {
  const n = numel(shape);
  const oc = cpu.alloc('float32', n),
    og = gpu.alloc('float32', n);
  gpu.write(og, new Float32Array(n).fill(Number.NaN)); // every element must be written
  run(cpu, oc, 'c');
  run(gpu, og, 'g');
  const whole = (s: Storage): View => ({ storage: s, shape: [n], strides: [1], offset: 0 });
  const want = cpu.readSync(whole(oc));
  expect(want.length).toBe(n);
  expect(await gpu.read(whole(og))).toBeAllClose(want, TOL);
}

interface Case {
  name: string;
  x: number[];
  w: number[];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
  /** Element offset of every input view (a multiple of 4 allows vec4 loads). */
  offset?: number;
}

const CASES: Case[] = [
  {
    name: 'padding on all sides, unequal per axis; K = 5·3·3 = 45 (not a multiple of 16); 7×6 output',
    x: [2, 5, 7, 6],
    w: [6, 5, 3, 3],
    padding: [1, 2],
    offset: 3,
  },
  { name: 'padding wider than the kernel reach (whole rows and columns of zeros)', x: [1, 2, 4, 5], w: [3, 2, 2, 3], padding: [3, 2], offset: 0 },
  { name: 'stride 2 with padding, odd input, batch 3', x: [3, 4, 11, 9], w: [5, 4, 3, 3], stride: [2, 2], padding: [1, 1], offset: 1 },
  { name: 'stride 2×1 and dilation 1×2 (per-axis geometry)', x: [2, 3, 9, 10], w: [4, 3, 3, 2], stride: [2, 1], padding: [0, 1], dilation: [1, 2], offset: 2 },
  { name: 'dilation 2, padding 2', x: [2, 3, 9, 9], w: [7, 3, 3, 3], padding: [2, 2], dilation: [2, 2], offset: 4 },
  { name: 'groups 2, batch 2 (batch × group grid)', x: [2, 6, 7, 7], w: [8, 3, 3, 3], padding: [1, 1], groups: 2, offset: 3 },
  { name: 'depthwise (groups = C), multiplier 1', x: [2, 5, 6, 7], w: [5, 1, 3, 3], padding: [1, 1], groups: 5, offset: 0 },
  { name: 'depthwise with channel multiplier 2, stride 2', x: [2, 3, 8, 8], w: [6, 1, 3, 3], stride: [2, 2], padding: [1, 1], groups: 3, offset: 1 },
  { name: '1×1 pointwise (strided fast path), batch 2, 4×5 image, vec4-aligned', x: [2, 8, 4, 5], w: [12, 8, 1, 1], offset: 0 },
  { name: '1×1 pointwise, batch 1, odd 5×5 image, unaligned', x: [1, 7, 5, 5], w: [9, 7, 1, 1], offset: 3 },
  { name: '1×1 with stride 2 (hooked, not pointwise)', x: [2, 6, 7, 7], w: [4, 6, 1, 1], stride: [2, 2], offset: 0 },
  { name: '1×1 with padding 1 (zero border)', x: [1, 3, 4, 4], w: [5, 3, 1, 1], padding: [1, 1], groups: 1, offset: 2 },
  {
    name: 'batch 1 (the weight gradient reads gy as a strided matrix), groups 2, stride 2',
    x: [1, 4, 9, 8],
    w: [6, 2, 3, 3],
    stride: [2, 2],
    padding: [1, 0],
    groups: 2,
    offset: 4,
  },
  { name: '64 filters over a 32×32 image, batch 8 (the 64×64 tile), with padding', x: [8, 8, 32, 32], w: [64, 8, 3, 3], padding: [1, 1], offset: 0 },
  // the weight gradient splits the images into chunks and adds their partial sums
  {
    name: 'one input channel, batch 12 of 16×16 (weight gradient split into 12 one-image chunks)',
    x: [12, 1, 16, 16],
    w: [8, 1, 3, 3],
    padding: [1, 1],
    offset: 1,
  },
  {
    name: 'batch 6 of 12×12, groups 2 (weight gradient split into 3 chunks of 2 images)',
    x: [6, 4, 12, 12],
    w: [16, 2, 3, 3],
    padding: [1, 1],
    groups: 2,
    offset: 0,
  },
];

suite('conv2d implicit GEMMs on the matmul generator vs the CPU', () => {
  for (const k of CASES) {
    it(k.name, async () => {
      const p: Conv2dParams = { stride: k.stride ?? [1, 1], padding: k.padding ?? [0, 0], dilation: k.dilation ?? [1, 1], groups: k.groups ?? 1 };
      const out = (L: number, kk: number, d: 0 | 1) => Math.floor((L + 2 * p.padding[d] - p.dilation[d] * (kk - 1) - 1) / p.stride[d]) + 1;
      const yShape = [k.x[0], k.w[0], out(k.x[2], k.w[2], 0), out(k.x[3], k.w[3], 1)];
      const off = k.offset ?? 0;
      const x = inputPair(k.x, 1, off),
        w = inputPair(k.w, 2, off),
        gy = inputPair(yShape, 3, off);
      await expectSame(yShape, (be, o, s) => be.conv2d(x[s], w[s], o, yShape, p));
      await expectSame(k.x, (be, o, s) => be.conv2dBackwardInput(gy[s], w[s], o, k.x, p));
      await expectSame(k.w, (be, o, s) => be.conv2dBackwardWeight(x[s], gy[s], o, k.w, p));
    });
  }

  it('empty batch: forward and input gradient write nothing, the weight gradient is zeros', async () => {
    const p: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
    const x = inputPair([0, 3, 5, 5], 1, 0),
      gy = inputPair([0, 4, 5, 5], 3, 0);
    const ws = [4, 3, 3, 3];
    await expectSame(ws, (be, o, s) => be.conv2dBackwardWeight(x[s], gy[s], o, ws, p));
    const got = gpu.alloc('float32', numel(ws));
    gpu.conv2dBackwardWeight(x.g, gy.g, got, ws, p);
    expect(Array.from(await gpu.read({ storage: got, shape: [numel(ws)], strides: [1], offset: 0 }))).toEqual(new Array(numel(ws)).fill(0));
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('conv2d on webgpu through the public op', () => {
  it('forward and both gradients match hand values and hold no memory afterwards', async () => {
    const before = memory().tensors;
    // x = 1..9 as 3×3, w = [[1, 0], [0, -1]]: y[i, j] = x[i, j] − x[i+1, j+1] = −4 everywhere
    const x = tensor(
      [
        [
          [
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
          ],
        ],
      ],
      { device: 'webgpu', requiresGrad: true },
    );
    const w = tensor(
      [
        [
          [
            [1, 0],
            [0, -1],
          ],
        ],
      ],
      { device: 'webgpu', requiresGrad: true },
    );
    const y = conv2d(x, w);
    expect(await y.toArray()).toEqual([
      [
        [
          [-4, -4],
          [-4, -4],
        ],
      ],
    ]);
    const total = y.sum();
    total.backward();
    // ∂Σy/∂x[i, j] = Σ over the windows that cover (i, j) of the tap's weight
    expect(await x.grad!.toArray()).toEqual([
      [
        [
          [1, 1, 0],
          [1, 0, -1],
          [0, -1, -1],
        ],
      ],
    ]);
    // ∂Σy/∂w[a, b] = Σ over outputs of x[i + a, j + b]: 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
    expect(await w.grad!.toArray()).toEqual([
      [
        [
          [12, 16],
          [24, 28],
        ],
      ],
    ]);
    for (const t of [x.grad!, w.grad!, total, y, x, w]) t.dispose();
    expect(memory().tensors).toBe(before);
  });
});
