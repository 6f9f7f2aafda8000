import { ArgumentError, DTypeError, noGrad, ShapeError, scope, Tensor, tensor } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, describeInput } from '../checks';
import { xavierUniform } from '../init';
import { Module } from '../module';
import { MultiheadAttention } from './attention';
import { ModuleList } from './container';
import { Dropout } from './dropout';
import { Linear } from './linear';
import { LayerNorm } from './norm';
import {
  resolveLayerOptions,
  type TransformerActivation,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
} from './transformer';

/**
 * Options of {@link TransformerDecoderLayer}: the same as {@link TransformerEncoderLayerOptions}
 * (PyTorch's names and defaults).
 * @example
 * ```ts
 * const opts: TransformerDecoderLayerOptions = { dimFeedforward: 256, batchFirst: true, normFirst: true };
 * new TransformerDecoderLayer(64, 4, opts);
 * ```
 */
export type TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;

/**
 * Options of {@link TransformerDecoderLayer.forward} and {@link TransformerDecoder.forward}. Masks
 * follow `torch.nn.MultiheadAttention`: in a bool mask `true` marks a position that may NOT be
 * attended to; a float mask is added to the scores.
 * @example
 * ```ts
 * const layer = new TransformerDecoderLayer(8, 2, { batchFirst: true });
 * const tgt = randn([1, 3, 8]);
 * const memory = randn([1, 5, 8]);
 * layer.forward(tgt, memory, { tgtIsCausal: true, memoryKeyPaddingMask: tensor([[false, false, false, true, true]]) });
 * ```
 */
export interface TransformerDecoderForwardOptions {
  /** Self-attention mask [T, T] or [N·nhead, T, T]. */
  tgtMask?: Tensor | null;
  /** Cross-attention mask [T, S] or [N·nhead, T, S]. */
  memoryMask?: Tensor | null;
  /** Padding mask of the targets [N, T] (unbatched [T]). */
  tgtKeyPaddingMask?: Tensor | null;
  /** Padding mask of the memory [N, S] (unbatched [S]). */
  memoryKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (a hint with `tgtMask`, as PyTorch). */
  tgtIsCausal?: boolean;
  /** Causal cross-attention (a hint with `memoryMask`). */
  memoryIsCausal?: boolean;
}

const FORWARD_KEYS = ['tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask', 'tgtIsCausal', 'memoryIsCausal'];

function checkSequence(name: string, role: string, x: Tensor, dModel: number, batchFirst: boolean): void {
  if (!(x instanceof Tensor) || (x.ndim !== 2 && x.ndim !== 3) || x.shape.at(-1) !== dModel) {
    throw new ShapeError(
      name,
      `expected ${role} of shape ${batchFirst ? `[N, L, ${dModel}]` : `[L, N, ${dModel}]`} or unbatched [L, ${dModel}], got ${describeInput(x)}`,
    );
  }
  if (x.dtype !== 'float32') throw new DTypeError(name, `expected a float32 ${role}, got ${x.dtype}`);
}

/**
 * One Transformer decoder block, as `torch.nn.TransformerDecoderLayer`:
 * - post-norm (default): x = norm1(x + SA(x)); x = norm2(x + CA(x, memory)); x = norm3(x + FF(x))
 * - `normFirst`:         x = x + SA(norm1(x)); x = x + CA(norm2(x), memory); x = x + FF(norm3(x))
 *
 * with SA = dropout1 ∘ selfAttn, CA(x, m) = dropout2(multiheadAttn(x, m, m)) and FF(x) =
 * dropout3(linear2(dropout(act(linear1(x))))). Shapes: tgt [T, N, dModel], memory [S, N, dModel]
 * (batch first with `batchFirst`; or unbatched) → [T, N, dModel]. State-dict keys as PyTorch:
 * `self_attn.*`, `multihead_attn.*`, `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`, `norm3.*`.
 * @example
 * ```ts
 * const layer = new TransformerDecoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 * layer.forward(randn([2, 7, 16]), randn([2, 10, 16])).shape; // [2, 7, 16]
 * ```
 */
