import { ArgumentError, Conv2d, conv2d, DTypeError, init, memory, ShapeError, scope, type Tensor, tensor } from '@aimodel/nn';
import { afterAll, describe, expect, it } from 'vitest';
import { dequantize, QuantizedConv2d } from '../src/index';
import { quantize, randomValues, refIm2col, refRequantize } from './quantized-reference';
import { hasWebGpu } from './webgpu-available';
import { int8BaseOptions } from './int8-base-options';

const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));
async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

interface Case {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  k: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  dtype: 'uint8' | 'int8';
  relu: boolean;
  perChannel: boolean;
}

function build(cs: Case, seed: number) {
  const { c, o, k, groups, dtype, relu, perChannel } = cs;
  const size = o * (c / groups) * k[0] * k[1];
  const w = randomValues(size, seed, -128, 128).map(Math.floor);
  const wScale = perChannel ? randomValues(o, seed + 1, 0.005, 0.02) : Array(o).fill(0.01);
  const wZp = perChannel ? randomValues(o, seed + 2, -4, 4).map(Math.round) : Array(o).fill(0);
  const bias = randomValues(o, seed + 3, -0.3, 0.3);
  const [qmin, qmax] = dtype === 'uint8' ? [0, 255] : [-128, 127];
  const ref = {
    w,
    wScale,
    wZp,
    bias,
    inScale: 3 / 255,
    inZp: dtype === 'uint8' ? 85 : -40,
    outScale: 0.04,
    outZp: dtype === 'uint8' ? 100 : 0,
    qmin,
    qmax,
    relu,
  };
  const module = new QuantizedConv2d(c, o, k, {
    weight: Int8Array.from(w),
    weightScale: perChannel ? wScale : 0.01,
    weightZeroPoint: perChannel ? wZp : 0,
    bias,
    stride: cs.stride,
    padding: cs.padding,
    dilation: cs.dilation,
    groups,
    relu,
    input: { scale: ref.inScale, zeroPoint: ref.inZp, dtype },
    output: { scale: ref.outScale, zeroPoint: ref.outZp, dtype },
  });
  return { ref, module };
}

/** The reference: im2col of the quantized input per group, fbgemm's requantization, NCHW. */
function reference(cs: Case, ref: ReturnType<typeof build>['ref'], x: number[]): { shape: number[]; values: number[] } {
  const { n, c, h, w, o, k, groups } = cs;
  const xq = quantize(x, ref.inScale, ref.inZp, ref.qmin, ref.qmax);
  const cg = c / groups;
  const og = o / groups;
  const kg = cg * k[0] * k[1];
  let ho = 0;
  let wo = 0;
  const perGroup: number[][] = [];
  for (let g = 0; g < groups; g++) {
    const xg: number[] = [];
    for (let b = 0; b < n; b++) for (let ch = 0; ch < cg; ch++) xg.push(...xq.slice((b * c + g * cg + ch) * h * w, (b * c + g * cg + ch + 1) * h * w));
    const cols = refIm2col(xg, [n, cg, h, w], k, cs.stride, cs.padding, cs.dilation, ref.inZp);
    ho = cols.ho;
    wo = cols.wo;
    const sl = <T>(a: T[]) => a.slice(g * og, (g + 1) * og);
    perGroup.push(
      refRequantize(cols.rows, n * ho * wo, kg, {
        ...ref,
        w: ref.w.slice(g * og * kg, (g + 1) * og * kg),
        wScale: sl(ref.wScale),
        wZp: sl(ref.wZp),
        bias: sl(ref.bias),
      }),
    );
  }
  const out: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < o; ch++) {
      const g = Math.floor(ch / og);
      for (let p = 0; p < ho * wo; p++) out.push(perGroup[g][(b * ho * wo + p) * og + (ch % og)]);
    }
  }
  return { shape: [n, o, ho, wo], values: out };
}

