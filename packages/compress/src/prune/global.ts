import { ArgumentError, checkOptions, defaultGenerator, Generator, type Module, Tensor } from '@aimodel/nn';
import { checkAmount, type PruningAmount } from './amount';
import { readHost } from './host';
import { l1Method } from './magnitude';
import { applyPruning, hostState, type MaskMethod, type Pruned, resolveParameter } from './state';

/**
 * Options of {@link globalUnstructured}.
 * @example
 * ```ts
 * const a = new Linear(4, 4);
 * const b = new Linear(4, 2);
 * globalUnstructured([[a, 'weight'], [b, 'weight']], { amount: 0.5, method: 'l1' });
 * ```
 */
export interface GlobalUnstructuredOptions {
  /** Fraction in [0, 1] of the entries still unpruned over all the parameters, or a count. */
  amount: PruningAmount;
  /** 'l1' (default): smallest |value| over all of them; 'random': uniform scores from `generator`. */
  method?: 'l1' | 'random';
  /** Scores per parameter instead of its current (masked) values: a map from the [module, name] pair given. */
  importanceScores?: Map<readonly [Module, string], Tensor>;
  /** With method 'random': the stream of the scores (default the global one). */
  generator?: Generator;
}

/** A parameter of a global pruning, with its host values. */
export interface HostParameter {
  module: Module;
  field: string;
  /** Importance values (default the current masked weight) and the mask so far (null: not pruned). */
  values: Float32Array;
  mask: Float32Array | null;
}

/** Custom-mask method (PyTorch's CustomFromMask): the mask so far times `mask`. */
function fromMask(op: string, mask: Float32Array): MaskMethod {
  return { name: op, type: 'global', computeMask: (_values, _shape, defaultMask) => defaultMask.map((v, i) => v * mask[i]) };
}

/** Prune over the concatenation of `params` with `method`, then set each one's slice of the mask (PyTorch's global_unstructured). */
export function pruneGlobally(op: string, params: HostParameter[], method: MaskMethod): void {
  const total = params.reduce((s, p) => s + p.values.length, 0);
  const values = new Float32Array(total);
  const mask = new Float32Array(total).fill(1);
  let at = 0;
  for (const p of params) {
    values.set(p.values, at);
    if (p.mask) mask.set(p.mask, at);
    at += p.values.length;
  }
  const idx: number[] = [];
  for (let i = 0; i < total; i++) if (mask[i] === 1) idx.push(i);
  const part = method.computeMask(
    Float32Array.from(idx, (i) => values[i]),
    [idx.length],
    new Float32Array(idx.length).fill(1),
  );
  idx.forEach((i, j) => {
    mask[i] = part[j];
  });
  at = 0;
  for (const p of params) {
    const slice = mask.slice(at, at + p.values.length);
    applyPruning(op, p.module, p.field, fromMask(op, slice), { host: { importance: p.values, mask: p.mask } });
    at += p.values.length;
  }
}

/**
 * Prune several parameters together, as PyTorch's `prune.global_unstructured`: the entries of all
 * of them are ranked as one list by their current (masked) values, and `amount` of those still
 * unpruned go — so a layer with small weights loses more than one with large weights. Each
 * parameter then carries its share of the mask (`<name>Orig` and `<name>Mask`, as
 * {@link l1Unstructured}). Ties go to the earlier parameter, then the lower index.
 * @example
 * ```ts
 * const a = new Linear(2, 2, { bias: false });
 * const b = new Linear(2, 1, { bias: false });
 * a.weight.assign(tensor([[0.1, 5], [4, 0.3]]));
 * b.weight.assign(tensor([[0.2, 2]]));
 * globalUnstructured([[a, 'weight'], [b, 'weight']], { amount: 0.5, method: 'l1' });
 * a.weight; // [[0, 5], [4, 0]]
 * b.weight; // [[0, 2]]
 * ```
 */
export function globalUnstructured(parameters: ReadonlyArray<readonly [Module, string]>, opts: GlobalUnstructuredOptions): void {
  const op = 'globalUnstructured';
  checkOptions(op, opts, ['amount', 'method', 'importanceScores', 'generator']);
  if (!opts) throw new ArgumentError(op, 'expected options { amount, method }');
  const { amount, method = 'l1', importanceScores, generator } = opts;
  checkAmount(op, amount);
  if (method !== 'l1' && method !== 'random') throw new ArgumentError(op, `method must be 'l1' or 'random', got ${String(method)}`);
  if (generator !== undefined && (method !== 'random' || !(generator instanceof Generator))) {
    throw new ArgumentError(op, "generator is a Generator, and only for method 'random'");
  }
  if (!Array.isArray(parameters) || parameters.length === 0) throw new ArgumentError(op, 'expected a non-empty list of [module, name] pairs');
  const seen = new Map<Module, Set<string>>();
  const host = parameters.map((pair) => {
    const [module, name] = pair;
    const field = resolveParameter(op, module, name);
    const fields = seen.get(module) ?? new Set<string>();
    if (fields.has(field)) throw new ArgumentError(op, `parameter '${name}' of ${module.constructor.name} is listed twice`);
    seen.set(module, fields.add(field));
    const scores = importanceScores?.get(pair);
    const current = (module as unknown as Record<string, Tensor>)[field];
    if (scores !== undefined && (!(scores instanceof Tensor) || scores.shape.join() !== current.shape.join())) {
      throw new ArgumentError(op, `importance scores of '${name}' must be a tensor of shape [${current.shape}]`);
    }
    return { module, field, values: readHost(op, scores ?? current), mask: hostState(op, module, field).mask };
  });
  const rank = method === 'l1' ? l1Method(op, amount) : randomMethod(op, amount, generator);
  pruneGlobally(op, host, rank);
}

function randomMethod(op: string, amount: PruningAmount, generator?: Generator): MaskMethod {
  const l1 = l1Method(op, amount);
  // The k highest uniform scores go: the same as l1 on 1 − u (ties aside).
  return {
    ...l1,
    computeMask: (values, shape, defaultMask) =>
      l1.computeMask(
        Float32Array.from((generator ?? defaultGenerator).uniform(values.length), (u) => 1 - u),
        shape,
        defaultMask,
      ),
  };
}

/**
 * Prune parameter `name` with a mask of your own (same shape; 0 prunes), as PyTorch's
 * `prune.custom_from_mask`: the mask is multiplied into any mask already there. Returns `module`.
 * @example
 * ```ts
 * const fc = new Linear(2, 2);
 * fc.weight.assign(tensor([[1, 2], [3, 4]]));
 * customFromMask(fc, 'weight', tensor([[1, 0], [0, 1]]));
 * fc.weight; // [[1, 0], [0, 4]]
 * ```
 */
export function customFromMask<M extends Module, N extends string>(module: M, name: N, mask: Tensor): M & Pruned<N> {
  const op = 'customFromMask';
  const field = resolveParameter(op, module, name);
  const param = (module as unknown as Record<string, Tensor>)[field];
  if (!(mask instanceof Tensor) || mask.shape.join() !== param.shape.join()) {
    throw new ArgumentError(
      op,
      `mask must be a tensor of the parameter's shape [${param.shape}], got ${mask instanceof Tensor ? `[${mask.shape}]` : typeof mask}`,
    );
  }
  applyPruning(op, module, field, fromMask(op, readHost(op, mask)));
  return module as M & Pruned<N>;
}
