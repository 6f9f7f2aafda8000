import { ArgumentError, DeviceError, init, memory, tensor } from '@aimodel/nn';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CalibrationError,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  type Observer,
  PerChannelMinMaxObserver,
} from '../src/index';
import { hasWebGpu } from './webgpu-available';

// Expected values follow PyTorch's _calculate_qparams by hand: min⁻ = min(min, 0), max⁺ = max(max, 0);
// affine scale = (max⁺ − min⁻)/(qmax − qmin), zp = qmin − round_half_even(min⁻/scale) clamped;
// symmetric scale = max(−min⁻, max⁺)/((qmax − qmin)/2), zp 0 (int8) / 128 (uint8); scale ≥ 2⁻²³.
// f(...) marks a float32 rounding, as PyTorch's float32 tensors do.

const f = Math.fround;
const EPS = 2 ** -23;
const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));

function qp(obs: Observer) {
  const { scale, zeroPoint } = obs.calculateQParams();
  return { scale: typeof scale === 'number' ? scale : Array.from(scale), zeroPoint: typeof zeroPoint === 'number' ? zeroPoint : Array.from(zeroPoint) };
}

describe('MinMaxObserver', () => {
  it('affine uint8 and int8 over several batches', () => {
    const u = new MinMaxObserver();
    const i = new MinMaxObserver({ dtype: 'int8' });
    for (const obs of [u, i]) {
      const x = tensor([-1, 0.5]);
      expect(obs.forward(x)).toBe(x);
      obs.forward(tensor([2, 0]));
    }
    // scale 3/255; −1/scale = −85.000004 → −85
    expect(qp(u)).toEqual({ scale: f(3 / 255), zeroPoint: 85 });
    expect(qp(i)).toEqual({ scale: f(3 / 255), zeroPoint: -128 + 85 });
    expect(u.minVal.dataSync()[0]).toBe(-1);
    expect(u.maxVal.dataSync()[0]).toBe(2);
  });

  it('symmetric: max|x| / 127.5, zero point 0 (int8) or 128 (uint8), midpoint for a custom uint8 range', () => {
    const s8 = new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' });
    const su = new MinMaxObserver({ dtype: 'uint8', qscheme: 'per_tensor_symmetric' });
    const custom = new MinMaxObserver({ dtype: 'uint8', qscheme: 'per_tensor_symmetric', quantMin: 0, quantMax: 127 });
    for (const obs of [s8, su, custom]) obs.forward(tensor([-2, 1]));
    expect(qp(s8)).toEqual({ scale: f(2 / 127.5), zeroPoint: 0 });
    expect(qp(su)).toEqual({ scale: f(2 / 127.5), zeroPoint: 128 });
    expect(qp(custom)).toEqual({ scale: f(2 / 63.5), zeroPoint: 63 });
  });

  it('zero range (min = max = 0) gives scale eps and zero point qmin (affine) or 0 (symmetric)', () => {
    const a = new MinMaxObserver();
    const b = new MinMaxObserver({ dtype: 'int8' });
    const c = new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' });
    for (const obs of [a, b, c]) obs.forward(tensor([0, 0, 0]));
    expect(qp(a)).toEqual({ scale: EPS, zeroPoint: 0 });
    expect(qp(b)).toEqual({ scale: EPS, zeroPoint: -128 });
    expect(qp(c)).toEqual({ scale: EPS, zeroPoint: 0 });
  });

  it('all-negative and all-positive inputs keep 0 in the range', () => {
    const u = new MinMaxObserver();
    const i = new MinMaxObserver({ dtype: 'int8' });
    for (const obs of [u, i]) obs.forward(tensor([-4, -1]));
    // min⁻ = −4, max⁺ = 0: scale 4/255, −4/scale = −255 → zp 255 (uint8), −128 + 255 = 127 (int8)
    expect(qp(u)).toEqual({ scale: f(4 / 255), zeroPoint: 255 });
    expect(qp(i)).toEqual({ scale: f(4 / 255), zeroPoint: 127 });
    const p = new MinMaxObserver({ dtype: 'int8' });
    p.forward(tensor([1, 3]));
    expect(qp(p)).toEqual({ scale: f(3 / 255), zeroPoint: -128 });
  });

  it('the zero point rounds ties to even: min⁻/scale = −3.5 → −4 (half away from zero or up would give −3)', () => {
    // range 31.875 = 255 · 0.125 exactly, so scale = 0.125 and −0.4375/0.125 = −3.5 exactly
    const obs = new MinMaxObserver();
    obs.forward(tensor([-0.4375, 31.4375]));
    expect(qp(obs)).toEqual({ scale: 0.125, zeroPoint: 4 });
  });

  it('reduceRange and custom ranges', () => {
    const r = new MinMaxObserver({ reduceRange: true });
    expect([r.quantMin, r.quantMax]).toEqual([0, 127]);
    const r8 = new MinMaxObserver({ dtype: 'int8', reduceRange: true });
    expect([r8.quantMin, r8.quantMax]).toEqual([-64, 63]);
    r8.forward(tensor([-1, 1]));
    // −1/f(2/127) is −63.5 in float32: ties to even give −64, so zp = −64 + 64 = 0 (half away from zero would give −1)
    expect(f(-1 / f(2 / 127))).toBe(-63.5);
    expect(qp(r8)).toEqual({ scale: f(2 / 127), zeroPoint: 0 });
    const c = new MinMaxObserver({ dtype: 'int8', quantMin: -127, quantMax: 127 });
    expect([c.quantMin, c.quantMax]).toEqual([-127, 127]);
  });

  it('typed errors: no calibration data, unknown options, bad schemes and ranges', () => {
    expect(() => new MinMaxObserver().calculateQParams()).toThrow(CalibrationError);
    expect(() => new MinMaxObserver().calculateQParams()).toThrow(/run calibration data/);
    expect(() => new MinMaxObserver({ qscheme: 'per_channel_affine' })).toThrow(/does not fit a per-tensor observer/);
    expect(() => new MinMaxObserver({ chAxis: 0 } as object)).toThrow(/unknown option 'chAxis'/);
    expect(() => new MinMaxObserver({ quant_min: 0 } as object)).toThrow(/did you mean 'quantMin'/);
    expect(() => new MinMaxObserver({ dtype: 'uint8', qscheme: 'per_tensor_symmetric', reduceRange: true })).toThrow(ArgumentError);
    expect(() => new MinMaxObserver({ quantMin: 1, quantMax: 10 })).toThrow(/quantMin <= 0 <= quantMax/);
    expect(() => new MinMaxObserver({ dtype: 'int8', quantMin: -200, quantMax: 10 })).toThrow(ArgumentError);
    expect(() => new MinMaxObserver().forward(tensor([1], { dtype: 'int32' }))).toThrow(/float32/);
  });

  it('state-dict keys are PyTorch’s and observing leaks nothing', () => {
    const obs = new MinMaxObserver();
    expect(Object.keys(obs.stateDict())).toEqual(['min_val', 'max_val']);
    const x = tensor([1, -3]);
    const before = memory().tensors;
    obs.forward(x);
    obs.forward(x);
    expect(memory().tensors).toBe(before);
  });
});