export class TransformerDecoderLayer extends Module {
  /** Multi-head self-attention over the targets. @example `new TransformerDecoderLayer(16, 4).selfAttn.numHeads // 4` */
  selfAttn: MultiheadAttention;
  /** Multi-head attention from the targets to the memory. @example `new TransformerDecoderLayer(16, 4).multiheadAttn.embedDim // 16` */
  multiheadAttn: MultiheadAttention;
  /** First feed-forward projection. @example `new TransformerDecoderLayer(16, 4, { dimFeedforward: 32 }).linear1.outFeatures // 32` */
  linear1: Linear;
  /** Dropout inside the feed-forward block. @example `new TransformerDecoderLayer(16, 4).dropout.p // 0.1` */
  dropout: Dropout;
  /** Second feed-forward projection. @example `new TransformerDecoderLayer(16, 4, { dimFeedforward: 32 }).linear2.inFeatures // 32` */
  linear2: Linear;
  /** Layer norm of the self-attention sub-block. @example `new TransformerDecoderLayer(16, 4).norm1.normalizedShape // [16]` */
  norm1: LayerNorm;
  /** Layer norm of the cross-attention sub-block. @example `new TransformerDecoderLayer(16, 4).norm2.normalizedShape // [16]` */
  norm2: LayerNorm;
  /** Layer norm of the feed-forward sub-block. @example `new TransformerDecoderLayer(16, 4).norm3.normalizedShape // [16]` */
  norm3: LayerNorm;
  /** Dropout after self-attention. @example `new TransformerDecoderLayer(16, 4).dropout1.p // 0.1` */
  dropout1: Dropout;
  /** Dropout after cross-attention. @example `new TransformerDecoderLayer(16, 4).dropout2.p // 0.1` */
  dropout2: Dropout;
  /** Dropout after the feed-forward block. @example `new TransformerDecoderLayer(16, 4).dropout3.p // 0.1` */
  dropout3: Dropout;
  /** Model dimension. @example `new TransformerDecoderLayer(16, 4).dModel // 16` */
  readonly dModel: number;
  /** Attention heads. @example `new TransformerDecoderLayer(16, 4).nhead // 4` */
  readonly nhead: number;
  /** Feed-forward activation. @example `new TransformerDecoderLayer(16, 4).activation // 'relu'` */
  readonly activation: TransformerActivation;
  /** Whether inputs are batch-major. @example `new TransformerDecoderLayer(16, 4).batchFirst // false` */
  readonly batchFirst: boolean;
  /** Pre-norm (true) or post-norm (false). @example `new TransformerDecoderLayer(16, 4).normFirst // false` */
  readonly normFirst: boolean;
  private readonly _opts: TransformerDecoderLayerOptions;

