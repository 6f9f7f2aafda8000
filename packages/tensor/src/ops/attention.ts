import type { AttentionParams, View } from '../backend/backend';
import { arange } from '../creation';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { broadcastShapes, broadcastStrides, fmt } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp } from './define-op';

/**
 * Options of {@link scaledDotProductAttention}.
 * @example
 * ```ts
 * const [q, k, v] = [randn([2, 4, 8]), randn([2, 4, 8]), randn([2, 4, 8])]; // [..., L or S, E]
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
 * Leading dims broadcast (the mask's too). A query whose keys are all masked out gets NaN, as in PyTorch.
 *
 * Runs as one fused kernel (online softmax: no [L, S] matrix in memory, forward or backward; the
 * backward recomputes the weights from each row's saved logsumexp). The fused kernel has no dropout
 * yet: with `dropout > 0`, with an empty dim, or on WebGPU with E or Ev above
 * 128, the op runs the composite matmul → softmax → matmul instead.
 * Gradients of the fused path are first order only.
 * @example
 * ```ts
 * const q = randn([2, 4, 8, 16]), k = randn([2, 4, 8, 16]), v = randn([2, 4, 8, 16]);
 * scaledDotProductAttention(q, k, v, { causal: true }).shape; // [2, 4, 8, 16]
 * ```
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const { mask = null, causal = false, dropout = 0 } = opts;
  const { scale, batch } = checkAttention(q, k, v, { mask, causal, dropout, scale: opts.scale ?? 1 / Math.sqrt(q.shape.at(-1)!) });
  const [L, E] = q.shape.slice(-2);
  const [S, Ev] = v.shape.slice(-2);
  const fused = dropout === 0 && L * S * E * Ev > 0 && (q.device !== 'webgpu' || Math.max(E, Ev) <= FUSED_MAX_HEAD_DIM_WEBGPU);
  if (!fused) return compositeAttention(q, k, v, mask, causal, scale, dropout);
  const { out, outputs } = attentionOp(mask ? [q, k, v, mask] : [q, k, v], { scale, causal, batch });
  outputs.lse.dispose(); // internal: the node keeps its own reference for backward
  return out;
}

/**
 * The checks of {@link scaledDotProductAttention}, run first (its function picks the fused op or
 * the composite, so they cannot live in one `infer`); returns the broadcast batch shape.
 */
function checkAttention(q: Tensor, k: Tensor, v: Tensor, o: Required<AttentionOptions>): { scale: number; batch: number[] } {
  const op = 'scaledDotProductAttention';
  const { mask, causal, dropout, scale } = o;
  checkInputs(op, mask ? [q, k, v, mask] : [q, k, v]);
  for (const [name, t] of [
    ['query', q],
    ['key', k],
    ['value', v],
  ] as const) {
    if (t.ndim < 2) throw new ShapeError(op, `${name} must have at least 2 dims [..., length, features], got ${fmt(t.shape)}`);
    if (t.dtype !== 'float32') throw new DTypeError(op, `${name} must be float32, got ${t.dtype}`);
  }
  const [L, E] = q.shape.slice(-2);
  const S = k.shape.at(-2)!;
  if (k.shape.at(-1) !== E) throw new ShapeError(op, `query ${fmt(q.shape)} and key ${fmt(k.shape)} differ in feature size (${E} != ${k.shape.at(-1)})`);
  if (v.shape.at(-2) !== S) throw new ShapeError(op, `key ${fmt(k.shape)} and value ${fmt(v.shape)} differ in length (${S} != ${v.shape.at(-2)})`);
  if (mask && causal) throw new ArgumentError(op, 'pass either mask or causal, not both');
  if (!(dropout >= 0 && dropout < 1)) throw new ArgumentError(op, `dropout must be in [0, 1), got ${dropout}`);
  if (!Number.isFinite(scale)) throw new ArgumentError(op, `scale must be finite, got ${scale}`);
  if (mask) {
    if (mask.dtype !== 'bool' && mask.dtype !== 'float32') throw new DTypeError(op, `mask must be bool or float32, got ${mask.dtype}`);
    broadcastShapes(op, mask.shape, [L, S]);
  }
  const batch = [q, k, v, ...(mask ? [mask] : [])].reduce<number[]>((b, t) => broadcastShapes(op, b, t.shape.slice(0, Math.max(0, t.ndim - 2))), []);
  return { scale, batch };
}

/**
 * Largest E and Ev the WebGPU kernels take (per-thread registers and 16 KiB of workgroup memory);
 * larger heads run the composite. The CPU kernels have no limit.
 */
