import { noGrad, ShapeError, scope, type Tensor, tensor } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, describeInput } from '../checks';
import { xavierUniform } from '../init';
import { Module } from '../module';
import { LayerNorm } from './norm';
import { TransformerEncoder, TransformerEncoderLayer, type TransformerEncoderLayerOptions } from './transformer';
import { checkSequence, DECODER_FORWARD_KEYS, TransformerDecoder, type TransformerDecoderForwardOptions, TransformerDecoderLayer } from './transformer-decoder';

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
    checkKeys('Transformer', opts, ['srcMask', 'srcKeyPaddingMask', 'srcIsCausal', ...DECODER_FORWARD_KEYS]);
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
