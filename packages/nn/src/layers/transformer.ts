import { ArgumentError, DTypeError, ShapeError, scope, Tensor } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, describeInput } from '../checks';
import { Module } from '../module';
import { MultiheadAttention } from './attention';
import { ModuleList } from './container';
import { Dropout } from './dropout';
import { Linear } from './linear';
import { LayerNorm } from './norm';

/**
 * The feed-forward activation of a {@link TransformerEncoderLayer}: `'relu'`, `'gelu'` (exact erf
 * form, as `torch.nn.functional.gelu`) or any elementwise function.
 * @example
 * ```ts
 * const act: TransformerActivation = (x) => x.gelu({ approximate: 'tanh' });
 * ```
 */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/**
 * Options of {@link TransformerEncoderLayer} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new TransformerEncoderLayer(512, 8, { dimFeedforward: 1024, activation: 'gelu', batchFirst: true, normFirst: true });
 * ```
 */
export interface TransformerEncoderLayerOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability after attention, inside and after the feed-forward block, and on the attention weights (default 0.1). */
  dropout?: number;
  /** Feed-forward activation (default 'relu'). */
  activation?: TransformerActivation;
  /** eps of both layer norms (default 1e-5). */
  layerNormEps?: number;
  /** src is [N, S, dModel] instead of [S, N, dModel] (default false). */
  batchFirst?: boolean;
  /** Pre-norm: normalize before attention and feed-forward instead of after the residual sum (default false). */
  normFirst?: boolean;
  /** Biases in the linear layers and layer norms (default true). */
  bias?: boolean;
}

/**
 * Options of {@link TransformerEncoderLayer.forward}. Masks follow `torch.nn.MultiheadAttention`:
 * in a bool mask `true` marks a position that may NOT be attended to; a float mask is added to
 * the scores (see {@link MultiheadAttention.forward}).
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(8, 2, { batchFirst: true });
 * const src = randn([1, 3, 8]);
 * layer.forward(src, { srcKeyPaddingMask: tensor([[false, false, true]]), isCausal: true });
 * ```
 */
export interface TransformerEncoderLayerForwardOptions {
  /** Attention mask [S, S] or [N·nhead, S, S]. */
  srcMask?: Tensor | null;
  /** Padding mask [N, S] (unbatched [S]). */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention; with `srcMask`, a hint that the mask is causal (see MultiheadAttention). */
  isCausal?: boolean;
}

function checkSrc(name: string, src: Tensor, dModel: number, batchFirst: boolean): void {
  if (!(src instanceof Tensor) || (src.ndim !== 2 && src.ndim !== 3) || src.shape.at(-1) !== dModel) {
    throw new ShapeError(
      name,
      `expected src of shape ${batchFirst ? `[N, S, ${dModel}]` : `[S, N, ${dModel}]`} or unbatched [S, ${dModel}], got ${describeInput(src)}`,
    );
  }
  if (src.dtype !== 'float32') throw new DTypeError(name, `expected a float32 src, got ${src.dtype}`);
}

/**
 * @internal The feed-forward sub-block shared by the encoder and decoder layers, before its last
 * dropout: linear2(dropout(activation(linear1(x)))).
 */
export function feedForward(layer: { linear1: Linear; dropout: Dropout; linear2: Linear; activation: TransformerActivation }, x: Tensor): Tensor {
  const h = layer.linear1.call(x);
  const a = layer.activation === 'relu' ? h.relu() : layer.activation === 'gelu' ? h.gelu() : layer.activation(h);
  return layer.linear2.call(layer.dropout.call(a));
}

/**
 * @internal The layers of a TransformerEncoder/Decoder: `numLayers` clones of `layer`, or one call
 * of the factory per layer, each checked to be a new `Layer`.
 */
export function stackLayers<L extends Module & { clone(): L }>(
  name: string,
  Layer: abstract new (...args: never[]) => L,
  layer: L | (() => L),
  numLayers: number,
): L[] {
  checkPositiveInt(name, 'numLayers', numLayers);
  const isLayer = layer instanceof Layer;
  if (!isLayer && typeof layer !== 'function') throw new ArgumentError(name, `expected a ${name}Layer or a function returning a new one`);
  const layers = Array.from({ length: numLayers }, () => (isLayer ? layer.clone() : (layer as () => L)()));
  layers.forEach((l, i) => {
    if (!(l instanceof Layer)) throw new ArgumentError(name, `the factory must return a ${name}Layer, got ${String(l)} for layer ${i}`);
    if (layers.indexOf(l) !== i)
      throw new ArgumentError(name, `the factory returned the same layer for layers ${layers.indexOf(l)} and ${i}; return a new layer on each call`);
  });
  return layers;
}