  /**
   * @param dModel model dimension (a multiple of `nhead`)
   * @param nhead attention heads
   * @example
   * ```ts
   * new TransformerDecoderLayer(64, 4, { activation: 'gelu' });
   * ```
   */
  constructor(dModel: number, nhead: number, opts: TransformerDecoderLayerOptions = {}) {
    super();
    const { dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias } = resolveLayerOptions(
      'TransformerDecoderLayer',
      dModel,
      nhead,
      opts,
    );
    this.dModel = dModel;
    this.nhead = nhead;
    this.activation = activation;
    this.batchFirst = batchFirst;
    this.normFirst = normFirst;
    this._opts = { ...opts };
    // PyTorch's registration order, which stateDict() follows
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst });
    this.multiheadAttn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias });
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, bias });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, bias });
    this.norm3 = new LayerNorm(dModel, { eps: layerNormEps, bias });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this.dropout3 = new Dropout(dropout);
  }

  /**
   * Run the block on `tgt` attending to `memory`; see the class for the formulas and shapes.
   * @example
   * ```ts
   * const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }).eval();
   * layer.forward(randn([4, 3, 8]), randn([6, 3, 8]), { tgtIsCausal: true }).shape; // [4, 3, 8]
   * ```
   */
  override forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderForwardOptions = {}): Tensor {
    checkKeys('TransformerDecoderLayer', opts, FORWARD_KEYS);
    checkSequence('TransformerDecoderLayer', 'tgt', tgt, this.dModel, this.batchFirst);
    checkSequence('TransformerDecoderLayer', 'memory', memory, this.dModel, this.batchFirst);
    if (memory.ndim !== tgt.ndim)
      throw new ShapeError('TransformerDecoderLayer', `tgt ${describeInput(tgt)} and memory ${describeInput(memory)} must both be batched or both unbatched`);
    return scope(() => {
      let x = tgt;
      if (this.normFirst) {
        x = x.add(this.selfAttentionBlock(this.norm1.call(x), opts));
        x = x.add(this.crossAttentionBlock(this.norm2.call(x), memory, opts));
        return x.add(this.feedForwardBlock(this.norm3.call(x)));
      }
      x = this.norm1.call(x.add(this.selfAttentionBlock(x, opts)));
      x = this.norm2.call(x.add(this.crossAttentionBlock(x, memory, opts)));
      return this.norm3.call(x.add(this.feedForwardBlock(x)));
    });
  }

  /**
   * An independent copy: same options, weights copied, same training mode.
   * @example
   * ```ts
   * const twin = new TransformerDecoderLayer(8, 2).clone();
   * ```
   */
  clone(): TransformerDecoderLayer {
    const copy = new TransformerDecoderLayer(this.dModel, this.nhead, this._opts);
    copy.loadStateDict(this.stateDict());
    return copy.train(this.training);
  }

  private selfAttentionBlock(x: Tensor, opts: TransformerDecoderForwardOptions): Tensor {
    const [y] = this.selfAttn.call(x, x, x, { attnMask: opts.tgtMask, keyPaddingMask: opts.tgtKeyPaddingMask, isCausal: opts.tgtIsCausal, needWeights: false });
    return this.dropout1.call(y);
  }

  private crossAttentionBlock(x: Tensor, memory: Tensor, opts: TransformerDecoderForwardOptions): Tensor {
    const [y] = this.multiheadAttn.call(x, memory, memory, {
      attnMask: opts.memoryMask,
      keyPaddingMask: opts.memoryKeyPaddingMask,
      isCausal: opts.memoryIsCausal,
      needWeights: false,
    });
    return this.dropout2.call(y);
  }

  private feedForwardBlock(x: Tensor): Tensor {
    const h = this.linear1.call(x);
    const a = this.activation === 'relu' ? h.relu() : this.activation === 'gelu' ? h.gelu() : this.activation(h);
    return this.dropout3.call(this.linear2.call(this.dropout.call(a)));
  }
}

/**
 * Options of {@link TransformerDecoder}.
 * @example
 * ```ts
 * new TransformerDecoder(() => new TransformerDecoderLayer(64, 4), 6, { norm: new LayerNorm(64) });
 * ```
 */
export interface TransformerDecoderOptions {
  /** Applied to the output of the last layer (default none). */
  norm?: Module | null;
}

/**
 * A stack of `numLayers` decoder layers, optionally followed by `norm`, as
 * `torch.nn.TransformerDecoder`. Keys: `layers.0.self_attn.in_proj_weight`, …, `norm.weight`. Pass
 * a layer (copied `numLayers` times with {@link TransformerDecoderLayer.clone}, as PyTorch's deep
 * copies) or a factory `() => layer` called once per layer.
 * @example
 * ```ts
 * const decoder = new TransformerDecoder(() => new TransformerDecoderLayer(16, 4, { dimFeedforward: 32 }), 2);
 * decoder.forward(randn([7, 2, 16]), randn([10, 2, 16])).shape; // [7, 2, 16]
 * ```
 */
export class TransformerDecoder extends Module {
  /** The layers (keys `layers.0.…`). @example `new TransformerDecoder(() => new TransformerDecoderLayer(16, 4), 2).layers.length // 2` */
  layers: ModuleList<TransformerDecoderLayer>;
  /** The final norm, or null. @example `new TransformerDecoder(new TransformerDecoderLayer(16, 4), 1).norm // null` */
  norm: Module | null;
  /** Number of layers. @example `new TransformerDecoder(new TransformerDecoderLayer(16, 4), 3).numLayers // 3` */
  readonly numLayers: number;

