import { ArgumentError, type DeviceName, noGrad, ShapeError, scope, Tensor } from '@aimodel/tensor';
import { Parameter } from './parameter';
import type { Logs } from './training/callbacks';
import { type CompileConfig, type Compiled, resolveCompile } from './training/compile';
import { type EvaluateOptions, evaluateCompiled, type FitOptions, fitCompiled, type History, predictBatched } from './training/fit';

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). */
  strict?: boolean;
}

/** Keys that {@link Module.loadStateDict} could not match. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** `runningMean` → `running_mean`, `weightIhL0` → `weight_ih_l0`: PyTorch's state-dict names. */
export function stateKey(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
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
export abstract class Module {
  /** Training mode (dropout active, batch norm uses batch statistics); see {@link Module.train}. */
  training = true;
  /** Set by a callback to end `fit` after the current epoch. */
  stopTraining = false;
  private _compiled: Compiled | null = null;

  /** The computation of this module. */
  abstract forward(...inputs: any[]): any;

  /** Direct children as [key, module] pairs, in declaration order. */
  namedChildren(): [string, Module][] {
    return Object.entries(this)
      .filter(([k, v]) => !k.startsWith('_') && v instanceof Module)
      .map(([k, v]) => [stateKey(k), v as Module]);
  }

  /** Direct child modules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all its descendants with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [k, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${k}` : k));
    return out;
  }

  private ownTensors(kind: 'param' | 'buffer'): [string, Tensor][] {
    return Object.entries(this)
      .filter(([k, v]) => !k.startsWith('_') && v instanceof Tensor && (v instanceof Parameter) === (kind === 'param'))
      .map(([k, v]) => [stateKey(k), v as Tensor]);
  }

  /** Every parameter with its dotted name; shared parameters are listed once. */
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

  /** Every parameter (for an optimizer). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer (non-parameter tensor field, e.g. `running_mean`) with its dotted name. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, b] of m.ownTensors('buffer')) out.push([prefix ? `${prefix}.${k}` : k, b]);
    }
    return out;
  }

  /** Set training mode on this module and its descendants. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Drop the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Move every parameter and buffer to `device` (in place: fields are replaced). */
  to(device: DeviceName): this {
    for (const [, m] of this.namedModules()) {
      for (const [field, v] of Object.entries(m)) {
        if (field.startsWith('_') || !(v instanceof Tensor) || v.device === device) continue;
        const moved = v.to(device);
        (m as unknown as Record<string, Tensor>)[field] = v instanceof Parameter ? new Parameter(moved, v.requiresGrad) : moved;
        if (moved !== v) v.dispose();
      }
    }
    return this;
  }

  /**
   * Parameters and buffers by PyTorch-style key (the module's own tensors, not copies), in
   * PyTorch's order: module by module, each module's parameters before its buffers.
   */
  stateDict(): Record<string, Tensor> {
    const seen = new Set<Tensor>();
    const out: Record<string, Tensor> = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, t] of [...m.ownTensors('param'), ...m.ownTensors('buffer')]) {
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
   */
  loadStateDict(dict: Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
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
   * Choose the optimizer, loss and metrics used by {@link Module.fit} and {@link Module.evaluate}.
   * @example
   * ```ts
   * model.compile({ optimizer: new Adam(model.parameters()), loss: crossEntropy, metrics: ['accuracy'] });
   * ```
   */
  compile(config: CompileConfig): this {
    this._compiled = resolveCompile(config);
    return this;
  }

  private compiled(op: string): Compiled {
    if (!this._compiled) throw new ArgumentError(op, 'call model.compile({ optimizer, loss }) first');
    return this._compiled;
  }

  /**
   * Train on inputs `x` and targets `y` (sample dimension first) for `epochs` passes in batches,
   * with optional validation, shuffling and callbacks; resolves to the per-epoch history.
   * @example
   * ```ts
   * const history = await model.fit(x, y, { epochs: 10, batchSize: 64, validationSplit: 0.1 });
   * ```
   */
  fit(x: Tensor, y: Tensor, opts: FitOptions = {}): Promise<History> {
    return fitCompiled(this, this.compiled('fit'), x, y, opts);
  }

  /**
   * Mean loss and metrics over `x`, `y` in evaluation mode.
   * @example
   * ```ts
   * const { loss, accuracy } = await model.evaluate(xTest, yTest);
   * ```
   */
  evaluate(x: Tensor, y: Tensor, opts: EvaluateOptions = {}): Promise<Logs> {
    return evaluateCompiled(this, this.compiled('evaluate'), x, y, opts);
  }

  /**
   * Outputs for `x` in evaluation mode without gradients, computed in batches.
   * @example
   * ```ts
   * const logits = model.predict(xTest);
   * ```
   */
  predict(x: Tensor, opts: EvaluateOptions = {}): Tensor {
    return predictBatched(this, x, opts);
  }

  /** Free every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const t of Object.values(this.stateDict())) t.dispose();
  }
}