/** @internal A stack's optional final norm: a Module or null. */
export function checkNorm(name: string, norm: unknown): Module | null {
  if (norm != null && !(norm instanceof Module)) throw new ArgumentError(name, 'norm must be a Module (e.g. a LayerNorm) or null');
  return (norm as Module | undefined) ?? null;
}

/** @internal The options of an encoder or decoder layer with PyTorch's defaults, checked. */
export function resolveLayerOptions(
  name: string,
  dModel: number,
  nhead: number,
  opts: TransformerEncoderLayerOptions,
): Required<TransformerEncoderLayerOptions> {
  checkKeys(name, opts, ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias']);
  const { dimFeedforward = 2048, dropout = 0.1, activation = 'relu', layerNormEps = 1e-5, batchFirst = false, normFirst = false, bias = true } = opts;
  for (const [k, v] of [
    ['dModel', dModel],
    ['nhead', nhead],
    ['dimFeedforward', dimFeedforward],
  ] as const) {
    checkPositiveInt(name, k, v);
  }
  if (dModel % nhead !== 0) throw new ArgumentError(name, `dModel (${dModel}) must be divisible by nhead (${nhead})`);
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) throw new ArgumentError(name, `dropout must be a number in [0, 1], got ${dropout}`);
  if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function') {
    throw new ArgumentError(name, `activation must be 'relu', 'gelu' or a function, got ${JSON.stringify(activation)}`);
  }
  if (typeof layerNormEps !== 'number' || !(layerNormEps > 0)) throw new ArgumentError(name, `layerNormEps must be a positive number, got ${layerNormEps}`);
  return { dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias };
}

/**
 * @internal What TransformerEncoderLayer and TransformerDecoderLayer share: PyTorch's options,
 * checked and resolved to their defaults, kept for `clone()`.
 */
export abstract class TransformerLayerBase<O extends TransformerEncoderLayerOptions> extends Module {
  /** Model dimension. @example `new TransformerEncoderLayer(16, 4).dModel // 16` */
  readonly dModel: number;
  /** Attention heads. @example `new TransformerEncoderLayer(16, 4).nhead // 4` */
  readonly nhead: number;
  /** Feed-forward activation. @example `new TransformerEncoderLayer(16, 4, { activation: 'gelu' }).activation // 'gelu'` */
  readonly activation: TransformerActivation;
  /** Whether inputs are batch-major. @example `new TransformerEncoderLayer(16, 4, { batchFirst: true }).batchFirst // true` */
  readonly batchFirst: boolean;
  /** Pre-norm (true) or post-norm (false). @example `new TransformerEncoderLayer(16, 4, { normFirst: true }).normFirst // true` */
  readonly normFirst: boolean;
  /** The options as given (for clone). */
  protected readonly _opts: O;
  /** The options with PyTorch's defaults filled in. */
  protected readonly settings: ReturnType<typeof resolveLayerOptions>;

  protected constructor(name: string, dModel: number, nhead: number, opts: O) {
    super();
    this.settings = resolveLayerOptions(name, dModel, nhead, opts);
    this.dModel = dModel;
    this.nhead = nhead;
    this.activation = this.settings.activation;
    this.batchFirst = this.settings.batchFirst;
    this.normFirst = this.settings.normFirst;
    this._opts = { ...opts };
  }
}

/**
 * One Transformer encoder block (Vaswani et al., 2017), as `torch.nn.TransformerEncoderLayer`:
 * - post-norm (default): x = norm1(x + SA(x)); x = norm2(x + FF(x))
 * - `normFirst`:         x = x + SA(norm1(x)); x = x + FF(norm2(x))
 *
 * with SA(x) = dropout1(selfAttn(x, x, x)) and FF(x) = dropout2(linear2(dropout(act(linear1(x))))).
 * Shapes: src [S, N, dModel] ([N, S, dModel] with `batchFirst`, or unbatched [S, dModel]) → same.
 * Submodules and state-dict keys as PyTorch: `self_attn.*`, `linear1.*`, `linear2.*`, `norm1.*`,
 * `norm2.*` (dropout, dropout1, dropout2 hold no parameters).
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 * layer.forward(randn([2, 10, 16])).shape; // [2, 10, 16]
 * ```
 */
