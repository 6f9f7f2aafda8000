// Module fusion before quantization, as torch.ao.quantization.fuse_modules: BatchNorm folded into the
// preceding Conv2d/Linear (eval mode, torch.nn.utils.fusion's formulas, in float32) and a following
// ReLU kept inside one fused module, so the quantized layer applies it before requantizing.
import { BatchNorm1d, BatchNorm2d, Conv2d, Linear, Module, Parameter, ReLU, Sequential } from '@aimodel/nn';
import { ArgumentError, div, noGrad, scope, type Tensor } from '@aimodel/tensor';

/**
 * Conv2d followed by ReLU as one module (`torch.ao.nn.intrinsic.ConvReLU2d`): children `0`
 * (the conv, BatchNorm already folded in) and `1` (the ReLU), so state-dict keys are PyTorch's.
 * @example
 * ```ts
 * const m = new ConvReLU2d(new Conv2d(1, 2, 3), new ReLU());
 * m.forward(randn([1, 1, 5, 5])).shape; // [1, 2, 3, 3]
 * ```
 */
export class ConvReLU2d extends Sequential {
  /**
   * @param conv the convolution
   * @param relu the activation (a new ReLU by default)
   * @example
   * ```ts
   * new ConvReLU2d(new Conv2d(3, 8, 3));
   * ```
   */
  constructor(conv: Conv2d, relu: ReLU = new ReLU()) {
    if (!(conv instanceof Conv2d) || !(relu instanceof ReLU)) throw new ArgumentError('ConvReLU2d', 'expected a Conv2d and a ReLU');
    super(conv, relu);
  }
  /** The convolution (child `0`). @example `new ConvReLU2d(new Conv2d(1, 2, 3)).conv.outChannels // 2` */
  get conv(): Conv2d {
    return this.at(0) as Conv2d;
  }
}

/**
 * Linear followed by ReLU as one module (`torch.ao.nn.intrinsic.LinearReLU`): children `0` and `1`.
 * @example
 * ```ts
 * const m = new LinearReLU(new Linear(4, 2));
 * m.forward(randn([3, 4])).shape; // [3, 2]
 * ```
 */
export class LinearReLU extends Sequential {
  /**
   * @param linear the linear layer
   * @param relu the activation (a new ReLU by default)
   * @example
   * ```ts
   * new LinearReLU(new Linear(8, 4), new ReLU());
   * ```
   */
  constructor(linear: Linear, relu: ReLU = new ReLU()) {
    if (!(linear instanceof Linear) || !(relu instanceof ReLU)) throw new ArgumentError('LinearReLU', 'expected a Linear and a ReLU');
    super(linear, relu);
  }
  /** The linear layer (child `0`). @example `new LinearReLU(new Linear(4, 2)).linear.outFeatures // 2` */
  get linear(): Linear {
    return this.at(0) as Linear;
  }
}

/**
 * What a fused-away module becomes (`torch.nn.Identity`): forward(x) = x.
 * @example
 * ```ts
 * const x = tensor([1, 2]);
 * new FusedIdentity().forward(x) === x; // true
 * ```
 */