export const FUSED_MAX_HEAD_DIM_WEBGPU = 128;

interface FusedAttrs extends AttentionParams {
  /** Broadcast batch shape of q, k, v and the mask. */
  batch: number[];
}

/** `x` read as [...batch, rows, cols] (stride 0 on broadcast dims); rows, cols default to x's last two. */
function batchView(x: View, batch: number[], rows = x.shape.at(-2)!, cols = x.shape.at(-1)!): View {
  const to = [...batch, rows, cols];
  return { storage: x.storage, shape: to, strides: broadcastStrides(x.shape, x.strides, to), offset: x.offset };
}

/** The four inputs of both primitives in the batch shape of `a` (the mask broadcast to [L, S]). */
function views(q: View, k: View, v: View, mask: View | undefined, a: FusedAttrs): [View, View, View, View | null] {
  const b = a.batch;
  const m = mask ? batchView(mask, b, q.shape.at(-2)!, k.shape.at(-2)!) : null;
  return [batchView(q, b), batchView(k, b), batchView(v, b), m];
}

/**
 * Inputs [q, k, v, mask?] (checked by {@link checkAttention}). The kernel also writes each row's
 * logsumexp, a secondary output [...batch, L] that the node saves for backward.
 */
const attentionOp = defineOp<FusedAttrs, 'lse'>('scaledDotProductAttention', {
  outputs: ['lse'],
  infer: ([q, , v], { batch }) => ({
    shape: [...batch, q.shape.at(-2)!, v.shape.at(-1)!],
    dtype: 'float32',
    outputs: { lse: { shape: [...batch, q.shape.at(-2)!], dtype: 'float32' } },
  }),
  forward: (be, [q, k, v, mask], out, a, _shape, { lse }) => be.attention(...views(q, k, v, mask, a), out, lse, a),
  // With s = scale·q·kᵀ + mask, P = softmax(s), O = P·V and G = ∂L/∂O (FlashAttention-2):
  //   ∂L/∂V = Pᵀ·G;  ∂L/∂s = P ⊙ (G·Vᵀ − rowsum(G ⊙ O));  ∂L/∂q = scale·∂L/∂s·K;  ∂L/∂K = scale·(∂L/∂s)ᵀ·Q.
  // One backward primitive computes all three (P recomputed blockwise from lse); the engine sums broadcast dims.
  backward: (gy, [q, k, v, mask], out, a, { lse }) => {
    let grads: Tensor[] | null = null;
    const all = (): Tensor[] => {
      if (!grads) {
        const r = attentionBackwardOp([q, k, v, out, lse, gy, ...(mask ? [mask] : [])], a);
        grads = [r.out, r.outputs.gk, r.outputs.gv];
      }
      return grads;
    };
    return [() => all()[0], () => all()[1], () => all()[2], null];
  },
});

/** Inputs [q, k, v, out, lse, gOut, mask?]; gq is the main output, gk and gv secondary ones. Not differentiable. */
const attentionBackwardOp = defineOp<FusedAttrs, 'gk' | 'gv'>('scaledDotProductAttentionBackward', {
  outputs: ['gk', 'gv'],
  infer: ([q, k, v], { batch }) => ({
    shape: [...batch, ...q.shape.slice(-2)],
    dtype: 'float32',
    outputs: { gk: { shape: [...batch, ...k.shape.slice(-2)], dtype: 'float32' }, gv: { shape: [...batch, ...v.shape.slice(-2)], dtype: 'float32' } },
  }),
  forward: (be, [q, k, v, out, lse, gOut, mask], gq, a, _shape, { gk, gv }) => be.attentionBackward(...views(q, k, v, mask, a), out, lse, gOut, gq, gk, gv, a),
});

/** The unfused reference: materialises the [..., L, S] weights (used for dropout and oversize heads). */
function compositeAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, scale: number, dropout: number): Tensor {
  const [L, S] = [q.shape.at(-2)!, k.shape.at(-2)!];
  return scope(() => {
    let scores = q.matmul(k.transpose(-1, -2)).mul(scale);
    if (causal) {
      const allowed = arange(L, undefined, 1, { device: q.device })
        .unsqueeze(1)
        .ge(arange(S, undefined, 1, { device: q.device }).unsqueeze(0));
      scores = allowed.where(scores, -Infinity);
    } else if (mask) {
      scores = mask.dtype === 'bool' ? mask.where(scores, -Infinity) : scores.add(mask);
    }
    let weights = scores.softmax(-1);
    if (dropout > 0) weights = weights.dropout(dropout, true);
    return weights.matmul(v);
  });
}
