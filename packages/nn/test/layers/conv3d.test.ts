import { describe, expect, it } from 'vitest';
import { ArgumentError, arange, Conv3d, conv2d, gradcheck, manualSeed, memory, randn, scope, ShapeError, type Tensor } from '../../src/index';
import { expectValues, withFields } from '../helpers';

/** gradcheck of a weighted sum of `layer.forward(x)` with respect to x, weight and bias. */
function checkLayerGrad(layer: Conv3d, x: Tensor): void {
  const wts = randn(layer.forward(x).shape);
  const r = gradcheck(
    (xi, w, b) => withFields(layer, { weight: w, bias: b }, () => layer.forward(xi).mul(wts).sum()),
    [x, layer.weight, layer.bias as Tensor],
    {
      eps: 1e-2,
    },
  );
  expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
}

describe('Conv3d', () => {
  it('has PyTorch weight, bias and output shapes, batched and unbatched', () => {
    const conv = new Conv3d(2, 6, [3, 2, 1], { stride: [1, 2, 1], padding: [1, 0, 0], groups: 2 });
    expect(conv.weight.shape).toEqual([6, 1, 3, 2, 1]);
    expect(conv.bias?.shape).toEqual([6]);
    expect(conv.forward(randn([2, 2, 4, 5, 3])).shape).toEqual([2, 6, 4, 2, 3]);
    expect(conv.forward(randn([2, 4, 5, 3])).shape).toEqual([6, 4, 2, 3]);
    expect(new Conv3d(1, 1, 3, { padding: 'same' }).forward(randn([1, 1, 4, 5, 6])).shape).toEqual([1, 1, 4, 5, 6]);
    expect(String(conv)).toBe('Conv3d(2, 6, kernelSize=[3, 2, 1], stride=[1, 2, 1], padding=[1, 0, 0], groups=2)');
  });

  it('cross-correlates a ramp (hand values) with bias', () => {
    const conv = new Conv3d(1, 1, 2);
    conv.weight.assign(1);
    conv.bias?.assign(0.5);
    // Σ of 9(d+i) + 3(h+j) + (w+k) over the 2×2×2 window = 8·(9d + 3h + w) + 52
    const y = conv.forward(arange(27).reshape([1, 1, 3, 3, 3]));
    expectValues(y.dataSync(), [52.5, 60.5, 76.5, 84.5, 124.5, 132.5, 148.5, 156.5]);
  });

  it('equals, per output depth, the sum of conv2d over the depth taps (an independent reference)', () => {
    manualSeed(5);
    const conv = new Conv3d(4, 6, [2, 3, 3], { padding: [0, 1, 1], groups: 2 });
    const x = randn([2, 4, 3, 5, 5]);
    const y = conv.forward(x);
    expect(y.shape).toEqual([2, 6, 2, 5, 5]);
    for (let d = 0; d < 2; d++) {
      const ref = scope(() => {
        let s = conv2d(x.narrow(2, d, 1).squeeze(2), conv.weight.narrow(2, 0, 1).squeeze(2), { padding: 1, groups: 2, bias: conv.bias });
        s = s.add(conv2d(x.narrow(2, d + 1, 1).squeeze(2), conv.weight.narrow(2, 1, 1).squeeze(2), { padding: 1, groups: 2 }));
        return s;
      });
      expectValues(y.narrow(2, d, 1).contiguous().dataSync(), Array.from(ref.dataSync()), 1e-4);
    }
  });

  it('pads with reflect, replicate and circular paddingMode as an explicit pad then an unpadded conv', () => {
    manualSeed(6);
    const x = randn([1, 2, 3, 4, 5]);
    for (const mode of ['reflect', 'replicate', 'circular'] as const) {
      const c = new Conv3d(2, 3, 3, { padding: [1, 1, 2], paddingMode: mode });
      const plain = new Conv3d(2, 3, 3);
      plain.loadStateDict(c.stateDict());
      const ref = plain.forward(x.pad([2, 2, 1, 1, 1, 1], { mode }));
      const y = c.forward(x);
      expect(y.shape).toEqual([1, 3, 3, 4, 7]);
      expectValues(y.dataSync(), Array.from(ref.dataSync()), 1e-5);
    }
  });

  it('initialises from U(−1/√fanIn, 1/√fanIn) with fanIn = in/groups·kd·kh·kw', () => {
    manualSeed(3);
    for (const [conv, fanIn] of [
      [new Conv3d(16, 32, 3), 432],
      [new Conv3d(16, 32, [1, 3, 3], { groups: 4 }), 36],
    ] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const w = Array.from(conv.weight.dataSync());
      const maxAbs = Math.max(...w.map(Math.abs));
      const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
      expect(maxAbs).toBeLessThanOrEqual(bound * (1 + 1e-6));
      expect(maxAbs).toBeGreaterThan(0.99 * bound);
      expect(Math.abs(std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.1);
      expect(Math.max(...Array.from(conv.bias?.dataSync() ?? []).map(Math.abs))).toBeLessThanOrEqual(bound);
    }
  });

  it('passes gradcheck (stride, padding, dilation, groups, reflect padding)', () => {
    manualSeed(4);
    checkLayerGrad(new Conv3d(2, 2, 2, { padding: 1 }), randn([1, 2, 2, 3, 3]));
    checkLayerGrad(new Conv3d(2, 2, [2, 2, 1], { stride: [2, 1, 2], dilation: [1, 2, 1], groups: 2, padding: [1, 1, 0] }), randn([1, 2, 3, 4, 3]));
    checkLayerGrad(new Conv3d(1, 1, 3, { padding: 1, paddingMode: 'reflect' }), randn([1, 1, 2, 3, 3]));
  });

  it('has the state-dict keys weight and bias and round-trips', () => {
    const a = new Conv3d(2, 3, 2);
    expect(Object.keys(a.stateDict())).toEqual(['weight', 'bias']);
    expect(Object.keys(new Conv3d(2, 3, 2, { bias: false }).stateDict())).toEqual(['weight']);
    const b = new Conv3d(2, 3, 2);
    b.loadStateDict(a.stateDict());
    const x = randn([1, 2, 3, 3, 3]);
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
    expect(() => b.loadStateDict({ weight: randn([3, 2, 2, 2]), bias: randn([3]) })).toThrow(ShapeError);
  });

  it('validates its arguments and input', () => {
    expect(() => new Conv3d(0, 3, 3)).toThrow('Conv3d: inChannels must be a positive integer, got 0');
    expect(() => new Conv3d(3, 8, 3, { groups: 2 })).toThrow('Conv3d: inChannels 3 must be divisible by groups 2');
    expect(() => new Conv3d(3, 8, [3, 3] as unknown as number)).toThrow('Conv3d: kernelSize must be an integer >= 1 or a triple of them, got [3,3]');
    expect(() => new Conv3d(3, 8, 3, { padding: -1 })).toThrow(ArgumentError);
    expect(() => new Conv3d(3, 8, 3, { stride: [1, 2, 1], padding: 'same' })).toThrow(/'same' is not supported for strided/);
    expect(() => new Conv3d(3, 8, 3, { paddingMode: 'mirror' as 'reflect' })).toThrow(/paddingMode/);
    expect(() => new Conv3d(3, 8, 3, { outputPadding: 1 } as never)).toThrow(/unknown option 'outputPadding'/);
    const conv = new Conv3d(3, 8, 3);
    expect(() => conv.forward(randn([1, 3, 5, 5]))).toThrow('Conv3d: expected 5-D input [N, C=3, D, H, W] (or 4-D [C=3, D, H, W] unbatched), got [1,3,5,5]');
    expect(() => conv.forward(randn([1, 2, 5, 5, 5]))).toThrow(ShapeError);
    expect(() => conv.forward(randn([1, 3, 2, 5, 5]))).toThrow(/conv3d: input \[1,3,2,5,5\] is too small for kernel depth 3/);
  });

  it('frees every tensor on dispose()', () => {
    const before = memory();
    const conv = new Conv3d(2, 3, 3, { padding: 1, paddingMode: 'circular', stride: 2 });
    scope(() =>
      conv
        .forward(randn([1, 2, 3, 4, 4]))
        .sum()
        .backward(),
    );
    conv.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
