import { ArgumentError, DTypeError, init, Linear, linear, memory, ShapeError, scope, type Tensor, tensor } from '@aimodel/nn';
import { afterAll, describe, expect, it } from 'vitest';
import { dequantize, QuantizedLinear } from '../src/index';
import { quantize, randomValues, refRequantize } from './quantized-reference';
import { hasWebGpu } from './webgpu-available';
import { int8BaseOptions } from './int8-base-options';

const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));
async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** A random layer: int8 weights, per-channel affine or per-tensor symmetric, uint8 or int8 activations. */
function randomLayer(k: number, n: number, seed: number, perChannel: boolean, dtype: 'uint8' | 'int8', relu = false) {
  const w = randomValues(n * k, seed, -128, 128).map(Math.floor);
  const wScale = perChannel ? randomValues(n, seed + 1, 0.002, 0.02) : [0.01];
  const wZp = perChannel ? randomValues(n, seed + 2, -5, 5).map(Math.round) : [0];
  const bias = randomValues(n, seed + 3, -0.5, 0.5);
  const [qmin, qmax] = dtype === 'uint8' ? [0, 255] : [-128, 127];
  const ref = {
    w,
    wScale: perChannel ? wScale : Array(n).fill(wScale[0]),
    wZp: perChannel ? wZp : Array(n).fill(0),
    bias,
    inScale: 4 / 255,
    inZp: dtype === 'uint8' ? 128 : 0,
    outScale: 0.05,
    outZp: dtype === 'uint8' ? 120 : -3,
    qmin,
    qmax,
    relu,
  };
  const module = new QuantizedLinear(k, n, {
    weight: Int8Array.from(w),
    weightScale: perChannel ? wScale : wScale[0],
    weightZeroPoint: perChannel ? wZp : 0,
    bias,
    input: { scale: ref.inScale, zeroPoint: ref.inZp, dtype },
    output: { scale: ref.outScale, zeroPoint: ref.outZp, dtype },
    relu,
  });
  return { ref, module };
}

