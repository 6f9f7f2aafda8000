import { describe, expect, it } from 'vitest';
import { ArgumentError, arange, conv3d, DTypeError, memory, ones, ShapeError, tensor, zeros } from '../../src/index';
import { DEVICES, randomValues } from '../helpers';

type Triple = [number, number, number];
interface Geo {
  stride: Triple;
  pad: Triple;
  dilation: Triple;
  groups: number;
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Naive float64 3-D cross-correlation with zero padding `pad` before (and as needed after) each dim. */
function refConv3d(x: number[], xs: number[], w: number[], ws: number[], g: Geo, out: Triple, bias?: number[]): number[] {
  const [N, C, D, H, W] = xs;
  const [O, Cg, kd, kh, kw] = ws;
  const [Do, Ho, Wo] = out;
  const Og = O / g.groups;
  const y = new Float64Array(N * O * Do * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / Og);
      for (let od = 0; od < Do; od++)
        for (let oh = 0; oh < Ho; oh++)
          for (let ow = 0; ow < Wo; ow++) {
            let s = bias ? bias[o] : 0;
            for (let c = 0; c < Cg; c++)
              for (let i = 0; i < kd; i++)
                for (let j = 0; j < kh; j++)
                  for (let k = 0; k < kw; k++) {
                    const id = od * g.stride[0] - g.pad[0] + i * g.dilation[0];
                    const ih = oh * g.stride[1] - g.pad[1] + j * g.dilation[1];
                    const iw = ow * g.stride[2] - g.pad[2] + k * g.dilation[2];
                    if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    s += x[(((n * C + grp * Cg + c) * D + id) * H + ih) * W + iw] * w[(((o * Cg + c) * kd + i) * kh + j) * kw + k];
                  }
            y[(((n * O + o) * Do + od) * Ho + oh) * Wo + ow] = s;
          }
    }
  return Array.from(y);
}

/** `t`, now a leaf that requires grad. */
function leaf<T extends { requiresGrad: boolean }>(t: T): T {
  t.requiresGrad = true;
  return t;
}

const TOL = { rtol: 1e-4, atol: 1e-5 };
const outSize = (xs: number[], ws: number[], g: Geo): Triple =>
  [0, 1, 2].map((k) => Math.floor((xs[2 + k] + 2 * g.pad[k] - g.dilation[k] * (ws[2 + k] - 1) - 1) / g.stride[k]) + 1) as Triple;

