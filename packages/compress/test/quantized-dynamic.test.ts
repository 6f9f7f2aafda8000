import { ArgumentError, DTypeError, GRU, init, Linear, memory, ReLU, Sequential, ShapeError, scope, type Tensor, tensor } from '@aimodel/nn';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamicQuantizedLinear, quantizeDynamic } from '../src/index';
import { chooseQParams } from '../src/quantize/dynamic';
import { quantize, randomValues, rint } from './quantized-reference';
import { hasWebGpu } from './webgpu-available';

const f = Math.fround;
const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));
async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** fbgemm's dynamic Linear on host arrays: ChooseQuantizationParams, quantize, ReQuantizeForFloat. */
function refDynamic(x: number[], m: number, k: number, w: number[], wScale: number[], wZp: number[], bias: number[] | null, qmax = 127): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    lo = Math.min(lo, f(v));
    hi = Math.max(hi, f(v));
  }
  const { scale, zeroPoint } = chooseQParams(lo, hi, 0, qmax);
  const xq = quantize(x, scale, zeroPoint, 0, 255);
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < wScale.length; j++) {
      let raw = 0;
      for (let t = 0; t < k; t++) raw += (xq[i * k + t] - zeroPoint) * (w[j * k + t] - wZp[j]);
      let res = f(f(f(raw) * scale) * f(wScale[j]));
      if (bias) res = f(res + f(bias[j]));
      out.push(res);
    }
  }
  return out;
}

describe('chooseQParams (PyTorch ChooseQuantizationParams, reduce_range)', () => {
  it('hand values', () => {
    // [−1, 2] on [0, 127]: scale 3/127; zero point from min 42.33 (smaller error) → 42
    expect(chooseQParams(-1, 2, 0, 127)).toEqual({ scale: f(3 / 127), zeroPoint: 42 });
    // all positive: min extends to 0 → zero point 0; all negative: max extends to 0 → zero point 127
    expect(chooseQParams(0.5, 2, 0, 127)).toEqual({ scale: f(2 / 127), zeroPoint: 0 });
    expect(chooseQParams(-4, -1, 0, 255)).toEqual({ scale: f(4 / 255), zeroPoint: 255 });
    // zero range: scale 0 → 0.1 (then the small-scale rule does not apply), zero point 0
    expect(chooseQParams(0, 0, 0, 127)).toEqual({ scale: f(0.1), zeroPoint: 0 });
    // tiny range: scale below 6.1e-5 is raised to it and the range stretched; [0, 1e-4] → max = 6.1e-5·127
    expect(chooseQParams(0, 1e-4, 0, 127)).toEqual({ scale: f(6.1e-5), zeroPoint: 0 });
    // a tie of the zero point: [−0.5, 0.5] on [0, 127]: 63.5 → 64 (ties to even)
    expect(chooseQParams(-0.5, 0.5, 0, 127).zeroPoint).toBe(rint(63.5));
  });
});

