import { ArgumentError, Tensor } from '@aimodel/tensor';
import { Module } from '../module';
import { Parameter } from '../parameter';

/**
 * Modules by name, as `torch.nn.ModuleDict`: registered children whose state-dict keys are the
 * names exactly as given (`blocks.conv.weight`), in insertion order. It has no forward of its own.
 * @example
 * ```ts
 * class Heads extends Module {
 *   heads = new ModuleDict({ cls: new Linear(8, 3), box: new Linear(8, 4) });
 *   forward(x: Tensor, task: string) { return this.heads.get(task).call(x); }
 * }
 * Object.keys(new Heads().stateDict()); // ['heads.cls.weight', 'heads.cls.bias', 'heads.box.weight', 'heads.box.bias']
 * ```
 */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly _modules = new Map<string, M>();

  /**
   * @param modules initial `{ name: module }` entries, or [name, module] pairs (default none)
   * @example
   * ```ts
   * new ModuleDict([['relu', new ReLU()], ['tanh', new Tanh()]]);
   * ```
   */
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    const entries = Symbol.iterator in Object(modules) ? [...(modules as Iterable<[string, M]>)] : Object.entries(modules as Record<string, M>);
    for (const [k, m] of entries) this.set(k, m);
  }

  /**
   * Add or replace the module under `key`; returns this.
   * @example
   * ```ts
   * new ModuleDict().set('act', new ReLU());
   * ```
   */
  set(key: string, module: M): this {
    if (typeof key !== 'string' || key === '' || key.includes('.')) {
      throw new ArgumentError('ModuleDict', `keys must be non-empty strings without '.', got ${JSON.stringify(key)}`);
    }
    if (!(module instanceof Module)) throw new ArgumentError('ModuleDict', `expected a Module for '${key}', got ${module === null ? 'null' : typeof module}`);
    this._modules.set(key, module);
    return this;
  }

  /**
   * The module under `key`; an ArgumentError listing the keys when there is none.
   * @example
   * ```ts
   * const d = new ModuleDict({ act: new ReLU() });
   * d.get('act').call(tensor([-1, 2])); // [0, 2]
   * ```
   */
  get(key: string): M {
    const m = this._modules.get(key);
    if (!m) throw new ArgumentError('ModuleDict', `no module '${key}' (keys: ${[...this._modules.keys()].join(', ') || 'none'})`);
    return m;
  }

  /**
   * Whether there is a module under `key`.
   * @example
   * ```ts
   * new ModuleDict({ act: new ReLU() }).has('act'); // true
   * ```
   */
  has(key: string): boolean {
    return this._modules.has(key);
  }

  /**
   * Remove the module under `key` and return it (PyTorch's `pop`); undefined when absent.
   * @example
   * ```ts
   * const d = new ModuleDict({ act: new ReLU() });
   * d.delete('act'); // the ReLU
   * ```
   */
  delete(key: string): M | undefined {
    const m = this._modules.get(key);
    this._modules.delete(key);
    return m;
  }

  /**
   * Number of modules.
   * @example
   * ```ts
   * new ModuleDict({ a: new ReLU(), b: new Tanh() }).size; // 2
   * ```
   */
  get size(): number {
    return this._modules.size;
  }

  /**
   * The keys in insertion order.
   * @example
   * ```ts
   * new ModuleDict({ a: new ReLU(), b: new Tanh() }).keys(); // ['a', 'b']
   * ```
   */
  keys(): string[] {
    return [...this._modules.keys()];
  }

  /**
   * The modules in insertion order.
   * @example
   * ```ts
   * for (const m of new ModuleDict({ a: new ReLU() }).values()) console.log(String(m));
   * ```
   */
  values(): M[] {
    return [...this._modules.values()];
  }

  /**
   * [key, module] pairs in insertion order (also what iterating the dict gives).
   * @example
   * ```ts
   * for (const [k, m] of new ModuleDict({ a: new ReLU() })) console.log(k, String(m));
   * ```
   */
  entries(): [string, M][] {
    return [...this._modules.entries()];
  }

  /**
   * Iterate [key, module] pairs (as a JavaScript Map does).
   * @example
   * ```ts
   * const names = [...new ModuleDict({ a: new ReLU() })].map(([k]) => k); // ['a']
   * ```
   */
  [Symbol.iterator](): Iterator<[string, M]> {
    return this.entries()[Symbol.iterator]();
  }

  /**
   * The children under their keys, exactly as given (no snake_case conversion).
   * @example
   * ```ts
   * new ModuleDict({ convBlock: new ReLU() }).namedChildren().map(([k]) => k); // ['convBlock']
   * ```
   */
  override namedChildren(): [string, Module][] {
    return this.entries();
  }

  /**
   * Not callable: a ModuleDict only holds modules (as in PyTorch). Throws an ArgumentError.
   * @example
   * ```ts
   * const d = new ModuleDict({ act: new ReLU() });
   * d.get('act').call(tensor([1])); // instead of d.forward(…)
   * ```
   */
  override forward(..._inputs: unknown[]): never {
    throw new ArgumentError('ModuleDict', 'has no forward(); call one of its modules with get(key)');
  }
}

