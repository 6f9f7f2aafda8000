// FakeQuantize: the QAT module (torch.ao.quantization.FakeQuantize): observe, then fake-quantize with
// the observer's current parameters, kept as device tensors so training on WebGPU reads nothing back.
import { Module } from '@aimodel/nn';
import { ArgumentError, keep, noGrad, scope, type Tensor, tensor } from '@aimodel/tensor';
import { fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine, type QParams } from './arith';
import type { Observer } from './observer-base';
import { MovingAverageMinMaxObserver } from './observers';

/**
 * Simulated quantization for quantization-aware training, as `torch.ao.quantization.FakeQuantize`:
 * forward(x) records x in its observer (when enabled), updates `scale`/`zeroPoint` from it, and
 * returns fake-quantized x (when enabled): (clamp(zp + round(x/scale), qmin, qmax) − zp)·scale,
 * per tensor or per channel as the observer's scheme says. Gradients pass straight through inside
 * the range and are 0 outside (see {@link fakeQuantizePerTensorAffine}); scale and zero point get
 * none (no learnable parameters). Works under `fit`. State-dict keys as PyTorch: `scale`,
 * `zero_point`, `activation_post_process.min_val`, …
 * @example
 * ```ts
 * const fq = new FakeQuantize(new MovingAverageMinMaxObserver({ dtype: 'int8' }));
 * const x = tensor([-1, 0.2, 1], { requiresGrad: true });
 * const y = fq.forward(x); // x rounded to the grid of the observed range [-1, 1]
 * y.sum().backward(); // x.grad = [1, 1, 1]
 * ```
 */
export class FakeQuantize extends Module {
  /** The observer (key `activation_post_process`, as PyTorch). @example `new FakeQuantize().activationPostProcess.constructor.name // 'MovingAverageMinMaxObserver'` */
  activationPostProcess: Observer;
  /** Current scale(s), float32 ([1] per tensor, [C] per channel). @example `new FakeQuantize().scale.dataSync() // [1]` */
  scale: Tensor;
  /** Current zero point(s), int32. @example `new FakeQuantize().zeroPoint.dataSync() // [0]` */
  zeroPoint: Tensor;
  private _observerEnabled = true;
  private _fakeQuantEnabled = true;

  /**
   * @param observer the observer to use (default: a `MovingAverageMinMaxObserver` for uint8
   *   per-tensor affine, PyTorch's default); its dtype, scheme, range and channel axis apply
   * @example
   * ```ts
   * new FakeQuantize(new MovingAveragePerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric' }));
   * ```
   */
  constructor(observer?: Observer) {
    super();
    const obs = observer ?? new MovingAverageMinMaxObserver();
    if (!(obs instanceof Module) || typeof (obs as Observer).calculateQParamsTensors !== 'function') {
      throw new ArgumentError('FakeQuantize', `expected an Observer, got ${observer === null ? 'null' : typeof observer}`);
    }
    this.activationPostProcess = obs;
    const device = Object.values(obs.stateDict())[0]?.device; // where the observer keeps its statistics
    this.scale = keep(tensor([1], { device }));
    this.zeroPoint = keep(tensor([0], { dtype: 'int32', device }));
  }

  /** Smallest quantized value (the observer's). @example `new FakeQuantize().quantMin // 0` */
  get quantMin(): number {
    return this.activationPostProcess.quantMin;
  }
  /** Largest quantized value (the observer's). @example `new FakeQuantize().quantMax // 255` */
  get quantMax(): number {
    return this.activationPostProcess.quantMax;
  }
  /** Whether forward updates the observer and the parameters. @example `new FakeQuantize().observerEnabled // true` */
  get observerEnabled(): boolean {
    return this._observerEnabled;
  }
  /** Whether forward fake-quantizes (else it returns x). @example `new FakeQuantize().fakeQuantEnabled // true` */
  get fakeQuantEnabled(): boolean {
    return this._fakeQuantEnabled;
  }

  /** Turn observation on (or off with `false`). @example `new FakeQuantize().enableObserver()` */
  enableObserver(enabled = true): this {
    this._observerEnabled = enabled;
    return this;
  }
  /** Freeze scale and zero point (stop observing), e.g. late in QAT. @example `new FakeQuantize().disableObserver()` */
  disableObserver(): this {
    return this.enableObserver(false);
  }
  /** Turn fake quantization on (or off with `false`). @example `new FakeQuantize().enableFakeQuant()` */
  enableFakeQuant(enabled = true): this {
    this._fakeQuantEnabled = enabled;
    return this;
  }
  /** Pass inputs through unchanged (observation continues if enabled). @example `new FakeQuantize().disableFakeQuant()` */
  disableFakeQuant(): this {
    return this.enableFakeQuant(false);
  }

