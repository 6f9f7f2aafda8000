import { ArgumentError } from '@aimodel/tensor';
import { Module } from '../module';

function checkModule(container: string, m: unknown, at: string): Module {
  if (!(m instanceof Module)) throw new ArgumentError(container, `expected a Module at ${at}, got ${m === null ? 'null' : typeof m}`);
  return m;
}

/** Children are plain fields named '0', '1', … (or by the user), so state-dict keys are `0.weight`, … as in PyTorch. */
function setChild(owner: Module, name: string, m: Module): void {
  (owner as unknown as Record<string, Module>)[name] = m;
}

function indexOf(container: string, i: number, length: number): number {
  if (!Number.isInteger(i) || i < -length || i >= length) {
    throw new ArgumentError(container, `index ${i} is out of range for ${length} modules`);
  }
  return i < 0 ? i + length : i;
}

/**
 * A chain of modules applied in order, as `torch.nn.Sequential`: forward(x) =
 * mₖ(…m₁(m₀(x))). Children are named '0', '1', … so state-dict keys match PyTorch's
 * (`0.weight`, `2.bias`); pass one object of modules to name them instead.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
 * model.forward(randn([4, 2])).shape; // [4, 1]
 * Object.keys(model.stateDict());     // ['0.weight', '0.bias', '2.weight', '2.bias']
 * ```
 */
export class Sequential extends Module {
  /**
   * @param modules the modules in order, or one object `{ name: module }` (keys become state-dict prefixes)
   * @example
   * ```ts
   * new Sequential(new Linear(4, 4), new Tanh());
   * new Sequential({ fc: new Linear(4, 2), act: new ReLU() }); // keys fc.weight, fc.bias
   * ```
   */
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0] as unknown;
    if (modules.length === 1 && first !== null && typeof first === 'object' && !(first instanceof Module)) {
      for (const [name, m] of Object.entries(first as Record<string, Module>)) {
        if (name === 'training' || name.startsWith('_') || name in this || /^\d+$/.test(name)) {
          throw new ArgumentError('Sequential', `'${name}' cannot name a child module (reserved, private or a number)`);
        }
        setChild(this, name, checkModule('Sequential', m, `'${name}'`));
      }
    } else {
      (modules as unknown[]).forEach((m, i) => setChild(this, String(i), checkModule('Sequential', m, `position ${i}`)));
    }
  }

  /**
   * Number of child modules.
   * @example
   * ```ts
   * new Sequential(new ReLU(), new Tanh()).length; // 2
   * ```
   */
  get length(): number {
    return this.children().length;
  }

  /**
   * The child at position `i` (negative counts from the end).
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * const last = model.at(-1);
   * ```
   */
  at(i: number): Module {
    const children = this.children();
    return children[indexOf('Sequential', i, children.length)];
  }

  /**
   * Add `module` at the end (named by its position) and return this.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.append(new Softmax(-1));
   * ```
   */
  append(module: Module): this {
    const names = this.namedChildren().map(([k]) => k);
    // integer-like keys sort before named ones, so positions only stay in order without names
    if (names.some((k, i) => k !== String(i)))
      throw new ArgumentError('Sequential', 'append() needs a Sequential built from positional modules, not named ones');
    setChild(this, String(names.length), checkModule('Sequential', module, `position ${names.length}`));
    return this;
  }

  /**
   * The children in order.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * for (const layer of model) console.log(layer.constructor.name);
   * ```
   */
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  /**
   * Pass `x` through every child in order; the output of each is the input of the next.
   * @example
   * ```ts
   * new Sequential(new Flatten(), new Linear(12, 2)).forward(randn([5, 3, 4])).shape; // [5, 2]
   * ```
   */
  override forward(x: unknown): any {
    let y = x;
    for (const m of this.children()) y = m.call(y);
    return y;
  }
}

/**
 * A list of modules whose parameters are registered, as `torch.nn.ModuleList`: children are named
 * '0', '1', … (state-dict keys `0.weight`, `1.weight`, …). It has no forward of its own: iterate
 * over it in your module's forward.
 * @example
 * ```ts
 * class Mlp extends Module {
 *   layers = new ModuleList([new Linear(4, 4), new Linear(4, 2)]);
 *   forward(x: Tensor) { for (const l of this.layers) x = l.forward(x); return x; }
 * }
 * Object.keys(new Mlp().stateDict()); // ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
 * ```
 */
export class ModuleList<M extends Module = Module> extends Module {
  /**
   * @param modules initial modules (default none)
   * @example
   * ```ts
   * new ModuleList(Array.from({ length: 3 }, () => new Linear(8, 8)));
   * ```
   */
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /**
   * Number of modules.
   * @example
   * ```ts
   * new ModuleList([new ReLU()]).length; // 1
   * ```
   */
  get length(): number {
    return this.children().length;
  }

  /**
   * The module at position `i` (negative counts from the end).
   * @example
   * ```ts
   * const list = new ModuleList([new Linear(8, 8), new ReLU()]);
   * const x = randn([2, 8]);
   * list.at(0).forward(x);
   * ```
   */
  at(i: number): M {
    const children = this.children();
    return children[indexOf('ModuleList', i, children.length)] as M;
  }

  /**
   * Add `module` at the end and return this.
   * @example
   * ```ts
   * const list = new ModuleList([new Linear(8, 8), new ReLU()]);
   * list.append(new Linear(8, 8));
   * ```
   */
  append(module: M): this {
    const n = this.length;
    setChild(this, String(n), checkModule('ModuleList', module, `position ${n}`));
    return this;
  }

  /**
   * Append every module of `modules` and return this.
   * @example
   * ```ts
   * const list = new ModuleList([new Linear(8, 8), new ReLU()]);
   * list.extend([new ReLU(), new Tanh()]);
   * ```
   */
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /**
   * The modules in order.
   * @example
   * ```ts
   * const list = new ModuleList([new Linear(8, 8), new ReLU()]);
   * let x = randn([2, 8]);
   * for (const block of list) x = block.forward(x);
   * ```
   */
  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }

  /**
   * Not callable: a ModuleList only holds modules (as in PyTorch). Throws an ArgumentError.
   * @example
   * ```ts
   * const list = new ModuleList([new Linear(8, 8), new ReLU()]);
   * let x = randn([2, 8]);
   * for (const m of list) x = m.forward(x); // instead of list.forward(x)
   * ```
   */
  override forward(..._inputs: unknown[]): never {
    throw new ArgumentError('ModuleList', 'has no forward(); iterate over it and call each module');
  }
}
