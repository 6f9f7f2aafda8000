// What a model costs: parameters, non-zeros and bytes as stored (modelSize), and the fraction of
// zeros per parameter (sparsity). Pruned parameters count by their effective value, orig · mask.
import { checkOptions, type DType, type Module, Parameter, stateKey, Tensor } from '@aimodel/nn';
import { prunedEntries } from './prune/state';

/** One tensor of a module as the reports see it. */
interface Stored {
  module: string;
  type: string;
  /** State-dict key; for a pruned parameter, its own name (`0.weight`), not `_orig`. */
  name: string;
  tensor: Tensor;
  /** Counted as a parameter: Parameters and int8/uint8 buffers (quantized weights); not masks or running statistics. */
  isParameter: boolean;
  /** Host values (orig · mask for a pruned parameter). */
  values: () => Promise<ArrayLike<number>>;
}

function storedTensors(model: Module): Stored[] {
  const keys = new Set(Object.keys(model.stateDict()));
  const out: Stored[] = [];
  for (const [prefix, m] of model.namedModules()) {
    const entries = [...prunedEntries(m).values()];
    const masks = new Set(entries.map((e) => e.maskField));
    for (const [field, v] of Object.entries(m as unknown as Record<string, unknown>)) {
      if (field.startsWith('_') || !(v instanceof Tensor)) continue;
      const t = v;
      const key = prefix ? `${prefix}.${stateKey(field)}` : stateKey(field);
      if (!keys.has(key)) continue;
      const pruned = entries.find((e) => e.origField === field);
      const mask = pruned ? ((m as unknown as Record<string, Tensor>)[pruned.maskField] as Tensor) : null;
      out.push({
        module: prefix,
        type: m.constructor.name,
        name: pruned ? (prefix ? `${prefix}.${stateKey(pruned.field)}` : stateKey(pruned.field)) : key,
        tensor: t,
        isParameter: !masks.has(field) && (t instanceof Parameter || t.dtype === 'int8' || t.dtype === 'uint8'),
        values: async () => {
          const [a, b] = await Promise.all([t.data(), mask ? mask.data() : null]);
          return b ? a.map((x, i) => x * b[i]) : a;
        },
      });
    }
  }
  return out;
}

function countZeros(values: ArrayLike<number>): number {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros;
}