describe('DynamicQuantizedLinear', () => {
  it('hand-computed forward', async () => {
    // x = [[1, −1], [0.5, 2]]: range [−1, 2] → scale 3/127, zp 42; xq = 42 + round(x·127/3)
    const q = new DynamicQuantizedLinear(2, 1, { weight: new Int8Array([100, -50]), weightScale: 0.01, bias: [0.5] });
    const x = [1, -1, 0.5, 2];
    const s = f(3 / 127);
    const xq = quantize(x, s, 42, 0, 255); // [84, 0, 63, 127]
    expect(xq).toEqual([84, 0, 63, 127]);
    // row 0: (42·100 − (−42)·50) = 4200 + 2100 = 6300; row 1: (21·100 − 85·50) = −2150
    const expected = [6300, -2150].map((raw) => f(f(f(raw) * s) * f(0.01)) + 0).map((v) => f(v + 0.5));
    expect(await values(q.forward(tensor(x).reshape([2, 2])))).toEqual(expected);
    q.dispose();
  });

  for (const qscheme of ['per_tensor_symmetric', 'per_channel_symmetric', 'per_channel_affine'] as const) {
    it(`fromFloat (${qscheme}) equals fbgemm's dynamic path element for element`, async () => {
      const fc = new Linear(24, 7);
      const q = DynamicQuantizedLinear.fromFloat(fc, { qscheme });
      const w = Array.from(await q.weight.data());
      const wScale = Array.from(await q.weightScale.data());
      const wZp = Array.from(await q.weightZeroPoint.data());
      const n = 7;
      const x = randomValues(5 * 24, 31, -2, 3);
      const expected = refDynamic(
        x,
        5,
        24,
        w,
        wScale.length === 1 ? Array(n).fill(wScale[0]) : wScale,
        wZp.length === 1 ? Array(n).fill(wZp[0]) : wZp,
        Array.from(await fc.bias!.data()),
      );
      expect(await values(q.forward(tensor(x).reshape([5, 24])))).toEqual(expected);
      // per-tensor symmetric: one scale max|w|/127.5 (PyTorch's MinMaxObserver), zero point 0
      if (qscheme === 'per_tensor_symmetric') {
        const maxAbs = Math.max(...Array.from(await fc.weight.data(), Math.abs));
        expect(wScale).toEqual([f(maxAbs / 127.5)]);
        expect(wZp).toEqual([0]);
      }
      // and close to the float layer
      const yf = await values(fc.forward(tensor(x).reshape([5, 24])));
      const yq = await values(q.forward(tensor(x).reshape([5, 24])));
      for (let i = 0; i < yf.length; i++) expect(Math.abs(yf[i] - yq[i])).toBeLessThan(0.05);
      fc.dispose();
      q.dispose();
    });
  }

  it('quantizeDynamic replaces every Linear in place (nested too), PyTorch defaults; typed errors', async () => {
    const inner = new Sequential(new Linear(8, 8), new ReLU());
    const model = new Sequential(new Linear(4, 8), inner, new Linear(8, 2));
    const x = tensor(randomValues(12, 5)).reshape([3, 4]);
    const before = await values(model.forward(x));
    expect(quantizeDynamic(model)).toBe(model);
    expect(model.at(0)).toBeInstanceOf(DynamicQuantizedLinear);
    expect(inner.at(0)).toBeInstanceOf(DynamicQuantizedLinear);
    expect(String(model.at(2))).toBe('DynamicQuantizedLinear(inFeatures=8, outFeatures=2, dtype=int8, qscheme=per_tensor_symmetric)');
    const after = await values(model.forward(x));
    for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i], 1);
    expect(Object.keys(model.stateDict())).toContain('1.0.weight_scale');
    expect(quantizeDynamic(new Linear(2, 2))).toBeInstanceOf(DynamicQuantizedLinear);
    expect(() => quantizeDynamic(model, { layers: [GRU] })).toThrow(/GRU has no dynamic quantized version/);
    expect(() => quantizeDynamic(model, { dtype: 'uint8' as 'int8' })).toThrow(DTypeError);
    expect(() => quantizeDynamic(model, { bogus: 1 } as never)).toThrow(ArgumentError);
    expect(() => (model.at(0) as DynamicQuantizedLinear).forward(tensor([[1, 2]]))).toThrow(ShapeError);
    expect((model.at(0) as DynamicQuantizedLinear).forward(tensor([]).reshape([0, 4])).shape).toEqual([0, 8]); // empty batch: no range, empty output
    model.dispose();
  });

  it('frees its temporaries', () => {
    const q = DynamicQuantizedLinear.fromFloat(new Linear(6, 3));
    const before = memory().tensors;
    scope(() => {
      q.forward(tensor(randomValues(12, 1)).reshape([2, 6]));
    });
    expect(memory().tensors).toBe(before); // every temporary freed
    q.dispose();
    expect(memory().tensors).toBe(before - 5); // weight, bias, weight scale, zero point, weight sums
  });

  it.runIf(WEBGPU)('WebGPU matches the CPU (activation qparams computed on the device)', async () => {
    const q = DynamicQuantizedLinear.fromFloat(new Linear(40, 9), { qscheme: 'per_channel_affine' });
    const x = tensor(randomValues(6 * 40, 8, -1, 3)).reshape([6, 40]);
    const cpu = await values(q.forward(x));
    await q.to('webgpu');
    const gpu = await values(q.forward(await x.toDevice('webgpu')));
    for (let i = 0; i < cpu.length; i++) expect(gpu[i]).toBeCloseTo(cpu[i], 5);
    q.dispose();
  });
});
