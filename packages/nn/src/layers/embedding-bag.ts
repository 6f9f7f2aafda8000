import { ArgumentError, DeviceError, embedding, type Generator, noGrad, ShapeError, scope, stack, Tensor, where, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, checkTensor, fmtShape } from '../checks';
import { normal } from '../init';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { reprFields } from '../summary';

/**
 * Options of {@link EmbeddingBag} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new EmbeddingBag(1000, 32, { mode: 'sum', paddingIdx: 0 });
 * ```
 */
export interface EmbeddingBagOptions {
  /** How a bag's vectors combine: `'mean'` (default), `'sum'` or `'max'`. */
  mode?: 'sum' | 'mean' | 'max';
  /** Entries equal to this index are left out of their bag (and its row starts at 0). */
  paddingIdx?: number;
  /** Draw the initial weights from this generator instead of the global stream. */
  generator?: Generator;
}

/**
 * Sums, means or maxima of bags of embeddings, as `torch.nn.EmbeddingBag`, without materialising
 * the per-entry vectors for the user: a 2-D input [B, L] is B bags of L indices; a 1-D input with
 * `offsets` [B] is cut into bags starting at those positions. `perSampleWeights` (same shape as
 * the input, mode 'sum' only) scale each entry. Empty (or all-padding) bags give zeros.
 *
 * Shapes: → [B, embeddingDim]. Parameter `weight` [numEmbeddings, embeddingDim] ~ N(0, 1), the
 * padding row 0.
 * @example
 * ```ts
 * const bag = new EmbeddingBag(10, 3, { mode: 'sum' });
 * bag.forward(tensor([[1, 2], [4, 5]], { dtype: 'int32' })).shape; // [2, 3]
 * bag.forward(tensor([1, 2, 4, 5, 4], { dtype: 'int32' }), [0, 2]).shape; // [2, 3]: bags [1, 2] and [4, 5, 4]
 * ```
 */
export class EmbeddingBag extends Module {
  /** The table [numEmbeddings, embeddingDim]. @example `new EmbeddingBag(10, 3).weight.shape // [10, 3]` */
  weight: Parameter;
  /** Size of the dictionary. @example `new EmbeddingBag(10, 3).numEmbeddings // 10` */
  readonly numEmbeddings: number;
  /** Size of each vector. @example `new EmbeddingBag(10, 3).embeddingDim // 3` */
  readonly embeddingDim: number;
  /** Reduction over a bag. @example `new EmbeddingBag(10, 3).mode // 'mean'` */
  readonly mode: 'sum' | 'mean' | 'max';
  /** The padding index (non-negative), or null. @example `new EmbeddingBag(10, 3, { paddingIdx: -1 }).paddingIdx // 9` */
  readonly paddingIdx: number | null;

