// prepare / prepareQat: attach observers (post-training) or FakeQuantize modules (QAT) to every
// quantizable layer, and observedLayers(model), the one place convert reads what they learned.
//
// Representation (what convert relies on): each prepared layer keeps its class and identity (a
// Linear stays that Linear, so user code and optimizers keep working) and gains child modules
//   inputObserver          (key input_observer)           observes / fake-quantizes its input
//   activationPostProcess  (key activation_post_process)  its output, after a fused ReLU (PyTorch's name)
//   weightFakeQuant        (key weight_fake_quant)         QAT only: fake-quantizes the weight
// and an instance `forward` that runs them around the layer's own forward. observedLayers(model)
// lists them as ObservedLayer records; for post-training quantization the weight observer is made
// from the qconfig and fed the current weight there.
import { Conv2d, Linear, Module } from '@aimodel/nn';
import { ArgumentError, type Tensor } from '@aimodel/tensor';
import type { FakeQuantize } from './fake-quantize';
import { ConvReLU2d, findSubmodule, LinearReLU } from './fuse';
import type { Observer } from './observer-base';
import { checkQConfig, getDefaultQatQConfig, getDefaultQConfig, type QConfig } from './qconfig';

/**
 * A qconfig per module name (dotted, as `namedModules()`; `''` is the whole model): a module uses
 * the entry of its nearest named ancestor (or itself); `null` leaves that part in float.
 * @example
 * ```ts
 * const mapping: QConfigMapping = { '': getDefaultQConfig(), classifier: null };
 * ```
 */
export type QConfigMapping = Record<string, QConfig | null>;

/** Layers with quantized versions (QuantizedLinear / QuantizedConv2d, ReLU fused). */
type Quantizable = Linear | Conv2d | LinearReLU | ConvReLU2d;

/**
 * One prepared layer, as {@link observedLayers} reports it: where it is, the float layer holding
 * weight and bias, whether a ReLU is fused, and the modules that watched it.
 * @example
 * ```ts
 * const model = prepare(new Sequential(new Linear(4, 2)), getDefaultQConfig());
 * const [layer]: ObservedLayer[] = observedLayers(model);
 * layer.name; // '0'
 * ```
 */
export interface ObservedLayer {
  /** Dotted name in the model ('' when the model itself is the layer). */
  name: string;
  /** The prepared module (a Linear, Conv2d, LinearReLU or ConvReLU2d). */
  module: Quantizable;
  /** The float layer with `weight` and `bias` (the module itself, or child `0` of a fused one). */
  layer: Linear | Conv2d;
  /** 'linear' or 'conv2d'. */
  kind: 'linear' | 'conv2d';
  /** Whether a ReLU follows inside the module (quantize the output with qmin at the zero point). */
  relu: boolean;
  /** Whether this is quantization-aware training (FakeQuantize modules) rather than observers. */
  qat: boolean;
  /** The qconfig it was prepared with. */
  qconfig: QConfig;
  /** Input activation observer (PTQ) or FakeQuantize (QAT); `.qparams()` gives the input's parameters. */
  input: Observer | FakeQuantize;
  /** Output activation observer or FakeQuantize. */
  output: Observer | FakeQuantize;
  /** Weight observer (PTQ: new, fed the current weight) or the training FakeQuantize (QAT). */
  weight: Observer | FakeQuantize;
}

interface PreparedState {
  qconfig: QConfig;
  qat: boolean;
  floatForward: (x: Tensor) => Tensor;
}

const STATE = new WeakMap<Module, PreparedState>();

function isQuantizable(m: Module): m is Quantizable {
  return m instanceof Linear || m instanceof Conv2d || m instanceof LinearReLU || m instanceof ConvReLU2d;
}

function floatLayer(m: Quantizable): Linear | Conv2d {
  return m instanceof LinearReLU ? m.linear : m instanceof ConvReLU2d ? m.conv : m;
}