  /**
   * Observe (if enabled), then fake-quantize (if enabled).
   * @example
   * ```ts
   * const fq = new FakeQuantize();
   * fq.forward(tensor([0, 0.5, 1])).shape; // [3]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const obs = this.activationPostProcess;
    if (this._observerEnabled) {
      noGrad(() =>
        scope(() => {
          obs.forward(x.detach());
          const { scale, zeroPoint } = obs.calculateQParamsTensors();
          const shape = obs.chAxis === undefined ? [1] : scale.shape;
          if (this.scale.shape.join() !== shape.join()) {
            this.scale.dispose();
            this.zeroPoint.dispose();
            this.scale = keep(scale.reshape(shape).clone());
            this.zeroPoint = keep(zeroPoint.reshape(shape).to('int32'));
          } else {
            this.scale.assign(scale.reshape(shape));
            this.zeroPoint.assign(zeroPoint.reshape(shape).to('int32'));
          }
        }),
      );
    }
    if (!this._fakeQuantEnabled) return x;
    if (obs.chAxis === undefined) return fakeQuantizePerTensorAffine(x, this.scale, this.zeroPoint, obs.quantMin, obs.quantMax);
    return fakeQuantizePerChannelAffine(x, this.scale, this.zeroPoint, obs.chAxis, obs.quantMin, obs.quantMax);
  }

  /**
   * The observer's parameters (see `Observer.calculateQParams`); CPU statistics.
   * @example
   * ```ts
   * const fq = new FakeQuantize();
   * fq.forward(tensor([-1, 2]));
   * fq.calculateQParams(); // { scale: 3/255, zeroPoint: 85 }
   * ```
   */
  calculateQParams(): { scale: number | Float32Array; zeroPoint: number | Int32Array } {
    return this.activationPostProcess.calculateQParams();
  }

  /**
   * The observer's full {@link QParams} (what `convert` reads).
   * @example
   * ```ts
   * const fq = new FakeQuantize();
   * fq.forward(tensor([-1, 2]));
   * fq.qparams().dtype; // 'uint8'
   * ```
   */
  qparams(): QParams {
    return this.activationPostProcess.qparams();
  }

  /** PyTorch's extra_repr, in our names. @example `String(new FakeQuantize()).startsWith('FakeQuantize(') // true` */
  override extraRepr(): string {
    return `fakeQuantEnabled=${this._fakeQuantEnabled}, observerEnabled=${this._observerEnabled}, quantMin=${this.quantMin}, quantMax=${this.quantMax}`;
  }
}

/** Apply `switchOne` to each FakeQuantize in `model` (itself included); returns the model. */
function forEachFakeQuantize<M extends Module>(op: string, model: M, switchOne: (fq: FakeQuantize) => void): M {
  if (!(model instanceof Module)) throw new ArgumentError(op, `expected a Module, got ${model === null ? 'null' : typeof model}`);
  for (const [, m] of model.namedModules()) if (m instanceof FakeQuantize) switchOne(m);
  return model;
}

/**
 * Stop every FakeQuantize in `model` from observing (freeze scales and zero points), as
 * `model.apply(torch.ao.quantization.disable_observer)`; returns the model. PyTorch's QAT recipe
 * does this for the last part of training, so the weights adapt to the ranges `convert` will use.
 * @example
 * ```ts
 * const model = prepareQat(new Sequential(new Linear(2, 2)));
 * model.forward(tensor([[1, -2]])); // the observers record ranges
 * disableObserver(model); // late in QAT: ranges stay as they are
 * const scale = (model.at(0) as Linear & { inputObserver: FakeQuantize }).inputObserver.scale.dataSync()[0];
 * model.forward(tensor([[10, -20]]));
 * (model.at(0) as Linear & { inputObserver: FakeQuantize }).inputObserver.scale.dataSync()[0] === scale; // true
 * ```
 */
export function disableObserver<M extends Module>(model: M): M {
  return forEachFakeQuantize('disableObserver', model, (fq) => fq.disableObserver());
}

/**
 * Let every FakeQuantize in `model` observe again, as `torch.ao.quantization.enable_observer`.
 * @example
 * ```ts
 * const model = enableObserver(disableObserver(prepareQat(new Sequential(new Linear(2, 2)))));
 * (model.at(0) as Linear & { weightFakeQuant: FakeQuantize }).weightFakeQuant.observerEnabled; // true
 * ```
 */
export function enableObserver<M extends Module>(model: M): M {
  return forEachFakeQuantize('enableObserver', model, (fq) => fq.enableObserver());
}

/**
 * Turn fake quantization off in every FakeQuantize of `model` (float forward and gradients, still
 * observing), as `torch.ao.quantization.disable_fake_quant`: e.g. to calibrate the observers on a
 * few batches of a trained float model before QAT starts.
 * @example
 * ```ts
 * const model = disableFakeQuant(prepareQat(new Sequential(new Linear(2, 2))));
 * noGrad(() => model.forward(randn([32, 2]))); // observe only: outputs are the float model's
 * enableFakeQuant(model); // then train with int8 rounding, from calibrated ranges
 * ```
 */
export function disableFakeQuant<M extends Module>(model: M): M {
  return forEachFakeQuantize('disableFakeQuant', model, (fq) => fq.disableFakeQuant());
}

/**
 * Turn fake quantization back on in every FakeQuantize of `model`, as
 * `torch.ao.quantization.enable_fake_quant`.
 * @example
 * ```ts
 * const model = enableFakeQuant(disableFakeQuant(prepareQat(new Sequential(new Linear(2, 2)))));
 * (model.at(0) as Linear & { weightFakeQuant: FakeQuantize }).weightFakeQuant.fakeQuantEnabled; // true
 * ```
 */
export function enableFakeQuant<M extends Module>(model: M): M {
  return forEachFakeQuantize('enableFakeQuant', model, (fq) => fq.enableFakeQuant());
}
