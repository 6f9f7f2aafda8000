import { ArgumentError, DTypeError, init, memory, ShapeError, type Tensor, tensor } from '@aimodel/nn';
import { afterAll, describe, expect, it } from 'vitest';
import { dequantize, fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine, quantizePerChannel, quantizePerTensor, quantRange } from '../src/index';
import { hasWebGpu } from './webgpu-available';

// Expected values are worked out by hand from PyTorch's definitions (ATen quantize_val / fbgemm
// Quantize, non-legacy): q = clamp(zp + nearbyint(x · fl32(1/scale)), qmin, qmax), ties to even;
// dequantize = fl32(scale) · (q − zp). Scales that are powers of two make x/scale exact, so the
// ties below are real ties in float32.

const f = Math.fround;
const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

describe('quantizePerTensor', () => {
  it('rounds ties to even, then adds the zero point, then clamps (int8)', async () => {
    const x = tensor([0.25, 0.75, 1.25, -0.25, -0.75, 100, -100]);
    const q = quantizePerTensor(x, 0.5, 0, 'int8');
    expect(q.dtype).toBe('int8');
    // x/scale = 0.5, 1.5, 2.5, −0.5, −1.5, 200, −200
    expect(await values(q)).toEqual([0, 2, 2, 0, -2, 127, -128]);
  });

  it('adds the zero point after rounding: zp 1 and 0.5 → 1 (not round(1.5) = 2); uint8 range', async () => {
    const x = tensor([0.25, 0.75, -0.25, -100, 100]);
    expect(await values(quantizePerTensor(x, 0.5, 1, 'uint8'))).toEqual([1, 3, 1, 0, 201]);
    expect(await values(quantizePerTensor(x, 0.5, 128, 'uint8'))).toEqual([128, 130, 128, 0, 255]);
  });

  it('multiplies by the float32 reciprocal of the scale, as PyTorch (not x / scale)', async () => {
    const s = 0.00214854861;
    const x = 0.273939937;
    // the two formulas disagree here: x·(1/s) = 127.5 exactly in float32 (→ 128), x/s = 127.49999 (→ 127)
    expect(f(f(x) * f(1 / f(s)))).toBe(127.5);
    expect(f(f(x) / f(s))).toBeLessThan(127.5);
    expect(await values(quantizePerTensor(tensor([x]), s, 0, 'int8'))).toEqual([127]); // clamped to int8's 127
    expect(await values(quantizePerTensor(tensor([x]), s, 0, 'uint8'))).toEqual([128]);
  });

  it('quantRange follows the dtype and reduceRange', () => {
    expect(quantRange('int8')).toEqual([-128, 127]);
    expect(quantRange('uint8')).toEqual([0, 255]);
    expect(quantRange('int8', true)).toEqual([-64, 63]);
    expect(quantRange('uint8', true)).toEqual([0, 127]);
  });

  it('rejects bad input with typed errors', () => {
    const x = tensor([1]);
    expect(() => quantizePerTensor(x, 0, 0, 'int8')).toThrow(ArgumentError);
    expect(() => quantizePerTensor(x, 0.1, 128, 'int8')).toThrow(/zeroPoint must be an integer in \[-128, 127\], got 128/);
    expect(() => quantizePerTensor(x, 0.1, 0, 'int32' as 'int8')).toThrow(DTypeError);
    expect(() => quantizePerTensor(tensor([1], { dtype: 'int32' }), 0.1, 0, 'int8')).toThrow(DTypeError);
  });
});