/** The qconfig of each module name from a mapping: nearest named ancestor wins. */
function qconfigFor(name: string, mapping: QConfigMapping): QConfig | null | undefined {
  for (let n = name; ; n = n.includes('.') ? n.slice(0, n.lastIndexOf('.')) : '') {
    if (n in mapping) return mapping[n];
    if (n === '') return undefined;
  }
}

type Attached = Module & { inputObserver?: Observer | FakeQuantize; activationPostProcess?: Observer | FakeQuantize; weightFakeQuant?: FakeQuantize };

function attach(op: string, model: Module, qconfigOrMapping: QConfig | QConfigMapping, qat: boolean): void {
  if (!(model instanceof Module)) throw new ArgumentError(op, 'expected a Module as the model');
  if (!qconfigOrMapping || typeof qconfigOrMapping !== 'object') throw new ArgumentError(op, 'expected a QConfig or a { moduleName: QConfig | null } mapping');
  const isQConfig = 'activation' in qconfigOrMapping || 'weight' in qconfigOrMapping;
  const mapping: QConfigMapping = isQConfig ? { '': qconfigOrMapping as QConfig } : (qconfigOrMapping as QConfigMapping);
  for (const [name, q] of Object.entries(mapping)) {
    const target = name === '' ? model : findSubmodule(op, model, name);
    if (q !== null) checkQConfig(op, q, qat);
    if (q !== null && !isQuantizable(target) && target.children().length === 0) {
      throw new ArgumentError(
        op,
        `'${name}' (${target.constructor.name}) has no quantized version: only Linear, Conv2d and their fused forms (LinearReLU, ConvReLU2d) are quantized; fuse a BatchNorm/ReLU into the layer before it with fuseModules, or map '${name}' to null`,
      );
    }
  }
  const targets: [string, Quantizable, QConfig][] = [];
  const inside = new Set<Module>();
  for (const [name, m] of model.namedModules()) {
    if (inside.has(m)) continue;
    if (STATE.has(m)) throw new ArgumentError(op, `'${name || 'model'}' is already prepared`);
    if (!isQuantizable(m)) continue;
    if (m instanceof LinearReLU || m instanceof ConvReLU2d) for (const c of m.children()) inside.add(c);
    const q = qconfigFor(name, mapping);
    if (q) targets.push([name, m, q]);
  }
  if (targets.length === 0) throw new ArgumentError(op, 'the model has no Linear or Conv2d layer to quantize under this qconfig');
  for (const [, m, qconfig] of targets) {
    const host = m as Attached;
    const layer = floatLayer(m);
    // a fused layer is a Sequential, whose own forward runs every child — the observers attached
    // below too — so it runs just its layer and ReLU
    const floatForward =
      m instanceof LinearReLU || m instanceof ConvReLU2d
        ? (x: Tensor): Tensor => m.at(1).call(layer.call(x)) as Tensor
        : (m.forward.bind(m) as (x: Tensor) => Tensor);
    host.inputObserver = qconfig.activation();
    host.activationPostProcess = qconfig.activation();
    if (qat) host.weightFakeQuant = qconfig.weight() as FakeQuantize;
    STATE.set(m, { qconfig, qat, floatForward });
    host.forward = (x: Tensor): Tensor => {
      const input = (host.inputObserver as Module).forward(x) as Tensor;
      let y: Tensor;
      if (host.weightFakeQuant) {
        const w = layer.weight;
        const wq = host.weightFakeQuant.forward(w);
        // the layer's own forward with the fake-quantized weight (gradients reach w straight through)
        (layer as { weight: Tensor }).weight = wq;
        try {
          y = floatForward(input);
        } finally {
          (layer as { weight: Tensor }).weight = w;
        }
      } else {
        y = floatForward(input);
      }
      return (host.activationPostProcess as Module).forward(y) as Tensor;
    };
  }
}

