import { ArgumentError, checkOptions, DTypeError, keep, noGrad, scope, Tensor } from '@aimodel/tensor';

/**
 * Options every optimizer has: the learning rate. Each optimizer adds its own (momentum, betas, …).
 * @example
 * ```ts
 * const opts: OptimizerOptions = { lr: 0.01 };
 * ```
 */
export interface OptimizerOptions {
  lr: number;
}

/**
 * A parameter group: tensors plus the complete options used to update them. Per-group values
 * override the optimizer's defaults (PyTorch semantics). Schedulers add `initialLr` (their base lr).
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * opt.paramGroups[0].lr = 0.05; // takes effect on the next step()
 * ```
 */
export type ParamGroup<O extends OptimizerOptions = OptimizerOptions> = O & {
  params: Tensor[];
  /** The lr a scheduler started from (PyTorch's `initial_lr`); set by the first scheduler attached. */
  initialLr?: number;
};

/**
 * A parameter group as passed to a constructor or `addParamGroup`: tensors plus any options that
 * should differ from the defaults.
 * @example
 * ```ts
 * const backbone = new Linear(4, 8).parameters();
 * const head = new Linear(8, 2).parameters();
 * new SGD([{ params: backbone }, { params: head, lr: 0.1 }], { lr: 0.01, momentum: 0.9 });
 * ```
 */
export type ParamGroupInput<O extends OptimizerOptions = OptimizerOptions> = Partial<O> & {
  params: Iterable<Tensor> | Tensor;
  initialLr?: number;
};

/**
 * What optimizers accept as parameters: tensors (one group), or parameter groups.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const [a, b] = model.parameters();
 * new Adam(model.parameters()); new Adam([{ params: a }, { params: b, lr: 1e-4 }]);
 * ```
 */
export type OptimizerParams<O extends OptimizerOptions = OptimizerOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/**
 * Per-parameter optimizer state: tensors (moment estimates, buffers) and numbers (step counts).
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const adam = new Adam([w]);
 * w.pow(2).sum().backward(); adam.step();
 * const { step, expAvg } = adam.state.get(w)!;
 * ```
 */
export type ParamState = Record<string, Tensor | number | undefined>;

/**
 * A serializable snapshot of an optimizer, in PyTorch's layout: parameters are numbered
 * 0, 1, 2, … in the order they appear in the groups; `state` is keyed by those numbers and each
 * group lists the numbers of its parameters next to its options.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new Adam(model.parameters());
 * const sd = opt.stateDict(); // { state: { 0: { step: 3, expAvg, expAvgSq } }, paramGroups: [{ lr: 1e-3, …, params: [0] }] }
 * ```
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number>>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

/**
 * Options of `zeroGrad`.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * opt.zeroGrad({ setToNone: false }); // keep the grad tensors, filled with zeros
 * ```
 */
export interface ZeroGradOptions {
  /** Dispose the gradients and set `.grad` to null (default), instead of filling them with zeros. */
  setToNone?: boolean;
}

// Option values are copied so that groups never share a mutable array (e.g. Adam's betas).
function copyValue<T>(v: T): T {
  return (Array.isArray(v) ? [...v] : v) as T;
}

function copyOptions(options: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (k !== 'params' && v !== undefined) out[k] = copyValue(v);
  return out;
}

/**
 * `defaults` overridden by the options the caller gave (undefined means "not given"). Unknown
 * option names throw, so that a misspelt `weight_decay` does not pass silently.
 */
export function withDefaults<O extends object>(op: string, defaults: O, options: Partial<O> | undefined): O {
  checkOptions(op, options, Object.keys(defaults));
  const given = options ?? {};
  return { ...defaults, ...copyOptions(given) } as O;
}

