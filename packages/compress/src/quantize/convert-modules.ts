import { Module, stateKey } from '@aimodel/nn';

/**
 * Walk `model`'s descendants depth first and replace each module for which `swap(path, module)`
 * returns a new one (its own children are then not visited); `path` is the dotted state-dict
 * name. The root itself is never replaced. Returns the paths replaced.
 * @internal
 */
export function replaceModules(model: Module, swap: (path: string, module: Module) => Module | null, prefix = ''): string[] {
  const replaced: string[] = [];
  const owner = model as unknown as Record<string, unknown>;
  for (const field of Object.keys(owner)) {
    const child = owner[field];
    if (field.startsWith('_') || !isModule(child)) continue;
    const path = prefix ? `${prefix}.${stateKey(field)}` : stateKey(field);
    const next = swap(path, child);
    if (next) {
      owner[field] = next;
      replaced.push(path);
    } else replaced.push(...replaceModules(child, swap, path));
  }
  return replaced;
}

/** The field of `parent` holding the child named `key` in state-dict names. @internal */
export function childField(parent: Module, key: string): string | undefined {
  return Object.keys(parent).find((f) => !f.startsWith('_') && stateKey(f) === key && isModule((parent as unknown as Record<string, unknown>)[f]));
}

function isModule(v: unknown): v is Module {
  return v instanceof Module;
}
