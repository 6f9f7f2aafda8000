// The GloVe inner loop on the CPU: one pass over a slice of the (shuffled) entries, updating the
// parameters in place with the reference C implementation's AdaGrad rule. Shared by the main
// thread and the worker threads (Hogwild: workers run it concurrently over one SharedArrayBuffer).
//
// Layout: one array P of 2·V rows, word rows 0 … V − 1 then context rows V … 2V − 1 (as the
// reference's `W`); each row holds the d + 1 parameters (bias last) followed by their d + 1 AdaGrad
// accumulators (the reference's `gradsq`, which it keeps in a second array). Interleaved, an
// entry's update touches two contiguous stretches of 2(d + 1) numbers instead of four of d + 1:
// fewer cache lines (and pages) per entry, and fewer lines for two Hogwild threads to pass back and
// forth when both update a frequent word's row. Measured on the shared 2-core machine (synthetic
// Zipfian matrix, interleaved A/B runs): CPU time per entry 5–7% lower with 1 and 2 threads at
// real-time priority (near idle), 10–19% lower under load, than with two arrays.

/** Where row r's parameters and accumulators lie: P[r·stride + k] and G[r·stride + gOff + k], k = 0 … d. */
export interface GloVeLayout {
  stride: number;
  gOff: number;
}

/** The CPU trainer's layout: accumulators right after the parameters in each row of one array. */
export function interleavedLayout(dim: number): GloVeLayout {
  return { stride: 2 * (dim + 1), gOff: dim + 1 };
}

/** Separate parameter and accumulator arrays of rows of d + 1 (the reference's, and the WebGPU trainer's). */
export function separateLayout(dim: number): GloVeLayout {
  return { stride: dim + 1, gOff: 0 };
}

/** Parameter storage: float32 (default) or float64. */
export type GloVeArray = Float32Array | Float64Array;

/** The entries of one pass, struct-of-arrays: word ids, context ids, log X and the weight f(X). */
export interface GloVeEntries {
  rows: Int32Array;
  cols: Int32Array;
  logX: Float64Array;
  weight: Float64Array;
}

/** entries[k] = base[perm[k]] (base[k] without `perm`) for k in `start … end − 1`: the order of a pass. */
export function gatherEntries(entries: GloVeEntries, base: GloVeEntries, perm: Int32Array | undefined, start: number, end: number): void {
  const { rows, cols, logX, weight } = entries;
  for (let k = start; k < end; k++) {
    const p = perm ? perm[k] : k;
    rows[k] = base.rows[p];
    cols[k] = base.cols[p];
    logX[k] = base.logX[p];
    weight[k] = base.weight[p];
  }
}

/**
 * One pass over entries `start … end − 1`: for each entry, diff = wᵢ·w̃ⱼ + bᵢ + b̃ⱼ − log X,
 * fdiff = f(X)·diff; the cost ½·fdiff·diff is added before the update; vector steps are
 * clip(fdiff·other, ±clip)·η / √G (both sides from pre-update values, G incremented with the
 * η-scaled squared step after being read); bias steps fdiff / √G_b without η or clipping.
 * Entries whose diff is not finite are skipped entirely.
 *
 * The reference also skips vector steps whose sum is not finite, and bias steps that are not
 * finite. Neither can happen once diff is finite and every accumulator is finite and > 0 (steps
 * are clipped, accumulators only grow), which the callers guarantee (fresh accumulators are 1;
 * a resumed model's are checked), so this loop applies each step as it computes it — the same
 * numbers, without the reference's second pass over the row.
 * Returns the summed cost of the visited entries.
 */
export function glovePass(P: GloVeArray, dim: number, vocabSize: number, e: GloVeEntries, start: number, end: number, eta: number, clip: number): number {
  return P instanceof Float64Array ? glovePassF64(P, dim, vocabSize, e, start, end, eta, clip) : glovePassF32(P, dim, vocabSize, e, start, end, eta, clip);
}

// The same loop twice, once per storage type, on purpose: one function fed both Float32Array and
// Float64Array parameters goes polymorphic in V8 and runs ~25% slower for both (measured). The
// hand-computed test runs both copies against the same numbers, so they cannot drift apart.

