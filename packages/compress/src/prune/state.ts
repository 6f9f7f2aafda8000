// The pruning state of a module, as PyTorch's torch.nn.utils.prune keeps it: the parameter moves
// (same object) to `<name>Orig` (state key `<name>_orig`), the mask is a buffer `<name>Mask`
// (`<name>_mask`), and `<name>` becomes a read-only accessor for orig · mask, recomputed by a
// forward pre-hook before every forward, so gradients reach orig only through the mask.
import { ArgumentError, keep, type Module, Parameter, type RemovableHandle, scope, stateKey, Tensor, tensor } from '@aimodel/nn';
import { readHost, scatterChannels, selectChannels } from './host';

/** How a pruning method relates to the entries already pruned (PyTorch's PRUNING_TYPE). */
export type PruningType = 'unstructured' | 'structured' | 'global';

/** A pruning method: PyTorch's BasePruningMethod.compute_mask on host values. */
export interface MaskMethod {
  /** The public function's name (kept per pruned tensor, in order). */
  name: string;
  type: PruningType;
  /** Structured methods: the dim whose slices are pruned (non-negative). */
  dim?: number;
  /** A new mask for `values` (shape `shape`) given the mask so far over the same entries. */
  computeMask(values: Float32Array, shape: number[], defaultMask: Float32Array): Float32Array;
}

interface Entry {
  field: string;
  origField: string;
  maskField: string;
  methods: string[];
  cached: Tensor | null;
}

/**
 * The fields a pruned parameter `N` adds to its module: `<N>Orig`, the parameter itself (state key
 * `<n>_orig`), and `<N>Mask`, the mask buffer (`<n>_mask`); `module[N]` is then orig · mask. The
 * pruning functions return their module typed with them.
 * @example
 * ```ts
 * const fc: Linear & Pruned<'weight'> = l1Unstructured(new Linear(2, 2), 'weight', 0.5);
 * fc.weightOrig.shape; // [2, 2]
 * fc.weightMask.sum(); // 2
 * ```
 */
export type Pruned<N extends string> = { [K in `${N}Orig`]: Parameter } & { [K in `${N}Mask`]: Tensor };

/** The pruned tensors of a module, and its one pre-hook that recomputes them all. */
interface ModuleState {
  entries: Map<string, Entry>;
  hook: RemovableHandle;
}

const states = new WeakMap<Module, ModuleState>();

type Fields = Record<string, unknown>;

/** @internal The pruned tensors of `module` by field name (empty when none). */
export function prunedEntries(module: Module): ReadonlyMap<string, Entry> {
  return states.get(module)?.entries ?? new Map();
}

/**
 * The field holding parameter `name` (its field name or its state-dict key, e.g. 'weight_ih_l0'),
 * whether pruned already or not; an unknown name is an ArgumentError listing the parameters.
 */
export function resolveParameter(op: string, module: Module, name: string): string {
  if (typeof name !== 'string') throw new ArgumentError(op, `expected a parameter name (string), got ${typeof name}`);
  for (const field of states.get(module)?.entries.keys() ?? []) if (field === name || stateKey(field) === name) return field;
  const own = Object.entries(module as unknown as Fields).filter(([k, v]) => !k.startsWith('_') && v instanceof Parameter);
  const hit = own.find(([k]) => k === name || stateKey(k) === name);
  if (!hit) {
    const names = own.map(([k]) => stateKey(k));
    throw new ArgumentError(op, `${module.constructor.name} has no parameter '${name}' (its parameters: ${names.join(', ') || 'none'})`);
  }
  return hit[0];
}

/** orig · mask as the module's `<field>` now (PyTorch's apply_mask); the previous one is freed. */
function recompute(module: Module, entry: Entry): Tensor {
  const m = module as unknown as Fields;
  const w = keep((m[entry.origField] as Tensor).mul(m[entry.maskField] as Tensor));
  entry.cached?.dispose();
  entry.cached = w;
  return w;
}

/** The host values of the current mask of `field` (ones when not pruned yet) and of the importance scores. */
export function hostState(op: string, module: Module, field: string): { orig: Tensor; mask: Float32Array | null } {
  const entry = states.get(module)?.entries.get(field);
  const m = module as unknown as Fields;
  if (!entry) return { orig: m[field] as Tensor, mask: null };
  return { orig: m[entry.origField] as Tensor, mask: readHost(op, m[entry.maskField] as Tensor) };
}

