// GloVe training on WebGPU: the parameters, the AdaGrad accumulators and the entries live in
// device buffers for the whole run, and each pass dispatches @aimodel/tensor's `gloveStep_` over
// the entries in batches (one invocation per entry, lock-free; batches run in order).
//
// Conflict-free batches: two entries that share neither their word row nor their context row
// touch disjoint parameters, so they commute exactly. The host splits each pass's order into
// batches greedily (`gloveSchedule`): every entry goes into the first batch after the last one
// holding its word row or its context row (and not full). No two entries of a batch share a row,
// so the lock-free kernel has no races, and entries sharing a row keep their relative order: the
// pass computes exactly what the sequential CPU pass over the same order computes (up to float32
// rounding and the order of the cost's sum). The price is the batch count, at least the largest
// number of entries of one row (a frequent word co-occurs with most of the vocabulary).
//
// Order: 'epoch' draws the pass's permutation from the same generator as the CPU trainer (so both
// visit the same order) and uploads its schedule (N int32) before each pass; 'once' schedules the
// first pass's permutation once and keeps it on the device (as the reference's `shuffle` tool: no
// per-pass cost); 'none' schedules the (i, j) order once. The cost is summed on the device into
// COST_SLOTS partial sums and read once per pass.

import { type Generator, gloveStep_, scope, type Tensor, tensor, zeros } from '@aimodel/tensor';
import type { GloVeEntries } from './glove-cpu';
import { GloVeModel, type GloVeTensorName } from './glove-model';

/** Partial sums of a pass's cost on the device (workgroup index modulo this). */
const COST_SLOTS = 64;

/** What the WebGPU trainer needs: the packed float32 start (2V rows of d + 1) and the run's settings. */
export interface WebGpuTraining {
  words: readonly string[];
  dim: number;
  /** Packed parameters and accumulators; overwritten with the trained ones at the end. */
  W: Float32Array;
  G: Float32Array;
  entries: GloVeEntries;
  eta: number;
  clip: number;
  epochs: number;
  shuffle: 'epoch' | 'once' | 'none';
  gen: Generator;
  batchSize: number;
}

/** The default cap on a batch's entries: conflict-free batches are race-free at any size. */
export const GLOVE_DEFAULT_BATCH = 65536;

/**
 * Splits one pass's order (`perm`, or 0 … N − 1) into conflict-free batches of at most `cap`
 * entries: returns the entries grouped by batch (`order`) and the batches' start positions
 * (`starts`, with N last). Each entry goes into the first batch that is not full and comes after
 * every batch already holding its word row or its context row; O(N α(N)) with a skip list of
 * full batches.
 */
export function gloveSchedule(
  rows: Int32Array,
  cols: Int32Array,
  perm: Int32Array | undefined,
  vocabSize: number,
  cap: number,
): { order: Int32Array; starts: Int32Array } {
  const N = rows.length;
  const lastRow = new Int32Array(vocabSize).fill(-1);
  const lastCol = new Int32Array(vocabSize).fill(-1);
  const batchOf = new Int32Array(N);
  const count = new Int32Array(N + 1);
  const next = new Int32Array(N + 2); // next[b]: a batch ≥ b that may not be full (path-compressed)
  for (let b = 0; b < next.length; b++) next[b] = b;
  const free = (b: number): number => {
    let r = b;
    while (next[r] !== r) r = next[r];
    while (next[b] !== r) {
      const n = next[b];
      next[b] = r;
      b = n;
    }
    return r;
  };
  let batches = 0;
  for (let k = 0; k < N; k++) {
    const a = perm ? perm[k] : k;
    const r = rows[a];
    const c = cols[a];
    const b = free((lastRow[r] > lastCol[c] ? lastRow[r] : lastCol[c]) + 1);
    batchOf[k] = b;
    if (++count[b] === cap) next[b] = b + 1;
    lastRow[r] = b;
    lastCol[c] = b;
    if (b >= batches) batches = b + 1;
  }
  const starts = new Int32Array(batches + 1);
  for (let b = 0; b < batches; b++) starts[b + 1] = starts[b] + count[b];
  const pos = starts.slice(0, batches);
  const order = new Int32Array(N);
  for (let k = 0; k < N; k++) order[pos[batchOf[k]]++] = perm ? perm[k] : k;
  return { order, starts };
}

/**
 * Trains on WebGPU; calls `report` after each pass with its cost (Σ ½·f·diff² / N) and seconds.
 * Returns the model with its eight tensors on WebGPU, and leaves the trained packed values in
 * `t.W` and `t.G` (read back once, for the vectors).
 */
export async function trainOnWebGpu(t: WebGpuTraining, report: (epoch: number, cost: number, seconds: number) => void): Promise<GloVeModel> {
  const V = t.words.length;
  const d = t.dim;
  const N = t.entries.rows.length;
  const device = 'webgpu' as const;
  const made: Tensor[] = [];
  const keep = <T extends Tensor>(x: T): T => {
    made.push(x);
    return x;
  };
  let order: Tensor | undefined;
  try {
    const params = keep(scope(() => tensor(t.W, { device }).reshape([2 * V, d + 1])));
    const gradsq = keep(scope(() => tensor(t.G, { device }).reshape([2 * V, d + 1])));
    const entries = {
      rows: keep(tensor(t.entries.rows, { device })),
      cols: keep(tensor(t.entries.cols, { device })),
      logX: keep(tensor(Float32Array.from(t.entries.logX), { device })),
      weight: keep(tensor(Float32Array.from(t.entries.weight), { device })),
    };
    let starts: Int32Array = new Int32Array(0);
    for (let epoch = 1; epoch <= t.epochs; epoch++) {
      const t0 = performance.now();
      if (t.shuffle === 'epoch' || !order) {
        const plan = gloveSchedule(t.entries.rows, t.entries.cols, t.shuffle === 'none' ? undefined : t.gen.permutation(N), V, t.batchSize);
        order?.dispose();
        order = tensor(plan.order, { device });
        starts = plan.starts;
      }
      const cost = zeros([COST_SLOTS], { device });
      try {
        for (let b = 0; b + 1 < starts.length; b++) {
          gloveStep_(params, gradsq, entries, cost, { order, start: starts[b], count: starts[b + 1] - starts[b], learningRate: t.eta, gradClip: t.clip });
        }
        const sums = await cost.data();
        let total = 0;
        for (const s of sums) total += s;
        report(epoch, total / N, (performance.now() - t0) / 1000);
      } finally {
        cost.dispose();
      }
    }
    t.W.set(await params.data());
    t.G.set(await gradsq.data());
    // The model's tensors: slices of the packed rows, copied on the device.
    const part = (src: Tensor, context: boolean, bias: boolean): Tensor =>
      scope(() => {
        const rows = src.narrow(0, context ? V : 0, V);
        return bias ? rows.narrow(1, d, 1).reshape([V]).contiguous() : rows.narrow(1, 0, d).contiguous();
      });
    const tensors: Record<GloVeTensorName, Tensor> = {
      W: part(params, false, false),
      W_context: part(params, true, false),
      b: part(params, false, true),
      b_context: part(params, true, true),
      gradsq_W: part(gradsq, false, false),
      gradsq_W_context: part(gradsq, true, false),
      gradsq_b: part(gradsq, false, true),
      gradsq_b_context: part(gradsq, true, true),
    };
    return GloVeModel.fromTensors(tensors, t.words);
  } finally {
    order?.dispose();
    for (const x of made) x.dispose();
  }
}