/**
 * A list of parameters, as `torch.nn.ParameterList`: registered under '0', '1', … (state-dict
 * keys `0`, `1`, … below the owner's prefix). Tensors that are not yet parameters are wrapped
 * (the Parameter takes over their memory). It has no forward of its own.
 * @example
 * ```ts
 * class Scales extends Module {
 *   scales = new ParameterList([ones([4]), ones([4])]);
 *   forward(x: Tensor) { for (const s of this.scales) x = x.mul(s); return x; }
 * }
 * Object.keys(new Scales().stateDict()); // ['scales.0', 'scales.1']
 * ```
 */
export class ParameterList extends Module {
  /**
   * @param params initial parameters or tensors (default none)
   * @example
   * ```ts
   * new ParameterList([randn([3]), randn([3])]);
   * ```
   */
  constructor(params: Iterable<Tensor> = []) {
    super();
    for (const p of params) this.append(p);
  }

  /**
   * Number of parameters.
   * @example
   * ```ts
   * new ParameterList([ones([2])]).length; // 1
   * ```
   */
  get length(): number {
    return this.items().length;
  }

  private items(): Parameter[] {
    return Object.keys(this)
      .filter((k) => /^\d+$/.test(k))
      .map((k) => (this as unknown as Record<string, Parameter>)[k]);
  }

  /**
   * The parameter at position `i` (negative counts from the end).
   * @example
   * ```ts
   * new ParameterList([zeros([2]), ones([2])]).at(-1); // [1, 1]
   * ```
   */
  at(i: number): Parameter {
    const items = this.items();
    if (!Number.isInteger(i) || i < -items.length || i >= items.length) {
      throw new ArgumentError('ParameterList', `index ${i} is out of range for ${items.length} parameters`);
    }
    return items[i < 0 ? i + items.length : i];
  }

  /**
   * Add a parameter (a plain tensor is wrapped into one) at the end; returns this.
   * @example
   * ```ts
   * new ParameterList().append(randn([3]));
   * ```
   */
  append(param: Tensor): this {
    if (!(param instanceof Tensor)) throw new ArgumentError('ParameterList', `expected a Tensor, got ${param === null ? 'null' : typeof param}`);
    (this as unknown as Record<string, Parameter>)[String(this.length)] = param instanceof Parameter ? param : new Parameter(param);
    return this;
  }

  /**
   * The parameters in order.
   * @example
   * ```ts
   * for (const p of new ParameterList([ones([2])])) console.log(p.shape);
   * ```
   */
  [Symbol.iterator](): Iterator<Parameter> {
    return this.items()[Symbol.iterator]();
  }

  /**
   * Not callable (as in PyTorch). Throws an ArgumentError.
   * @example
   * ```ts
   * const list = new ParameterList([ones([2])]);
   * tensor([1, 2]).mul(list.at(0)); // use the parameters instead
   * ```
   */
  override forward(..._inputs: unknown[]): never {
    throw new ArgumentError('ParameterList', 'has no forward(); use its parameters in your module');
  }
}