describe('QuantizedLinear', () => {
  it('symmetric int8 weight, int8 activations: hand-computed fbgemm arithmetic', async () => {
    // x = [1, 0.5] → xq = round(x / 0.1) = [10, 5]; w = [[2, -3], [4, 1]], scale 0.5
    // acc = [10·2 − 5·3, 10·4 + 5·1] = [5, 45]; multiplier = 0.1·0.5 / 0.25 = 0.2;
    // bias term = [0.25, −0.3] / 0.05 = [5, −6]; raw_f = [10, 39]; ·0.2 = [2, 7.8] → [2, 8] · 0.25 = [0.5, 2]
    const q = new QuantizedLinear(2, 2, {
      weight: new Int8Array([2, -3, 4, 1]),
      weightScale: 0.5,
      bias: [0.25, -0.3],
      input: { scale: 0.1, zeroPoint: 0, dtype: 'int8' },
      output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' },
    });
    expect(await values(q.forward(tensor([[1, 0.5]])))).toEqual([0.5, 2]);
    q.dispose();
  });

  it('uint8 activations with zero points, an affine weight, ties to even, clamping and a fused ReLU', async () => {
    // in: scale 0.5, zp 130 (uint8); x = [1, -1.5, 100] → q = [132, 127, 255] → q − zp = [2, −3, 125]
    // w = [[1, 2, 0], [3, 0, 9]] with zp [0, 1] → w − zp = [[1, 2, 0], [2, −1, 8]]
    // raw = [2 − 6 + 0, 4 + 3 + 1000] = [−4, 1007]; multiplier = 0.5·0.5 / 1 = 0.25 → [−1, 251.75]
    // → nearbyint [−1, 252] + out zp 10 = [9, 262] → clamp [9, 255] → (q − 10)·1 = [−1, 245]; ReLU: [0, 245]
    // a tie: x = [0.5, 0, 0] → q − zp = [1, 0, 0], raw = [1, 2]·0.25 = [0.25, 0.5] → [0, 0] (0.5 → 0)
    const init = (relu: boolean) =>
      new QuantizedLinear(3, 2, {
        weight: new Int8Array([1, 2, 0, 3, 0, 9]),
        weightScale: [0.5, 0.5],
        weightZeroPoint: [0, 1],
        input: { scale: 0.5, zeroPoint: 130, dtype: 'uint8' },
        output: { scale: 1, zeroPoint: 10, dtype: 'uint8' },
        relu,
      });
    const plain = init(false);
    const fused = init(true);
    const x = tensor([
      [1, -1.5, 100],
      [0.5, 0, 0],
    ]);
    expect(await values(plain.forward(x))).toEqual([-1, 245, 0, 0]);
    expect(await values(fused.forward(x))).toEqual([0, 245, 0, 0]);
    plain.dispose();
    fused.dispose();
  });

  for (const [perChannel, dtype, relu] of [
    [true, 'uint8', false],
    [false, 'int8', false],
    [true, 'int8', true],
    [false, 'uint8', true],
  ] as const) {
    it(`equals the element-wise fbgemm reference (${perChannel ? 'per-channel affine' : 'per-tensor symmetric'}, ${dtype}${relu ? ', ReLU' : ''})`, async () => {
      const [m, k, n] = [5, 37, 9];
      const { ref, module } = randomLayer(k, n, 3, perChannel, dtype, relu);
      const x = randomValues(m * k, 5, -3, 3);
      const xq = quantize(x, ref.inScale, ref.inZp, ref.qmin, ref.qmax);
      const y = module.forward(tensor(x).reshape([m, k]));
      expect(await values(y)).toEqual(refRequantize(xq, m, k, ref));
      module.dispose();
    });
  }

  it('a long reduction (K = 600 > 256) keeps the zero-point corrections in int32 and still equals the reference', async () => {
    const [m, k, n] = [3, 600, 5];
    const { ref, module } = randomLayer(k, n, 71, true, 'uint8');
    expect(module.requantColumnTerm.dtype).toBe('int32');
    const x = randomValues(m * k, 72, -3, 3);
    const xq = quantize(x, ref.inScale, ref.inZp, ref.qmin, ref.qmax);
    expect(await values(module.forward(tensor(x).reshape([m, k])))).toEqual(refRequantize(xq, m, k, ref));
    module.dispose();
  });

  it('is within 1 LSB of dequantize → float linear → quantize, batched leading dims', async () => {
    const [k, n] = [64, 16];
    const { ref, module } = randomLayer(k, n, 21, true, 'uint8');
    const x = tensor(randomValues(2 * 3 * k, 9, -2, 2)).reshape([2, 3, k]);
    const y = module.forward(x);
    expect(y.shape).toEqual([2, 3, n]);
    // the float path on the dequantized operands
    const xq = tensor(quantize(await x.data(), ref.inScale, ref.inZp, 0, 255), { dtype: 'uint8' }).reshape([2, 3, k]);
    const xd = dequantize(xq, ref.inScale, ref.inZp);
    const wd = dequantize(tensor(Int8Array.from(ref.w)).reshape([n, k]), Float32Array.from(ref.wScale), Int32Array.from(ref.wZp), { axis: 0 });
    const yf = linear(xd, wd, tensor(ref.bias));
    const qf = quantize(await yf.data(), ref.outScale, ref.outZp, 0, 255).map((q) => (q - ref.outZp) * Math.fround(ref.outScale));
    const got = await values(y);
    const lsb = Math.fround(ref.outScale);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - qf[i])).toBeLessThanOrEqual(lsb * 1.0001);
    module.dispose();
  });

  it('frees every temporary, and all its tensors on dispose', async () => {
    const before = memory().tensors;
    const { module } = randomLayer(8, 4, 1, true, 'uint8');
    scope(() => {
      module.forward(tensor(randomValues(16, 2)).reshape([2, 8]));
    });
    expect(memory().tensors).toBe(before + 12); // 8 buffers + the 4 derived requantization constants
    module.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('rejects bad inputs and inits with typed errors', () => {
    const { module } = randomLayer(4, 2, 1, false, 'int8');
    expect(() => module.forward(tensor([[1, 2, 3]]))).toThrow(ShapeError);
    expect(() => module.forward(tensor([[1, 2, 3, 4]], { dtype: 'int32' }))).toThrow(DTypeError);
    const base = int8BaseOptions();
    expect(() => new QuantizedLinear(2, 2, { ...base, weight: new Int8Array(3) })).toThrow(ShapeError);
    expect(() => new QuantizedLinear(2, 2, { ...base, weightScale: [0.1] })).toThrow(ArgumentError);
    expect(() => new QuantizedLinear(2, 2, { ...base, input: { scale: 0.1, zeroPoint: 200, dtype: 'int8' } })).toThrow(
      /zeroPoint must be an integer in \[-128, 127\]/,
    );
    expect(() => new QuantizedLinear(2, 2, { ...base, output: { scale: 0, zeroPoint: 0, dtype: 'int8' } })).toThrow(/scale must be a finite number > 0/);
    expect(() => new QuantizedLinear(2, 2, { ...base, weight: tensor([1, 2, 3, 4]) })).toThrow(DTypeError);
    expect(() => new QuantizedLinear(2, 2, { ...base, bogus: 1 } as never)).toThrow(/unknown option 'bogus'/);
    module.dispose();
  });

  it('fromFloat quantizes a float Linear; the state dict holds int8 weights and the qparams', async () => {
    const fc = new Linear(3, 2);
    fc.weight.assign(
      tensor([
        [0.5, -1, 0.25],
        [1, 0, -0.5],
      ]),
    );
    fc.bias!.assign(tensor([0.1, -0.1]));
    const q = QuantizedLinear.fromFloat(fc, {
      weight: { scale: 1 / 127, zeroPoint: 0, dtype: 'int8', qscheme: 'per_tensor_symmetric', quantMin: -128, quantMax: 127 },
      input: { scale: 0.01, zeroPoint: 128, dtype: 'uint8' },
      output: { scale: 0.01, zeroPoint: 128, dtype: 'uint8' },
    });
    expect(await values(q.weight)).toEqual([64, -127, 32, 127, 0, -64]); // 63.5 → 64, 31.75 → 32
    expect(Object.keys(q.stateDict())).toEqual([
      'weight',
      'bias',
      'weight_scale',
      'weight_zero_point',
      'input_scale',
      'input_zero_point',
      'scale',
      'zero_point',
      'requant_column_term',
      'requant_bias_term',
      'requant_multiplier',
    ]);
    expect(q.weight.dtype).toBe('int8');
    expect(String(q)).toBe(
      `QuantizedLinear(inFeatures=3, outFeatures=2, scale=${Math.fround(0.01)}, zeroPoint=128, dtype=uint8, inputScale=${Math.fround(0.01)}, inputZeroPoint=128, qscheme=per_tensor_symmetric)`,
    );
    // x → 228 (q − zp = 100); raw = 100·[64 − 127 + 32, 127 − 64] = [−3100, 6300]; bias/(0.01/127) = [1270, −1270]
    // ·(1/127) → [−14.41, 39.61] → [−14, 40] · 0.01 (the float model: [−0.15, 0.4])
    const f = Math.fround;
    expect(await values(q.forward(tensor([[1, 1, 1]])))).toEqual([f(-14 * f(0.01)), f(40 * f(0.01))]);
    fc.dispose();
    q.dispose();
  });

  it.runIf(WEBGPU)('WebGPU equals the CPU exactly (uint8 per-channel affine and int8 symmetric)', async () => {
    for (const [perChannel, dtype] of [
      [true, 'uint8'],
      [false, 'int8'],
    ] as const) {
      const [m, k, n] = [33, 70, 12];
      const { module } = randomLayer(k, n, 13, perChannel, dtype, dtype === 'int8');
      const x = tensor(randomValues(m * k, 17, -4, 4)).reshape([m, k]);
      const cpu = await values(module.forward(x));
      await module.to('webgpu');
      const xg = await x.toDevice('webgpu');
      const gpu = module.forward(xg);
      expect(gpu.device).toBe('webgpu');
      expect(await values(gpu)).toEqual(cpu);
      module.dispose();
    }
  });
});
