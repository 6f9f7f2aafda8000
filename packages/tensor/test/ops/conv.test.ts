import { expect, it } from 'vitest';
import { type DeviceName, type Tensor, tensor, arange, ones, zeros, conv1d, conv2d, convTranspose2d, ArgumentError, ShapeError } from '../../src/index';
import { expectGradcheck, describeOnCpu, randomValues } from '../helpers';

type Pair = [number, number];
interface Geo {
  stride: Pair;
  pad: Pair;
  dilation: Pair;
  groups: number;
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Naive float64 cross-correlation; `pad` zeros before, output size given (zeros after as needed). */
function refConv2d(x: number[], xs: number[], w: number[], ws: number[], g: Geo, out: Pair, bias?: number[]): number[] {
  const [N, C, H, W] = xs;
  const [O, Cg, kh, kw] = ws;
  const [Ho, Wo] = out;
  const Og = O / g.groups;
  const y = new Float64Array(N * O * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / Og);
      for (let oh = 0; oh < Ho; oh++)
        for (let ow = 0; ow < Wo; ow++) {
          let s = bias ? bias[o] : 0;
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const ih = oh * g.stride[0] - g.pad[0] + i * g.dilation[0];
                const iw = ow * g.stride[1] - g.pad[1] + j * g.dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += x[((n * C + grp * Cg + c) * H + ih) * W + iw] * w[((o * Cg + c) * kh + i) * kw + j];
              }
          y[((n * O + o) * Ho + oh) * Wo + ow] = s;
        }
    }
  return Array.from(y);
}

