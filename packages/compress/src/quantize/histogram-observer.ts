// HistogramObserver: PyTorch's running histogram and its L2-minimising range search
// (torch.ao.quantization.HistogramObserver, after caffe2's NormMinimization). The histogram is kept
// in a float32 buffer; the arithmetic follows PyTorch's float32 tensor ops step by step (Math.fround
// after each), with its float64 parts (item() values, cumulative sums) in doubles.
import { ArgumentError, DeviceError, keep, noGrad, type Tensor, tensor } from '@aimodel/tensor';
import { Observer, type ObserverOptions, roundHalfEven } from './observer-base';

const f = Math.fround;

/** torch.histc over float32 data: bin ⌊(x − lo)·bins/(hi − lo)⌋ (x = hi in the last), others ignored. */
function histc(data: Float32Array, bins: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(bins);
  if (lo === hi) {
    lo = f(lo - 1);
    hi = f(hi + 1);
  }
  const width = f(hi - lo);
  for (const v of data) {
    if (!(v >= lo && v <= hi)) continue;
    let pos = Math.trunc(f(f(f(v - lo) * bins) / width));
    if (pos >= bins) pos = bins - 1;
    out[pos] += 1;
  }
  return out;
}

/** PyTorch's floor division of floats (c10 div_floor_floating), in float32. */
function divFloor(a: number, b: number): number {
  if (b === 0) return f(a / b);
  const mod = f(a % b);
  let div = f(f(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = f(div - 1);
  if (div === 0) return 0;
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

/** density · (end³ − begin³)/3 in float32, PyTorch's `_get_norm`. */
function l2Norm(begin: number, end: number, density: number): number {
  const e3 = f(f(end * end) * end);
  const b3 = f(f(begin * begin) * begin);
  return f(density * f(f(e3 - b3) / 3));
}

/**
 * Observer that keeps a running histogram of everything it sees and picks the range that
 * minimises the L2 quantization error, as `torch.ao.quantization.HistogramObserver` (2048 bins,
 * upsample rate 128; histograms of batches with new ranges are merged by upsampling). The range
 * search is PyTorch's `_non_linear_param_search`: from both ends, move the boundary whose quantile
 * step covers more bins while the error (a piecewise-uniform L2 estimate over 2⁸ destination
 * bins) keeps falling. Per tensor only; the observed tensors are read, so they must be on the
 * CPU. Buffers `histogram`, `min_val`, `max_val`.
 * @example
 * ```ts
 * const obs = new HistogramObserver({ dtype: 'uint8' });
 * obs.forward(tensor([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 100])); // one outlier
 * const { scale } = obs.calculateQParams() as { scale: number };
 * scale < 100 / 255; // true: the outlier is clipped
 * ```
 */
export class HistogramObserver extends Observer {
  /** Running histogram [bins] over [minVal, maxVal]. @example `new HistogramObserver().histogram.shape // [2048]` */
  histogram: Tensor;
  /** Lower edge of the histogram (0-d; +∞ before data). @example `new HistogramObserver().minVal.dataSync()[0] // Infinity` */
  minVal: Tensor;
  /** Upper edge of the histogram (0-d; −∞ before data). @example `new HistogramObserver().maxVal.dataSync()[0] // -Infinity` */
  maxVal: Tensor;
  /** Number of bins. @example `new HistogramObserver({ bins: 256 }).bins // 256` */
  readonly bins: number;
  /** Upsampling factor used when merging histograms. @example `new HistogramObserver().upsampleRate // 128` */
  readonly upsampleRate: number;
  private readonly _dstBins = 256;

  /**
   * @param opts bins (2048), upsampleRate (128), dtype, qscheme (per tensor), reduceRange, quantMin/quantMax, eps
   * @example
   * ```ts
   * new HistogramObserver({ bins: 1024, dtype: 'uint8', reduceRange: true });
   * ```
   */
  constructor(opts: ObserverOptions = {}) {
    super('HistogramObserver', opts, ['bins', 'upsampleRate'], false);
    const bins = opts.bins ?? 2048;
    const upsampleRate = opts.upsampleRate ?? 128;
    for (const [k, v] of [
      ['bins', bins],
      ['upsampleRate', upsampleRate],
    ] as const) {
      if (!(Number.isInteger(v) && v > 0)) throw new ArgumentError('HistogramObserver', `${k} must be a positive integer, got ${v}`);
    }
    if (opts.device !== undefined && opts.device !== 'cpu')
      throw new ArgumentError('HistogramObserver', `statistics are kept on the CPU, got device '${opts.device}'`);
    this.bins = bins;
    this.upsampleRate = upsampleRate;
    this.histogram = keep(tensor(new Float32Array(bins), { device: 'cpu' }));
    this.minVal = keep(tensor(Number.POSITIVE_INFINITY, { device: 'cpu' }));
    this.maxVal = keep(tensor(Number.NEGATIVE_INFINITY, { device: 'cpu' }));
  }

  /**
   * Add `x` to the histogram (reads `x`: CPU tensors only); returns `x`. Infinite values are ignored.
   * @example
   * ```ts
   * const obs = new HistogramObserver({ bins: 8 });
   * obs.forward(tensor([0, 1, 2, 3]));
   * obs.histogram.dataSync(); // [1, 0, 1, 0, 0, 1, 0, 1]
   * ```
   */
  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.numel() === 0) return x;
    if (x.device !== 'cpu') {
      throw new DeviceError(
        'HistogramObserver',
        `reads the observed values, which is synchronous only on the CPU; got a ${x.device} tensor: calibrate on the CPU or use MinMaxObserver`,
      );
    }
    let data = x.dataSync() as Float32Array;
    if (data.some((v) => !Number.isFinite(v) && !Number.isNaN(v))) data = data.filter((v) => Number.isFinite(v));
    if (data.length === 0) return x;
    let xMin = Number.POSITIVE_INFINITY;
    let xMax = Number.NEGATIVE_INFINITY;
    for (const v of data) {
      if (v < xMin) xMin = v;
      if (v > xMax) xMax = v;
    }
    const min = this.minVal.dataSync()[0];
    const max = this.maxVal.dataSync()[0];
    const uninitialised = min === Number.POSITIVE_INFINITY && max === Number.NEGATIVE_INFINITY;
    if (uninitialised || min === max || f(max - min) < f(1e-6)) {
      this.store(histc(data, this.bins, xMin, xMax), xMin, xMax);
      return x;
    }
    const cMin = Math.min(xMin, min);
    let cMax = Math.max(xMax, max);
    // _adjust_min_max: a common grid, downsampleRate·(max − min)/upsampleRate wide per bin
    const oldWidth = f(max - min);
    const downsample = Math.ceil(f(f(f(cMax - cMin) / oldWidth) * this.upsampleRate));
    const e = f(f(f(downsample / this.upsampleRate) * oldWidth) - f(cMax - cMin));
    const startIdx = roundHalfEven(f(f(f(f(min - cMin) / oldWidth) * this.bins) * this.upsampleRate));
    cMax = f(cMax + e);
    const fresh = histc(data, this.bins, cMin, cMax);
    const old = this.histogram.dataSync() as Float32Array;
    if (cMin === min && cMax === max) {
      for (let i = 0; i < this.bins; i++) fresh[i] = f(fresh[i] + old[i]);
    } else {
      this.combine(fresh, old, downsample, startIdx);
    }
    this.store(fresh, cMin, cMax);
    return x;
  }

  /**
   * PyTorch's `_combine_histograms`: spread each old bin evenly over `upsampleRate` fine cells
   * starting at `startIdx`, sum the fine cells in groups of `downsample` (one new bin each) and
   * add them, divided by the upsample rate, to `into`.
   */
  private combine(into: Float32Array, old: Float32Array, downsample: number, startIdx: number): void {
    const up = this.upsampleRate;
    const total = this.bins * downsample;
    const added = new Float64Array(this.bins);
    for (let j = 0; j < this.bins; j++) {
      if (old[j] === 0) continue;
      const a = startIdx + j * up;
      const b = Math.min(a + up, total); // fine cells [a, b)
      for (let k = Math.floor(a / downsample); k * downsample < b; k++) {
        const overlap = Math.min(b, (k + 1) * downsample) - Math.max(a, k * downsample);
        if (overlap > 0) added[k] += old[j] * overlap;
      }
    }
    for (let k = 0; k < this.bins; k++) into[k] = f(into[k] + f(added[k] / up));
  }

  private store(hist: Float32Array, min: number, max: number): void {
    noGrad(() => {
      this.histogram.assign(tensor(hist, { device: 'cpu' }));
      this.minVal.assign(min);
      this.maxVal.assign(max);
    });
  }

  /** PyTorch's `_compute_quantization_error` for the candidate bins [start, end]. */
  private quantizationError(hist: Float32Array, min: number, max: number, start: number, end: number): number {
    const binWidth = (max - min) / this.bins;
    const dstWidth = (binWidth * (end - start + 1)) / this._dstBins;
    if (dstWidth === 0) return 0;
    const bw = f(binWidth);
    const dw = f(dstWidth);
    const half = f(dstWidth / 2);
    const lastDst = this._dstBins - 1;
    const inner = (density: number) => l2Norm(f(-dstWidth / 2), half, density);
    let sum = 0;
    for (let i = 0; i < this.bins; i++) {
      const srcBegin = f(f(i - start) * bw);
      const srcEnd = f(srcBegin + bw);
      const dstBegin = Math.min(lastDst, Math.max(0, divFloor(srcBegin, dw)));
      const dstEnd = Math.min(lastDst, Math.max(0, divFloor(srcEnd, dw)));
      const density = f(hist[i] / bw);
      const beginCenter = f(f(dstBegin + 0.5) * dw);
      let norm = l2Norm(f(srcBegin - beginCenter), half, density);
      norm = f(norm + f((dstEnd - dstBegin - 1) * inner(density)));
      const endCenter = f(f(dstEnd * dw) + half);
      norm = f(norm + l2Norm(f(-dstWidth / 2), f(srcEnd - endCenter), density));
      sum += norm;
    }
    return f(sum);
  }

  /** PyTorch's `_non_linear_param_search`: the [min, max] with the smallest estimated L2 error. */
  private search(): { min: number; max: number } {
    const hist = this.histogram.dataSync() as Float32Array;
    const min = this.minVal.dataSync()[0];
    const max = this.maxVal.dataSync()[0];
    const bins = this.bins;
    let total = 0;
    const cSum = new Float32Array(bins);
    let acc = 0;
    for (let i = 0; i < bins; i++) {
      total += hist[i];
      acc += hist[i];
      cSum[i] = acc;
    }
    total = f(total);
    const stepsize = 1e-5;
    let alpha = 0;
    let beta = 1;
    let startBin = 0;
    let endBin = bins - 1;
    let normMin = Number.POSITIVE_INFINITY;
    while (alpha < beta) {
      const nextAlpha = alpha + stepsize;
      const nextBeta = beta - stepsize;
      let l = startBin;
      let r = endBin;
      // the comparisons are float32 tensor vs Python float, so in float32
      while (l < endBin && cSum[l] < f(nextAlpha * total)) l++;
      while (r > startBin && cSum[r] > f(nextBeta * total)) r--;
      let nextStart = startBin;
      let nextEnd = endBin;
      if (l - startBin > endBin - r) {
        nextStart = l;
        alpha = nextAlpha;
      } else {
        nextEnd = r;
        beta = nextBeta;
      }
      if (nextStart === startBin && nextEnd === endBin) continue;
      const norm = this.quantizationError(hist, min, max, nextStart, nextEnd);
      if (norm > normMin) break;
      normMin = norm;
      startBin = nextStart;
      endBin = nextEnd;
    }
    const width = f(f(max - min) / bins);
    return { min: f(min + f(width * startBin)), max: f(min + f(width * (endBin + 1))) };
  }

  protected range(): { min: Float32Array; max: Float32Array } {
    const [min, max] = this.readStats(this.minVal, this.maxVal);
    if (min[0] === Number.POSITIVE_INFINITY && max[0] === Number.NEGATIVE_INFINITY) this.uncalibrated();
    const found = this.search();
    return { min: Float32Array.of(found.min), max: Float32Array.of(found.max) };
  }

  protected statTensors(): [Tensor, Tensor] {
    const min = this.minVal.dataSync()[0];
    if (min === Number.POSITIVE_INFINITY) return [this.minVal.clone(), this.maxVal.clone()];
    const found = this.search();
    return [tensor(found.min, { device: 'cpu' }), tensor(found.max, { device: 'cpu' })];
  }
}