/**
 * Prepare a float model for post-training static quantization, as
 * `torch.ao.quantization.prepare`: every Linear, Conv2d, LinearReLU and ConvReLU2d gets
 * activation observers on its input and output (from `qconfig.activation`); run calibration
 * batches through `model.forward` afterwards, then `convert(model)`. Changes the model in place
 * (layers keep their identity) and returns it. Fuse Conv/Linear with BatchNorm/ReLU first
 * ({@link fuseModules}). A mapping `{ name: QConfig | null }` chooses per part of the model.
 * @param model the float model (usually in eval mode)
 * @param qconfig a QConfig (default {@link getDefaultQConfig}) or a mapping
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2)).eval();
 * prepare(model, getDefaultQConfig());
 * model.forward(randn([16, 4])); // calibration: observers record ranges
 * observedLayers(model).length; // 2
 * ```
 */
export function prepare<M extends Module>(model: M, qconfig: QConfig | QConfigMapping = getDefaultQConfig()): M {
  attach('prepare', model, qconfig, false);
  return model;
}

/**
 * Prepare a model for quantization-aware training, as `torch.ao.quantization.prepare_qat`: every
 * quantizable layer fake-quantizes its input, its weight and its output with FakeQuantize modules
 * from `qconfig` (default {@link getDefaultQatQConfig}); train as usual (e.g. with `fit`), then
 * `convert(model.eval())`. The model must be in training mode. In place; returns the model.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * prepareQat(model);
 * const loss = model.forward(randn([16, 4])).pow(2).mean();
 * loss.backward(); // straight-through gradients reach the float weights
 * ```
 */
export function prepareQat<M extends Module>(model: M, qconfig: QConfig | QConfigMapping = getDefaultQatQConfig()): M {
  if (model instanceof Module && !model.training) {
    throw new ArgumentError('prepareQat', 'quantization-aware training needs the model in training mode (call model.train() first)');
  }
  attach('prepareQat', model, qconfig, true);
  return model;
}

/**
 * The prepared layers of `model` with their observers, in module order: what `convert` reads. For
 * post-training quantization each record's `weight` is a new observer from the qconfig that has
 * just observed the layer's current weight (the caller owns it: `dispose()` it when done); for QAT
 * it is the layer's weight FakeQuantize (owned by the layer).
 * @example
 * ```ts
 * const model = prepare(new Sequential(new Linear(4, 2)), getDefaultQConfig());
 * model.forward(randn([8, 4]));
 * const [l] = observedLayers(model);
 * l.input.qparams().dtype; // 'uint8'
 * l.weight.qparams().axis; // 0: per output channel
 * ```
 */
export function observedLayers(model: Module): ObservedLayer[] {
  if (!(model instanceof Module)) throw new ArgumentError('observedLayers', 'expected a Module');
  const out: ObservedLayer[] = [];
  for (const [name, m] of model.namedModules()) {
    const state = STATE.get(m);
    if (!state || !isQuantizable(m)) continue;
    const host = m as Attached;
    const layer = floatLayer(m);
    let weight: Observer | FakeQuantize;
    if (state.qat) weight = host.weightFakeQuant as FakeQuantize;
    else {
      weight = state.qconfig.weight();
      weight.forward(layer.weight);
    }
    out.push({
      name,
      module: m,
      layer,
      kind: layer instanceof Linear ? 'linear' : 'conv2d',
      relu: m instanceof LinearReLU || m instanceof ConvReLU2d,
      qat: state.qat,
      qconfig: state.qconfig,
      input: host.inputObserver as Observer | FakeQuantize,
      output: host.activationPostProcess as Observer | FakeQuantize,
      weight,
    });
  }
  return out;
}

/**
 * Undo {@link prepare}/{@link prepareQat} on one layer: its own forward again, observers removed
 * (used by `convert` after reading them). @internal
 */
export function unprepare(m: Module): void {
  const state = STATE.get(m);
  if (!state) return;
  const host = m as Attached;
  for (const k of ['inputObserver', 'activationPostProcess', 'weightFakeQuant'] as const) {
    host[k]?.dispose();
    delete host[k];
  }
  delete (host as { forward?: unknown }).forward;
  STATE.delete(m);
}