describe('quantizePerChannel and dequantize', () => {
  it('per channel along axis 0 and axis 1 (int8 and uint8)', async () => {
    const w = tensor([
      [0.25, -1, 3],
      [0.75, 2, -8],
    ]);
    // axis 0: row scales 0.5, 2 → [[0.5→0, −2, 6], [0.375→0, 1, −4]]
    expect(await values(quantizePerChannel(w, [0.5, 2], [0, 0], 0, 'int8'))).toEqual([0, -2, 6, 0, 1, -4]);
    // axis 1: column scales 0.5, 1, 0.25 with zero points 10, 0, 128 (uint8)
    // col0: 0.5→0 +10 = 10, 1.5→2 +10 = 12; col1: −1 → clamp 0, 2; col2: 12+128 = 140, −32+128 = 96
    expect(await values(quantizePerChannel(w, [0.5, 1, 0.25], [10, 0, 128], 1, 'uint8'))).toEqual([10, 0, 140, 12, 2, 96]);
    expect(await values(quantizePerChannel(w, [0.5, 1, 0.25], [10, 0, 127], -1, 'uint8'))).toEqual([10, 0, 139, 12, 2, 95]);
  });

  it('per-channel errors name what was expected', () => {
    const w = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(() => quantizePerChannel(w, [1], [0], 0, 'int8')).toThrow(ShapeError);
    expect(() => quantizePerChannel(w, [1, 1], [0, 0], 2, 'int8')).toThrow(/axis 2 is out of range for a 2-D tensor/);
    expect(() => quantizePerChannel(w, [1, -1], [0, 0], 0, 'int8')).toThrow(ArgumentError);
  });

  it('dequantize is scale · (q − zp) in float32, per tensor and per channel', async () => {
    const q = tensor([-10, 0, 2, 127], { dtype: 'int8' });
    expect(await values(dequantize(q, 0.1, 0))).toEqual([-10, 0, 2, 127].map((v) => f(f(0.1) * v)));
    const u = tensor([126, 128, 255], { dtype: 'uint8' });
    expect(await values(dequantize(u, 0.5, 128))).toEqual([-1, 0, 63.5]);
    const qc = tensor(
      [
        [10, 0, 140],
        [12, 2, 96],
      ],
      { dtype: 'uint8' },
    );
    expect(await values(dequantize(qc, [0.5, 1, 0.25], [10, 0, 128], { axis: 1 }))).toEqual([0, 0, 3, 1, 2, -8]);
  });

  it('dequantize rejects mixed or incomplete arguments and unknown options', () => {
    const q = tensor([1, 2], { dtype: 'int8' });
    expect(() => dequantize(q, [1, 1], [0, 0])).toThrow(/need \{ axis \}/);
    expect(() => dequantize(q, 1, [0, 0], { axis: 0 })).toThrow(ArgumentError);
    expect(() => dequantize(q, 1, 0, { axis: 0 })).toThrow(/axis is only for per-channel/);
    expect(() => dequantize(q, 1, 0, { dim: 0 } as object)).toThrow(/unknown option 'dim'/);
    expect(() => dequantize(tensor([1.5]), 1, 0)).toThrow(DTypeError);
  });

  it('round trip frees its temporaries', () => {
    const before = memory().tensors;
    const x = tensor([0.3, -0.7, 1.2]);
    const q = quantizePerTensor(x, 0.1, 3, 'int8');
    const d = dequantize(q, 0.1, 3);
    expect(memory().tensors).toBe(before + 3);
    for (const t of [x, q, d]) t.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('fake quantization', () => {
  it('per tensor: forward (clamp(q) − zp) · scale and straight-through gradient with the mask on the rounded value', async () => {
    // scale 0.5, zp 1, range [−4, 4]: q = 1 + round(2x)
    const x = tensor([-3, -2.4, 0.25, 1.5, 1.74, 1.76, 5], { requiresGrad: true });
    const y = fakeQuantizePerTensorAffine(x, 0.5, 1, -4, 4);
    // q: 1−6=−5→clamp −4, 1+round(−4.8)=−4, 1+0=1, 1+3=4, 1+round(3.48)=4, 1+round(3.52)=5→4, 1+10=11→4
    expect(await values(y)).toEqual([-2.5, -2.5, 0, 1.5, 1.5, 1.5, 1.5]);
    y.sum().backward();
    expect(await values(x.grad as Tensor)).toEqual([0, 1, 1, 1, 1, 0, 0]);
  });

  it('a tie on the range boundary rounds inside (gradient 1): x/scale = 4.5 → 4', async () => {
    const x = tensor([2.25, 2.75], { requiresGrad: true });
    const y = fakeQuantizePerTensorAffine(x, 0.5, 0, -4, 4);
    expect(await values(y)).toEqual([2, 2]);
    y.mul(tensor([3, 5]))
      .sum()
      .backward();
    expect(await values(x.grad as Tensor)).toEqual([3, 0]);
  });

  it('scale and zero point as one-element tensors give the same values', async () => {
    const x = tensor([0.3, -0.7, 1.26, 9]);
    const scale = tensor([0.1]);
    const zp = tensor([3], { dtype: 'int32' });
    const a = fakeQuantizePerTensorAffine(x, scale, zp, -128, 127);
    const b = fakeQuantizePerTensorAffine(x, 0.1, 3, -128, 127);
    expect(await values(a)).toEqual(await values(b));
    expect(() => fakeQuantizePerTensorAffine(x, tensor([0.1, 0.2]), 0, -128, 127)).toThrow(ShapeError);
  });

  it('per channel along axis 1, with gradients (finite differences agree off the rounding steps)', async () => {
    const x = tensor(
      [
        [0.1, 3, -0.3],
        [0.26, -9, 1],
      ],
      { requiresGrad: true },
    );
    // column scales 0.25, 2, 0.5; zero points 0, 0, 2; range [−4, 4]
    const y = fakeQuantizePerChannelAffine(x, [0.25, 2, 0.5], [0, 0, 2], 1, -4, 4);
    // col0: round(0.4)=0 → 0; round(1.04)=1 → 0.25. col1: round(1.5)=2 → 4; round(−4.5)=−4 → −8
    // col2: 2+round(−0.6)=1 → −0.5; 2+round(2)=4 → 1
    expect(await values(y)).toEqual([0, 4, -0.5, 0.25, -8, 1]);
    y.sum().backward();
    expect(await values(x.grad as Tensor)).toEqual([1, 1, 1, 1, 1, 1]);
    const t = tensor([[10, 1]], { requiresGrad: true });
    fakeQuantizePerChannelAffine(t, [1, 1], [0, 0], 1, -4, 4).sum().backward();
    expect(await values(t.grad as Tensor)).toEqual([0, 1]);
    // per-channel tensors (as QAT keeps them on the device)
    const yt = fakeQuantizePerChannelAffine(x.detach(), tensor([0.25, 2, 0.5]), tensor([0, 0, 2]), 1, -4, 4);
    expect(await values(yt)).toEqual([0, 4, -0.5, 0.25, -8, 1]);
  });

  it('without requiresGrad returns the plain result; temporaries are freed', () => {
    const x = tensor([0.3, 1.1]);
    const before = memory().tensors;
    const y = fakeQuantizePerTensorAffine(x, 0.5, 0, -128, 127);
    expect(y.requiresGrad).toBe(false);
    expect(memory().tensors).toBe(before + 1);
    y.dispose();
    expect(() => fakeQuantizePerTensorAffine(x, 0.5, 0, 4, -4)).toThrow(/quantMin <= quantMax/);
  });
});

describe.runIf(WEBGPU)('on WebGPU the arithmetic matches the CPU exactly', () => {
  it('quantize, dequantize and fake-quantize with ties', async () => {
    const data = [0.25, 0.75, 1.25, -0.25, -0.75, 100, -100, 0.273939937, 0.1, -0.33, 7.77];
    const run = async (device: 'cpu' | 'webgpu') => {
      await init({ device });
      const x = tensor(data, { requiresGrad: true });
      const q = quantizePerTensor(x.detach(), 0.5, 1, 'int8');
      const qc = quantizePerChannel(x.detach().reshape([1, 11]), [0.00214854861], [0], 0, 'uint8');
      const d = dequantize(q, 0.5, 1);
      const y = fakeQuantizePerTensorAffine(x, 0.25, 3, -16, 15);
      y.sum().backward();
      const out = [await values(q), await values(qc), await values(d), await values(y), await values(x.grad as Tensor)];
      expect(q.device).toBe(device);
      return out;
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(gpu).toEqual(cpu);
    expect(cpu[0]).toEqual([1, 3, 3, 1, -1, 127, -128, 2, 1, 0, 17]);
  });
});
