import {
  arange,
  ArgumentError,
  DTypeError,
  dropout,
  type Generator,
  linear,
  scaledDotProductAttention,
  ShapeError,
  scope,
  type Tensor,
  zeros,
} from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, fmtShape as fmt, sameShape } from '../checks';
import * as init from '../init';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { Linear } from './linear';

/**
 * Options of {@link MultiheadAttention} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new MultiheadAttention(64, 8, { dropout: 0.1, batchFirst: true, kdim: 32, vdim: 48 });
 * ```
 */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights, in training mode only (default 0). */
  dropout?: number;
  /** Learn the input and output projection biases (default true). */
  bias?: boolean;
  /** Inputs and output are [N, L, features] instead of [L, N, features] (default false). */
  batchFirst?: boolean;
  /** Features of `key` (default embedDim). */
  kdim?: number;
  /** Features of `value` (default embedDim). */
  vdim?: number;
  /** Draw the initial projection weights from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
}

/**
 * Options of {@link MultiheadAttention.forward}.
 *
 * Mask convention (as `torch.nn.MultiheadAttention`, the OPPOSITE of `scaledDotProductAttention`):
 * in a bool `attnMask` or `keyPaddingMask`, `true` marks a position that may NOT be attended to;
 * a float mask is added to the scores (use −Infinity to block). A query whose keys are all
 * blocked gets NaN, as in PyTorch.
 * @example
 * ```ts
 * const mha = new MultiheadAttention(8, 2, { batchFirst: true });
 * const x = randn([1, 3, 8]);
 * mha.forward(x, x, x, { keyPaddingMask: tensor([[false, false, true]]), needWeights: false });
 * ```
 */
export interface MultiheadAttentionForwardOptions {
  /** [N, S] (unbatched [S]): `true` (or −Infinity) for padding keys to ignore. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N·numHeads, L, S]: `true` (or −Infinity) where query i must not attend to key j. */
  attnMask?: Tensor | null;
  /** Also return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the returned weights over heads: [N, L, S] rather than [N, numHeads, L, S] (default true). */
  averageAttnWeights?: boolean;
  /**
   * Causal attention: query i attends only to keys j ≤ i (default false). With an `attnMask` this
   * is only a hint that the mask is causal, and the mask is used as given (as PyTorch); without
   * one, the causal mask is built here (PyTorch throws instead).
   */
  isCausal?: boolean;
}

const NAME = 'MultiheadAttention';

/**
 * Multi-head attention, as `torch.nn.MultiheadAttention`:
 * MultiHead(Q, K, V) = concat(head₁, …, head_h) W_outᵀ + b_out, with
 * headᵢ = softmax(Q Wqᵢᵀ (K Wkᵢᵀ)ᵀ / √d + mask) V Wvᵢᵀ and d = embedDim / numHeads.
 *
 * Shapes: query [L, N, E], key [S, N, kdim], value [S, N, vdim] ([N, L, E] … with `batchFirst`,
 * or unbatched [L, E], [S, kdim], [S, vdim]) → output like query, weights [N, L, S] (averaged) or
 * [N, numHeads, L, S].
 *
 * Parameters (PyTorch's keys): `in_proj_weight` [3E, E] (q, k, v stacked) when kdim = vdim = E,
 * otherwise `q_proj_weight` [E, E], `k_proj_weight` [E, kdim], `v_proj_weight` [E, vdim];
 * `in_proj_bias` [3E]; `out_proj.weight` [E, E], `out_proj.bias` [E]. Initialisation as PyTorch:
 * Xavier-uniform input projections, zero biases, `out_proj.weight` as {@link Linear}.
 * @example
 * ```ts
 * const mha = new MultiheadAttention(16, 4, { batchFirst: true });
 * const x = randn([2, 5, 16]);
 * const [y, w] = mha.forward(x, x, x);
 * y.shape;  // [2, 5, 16]
 * w!.shape; // [2, 5, 5]
 * ```
 */
