// Over ~400 lines: Module is one class, and most of the file is the TSDoc (with a runnable example)
// of its public methods — discovery, state dicts, device moves, hooks, compile/fit/evaluate/predict.
import { ArgumentError, type DeviceName, keep, noGrad, ShapeError, scope, Tensor } from '@aimodel/tensor';
import { checkKeys } from './checks';
import {
  addForwardHook,
  type ForwardHook,
  type ForwardPreHook,
  type FullBackwardHook,
  type FullBackwardPreHook,
  type HookOptions,
  type RemovableHandle,
} from './hooks';
import { Parameter } from './parameter';
import { moduleRepr, type SummaryOptions, summary } from './summary';
import type { Logs } from './training/callbacks';
import type { LossName, MetricName, OptimizerName } from './training/keras-names';
import { type CompileConfig, type Compiled, releaseCompiled, resolveCompile } from './training/compile';
import { type EvaluateOptions, evaluateCompiled, type FitData, type FitOptions, fitCompiled, type History, predictBatched } from './training/fit';
import { defaultTestStep, defaultTrainStep, type StepLogs } from './training/step';

/**
 * Options of {@link Module.loadStateDict} and {@link loadWeights}.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(2, 3), new Linear(3, 1));
 * const partial = { '0.weight': zeros([3, 2]) };
 * const { missingKeys } = model.loadStateDict(partial, { strict: false });
 * ```
 */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). */
  strict?: boolean;
}

/**
 * Options of {@link Module.registerBuffer}.
 * @example
 * ```ts
 * class Cache extends Module {
 *   constructor() { super(); this.registerBuffer('last', zeros([2]), { persistent: false }); }
 *   forward(x: Tensor) { return x; }
 * }
 * ```
 */
export interface RegisterBufferOptions {
  /** Include the buffer in `stateDict()` (default true, as PyTorch). */
  persistent?: boolean;
}

/**
 * Keys that {@link Module.loadStateDict} could not match (both empty after a strict load).
 * @example
 * ```ts
 * const model = new Sequential(new Linear(2, 3), new Linear(3, 1));
 * const dict = new Linear(2, 3).stateDict(); // keys 'weight', 'bias': neither matches
 * const { missingKeys, unexpectedKeys } = model.loadStateDict(dict, { strict: false });
 * if (missingKeys.length) console.warn('not in the checkpoint:', missingKeys);
 * ```
 */
export interface LoadStateDictResult {
  /** Keys of the module that the state dict lacks (they keep their values). */
  missingKeys: string[];
  /** Keys of the state dict that the module does not have (ignored). */
  unexpectedKeys: string[];
}

/**
 * The state-dict key of a field name: camelCase becomes PyTorch's snake_case.
 * @example
 * ```ts
 * stateKey('runningMean'); // 'running_mean'
 * stateKey('weightIhL0');  // 'weight_ih_l0'
 * stateKey('fc1');         // 'fc1'
 * ```
 */
export function stateKey(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Holds Node's `console.log`/`util.inspect` hook (the {@link Module.toString} text) for Module.
 * A base class of its own because esbuild cannot tree-shake a class with a computed key that is
 * not a well-known symbol: on Module it kept the module system and the training loop in every
 * bundle that imports anything from @aimodel/nn (a loss function, say).
 * @internal
 */
class Inspectable {
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return String(this);
  }
}

/**
 * Base class of every layer and model. Child modules, {@link Parameter}s and buffers (other
 * tensor fields, e.g. running statistics) declared as class fields are found automatically, in
 * declaration order; fields starting with `_` are private and skipped. State-dict keys use
 * PyTorch's names (`fc1.weight`, `0.bias`, `bn.running_mean`), so weights exported from PyTorch
 * load into the same architecture.
 * @example
 * ```ts
 * class Net extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 2);
 *   forward(x: Tensor) { return this.fc2.forward(this.fc1.forward(x).relu()); }
 * }
 * const net = new Net();
 * Object.keys(net.stateDict()); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * ```
 */
