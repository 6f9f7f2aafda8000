// The min/max observers (torch.ao.quantization's MinMaxObserver, MovingAverageMinMaxObserver and
// PerChannelMinMaxObserver): running statistics as device tensors, updated with tensor ops.
import { ArgumentError, keep, maximum, minimum, noGrad, scope, type Tensor, tensor, where } from '@aimodel/tensor';
import { Observer, type ObserverOptions } from './observer-base';

export { CalibrationError, FLOAT32_EPS, Observer, type ObserverOptions } from './observer-base';

function checkAveraging(name: string, c = 0.01): number {
  if (!(typeof c === 'number' && c > 0 && c <= 1)) throw new ArgumentError(name, `averagingConstant must be in (0, 1], got ${c}`);
  return c;
}

/** Per-tensor running min/max statistics shared by MinMaxObserver and MovingAverageMinMaxObserver. */
abstract class MinMaxBase extends Observer {
  /** Running minimum (0-d; +∞ until data is seen). @example `new MinMaxObserver().minVal.dataSync()[0] // Infinity` */
  minVal: Tensor;
  /** Running maximum (0-d; −∞ until data is seen). @example `new MinMaxObserver().maxVal.dataSync()[0] // -Infinity` */
  maxVal: Tensor;

  protected constructor(name: string, opts: ObserverOptions, extraKeys: readonly string[]) {
    super(name, opts, extraKeys, false);
    this.minVal = keep(tensor(Number.POSITIVE_INFINITY, { device: this._device }));
    this.maxVal = keep(tensor(Number.NEGATIVE_INFINITY, { device: this._device }));
  }

  /**
   * Record min and max of `x` (no gradient, no read); returns `x`.
   * @example
   * ```ts
   * const x = randn([4, 4]);
   * new MinMaxObserver().forward(x) === x; // true
   * ```
   */
  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.numel() === 0) return x;
    this.checkDevice(x, this.minVal);
    noGrad(() =>
      scope(() => {
        const y = x.detach();
        this.update(y.min(), y.max());
      }),
    );
    return x;
  }

  /** Fold one batch's min and max into the running values. */
  protected abstract update(lo: Tensor, hi: Tensor): void;

  protected range(): { min: Float32Array; max: Float32Array } {
    const [min, max] = this.readStats(this.minVal, this.maxVal);
    if (min[0] === Number.POSITIVE_INFINITY && max[0] === Number.NEGATIVE_INFINITY) this.uncalibrated();
    return { min, max };
  }

  protected statTensors(): [Tensor, Tensor] {
    return [this.minVal, this.maxVal];
  }

  /** Forget what was observed (±∞ again). @example `new MinMaxObserver().resetMinMaxVals()` */
  resetMinMaxVals(): void {
    this.minVal.assign(Number.POSITIVE_INFINITY);
    this.maxVal.assign(Number.NEGATIVE_INFINITY);
  }
}

/**
 * Observer of the running minimum and maximum (per tensor), as `torch.ao.quantization.MinMaxObserver`:
 * min ← min(min, min x), max ← max(max, max x) over every batch seen; the parameters follow
 * {@link Observer.calculateQParams}. Buffers `min_val`, `max_val` (±∞ until data is seen).
 * @example
 * ```ts
 * const obs = new MinMaxObserver({ dtype: 'uint8' });
 * obs.forward(tensor([-1, 0.5]));
 * obs.forward(tensor([2]));
 * obs.calculateQParams(); // { scale: 3/255, zeroPoint: 85 }
 * ```
 */
export class MinMaxObserver extends MinMaxBase {
  /**
   * @param opts dtype, qscheme (per tensor), reduceRange, quantMin/quantMax, eps, device
   * @example
   * ```ts
   * new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' });
   * ```
   */
  constructor(opts: ObserverOptions = {}) {
    super('MinMaxObserver', opts, []);
  }

  protected update(lo: Tensor, hi: Tensor): void {
    this.minVal.assign(minimum(lo, this.minVal));
    this.maxVal.assign(maximum(hi, this.maxVal));
  }
}

/**
 * Observer of moving averages of the batch minimum and maximum, as
 * `torch.ao.quantization.MovingAverageMinMaxObserver`: the first batch sets them, then
 * min ← min + c·(min x − min) (likewise max), in float32, with c = `averagingConstant` (0.01).
 * Used for activations in QAT.
 * @example
 * ```ts
 * const obs = new MovingAverageMinMaxObserver({ averagingConstant: 0.5 });
 * obs.forward(tensor([0, 2]));
 * obs.forward(tensor([0, 4]));
 * obs.maxVal.dataSync()[0]; // 3
 * ```
 */
export class MovingAverageMinMaxObserver extends MinMaxBase {
  /** c in m ← m + c·(batch − m). @example `new MovingAverageMinMaxObserver().averagingConstant // 0.01` */
  readonly averagingConstant: number;

  /**
   * @param opts averagingConstant (default 0.01) and the {@link MinMaxObserver} options
   * @example
   * ```ts
   * new MovingAverageMinMaxObserver({ averagingConstant: 0.1, dtype: 'uint8' });
   * ```
   */
  constructor(opts: ObserverOptions = {}) {
    super('MovingAverageMinMaxObserver', opts, ['averagingConstant']);
    this.averagingConstant = checkAveraging('MovingAverageMinMaxObserver', opts.averagingConstant);
  }

  protected update(lo: Tensor, hi: Tensor): void {
    const c = this.averagingConstant;
    // the first batch (statistics still ±∞) is taken as is
    const first = this.minVal.eq(Number.POSITIVE_INFINITY);
    this.minVal.assign(where(first, lo, this.minVal.add(lo.sub(this.minVal).mul(c))));
    this.maxVal.assign(where(first, hi, this.maxVal.add(hi.sub(this.maxVal).mul(c))));
  }
}

