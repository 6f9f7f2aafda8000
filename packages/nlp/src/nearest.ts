import { type DeviceName, getDefaultDevice, linear, scope, tensor } from '@aimodel/tensor';

/**
 * Smallest number of queries, and of multiply-adds in all, from which the scores go through
 * @aimodel/tensor's matmul (the CPU backend's WebAssembly SIMD kernel) instead of typed-array
 * loops. Measured on the 2-core development machine (Node 22): one query never gains (copying the
 * [rows, dim] table into a tensor costs more than the loop: 100 k × 300 loop 62 ms, matmul
 * 185 ms); 64 queries gain from 1 k × 50 rows on (13 → 8 ms) to 100 k × 300 (4.1 s → 0.4 s).
 */
export const MATMUL_MIN_QUERIES = 16;
/** See {@link MATMUL_MIN_QUERIES}: total multiply-adds from which the matmul is used. */
export const MATMUL_MIN_WORK = 1 << 21;

/** Copies of the rows scaled to unit L2 norm (float64 accumulation); zero rows stay zero. */
export function unitRows(vectors: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const base = i * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) s += vectors[base + k] * vectors[base + k];
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < dim; k++) out[base + k] = vectors[base + k] * inv;
  }
  return out;
}

/**
 * scores[q·rows + i] = unit[i] · queries[q] for the first `rows` rows and every query
 * (queries row-major [count, dim]). Small problems loop over the typed arrays; batches of
 * {@link MATMUL_MIN_QUERIES} queries and {@link MATMUL_MIN_WORK} multiply-adds go through one
 * matmul on the CPU (the queries are synchronous, and only the CPU reads synchronously).
 */
export function dotScores(unit: Float32Array, rows: number, dim: number, queries: Float32Array, useMatmul?: boolean): Float32Array {
  const count = queries.length / dim;
  if (!(useMatmul ?? (count >= MATMUL_MIN_QUERIES && count * rows * dim >= MATMUL_MIN_WORK))) {
    const out = new Float32Array(count * rows);
    for (let q = 0; q < count; q++) {
      const qb = q * dim;
      for (let i = 0; i < rows; i++) {
        const base = i * dim;
        let s = 0;
        for (let k = 0; k < dim; k++) s += unit[base + k] * queries[qb + k];
        out[q * rows + i] = s;
      }
    }
    return out;
  }
  return scope(() => {
    const u = tensor(rows * dim === unit.length ? unit : unit.subarray(0, rows * dim), { device: 'cpu' }).reshape([rows, dim]);
    const x = tensor(queries, { device: 'cpu' }).reshape([count, dim]);
    return linear(x, u).dataSync() as Float32Array; // [count, rows] = x · uᵀ
  });
}

/**
 * {@link dotScores} as one matmul on `device` (default: the default device, WebGPU after
 * `init()`), read back asynchronously; the tensors are freed before it resolves.
 */
export async function dotScoresOnDevice(
  unit: Float32Array,
  rows: number,
  dim: number,
  queries: Float32Array,
  device: DeviceName = getDefaultDevice(),
): Promise<Float32Array> {
  const count = queries.length / dim;
  const scores = scope(() => {
    const u = tensor(rows * dim === unit.length ? unit : unit.subarray(0, rows * dim), { device }).reshape([rows, dim]);
    return linear(tensor(queries, { device }).reshape([count, dim]), u); // [count, rows]
  });
  try {
    return (await scores.data()) as Float32Array;
  } finally {
    scores.dispose();
  }
}

/**
 * Indices of the `k` largest scores (descending; ties by lower index, i.e. more frequent word
 * first), skipping `exclude`. Partial selection: O(n·log k).
 */
export function topIndices(scores: ArrayLike<number>, offset: number, n: number, k: number, exclude: ReadonlySet<number>): number[] {
  // min-heap of the best k so far, worst at the top
  const heap: number[] = [];
  const worse = (a: number, b: number): boolean => {
    const sa = scores[offset + a];
    const sb = scores[offset + b];
    return sa < sb || (sa === sb && a > b);
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let i = 0; i < n; i++) {
    if (exclude.has(i) || Number.isNaN(scores[offset + i])) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let j = heap.length - 1; j > 0; ) {
        const p = (j - 1) >> 1;
        if (!worse(heap[j], heap[p])) break;
        [heap[j], heap[p]] = [heap[p], heap[j]];
        j = p;
      }
    } else if (k > 0 && worse(heap[0], i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}