/** Naive transposed convolution: every input element scatters weight·x into the output. */
function refConvT2d(x: number[], xs: number[], w: number[], ws: number[], g: Geo, outPad: Pair): { y: number[]; shape: number[] } {
  const [N, Cin, H, W] = xs;
  const [, Cog, kh, kw] = ws;
  const Cig = Cin / g.groups;
  const Cout = Cog * g.groups;
  const Ho = (H - 1) * g.stride[0] - 2 * g.pad[0] + g.dilation[0] * (kh - 1) + outPad[0] + 1;
  const Wo = (W - 1) * g.stride[1] - 2 * g.pad[1] + g.dilation[1] * (kw - 1) + outPad[1] + 1;
  const y = new Float64Array(N * Cout * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < Cin; ci++) {
      const grp = Math.floor(ci / Cig);
      for (let ih = 0; ih < H; ih++)
        for (let iw = 0; iw < W; iw++) {
          const v = x[((n * Cin + ci) * H + ih) * W + iw];
          for (let co = 0; co < Cog; co++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const oh = ih * g.stride[0] - g.pad[0] + i * g.dilation[0];
                const ow = iw * g.stride[1] - g.pad[1] + j * g.dilation[1];
                if (oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                y[((n * Cout + grp * Cog + co) * Ho + oh) * Wo + ow] += v * w[((ci * Cog + co) * kh + i) * kw + j];
              }
        }
    }
  return { y: Array.from(y), shape: [N, Cout, Ho, Wo] };
}

/** Zero-pad the spatial dims of an [N, C, H, W] array by [top, bottom, left, right]. */
function padArray(x: number[], xs: number[], [t, b, l, r]: number[]): { x: number[]; shape: number[] } {
  const [N, C, H, W] = xs;
  const H2 = H + t + b;
  const W2 = W + l + r;
  const y = new Array<number>(N * C * H2 * W2).fill(0);
  for (let p = 0; p < N * C; p++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        y[(p * H2 + h + t) * W2 + w + l] = x[(p * H + h) * W + w];
      }
  return { x: y, shape: [N, C, H2, W2] };
}

function weightedSum(y: Tensor, seed = 3): Tensor {
  return y.mul(tensor(randomValues(y.numel(), seed), { device: y.device }).reshape(y.shape)).sum();
}

const TOL = { rtol: 1e-4, atol: 1e-5 };

describeOnCpu('conv', (device: DeviceName) => {
  const make = (shape: number[], seed: number) => {
    const v = randomValues(numel(shape), seed);
    return { v, t: tensor(v, { device }).reshape(shape) };
  };

  it('conv2d of a ramp with a box kernel (hand values)', async () => {
    const x = arange(16, undefined, 1, { device }).reshape([1, 1, 4, 4]);
    await expect(conv2d(x, ones([1, 1, 3, 3], { device }))).toBeAllClose([
      [
        [
          [45, 54],
          [81, 90],
        ],
      ],
    ]);
    await expect(x.conv2d(ones([1, 1, 2, 2], { device }), { stride: 2, bias: tensor([100], { device }) })).toBeAllClose([
      [
        [
          [110, 118],
          [142, 150],
        ],
      ],
    ]);
  });

  const cases: { name: string; xs: number[]; ws: number[]; g: Geo; bias?: boolean }[] = [
    { name: 'plain', xs: [2, 3, 5, 6], ws: [4, 3, 3, 3], g: { stride: [1, 1], pad: [0, 0], dilation: [1, 1], groups: 1 } },
    { name: 'stride 2 + padding 1 + bias', xs: [2, 3, 6, 5], ws: [4, 3, 3, 3], g: { stride: [2, 2], pad: [1, 1], dilation: [1, 1], groups: 1 }, bias: true },
    { name: 'dilation 2×1, padding 1×0', xs: [1, 2, 7, 6], ws: [3, 2, 3, 2], g: { stride: [1, 1], pad: [1, 0], dilation: [2, 1], groups: 1 } },
    {
      name: 'groups 2, stride 1×2, padding 0×1',
      xs: [1, 4, 5, 5],
      ws: [6, 2, 3, 3],
      g: { stride: [1, 2], pad: [0, 1], dilation: [1, 1], groups: 2 },
      bias: true,
    },
    { name: 'depthwise, stride 3, dilation 2, padding 2', xs: [2, 3, 8, 7], ws: [3, 1, 2, 3], g: { stride: [3, 3], pad: [2, 2], dilation: [2, 2], groups: 3 } },
  ];
  for (const c of cases) {
    it(`conv2d matches the naive reference: ${c.name}`, async () => {
      const x = make(c.xs, 11);
      const w = make(c.ws, 12);
      const b = c.bias ? make([c.ws[0]], 13) : undefined;
      const y = conv2d(x.t, w.t, { stride: c.g.stride, padding: c.g.pad, dilation: c.g.dilation, groups: c.g.groups, bias: b?.t });
      const out: Pair = [0, 1].map((k) => Math.floor((c.xs[2 + k] + 2 * c.g.pad[k] - c.g.dilation[k] * (c.ws[2 + k] - 1) - 1) / c.g.stride[k]) + 1) as Pair;
      expect(y.shape).toEqual([c.xs[0], c.ws[0], ...out]);
      expect(await y.data()).toBeAllClose(refConv2d(x.v, c.xs, w.v, c.ws, c.g, out, b?.v), TOL);
    });
  }

  it("padding 'same' keeps the size; even kernels put the extra pad after (as PyTorch)", async () => {
    for (const [k, d] of [
      [3, 1],
      [2, 1],
      [4, 1],
      [4, 2],
      [2, 3],
    ]) {
      const xs = [1, 2, 5, 6];
      const ws = [3, 2, k, k];
      const x = make(xs, 20 + k);
      const w = make(ws, 30 + k);
      const y = conv2d(x.t, w.t, { padding: 'same', dilation: d });
      expect(y.shape).toEqual([1, 3, 5, 6]);
      const span = d * (k - 1);
      const before = Math.floor(span / 2);
      const p = padArray(x.v, xs, [before, span - before, before, span - before]);
      const g: Geo = { stride: [1, 1], pad: [0, 0], dilation: [d, d], groups: 1 };
      expect(await y.data()).toBeAllClose(refConv2d(p.x, p.shape, w.v, ws, g, [5, 6]), TOL);
    }
    const x = tensor([1, 2, 3, 4], { device }).reshape([1, 1, 4]);
    await expect(conv1d(x, tensor([1, 10], { device }).reshape([1, 1, 2]), { padding: 'same' })).toBeAllClose([[[21, 32, 43, 4]]]);
    await expect(conv1d(x, tensor([1, 10, 100], { device }).reshape([1, 1, 3]), { padding: 'same' })).toBeAllClose([[[210, 321, 432, 43]]]);
  });

  it("padding 'valid' is no padding", async () => {
    const x = make([1, 2, 5, 5], 40);
    const w = make([2, 2, 3, 3], 41);
    const y = conv2d(x.t, w.t, { padding: 'valid' });
    expect(y.shape).toEqual([1, 2, 3, 3]);
    expect(await y.data()).toBeAllClose(
      refConv2d(x.v, [1, 2, 5, 5], w.v, [2, 2, 3, 3], { stride: [1, 1], pad: [0, 0], dilation: [1, 1], groups: 1 }, [3, 3]),
      TOL,
    );
  });

  it('conv1d matches the reference (stride, padding, dilation, groups, bias, same)', async () => {
    const x = make([2, 4, 9], 50);
    const w = make([6, 2, 3], 51);
    const b = make([6], 52);
    const y = conv1d(x.t, w.t, { stride: 2, padding: 1, dilation: 2, groups: 2, bias: b.t });
    expect(y.shape).toEqual([2, 6, 4]);
    const g: Geo = { stride: [1, 2], pad: [0, 1], dilation: [1, 2], groups: 2 };
    expect(await y.data()).toBeAllClose(refConv2d(x.v, [2, 4, 1, 9], w.v, [6, 2, 1, 3], g, [1, 4], b.v), TOL);
    const w4 = make([3, 4, 4], 53);
    const s = x.t.conv1d(w4.t, { padding: 'same' });
    expect(s.shape).toEqual([2, 3, 9]);
    const p = padArray(x.v, [2, 4, 1, 9], [0, 0, 1, 2]);
    expect(await s.data()).toBeAllClose(refConv2d(p.x, p.shape, w4.v, [3, 4, 1, 4], { stride: [1, 1], pad: [0, 0], dilation: [1, 1], groups: 1 }, [1, 9]), TOL);
  });

  const tcases: { name: string; xs: number[]; ws: number[]; g: Geo; op: Pair }[] = [
    { name: 'stride 1', xs: [2, 2, 3, 4], ws: [2, 3, 3, 2], g: { stride: [1, 1], pad: [0, 0], dilation: [1, 1], groups: 1 }, op: [0, 0] },
    {
      name: 'stride 2, padding 1, outputPadding 1, groups 2',
      xs: [1, 4, 3, 3],
      ws: [4, 3, 3, 3],
      g: { stride: [2, 2], pad: [1, 1], dilation: [1, 1], groups: 2 },
      op: [1, 1],
    },
    {
      name: 'stride 2×3, dilation 2, outputPadding 1×2',
      xs: [1, 2, 3, 2],
      ws: [2, 2, 2, 3],
      g: { stride: [2, 3], pad: [0, 1], dilation: [2, 2], groups: 1 },
      op: [1, 2],
    },
  ];
  for (const c of tcases) {
    it(`convTranspose2d matches the scatter reference: ${c.name}`, async () => {
      const x = make(c.xs, 60);
      const w = make(c.ws, 61);
      const ref = refConvT2d(x.v, c.xs, w.v, c.ws, c.g, c.op);
      const y = convTranspose2d(x.t, w.t, { stride: c.g.stride, padding: c.g.pad, dilation: c.g.dilation, groups: c.g.groups, outputPadding: c.op });
      expect(y.shape).toEqual(ref.shape);
      expect(await y.data()).toBeAllClose(ref.y, TOL);
    });
  }

  it('convTranspose2d shape and bias (stride 2, padding 1, outputPadding 1, groups 2)', async () => {
    const y = convTranspose2d(ones([1, 4, 3, 3], { device }), ones([4, 3, 3, 3], { device }), {
      stride: 2,
      padding: 1,
      outputPadding: 1,
      groups: 2,
      bias: tensor([1, 2, 3, 4, 5, 6], { device }),
    });
    expect(y.shape).toEqual([1, 6, 6, 6]);
    // output (1,1): input (0,0) through tap (2,2), (0,1) through (2,0), (1,0) through (0,2), (1,1) through (0,0); two channels each
    await expect(y.narrow(1, 4, 1).narrow(2, 1, 1).narrow(3, 1, 1)).toBeAllClose([[[[5 + 8]]]]);
    await expect(y.narrow(1, 0, 1).narrow(2, 0, 1).narrow(3, 0, 1)).toBeAllClose([[[[1 + 2]]]]);
  });

  it('convTranspose2d equals the input-gradient of conv2d', async () => {
    const geo = { stride: 2, padding: 1, dilation: 1, groups: 2 };
    const w = make([4, 3, 3, 3], 70).t; // conv2d: 6 → 4 channels; its transpose: 4 → 6
    const z = make([1, 4, 3, 3], 71).t;
    const xl = zeros([1, 6, 6, 6], { device, requiresGrad: true });
    const y = conv2d(xl, w, geo);
    expect(y.shape).toEqual([1, 4, 3, 3]);
    y.mul(z).sum().backward();
    const t = convTranspose2d(z, w, { ...geo, outputPadding: 1 });
    expect(t.shape).toEqual([1, 6, 6, 6]);
    expect(await t.data()).toBeAllClose(await xl.grad!.data(), TOL);
  });

  it('gradients of conv2d w.r.t. input, weight and bias (stride 2, padding, groups 2)', () => {
    const x = make([1, 4, 4, 4], 80).t;
    const w = make([4, 2, 3, 3], 81).t;
    const b = make([4], 82).t;
    expectGradcheck((xx, ww, bb) => weightedSum(conv2d(xx, ww, { stride: 2, padding: 1, groups: 2, bias: bb })), [x, w, b], { eps: 1e-2 });
  });

  it('gradients of conv1d and convTranspose2d', () => {
    const x = make([2, 2, 5], 90).t;
    const w = make([4, 1, 3], 91).t;
    const b = make([4], 92).t;
    expectGradcheck((xx, ww, bb) => weightedSum(conv1d(xx, ww, { stride: 2, padding: 1, dilation: 1, groups: 2, bias: bb })), [x, w, b], { eps: 1e-2 });
    const xt = make([1, 4, 2, 2], 93).t;
    const wt = make([4, 1, 3, 3], 94).t;
    const bt = make([2], 95).t;
    expectGradcheck((xx, ww, bb) => weightedSum(convTranspose2d(xx, ww, { stride: 2, padding: 1, outputPadding: 1, groups: 2, bias: bb })), [xt, wt, bt], {
      eps: 1e-2,
    });
  });

  it('errors name the op and the shapes', () => {
    const x = ones([1, 3, 5, 5], { device });
    expect(() => conv2d(x, ones([2, 4, 3, 3], { device }))).toThrow(ShapeError);
    expect(() => conv2d(x, ones([2, 4, 3, 3], { device }))).toThrow(/^conv2d: input \[1,3,5,5\] has 3 channels, weight \[2,4,3,3\] expects 4/);
    expect(() => conv2d(ones([3, 5, 5], { device }), ones([2, 3, 3, 3], { device }))).toThrow(/^conv2d: expected a 4-D input/);
    expect(() => conv2d(ones([1, 1, 2, 2], { device }), ones([1, 1, 3, 3], { device }))).toThrow(ShapeError);
    expect(() => conv2d(ones([1, 1, 2, 2], { device }), ones([1, 1, 3, 3], { device }))).toThrow(/^conv2d: input \[1,1,2,2\] is too small for kernel 3×3/);
    expect(() => conv2d(x, ones([2, 3, 3, 3], { device }), { padding: 'same', stride: 2 })).toThrow(ArgumentError);
    expect(() => conv2d(x, ones([2, 3, 3, 3], { device }), { padding: 'same', stride: 2 })).toThrow(/^conv2d: padding 'same' needs stride 1/);
    expect(() => conv2d(x, ones([2, 3, 3, 3], { device }), { bias: ones([3], { device }) })).toThrow(/^conv2d: bias must have shape \[2\], got \[3\]/);
    expect(() => conv2d(x, ones([3, 1, 3, 3], { device }), { groups: 2 })).toThrow(ShapeError);
    expect(() => conv1d(ones([1, 3, 5], { device }), ones([2, 2, 3], { device }))).toThrow(/^conv1d: input \[1,3,5\] has 3 channels, weight \[2,2,3\]/);
    expect(() => conv1d(ones([1, 3, 5, 1], { device }), ones([2, 3, 3], { device }))).toThrow(/^conv1d: expected a 3-D input/);
    expect(() => convTranspose2d(x, ones([2, 3, 3, 3], { device }))).toThrow(
      /^convTranspose2d: weight \[2,3,3,3\] expects 2 input channels, input \[1,3,5,5\] has 3/,
    );
    expect(() => convTranspose2d(x, ones([3, 1, 3, 3], { device }), { outputPadding: 1 })).toThrow(ArgumentError);
    const gone = ones([2], { device });
    gone.dispose();
    expect(() => conv2d(x, ones([2, 3, 3, 3], { device }), { bias: gone })).toThrow(/^conv2d: tensor was disposed/);
    const x1 = ones([1, 3, 5], { device });
    x1.dispose();
    expect(() => conv1d(x1, ones([2, 3, 3], { device }))).toThrow(/^conv1d: tensor was disposed/);
  });
});
