import { ArgumentError, type Module, noGrad, type Parameter, scope, type Tensor } from '@aimodel/nn';
import { dropEntry, prunedEntries, resolveParameter } from './state';

/**
 * Make the pruning of parameter `name` permanent, as PyTorch's `prune.remove`: `module[name]`
 * becomes the original Parameter object again (an optimizer holding it keeps training it) with
 * the masked values, and `<name>Orig`, `<name>Mask` and the pre-hook go. A parameter that is not
 * pruned is an ArgumentError. Returns `module`.
 * @example
 * ```ts
 * const fc = new Linear(2, 2);
 * fc.weight.assign(tensor([[1, -2], [3, 0.5]]));
 * l1Unstructured(fc, 'weight', 0.5);
 * removePruning(fc, 'weight');
 * Object.keys(fc.stateDict()); // ['bias', 'weight']
 * fc.weight;                   // [[0, -2], [3, 0]]
 * removePruning(fc, 'weight'); // ArgumentError: is not pruned
 * ```
 */
export function removePruning<M extends Module>(module: M, name: string): M {
  const op = 'removePruning';
  const field = resolveParameter(op, module, name);
  const entry = prunedEntries(module).get(field);
  if (!entry) {
    throw new ArgumentError(
      op,
      `parameter '${name}' of ${module.constructor.name} is not pruned: prune it first (e.g. l1Unstructured(module, '${name}', amount))`,
    );
  }
  const m = module as unknown as Record<string, Tensor>;
  const orig = m[entry.origField] as Parameter;
  const mask = m[entry.maskField];
  noGrad(() => scope(() => void orig.assign(orig.mul(mask))));
  dropEntry(module, field);
  entry.cached?.dispose();
  mask.dispose();
  delete m[entry.origField];
  delete m[entry.maskField];
  m[field] = orig;
  return module;
}

/**
 * Whether `module` or any module inside it has a pruned parameter (PyTorch's `prune.is_pruned`).
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 4), new ReLU(), new Linear(4, 2));
 * isPruned(model); // false
 * l1Unstructured(model.at(0), 'weight', 0.5);
 * isPruned(model); // true
 * ```
 */
export function isPruned(module: Module): boolean {
  return module.namedModules().some(([, m]) => prunedEntries(m).size > 0);
}
