// convert: the last step of static quantization (prepare → calibrate → convert) and of QAT
// (prepareQat → train → convert), as torch.ao.quantization.convert: each prepared layer becomes a
// QuantizedLinear / QuantizedConv2d built from what its observers saw.
import type { Module } from '@aimodel/nn';
import { ArgumentError } from '@aimodel/tensor';
import type { QParams } from './arith';
import type { FakeQuantize } from './fake-quantize';
import { setSubmodule } from './fuse';
import type { Observer } from './observer-base';
import { type ObservedLayer, observedLayers, unprepare } from './prepare';
import { QuantizedConv2d } from './quantized-conv';
import { QuantizedLinear } from './quantized-linear';
import type { ActivationQParams } from './quantized-ops';
import { DynamicQuantizedLinear } from './dynamic';
import { linkQuantizedLayers } from './quantized-chain';

/** An activation observer's per-tensor parameters as a quantized layer takes them. */
function activation(op: string, layer: ObservedLayer, what: 'input' | 'output', watcher: Observer | FakeQuantize): ActivationQParams {
  const q: QParams = watcher.qparams();
  if (typeof q.scale !== 'number' || typeof q.zeroPoint !== 'number') {
    throw new ArgumentError(
      op,
      `'${layer.name}': the ${what} observer gives per-channel parameters; activations are quantized per tensor (use a per-tensor activation observer in the qconfig)`,
    );
  }
  return { scale: q.scale, zeroPoint: q.zeroPoint, dtype: q.dtype };
}

/**
 * Replace every prepared layer of `model` by its int8 version, as
 * `torch.ao.quantization.convert`: Linear → {@link QuantizedLinear}, Conv2d →
 * {@link QuantizedConv2d} (LinearReLU / ConvReLU2d with the ReLU fused), with the weight
 * quantized by the weight observer (per-channel symmetric int8 with the default qconfig) and the
 * input/output scale and zero point from the activation observers (or, after
 * {@link prepareQat}, from the FakeQuantize modules trained with the model). Every layer's
 * parameters are computed before anything changes: an uncalibrated observer is a
 * `CalibrationError` and the model stays prepared. In place; returns the model. The prepared model
 * must be on the CPU (move the result with `await model.to('webgpu')`); the float layers that are
 * replaced are disposed.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2)).eval();
 * prepare(model, getDefaultQConfig());
 * model.forward(randn([64, 4])); // calibration batch(es)
 * convert(model);
 * model.at(0).constructor.name; // 'QuantizedLinear'
 * model.forward(randn([2, 4])).shape; // [2, 2]: float in, float out, int8 inside
 * ```
 */
export function convert<M extends Module>(model: M): M {
  const op = 'convert';
  const layers = observedLayers(model);
  if (!layers.length) {
    const quantized = model.namedModules().some(([, m]) => m instanceof QuantizedLinear || m instanceof QuantizedConv2d || m instanceof DynamicQuantizedLinear);
    throw new ArgumentError(
      op,
      quantized
        ? 'the model is already converted (it holds quantized layers and no prepared ones); convert runs once, after prepare and calibration'
        : 'nothing to convert: prepare the model first (prepare(model, qconfig) and calibration batches, or prepareQat(model) and training), then convert(model)',
    );
  }
  if (layers.some((l) => l.name === '')) {
    throw new ArgumentError(
      op,
      `the model is itself a prepared ${layers[0].module.constructor.name}: wrap the layer in a container (new Sequential(layer)) before prepare`,
    );
  }
  const built: [ObservedLayer, Module][] = [];
  try {
    for (const l of layers) {
      const q = { weight: l.weight.qparams(), input: activation(op, l, 'input', l.input), output: activation(op, l, 'output', l.output), relu: l.relu };
      built.push([l, l.kind === 'linear' ? QuantizedLinear.fromFloat(l.layer as never, q) : QuantizedConv2d.fromFloat(l.layer as never, q)]);
    }
  } catch (e) {
    for (const [, m] of built) m.dispose();
    throw e;
  } finally {
    for (const l of layers) if (!l.qat) l.weight.dispose(); // observedLayers made these weight observers for us
  }
  for (const [l, quantized] of built) {
    setSubmodule(op, model, l.name, quantized);
    unprepare(l.module);
    l.module.dispose();
  }
  linkQuantizedLayers(model);
  return model;
}