  /**
   * @param decoderLayer a layer to copy `numLayers` times, or a factory making a new layer per call
   * @param numLayers how many layers to stack
   * @example
   * ```ts
   * new TransformerDecoder(new TransformerDecoderLayer(64, 4), 2);
   * ```
   */
  constructor(decoderLayer: TransformerDecoderLayer | (() => TransformerDecoderLayer), numLayers: number, opts: TransformerDecoderOptions = {}) {
    super();
    const name = 'TransformerDecoder';
    checkKeys(name, opts, ['norm']);
    checkPositiveInt(name, 'numLayers', numLayers);
    const isLayer = decoderLayer instanceof TransformerDecoderLayer;
    if (!isLayer && typeof decoderLayer !== 'function') throw new ArgumentError(name, 'expected a TransformerDecoderLayer or a function returning a new one');
    const layers = Array.from({ length: numLayers }, () => (isLayer ? decoderLayer.clone() : decoderLayer()));
    layers.forEach((l, i) => {
      if (!(l instanceof TransformerDecoderLayer))
        throw new ArgumentError(name, `the factory must return a TransformerDecoderLayer, got ${String(l)} for layer ${i}`);
      if (layers.indexOf(l) !== i)
        throw new ArgumentError(name, `the factory returned the same layer for layers ${layers.indexOf(l)} and ${i}; return a new layer on each call`);
    });
    if (opts.norm != null && !(opts.norm instanceof Module)) throw new ArgumentError(name, 'norm must be a Module (e.g. a LayerNorm) or null');
    this.layers = new ModuleList(layers);
    this.norm = opts.norm ?? null;
    this.numLayers = numLayers;
  }

  /**
   * Run `tgt` through every layer (each attending to `memory`), then `norm`.
   * @example
   * ```ts
   * const decoder = new TransformerDecoder(new TransformerDecoderLayer(8, 2, { batchFirst: true }), 2);
   * decoder.forward(randn([2, 3, 8]), randn([2, 5, 8]), { tgtIsCausal: true }).shape; // [2, 3, 8]
   * ```
   */
  override forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderForwardOptions = {}): Tensor {
    checkKeys('TransformerDecoder', opts, FORWARD_KEYS);
    return scope(() => {
      let x = tgt;
      for (const layer of this.layers) x = layer.call(x, memory, opts);
      return this.norm ? (this.norm.call(x) as Tensor) : x;
    });
  }
}

/**
 * Options of {@link Transformer} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new Transformer({ dModel: 64, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 128, batchFirst: true });
 * ```
 */
export interface TransformerOptions extends TransformerEncoderLayerOptions {
  /** Model dimension (default 512). */
  dModel?: number;
  /** Attention heads (default 8). */
  nhead?: number;
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
}

/**
 * Options of {@link Transformer.forward}: the encoder's (`srcMask`, `srcKeyPaddingMask`,
 * `srcIsCausal`) and the decoder's ({@link TransformerDecoderForwardOptions}).
 * @example
 * ```ts
 * const model = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16 });
 * const tgtMask = Transformer.generateSquareSubsequentMask(3);
 * model.forward(randn([5, 1, 8]), randn([3, 1, 8]), { tgtMask, tgtIsCausal: true });
 * ```
 */
export interface TransformerForwardOptions extends TransformerDecoderForwardOptions {
  /** Encoder self-attention mask [S, S]. */
  srcMask?: Tensor | null;
  /** Padding mask of the source [N, S]. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal encoder self-attention. */
  srcIsCausal?: boolean;
}

/**
 * The encoder-decoder Transformer, as `torch.nn.Transformer`: `encoder` (a
 * {@link TransformerEncoder} of `numEncoderLayers` layers with a final LayerNorm) reads the
 * source, `decoder` (a {@link TransformerDecoder} with a final LayerNorm) the target and the
 * encoder's output. As PyTorch, every parameter with more than one dim is re-initialised with
 * Xavier-uniform. Keys: `encoder.layers.0.…`, `encoder.norm.weight`, `decoder.layers.0.…`,
 * `decoder.norm.weight`. Shapes: src [S, N, E], tgt [T, N, E] (batch first with `batchFirst`) →
 * [T, N, E].
 * @example
 * ```ts
 * const model = new Transformer({ dModel: 16, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32, batchFirst: true });
 * model.forward(randn([2, 10, 16]), randn([2, 7, 16])).shape; // [2, 7, 16]
 * ```
 */