describe('MovingAverageMinMaxObserver', () => {
  it('first batch sets the range, later ones move it by c = 0.01 in float32', () => {
    const obs = new MovingAverageMinMaxObserver();
    expect(obs.averagingConstant).toBe(0.01);
    obs.forward(tensor([0, 2]));
    expect([obs.minVal.dataSync()[0], obs.maxVal.dataSync()[0]]).toEqual([0, 2]);
    obs.forward(tensor([-1, 4]));
    const min = f(0 + f(f(0.01) * -1));
    const max = f(2 + f(f(0.01) * f(4 - 2)));
    expect([obs.minVal.dataSync()[0], obs.maxVal.dataSync()[0]]).toEqual([min, max]); // −0.01, 2.02
    const scale = f(f(max - min) / 255);
    expect(qp(obs)).toEqual({ scale, zeroPoint: -Math.round(f(min / scale)) }); // zp 1
    expect(qp(obs).zeroPoint).toBe(1);
    expect(() => new MovingAverageMinMaxObserver({ averagingConstant: 0 })).toThrow(ArgumentError);
  });
});

describe('PerChannelMinMaxObserver', () => {
  const x = tensor([
    [1, -2, 0.5],
    [-4, 3, 0],
  ]);

  it('axis 0, affine int8, accumulating over batches', () => {
    const obs = new PerChannelMinMaxObserver({ dtype: 'int8' });
    expect(obs.qscheme).toBe('per_channel_affine');
    obs.forward(x);
    // row 0: [−2, 1] → scale 3/255, zp −128 + 170 = 42; row 1: [−4, 3] → 7/255, −128 + round(145.71) = 18
    expect(qp(obs)).toEqual({ scale: [f(3 / 255), f(7 / 255)], zeroPoint: [42, 18] });
    obs.forward(
      tensor([
        [5, 0],
        [0, 0],
      ]),
    );
    expect(Array.from(obs.maxVal.dataSync())).toEqual([5, 3]);
    expect(obs.qparams()).toMatchObject({ axis: 0, dtype: 'int8', qscheme: 'per_channel_affine', quantMin: -128, quantMax: 127 });
  });

  it('axis 1, symmetric int8 and uint8', () => {
    const s8 = new PerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric', chAxis: 1 });
    const su = new PerChannelMinMaxObserver({ dtype: 'uint8', qscheme: 'per_channel_symmetric', chAxis: -1 });
    s8.forward(x);
    su.forward(x);
    // columns: [−4, 1], [−2, 3], [0, 0.5]
    const scale = [f(4 / 127.5), f(3 / 127.5), f(0.5 / 127.5)];
    expect(qp(s8)).toEqual({ scale, zeroPoint: [0, 0, 0] });
    expect(qp(su)).toEqual({ scale, zeroPoint: [128, 128, 128] });
  });

  it('errors: calibration, channel count, axis', () => {
    const obs = new PerChannelMinMaxObserver();
    expect(() => obs.calculateQParams()).toThrow(CalibrationError);
    obs.forward(x);
    expect(() => obs.forward(tensor([[1, 2, 3]]))).toThrow(/expected 2 channels/);
    expect(() => new PerChannelMinMaxObserver({ chAxis: 2 }).forward(x)).toThrow(/chAxis 2 is out of range/);
    expect(() => new PerChannelMinMaxObserver({ qscheme: 'per_tensor_affine' })).toThrow(/per-channel/);
  });
});

