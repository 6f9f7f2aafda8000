import type { PrimitiveArgs } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';

/**
 * One batch of GloVe updates (see `Backend.gloveStep`): one invocation per entry of the batch,
 * each computing its entry's diff and updating the word row, the context row, both biases and
 * their AdaGrad accumulators in place, lock-free ("Hogwild", as the reference's threads): two
 * entries of one batch that share a row race, and one's update of that row may overwrite the
 * other's. Batches are ordered (the device finishes one dispatch's writes before the next reads),
 * so callers keep such conflicts rare by choosing the batch size.
 *
 * The cost ½·fdiff·diff of each entry is summed per workgroup in workgroup memory, and the
 * workgroup's sum is added to one element of `cost` (workgroup index modulo the cost's length)
 * with a compare-and-swap loop (WGSL has no float atomics): a cost of many elements spreads the
 * contention and keeps each float32 partial sum short.
 *
 * Params: count, start, dim, V, eta (f32), clip (f32), then the element offsets of params,
 * gradsq, rows, cols, logX, weight, order, cost, the cost's length and the number of entries.
 */

const WG = 64;

export const gloveStepKernel = memoKernel(function gloveStepKernel(ordered: boolean): KernelSource {
  const orderBinding = ordered ? '@group(0) @binding(6) var<storage, read> order: array<i32>;' : '';
  const costBinding = ordered ? 7 : 6;
  return {
    key: `gloveStep:${ordered}`,
    workgroupSize: [WG, 1, 1],
    bindings: ['read_write', 'read_write', 'read', 'read', 'read', 'read', ...(ordered ? (['read'] as const) : []), 'read_write'],
    code: wgsl`
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<i32>;
@group(0) @binding(3) var<storage, read> cols: array<i32>;
@group(0) @binding(4) var<storage, read> logX: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
${orderBinding}
@group(0) @binding(${costBinding}) var<storage, read_write> cost: array<atomic<u32>>;
@group(0) @binding(${costBinding + 1}) var<storage, read> p: array<u32>;
var<workgroup> partial: array<f32, ${WG}>;

// By the bits, not by comparisons a compiler may fold away under fast-math assumptions.
fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

fn entry(i: u32) -> f32 {
  var a = i32(p[1] + i);
  ${ordered ? 'a = order[p[12] + u32(a)];' : ''}
  let V = i32(p[3]);
  if (a < 0 || a >= i32(p[15])) { return 0.0; }
  let r = rows[p[8] + u32(a)];
  let c = cols[p[9] + u32(a)];
  if (r < 0 || r >= V || c < 0 || c >= V) { return 0.0; }
  let d = p[2];
  let eta = bitcast<f32>(p[4]);
  let clip = bitcast<f32>(p[5]);
  let w1 = p[6] + u32(r) * (d + 1u);
  let w2 = p[6] + u32(V + c) * (d + 1u);
  let g1 = p[7] + u32(r) * (d + 1u);
  let g2 = p[7] + u32(V + c) * (d + 1u);
  var dot = 0.0;
  for (var b = 0u; b < d; b++) { dot += W[w1 + b] * W[w2 + b]; }
  let diff = dot + W[w1 + d] + W[w2 + d] - logX[p[10] + u32(a)];
  let fdiff = weight[p[11] + u32(a)] * diff;
  if (!finite(diff) || !finite(fdiff)) { return 0.0; }
  for (var b = 0u; b < d; b++) {
    let x1 = W[w1 + b];
    let x2 = W[w2 + b];
    let t1 = clamp(fdiff * x2, -clip, clip) * eta;
    let t2 = clamp(fdiff * x1, -clip, clip) * eta;
    let a1 = G[g1 + b];
    let a2 = G[g2 + b];
    W[w1 + b] = x1 - t1 / sqrt(a1);
    W[w2 + b] = x2 - t2 / sqrt(a2);
    G[g1 + b] = a1 + t1 * t1;
    G[g2 + b] = a2 + t2 * t2;
  }
  W[w1 + d] = W[w1 + d] - fdiff / sqrt(G[g1 + d]);
  W[w2 + d] = W[w2 + d] - fdiff / sqrt(G[g2 + d]);
  let f2 = fdiff * fdiff;
  G[g1 + d] = G[g1 + d] + f2;
  G[g2 + d] = G[g2 + d] + f2;
  return 0.5 * fdiff * diff;
}

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let group = wid.x + wid.y * nwg.x;
  let i = group * ${WG}u + lid;
  var c = 0.0;
  if (i < p[0]) { c = entry(i); }
  partial[lid] = c;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let o = p[13] + group % p[14];
    var old = atomicLoad(&cost[o]);
    loop {
      let r = atomicCompareExchangeWeak(&cost[o], old, bitcast<u32>(bitcast<f32>(old) + partial[0]));
      if (r.exchanged) { break; }
      old = r.old_value;
    }
  }
}`,
  };
});

/** One batch of GloVe updates on the device: `p.count` invocations over the (contiguous) views. */
export function gloveStep(rt: Runtime, ...[W, G, rows, cols, logX, weight, order, cost, p]: PrimitiveArgs<'gloveStep'>): void {
  rt.checkAlive();
  if (p.count === 0) return;
  const w = params()
    .u32(p.count)
    .u32(p.start)
    .u32(p.dim)
    .u32(p.vocabSize)
    .f32(p.eta)
    .f32(p.clip)
    .u32(W.offset)
    .u32(G.offset)
    .u32(rows.offset)
    .u32(cols.offset)
    .u32(logX.offset)
    .u32(weight.offset)
    .u32(order ? order.offset : 0)
    .u32(cost.offset)
    .u32(cost.shape[0])
    .u32(rows.shape[0]);
  const buffers = [bufferOf(W), bufferOf(G), bufferOf(rows), bufferOf(cols), bufferOf(logX), bufferOf(weight)];
  if (order) buffers.push(bufferOf(order));
  buffers.push(bufferOf(cost));
  rt.dispatch(gloveStepKernel(order !== null), buffers, w, linearGrid(p.count, WG));
}