describe.each(DEVICES)('conv3d [%s]', (device) => {
  const make = (shape: number[], seed: number) => {
    const v = randomValues(numel(shape), seed);
    return { v, t: tensor(v, { device }).reshape(shape) };
  };

  it('a ramp with a 2×2×2 box kernel, and its gradients (hand values)', async () => {
    // y[d, h, w] = Σ of the 8 entries 9(d+i) + 3(h+j) + (w+k) = 8·(9d + 3h + w) + 52
    const x = leaf(arange(27, undefined, 1, { device }).reshape([1, 1, 3, 3, 3]));
    const w = leaf(ones([1, 1, 2, 2, 2], { device }));
    const y = conv3d(x, w, { bias: tensor([0.5], { device }) });
    expect(y.shape).toEqual([1, 1, 2, 2, 2]);
    await expect(y.data()).resolves.toBeAllClose([52.5, 60.5, 76.5, 84.5, 124.5, 132.5, 148.5, 156.5]);
    y.sum().backward();
    // ∂Σy/∂w[i, j, k] = Σ over the 8 windows of x at that tap = 8·(9i + 3j + k) + 52 (the same ramp)
    await expect(w.grad?.data()).resolves.toBeAllClose([52, 60, 76, 84, 124, 132, 148, 156]);
    // ∂Σy/∂x = the number of windows covering each voxel: 1 per dim at an edge, 2 in the middle
    const cover = [1, 2, 1];
    const expected = cover.flatMap((a) => cover.flatMap((b) => cover.map((c) => a * b * c)));
    await expect(x.grad?.data()).resolves.toBeAllClose(expected);
  });

  const cases: { name: string; xs: number[]; ws: number[]; g: Geo; bias?: boolean }[] = [
    { name: 'plain, batch 2', xs: [2, 3, 4, 5, 4], ws: [4, 3, 2, 3, 2], g: { stride: [1, 1, 1], pad: [0, 0, 0], dilation: [1, 1, 1], groups: 1 } },
    {
      name: 'stride [2, 1, 2], padding [1, 0, 1], bias',
      xs: [1, 2, 5, 4, 5],
      ws: [3, 2, 3, 2, 3],
      g: { stride: [2, 1, 2], pad: [1, 0, 1], dilation: [1, 1, 1], groups: 1 },
      bias: true,
    },
    { name: 'depth dilation 2, padding 2', xs: [1, 2, 6, 3, 3], ws: [2, 2, 3, 1, 2], g: { stride: [1, 1, 1], pad: [2, 0, 1], dilation: [2, 1, 1], groups: 1 } },
    {
      name: 'groups 2, stride 2, dilation [1, 2, 1], bias',
      xs: [2, 4, 5, 6, 5],
      ws: [6, 2, 2, 2, 3],
      g: { stride: [2, 2, 2], pad: [0, 1, 1], dilation: [1, 2, 1], groups: 2 },
      bias: true,
    },
    { name: 'depthwise, kernel depth 1', xs: [1, 3, 3, 4, 4], ws: [3, 1, 1, 3, 3], g: { stride: [1, 1, 1], pad: [0, 1, 1], dilation: [1, 1, 1], groups: 3 } },
  ];
  for (const c of cases) {
    it(`matches the naive reference: ${c.name}`, async () => {
      const x = make(c.xs, 21);
      const w = make(c.ws, 22);
      const b = c.bias ? make([c.ws[0]], 23) : undefined;
      const y = conv3d(x.t, w.t, { stride: c.g.stride, padding: c.g.pad, dilation: c.g.dilation, groups: c.g.groups, bias: b?.t });
      const out = outSize(c.xs, c.ws, c.g);
      expect(y.shape).toEqual([c.xs[0], c.ws[0], ...out]);
      expect(await y.data()).toBeAllClose(refConv3d(x.v, c.xs, w.v, c.ws, c.g, out, b?.v), TOL);
    });
  }

  it("padding 'same' keeps the size and puts an even kernel's odd pad after (as PyTorch)", async () => {
    const xs = [1, 2, 4, 5, 3];
    const ws = [2, 2, 2, 3, 4];
    const x = make(xs, 31);
    const w = make(ws, 32);
    const y = conv3d(x.t, w.t, { padding: 'same' });
    expect(y.shape).toEqual([1, 2, 4, 5, 3]);
    // total pad per dim = k − 1: [1, 2, 3] → before [0, 1, 1], after [1, 1, 2]; the naive conv pads
    // `before` and reads zeros past the end, which is the `after` side
    const g: Geo = { stride: [1, 1, 1], pad: [0, 1, 1], dilation: [1, 1, 1], groups: 1 };
    expect(await y.data()).toBeAllClose(refConv3d(x.v, xs, w.v, ws, g, [4, 5, 3]), TOL);
  });

  it("'valid' is padding 0; an empty batch gives an empty output", async () => {
    const x = make([1, 1, 3, 3, 3], 41);
    const w = make([1, 1, 2, 2, 2], 42);
    expect(await conv3d(x.t, w.t, { padding: 'valid' }).data()).toBeAllClose(await conv3d(x.t, w.t).data());
    expect(conv3d(zeros([0, 1, 3, 3, 3], { device }), w.t).shape).toEqual([0, 1, 2, 2, 2]);
  });

  it('leaves no tensors behind, with and without gradients', async () => {
    const x = leaf(make([1, 2, 3, 4, 4], 51).t);
    const w = leaf(make([2, 2, 2, 2, 2], 52).t);
    const b = zeros([2], { device });
    const before = memory().tensors;
    const y = conv3d(x, w, { padding: 1, bias: b, stride: 2 });
    const loss = y.sum();
    loss.backward();
    await x.grad?.data();
    for (const t of [y, loss, x.grad, w.grad]) t?.dispose();
    x.grad = null;
    w.grad = null;
    expect(memory().tensors).toBe(before);
  });

  it('rejects bad input with typed errors naming conv3d', () => {
    const x = zeros([1, 2, 3, 3, 3], { device });
    const w = zeros([4, 2, 2, 2, 2], { device });
    expect(() => conv3d(zeros([2, 3, 3, 3], { device }), w)).toThrow(ShapeError);
    expect(() => conv3d(zeros([2, 3, 3, 3], { device }), w)).toThrow(/conv3d.*5-D input/);
    expect(() => conv3d(x, zeros([4, 2, 2, 2], { device }))).toThrow(/5-D weight/);
    expect(() => conv3d(x, zeros([4, 3, 2, 2, 2], { device }))).toThrow(/has 2 channels, weight \[4,3,2,2,2\] expects 3/);
    expect(() => conv3d(x, zeros([3, 1, 2, 2, 2], { device }), { groups: 2 })).toThrow(/output channels 3 not divisible by groups 2/);
    expect(() => conv3d(x, w, { bias: zeros([3], { device }) })).toThrow(/bias must have shape \[4\]/);
    expect(() => conv3d(x, zeros([4, 2, 4, 2, 2], { device }))).toThrow(/too small for kernel depth 4/);
    expect(() => conv3d(x, zeros([4, 2, 2, 4, 2], { device }))).toThrow(ShapeError);
    expect(() => conv3d(x, w, { stride: 2, padding: 'same' })).toThrow(ArgumentError);
    expect(() => conv3d(x, w, { stride: [1, 2] as unknown as Triple })).toThrow(/stride must be an integer ≥ 1 or a triple/);
    expect(() => conv3d(x, w, { padding: -1 })).toThrow(/padding must be an integer ≥ 0/);
    expect(() => conv3d(x, w, { kernel: 2 } as never)).toThrow(/unknown option 'kernel'/);
    expect(() => conv3d(x.to('int32'), w)).toThrow(DTypeError);
  });
});