describe('MovingAveragePerChannelMinMaxObserver', () => {
  it('per-channel moving averages along axis 1 in float32', () => {
    const obs = new MovingAveragePerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric', chAxis: 1 });
    obs.forward(
      tensor([
        [1, -2],
        [0, 3],
      ]),
    );
    obs.forward(
      tensor([
        [5, -1],
        [-1, 1],
      ]),
    );
    // column 0: min 0 → 0 + c·(−1 − 0), max 1 → 1 + c·(5 − 1); column 1: min −2 → −2 + c·(−1 + 2), max 3 → 3 + c·(1 − 3)
    const c = f(0.01);
    const min = [f(0 + f(c * -1)), f(-2 + f(c * 1))];
    const max = [f(1 + f(c * 4)), f(3 + f(c * -2))];
    expect(Array.from(obs.minVal.dataSync())).toEqual(min);
    expect(Array.from(obs.maxVal.dataSync())).toEqual(max);
    expect(qp(obs)).toEqual({ scale: [f(max[0] / 127.5), f(Math.max(-min[1], max[1]) / 127.5)], zeroPoint: [0, 0] });
  });
});

describe('calculateQParamsTensors matches calculateQParams', () => {
  it('per tensor and per channel, affine and symmetric', () => {
    const data = tensor([
      [-0.3125, 31.5625, 2],
      [-4, -1, 0.7],
    ]);
    const observers: Observer[] = [
      new MinMaxObserver(),
      new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' }),
      new MovingAverageMinMaxObserver({ dtype: 'int8' }),
      new PerChannelMinMaxObserver({ dtype: 'int8', chAxis: 1 }),
      new PerChannelMinMaxObserver({ dtype: 'uint8', qscheme: 'per_channel_symmetric' }),
      new MovingAveragePerChannelMinMaxObserver({ dtype: 'int8', chAxis: 0 }),
    ];
    for (const obs of observers) {
      const fresh = obs.calculateQParamsTensors();
      if (obs.chAxis === undefined) expect([fresh.scale.dataSync()[0], fresh.zeroPoint.dataSync()[0]]).toEqual([1, 0]);
      obs.forward(data);
      const t = obs.calculateQParamsTensors();
      const n = qp(obs);
      expect(Array.from(t.scale.dataSync())).toEqual([n.scale].flat());
      expect(Array.from(t.zeroPoint.dataSync())).toEqual([n.zeroPoint].flat());
    }
  });
});