export class TransformerEncoderLayer extends TransformerLayerBase<TransformerEncoderLayerOptions> {
  /** Multi-head self-attention. @example `new TransformerEncoderLayer(16, 4).selfAttn.numHeads // 4` */
  selfAttn: MultiheadAttention;
  /** First feed-forward projection dModel → dimFeedforward. @example `new TransformerEncoderLayer(16, 4, { dimFeedforward: 32 }).linear1.outFeatures // 32` */
  linear1: Linear;
  /** Dropout inside the feed-forward block. @example `new TransformerEncoderLayer(16, 4, { dropout: 0.2 }).dropout.p // 0.2` */
  dropout: Dropout;
  /** Second feed-forward projection dimFeedforward → dModel. @example `new TransformerEncoderLayer(16, 4, { dimFeedforward: 32 }).linear2.inFeatures // 32` */
  linear2: Linear;
  /** Layer norm of the attention sub-block. @example `new TransformerEncoderLayer(16, 4, { layerNormEps: 1e-6 }).norm1.eps // 1e-6` */
  norm1: LayerNorm;
  /** Layer norm of the feed-forward sub-block. @example `new TransformerEncoderLayer(16, 4).norm2.normalizedShape // [16]` */
  norm2: LayerNorm;
  /** Dropout after attention. @example `new TransformerEncoderLayer(16, 4).dropout1.p // 0.1` */
  dropout1: Dropout;
  /** Dropout after the feed-forward block. @example `new TransformerEncoderLayer(16, 4).dropout2.p // 0.1` */
  dropout2: Dropout;

  /**
   * @param dModel model dimension (a multiple of `nhead`)
   * @param nhead attention heads
   * @example
   * ```ts
   * const layer = new TransformerEncoderLayer(64, 4);
   * ```
   */
  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super('TransformerEncoderLayer', dModel, nhead, opts);
    const { dimFeedforward, dropout, layerNormEps, batchFirst, bias } = this.settings;
    // Assigned in PyTorch's registration order, which stateDict() follows.
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias });
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, bias });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, bias });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
  }

  /**
   * Run the block on `src`; see the class for the formulas and shapes.
   * @example
   * ```ts
   * const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }).eval();
   * layer.forward(randn([5, 3, 8]), { isCausal: true }).shape; // [5, 3, 8]
   * ```
   */
  override forward(src: Tensor, opts: TransformerEncoderLayerForwardOptions = {}): Tensor {
    checkKeys('TransformerEncoderLayer', opts, ['srcMask', 'srcKeyPaddingMask', 'isCausal']);
    checkSrc('TransformerEncoderLayer', src, this.dModel, this.batchFirst);
    return scope(() => {
      let x = src;
      if (this.normFirst) {
        x = x.add(this.attentionBlock(this.norm1.call(x), opts));
        return x.add(this.feedForwardBlock(this.norm2.call(x)));
      }
      x = this.norm1.call(x.add(this.attentionBlock(x, opts)));
      return this.norm2.call(x.add(this.feedForwardBlock(x)));
    });
  }

  /**
   * An independent copy: same options, weights copied, same training mode (what PyTorch's
   * `copy.deepcopy` gives {@link TransformerEncoder}).
   * @example
   * ```ts
   * const layer = new TransformerEncoderLayer(8, 2);
   * const twin = layer.clone(); // twin.stateDict() has equal values in new tensors
   * ```
   */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, this._opts);
    copy.loadStateDict(this.stateDict());
    return copy.train(this.training);
  }

  private attentionBlock(x: Tensor, opts: TransformerEncoderLayerForwardOptions): Tensor {
    const [y] = this.selfAttn.call(x, x, x, {
      attnMask: opts.srcMask,
      keyPaddingMask: opts.srcKeyPaddingMask,
      isCausal: opts.isCausal,
      needWeights: false,
    });
    return this.dropout1.call(y);
  }

  private feedForwardBlock(x: Tensor): Tensor {
    return this.dropout2.call(feedForward(this, x));
  }
}

/**
 * Options of {@link TransformerEncoder}.
 * @example
 * ```ts
 * new TransformerEncoder(() => new TransformerEncoderLayer(64, 4), 6, { norm: new LayerNorm(64) });
 * ```
 */
