import { ArgumentError, DTypeError, embedding, type Generator, keep, noGrad, scope, ShapeError, Tensor, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, checkTensor, describeInput } from '../checks';
import { normal } from '../init';
import { Module } from '../module';
import { reprFields } from '../summary';
import { Parameter } from '../parameter';

/**
 * Options of {@link Embedding}.
 * @example
 * ```ts
 * new Embedding(1000, 64, { paddingIdx: 0 });
 * ```
 */
export interface EmbeddingOptions {
  /**
   * Row that marks padding: initialised to zeros and never updated (its gradient is always zero).
   * Negative values count from the end.
   */
  paddingIdx?: number | null;
  /** Draw the initial weight (N(0, 1)) from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
  /** @internal Use this [numEmbeddings, embeddingDim] tensor as the weight (see {@link Embedding.fromPretrained}). */
  _weight?: Tensor;
  /** @internal With `_weight`: whether the weight is frozen. */
  _freeze?: boolean;
}

/**
 * Options of {@link Embedding.fromPretrained}.
 * @example
 * ```ts
 * const vectors = randn([10, 4]);
 * Embedding.fromPretrained(vectors, { freeze: false, paddingIdx: 0 });
 * ```
 */
export interface EmbeddingFromPretrainedOptions {
  /** Keep the weight fixed during training: `requiresGrad` false (default true). */
  freeze?: boolean;
  /** Row whose gradient is always zero (its values are kept as given). */
  paddingIdx?: number | null;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, as `torch.nn.Embedding`:
 * output[…, :] = weight[indices[…], :].
 *
 * Shapes: int32 indices of any shape `[*]` → `[*, embeddingDim]`. Parameter `weight`
 * [numEmbeddings, embeddingDim], initialised from N(0, 1) as PyTorch, with the `paddingIdx`
 * row zeroed.
 * @example
 * ```ts
 * const emb = new Embedding(10, 3);
 * emb.forward(tensor([[1, 2, 4]], { dtype: 'int32' })).shape; // [1, 3, 3]
 * ```
 */
export class Embedding extends Module {
  /** The table [numEmbeddings, embeddingDim]. @example `new Embedding(1000, 64).weight.shape // [1000, 64]` */
  weight: Parameter;
  /** Size of the dictionary. @example `new Embedding(1000, 64).numEmbeddings // 1000` */
  readonly numEmbeddings: number;
  /** Size of each vector. @example `new Embedding(1000, 64).embeddingDim // 64` */
  readonly embeddingDim: number;
  /** The padding row (non-negative), or null. @example `new Embedding(10, 4, { paddingIdx: -1 }).paddingIdx // 9` */
  readonly paddingIdx: number | null;

  /**
   * @param numEmbeddings size of the dictionary (positive integer)
   * @param embeddingDim size of each vector (positive integer)
   * @example
   * ```ts
   * const emb = new Embedding(1000, 16, { paddingIdx: 0 });
   * ```
   */
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    const { _weight, _freeze, ...given } = opts; // the internal keys come from fromPretrained
    checkKeys('Embedding', given, ['paddingIdx', 'generator']);
    for (const [name, v] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      checkPositiveInt('Embedding', name, v);
    }
    let paddingIdx = opts.paddingIdx ?? null;
    if (paddingIdx !== null) {
      if (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings) {
        throw new ArgumentError('Embedding', `paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings}), got ${paddingIdx}`);
      }
      if (paddingIdx < 0) paddingIdx += numEmbeddings;
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = paddingIdx;
    if (opts._weight) {
      // a Parameter takes over the handle it wraps; wrap an alias so the caller's tensor stays usable (memory shared, as PyTorch)
      this.weight = keep(new Parameter(opts._weight.detach(), !(opts._freeze ?? false)));
    } else {
      this.weight = normal(new Parameter(zeros([numEmbeddings, embeddingDim])), { generator: opts.generator });
      const row = paddingIdx;
      if (row !== null) noGrad(() => scope(() => void this.weight.narrow(0, row, 1).assign(0)));
    }
  }

  /**
   * An embedding whose weight is `weights` [numEmbeddings, embeddingDim] (shared, not copied,
   * as PyTorch), frozen by default.
   * @example
   * ```ts
   * const emb = Embedding.fromPretrained(tensor([[1, 2], [3, 4]]));
   * emb.forward(tensor([1], { dtype: 'int32' })); // [[3, 4]]
   * emb.weight.requiresGrad; // false
   * ```
   */
  static fromPretrained(weights: Tensor, opts: EmbeddingFromPretrainedOptions = {}): Embedding {
    checkKeys('Embedding.fromPretrained', opts, ['freeze', 'paddingIdx']);
    if (!(weights instanceof Tensor) || weights.ndim !== 2) {
      throw new ShapeError('Embedding.fromPretrained', `expected 2-D weights [numEmbeddings, embeddingDim], got ${describeInput(weights)}`);
    }
    if (weights.dtype !== 'float32') throw new DTypeError('Embedding.fromPretrained', `expected float32 weights, got ${weights.dtype}`);
    const [n, d] = weights.shape;
    return new Embedding(n, d, { paddingIdx: opts.paddingIdx, _weight: weights, _freeze: opts.freeze ?? true });
  }

  /**
   * Look up `indices` (int32, any shape `[*]`) → `[*, embeddingDim]`.
   * @example
   * ```ts
   * new Embedding(5, 2).forward(tensor([0, 4], { dtype: 'int32' })).shape; // [2, 2]
   * ```
   */
  override forward(indices: Tensor): Tensor {
    checkTensor('Embedding', indices);
    const row = this.paddingIdx;
    if (row === null || !this.weight.requiresGrad) return embedding(indices, this.weight);
    // same values, but positions that look up the padding row pass no gradient back
    return scope(() => {
      const out = embedding(indices, this.weight);
      return indices.ne(row).unsqueeze(-1).where(out, out.detach());
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new Embedding(10, 3, { paddingIdx: 0 })) // 'Embedding(10, 3, paddingIdx=0)'` */
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, ${reprFields({ paddingIdx: this.paddingIdx })}`}`;
  }
}
