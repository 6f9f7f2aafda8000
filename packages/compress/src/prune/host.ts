// Masks are computed on the host from the values of a weight (as PyTorch's pruning methods compute
// them with topk on the weight's device): ranking needs a sort the tensor ops do not offer.
import { DeviceError, type Tensor } from '@aimodel/nn';

/** The values of a CPU tensor as float32 (a copy); WebGPU tensors are read with `await data()` by the async callers. */
export function readHost(op: string, t: Tensor): Float32Array {
  if (t.device !== 'cpu') {
    throw new DeviceError(
      op,
      `masks are computed from the weights' values, read synchronously only on the CPU; this weight is on ${t.device}: prune before model.to('${t.device}') (masks move with the model)`,
    );
  }
  return Float32Array.from(t.dataSync());
}

/**
 * The `k` positions of `score` to pick: the smallest (ascending) or the largest, ties broken
 * towards the lower index (a stable sort). PyTorch's topk leaves the order of ties unspecified.
 */
export function pickK(score: ArrayLike<number>, k: number, order: 'smallest' | 'largest'): number[] {
  const idx = Array.from({ length: score.length }, (_, i) => i);
  const sign = order === 'smallest' ? 1 : -1;
  idx.sort((a, b) => sign * (score[a] - score[b]) || a - b);
  return idx.slice(0, k);
}

/** Strides of a contiguous shape, and the size of one slice along `dim`. */
export function channelLayout(shape: readonly number[], dim: number): { channels: number; inner: number; outer: number } {
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  return { channels: shape[dim], inner, outer };
}

/** Channel (index along `dim`) of each flat position of a contiguous tensor of `shape`. */
export function channelOf(shape: readonly number[], dim: number): (flat: number) => number {
  const { channels, inner } = channelLayout(shape, dim);
  return (flat) => Math.floor(flat / inner) % channels;
}

/** The slices of `values` (shape `shape`) along `dim` at `channels`, as a contiguous array. */
export function selectChannels(values: ArrayLike<number>, shape: readonly number[], dim: number, channels: readonly number[]): Float32Array {
  const { channels: c, inner, outer } = channelLayout(shape, dim);
  const out = new Float32Array(outer * channels.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const ch of channels) {
      const base = (a * c + ch) * inner;
      for (let i = 0; i < inner; i++) out[o++] = values[base + i];
    }
  }
  return out;
}

/** Write `part` (the slices at `channels`, as {@link selectChannels} gives them) back into `values`. */
export function scatterChannels(values: Float32Array, shape: readonly number[], dim: number, channels: readonly number[], part: ArrayLike<number>): void {
  const { channels: c, inner, outer } = channelLayout(shape, dim);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const ch of channels) {
      const base = (a * c + ch) * inner;
      for (let i = 0; i < inner; i++) values[base + i] = part[o++];
    }
  }
}