export class MultiheadAttention extends Module {
  /** Packed q, k, v projection [3E, E], or null when kdim or vdim differ from E. @example `new MultiheadAttention(16, 4).inProjWeight!.shape // [48, 16]` */
  inProjWeight: Parameter | null;
  /** Query projection [E, E] when kdim or vdim differ from E, else null. @example `new MultiheadAttention(16, 4, { kdim: 8 }).qProjWeight!.shape // [16, 16]` */
  qProjWeight: Parameter | null;
  /** Key projection [E, kdim] when kdim or vdim differ from E, else null. @example `new MultiheadAttention(16, 4, { kdim: 8 }).kProjWeight!.shape // [16, 8]` */
  kProjWeight: Parameter | null;
  /** Value projection [E, vdim] when kdim or vdim differ from E, else null. @example `new MultiheadAttention(16, 4, { vdim: 12 }).vProjWeight!.shape // [16, 12]` */
  vProjWeight: Parameter | null;
  /** Packed q, k, v projection bias [3E], or null without bias. @example `new MultiheadAttention(16, 4).inProjBias!.shape // [48]` */
  inProjBias: Parameter | null;
  /** Output projection (keys `out_proj.weight`, `out_proj.bias`). @example `new MultiheadAttention(16, 4).outProj.weight.shape // [16, 16]` */
  outProj: Linear;
  /** Model dimension E. @example `new MultiheadAttention(16, 4).embedDim // 16` */
  readonly embedDim: number;
  /** Number of heads h. @example `new MultiheadAttention(16, 4).numHeads // 4` */
  readonly numHeads: number;
  /** Features per head, E / h. @example `new MultiheadAttention(16, 4).headDim // 4` */
  readonly headDim: number;
  /** Features of `key`. @example `new MultiheadAttention(16, 4, { kdim: 8 }).kdim // 8` */
  readonly kdim: number;
  /** Features of `value`. @example `new MultiheadAttention(16, 4, { vdim: 8 }).vdim // 8` */
  readonly vdim: number;
  /** Attention-weight dropout probability. @example `new MultiheadAttention(16, 4, { dropout: 0.1 }).dropout // 0.1` */
  readonly dropout: number;
  /** Whether inputs are batch-major. @example `new MultiheadAttention(16, 4, { batchFirst: true }).batchFirst // true` */
  readonly batchFirst: boolean;

  /**
   * @param embedDim model dimension E (a positive multiple of `numHeads`)
   * @param numHeads parallel attention heads h
   * @example
   * ```ts
   * const mha = new MultiheadAttention(512, 8);
   * ```
   */
  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    checkKeys(NAME, opts, ['dropout', 'bias', 'batchFirst', 'kdim', 'vdim', 'generator']);
    const { dropout: p = 0, bias = true, batchFirst = false, kdim = embedDim, vdim = embedDim, generator } = opts;
    for (const [name, v] of [
      ['embedDim', embedDim],
      ['numHeads', numHeads],
      ['kdim', kdim],
      ['vdim', vdim],
    ] as const) {
      checkPositiveInt(NAME, name, v);
    }
    if (embedDim % numHeads !== 0) throw new ArgumentError(NAME, `embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(NAME, `dropout must be a number in [0, 1], got ${p}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = kdim;
    this.vdim = vdim;
    this.dropout = p;
    this.batchFirst = batchFirst;
    // Assigned in PyTorch's registration order, which stateDict() follows.
    const packed = kdim === embedDim && vdim === embedDim;
    this.inProjWeight = packed ? init.xavierUniform(new Parameter(zeros([3 * embedDim, embedDim])), { generator }) : null;
    this.qProjWeight = packed ? null : init.xavierUniform(new Parameter(zeros([embedDim, embedDim])), { generator });
    this.kProjWeight = packed ? null : init.xavierUniform(new Parameter(zeros([embedDim, kdim])), { generator });
    this.vProjWeight = packed ? null : init.xavierUniform(new Parameter(zeros([embedDim, vdim])), { generator });
    this.inProjBias = bias ? new Parameter(zeros([3 * embedDim])) : null;
    this.outProj = new Linear(embedDim, embedDim, { bias, generator });
    if (this.outProj.bias) init.zeros(this.outProj.bias);
  }