/**
 * Base of all optimizers. Holds parameter groups (each with its own options) and per-parameter
 * state in a `Map` keyed by the parameter tensor. `step()` runs each parameter's update without
 * autograd and in a `scope`, so temporaries are freed and parameters change in place (`assign`);
 * parameters whose `.grad` is null are skipped. Subclasses implement `update` (one parameter)
 * and `validateGroup` (hyper-parameter checks).
 *
 * A training step: `opt.zeroGrad(); loss.backward(); opt.step();`.
 * @example
 * ```ts
 * const w = randn([2, 1], { requiresGrad: true });
 * const b = zeros([1], { requiresGrad: true });
 * const batches = [[randn([4, 2]), randn([4, 1])]];
 * const opt = new SGD([{ params: [w] }, { params: [b], lr: 0.1 }], { lr: 0.01, momentum: 0.9 });
 * for (const [x, y] of batches) {
 *   opt.zeroGrad();
 *   x.matmul(w).add(b).sub(y).pow(2).mean().backward();
 *   opt.step();
 * }
 * ```
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions, S extends object = ParamState> {
  /** The options a group gets when it does not set its own. @example `new SGD([zeros([1])], { lr: 0.1 }).defaults.momentum // 0` */
  readonly defaults: Readonly<O>;
  /** Parameter groups, each with its complete options; change `lr` etc. here between steps. @example `new SGD([zeros([1])], { lr: 0.1 }).paramGroups[0].lr = 0.01 // takes effect on the next step()` */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (created lazily on the first step that updates the parameter). @example `new Adam([zeros([1])]).state.size // 0: no step taken yet` */
  readonly state = new Map<Tensor, S>();
  /** The optimizer's name, used in error messages. */
  protected readonly name: string;

  /**
   * @param params tensors (one group) or parameter groups
   * @param defaults complete default options (already merged with the caller's)
   * @param name the optimizer's name for error messages
   */
  protected constructor(params: OptimizerParams<O>, defaults: O, name: string) {
    this.name = name;
    this.validateGroup(defaults);
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new ArgumentError(name, 'params must be an iterable of tensors or of parameter groups, got a single tensor (wrap it in an array)');
    }
    if (params == null || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ArgumentError(name, `params must be an iterable of tensors or of parameter groups, got ${String(params)}`);
    }
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (list.length === 0) throw new ArgumentError(name, 'optimizer got an empty parameter list');
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Check one group's complete options; throws ArgumentError naming the bad hyper-parameter. */
  protected abstract validateGroup(options: O): void;

  /** Update one parameter in place from its gradient (called under noGrad, inside a scope). */
  protected abstract update(param: Tensor, grad: Tensor, group: ParamGroup<O>): void;

  /**
   * Add a parameter group (e.g. layers unfrozen during fine-tuning). Options it does not set are
   * taken from the defaults. A parameter may belong to one group only.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const head = new Linear(1, 2);
   * opt.addParamGroup({ params: head.parameters(), lr: 1e-3 });
   * ```
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== 'object' || group instanceof Tensor || !('params' in group)) {
      throw new ArgumentError(this.name, 'a parameter group must be an object with a params field');
    }
    const raw = group.params;
    if (raw == null || (!(raw instanceof Tensor) && typeof (raw as Iterable<Tensor>)[Symbol.iterator] !== 'function')) {
      throw new ArgumentError(this.name, `a parameter group's params must be a tensor or an iterable of tensors, got ${String(raw)}`);
    }
    const params = raw instanceof Tensor ? [raw] : [...raw];
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ArgumentError(this.name, `params must contain tensors, got ${typeof p} at index ${i}`);
      if (p.dtype !== 'float32') throw new DTypeError(this.name, `can only optimize float32 tensors, got ${p.dtype} at index ${i}`);
      if (!p.isLeaf) throw new ArgumentError(this.name, `can't optimize a non-leaf tensor (index ${i}); optimize the leaf it was computed from`);
    });
    if (new Set(params).size !== params.length) throw new ArgumentError(this.name, 'a parameter group contains the same parameter twice');
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p))) throw new ArgumentError(this.name, 'some parameters appear in more than one parameter group');
    const merged = { ...copyOptions(this.defaults), ...copyOptions(group), params } as ParamGroup<O>;
    this.validateGroup(merged);
    this.paramGroups.push(merged);
  }

  /**
   * Clear the gradients of every parameter: dispose them and set `.grad = null` (default, as
   * PyTorch), or with `{ setToNone: false }` fill them with zeros.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const loss = model.forward(ones([4, 2])).pow(2).mean();
   * opt.zeroGrad(); loss.backward(); opt.step();
   * ```
   */
  zeroGrad({ setToNone = true }: ZeroGradOptions = {}): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        if (setToNone) {
          p.grad.dispose();
          p.grad = null;
        } else {
          p.grad.assign(0);
        }
      }
    }
  }

  /**
   * Update every parameter that has a gradient, in place, by the optimizer's rule. With a
   * `closure` (which re-evaluates the model, calls `backward` and returns the loss), the closure
   * runs first, with autograd on, and its result is returned.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const lossFn = () => model.forward(ones([4, 2])).pow(2).mean();
   * opt.step();
   * const loss = opt.step(() => { opt.zeroGrad(); const l = lossFn(); l.backward(); return l; });
   * ```
   */
  step(): void;
  step<T>(closure: () => T): T;
  step<T>(closure?: () => T): T | undefined {
    const loss = closure?.();
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const grad = p.grad;
          if (grad) scope(() => this.update(p, grad, group));
        }
      }
    });
    return loss;
  }

  /**
   * Free the state tensors (moments, momentum buffers, step counts kept as tensors) and forget
   * them: the next `step()` starts afresh, as a new optimizer would. The parameters are not touched.
   * @example
   * ```ts
   * const w = randn([3], { requiresGrad: true });
   * const opt = new Adam([w], { lr: 0.1 });
   * w.sum().backward();
   * opt.step();
   * opt.dispose(); // Adam's two moment tensors are freed
   * ```
   */
  dispose(): void {
    for (const s of this.state.values())
      for (const v of Object.values(s as object)) for (const t of Array.isArray(v) ? v : [v]) if (t instanceof Tensor && !t.isDisposed) t.dispose(); // LBFGS keeps lists
    this.state.clear();
  }

  /** @internal Store the new state of `param`, taking its tensors out of the running scope so they persist (for subclasses). */
  protected initState(param: Tensor, state: S): S {
    for (const v of Object.values(state)) if (v instanceof Tensor) keep(v);
    this.state.set(param, state);
    return state;
  }

  /**
   * The optimizer's state and group options, with parameters replaced by their indices (PyTorch's
   * layout). State tensors are the live ones, not copies: clone them to take a snapshot that
   * later steps do not change.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new Adam(model.parameters());
   * const saved = opt.stateDict();
   * const resumed = new Adam(model.parameters()); resumed.loadStateDict(saved);
   * ```
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const params = group.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return { ...copyOptions(group), params };
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const entry: Record<string, Tensor | number> = {};
      for (const [k, v] of Object.entries(s)) if (v !== undefined) entry[k] = v as Tensor | number;
      state[i] = entry;
    }
    return { state, paramGroups };
  }

  /**
   * Restore a `stateDict()`: group options are overwritten by the saved ones (the parameters stay)
   * and the per-parameter state is copied in (moved to each parameter's device). The groups must
   * have the same sizes as when it was saved. The previous state tensors are disposed.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new Adam(model.parameters());
   * const saved = opt.stateDict();
   * opt.loadStateDict(saved); // continues exactly where `saved` was taken
   * ```
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || typeof sd.state !== 'object' || !Array.isArray(sd.paramGroups)) {
      throw new ArgumentError(this.name, 'expected a state dict { state, paramGroups } from stateDict()');
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(this.name, `loaded state dict has ${sd.paramGroups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    sd.paramGroups.forEach((saved, i) => {
      const params = this.paramGroups[i].params;
      if (!Array.isArray(saved.params) || saved.params.length !== params.length) {
        throw new ArgumentError(
          this.name,
          `loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group ${i}: ${saved.params?.length} saved, ${params.length} here)`,
        );
      }
      saved.params.forEach((id, j) => byIndex.set(id, params[j]));
    });
    const groups = sd.paramGroups.map((saved, i) => ({ ...this.paramGroups[i], ...copyOptions(saved) }) as ParamGroup<O>);
    for (const g of groups) this.validateGroup(g);

    // Copies are made in a scope and returned as [param, state] pairs, so a failure frees them all.
    const copied = noGrad(() =>
      scope(() => {
        const out: Array<[Tensor, Record<string, unknown>]> = [];
        for (const [key, saved] of Object.entries(sd.state)) {
          const p = byIndex.get(Number(key));
          if (!p) continue;
          const entry: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(saved)) {
            entry[k] = v instanceof Tensor ? (v.device === p.device ? v.clone() : v.to(p.device)) : v;
          }
          out.push([p, entry]);
        }
        return out;
      }),
    );
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [p, s] of copied) this.initState(p, s as S);
    groups.forEach((g, i) => Object.assign(this.paramGroups[i], g));
  }
}