export class Transformer extends Module {
  /** The encoder stack (with its final norm). @example `new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1 }).encoder.numLayers // 1` */
  encoder: TransformerEncoder;
  /** The decoder stack (with its final norm). @example `new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 3 }).decoder.numLayers // 3` */
  decoder: TransformerDecoder;
  /** Model dimension. @example `new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1 }).dModel // 8` */
  readonly dModel: number;
  /** Attention heads. @example `new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1 }).nhead // 2` */
  readonly nhead: number;
  /** Whether inputs are batch-major. @example `new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1 }).batchFirst // false` */
  readonly batchFirst: boolean;

  /**
   * @example
   * ```ts
   * new Transformer({ dModel: 32, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2 });
   * ```
   */
  constructor(opts: TransformerOptions = {}) {
    super();
    const name = 'Transformer';
    checkKeys(name, opts, [
      'dModel',
      'nhead',
      'numEncoderLayers',
      'numDecoderLayers',
      'dimFeedforward',
      'dropout',
      'activation',
      'layerNormEps',
      'batchFirst',
      'normFirst',
      'bias',
    ]);
    const { dModel = 512, nhead = 8, numEncoderLayers = 6, numDecoderLayers = 6, ...layerOpts } = opts;
    const eps = layerOpts.layerNormEps ?? 1e-5;
    const bias = layerOpts.bias ?? true;
    this.encoder = new TransformerEncoder(() => new TransformerEncoderLayer(dModel, nhead, layerOpts), numEncoderLayers, {
      norm: new LayerNorm(dModel, { eps, bias }),
    });
    this.decoder = new TransformerDecoder(() => new TransformerDecoderLayer(dModel, nhead, layerOpts), numDecoderLayers, {
      norm: new LayerNorm(dModel, { eps, bias }),
    });
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layerOpts.batchFirst ?? false;
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform(p);
  }

  /**
   * memory = encoder(src), then decoder(tgt, memory).
   * @example
   * ```ts
   * const model = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16 });
   * model.forward(randn([5, 2, 8]), randn([3, 2, 8])).shape; // [3, 2, 8]
   * ```
   */
  override forward(src: Tensor, tgt: Tensor, opts: TransformerForwardOptions = {}): Tensor {
    checkKeys('Transformer', opts, ['srcMask', 'srcKeyPaddingMask', 'srcIsCausal', ...FORWARD_KEYS]);
    checkSequence('Transformer', 'src', src, this.dModel, this.batchFirst);
    checkSequence('Transformer', 'tgt', tgt, this.dModel, this.batchFirst);
    const batch = this.batchFirst ? 0 : 1;
    if (src.ndim !== tgt.ndim || (src.ndim === 3 && src.shape[batch] !== tgt.shape[batch])) {
      throw new ShapeError('Transformer', `the batch size of src ${describeInput(src)} and tgt ${describeInput(tgt)} must be equal`);
    }
    const { srcMask, srcKeyPaddingMask, srcIsCausal, ...decoderOpts } = opts;
    return scope(() => {
      const memory = this.encoder.call(src, { mask: srcMask, srcKeyPaddingMask, isCausal: srcIsCausal });
      return this.decoder.call(tgt, memory, decoderOpts);
    });
  }

  /**
   * A float causal mask [size, size]: 0 on and below the diagonal, −∞ above (PyTorch's
   * `generate_square_subsequent_mask`).
   * @example
   * ```ts
   * Transformer.generateSquareSubsequentMask(2); // [[0, -Infinity], [0, 0]]
   * ```
   */
  static generateSquareSubsequentMask(size: number, opts: { device?: 'cpu' | 'webgpu' } = {}): Tensor {
    checkPositiveInt('generateSquareSubsequentMask', 'size', size);
    checkKeys('generateSquareSubsequentMask', opts, ['device']);
    const values = Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => (j > i ? Number.NEGATIVE_INFINITY : 0)));
    return noGrad(() => tensor(values, { device: opts.device }));
  }
}