  /**
   * Attend from `query` to `key`/`value`; returns `[output, weights]` (weights null unless
   * `needWeights`). Shapes and masks: see the class and {@link MultiheadAttentionForwardOptions}.
   * Without `needWeights` the heads run through the fused `scaledDotProductAttention`; with it, the
   * weights softmax(QKᵀ/√d + mask) are computed explicitly and the output is weights·V, so that the
   * returned weights are the ones used (after dropout, as PyTorch).
   * @example
   * ```ts
   * const mha = new MultiheadAttention(8, 2);
   * const q = randn([3, 1, 8]), kv = randn([5, 1, 8]);
   * const [y, w] = mha.forward(q, kv, kv, { averageAttnWeights: false }); // y [3, 1, 8], w [1, 2, 3, 5]
   * ```
   */
  override forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    checkKeys(NAME, opts, ['keyPaddingMask', 'attnMask', 'needWeights', 'averageAttnWeights', 'isCausal']);
    const { keyPaddingMask = null, needWeights = true, averageAttnWeights = true, isCausal = false } = opts;
    const attnMask = opts.attnMask ?? null;
    const { embedDim: E, numHeads: h, headDim: d } = this;
    const batched = query.ndim === 3;
    if (!batched && query.ndim !== 2) {
      throw new ShapeError(
        NAME,
        `expected query of shape ${this.batchFirst ? `[N, L, ${E}]` : `[L, N, ${E}]`} or unbatched [L, ${E}], got ${fmt(query.shape)}`,
      );
    }
    const layout = (len: string, f: number) => (!batched ? `[${len}, ${f}]` : this.batchFirst ? `[N, ${len}, ${f}]` : `[${len}, N, ${f}]`);
    for (const [name, t, f, len] of [
      ['query', query, E, 'L'],
      ['key', key, this.kdim, 'S'],
      ['value', value, this.vdim, 'S'],
    ] as const) {
      if (t.ndim !== query.ndim || t.shape.at(-1) !== f) throw new ShapeError(NAME, `expected ${name} of shape ${layout(len, f)}, got ${fmt(t.shape)}`);
      if (t.dtype !== 'float32') throw new DTypeError(NAME, `expected a float32 ${name}, got ${t.dtype}`);
    }
    const seqDim = batched && this.batchFirst ? 1 : 0;
    const N = batched ? query.shape[this.batchFirst ? 0 : 1] : 1;
    const L = query.shape[seqDim];
    const S = key.shape[seqDim];
    if (!sameShape(key.shape.slice(0, -1), value.shape.slice(0, -1)) || (batched && key.shape[1 - seqDim] !== N)) {
      throw new ShapeError(
        NAME,
        `key and value must share the length S${batched ? ` and the batch size N = ${N} of query ${fmt(query.shape)}` : ''}: got key ${fmt(key.shape)}, value ${fmt(value.shape)}`,
      );
    }
    const kpmShape = batched ? [N, S] : [S];
    if (keyPaddingMask && !sameShape(keyPaddingMask.shape, kpmShape)) {
      throw new ShapeError(NAME, `expected keyPaddingMask of shape ${fmt(kpmShape)}, got ${fmt(keyPaddingMask.shape)}`);
    }
    if (attnMask && !sameShape(attnMask.shape, [L, S]) && !sameShape(attnMask.shape, [N * h, L, S])) {
      throw new ShapeError(NAME, `expected attnMask of shape ${fmt([L, S])} or ${fmt([N * h, L, S])}, got ${fmt(attnMask.shape)}`);
    }
    for (const [name, m] of [
      ['attnMask', attnMask],
      ['keyPaddingMask', keyPaddingMask],
    ] as const) {
      if (m && m.dtype !== 'bool' && m.dtype !== 'float32') throw new DTypeError(NAME, `${name} must be bool or float32, got ${m.dtype}`);
    }
    const p = this.training ? this.dropout : 0;

    return scope(() => {
      // Work batch-first: [N, L, E].
      const toNLE = (t: Tensor) => (!batched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1));
      const [wq, wk, wv] = this.inProjWeight ? this.inProjWeight.chunk(3, 0) : [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
      const [bq, bk, bv] = this.inProjBias ? this.inProjBias.chunk(3, 0) : [null, null, null];
      const heads = (t: Tensor, w: Tensor, b: Tensor | null, len: number) => linear(toNLE(t), w, b).reshape([N, len, h, d]).transpose(1, 2);
      const q = heads(query, wq, bq, L);
      const k = heads(key, wk, bk, S);
      const v = heads(value, wv, bv, S);

      // One float mask broadcastable to [N, h, L, S]: bool `true` (blocked) → −∞, float added.
      const additive = (m: Tensor) => (m.dtype === 'bool' ? m.where(-Infinity, 0) : m);
      const fuseCausal = isCausal && !attnMask && !keyPaddingMask && !needWeights;
      let mask: Tensor | null = null;
      if (attnMask) mask = additive(attnMask.ndim === 3 ? attnMask.reshape([N, h, L, S]) : attnMask);
      else if (isCausal && !fuseCausal) mask = additive(causalMask(L, S, query.device));
      if (keyPaddingMask) {
        const kpm = additive(keyPaddingMask.reshape([N, 1, 1, S]));
        mask = mask ? mask.add(kpm) : kpm;
      }

      let attn: Tensor;
      let weights: Tensor | null = null;
      if (needWeights) {
        let scores = q.matmul(k.transpose(-1, -2)).mul(1 / Math.sqrt(d));
        if (mask) scores = scores.add(mask);
        weights = dropout(scores.softmax(-1), p, p > 0);
        attn = weights.matmul(v);
        if (averageAttnWeights) weights = weights.mean(1);
        if (!batched) weights = weights.squeeze(0);
      } else {
        attn = scaledDotProductAttention(q, k, v, { mask, causal: fuseCausal, dropout: p });
      }
      const y = this.outProj.call(attn.transpose(1, 2).reshape([N, L, E]));
      const out = !batched ? y.squeeze(0) : this.batchFirst ? y : y.transpose(0, 1);
      return [out, weights] as [Tensor, Tensor | null];
    });
  }
}

/** Bool [L, S], `true` above the diagonal: key j > query i is blocked (MHA's convention). */
function causalMask(L: number, S: number, device: Tensor['device']): Tensor {
  return arange(L, undefined, 1, { device })
    .unsqueeze(1)
    .lt(arange(S, undefined, 1, { device }).unsqueeze(0));
}