export class FusedIdentity extends Module {
  /** Returns x. @example `new FusedIdentity().forward(tensor([1])).shape // [1]` */
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** The field of `parent` that holds the child named `key` (state-dict names are snake_case). */
function fieldOf(parent: Module, key: string): string | undefined {
  return Object.keys(parent).find(
    (k) => !k.startsWith('_') && (parent as unknown as Record<string, unknown>)[k] instanceof Module && (k === key || snake(k) === key),
  );
}

function snake(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Replace the submodule at dotted `name` in `root`. @internal */
export function setSubmodule(op: string, root: Module, name: string, module: Module): void {
  const parts = name.split('.');
  const key = parts.pop() as string;
  const parent = parts.length ? findSubmodule(op, root, parts.join('.')) : root;
  const field = fieldOf(parent, key);
  if (field === undefined) throw new ArgumentError(op, `no submodule '${name}'`);
  (parent as unknown as Record<string, Module>)[field] = module;
}

/** The submodule at dotted `name` (names as in `namedModules()`). @internal */
export function findSubmodule(op: string, root: Module, name: string): Module {
  const found = root.namedModules().find(([n]) => n === name);
  if (!found) {
    const names = root
      .namedModules()
      .map(([n]) => n)
      .filter((n) => n);
    throw new ArgumentError(op, `no submodule '${name}' (the model has ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`);
  }
  return found[1];
}

/** BatchNorm's per-channel multiplier γ/√(var + eps) and the running mean, checked for folding. */
function bnFactors(
  op: string,
  name: string,
  bn: BatchNorm1d | BatchNorm2d,
  channels: number,
): { rsq: Tensor; w: Tensor | null; b: Tensor | null; mean: Tensor } {
  if (bn.training)
    throw new ArgumentError(op, `'${name}' is in training mode: call model.eval() before fusing (BatchNorm is folded with its running statistics)`);
  if (!bn.runningMean || !bn.runningVar)
    throw new ArgumentError(op, `'${name}' keeps no running statistics (trackRunningStats: false), so it cannot be folded`);
  if (bn.numFeatures !== channels) throw new ArgumentError(op, `'${name}' has ${bn.numFeatures} features but the layer before it has ${channels} outputs`);
  // 1/sqrt in two float32 roundings, as PyTorch's CPU rsqrt (tensor's JS rsqrt rounds once)
  return { rsq: div(1, bn.runningVar.add(bn.eps).sqrt()), w: bn.weight, b: bn.bias, mean: bn.runningMean };
}

/**
 * Fold eval-mode BatchNorm into a Conv2d in place, as `torch.nn.utils.fusion.fuse_conv_bn_eval`:
 * W' = W · (γ·rsqrt(var + eps)) per output channel, b' = (b − mean)·rsqrt(var + eps)·γ + β.
 */
function foldConvBn(op: string, name: string, conv: Conv2d, bn: BatchNorm2d): void {
  noGrad(() =>
    scope(() => {
      const { rsq, w, b, mean } = bnFactors(op, name, bn, conv.outChannels);
      const gamma = w ?? rsq.onesLike();
      const weight = conv.weight.mul(gamma.mul(rsq).reshape([-1, 1, 1, 1]));
      let bias = (conv.bias ?? mean.mul(0)).sub(mean).mul(rsq).mul(gamma);
      if (b) bias = bias.add(b);
      replaceParameters(conv, weight, bias);
    }),
  );
}

/**
 * Fold eval-mode BatchNorm1d into a Linear in place, as `fuse_linear_bn_eval`:
 * s = γ·rsqrt(var + eps); W' = W · s per output row, b' = (b − mean)·s + β.
 */
function foldLinearBn(op: string, name: string, linear: Linear, bn: BatchNorm1d): void {
  noGrad(() =>
    scope(() => {
      const { rsq, w, b, mean } = bnFactors(op, name, bn, linear.outFeatures);
      const s = w ? w.mul(rsq) : rsq;
      const weight = linear.weight.mul(s.unsqueeze(-1));
      let bias = (linear.bias ?? mean.mul(0)).sub(mean).mul(s);
      if (b) bias = bias.add(b);
      replaceParameters(linear, weight, bias);
    }),
  );
}

function replaceParameters(layer: Conv2d | Linear, weight: Tensor, bias: Tensor): void {
  const oldW = layer.weight;
  const oldB = layer.bias;
  layer.weight = new Parameter(weight.contiguous());
  layer.bias = new Parameter(bias.contiguous());
  oldW.dispose();
  oldB?.dispose();
}

const PATTERNS = 'Conv2d+BatchNorm2d, Conv2d+BatchNorm2d+ReLU, Conv2d+ReLU, Linear+ReLU, Linear+BatchNorm1d, Linear+BatchNorm1d+ReLU';

/** Fuse one group; returns the module that replaces its first member. */
function fuseGroup(op: string, names: string[], mods: Module[]): Module {
  const kinds = mods.map((m) => m.constructor.name).join('+');
  const [first, second, third] = mods;
  const relu = mods.at(-1) instanceof ReLU ? (mods.at(-1) as ReLU) : null;
  const bn = second instanceof BatchNorm2d || second instanceof BatchNorm1d ? second : null;
  const valid = (mods.length === 2 && (bn !== null || relu !== null)) || (mods.length === 3 && bn !== null && third instanceof ReLU);
  if (first instanceof Conv2d && valid && !(second instanceof BatchNorm1d)) {
    if (bn) foldConvBn(op, names[1], first, bn as BatchNorm2d);
    return relu ? new ConvReLU2d(first, relu) : first;
  }
  if (first instanceof Linear && valid && !(second instanceof BatchNorm2d)) {
    if (bn) foldLinearBn(op, names[1], first, bn as BatchNorm1d);
    return relu ? new LinearReLU(first, relu) : first;
  }
  throw new ArgumentError(op, `cannot fuse [${names.join(', ')}] (${kinds}); supported sequences: ${PATTERNS}`);
}

/**
 * Fuse groups of consecutive layers in place, as `torch.ao.quantization.fuse_modules`: each group
 * (dotted names as in `namedModules()`) becomes one module at the first name, the others become
 * {@link FusedIdentity}. Conv2d+BatchNorm2d folds the BatchNorm into the convolution's weight and
 * bias (the model must be in eval mode: running statistics are used), likewise Linear+BatchNorm1d;
 * a trailing ReLU makes a {@link ConvReLU2d} / {@link LinearReLU}. Returns the model. Run it
 * before `prepare`, so the quantized layer folds BatchNorm and applies ReLU in integer arithmetic.
 * @param model the model (changed in place)
 * @param modulesToFuse one group (`['0', '1', '2']`) or a list of groups
 * @example
 * ```ts
 * const model = new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(64, 10), new ReLU());
 * model.eval();
 * fuseModules(model, [['0', '1', '2'], ['4', '5']]);
 * model.at(0) instanceof ConvReLU2d; // true; model.at(1) and model.at(2) are FusedIdentity
 * ```
 */
export function fuseModules<M extends Module>(model: M, modulesToFuse: string[] | string[][]): M {
  const op = 'fuseModules';
  if (!(model instanceof Module)) throw new ArgumentError(op, 'expected a Module as the model');
  if (!Array.isArray(modulesToFuse) || modulesToFuse.length === 0) throw new ArgumentError(op, 'expected a group of module names, or a list of groups');
  const groups = (typeof modulesToFuse[0] === 'string' ? [modulesToFuse] : modulesToFuse) as unknown[];
  const resolved = groups.map((g) => {
    if (!Array.isArray(g) || g.length < 2 || g.length > 3 || g.some((n) => typeof n !== 'string')) {
      throw new ArgumentError(op, `each group lists 2 or 3 module names, got ${JSON.stringify(g)}`);
    }
    return { names: g as string[], mods: (g as string[]).map((n) => findSubmodule(op, model, n)) };
  });
  for (const { names, mods } of resolved) {
    const fused = fuseGroup(op, names, mods);
    setSubmodule(op, model, names[0], fused);
    for (let i = 1; i < names.length; i++) {
      if (mods[i] instanceof BatchNorm1d || mods[i] instanceof BatchNorm2d) mods[i].dispose();
      setSubmodule(op, model, names[i], new FusedIdentity());
    }
  }
  return model;
}