export abstract class Module extends Inspectable {
  /**
   * Training mode (dropout active, batch norm uses batch statistics); see {@link Module.train}.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.eval();
   * model.training; // false
   * ```
   */
  training = true;
  /**
   * Set by a callback to end `fit` after the current epoch.
   * @example
   * ```ts
   * class StopAt extends Callback {
   *   override onEpochEnd(_epoch: number, logs: Logs) { if (logs.loss < 0.1) this.model!.stopTraining = true; }
   * }
   * ```
   */
  stopTraining = false;
  private _compiled: Compiled | null = null;
  /** Keras's `trainable` flag of this module (see the `trainable` accessor). */
  private _trainable = true;
  /** Field names of the buffers that `stateDict()` leaves out (registerBuffer with persistent false). */
  private _nonPersistent = new Set<string>();

  /**
   * Subclasses call `super()` and then declare their layers and parameters as fields.
   * @example
   * ```ts
   * class Net extends Module {
   *   fc: Linear;
   *   constructor(inFeatures: number, classes: number) {
   *     super();
   *     this.fc = new Linear(inFeatures, classes);
   *   }
   *   forward(x: Tensor) { return this.fc.forward(x); }
   * }
   * ```
   */
  // biome-ignore lint/complexity/noUselessConstructor: explicit so that the API docs can document it
  constructor() {
    super();
  }

  /**
   * The computation of this module; subclasses implement it with any inputs and outputs.
   * @example
   * ```ts
   * class Mlp extends Module {
   *   fc = new Linear(4, 2);
   *   forward(x: Tensor): Tensor { return this.fc.forward(x).relu(); }
   * }
   * new Mlp().forward(randn([8, 4])).shape; // [8, 2]
   * ```
   */
  abstract forward(...inputs: any[]): any;

  /**
   * Run this module: its forward pre-hooks, `forward`, then its forward hooks (PyTorch's
   * `module(x)`); the library calls every module this way (containers, `fit`, `predict`, …). The
   * hooks also fire when `forward` is called directly, so a custom module may write either
   * `this.fc.call(x)` or `this.fc.forward(x)`.
   * @example
   * ```ts
   * const fc = new Linear(4, 2);
   * fc.call(randn([8, 4])).shape; // [8, 2]
   * ```
   */
  call(...inputs: Parameters<this['forward']>): ReturnType<this['forward']> {
    return this.forward(...inputs);
  }

  /**
   * Register `hook(module, inputs)` to run before every forward of this module; it may return
   * replacement inputs (an array of them, or a sole input). Hooks run in registration order
   * (`{ prepend: true }` puts one first); the handle's `remove()` unregisters it.
   * @example
   * ```ts
   * const fc = new Linear(2, 2);
   * const handle = fc.registerForwardPreHook((_m, [x]) => (x as Tensor).clamp(-1, 1));
   * fc.call(tensor([[5, -5]])); // as fc.call(tensor([[1, -1]]))
   * handle.remove();
   * ```
   */
  registerForwardPreHook(hook: ForwardPreHook<this>, opts?: HookOptions): RemovableHandle {
    return addForwardHook('registerForwardPreHook', this, 'pre', hook, opts);
  }

  /**
   * Register `hook(module, inputs, output)` to run after every forward of this module; it may
   * return a replacement output. Hooks run in registration order (`{ prepend: true }` puts one
   * first); the handle's `remove()` unregisters it.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * const activations: Tensor[] = [];
   * const handle = model.at(1).registerForwardHook((_m, _inputs, y) => { activations.push((y as Tensor).detach()); });
   * model.call(randn([2, 4]));
   * activations[0].shape; // [2, 8]
   * handle.remove();
   * ```
   */
  registerForwardHook(hook: ForwardHook<this>, opts?: HookOptions): RemovableHandle {
    return addForwardHook('registerForwardHook', this, 'post', hook, opts);
  }

