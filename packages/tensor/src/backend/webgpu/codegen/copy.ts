import type { View } from '../../backend';
import type { DType } from '../../../dtype';
import { numel } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { convertWord, elementBytes, isPacked, loadFn, storageBytes } from '../wgsl/dtype';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { collapseDims, stridedIndexWgsl, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/**
 * Strided copy and fill, generated per (rank, source dtype, destination dtype). A destination of
 * 32-bit words takes one invocation per element. A packed (int8/uint8) destination cannot: four
 * elements share a word, and invocations writing neighbouring bytes would race. So a dense one
 * (elements at offset + i) takes one invocation per word it touches, which writes the whole word
 * (keeping the bytes outside the view), and a strided one sets each byte with an atomic and/or
 * pair on its word (bytes of one word belong to different invocations, which never touch each
 * other's bytes).
 */

const WG = 64;

/** out[strided] = cast(x[strided]) into 32-bit words; params: numel, then the strided layout of x and out. */
export const copyKernel = memoKernel(function copyKernel(rank: number, from: DType, to: DType): KernelSource {
  return {
    key: `copy:${rank}:${from}:${to}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
${stridedIndexWgsl(rank, 1)}
${loadFn('loadX', 'x', from)}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  let w = loadX(stridedOffset(i, 0u));
  y[stridedOffset(i, 1u)] = ${convertWord('w', from, to)};
}`,
  };
});

/** out[strided] = word into 32-bit words; params: numel, word, then the strided layout of out. */
export const fillKernel = memoKernel(function fillKernel(rank: number): KernelSource {
  return {
    key: `fill:${rank}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@group(0) @binding(1) var<storage, read> p: array<u32>;
${stridedIndexWgsl(rank, 2)}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  y[stridedOffset(i, 0u)] = p[1];
}`,
  };
});

/** What a packed write stores: a copy from a source of dtype `from`, or the fill word `p[1]`. */
type ByteSource = DType | 'fill';

/**
 * Writes into a packed (int8/uint8) destination `to`. Params: numel, fill word (unused by a
 * copy), the destination's first element, the number of words it spans; then the strided layout
 * from word 4: of x (`words`; a fill has none) or of x and out (`atomic`; a fill: out alone).
 * `words`: invocation t owns word ⌊first / 4⌋ + t of a dense destination. `atomic`: an invocation
 * per element of a strided destination.
 */
export const byteWriteKernel = memoKernel(function byteWriteKernel(rank: number, from: ByteSource, to: DType, mode: 'words' | 'atomic'): KernelSource {
  const fill = from === 'fill';
  const value = (i: string) => (fill ? 'p[1]' : convertWord(`loadX(stridedOffset(${i}, 0u))`, from, to));
  const decls = `${fill ? '' : `@group(0) @binding(0) var<storage, read> x: array<u32>;\n${loadFn('loadX', 'x', from)}`}
@group(0) @binding(${fill ? 0 : 1}) var<storage, read_write> y: array<${mode === 'atomic' ? 'atomic<u32>' : 'u32'}>;
@group(0) @binding(${fill ? 1 : 2}) var<storage, read> p: array<u32>;
${stridedIndexWgsl(rank, 4)}`;
  const body =
    mode === 'words'
      ? `  let t = ${linearIndex(WG)};
  if (t >= p[3]) { return; }
  let w = (p[2] >> 2u) + t;
  var word = 0u;
  var keep = 0u;
  for (var k = 0u; k < 4u; k++) {
    let b = w * 4u + k;
    if (b < p[2] || b - p[2] >= p[0]) { keep |= 255u << (k * 8u); continue; }
    word |= (${value('b - p[2]')} & 255u) << (k * 8u);
  }
  if (keep != 0u) { word |= y[w] & keep; }
  y[w] = word;`
      : `  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  let o = stridedOffset(i, ${fill ? 0 : 1}u);
  let shift = (o & 3u) * 8u;
  atomicAnd(&y[o >> 2u], ~(255u << shift));
  atomicOr(&y[o >> 2u], (${value('i')} & 255u) << shift);`;
  return {
    key: `bytes:${mode}:${rank}:${from}:${to}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
${decls}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
${body}
}`,
  };
});

/** Element i of a view is at `offset + i` for every i (after dropping size-1 dims). */
function isDense(x: View): boolean {
  const c = collapseDims(x.shape, [x.strides]);
  return c.shape.length === 0 || (c.shape.length === 1 && c.strides[0][0] === 1);
}

/** Dispatch a write of n elements into the packed view `out`, from `src` (a copy from x) or of `word` (a fill). */
function writeBytes(rt: Runtime, out: View, n: number, from: { x: View; src: GPUBuffer } | { word: number }): void {
  const fill = 'word' in from;
  const words = Math.ceil((out.offset + n) / 4) - Math.floor(out.offset / 4);
  const p = params()
    .u32(n)
    .u32(fill ? from.word : 0)
    .u32(out.offset)
    .u32(words);
  const dst = bufferOf(out);
  const buffers = fill ? [dst] : [from.src, dst];
  const source: ByteSource = fill ? 'fill' : from.x.storage.dtype;
  if (isDense(out)) {
    const rank = writeStrided(p, out.shape, fill ? [] : [from.x]);
    rt.dispatch(byteWriteKernel(rank, source, out.storage.dtype, 'words'), buffers, p, linearGrid(words, WG));
  } else {
    const rank = writeStrided(p, out.shape, fill ? [out] : [from.x, out]);
    rt.dispatch(byteWriteKernel(rank, source, out.storage.dtype, 'atomic'), buffers, p, linearGrid(n, WG));
  }
}

/** Strided copy with dtype conversion; a buffer copy when both sides are dense and of one dtype. */
export function copy(rt: Runtime, x: View, out: View): void {
  const n = numel(out.shape);
  if (n === 0) return;
  const from = x.storage.dtype;
  const to = out.storage.dtype;
  let src = bufferOf(x);
  const dst = bufferOf(out);
  if (from === to && isDense(x) && isDense(out) && src !== dst) {
    const size = elementBytes(to);
    // packed: whole words move, so both runs must start a word and the last word may hold only
    // the run's own bytes or the destination's padding
    const words = size === 4 || (x.offset % 4 === 0 && out.offset % 4 === 0 && (n % 4 === 0 || out.offset + n >= out.storage.size));
    if (words) {
      rt.copyBuffer(src, x.offset * size, dst, out.offset * size, Math.ceil((n * size) / 4) * 4);
      return;
    }
  }
  // A kernel may not read and write one buffer: copy the source aside first.
  let aside: GPUBuffer | null = null;
  if (src === dst) {
    const bytes = storageBytes(from, x.storage.size);
    aside = rt.createBuffer(bytes);
    rt.copyBuffer(src, 0, aside, 0, bytes);
    src = aside;
  }
  if (isPacked(to)) writeBytes(rt, out, n, { x, src });
  else {
    const p = params().u32(n);
    const rank = writeStrided(p, out.shape, [x, out]);
    rt.dispatch(copyKernel(rank, from, to), [src, dst], p, linearGrid(n, WG));
  }
  if (aside) rt.releaseBuffer(aside);
}

/** out[i] = word for every element of the view (the word already encodes out's dtype). */
export function fillWord(rt: Runtime, out: View, word: number): void {
  const n = numel(out.shape);
  if (n === 0) return;
  if (isPacked(out.storage.dtype)) {
    writeBytes(rt, out, n, { word });
    return;
  }
  const p = params().u32(n).u32(word);
  const rank = writeStrided(p, out.shape, [out]);
  rt.dispatch(fillKernel(rank), [bufferOf(out)], p, linearGrid(n, WG));
}
