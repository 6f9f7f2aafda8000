import type { Storage, View } from '../../backend';
import type { DType } from '../../../dtype';
import { contiguousStrides, numel, type Shape } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf, type GpuStorage } from '../storage';
import { copy } from '../codegen/copy';
import { isPacked, loadFn } from '../wgsl/dtype';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { stridedIndexWgsl, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/**
 * Indexing kernels: `gather` and `scatterAdd` along one dim, one invocation per element of the
 * index tensor.
 *
 * Both walk the index's shape with the strided-index generator. The indexed operand (x for gather,
 * out for scatterAdd) is laid out with stride 0 at `dim`, so the walk gives the base offset of the
 * row and the kernel adds `index·step`, where `step` is that operand's stride at `dim`.
 *
 * Params: `n` (elements of index), `size` (extent of `dim`), `step` (i32), then the strided layout
 * from word 3.
 *
 * Index values: negative ones count from the end, as on the CPU. The CPU throws for an index
 * outside [−size, size); a shader cannot throw, so on the GPU such an index never reads or writes
 * out of bounds instead: gather writes 0 (the zero word of every dtype) and scatterAdd skips it.
 */

const WG = 64;
const BASE = 3;

/** WGSL: the in-range position an index word selects along `dim`, or −1 when out of range. */
const NORMALISE = `fn position(word: u32) -> i32 {
  let size = i32(p[1]);
  var v = bitcast<i32>(word);
  if (v < 0) { v += size; }
  if (v < 0 || v >= size) { return -1; }
  return v;
}`;

/** out[i] = x[base(i) + index[i]·step]; operands of the strided walk: index, x (stride 0 at dim). */
export const gatherKernel = memoKernel(function gatherKernel(rank: number, dtype: DType): KernelSource {
  return {
    key: `gather:${rank}:${dtype}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<storage, read> p: array<u32>;
${stridedIndexWgsl(rank, BASE)}
${NORMALISE}
${loadFn('loadX', 'x', dtype)}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  let at = position(index[stridedOffset(i, 0u)]);
  if (at < 0) { y[i] = 0u; return; }
  y[i] = loadX(u32(bitcast<i32>(stridedOffset(i, 1u)) + at * bitcast<i32>(p[2])));
}`,
  };
});

/**
 * How one element is added into the output word, per dtype. int32 uses `atomicAdd`; the others
 * use a compare-and-swap loop on the u32 word, since WGSL has no float (or 8-bit) atomics; for
 * int8/uint8 the loop replaces only the element's byte of the word (`combine` sees the byte's word).
 */
const ACCUMULATE = {
  float32: { atomic: 'u32', add: null, combine: (o: string, v: string) => `bitcast<u32>(bitcast<f32>(${o}) + bitcast<f32>(${v}))` },
  int32: { atomic: 'i32', add: (v: string) => `bitcast<i32>(${v})`, combine: null },
  // 8-bit integers wrap as on the CPU: sign-extend (int8) or mask (uint8) the 32-bit sum
  int8: { atomic: 'u32', add: null, combine: (o: string, v: string) => `bitcast<u32>((bitcast<i32>(${o} + ${v}) << 24u) >> 24u)` },
  uint8: { atomic: 'u32', add: null, combine: (o: string, v: string) => `((${o} + ${v}) & 255u)` },
  // a bool sum is a logical or (the CPU stores the count in a byte)
  bool: { atomic: 'u32', add: null, combine: (o: string, v: string) => `select(0u, 1u, (${o} | ${v}) != 0u)` },
} satisfies Record<DType, { atomic: 'u32' | 'i32'; add: ((v: string) => string) | null; combine: ((old: string, v: string) => string) | null }>;

/** The WGSL statements adding the word `v` into `y[o]` atomically for `dtype`. */
function accumulateWgsl(dtype: DType): string {
  const a = ACCUMULATE[dtype];
  if (a.add) return `atomicAdd(&y[o], ${a.add('v')});`;
  const next = isPacked(dtype) ? `insertBits(old, ${a.combine?.('extractBits(old, shift, 8u)', 'v')}, shift, 8u)` : a.combine?.('old', 'v');
  const at = isPacked(dtype) ? 'o >> 2u' : 'o';
  return `${isPacked(dtype) ? 'let shift = (o & 3u) * 8u;\n  ' : ''}var old = atomicLoad(&y[${at}]);
  loop {
    let r = atomicCompareExchangeWeak(&y[${at}], old, ${next});
    if (r.exchanged) { break; }
    old = r.old_value;
  }`;
}

/** y[base(i) + index[i]·step] += src[i] atomically; operands: index, src, y (stride 0 at dim). */
export const scatterAddKernel = memoKernel(function scatterAddKernel(rank: number, dtype: DType): KernelSource {
  return {
    key: `scatterAdd:${rank}:${dtype}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> index: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<atomic<${ACCUMULATE[dtype].atomic}>>;
@group(0) @binding(3) var<storage, read> p: array<u32>;
${stridedIndexWgsl(rank, BASE)}
${NORMALISE}
${loadFn('loadSrc', 'src', dtype)}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  let at = position(index[stridedOffset(i, 0u)]);
  if (at < 0) { return; }
  let v = loadSrc(stridedOffset(i, 1u));
  let o = u32(bitcast<i32>(stridedOffset(i, 2u)) + at * bitcast<i32>(p[2]));
  ${accumulateWgsl(dtype)}
}`,
  };
});

/** `strides` with 0 at `dim`: the walk then lands on the start of each indexed row. */
function zeroAt(strides: readonly number[], dim: number): number[] {
  return strides.map((s, i) => (i === dim ? 0 : s));
}

/**
 * out[p] = x[p with coordinate `dim` replaced by index[p]] for every position p of `index`
 * (strided x and index; `out` contiguous with index's shape). Out-of-range indices give 0.
 */
export function gather(rt: Runtime, x: View, dim: number, index: View, out: Storage): void {
  rt.checkAlive();
  const n = numel(index.shape);
  if (n === 0) return;
  const p = params().u32(n).u32(x.shape[dim]).i32(x.strides[dim]);
  const rank = writeStrided(p, index.shape, [index, { strides: zeroAt(x.strides, dim), offset: x.offset }]);
  const kernel = gatherKernel(rank, x.storage.dtype);
  if (!isPacked(out.dtype)) {
    rt.dispatch(kernel, [bufferOf(x), bufferOf(index), bufferOf(out)], p, linearGrid(n, WG));
    return;
  }
  // int8/uint8: gathered into a word per element, then packed by a copy (byte writes would race)
  const words = rt.createBuffer(n * 4);
  rt.dispatch(kernel, [bufferOf(x), bufferOf(index), words], p, linearGrid(n, WG));
  const storage: GpuStorage = { device: 'webgpu', dtype: 'int32', size: n, bytes: words.size, refs: 0, buffer: words };
  copy(rt, { storage, shape: [n], strides: [1], offset: 0 }, { storage: out, shape: [n], strides: [1], offset: 0 });
  rt.releaseBuffer(words);
}

/**
 * In place on the contiguous `out` of `outShape` from element `outOffset`: out[p with `dim` replaced by index[p]] += src[p]
 * for every position p of `index`, atomically, so repeated indices accumulate (in an unspecified
 * order: float32 sums may differ from the CPU's in the last bits). Out-of-range indices are skipped.
 */
export function scatterAdd(rt: Runtime, out: Storage, outShape: Shape, dim: number, index: View, src: View, outOffset = 0): void {
  rt.checkAlive();
  const n = numel(index.shape);
  if (n === 0) return;
  const os = contiguousStrides(outShape);
  const p = params().u32(n).u32(outShape[dim]).i32(os[dim]);
  const rank = writeStrided(p, index.shape, [index, src, { strides: zeroAt(os, dim), offset: outOffset }]);
  const y = bufferOf(out);
  // the output binding is read_write: an input sharing its buffer is read from a copy instead
  const aside: GPUBuffer[] = [];
  const input = (b: GPUBuffer): GPUBuffer => {
    if (b !== y) return b;
    const c = rt.createBuffer(y.size);
    rt.copyBuffer(y, 0, c, 0, y.size);
    aside.push(c);
    return c;
  };
  rt.dispatch(scatterAddKernel(rank, out.dtype), [input(bufferOf(index)), input(bufferOf(src)), y], p, linearGrid(n, WG));
  for (const c of aside) rt.releaseBuffer(c);
}
