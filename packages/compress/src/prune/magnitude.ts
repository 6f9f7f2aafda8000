import { ArgumentError, checkOptions, defaultGenerator, Generator, type Module, type Tensor } from '@aimodel/nn';
import { checkAmount, type PruningAmount, prunedCount } from './amount';
import { pickK } from './host';
import { applyPruning, type MaskMethod, type Pruned, resolveParameter } from './state';

/**
 * Options of {@link l1Unstructured}.
 * @example
 * ```ts
 * const fc = new Linear(3, 2);
 * l1Unstructured(fc, 'weight', 0.5, { importanceScores: tensor([[1, 2, 3], [4, 5, 6]]) }); // prunes row 0
 * ```
 */
export interface L1UnstructuredOptions {
  /** Scores ranking the entries instead of the weight's own values (same shape). */
  importanceScores?: Tensor;
}

/** The mask setting the `amount` entries of smallest |score| to zero (PyTorch's L1Unstructured). */
export function l1Method(op: string, amount: PruningAmount): MaskMethod {
  checkAmount(op, amount);
  return {
    name: op,
    type: 'unstructured',
    computeMask(values, _shape, defaultMask) {
      const k = prunedCount(op, amount, values.length);
      const mask = Float32Array.from(defaultMask);
      for (const i of pickK(values.map(Math.abs), k, 'smallest')) mask[i] = 0;
      return mask;
    },
  };
}

/**
 * Prune the `amount` entries of parameter `name` with the smallest absolute value, as PyTorch's
 * `prune.l1_unstructured`: the parameter becomes `<name>Orig` (state key `<name>_orig`, the same
 * Parameter object, so optimizers keep training it), the mask a buffer `<name>Mask`
 * (`<name>_mask`), and `module[name]` = orig · mask, recomputed before every forward (gradients
 * reach orig through the mask). Pruning again prunes `amount` of the entries still unpruned
 * (PyTorch's PruningContainer). A fraction is rounded half to even (PyTorch's
 * `_compute_nparams_toprune`: 0.25 of 10 prunes 2). Ties go to the lower flat index first
 * (PyTorch's topk does not specify their order). Masks are computed from the weight's values on
 * the CPU: prune before moving the model to WebGPU. Returns `module`.
 * @param amount a fraction in [0, 1] of the unpruned entries, or a count ({@link PruningAmount})
 * @example
 * ```ts
 * const fc = new Linear(3, 2);
 * fc.weight.assign(tensor([[0.5, -0.1, 2], [-0.1, 3, 0.2]]));
 * const pruned = l1Unstructured(fc, 'weight', 0.5); // fc itself, typed with its new fields
 * fc.weight;                                        // [[0.5, 0, 2], [0, 3, 0]]
 * pruned.weightMask;                                // [[1, 0, 1], [0, 1, 0]]
 * Object.keys(fc.stateDict());                      // ['bias', 'weight_orig', 'weight_mask']
 * l1Unstructured(fc, 'weight', 1.5);                // ArgumentError: amount must be a fraction in [0, 1]
 * ```
 */
export function l1Unstructured<M extends Module, N extends string>(module: M, name: N, amount: PruningAmount, opts: L1UnstructuredOptions = {}): M & Pruned<N> {
  checkOptions('l1Unstructured', opts, ['importanceScores']);
  const field = resolveParameter('l1Unstructured', module, name);
  applyPruning('l1Unstructured', module, field, l1Method('l1Unstructured', amount), { importance: opts.importanceScores });
  return module as M & Pruned<N>;
}

/**
 * Options of {@link randomUnstructured}.
 * @example
 * ```ts
 * randomUnstructured(new Linear(4, 4), 'weight', 0.5, { generator: new Generator({ seed: 1 }) });
 * ```
 */
export interface RandomUnstructuredOptions {
  /** Stream of the random scores (default: the global one, seeded by `manualSeed`). */
  generator?: Generator;
}

/**
 * Prune `amount` entries of parameter `name` chosen at random, as PyTorch's
 * `prune.random_unstructured`: each unpruned entry gets a uniform score from `generator` (one draw
 * per entry, in flat order) and the `amount` highest scores are pruned. Same bookkeeping as
 * {@link l1Unstructured}; the same seed gives the same mask. Returns `module`.
 * @example
 * ```ts
 * const fc = randomUnstructured(new Linear(10, 10), 'weight', 0.3, { generator: new Generator({ seed: 0 }) });
 * fc.weightMask.sum(); // 70
 * ```
 */
export function randomUnstructured<M extends Module, N extends string>(
  module: M,
  name: N,
  amount: PruningAmount,
  opts: RandomUnstructuredOptions = {},
): M & Pruned<N> {
  const op = 'randomUnstructured';
  checkOptions(op, opts, ['generator']);
  if (opts.generator !== undefined && !(opts.generator instanceof Generator)) {
    throw new ArgumentError(op, `generator must be a Generator, got ${typeof opts.generator}`);
  }
  checkAmount(op, amount);
  const generator = opts.generator ?? defaultGenerator;
  const field = resolveParameter(op, module, name);
  applyPruning(op, module, field, {
    name: op,
    type: 'unstructured',
    computeMask(values, _shape, defaultMask) {
      const k = prunedCount(op, amount, values.length);
      const mask = Float32Array.from(defaultMask);
      for (const i of pickK(generator.uniform(values.length), k, 'largest')) mask[i] = 0;
      return mask;
    },
  });
  return module as M & Pruned<N>;
}