  /**
   * Register `hook(module, gradInput, gradOutput)` to run once per backward through this module,
   * when the gradients with respect to its tensor inputs are computed (PyTorch's
   * `register_full_backward_hook`); it may return a replacement `gradInput`. The forward must return
   * a Tensor or an array of Tensors. Its tensor inputs reach `forward` as views that autograd tracks
   * (disposed after the call unless returned).
   * @example
   * ```ts
   * const fc = new Linear(3, 2);
   * const norms: number[] = [];
   * const handle = fc.registerFullBackwardHook((_m, gradInput, gradOutput) => {
   *   norms.push(gradOutput[0]!.abs().sum().dataSync()[0]);
   *   return gradInput.map((g) => g && g.mul(0.5)); // halve what flows on to the input
   * });
   * const x = randn([4, 3], { requiresGrad: true });
   * fc.call(x).sum().backward();
   * norms; // [8]: ∂Σy/∂y is all ones
   * handle.remove();
   * ```
   */
  registerFullBackwardHook(hook: FullBackwardHook<this>, opts?: HookOptions): RemovableHandle {
    return addForwardHook('registerFullBackwardHook', this, 'backward', hook, opts);
  }

  /**
   * Register `hook(module, gradOutput)` to run once per backward through this module, when the
   * gradients with respect to its outputs are known and before they flow into it (PyTorch's
   * `register_full_backward_pre_hook`); it may return a replacement `gradOutput`.
   * @example
   * ```ts
   * const fc = new Linear(3, 2);
   * fc.registerFullBackwardPreHook((_m, gradOutput) => gradOutput.map((g) => g && g.mul(0)));
   * fc.call(randn([4, 3])).sum().backward();
   * fc.weight.grad!.abs().sum().dataSync()[0]; // 0: no gradient reached the layer
   * ```
   */
  registerFullBackwardPreHook(hook: FullBackwardPreHook<this>, opts?: HookOptions): RemovableHandle {
    return addForwardHook('registerFullBackwardPreHook', this, 'backwardPre', hook, opts);
  }

  /**
   * Direct children as [key, module] pairs, in declaration order.
   * @example
   * ```ts
   * new Sequential(new Linear(2, 3), new ReLU()).namedChildren().map(([k]) => k); // ['0', '1']
   * ```
   */
  namedChildren(): [string, Module][] {
    return Object.entries(this)
      .filter(([k, v]) => !k.startsWith('_') && v instanceof Module)
      .map(([k, v]) => [stateKey(k), v as Module]);
  }