/**
 * An independent float64 transcription of PyTorch's HistogramObserver._non_linear_param_search and
 * _compute_quantization_error (Python semantics, no float32 emulation), used only to check the
 * implementation's search decisions on a distribution with outliers.
 */
function referenceSearch(hist: Float32Array, min: number, max: number): [number, number] {
  const bins = hist.length;
  const dstBins = 256;
  const total = hist.reduce((a, b) => a + b, 0);
  const cSum: number[] = [];
  hist.reduce((a, b, i) => (cSum[i] = a + b), 0);
  const norm = (b: number, e: number, d: number) => (d * (e * e * e - b * b * b)) / 3;
  const error = (s: number, e: number) => {
    const bw = (max - min) / bins;
    const dw = (bw * (e - s + 1)) / dstBins;
    if (dw === 0) return 0;
    let sum = 0;
    for (let i = 0; i < bins; i++) {
      const b0 = (i - s) * bw;
      const b1 = b0 + bw;
      const d0 = Math.min(dstBins - 1, Math.max(0, Math.floor(b0 / dw)));
      const d1 = Math.min(dstBins - 1, Math.max(0, Math.floor(b1 / dw)));
      const density = hist[i] / bw;
      sum += norm(b0 - (d0 + 0.5) * dw, dw / 2, density);
      sum += (d1 - d0 - 1) * norm(-dw / 2, dw / 2, density);
      sum += norm(-dw / 2, b1 - (d1 * dw + dw / 2), density);
    }
    return sum;
  };
  let [alpha, beta, start, end, best] = [0, 1, 0, bins - 1, Number.POSITIVE_INFINITY];
  while (alpha < beta) {
    const na = alpha + 1e-5;
    const nb = beta - 1e-5;
    let l = start;
    let r = end;
    while (l < end && cSum[l] < na * total) l++;
    while (r > start && cSum[r] > nb * total) r--;
    let [ns, ne] = [start, end];
    if (l - start > end - r) {
      ns = l;
      alpha = na;
    } else {
      ne = r;
      beta = nb;
    }
    if (ns === start && ne === end) continue;
    const err = error(ns, ne);
    if (err > best) break;
    [best, start, end] = [err, ns, ne];
  }
  const w = (max - min) / bins;
  return [min + w * start, min + w * (end + 1)];
}