/**
 * The mask `method` gives over the entries still unpruned (PyTorch's PruningContainer._combine_masks):
 * unstructured methods see the unpruned entries as one flat list, structured ones the channels
 * along their dim that still have an unpruned entry, global ones everything.
 */
export function combineMasks(method: MaskMethod, values: Float32Array, shape: number[], mask: Float32Array): Float32Array {
  const out = Float32Array.from(mask);
  if (method.type === 'global') return method.computeMask(values, shape, mask);
  if (method.type === 'unstructured') {
    const idx: number[] = [];
    for (let i = 0; i < mask.length; i++) if (mask[i] === 1) idx.push(i);
    const part = method.computeMask(
      Float32Array.from(idx, (i) => values[i]),
      [idx.length],
      new Float32Array(idx.length).fill(1),
    );
    idx.forEach((i, j) => {
      out[i] = part[j];
    });
    return out;
  }
  const dim = method.dim as number;
  const channels: number[] = [];
  for (let c = 0; c < shape[dim]; c++) if (selectChannels(mask, shape, dim, [c]).some((v) => v !== 0)) channels.push(c);
  const partShape = shape.map((s, d) => (d === dim ? channels.length : s));
  const part = method.computeMask(selectChannels(values, shape, dim, channels), partShape, selectChannels(mask, shape, dim, channels));
  scatterChannels(out, shape, dim, channels, part);
  return out;
}

/**
 * Prune `field` of `module` with `method` (PyTorch's BasePruningMethod.apply): the new mask is the
 * method's over what is still unpruned, times the old one. `importance` (default: the original
 * weight's values) ranks the entries; `host` passes values already read (async callers).
 */
export function applyPruning(
  op: string,
  module: Module,
  field: string,
  method: MaskMethod,
  opts: { importance?: Tensor; host?: { importance: Float32Array; mask: Float32Array | null } } = {},
): void {
  const m = module as unknown as Fields;
  const entry = states.get(module)?.entries.get(field);
  const orig = (entry ? m[entry.origField] : m[field]) as Tensor;
  if (opts.importance !== undefined) {
    if (!(opts.importance instanceof Tensor) || opts.importance.shape.join() !== orig.shape.join()) {
      const got = opts.importance instanceof Tensor ? `[${opts.importance.shape}]` : typeof opts.importance;
      throw new ArgumentError(op, `importanceScores must be a tensor of the parameter's shape [${orig.shape}], got ${got}`);
    }
  }
  const values = opts.host?.importance ?? readHost(op, opts.importance ?? orig);
  const before = opts.host ? opts.host.mask : hostState(op, module, field).mask;
  const newMask = combineMasks(method, values, [...orig.shape], before ?? new Float32Array(orig.numel()).fill(1));
  const maskTensor = keep(scope(() => tensor(newMask, { device: orig.device }).reshape(orig.shape)));
  if (entry) {
    (m[entry.maskField] as Tensor).dispose();
    m[entry.maskField] = maskTensor;
    entry.methods.push(method.name);
    recompute(module, entry);
    return;
  }
  const created: Entry = { field, origField: `${field}Orig`, maskField: `${field}Mask`, methods: [method.name], cached: null };
  delete m[field];
  m[created.origField] = orig;
  m[created.maskField] = maskTensor;
  Object.defineProperty(module, field, {
    configurable: true,
    enumerable: false,
    get: () => (created.cached && !created.cached.isDisposed && created.cached.device === orig.device ? created.cached : recompute(module, created)),
    set: () => {
      throw new ArgumentError(
        `${module.constructor.name}.${field}`,
        `is pruned (computed as ${stateKey(field)}_orig · ${stateKey(field)}_mask before every forward): assign ${created.origField}, or call removePruning(module, '${field}') first`,
      );
    },
  });
  let state = states.get(module);
  if (!state) {
    const entries = new Map<string, Entry>();
    state = { entries, hook: module.registerForwardPreHook(() => entries.forEach((e) => recompute(module, e))) };
    states.set(module, state);
  }
  state.entries.set(field, created);
  recompute(module, created);
}

/** @internal Undo the bookkeeping of `field` (removePruning does the arithmetic). */
export function dropEntry(module: Module, field: string): Entry | undefined {
  const state = states.get(module);
  const entry = state?.entries.get(field);
  if (!state || !entry) return undefined;
  state.entries.delete(field);
  if (!state.entries.size) {
    state.hook.remove();
    states.delete(module);
  }
  delete (module as unknown as Fields)[field];
  return entry;
}