function glovePassF32(W: Float32Array, dim: number, vocabSize: number, e: GloVeEntries, start: number, end: number, eta: number, clip: number): number {
  const rows = e.rows;
  const cols = e.cols;
  const logX = e.logX;
  const weight = e.weight;
  const stride = 2 * (dim + 1); // interleavedLayout
  const g = dim + 1; // the accumulators' offset in a row
  const ctx = vocabSize * stride;
  let cost = 0;
  for (let a = start; a < end; a++) {
    const l1 = rows[a] * stride;
    const l2 = ctx + cols[a] * stride;
    let dot = 0;
    for (let b = 0; b < dim; b++) dot += W[l1 + b] * W[l2 + b];
    const diff = dot + W[l1 + dim] + W[l2 + dim] - logX[a];
    let fdiff = weight[a] * diff;
    if (diff - diff !== 0 || fdiff - fdiff !== 0) continue; // NaN or ±∞
    cost += 0.5 * fdiff * diff;
    // Both steps from pre-update values: each b reads w1 and w2 before writing either.
    for (let b = 0; b < dim; b++) {
      const w1 = W[l1 + b];
      const w2 = W[l2 + b];
      let t1 = fdiff * w2;
      let t2 = fdiff * w1;
      t1 = (t1 > clip ? clip : t1 < -clip ? -clip : t1) * eta;
      t2 = (t2 > clip ? clip : t2 < -clip ? -clip : t2) * eta;
      const g1 = W[l1 + g + b];
      const g2 = W[l2 + g + b];
      W[l1 + b] = w1 - t1 / Math.sqrt(g1);
      W[l2 + b] = w2 - t2 / Math.sqrt(g2);
      W[l1 + g + b] = g1 + t1 * t1;
      W[l2 + g + b] = g2 + t2 * t2;
    }
    W[l1 + dim] -= fdiff / Math.sqrt(W[l1 + g + dim]);
    W[l2 + dim] -= fdiff / Math.sqrt(W[l2 + g + dim]);
    fdiff *= fdiff;
    W[l1 + g + dim] += fdiff;
    W[l2 + g + dim] += fdiff;
  }
  return cost;
}

function glovePassF64(W: Float64Array, dim: number, vocabSize: number, e: GloVeEntries, start: number, end: number, eta: number, clip: number): number {
  const rows = e.rows;
  const cols = e.cols;
  const logX = e.logX;
  const weight = e.weight;
  const stride = 2 * (dim + 1); // interleavedLayout
  const g = dim + 1; // the accumulators' offset in a row
  const ctx = vocabSize * stride;
  let cost = 0;
  for (let a = start; a < end; a++) {
    const l1 = rows[a] * stride;
    const l2 = ctx + cols[a] * stride;
    let dot = 0;
    for (let b = 0; b < dim; b++) dot += W[l1 + b] * W[l2 + b];
    const diff = dot + W[l1 + dim] + W[l2 + dim] - logX[a];
    let fdiff = weight[a] * diff;
    if (diff - diff !== 0 || fdiff - fdiff !== 0) continue; // NaN or ±∞
    cost += 0.5 * fdiff * diff;
    // Both steps from pre-update values: each b reads w1 and w2 before writing either.
    for (let b = 0; b < dim; b++) {
      const w1 = W[l1 + b];
      const w2 = W[l2 + b];
      let t1 = fdiff * w2;
      let t2 = fdiff * w1;
      t1 = (t1 > clip ? clip : t1 < -clip ? -clip : t1) * eta;
      t2 = (t2 > clip ? clip : t2 < -clip ? -clip : t2) * eta;
      const g1 = W[l1 + g + b];
      const g2 = W[l2 + g + b];
      W[l1 + b] = w1 - t1 / Math.sqrt(g1);
      W[l2 + b] = w2 - t2 / Math.sqrt(g2);
      W[l1 + g + b] = g1 + t1 * t1;
      W[l2 + g + b] = g2 + t2 * t2;
    }
    W[l1 + dim] -= fdiff / Math.sqrt(W[l1 + g + dim]);
    W[l2 + dim] -= fdiff / Math.sqrt(W[l2 + g + dim]);
    fdiff *= fdiff;
    W[l1 + g + dim] += fdiff;
    W[l2 + g + dim] += fdiff;
  }
  return cost;
}

/** The weighting function f(X) = (X / xMax)^α below xMax, 1 from there on (as the reference: `X > xMax ? 1 : …`). */
export function gloveWeight(x: number, xMax: number, alpha: number): number {
  return x > xMax ? 1 : (x / xMax) ** alpha;
}
