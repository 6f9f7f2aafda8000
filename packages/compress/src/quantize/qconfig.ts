// QConfig: which observer (PTQ) or FakeQuantize (QAT) watches a layer's activations and weights,
// as torch.ao.quantization.QConfig, with PyTorch's presets.
import { ArgumentError, DTypeError } from '@aimodel/tensor';
import { FakeQuantize } from './fake-quantize';
import { HistogramObserver } from './histogram-observer';
import { Observer } from './observer-base';
import { MinMaxObserver, MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, PerChannelMinMaxObserver } from './observers';

/**
 * How to quantize: factories of fresh observers (post-training) or FakeQuantize modules (QAT) for
 * the activations (inputs and outputs of each quantizable layer) and for the weights. As
 * `torch.ao.quantization.QConfig(activation=…, weight=…)`; weights must be int8, activations may
 * be uint8 (PyTorch's quint8) or int8.
 * @example
 * ```ts
 * const qconfig: QConfig = {
 *   activation: () => new HistogramObserver({ dtype: 'uint8' }),
 *   weight: () => new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' }),
 * };
 * ```
 */
export interface QConfig {
  /** A new activation observer (or FakeQuantize) per call. */
  activation: () => Observer | FakeQuantize;
  /** A new weight observer (or FakeQuantize) per call. */
  weight: () => Observer | FakeQuantize;
}

/**
 * Backends whose PyTorch presets are reproduced: `'aimodel'` (default; our int8 kernels do not
 * overflow, so activations use the full uint8 range), `'x86'`/`'fbgemm'` (PyTorch's server
 * default: activations with `reduceRange`), `'qnnpack'` (per-tensor weights, full range).
 * @example
 * ```ts
 * const backend: QuantBackend = 'x86';
 * ```
 */
export type QuantBackend = 'aimodel' | 'x86' | 'fbgemm' | 'qnnpack';

const BACKENDS: readonly QuantBackend[] = ['aimodel', 'x86', 'fbgemm', 'qnnpack'];

function checkBackend(op: string, backend: unknown): asserts backend is QuantBackend {
  if (!BACKENDS.includes(backend as QuantBackend)) throw new ArgumentError(op, `unknown backend ${JSON.stringify(backend)} (expected ${BACKENDS.join(', ')})`);
}

/**
 * The post-training static quantization preset, as `torch.ao.quantization.get_default_qconfig`:
 * activations by {@link HistogramObserver} (uint8 affine; `reduceRange` on 'x86'/'fbgemm'),
 * weights by {@link PerChannelMinMaxObserver} (int8 per-channel symmetric) — per-tensor symmetric
 * {@link MinMaxObserver} weights on 'qnnpack'.
 * @param backend 'aimodel' (default), 'x86', 'fbgemm' or 'qnnpack'
 * @example
 * ```ts
 * const qconfig = getDefaultQConfig();
 * qconfig.weight() instanceof PerChannelMinMaxObserver; // true
 * getDefaultQConfig('qnnpack').weight() instanceof MinMaxObserver; // true: per tensor
 * ```
 */
export function getDefaultQConfig(backend: QuantBackend = 'aimodel'): QConfig {
  checkBackend('getDefaultQConfig', backend);
  const reduceRange = backend === 'x86' || backend === 'fbgemm';
  return {
    activation: () => new HistogramObserver({ dtype: 'uint8', reduceRange }),
    weight:
      backend === 'qnnpack'
        ? () => new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' })
        : () => new PerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric' }),
  };
}

/**
 * The quantization-aware training preset, as `torch.ao.quantization.get_default_qat_qconfig`:
 * activations by {@link FakeQuantize} over a {@link MovingAverageMinMaxObserver} (uint8
 * affine, [0, 255]; `reduceRange` on 'x86'/'fbgemm'), weights by FakeQuantize over a
 * {@link MovingAveragePerChannelMinMaxObserver} (int8 per-channel symmetric) — per-tensor
 * symmetric {@link MovingAverageMinMaxObserver} weights on 'qnnpack'.
 * @param backend 'aimodel' (default), 'x86', 'fbgemm' or 'qnnpack'
 * @example
 * ```ts
 * const qconfig = getDefaultQatQConfig();
 * qconfig.activation() instanceof FakeQuantize; // true
 * ```
 */
export function getDefaultQatQConfig(backend: QuantBackend = 'aimodel'): QConfig {
  checkBackend('getDefaultQatQConfig', backend);
  const reduceRange = backend === 'x86' || backend === 'fbgemm';
  return {
    activation: () => new FakeQuantize(new MovingAverageMinMaxObserver({ dtype: 'uint8', reduceRange })),
    weight:
      backend === 'qnnpack'
        ? () => new FakeQuantize(new MovingAverageMinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' }))
        : () => new FakeQuantize(new MovingAveragePerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric' })),
  };
}

/**
 * PyTorch's `default_qconfig` (debugging/simple preset): activations by {@link MinMaxObserver}
 * (uint8, range [0, 127]), weights by MinMaxObserver (int8 per-tensor symmetric).
 * @example
 * ```ts
 * getMinMaxQConfig().activation().quantMax; // 127
 * ```
 */
export function getMinMaxQConfig(): QConfig {
  return {
    activation: () => new MinMaxObserver({ dtype: 'uint8', quantMin: 0, quantMax: 127 }),
    weight: () => new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' }),
  };
}

/** The observer behind an observer or FakeQuantize. @internal */
export function observerOf(m: Observer | FakeQuantize): Observer {
  return m instanceof FakeQuantize ? m.activationPostProcess : m;
}

/**
 * Validate a QConfig and make its two modules once, to check what the factories return: both
 * observers or both FakeQuantize (`fakeQuant` says which is wanted), int8 weights, and per-tensor
 * activations. @internal
 */
export function checkQConfig(op: string, qconfig: unknown, fakeQuant: boolean): QConfig {
  const q = qconfig as QConfig;
  if (!q || typeof q !== 'object' || typeof q.activation !== 'function' || typeof q.weight !== 'function') {
    throw new ArgumentError(op, 'expected a QConfig { activation: () => observer, weight: () => observer } (e.g. getDefaultQConfig())');
  }
  for (const [what, make] of [
    ['activation', q.activation],
    ['weight', q.weight],
  ] as const) {
    const m = make();
    const isFq = m instanceof FakeQuantize;
    if (!isFq && !(m instanceof Observer)) throw new ArgumentError(op, `qconfig.${what}() must return an Observer or a FakeQuantize`);
    if (isFq !== fakeQuant) {
      throw new ArgumentError(
        op,
        fakeQuant
          ? `quantization-aware training needs FakeQuantize modules, but qconfig.${what}() returned an observer (use getDefaultQatQConfig())`
          : `post-training quantization needs observers, but qconfig.${what}() returned a FakeQuantize (use getDefaultQConfig(), or prepareQat for QAT)`,
      );
    }
    const obs = observerOf(m);
    if (what === 'weight' && obs.dtype !== 'int8') throw new DTypeError(op, `weights are quantized to int8; qconfig.weight() observes ${obs.dtype}`);
    if (what === 'activation' && obs.chAxis !== undefined)
      throw new ArgumentError(op, 'activations are quantized per tensor; qconfig.activation() is per channel');
    m.dispose();
  }
  return q;
}
