import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Conv1d,
  Conv2d,
  ConvTranspose2d,
  conv2d,
  gradcheck,
  manualSeed,
  memory,
  randn,
  scope,
  ShapeError,
  type Tensor,
  tensor,
} from '../../src/index';
import { expectValues as expectClose, withFields } from '../helpers';

/** gradcheck of a weighted sum of `layer.forward(x)` with respect to x, weight and bias. */
function checkLayerGrad(layer: { forward(x: Tensor): Tensor; weight: Tensor; bias: Tensor | null }, x: Tensor): void {
  const wts = randn(layer.forward(x).shape);
  const r = gradcheck((xi, w, b) => withFields(layer, { weight: w, bias: b }, () => layer.forward(xi).mul(wts).sum()), [x, layer.weight, layer.bias!]);
  expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
}

function initStats(w: Tensor): { maxAbs: number; std: number } {
  const a = w.dataSync();
  let maxAbs = 0;
  let sq = 0;
  for (const v of a) {
    maxAbs = Math.max(maxAbs, Math.abs(v));
    sq += v * v;
  }
  return { maxAbs, std: Math.sqrt(sq / a.length) };
}

describe('Conv2d', () => {
  it('has PyTorch weight and output shapes', () => {
    const x = randn([2, 3, 8, 8]);
    const conv = new Conv2d(3, 16, 3, { padding: 1 });
    expect(conv.weight.shape).toEqual([16, 3, 3, 3]);
    expect(conv.bias!.shape).toEqual([16]);
    expect(conv.forward(x).shape).toEqual([2, 16, 8, 8]);
    expect(new Conv2d(3, 4, 3, { stride: 2 }).forward(x).shape).toEqual([2, 4, 3, 3]);
    expect(new Conv2d(3, 4, [3, 1], { stride: [2, 1], padding: [1, 0] }).forward(x).shape).toEqual([2, 4, 4, 8]);
    expect(new Conv2d(3, 4, 3, { padding: 'same', dilation: 2 }).forward(x).shape).toEqual([2, 4, 8, 8]);
    expect(new Conv2d(3, 4, 4, { padding: 'same' }).forward(x).shape).toEqual([2, 4, 8, 8]);
    expect(new Conv2d(3, 4, 3, { padding: 'valid' }).forward(x).shape).toEqual([2, 4, 6, 6]);
    expect(conv.forward(randn([3, 8, 8])).shape).toEqual([16, 8, 8]); // unbatched
    expect(new Conv2d(4, 8, 3, { groups: 2 }).weight.shape).toEqual([8, 2, 3, 3]);
  });

  it('cross-correlates (hand values) with bias', () => {
    const conv = new Conv2d(1, 1, 2);
    conv.loadStateDict({
      weight: tensor([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
      bias: tensor([0.5]),
    });
    const y = conv.forward(
      tensor([
        [
          [
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
          ],
        ],
      ]),
    );
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectClose(y.dataSync(), [37.5, 47.5, 67.5, 77.5]);
  });

  it('applies groups independently', () => {
    const conv = new Conv2d(2, 2, 1, { groups: 2, bias: false });
    conv.weight.assign(tensor([[[[2]]], [[[-1]]]]));
    expectClose(conv.forward(tensor([[[[1, 2]], [[3, 4]]]])).dataSync(), [2, 4, -3, -4]);
  });

  it('pads with reflect, replicate and circular paddingMode', () => {
    const conv = new Conv2d(1, 1, 3, { padding: 1, paddingMode: 'reflect', bias: false });
    conv.weight.assign(1);
    // reflect-padded [[1,2],[3,4]] is [[4,3,4,3],[2,1,2,1],[4,3,4,3],[2,1,2,1]]
    expectClose(
      conv
        .forward(
          tensor([
            [
              [
                [1, 2],
                [3, 4],
              ],
            ],
          ]),
        )
        .dataSync(),
      [27, 24, 21, 18],
    );
    const x = randn([1, 2, 5, 4]);
    for (const mode of ['replicate', 'circular'] as const) {
      const c = new Conv2d(2, 3, 3, { padding: [1, 2], paddingMode: mode });
      const ref = conv2d(x.pad([2, 2, 1, 1], { mode }), c.weight, { bias: c.bias });
      expectClose(c.forward(x).dataSync(), Array.from(ref.dataSync()));
      expect(c.forward(x).shape).toEqual([1, 3, 5, 6]);
    }
    expect(new Conv2d(2, 3, 4, { padding: 'same', paddingMode: 'circular' }).forward(x).shape).toEqual([1, 3, 5, 4]);
  });

  it('initialises from U(−1/√fanIn, 1/√fanIn) with fanIn = in/groups·kh·kw', () => {
    manualSeed(3);
    for (const [conv, fanIn] of [
      [new Conv2d(64, 128, 3), 576],
      [new Conv2d(32, 64, 3, { groups: 4 }), 72],
    ] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const w = initStats(conv.weight);
      expect(w.maxAbs).toBeLessThanOrEqual(bound * (1 + 1e-6));
      expect(w.maxAbs).toBeGreaterThan(0.99 * bound);
      expect(Math.abs(w.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.1);
      expect(initStats(conv.bias!).maxAbs).toBeLessThanOrEqual(bound);
    }
  });

  it('passes gradcheck (stride, padding, dilation, groups, reflect padding)', () => {
    manualSeed(4);
    checkLayerGrad(new Conv2d(2, 3, 2, { padding: 1 }), randn([2, 2, 3, 3]));
    checkLayerGrad(new Conv2d(4, 2, 3, { stride: 2, dilation: [1, 2], groups: 2, padding: [1, 2] }), randn([1, 4, 5, 6]));
    checkLayerGrad(new Conv2d(1, 2, 3, { padding: 1, paddingMode: 'reflect' }), randn([1, 1, 4, 4]));
  });

  it('has the keys weight and bias and round-trips', () => {
    const a = new Conv2d(2, 3, 3);
    expect(Object.keys(a.stateDict())).toEqual(['weight', 'bias']);
    expect(Object.keys(new Conv2d(2, 3, 3, { bias: false }).stateDict())).toEqual(['weight']);
    const b = new Conv2d(2, 3, 3);
    b.loadStateDict(a.stateDict());
    const x = randn([1, 2, 4, 4]);
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
    expect(() => b.loadStateDict({ weight: randn([3, 2, 2, 2]), bias: randn([3]) })).toThrow(ShapeError);
    expect(() => b.loadStateDict({ weight: randn([3, 2, 3, 3]) })).toThrow(/missing \[bias\]/);
  });

  it('validates its arguments', () => {
    expect(() => new Conv2d(0, 3, 3)).toThrow('Conv2d: inChannels must be a positive integer, got 0');
    expect(() => new Conv2d(3, 8, 3, { groups: 2 })).toThrow('Conv2d: inChannels 3 must be divisible by groups 2');
    expect(() => new Conv2d(4, 6, 3, { groups: 4 })).toThrow('Conv2d: outChannels 6 must be divisible by groups 4');
    expect(() => new Conv2d(3, 8, 0)).toThrow(ArgumentError);
    expect(() => new Conv2d(3, 8, [3, 3, 3] as unknown as [number, number])).toThrow(/kernelSize/);
    expect(() => new Conv2d(3, 8, 3, { padding: -1 })).toThrow(/padding/);
    expect(() => new Conv2d(3, 8, 3, { stride: 2, padding: 'same' })).toThrow(/'same' is not supported for strided/);
    expect(() => new Conv2d(3, 8, 3, { paddingMode: 'mirror' as 'reflect' })).toThrow(/paddingMode/);
  });

  it('rejects inputs of the wrong rank or channel count, naming the expected shape', () => {
    const conv = new Conv2d(3, 8, 3);
    expect(() => conv.forward(randn([1, 4, 5, 5]))).toThrow(ShapeError);
    expect(() => conv.forward(randn([1, 4, 5, 5]))).toThrow('Conv2d: expected 4-D input [N, C=3, H, W] (or 3-D [C=3, H, W] unbatched), got [1,4,5,5]');
    expect(() => conv.forward(randn([5, 5]))).toThrow(/expected 4-D input \[N, C=3, H, W\].*got \[5,5\]/);
  });

  it('frees every tensor on dispose()', () => {
    const before = memory();
    const conv = new Conv2d(2, 3, 3, { padding: 1, paddingMode: 'circular' });
    scope(() =>
      conv
        .forward(randn([1, 2, 4, 4]))
        .sum()
        .backward(),
    );
    conv.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('Conv1d', () => {
  it('has PyTorch shapes', () => {
    const conv = new Conv1d(4, 8, 3);
    expect(conv.weight.shape).toEqual([8, 4, 3]);
    expect(conv.forward(randn([2, 4, 10])).shape).toEqual([2, 8, 8]);
    expect(conv.forward(randn([4, 10])).shape).toEqual([8, 8]);
    expect(new Conv1d(4, 8, 3, { stride: 2, padding: 1 }).forward(randn([2, 4, 10])).shape).toEqual([2, 8, 5]);
    expect(new Conv1d(4, 8, 4, { padding: 'same' }).forward(randn([2, 4, 10])).shape).toEqual([2, 8, 10]);
  });

  it('computes hand values, including asymmetric same padding and circular mode', () => {
    const conv = new Conv1d(1, 1, 2, { bias: false });
    conv.weight.assign(tensor([[[1, -1]]]));
    const x = tensor([[[1, 2, 4, 8]]]);
    expectClose(conv.forward(x).dataSync(), [-1, -2, -4]);
    const same = new Conv1d(1, 1, 2, { padding: 'same', bias: false });
    same.weight.assign(tensor([[[1, -1]]]));
    expectClose(same.forward(x).dataSync(), [-1, -2, -4, 8]); // the odd pad goes on the right, as PyTorch
    const circ = new Conv1d(1, 1, 2, { padding: 'same', paddingMode: 'circular', bias: false });
    circ.weight.assign(tensor([[[1, -1]]]));
    expectClose(circ.forward(x).dataSync(), [-1, -2, -4, 7]);
  });

  it('initialises with fanIn = in/groups·k', () => {
    manualSeed(5);
    const conv = new Conv1d(100, 200, 5);
    const bound = 1 / Math.sqrt(500);
    const w = initStats(conv.weight);
    expect(w.maxAbs).toBeLessThanOrEqual(bound * (1 + 1e-6));
    expect(Math.abs(w.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.1);
  });

  it('passes gradcheck', () => {
    manualSeed(6);
    checkLayerGrad(new Conv1d(2, 3, 3, { stride: 2, padding: 1, dilation: 1 }), randn([2, 2, 7]));
    checkLayerGrad(new Conv1d(2, 2, 2, { padding: 'same', paddingMode: 'replicate', groups: 2 }), randn([1, 2, 5]));
  });

  it('validates arguments and input', () => {
    expect(() => new Conv1d(2, 2, 3, { stride: 0 })).toThrow('Conv1d: stride must be an integer >= 1, got 0');
    expect(() => new Conv1d(2, 2, 3).forward(randn([1, 3, 5]))).toThrow('Conv1d: expected 3-D input [N, C=2, L] (or 2-D [C=2, L] unbatched), got [1,3,5]');
    expect(Object.keys(new Conv1d(2, 2, 3).stateDict())).toEqual(['weight', 'bias']);
  });
});

describe('ConvTranspose2d', () => {
  it('has PyTorch weight [in, out/groups, kh, kw] and output shapes', () => {
    const up = new ConvTranspose2d(4, 6, 3, { groups: 2 });
    expect(up.weight.shape).toEqual([4, 3, 3, 3]);
    expect(up.bias!.shape).toEqual([6]);
    expect(up.forward(randn([1, 4, 5, 5])).shape).toEqual([1, 6, 7, 7]);
    const s2 = new ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    expect(s2.forward(randn([2, 4, 5, 5])).shape).toEqual([2, 2, 10, 10]);
    expect(s2.forward(randn([4, 5, 5])).shape).toEqual([2, 10, 10]);
  });

  it('stamps the kernel at stride steps (hand values)', () => {
    const up = new ConvTranspose2d(1, 1, 2, { stride: 2 });
    up.loadStateDict({
      weight: tensor([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
      bias: tensor([1]),
    });
    const y = up.forward(tensor([[[[1, 2]]]]));
    expect(y.shape).toEqual([1, 1, 2, 4]);
    expectClose(y.dataSync(), [2, 3, 3, 5, 4, 5, 7, 9]);
  });

  it('initialises with fanIn = out/groups·kh·kw (from the weight dim 1, as PyTorch)', () => {
    manualSeed(8);
    const up = new ConvTranspose2d(64, 32, 3);
    const bound = 1 / Math.sqrt(32 * 9);
    const w = initStats(up.weight);
    expect(w.maxAbs).toBeLessThanOrEqual(bound * (1 + 1e-6));
    expect(w.maxAbs).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(w.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.1);
    expect(initStats(up.bias!).maxAbs).toBeLessThanOrEqual(bound);
  });

  it('passes gradcheck', () => {
    manualSeed(9);
    checkLayerGrad(new ConvTranspose2d(2, 2, 2, { stride: 2, padding: 1, outputPadding: 1 }), randn([1, 2, 3, 3]));
    checkLayerGrad(new ConvTranspose2d(2, 4, 3, { groups: 2, dilation: 2 }), randn([1, 2, 2, 3]));
  });

  it('validates arguments and input, and round-trips its state dict', () => {
    expect(() => new ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding \[2,2\] must be smaller than either stride/);
    expect(() => new ConvTranspose2d(3, 2, 3, { groups: 2 })).toThrow('ConvTranspose2d: inChannels 3 must be divisible by groups 2');
    expect(() => new ConvTranspose2d(2, 2, 3).forward(randn([1, 3, 4, 4]))).toThrow(
      'ConvTranspose2d: expected 4-D input [N, C=2, H, W] (or 3-D [C=2, H, W] unbatched), got [1,3,4,4]',
    );
    const a = new ConvTranspose2d(2, 3, 2);
    const b = new ConvTranspose2d(2, 3, 2);
    expect(Object.keys(a.stateDict())).toEqual(['weight', 'bias']);
    b.loadStateDict(a.stateDict());
    const x = randn([1, 2, 3, 3]);
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
    const before = memory();
    const c = new ConvTranspose2d(2, 3, 2);
    scope(() =>
      c
        .forward(randn([1, 2, 3, 3]))
        .sum()
        .backward(),
    );
    c.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