/** Rows under a header, with rules: the first `left` columns (text) left-aligned, the numbers right-aligned. */
function table(header: string[], rows: string[][], footer: string[], left: number): string {
  const all = [header, ...rows, footer];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((s, c) => (c < left ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  const rule = '='.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [rule, line(header), rule, ...rows.map(line), rule, line(footer)].join('\n');
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const int = (x: number) => x.toLocaleString('en-US');

/**
 * Zeros of one parameter (see {@link sparsity}).
 * @example
 * ```ts
 * const fc = l1Unstructured(new Linear(4, 2), 'weight', 0.5);
 * const [w] = (await sparsity(fc)).parameters; // { name: 'weight', shape: [2, 4], elements: 8, zeros: 4, sparsity: 0.5 }
 * ```
 */
export interface ParameterSparsity {
  name: string;
  shape: number[];
  elements: number;
  zeros: number;
  /** zeros / elements (0 for an empty parameter). */
  sparsity: number;
}

/**
 * What {@link sparsity} reports: each parameter, and the totals; `toString()` prints a table.
 * @example
 * ```ts
 * const report = await sparsity(new Linear(4, 2));
 * report.sparsity; // 0
 * ```
 */
export interface SparsityReport {
  parameters: ParameterSparsity[];
  elements: number;
  zeros: number;
  sparsity: number;
  toString(): string;
}

/**
 * Options of {@link sparsity}.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 4), new ReLU(), new Linear(4, 2));
 * const weights = await sparsity(model, { weightsOnly: true }); // 0.weight, 2.weight
 * ```
 */
export interface SparsityOptions {
  /** Only parameters named `weight` (or ending in `.weight`), as pruning usually targets (default false). */
  weightsOnly?: boolean;
}

/**
 * The fraction of exact zeros in each parameter of `model` (pruned ones by their effective value
 * orig · mask, under their own name) and over all of them, as the PyTorch pruning tutorial
 * computes it: 100 · (w == 0).sum() / w.numel(). Reads the values (async, any device).
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 4), new ReLU(), new Linear(4, 2));
 * globalUnstructured([[model.at(0), 'weight'], [model.at(2), 'weight']], { amount: 0.5 });
 * const report = await sparsity(model, { weightsOnly: true });
 * report.sparsity; // 0.5
 * console.log(String(report));
 * ```
 */
export async function sparsity(model: Module, opts: SparsityOptions = {}): Promise<SparsityReport> {
  checkOptions('sparsity', opts, ['weightsOnly']);
  const params = storedTensors(model).filter((s) => s.isParameter && (!opts.weightsOnly || /(^|\.)weight$/.test(s.name)));
  const parameters = await Promise.all(
    params.map(async (s) => {
      const zeros = countZeros(await s.values());
      const elements = s.tensor.numel();
      return { name: s.name, shape: [...s.tensor.shape], elements, zeros, sparsity: elements ? zeros / elements : 0 };
    }),
  );
  const elements = parameters.reduce((a, p) => a + p.elements, 0);
  const zeros = parameters.reduce((a, p) => a + p.zeros, 0);
  const total = elements ? zeros / elements : 0;
  return {
    parameters,
    elements,
    zeros,
    sparsity: total,
    toString: () =>
      table(
        ['Parameter', 'Shape', 'Elements', 'Zeros', 'Sparsity'],
        parameters.map((p) => [p.name, `[${p.shape.join(', ')}]`, int(p.elements), int(p.zeros), pct(p.sparsity)]),
        ['Total', '', int(elements), int(zeros), pct(total)],
        2,
      ),
  };
}

/**
 * One module's share of {@link modelSize}.
 * @example
 * ```ts
 * const [layer] = (await modelSize(new Linear(4, 2))).layers; // { name: '', type: 'Linear', parameters: 10, bytes: 40, … }
 * ```
 */
export interface LayerSize {
  /** The module's dotted name ('' for the model itself). */
  name: string;
  type: string;
  /** Dtypes of its stored tensors, e.g. ['float32'] or ['int8', 'float32']. */
  dtypes: DType[];
  parameters: number;
  nonZeros: number;
  /** 1 − nonZeros / parameters. */
  sparsity: number;
  /** Bytes of every tensor it stores (parameters, buffers, masks), at its dtype's size. */
  bytes: number;
}

/**
 * What {@link modelSize} reports; `toString()` prints a table.
 * @example
 * ```ts
 * const size = await modelSize(new Linear(4, 2));
 * size.bytes; // 40
 * ```
 */
export interface ModelSizeReport {
  layers: LayerSize[];
  parameters: number;
  nonZeros: number;
  sparsity: number;
  bytes: number;
  toString(): string;
}

const BYTES: Record<DType, number> = { float32: 4, int32: 4, bool: 1, int8: 1, uint8: 1 };

/**
 * Parameters, non-zeros and bytes as stored, per module and in total: what a state dict of the
 * model holds (the safetensors file, without its header). Parameters are the Parameters and
 * int8/uint8 buffers (quantized weights), not masks or running statistics; bytes count every
 * stored tensor at its dtype's size (int8 1 byte an element, float32 4), so a pruned model's masks
 * count until {@link removePruning} drops them. Reads the values (async, any device).
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * const before = await modelSize(model);
 * before.parameters; // 58
 * before.bytes;      // 232
 * l1Unstructured(model.at(0), 'weight', 0.5);
 * const after = await modelSize(model);
 * after.nonZeros;    // 42
 * after.bytes;       // 360
 * console.log(String(after));
 * ```
 */
export async function modelSize(model: Module): Promise<ModelSizeReport> {
  const stored = storedTensors(model);
  const counted = await Promise.all(stored.map(async (s) => (s.isParameter ? s.tensor.numel() - countZeros(await s.values()) : 0)));
  const layers = new Map<string, LayerSize>();
  stored.forEach((s, i) => {
    const layer = layers.get(s.module) ?? { name: s.module, type: s.type, dtypes: [], parameters: 0, nonZeros: 0, sparsity: 0, bytes: 0 };
    if (!layer.dtypes.includes(s.tensor.dtype)) layer.dtypes.push(s.tensor.dtype);
    if (s.isParameter) {
      layer.parameters += s.tensor.numel();
      layer.nonZeros += counted[i];
    }
    layer.bytes += s.tensor.numel() * BYTES[s.tensor.dtype];
    layers.set(s.module, layer);
  });
  const list = [...layers.values()];
  for (const l of list) l.sparsity = l.parameters ? 1 - l.nonZeros / l.parameters : 0;
  const parameters = list.reduce((a, l) => a + l.parameters, 0);
  const nonZeros = list.reduce((a, l) => a + l.nonZeros, 0);
  const bytes = list.reduce((a, l) => a + l.bytes, 0);
  const total = parameters ? 1 - nonZeros / parameters : 0;
  return {
    layers: list,
    parameters,
    nonZeros,
    sparsity: total,
    bytes,
    toString: () =>
      table(
        ['Layer', 'Type', 'DType', 'Params', 'Non-zero', 'Sparsity', 'Bytes'],
        list.map((l) => [l.name || '(model)', l.type, l.dtypes.join('/'), int(l.parameters), int(l.nonZeros), pct(l.sparsity), int(l.bytes)]),
        ['Total', '', '', int(parameters), int(nonZeros), pct(total), int(bytes)],
        3,
      ),
  };
}