export interface TransformerEncoderOptions {
  /** Applied to the output of the last layer, e.g. a LayerNorm for pre-norm stacks (default none). */
  norm?: Module | null;
}

/**
 * Options of {@link TransformerEncoder.forward}; passed to every layer (masks as
 * {@link TransformerEncoderLayerForwardOptions}: bool `true` = NOT attended).
 * @example
 * ```ts
 * const encoder = new TransformerEncoder(new TransformerEncoderLayer(8, 2), 2);
 * const src = randn([3, 1, 8]); // [S, N, E]
 * const causal = tensor([[false, true, true], [false, false, true], [false, false, false]]); // true: not attended
 * encoder.forward(src, { mask: causal, isCausal: true });
 * ```
 */
export interface TransformerEncoderForwardOptions {
  /** Attention mask [S, S] or [N·nhead, S, S]. */
  mask?: Tensor | null;
  /** Padding mask [N, S] (unbatched [S]). */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention in every layer. */
  isCausal?: boolean;
}

/**
 * A stack of `numLayers` encoder layers, optionally followed by `norm`, as
 * `torch.nn.TransformerEncoder`. Keys: `layers.0.self_attn.in_proj_weight`, …, `norm.weight`.
 *
 * PyTorch deep-copies one layer `numLayers` times, so every layer starts with the same weights.
 * Here pass either a layer, which is copied the same way with {@link TransformerEncoderLayer.clone}
 * (the layer given is not itself part of the stack), or a factory `() => layer`, called once per
 * layer, so each layer gets its own fresh initialisation (and may be a custom subclass).
 * @example
 * ```ts
 * const encoder = new TransformerEncoder(() => new TransformerEncoderLayer(16, 4, { dimFeedforward: 32 }), 2);
 * encoder.forward(randn([10, 2, 16])).shape; // [10, 2, 16]
 * ```
 */
export class TransformerEncoder extends Module {
  /** The layers (keys `layers.0.…`, `layers.1.…`). @example `new TransformerEncoder(() => new TransformerEncoderLayer(16, 4), 2).layers.length // 2` */
  layers: ModuleList<TransformerEncoderLayer>;
  /** The final norm, or null. @example `new TransformerEncoder(() => new TransformerEncoderLayer(16, 4), 2, { norm: new LayerNorm(16) }).norm instanceof LayerNorm // true` */
  norm: Module | null;
  /** Number of layers. @example `new TransformerEncoder(new TransformerEncoderLayer(16, 4), 3).numLayers // 3` */
  readonly numLayers: number;

  /**
   * @param encoderLayer a layer to copy `numLayers` times, or a factory making a new layer per call
   * @param numLayers how many layers to stack
   * @example
   * ```ts
   * const encoder = new TransformerEncoder(new TransformerEncoderLayer(64, 4), 2);
   * ```
   */
  constructor(encoderLayer: TransformerEncoderLayer | (() => TransformerEncoderLayer), numLayers: number, opts: TransformerEncoderOptions = {}) {
    super();
    const name = 'TransformerEncoder';
    checkKeys(name, opts, ['norm']);
    this.layers = new ModuleList(stackLayers(name, TransformerEncoderLayer, encoderLayer, numLayers));
    this.norm = checkNorm(name, opts.norm);
    this.numLayers = numLayers;
  }

  /**
   * Run `src` through every layer, then `norm`. Shapes as {@link TransformerEncoderLayer}.
   * @example
   * ```ts
   * const encoder = new TransformerEncoder(new TransformerEncoderLayer(8, 2, { batchFirst: true }), 2);
   * const src = randn([2, 3, 8]);
   * const padding = tensor([[false, false, true], [false, false, false]]);
   * encoder.forward(src, { srcKeyPaddingMask: padding }).shape; // src.shape
   * ```
   */
  override forward(src: Tensor, opts: TransformerEncoderForwardOptions = {}): Tensor {
    checkKeys('TransformerEncoder', opts, ['mask', 'srcKeyPaddingMask', 'isCausal']);
    const first = this.layers.at(0);
    checkSrc('TransformerEncoder', src, first.dModel, first.batchFirst);
    const layerOpts = { srcMask: opts.mask, srcKeyPaddingMask: opts.srcKeyPaddingMask, isCausal: opts.isCausal };
    return scope(() => {
      let x = src;
      for (const layer of this.layers) x = layer.call(x, layerOpts);
      return this.norm ? (this.norm.call(x) as Tensor) : x;
    });
  }
}
