import { DTypeError, ShapeError, scope, Tensor } from '@aimodel/tensor';
import { checkKeys, describeInput } from '../checks';
import { Module } from '../module';
import { MultiheadAttention } from './attention';
import { ModuleList } from './container';
import { Dropout } from './dropout';
import { Linear } from './linear';
import { LayerNorm } from './norm';
import { checkNorm, feedForward, stackLayers, type TransformerEncoderLayerOptions, TransformerLayerBase } from './transformer';

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

/** @internal The option keys of a decoder's forward. */
export const DECODER_FORWARD_KEYS = ['tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask', 'tgtIsCausal', 'memoryIsCausal'];

/** @internal A [L, N, E] / [N, L, E] / [L, E] float32 sequence of model dimension `dModel`. */
export function checkSequence(name: string, role: string, x: Tensor, dModel: number, batchFirst: boolean): void {
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
export class TransformerDecoderLayer extends TransformerLayerBase<TransformerDecoderLayerOptions> {
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

  /**
   * @param dModel model dimension (a multiple of `nhead`)
   * @param nhead attention heads
   * @example
   * ```ts
   * new TransformerDecoderLayer(64, 4, { activation: 'gelu' });
   * ```
   */
  constructor(dModel: number, nhead: number, opts: TransformerDecoderLayerOptions = {}) {
    super('TransformerDecoderLayer', dModel, nhead, opts);
    const { dimFeedforward, dropout, layerNormEps, batchFirst, bias } = this.settings;
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
    checkKeys('TransformerDecoderLayer', opts, DECODER_FORWARD_KEYS);
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
    return this.dropout3.call(feedForward(this, x));
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
    this.layers = new ModuleList(stackLayers(name, TransformerDecoderLayer, decoderLayer, numLayers));
    this.norm = checkNorm(name, opts.norm);
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
    checkKeys('TransformerDecoder', opts, DECODER_FORWARD_KEYS);
    return scope(() => {
      let x = tgt;
      for (const layer of this.layers) x = layer.call(x, memory, opts);
      return this.norm ? (this.norm.call(x) as Tensor) : x;
    });
  }
}
