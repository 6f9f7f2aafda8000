// Quantized models as safetensors: int8 weights (I8), float32 scales and biases (F32), int32 zero
// points (I32), the float layers' tensors as they are, and in `__metadata__` the format marker and
// one JSON description per quantized layer (type, geometry, activation qparams), from which
// loadQuantized rebuilds the layers in a float model of the same architecture.
import { Conv2d, Linear, Module } from '@aimodel/nn';
import { ArgumentError, DeviceError, DTypeError, loadSafetensors, noGrad, ShapeError, saveSafetensors, scope, type Tensor } from '@aimodel/tensor';
import { childField } from './convert-modules';
import { DynamicQuantizedLinear } from './dynamic';
import { QuantizedConv2d } from './quantized-conv';
import { QuantizedLinear } from './quantized-linear';
import { linkQuantizedLayers } from './quantized-chain';
import type { ActivationQParams } from './quantized-ops';

/** The `format` metadata value that marks a quantized model file. */
const FORMAT = 'aimodel-quantized';
const VERSION = '1';

type Pair = [number, number];
/**
 * One quantized layer in the metadata. Sizes come from the weight's shape; settings at their
 * defaults (stride [1, 1], padding [0, 0], dilation [1, 1], groups 1, relu false) are left out,
 * which keeps small models' files small.
 */
type LayerEntry =
  | { type: 'QuantizedLinear'; input: ActivationQParams; output: ActivationQParams; relu?: boolean }
  | {
      type: 'QuantizedConv2d';
      input: ActivationQParams;
      output: ActivationQParams;
      relu?: boolean;
      stride?: Pair;
      padding?: Pair;
      dilation?: Pair;
      groups?: number;
    }
  | { type: 'DynamicQuantizedLinear'; reduceRange: boolean };

type QuantizedModule = QuantizedLinear | QuantizedConv2d | DynamicQuantizedLinear;
const isQuantized = (m: Module): m is QuantizedModule => m instanceof QuantizedLinear || m instanceof QuantizedConv2d || m instanceof DynamicQuantizedLinear;

/** The tensors a quantized layer stores (state-dict suffixes). */
const LAYER_TENSORS = ['weight', 'bias', 'weight_scale', 'weight_zero_point'] as const;