  /**
   * Direct child modules.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * for (const child of model.children()) console.log(child.constructor.name);
   * ```
   */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and all its descendants with dotted names ('' for this one).
   * @example
   * ```ts
   * const net = new Sequential(new Sequential(new Linear(2, 2)), new ReLU());
   * net.namedModules().map(([k]) => k); // ['', '0', '0.0', '1']
   * ```
   */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [k, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${k}` : k));
    return out;
  }

  private ownTensors(kind: 'param' | 'buffer' | 'persistent'): [string, Tensor][] {
    return Object.entries(this)
      .filter(([k, v]) => !k.startsWith('_') && v instanceof Tensor && v instanceof Parameter === (kind === 'param'))
      .filter(([k]) => kind !== 'persistent' || !this._nonPersistent.has(k))
      .map(([k, v]) => [stateKey(k), v as Tensor]);
  }

  /**
   * Every parameter with its dotted name; shared parameters are listed once.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
   * for (const [name, p] of model.namedParameters()) console.log(name, p.shape); // '0.weight' [3, 2], …
   * ```
   */
  namedParameters(): [string, Parameter][] {
    const seen = new Set<Tensor>();
    const out: [string, Parameter][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, p] of m.ownTensors('param')) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${k}` : k, p as Parameter]);
      }
    }
    return out;
  }

  /**
   * Every parameter (for an optimizer).
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * ```
   */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Every buffer (non-parameter tensor field, e.g. `running_mean`) with its dotted name.
   * @example
   * ```ts
   * new BatchNorm1d(4).namedBuffers().map(([k]) => k); // ['running_mean', 'running_var', 'num_batches_tracked']
   * ```
   */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, b] of m.ownTensors('buffer')) out.push([prefix ? `${prefix}.${k}` : k, b]);
    }
    return out;
  }

  /**
   * Register `tensor` as a buffer named `name` (the field `this[name]`): state that is not a
   * parameter, moved by {@link Module.to} and freed by {@link Module.dispose}. Tensor fields are
   * buffers already; this adds PyTorch's `persistent: false`, for a buffer that `stateDict()`
   * leaves out (a cache, a causal mask that is rebuilt anyway). The tensor is kept out of
   * enclosing scopes. Returns this.
   * @example
   * ```ts
   * class Causal extends Module {
   *   constructor(n: number) {
   *     super();
   *     this.registerBuffer('mask', ones([n, n]), { persistent: false });
   *   }
   *   forward(x: Tensor) { return x; }
   * }
   * const m = new Causal(4);
   * Object.keys(m.stateDict()); // []
   * m.namedBuffers().map(([k]) => k); // ['mask']
   * ```
   */
  registerBuffer(name: string, tensor: Tensor | null, opts: RegisterBufferOptions = {}): this {
    checkKeys('registerBuffer', opts, ['persistent']);
    if (typeof name !== 'string' || name === '' || name.includes('.') || name.startsWith('_')) {
      throw new ArgumentError('registerBuffer', `buffer name must be a non-empty string without '.' or a leading '_', got ${JSON.stringify(name)}`);
    }
    const fields = this as unknown as Record<string, unknown>;
    const current = fields[name];
    if (name in this && current !== null && current !== undefined && (!(current instanceof Tensor) || current instanceof Parameter)) {
      throw new ArgumentError('registerBuffer', `'${name}' is already an attribute that is not a buffer`);
    }
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new ArgumentError('registerBuffer', `expected a Tensor or null for '${name}', got ${typeof tensor}`);
    }
    if (tensor instanceof Parameter) throw new ArgumentError('registerBuffer', `'${name}' is a Parameter; declare it as a field instead`);
    fields[name] = tensor === null ? null : keep(tensor);
    if (opts.persistent ?? true) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    return this;
  }

  /**
   * Call `fn` on every descendant module (children first, recursively) and then on this one, as
   * PyTorch's `Module.apply`; returns this. Typical use: custom initialisation.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.apply((m) => {
   *   if (m instanceof Linear) { init.xavierUniform(m.weight); if (m.bias) init.zeros(m.bias); }
   * });
   * ```
   */
  apply(fn: (module: Module) => void): this {
    if (typeof fn !== 'function') throw new ArgumentError('apply', `expected a function (module) => void, got ${typeof fn}`);
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Set `requiresGrad` on every parameter of this module and its descendants (PyTorch's
   * `requires_grad_`): `requiresGrad_(false)` freezes them, so `backward()` leaves their `.grad`
   * null and optimizers skip them. Buffers are untouched: a batch norm in training mode still
   * updates its running statistics (set {@link Module.trainable} to false, Keras's way, to freeze
   * those too). Returns this.
   * @example
   * ```ts
   * const backbone = new Sequential(new Linear(4, 8), new ReLU());
   * const model = new Sequential(backbone, new Linear(8, 2));
   * backbone.requiresGrad_(false); // only the head learns
   * ```
   */
  requiresGrad_(flag = true): this {
    if (typeof flag !== 'boolean') throw new ArgumentError('requiresGrad_', `expected a boolean, got ${typeof flag}`);
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }

  /**
   * Keras's `layer.trainable`. Setting it sets the flag on this module and every descendant and
   * calls {@link Module.requiresGrad_} with it; a module that is not trainable is also frozen as
   * Keras freezes it: batch norm layers normalise with their running statistics and leave them
   * unchanged, even in training mode (so a frozen backbone stays bit-identical through `fit`).
   * Reading it gives this module's flag (true unless set false).
   * @example
   * ```ts
   * const backbone = new Sequential(new Linear(4, 8), new BatchNorm1d(8), new ReLU());
   * const model = new Sequential(backbone, new Linear(8, 2));
   * backbone.trainable = false;
   * model.summary().includes('Non-trainable params: 56'); // true
   * ```
   */
  get trainable(): boolean {
    return this._trainable;
  }

  set trainable(flag: boolean) {
    if (typeof flag !== 'boolean') throw new ArgumentError('trainable', `expected a boolean, got ${typeof flag}`);
    for (const [, m] of this.namedModules()) m._trainable = flag;
    this.requiresGrad_(flag);
  }

  /**
   * Set training mode on this module and its descendants (`train(false)` is evaluation mode).
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.train(); // dropout on, batch norm updates its running statistics
   * ```
   */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /**
   * Evaluation mode: `train(false)`.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * const x = randn([2, 4]);
   * const y = noGrad(() => model.eval().forward(x));
   * ```
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Drop the gradients of every parameter (dispose them and set `.grad` to null).
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const loss = model.forward(randn([2, 4])).sum();
   * model.zeroGrad(); loss.backward(); opt.step();
   * ```
   */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * Move every parameter and buffer to `device`, in any direction (cpu → webgpu, and webgpu →
   * cpu, e.g. after training on the GPU); resolves to this module. As in PyTorch, the tensors stay
   * the same objects and only their memory moves: a `Parameter` keeps its identity, `requiresGrad`
   * and its `.grad` (moved too), so an optimizer created before the move keeps training it, and
   * tied weights stay tied. An optimizer's own state (Adam's moments, created at its first step)
   * is not moved: move the model before the first `step()`, or a device error says so. All reads
   * start together; if one fails, the module is left unchanged. Tensors already on `device` are
   * left as they are; views taken of a parameter before the move keep the old memory.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(2, 3), new ReLU());
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const weight = model.parameters()[0];
   * await model.to('cpu'); // resolves to model
   * model.parameters()[0] === weight; // true: opt still updates it
   * ```
   */
  async to(device: DeviceName): Promise<this> {
    const sources = new Set<Tensor>();
    for (const [, m] of this.namedModules()) {
      for (const [field, v] of Object.entries(m)) {
        if (field.startsWith('_') || !(v instanceof Tensor)) continue;
        if (v.device !== device) sources.add(v);
        if (v.grad && v.grad.device !== device) sources.add(v.grad);
      }
    }
    const list = [...sources];
    const settled = await Promise.allSettled(list.map((v) => v.toDevice(device)));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      for (const r of settled) if (r.status === 'fulfilled') r.value.dispose();
      throw failed.reason;
    }
    list.forEach((v, i) => v._replaceWith((settled[i] as PromiseFulfilledResult<Tensor>).value));
    return this;
  }

  /**
   * Parameters and buffers by PyTorch-style key (the module's own tensors, not copies), in
   * PyTorch's order: module by module, each module's parameters before its buffers.
   * @example
   * ```ts
   * Object.keys(new Sequential(new Linear(2, 3), new BatchNorm1d(3)).stateDict());
   * // ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
   * ```
   */
  stateDict(): Record<string, Tensor> {
    const seen = new Set<Tensor>();
    const out: Record<string, Tensor> = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, t] of [...m.ownTensors('param'), ...m.ownTensors('persistent')]) {
        if (seen.has(t)) continue;
        seen.add(t);
        out[prefix ? `${prefix}.${k}` : k] = t;
      }
    }
    return out;
  }

  /**
   * Copy values from `dict` into this module's parameters and buffers (shapes must match;
   * values are cast to each tensor's dtype). With `strict` (default) the keys must match exactly.
   * @example
   * ```ts
   * class Net extends Module {
   *   fc = new Linear(2, 3);
   *   forward(x: Tensor) { return this.fc.forward(x); }
   * }
   * const net = new Net();
   * const copy = new Net();
   * copy.loadStateDict(net.stateDict()); // copy now has net's weights
   * ```
   */
  loadStateDict(dict: Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    checkKeys('loadStateDict', opts, ['strict']);
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !(k in own));
    if ((opts.strict ?? true) && (missingKeys.length || unexpectedKeys.length)) {
      throw new ArgumentError('loadStateDict', `keys do not match: missing [${missingKeys.join(', ')}], unexpected [${unexpectedKeys.join(', ')}]`);
    }
    for (const [k, t] of Object.entries(own)) {
      const src = dict[k];
      if (!src) continue;
      if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
        throw new ShapeError('loadStateDict', `'${k}' has shape [${src.shape}] in the state dict but [${t.shape}] in the module`);
      }
      noGrad(() => scope(() => t.assign(src.dtype === t.dtype ? src : src.to(t.dtype))));
    }
    return { missingKeys, unexpectedKeys };
  }

  // ── Keras-style training ──────────────────────────────────────────────────
  /**
   * Choose the optimizer, loss and metrics used by {@link Module.fit} and {@link Module.evaluate}:
   * objects and functions, or Keras's names (`'adam'`, `'sparse_categorical_crossentropy'`,
   * `'accuracy'`, …: see {@link OptimizerName}, {@link LossName}, {@link MetricName}). A named
   * optimizer is created now, over the model's current parameters, with Keras's defaults.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.compile({ optimizer: new Adam(model.parameters()), loss: crossEntropy, metrics: ['accuracy'] });
   * // as in Keras, on probabilities
   * const keras = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3), new Softmax(-1));
   * keras.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
   * ```
   */
  compile(config: CompileConfig = {}): this {
    const compiled = resolveCompile(config, this);
    releaseCompiled(this._compiled);
    this._compiled = compiled;
    return this;
  }

  private compiled(op: string): Compiled {
    if (!this._compiled) throw new ArgumentError(op, 'call model.compile({ optimizer, loss }) first');
    return this._compiled;
  }

  /**
   * Train for `epochs` passes over inputs `x` and targets `y` (sample dimension first), or over a
   * Dataset or DataLoader, with optional validation, shuffling and callbacks; each batch goes
   * through {@link Module.trainStep}. Resolves to the per-epoch history.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
   * const x = randn([100, 4]);
   * const y = randint(0, 3, [100]);
   * const history = await model.fit(x, y, { epochs: 10, batchSize: 64, validationSplit: 0.1, seed: 0 });
   * await model.fit(new DataLoader(new TensorDataset(x, y), { batchSize: 64, shuffle: true }), { epochs: 2 });
   * ```
   */
  fit(x: Tensor, y: Tensor, opts?: FitOptions): Promise<History>;
  fit(data: FitData, opts?: FitOptions): Promise<History>;
  fit(data: Tensor | FitData, yOrOpts?: Tensor | FitOptions, opts?: FitOptions): Promise<History> {
    this.compiled('fit');
    return fitCompiled(this, data, yOrOpts, opts);
  }

  /**
   * Mean loss and metrics over `x`, `y` (or a Dataset or DataLoader) in evaluation mode, through
   * {@link Module.testStep}; read back once.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
   * const xTest = randn([100, 4]);
   * const yTest = randint(0, 3, [100]);
   * const { loss, accuracy } = await model.evaluate(xTest, yTest);
   * ```
   */
  evaluate(x: Tensor, y: Tensor, opts?: EvaluateOptions): Promise<Logs>;
  evaluate(data: FitData, opts?: EvaluateOptions): Promise<Logs>;
  evaluate(data: Tensor | FitData, yOrOpts?: Tensor | EvaluateOptions, opts?: EvaluateOptions): Promise<Logs> {
    this.compiled('evaluate');
    return evaluateCompiled(this, data, yOrOpts, opts);
  }

  /**
   * One training step on a batch (the tensors of a DataLoader batch, e.g. `[x, y]`), called by
   * {@link Module.fit}; returns named one-element tensors or numbers, which fit reads in one go and
   * averages into the progress bar, callbacks and history. The default runs forward, the compiled
   * loss, backward, the optimizer step and the metrics. Override it (the Keras `train_step` idea) for
   * GANs, distillation and the like; temporaries are freed after it returns. See docs/training.md.
   * @example
   * ```ts
   * class Regressor extends Module {
   *   fc = new Linear(3, 1);
   *   opt = new SGD(this.parameters(), { lr: 0.1 });
   *   forward(x: Tensor) { return this.fc.forward(x); }
   *   override trainStep([x, y]: Tensor[]) {
   *     const loss = mseLoss(this.forward(x), y);
   *     this.opt.zeroGrad(); loss.backward(); this.opt.step();
   *     return { loss: loss.detach() };
   *   }
   * }
   * ```
   */
  trainStep(batch: Tensor[]): StepLogs {
    return defaultTrainStep(this, this.compiled('fit'), batch);
  }

  /**
   * One evaluation step on a batch, called by {@link Module.evaluate} and fit's validation, in eval
   * mode without gradients; returns named one-element tensors or numbers. The default computes the
   * compiled loss and metrics. Override it with {@link Module.trainStep} when they differ.
   * @example
   * ```ts
   * class Scorer extends Module {
   *   fc = new Linear(3, 1);
   *   forward(x: Tensor) { return this.fc.forward(x); }
   *   override testStep([x, y]: Tensor[]) { return { mae: l1Loss(this.forward(x), y) }; }
   * }
   * ```
   */
  testStep(batch: Tensor[]): StepLogs {
    return defaultTestStep(this, this.compiled('evaluate'), batch);
  }

  /**
   * Outputs for `x` in evaluation mode without gradients, computed in batches.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * const xTest = randn([100, 4]);
   * const logits = model.predict(xTest);
   * ```
   */
  predict(x: Tensor, opts: EvaluateOptions = {}): Tensor {
    return predictBatched(this, x, opts);
  }

  // ── looking at a model ────────────────────────────────────────────────────
  /**
   * The settings this module shows in `String(model)`, between its parentheses, as PyTorch's
   * `extra_repr`: our camelCase option names and JavaScript literals (`Linear(inFeatures=784,
   * outFeatures=10, bias=true)`). Layers override it; a custom module may too. Default: empty.
   * @example
   * ```ts
   * class Scale extends Module {
   *   constructor(readonly factor: number) { super(); }
   *   forward(x: Tensor) { return x.mul(this.factor); }
   *   override extraRepr() { return `factor=${this.factor}`; }
   * }
   * String(new Scale(2)); // 'Scale(factor=2)'
   * ```
   */
  extraRepr(): string {
    return '';
  }

  /**
   * PyTorch's nested module repr: `Name(extraRepr)`, or for a module with children one
   * `(key): child` line each, indented, under the same keys as `stateDict()`. Node's
   * `console.log(model)` prints the same.
   * @example
   * ```ts
   * String(new Sequential(new Linear(4, 2), new ReLU()));
   * // 'Sequential(\n  (0): Linear(inFeatures=4, outFeatures=2, bias=true)\n  (1): ReLU()\n)'
   * ```
   */
  override toString(): string {
    return moduleRepr(this);
  }

  /**
   * A Keras-style table of the layers: each submodule by key and type, its output shape when
   * `inputShape` is given (one forward pass on zeros of that shape, or of each shape in a list of
   * them, on the model's device, without gradients and in evaluation mode, so nothing is
   * trained), its own parameters and how many of them are trainable, then totals (shared
   * parameters counted once; buffers such as running statistics are not parameters, as in
   * PyTorch). Returns the text; `{ print: true }` also logs it.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * console.log(model.summary([32, 4]));
   * // Model: Sequential
   * // ==============================================
   * // Layer (type)  Output shape  Param #  Trainable
   * // ==============================================
   * // 0 (Linear)    [32, 8]            40         40
   * // 1 (ReLU)      [32, 8]             0          0
   * // 2 (Linear)    [32, 3]            27         27
   * // ==============================================
   * // Total params: 67
   * // Trainable params: 67
   * // Non-trainable params: 0
   * ```
   */
  summary(inputShape?: readonly number[] | readonly (readonly number[])[], opts?: SummaryOptions): string {
    return summary(this, inputShape, opts);
  }

  /**
   * Free every parameter and buffer of this module and its descendants, and the state of an
   * optimizer that `compile` created from its name.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.dispose(); // memory() no longer counts its weights
   * ```
   */
  dispose(): void {
    const all = new Set<Tensor>();
    for (const [, m] of this.namedModules()) for (const [, t] of [...m.ownTensors('param'), ...m.ownTensors('buffer')]) all.add(t);
    for (const t of all) t.dispose();
    releaseCompiled(this._compiled);
  }
}