describe('HistogramObserver', () => {
  it('histc counts, then merges a batch with a wider range by upsampling (hand-computed)', () => {
    const obs = new HistogramObserver({ bins: 8 });
    obs.forward(tensor([0, 1, 2, 3]));
    // bin ⌊8x/3⌋: 0, 2, 5, 8 → last bin
    expect(Array.from(obs.histogram.dataSync())).toEqual([1, 0, 1, 0, 0, 1, 0, 1]);
    obs.forward(tensor([4]));
    // new range [0, 4]: downsample ⌈(4/3)·128⌉ = 171, max grows by 171/128·3 − 4 = 0.0078125;
    // old bin j spans fine cells [128j, 128j + 128), new bin k spans [171k, 171k + 171):
    // j=2 → 86 cells in k=1, 42 in k=2; j=5 → 44 in k=3, 84 in k=4; j=7 → all 128 in k=5; the 4 lands in bin 7
    expect(obs.maxVal.dataSync()[0]).toBe(4.0078125);
    expect(Array.from(obs.histogram.dataSync())).toEqual([1, 86 / 128, 42 / 128, 44 / 128, 84 / 128, 1, 0, 1]);
  });

  it('the L2 search clips the thin tails of a large Gaussian sample and agrees with a float64 transcription of PyTorch’s search', () => {
    // 100 000 deterministic N(0, 1) values (Box–Muller over a regular grid), in two batches
    const n = 100_000;
    const values = Array.from({ length: n }, (_, i) => Math.sqrt(-2 * Math.log((i + 0.5) / n)) * Math.cos(2 * Math.PI * ((i * 0.618034) % 1)));
    const obs = new HistogramObserver();
    obs.forward(tensor(values.slice(0, n / 2)));
    obs.forward(tensor(values.slice(n / 2)));
    const hist = obs.histogram.dataSync() as Float32Array;
    expect(hist.reduce((a, b) => a + b, 0)).toBeCloseTo(n, 1);
    const [rmin, rmax] = referenceSearch(hist, obs.minVal.dataSync()[0], obs.maxVal.dataSync()[0]);
    const { scale, zeroPoint } = qp(obs) as { scale: number; zeroPoint: number };
    const refScale = (Math.max(rmax, 0) - Math.min(rmin, 0)) / 255;
    expect(scale).toBeCloseTo(refScale, 6);
    expect(zeroPoint).toBe(-Math.round(Math.min(rmin, 0) / refScale));
    const mm = new MinMaxObserver();
    mm.forward(tensor(values));
    const minMaxScale = (qp(mm) as { scale: number }).scale;
    expect(scale).toBeLessThan(0.95 * minMaxScale); // the tails beyond the L2-optimal range are clipped
  });

  it('a constant input gives MinMax’s parameters; errors are typed', async () => {
    const obs = new HistogramObserver({ dtype: 'int8' });
    expect(() => obs.calculateQParams()).toThrow(CalibrationError);
    obs.forward(tensor([2, 2, 2]));
    expect(qp(obs)).toEqual({ scale: f(2 / 255), zeroPoint: -128 });
    expect(() => new HistogramObserver({ bins: 0 })).toThrow(/bins must be a positive integer/);
    expect(() => new HistogramObserver({ qscheme: 'per_channel_affine' })).toThrow(ArgumentError);
  });
});

describe.runIf(WEBGPU)('observers on WebGPU', () => {
  it('MinMax and per-channel statistics on the device give the CPU parameters once moved back', async () => {
    await init({ device: 'webgpu' });
    const x = tensor([
      [1, -2, 0.5],
      [-4, 3, 0],
    ]);
    const a = new MinMaxObserver({ dtype: 'int8', device: 'webgpu' });
    const b = new PerChannelMinMaxObserver({ dtype: 'int8', chAxis: 1, device: 'webgpu' });
    const c = new MovingAverageMinMaxObserver({ device: 'webgpu' });
    for (const o of [a, b, c]) o.forward(x);
    expect(() => a.calculateQParams()).toThrow(DeviceError);
    expect(() => new HistogramObserver().forward(x)).toThrow(DeviceError);
    const t = a.calculateQParamsTensors();
    expect(t.scale.device).toBe('webgpu');
    expect(Array.from(await t.zeroPoint.data())).toEqual([-128 + Math.round(4 / f(7 / 255))]);
    for (const o of [a, b, c]) await o.to('cpu');
    await init({ device: 'cpu' });
    expect(qp(a)).toEqual({ scale: f(7 / 255), zeroPoint: 18 });
    expect(qp(b).zeroPoint).toEqual([-128 + Math.round(4 / f(5 / 255)), -128 + Math.round(2 / f(5 / 255)), -128]);
    expect(qp(c)).toEqual({ scale: f(7 / 255), zeroPoint: 146 }); // uint8: −round(−4/(7/255)) = 146
  });
});