  /**
   * @param numEmbeddings size of the dictionary
   * @param embeddingDim size of each vector
   * @example
   * ```ts
   * new EmbeddingBag(50000, 64, { mode: 'mean' });
   * ```
   */
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingBagOptions = {}) {
    super();
    checkKeys('EmbeddingBag', opts, ['mode', 'paddingIdx', 'generator']);
    checkPositiveInt('EmbeddingBag', 'numEmbeddings', numEmbeddings);
    checkPositiveInt('EmbeddingBag', 'embeddingDim', embeddingDim);
    const mode = opts.mode ?? 'mean';
    if (!['sum', 'mean', 'max'].includes(mode)) throw new ArgumentError('EmbeddingBag', `mode must be 'sum', 'mean' or 'max', got '${String(mode)}'`);
    let paddingIdx = opts.paddingIdx ?? null;
    if (paddingIdx !== null) {
      if (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings) {
        throw new ArgumentError('EmbeddingBag', `paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings}), got ${paddingIdx}`);
      }
      if (paddingIdx < 0) paddingIdx += numEmbeddings;
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.mode = mode;
    this.paddingIdx = paddingIdx;
    this.weight = normal(new Parameter(zeros([numEmbeddings, embeddingDim])), { generator: opts.generator });
    const row = paddingIdx;
    if (row !== null) noGrad(() => scope(() => void this.weight.narrow(0, row, 1).assign(0)));
  }

  /**
   * The bags' reductions [B, embeddingDim].
   * @param input int32 indices: [B, L] bags, or 1-D with `offsets`
   * @param offsets for 1-D input: where each bag starts (first 0, non-decreasing), as numbers or a CPU int32 tensor
   * @param perSampleWeights float32 weights like `input` (mode 'sum' only)
   * @example
   * ```ts
   * const bag = new EmbeddingBag(4, 2, { mode: 'max' });
   * bag.forward(tensor([[0, 1, 2]], { dtype: 'int32' })).shape; // [1, 2]
   * ```
   */
  override forward(input: Tensor, offsets?: Tensor | readonly number[], perSampleWeights?: Tensor): Tensor {
    checkTensor('EmbeddingBag', input);
    if (perSampleWeights !== undefined) {
      checkTensor('EmbeddingBag', perSampleWeights);
      if (this.mode !== 'sum') throw new ArgumentError('EmbeddingBag', `perSampleWeights need mode 'sum', got '${this.mode}'`);
      if (perSampleWeights.shape.join() !== input.shape.join()) {
        throw new ShapeError('EmbeddingBag', `perSampleWeights ${fmtShape(perSampleWeights.shape)} must have the input's shape ${fmtShape(input.shape)}`);
      }
    }
    if (input.ndim === 2) {
      if (offsets !== undefined) throw new ArgumentError('EmbeddingBag', 'offsets apply to 1-D input only (2-D input is [bags, entries])');
      return scope(() => this.reduce(input, perSampleWeights ?? null));
    }
    if (input.ndim !== 1 || offsets === undefined)
      throw new ShapeError('EmbeddingBag', `expected 2-D input [B, L], or 1-D input with offsets, got ${fmtShape(input.shape)}`);
    const starts = this.offsetsOf(offsets, input.shape[0]);
    return scope(() => {
      const bags = starts.map((start, b) => {
        const end = b + 1 < starts.length ? starts[b + 1] : input.shape[0];
        if (end === start) return zeros([this.embeddingDim], { device: input.device });
        const w = perSampleWeights ? perSampleWeights.narrow(0, start, end - start).unsqueeze(0) : null;
        return this.reduce(input.narrow(0, start, end - start).unsqueeze(0), w).squeeze(0);
      });
      return stack(bags, 0);
    });
  }

  private offsetsOf(offsets: Tensor | readonly number[], n: number): number[] {
    let list: number[];
    if (offsets instanceof Tensor) {
      if (offsets.device !== 'cpu')
        throw new DeviceError(
          'EmbeddingBag',
          `offsets must be a CPU tensor or an array of numbers (reading them from ${offsets.device} would synchronise), got a ${offsets.device} tensor`,
        );
      if (offsets.ndim !== 1) throw new ShapeError('EmbeddingBag', `offsets must be 1-D, got ${fmtShape(offsets.shape)}`);
      list = Array.from(offsets.dataSync());
    } else if (Array.isArray(offsets)) {
      list = [...offsets];
    } else {
      throw new ArgumentError('EmbeddingBag', `offsets must be a tensor or an array of numbers, got ${typeof offsets}`);
    }
    if (!list.length || list[0] !== 0 || list.some((o, i) => !Number.isInteger(o) || o > n || (i > 0 && o < list[i - 1]))) {
      throw new ArgumentError('EmbeddingBag', `offsets must start at 0 and not decrease, each at most the input length ${n}, got [${list.join(', ')}]`);
    }
    return list;
  }

  /** Reduce bags [B, L] → [B, D], leaving out padding entries. */
  private reduce(indices: Tensor, weights: Tensor | null): Tensor {
    const vectors = embedding(indices, this.weight); // [B, L, D]
    const keep = this.paddingIdx === null ? null : indices.ne(this.paddingIdx).unsqueeze(-1); // [B, L, 1]
    if (this.mode === 'max') {
      const masked = keep ? where(keep, vectors, Number.NEGATIVE_INFINITY) : vectors;
      const max = masked.max(1);
      return keep ? where(max.eq(Number.NEGATIVE_INFINITY), 0, max) : max; // an all-padding bag gives zeros
    }
    let scaled = weights ? vectors.mul(weights.unsqueeze(-1)) : vectors;
    if (keep) scaled = where(keep, scaled, 0);
    const sum = scaled.sum(1);
    if (this.mode === 'sum') return sum;
    const count = keep ? keep.to('float32').sum(1) : indices.shape[1];
    return typeof count === 'number' ? (count ? sum.div(count) : sum) : sum.div(where(count.eq(0), 1, count));
  }

  /** PyTorch's extra_repr, in our names. @example `String(new EmbeddingBag(10, 3)) // "EmbeddingBag(10, 3, mode='mean')"` */
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}, ${reprFields(this.paddingIdx === null ? { mode: this.mode } : { mode: this.mode, paddingIdx: this.paddingIdx })}`;
  }
}