const CASES: Case[] = [
  { n: 2, c: 3, h: 5, w: 6, o: 4, k: [3, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 1], groups: 1, dtype: 'uint8', relu: false, perChannel: true },
  { n: 1, c: 4, h: 7, w: 7, o: 6, k: [3, 2], stride: [1, 2], padding: [2, 0], dilation: [2, 1], groups: 2, dtype: 'int8', relu: true, perChannel: true },
  { n: 3, c: 2, h: 6, w: 4, o: 2, k: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, dtype: 'uint8', relu: true, perChannel: false },
  { n: 2, c: 4, h: 5, w: 5, o: 4, k: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 4, dtype: 'int8', relu: false, perChannel: false },
];

describe('QuantizedConv2d', () => {
  it('hand-computed: a 2×2 box filter over a 2×2 input, int8 symmetric', async () => {
    const x = tensor([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    // x / 0.5 = [2, 4, 6, 8]; weight all 1 (scale 0.5): acc = 20; multiplier = 0.5·0.5 / 0.25 = 1 → 20 · 0.25 = 5
    const conv = new QuantizedConv2d(1, 1, 2, {
      weight: new Int8Array([1, 1, 1, 1]),
      weightScale: 0.5,
      input: { scale: 0.5, zeroPoint: 0, dtype: 'int8' },
      output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' },
    });
    expect(await values(conv.forward(x))).toEqual([5]);
    // padding 1 pads with the input zero point (0.0): the corners see one pixel each → [2, 6, 10, 8]·0.25·…
    const padded = new QuantizedConv2d(1, 1, 2, {
      weight: new Int8Array([1, 1, 1, 1]),
      weightScale: 0.5,
      padding: 1,
      input: { scale: 0.5, zeroPoint: 5, dtype: 'uint8' },
      output: { scale: 0.25, zeroPoint: 0, dtype: 'uint8' },
    });
    // output 3×3: window sums of [2, 4; 6, 8] (q − zp) with zero borders; uint8 output clamps at 0 from below
    expect(await values(padded.forward(x))).toEqual([0.5, 1.5, 1, 2, 5, 3, 1.5, 3.5, 2]);
    conv.dispose();
    padded.dispose();
    x.dispose();
  });

  CASES.forEach((cs, i) => {
    it(`equals the element-wise fbgemm im2col reference (case ${i}: groups ${cs.groups}, ${cs.dtype}${cs.relu ? ', ReLU' : ''}, stride [${cs.stride}], dilation [${cs.dilation}])`, async () => {
      const { ref, module } = build(cs, 10 + i);
      const x = randomValues(cs.n * cs.c * cs.h * cs.w, 40 + i, -1.5, 2);
      const y = module.forward(tensor(x).reshape([cs.n, cs.c, cs.h, cs.w]));
      const expected = reference(cs, ref, x);
      expect(y.shape).toEqual(expected.shape);
      expect(await values(y)).toEqual(expected.values);
      module.dispose();
    });
  });

  it('is within 1 LSB of dequantize → float conv2d → quantize', async () => {
    const cs = CASES[0];
    const { ref, module } = build(cs, 77);
    const x = tensor(randomValues(cs.n * cs.c * cs.h * cs.w, 78, -1, 2)).reshape([cs.n, cs.c, cs.h, cs.w]);
    const got = await values(module.forward(x));
    const xd = dequantize(tensor(quantize(await x.data(), ref.inScale, ref.inZp, 0, 255), { dtype: 'uint8' }), ref.inScale, ref.inZp).reshape(x.shape);
    const wd = dequantize(tensor(Int8Array.from(ref.w)).reshape([cs.o, cs.c, 3, 3]), Float32Array.from(ref.wScale), Int32Array.from(ref.wZp), { axis: 0 });
    const yf = await conv2d(xd, wd, { bias: tensor(ref.bias), stride: cs.stride, padding: cs.padding }).data();
    const lsb = Math.fround(ref.outScale);
    const qf = quantize(yf, ref.outScale, ref.outZp, 0, 255).map((q) => (q - ref.outZp) * lsb);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - qf[i])).toBeLessThanOrEqual(lsb * 1.0001);
    module.dispose();
  });

  it('fromFloat: geometry from the float Conv2d; reflect padding and an uneven same padding are rejected', () => {
    const w = { scale: 0.01, zeroPoint: 0, dtype: 'int8', qscheme: 'per_tensor_symmetric', quantMin: -128, quantMax: 127 } as const;
    const act = { scale: 0.02, zeroPoint: 128, dtype: 'uint8' } as const;
    const conv = new Conv2d(2, 3, [3, 5], { stride: 2, padding: [1, 2] });
    const q = QuantizedConv2d.fromFloat(conv, { weight: w, input: act, output: act });
    expect([q.kernelSize, q.stride, q.padding, q.dilation, q.groups]).toEqual([[3, 5], [2, 2], [1, 2], [1, 1], 1]);
    expect(q.weight.shape).toEqual([3, 2, 3, 5]);
    const same = new Conv2d(2, 3, 3, { padding: 'same' });
    const qs = QuantizedConv2d.fromFloat(same, { weight: w, input: act, output: act });
    expect(qs.padding).toEqual([1, 1]);
    const even = new Conv2d(2, 3, 2, { padding: 'same' });
    expect(() => QuantizedConv2d.fromFloat(even, { weight: w, input: act, output: act })).toThrow(/pads unevenly/);
    const reflect = new Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' });
    expect(() => QuantizedConv2d.fromFloat(reflect, { weight: w, input: act, output: act })).toThrow(/zeros only/);
    for (const m of [conv, q, same, qs, even, reflect]) m.dispose();
  });

  it('rejects bad inputs and geometry with typed errors; unbatched and empty inputs; frees its temporaries', async () => {
    const { module } = build(CASES[0], 1);
    expect(() => module.forward(tensor([[1, 2, 3]]))).toThrow(ShapeError);
    expect(() => module.forward(tensor([[[[1]]]], { dtype: 'int32' }).reshape([1, 1, 1, 1]))).toThrow(DTypeError);
    const base = int8BaseOptions();
    expect(() => new QuantizedConv2d(2, 2, 1, { ...base, groups: 3 })).toThrow(ArgumentError);
    expect(() => new QuantizedConv2d(2, 2, 1, { ...base, stride: 0 })).toThrow(/stride must be an integer >= 1/);
    expect(() => new QuantizedConv2d(2, 2, 1, { ...base, weight: new Int8Array(8) })).toThrow(/weight has 8 values, expected 4/);
    // unbatched [C, H, W] as the float Conv2d; an empty batch gives an empty output
    const one = tensor(randomValues(3 * 5 * 6, 4)).reshape([3, 5, 6]);
    const batched = await values(module.forward(one.unsqueeze(0)));
    const unbatched = module.forward(one);
    expect(unbatched.shape).toEqual([4, 3, 6]);
    expect(await values(unbatched)).toEqual(batched);
    expect(module.forward(tensor([]).reshape([0, 3, 5, 6])).shape).toEqual([0, 4, 3, 6]);
    const before = memory().tensors;
    scope(() => {
      module.forward(tensor(randomValues(2 * 3 * 5 * 6, 3)).reshape([2, 3, 5, 6]));
    });
    expect(memory().tensors).toBe(before); // every temporary freed
    module.dispose();
    expect(memory().tensors).toBe(before - 12); // 8 buffers + the 4 derived requantization constants
  });

  it.runIf(WEBGPU)('WebGPU equals the CPU exactly (all cases)', async () => {
    for (const [i, cs] of CASES.entries()) {
      const { module } = build(cs, 50 + i);
      const x = tensor(randomValues(cs.n * cs.c * cs.h * cs.w, 60 + i, -1.5, 2)).reshape([cs.n, cs.c, cs.h, cs.w]);
      const cpu = await values(module.forward(x));
      await module.to('webgpu');
      const gpu = module.forward(await x.toDevice('webgpu'));
      expect(gpu.device).toBe('webgpu');
      expect(await values(gpu)).toEqual(cpu);
      module.dispose();
    }
  });
});