/** Per-channel running statistics shared by the two per-channel observers. */
abstract class PerChannelBase extends Observer {
  /** Running minimum per channel. @example `new PerChannelMinMaxObserver().minVal.shape // [0]` */
  minVal: Tensor;
  /** Running maximum per channel. @example `new PerChannelMinMaxObserver().maxVal.shape // [0]` */
  maxVal: Tensor;

  protected constructor(name: string, opts: ObserverOptions, extraKeys: readonly string[]) {
    super(name, opts, ['chAxis', ...extraKeys], true);
    this.minVal = keep(tensor([], { device: this._device }));
    this.maxVal = keep(tensor([], { device: this._device }));
  }

  /**
   * Record per-channel min and max of `x` (no gradient, no read); returns `x`.
   * @example
   * ```ts
   * const obs = new PerChannelMinMaxObserver();
   * obs.forward(randn([8, 3])).shape; // [8, 3]
   * ```
   */
  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.numel() === 0) return x;
    this.checkDevice(x, this.minVal);
    const name = this.constructor.name;
    const axis = this.chAxis as number;
    if (axis < -x.ndim || axis >= x.ndim) throw new ArgumentError(name, `chAxis ${axis} is out of range for a ${x.ndim}-D input`);
    const ax = axis < 0 ? axis + x.ndim : axis;
    const channels = x.shape[ax];
    if (this.minVal.numel() !== 0 && this.minVal.shape[0] !== channels) {
      throw new ArgumentError(name, `expected ${this.minVal.shape[0]} channels along dim ${ax} (as observed before), got ${channels}`);
    }
    const others = x.shape.map((_, i) => i).filter((i) => i !== ax);
    noGrad(() => {
      const [lo, hi] = scope(() => {
        const y = x.detach();
        return others.length === 0 ? [y.clone(), y.clone()] : [y.min({ dim: others }), y.max({ dim: others })];
      });
      if (this.minVal.numel() === 0) {
        this.minVal.dispose();
        this.maxVal.dispose();
        this.minVal = keep(lo);
        this.maxVal = keep(hi);
        return;
      }
      scope(() => this.update(lo, hi));
      lo.dispose();
      hi.dispose();
    });
    return x;
  }

  /** Fold one batch's per-channel min and max into the running values. */
  protected abstract update(lo: Tensor, hi: Tensor): void;

  protected statTensors(): [Tensor, Tensor] {
    return [this.minVal, this.maxVal];
  }

  protected range(): { min: Float32Array; max: Float32Array } {
    if (this.minVal.numel() === 0) this.uncalibrated();
    const [min, max] = this.readStats(this.minVal, this.maxVal);
    return { min, max };
  }
}

/**
 * Observer of the running minimum and maximum of each slice along `chAxis` (default 0, the output
 * channels of a weight), as `torch.ao.quantization.PerChannelMinMaxObserver`; one scale and zero
 * point per channel. Buffers `min_val`, `max_val` [C] (empty until data is seen).
 * @example
 * ```ts
 * const obs = new PerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric', chAxis: 0 });
 * obs.forward(tensor([[1, -2], [0.5, 0.25]]));
 * obs.calculateQParams().scale; // Float32Array [2/127.5, 0.5/127.5]
 * ```
 */
export class PerChannelMinMaxObserver extends PerChannelBase {
  /**
   * @param opts chAxis (default 0), dtype, qscheme (per channel), reduceRange, quantMin/quantMax, eps, device
   * @example
   * ```ts
   * new PerChannelMinMaxObserver({ chAxis: 1, dtype: 'int8', qscheme: 'per_channel_affine' });
   * ```
   */
  constructor(opts: ObserverOptions = {}) {
    super('PerChannelMinMaxObserver', opts, []);
  }

  protected update(lo: Tensor, hi: Tensor): void {
    this.minVal.assign(minimum(lo, this.minVal));
    this.maxVal.assign(maximum(hi, this.maxVal));
  }
}

/**
 * Per-channel moving averages of the batch minimum and maximum, as
 * `torch.ao.quantization.MovingAveragePerChannelMinMaxObserver`: the first batch sets them, then
 * m ← m + c·(batch − m) per channel (c = `averagingConstant`, 0.01). PyTorch's QAT weight observer.
 * @example
 * ```ts
 * const obs = new MovingAveragePerChannelMinMaxObserver({ averagingConstant: 0.5, dtype: 'int8', qscheme: 'per_channel_symmetric' });
 * obs.forward(tensor([[0, 2], [0, 4]]));
 * obs.forward(tensor([[0, 4], [0, 4]]));
 * obs.maxVal.dataSync(); // [3, 4]
 * ```
 */
export class MovingAveragePerChannelMinMaxObserver extends PerChannelBase {
  /** c in m ← m + c·(batch − m). @example `new MovingAveragePerChannelMinMaxObserver().averagingConstant // 0.01` */
  readonly averagingConstant: number;

  /**
   * @param opts averagingConstant (default 0.01) and the {@link PerChannelMinMaxObserver} options
   * @example
   * ```ts
   * new MovingAveragePerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric' });
   * ```
   */
  constructor(opts: ObserverOptions = {}) {
    super('MovingAveragePerChannelMinMaxObserver', opts, ['averagingConstant']);
    this.averagingConstant = checkAveraging('MovingAveragePerChannelMinMaxObserver', opts.averagingConstant);
  }

  protected update(lo: Tensor, hi: Tensor): void {
    const c = this.averagingConstant;
    this.minVal.assign(this.minVal.add(lo.sub(this.minVal).mul(c)));
    this.maxVal.assign(this.maxVal.add(hi.sub(this.maxVal).mul(c)));
  }
}
