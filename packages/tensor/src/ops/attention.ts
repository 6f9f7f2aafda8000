import { arange } from '../creation';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { broadcastShapes, fmt } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';

/**
 * Options of {@link scaledDotProductAttention}.
 * @example
 * ```ts
 * scaledDotProductAttention(q, k, v, { causal: true, dropout: 0.1 });
 * ```
 */
export interface AttentionOptions {
  /**
   * Broadcastable to [..., L, S]. A bool mask marks with `true` the positions that take part
   * (as `torch.nn.functional.scaled_dot_product_attention`); a float mask is added to the scores.
   */
  mask?: Tensor | null;
  /** Let query i attend only to keys j ≤ i (default false). Not combinable with `mask`. */
  causal?: boolean;
  /** Score scale (default 1/√E). */
  scale?: number;
  /** Dropout probability on the attention weights (default 0). */
  dropout?: number;
}

/**
 * softmax(q kᵀ · scale + mask) v for q [..., L, E], k [..., S, E], v [..., S, Ev] → [..., L, Ev].
 * Leading dims broadcast. A query whose keys are all masked out gets NaN, as in PyTorch.
 * @example
 * ```ts
 * const q = randn([2, 4, 8, 16]), k = randn([2, 4, 8, 16]), v = randn([2, 4, 8, 16]);
 * scaledDotProductAttention(q, k, v, { causal: true }).shape; // [2, 4, 8, 16]
 * ```
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  checkInputs(op, opts.mask ? [q, k, v, opts.mask] : [q, k, v]);
  for (const [name, t] of [['query', q], ['key', k], ['value', v]] as const) {
    if (t.ndim < 2) throw new ShapeError(op, `${name} must have at least 2 dims [..., length, features], got ${fmt(t.shape)}`);
    if (t.dtype !== 'float32') throw new DTypeError(op, `${name} must be float32, got ${t.dtype}`);
  }
  const [L, E] = q.shape.slice(-2);
  const S = k.shape.at(-2)!;
  if (k.shape.at(-1) !== E) throw new ShapeError(op, `query ${fmt(q.shape)} and key ${fmt(k.shape)} differ in feature size (${E} != ${k.shape.at(-1)})`);
  if (v.shape.at(-2) !== S) throw new ShapeError(op, `key ${fmt(k.shape)} and value ${fmt(v.shape)} differ in length (${S} != ${v.shape.at(-2)})`);
  const { mask, causal = false, dropout = 0 } = opts;
  if (mask && causal) throw new ArgumentError(op, 'pass either mask or causal, not both');
  if (!(dropout >= 0 && dropout < 1)) throw new ArgumentError(op, `dropout must be in [0, 1), got ${dropout}`);
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  if (!Number.isFinite(scale)) throw new ArgumentError(op, `scale must be finite, got ${scale}`);
  if (mask) {
    if (mask.dtype !== 'bool' && mask.dtype !== 'float32') throw new DTypeError(op, `mask must be bool or float32, got ${mask.dtype}`);
    broadcastShapes(op, mask.shape, [L, S]);
  }
  return scope(() => {
    let scores = q.matmul(k.transpose(-1, -2)).mul(scale);
    if (causal) {
      const allowed = arange(L, undefined, 1, { device: q.device }).unsqueeze(1).ge(arange(S, undefined, 1, { device: q.device }).unsqueeze(0));
      scores = allowed.where(scores, -Infinity);
    } else if (mask) {
      scores = mask.dtype === 'bool' ? mask.where(scores, -Infinity) : scores.add(mask);
    }
    let weights = scores.softmax(-1);
    if (dropout > 0) weights = weights.dropout(dropout, true);
    return weights.matmul(v);
  });
}