/** The shortest decimal that reads back as the same float32 (0.05, not 0.05000000074505806). */
function shortFloat32(v: number): number {
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

const shortQParams = (q: ActivationQParams): ActivationQParams => ({ ...q, scale: shortFloat32(q.scale) });

function describe(m: QuantizedModule): LayerEntry {
  if (m instanceof DynamicQuantizedLinear) return { type: 'DynamicQuantizedLinear', reduceRange: m.reduceRange };
  const q = { input: shortQParams(m.inputQParams), output: shortQParams(m.outputQParams), ...(m.relu ? { relu: true } : {}) };
  if (m instanceof QuantizedLinear) return { type: 'QuantizedLinear', ...q };
  const entry: LayerEntry = { type: 'QuantizedConv2d', ...q };
  const differs = (p: Pair, d: number) => p[0] !== d || p[1] !== d;
  if (differs(m.stride, 1)) entry.stride = m.stride;
  if (differs(m.padding, 0)) entry.padding = m.padding;
  if (differs(m.dilation, 1)) entry.dilation = m.dilation;
  if (m.groups !== 1) entry.groups = m.groups;
  return entry;
}

/**
 * Serialize a model with quantized layers (after {@link convert} or {@link quantizeDynamic}) as
 * safetensors bytes: each quantized layer's int8 `weight` (I8), `weight_scale` (F32),
 * `weight_zero_point` (I32) and float `bias`, the float layers' parameters and buffers, and the
 * layers' descriptions in the metadata. About a quarter of the float file: int8 weights take one
 * byte where float32 takes four. Load it with {@link loadQuantized}.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(16, 8), new ReLU(), new Linear(8, 2));
 * quantizeDynamic(model);
 * const bytes = await saveQuantized(model); // e.g. writeFileSync('model.int8.safetensors', bytes)
 * ```
 */
export async function saveQuantized(model: Module, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const op = 'saveQuantized';
  if (!(model instanceof Module)) throw new ArgumentError(op, `expected a Module, got ${model === null ? 'null' : typeof model}`);
  if (isQuantized(model))
    throw new ArgumentError(op, `the model is itself a ${model.constructor.name}: wrap it in a container (new Sequential(layer)) to save it`);
  const layers: Record<string, LayerEntry> = {};
  const tensors: Record<string, Tensor> = {};
  const covered: string[] = [];
  for (const [path, m] of model.namedModules()) {
    if (!path || covered.some((p) => path.startsWith(`${p}.`)) || !isQuantized(m)) continue;
    covered.push(path);
    layers[path] = describe(m);
    const own = m.stateDict();
    for (const k of LAYER_TENSORS) if (own[k]) tensors[`${path}.${k}`] = own[k];
    if (m.weightQScheme.endsWith('symmetric')) delete tensors[`${path}.weight_zero_point`]; // all 0: not stored
  }
  if (!covered.length)
    throw new ArgumentError(
      op,
      'the model has no quantized layers: save a float model with saveWeights, or quantize it first (prepare → calibrate → convert, or quantizeDynamic)',
    );
  for (const [k, t] of Object.entries(model.stateDict())) if (!covered.some((p) => k.startsWith(`${p}.`))) tensors[k] = t;
  for (const k of ['format', 'version', 'layers']) if (k in metadata) throw new ArgumentError(op, `metadata key '${k}' is reserved`);
  return saveSafetensors(tensors, { ...metadata, format: FORMAT, version: VERSION, layers: JSON.stringify(layers) });
}

/** The `__metadata__` of a safetensors file (empty when absent), or an error for an unreadable header. */
function readMetadata(op: string, bytes: Uint8Array): Record<string, string> {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(op, 'expected the file as a Uint8Array');
  const fail = (why: string) => new ArgumentError(op, `not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw fail(`only ${bytes.length} bytes`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (n > bytes.length - 8) throw fail(`header length ${n} exceeds the file size ${bytes.length}`);
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const meta = header?.__metadata__;
    return meta && typeof meta === 'object' ? meta : {};
  } catch {
    throw fail('the header is not JSON');
  }
}

/** Whether safetensors bytes were written by {@link saveQuantized}. @internal */
export function isQuantizedFile(bytes: Uint8Array): boolean {
  try {
    return readMetadata('isQuantizedFile', bytes).format === FORMAT;
  } catch {
    return false;
  }
}

function host(op: string, dict: Record<string, Tensor>, key: string, dtype: 'int8' | 'float32' | 'int32', required = true): ArrayLike<number> | null {
  const t = dict[key];
  if (!t) {
    if (required) throw new ArgumentError(op, `the file lacks '${key}'`);
    return null;
  }
  if (t.dtype !== dtype) throw new DTypeError(op, `'${key}' is ${t.dtype} in the file, expected ${dtype}`);
  return t.dataSync();
}

/** Build the quantized layer of `entry` from the file's tensors, checking it fits `current`. */
function rebuild(op: string, path: string, entry: LayerEntry, current: Module, dict: Record<string, Tensor>): QuantizedModule {
  const mismatch = (what: string) =>
    new ShapeError(
      op,
      `the file's ${entry.type} '${path}' does not fit the model's ${current.constructor.name} there (${what}): load into the same architecture`,
    );
  const get = (k: string, dtype: 'int8' | 'float32' | 'int32', required = true) => host(op, dict, `${path}.${k}`, dtype, required);
  const scales = (a: ArrayLike<number>) => (dict[`${path}.weight_scale`].ndim === 0 ? a[0] : a);
  const weight = { weight: Int8Array.from(get('weight', 'int8') as ArrayLike<number>), bias: get('bias', 'float32', false) };
  const zeroPoints = get('weight_zero_point', 'int32', false); // absent for symmetric weights (all 0)
  const qparams = { weightScale: scales(get('weight_scale', 'float32')!), weightZeroPoint: zeroPoints ? scales(zeroPoints) : 0 };
  const shape = dict[`${path}.weight`].shape;
  if (entry.type === 'QuantizedConv2d') {
    if (!(current instanceof Conv2d || current instanceof QuantizedConv2d)) throw mismatch('not a Conv2d');
    const groups = entry.groups ?? 1;
    if (shape.length !== 4) throw new ShapeError(op, `'${path}.weight' must be 4-D for a QuantizedConv2d, got [${shape}]`);
    const [outChannels, inPerGroup, kh, kw] = shape;
    if (current.inChannels !== inPerGroup * groups || current.outChannels !== outChannels || current.kernelSize.join() !== `${kh},${kw}`) {
      throw mismatch(
        `file: ${inPerGroup * groups} → ${outChannels} channels, kernel [${kh}, ${kw}]; model: ${current.inChannels} → ${current.outChannels}, kernel [${current.kernelSize}]`,
      );
    }
    const { input, output, relu, stride, padding, dilation } = entry;
    return new QuantizedConv2d(current.inChannels, outChannels, [kh, kw], { ...weight, ...qparams, input, output, relu, stride, padding, dilation, groups });
  }
  if (!(current instanceof Linear || current instanceof QuantizedLinear || current instanceof DynamicQuantizedLinear)) throw mismatch('not a Linear');
  if (shape.length !== 2) throw new ShapeError(op, `'${path}.weight' must be 2-D for a ${entry.type}, got [${shape}]`);
  const [outFeatures, inFeatures] = shape;
  if (current.inFeatures !== inFeatures || current.outFeatures !== outFeatures) {
    throw mismatch(`file: ${inFeatures} → ${outFeatures} features; model: ${current.inFeatures} → ${current.outFeatures}`);
  }
  if (entry.type === 'QuantizedLinear')
    return new QuantizedLinear(inFeatures, outFeatures, { ...weight, ...qparams, input: entry.input, output: entry.output, relu: entry.relu });
  return new DynamicQuantizedLinear(inFeatures, outFeatures, { ...weight, ...qparams, reduceRange: entry.reduceRange });
}

function parentOf(model: Module, path: string): { parent: Module; field: string } {
  const parts = path.split('.');
  let parent = model;
  for (const key of parts.slice(0, -1)) {
    const f = childField(parent, key);
    parent = (parent as unknown as Record<string, Module>)[f!];
  }
  return { parent, field: childField(parent, parts.at(-1)!)! };
}

/**
 * Load a file written by {@link saveQuantized} into `model`, a model of the same architecture
 * (freshly built float, or already quantized): the layers the file lists are replaced by their
 * quantized versions rebuilt from it, the other layers get the file's float tensors. Everything is
 * checked before the model is touched: a file that does not fit, or is corrupt, loads nothing
 * and throws. A float file (from `saveWeights`) throws an error saying to use `loadWeights`.
 * The model must be on the CPU (move it afterwards with `await model.to('webgpu')`). Returns `model`.
 * @example
 * ```ts
 * const build = () => new Sequential(new Linear(16, 8), new ReLU(), new Linear(8, 2));
 * const bytes = await saveQuantized(quantizeDynamic(build()) as Sequential);
 * const model = loadQuantized(build(), bytes);
 * model.at(0).constructor.name; // 'DynamicQuantizedLinear'
 * ```
 */
export function loadQuantized<M extends Module>(model: M, bytes: Uint8Array): M {
  const op = 'loadQuantized';
  if (!(model instanceof Module)) throw new ArgumentError(op, `expected a Module, got ${model === null ? 'null' : typeof model}`);
  const meta = readMetadata(op, bytes);
  if (meta.format !== FORMAT) {
    throw new ArgumentError(
      op,
      'this file holds float weights (no quantization metadata): load it with loadWeights(model, bytes), then quantize the model (prepare → calibrate → convert, or quantizeDynamic)',
    );
  }
  if (meta.version !== VERSION)
    throw new ArgumentError(op, `unsupported quantized file version ${JSON.stringify(meta.version)} (this library reads ${VERSION})`);
  let layers: Record<string, LayerEntry>;
  try {
    layers = JSON.parse(meta.layers);
    if (!layers || typeof layers !== 'object' || Array.isArray(layers)) throw new Error();
  } catch {
    throw new ArgumentError(op, 'not a valid quantized file: the layers metadata is not a JSON object');
  }
  const device = Object.values(model.stateDict()).find((t) => t.device !== 'cpu')?.device;
  if (device) throw new DeviceError(op, `the model is on ${device}: load into a CPU model, then move it (await model.to('${device}'))`);
  const dict = scope(() => loadSafetensors(bytes, { device: 'cpu' })); // a failure frees what was read
  const built: [string, QuantizedModule][] = [];
  try {
    const modules = new Map(model.namedModules());
    const paths = Object.keys(layers);
    for (const path of paths) {
      const current = modules.get(path);
      if (!path || !current)
        throw new ArgumentError(op, `the file's quantized layer '${path}' has no counterpart in the model: load into the same architecture`);
      built.push([path, rebuild(op, path, layers[path], current, dict)]);
    }
    // the float part: exactly the model's other tensors, same shapes
    const under = (k: string) => paths.some((p) => k.startsWith(`${p}.`));
    const own = Object.fromEntries(Object.entries(model.stateDict()).filter(([k]) => !under(k)));
    const rest = Object.fromEntries(Object.entries(dict).filter(([k]) => !under(k)));
    const missing = Object.keys(own).filter((k) => !(k in rest));
    const unexpected = Object.keys(rest).filter((k) => !(k in own));
    if (missing.length || unexpected.length) {
      throw new ArgumentError(op, `the file's float tensors do not match the model: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
    for (const [k, t] of Object.entries(own)) {
      if (rest[k].shape.join() !== t.shape.join()) throw new ShapeError(op, `'${k}' has shape [${rest[k].shape}] in the file but [${t.shape}] in the model`);
    }
    // nothing above touched the model; now swap the layers and copy the float tensors
    for (const [path, m] of built) {
      const { parent, field } = parentOf(model, path);
      const old = (parent as unknown as Record<string, Module>)[field];
      (parent as unknown as Record<string, Module>)[field] = m;
      old.dispose();
    }
    noGrad(() => scope(() => Object.entries(own).forEach(([k, t]) => t.assign(rest[k].dtype === t.dtype ? rest[k] : rest[k].to(t.dtype)))));
    built.length = 0;
    linkQuantizedLayers(model); // int8 between the layers, as convert leaves them
    return model;
  } finally {
    for (const [, m] of built) m.dispose();
    for (const t of Object.values(dict)) t.dispose();
  }
}
