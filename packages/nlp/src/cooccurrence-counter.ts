// The accumulator behind `cooccurrence`: float64 sums of (a, b) pairs of word ranks (0-based
// among the counted words), in bounded memory.
//
// - Frequent pairs (rank product below a limit, as the reference's "bigram table") go to a dense
//   Float64Array: rows are ordered by rank and row a holds columns 0 … rowLength[a] − 1.
// - All other pairs go to an open-addressing hash table (packed key a·n + b, linear probing).
//   When it passes its load limit, its entries are sorted by key into a run (two typed arrays,
//   16 bytes per entry) and the table starts empty again. The runs go to a RunStore: in memory
//   (MemoryRuns: merged, equal keys summed, as they accumulate, runs of similar sizes together,
//   and all at the end) or on disk (DiskRuns in cooccurrence-spill.ts: one file per run, merged
//   at the end).
// Every pair's sum is the same set of float64 terms whatever the budget: only the order in which
// partial sums are added differs, so results agree to rounding.

/** A sorted run: strictly increasing packed keys a·n + b and their sums. */
export interface Run {
  keys: Float64Array;
  values: Float64Array;
}

/** Where a counter's sorted runs go until the end: memory ({@link MemoryRuns}) or disk (cooccurrence-spill). */
export interface RunStore {
  /** Takes one sorted run (the counter does not touch it afterwards). */
  push(run: Run): void;
  /** All sums, sorted by key: the stored runs merged with the dense table's run and the table's last run. */
  finish(dense: Run, last: Run): Run | Promise<Run>;
}

/**
 * Runs kept in memory as a stack of decreasing sizes: a new run is merged with the one below while
 * that one is at most twice its size (as a binary counter), so each entry is merged O(log runs)
 * times and the stack holds O(log runs) runs.
 */
export class MemoryRuns implements RunStore {
  private readonly runs: Run[] = [];

  push(run: Run): void {
    const runs = this.runs;
    let r = run;
    while (runs.length > 0 && runs[runs.length - 1].keys.length <= 2 * r.keys.length) r = mergeTwo(runs.pop() as Run, r);
    runs.push(r);
  }

  finish(dense: Run, last: Run): Run {
    if (last.keys.length > 0) this.push(last);
    return mergeRuns([dense, ...this.runs]);
  }
}

const EMPTY = -1;

export class PairCounter<S extends RunStore = MemoryRuns> {
  readonly n: number;
  // dense table of frequent pairs
  private readonly rowStart: Int32Array;
  private readonly rowLength: Int32Array;
  private readonly dense: Float64Array;
  // hash table
  private keys: Float64Array;
  private values: Float64Array;
  private shift: number;
  private mask: number;
  private limit: number;
  private readonly maxBits: number;
  private size = 0;
  private readonly store: S;
  /** Number of runs written so far (for tests and diagnostics). */
  spills = 0;

  /**
   * `n` counted words; `budgetBytes` for the dense table (`denseShare` of it, a quarter by
   * default) and the hash table (the rest, 16 bytes per slot) together; full tables become sorted
   * runs in `store` (memory by default).
   */
  constructor(n: number, budgetBytes: number, denseShare = 0.25, store: S = new MemoryRuns() as unknown as S) {
    this.n = n;
    this.store = store;
    const denseEntries = Math.min(2 ** 30, Math.floor((budgetBytes * denseShare) / 8));
    this.rowLength = denseRowLengths(n, denseEntries);
    this.rowStart = new Int32Array(n + 1);
    for (let a = 0; a < n; a++) this.rowStart[a + 1] = this.rowStart[a] + this.rowLength[a];
    this.dense = new Float64Array(this.rowStart[n]);
    let maxBits = 6;
    while (maxBits < 30 && 2 ** (maxBits + 1) * 16 <= budgetBytes * (1 - denseShare)) maxBits++;
    this.maxBits = maxBits;
    // The table starts at 256 slots per word and doubles up to its budget (a small vocabulary
    // never allocates it all; a big one starts at full size rather than rehash as it grows).
    const bits = Math.min(maxBits, Math.max(10, Math.ceil(Math.log2(n)) + 8));
    this.keys = new Float64Array(2 ** bits).fill(EMPTY);
    this.values = new Float64Array(2 ** bits);
    this.shift = 32 - bits;
    this.mask = 2 ** bits - 1;
    this.limit = 2 ** (bits - 1); // load factor ≤ 1/2
  }

  /**
   * Counts one document given as ranks `ids[0 … len − 1]`: for each position p and each of the
   * `window` previous positions at distance d, adds `weights[d]` to (earlier, later) and, when
   * `symmetric`, to (later, earlier).
   */
  addDocument(ids: Int32Array, len: number, window: number, weights: Float64Array, symmetric: boolean): void {
    const { rowLength, rowStart, dense, n } = this;
    for (let p = 1; p < len; p++) {
      const w2 = ids[p];
      const length2 = rowLength[w2]; // w2's own row, for the symmetric entries
      const start2 = rowStart[w2];
      const lo = p > window ? p - window : 0;
      for (let q = p - 1; q >= lo; q--) {
        const w1 = ids[q];
        const x = weights[p - q];
        if (w2 < rowLength[w1]) dense[rowStart[w1] + w2] += x;
        else this.addHashed(w1 * n + w2, w1, w2, x);
        if (symmetric) {
          if (w1 < length2) dense[start2 + w1] += x;
          else this.addHashed(w2 * n + w1, w2, w1, x);
        }
      }
    }
  }

  private addHashed(key: number, a: number, b: number, x: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let i = hash(a, b) >>> this.shift;
    for (;;) {
      const k = keys[i];
      if (k === key) {
        this.values[i] += x;
        return;
      }
      if (k === EMPTY) {
        keys[i] = key;
        this.values[i] = x;
        if (++this.size > this.limit) {
          if (this.mask + 1 < 2 ** this.maxBits) this.grow();
          else this.spill();
        }
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** Doubles the hash table, reinserting its entries. */
  private grow(): void {
    const { keys: oldKeys, values: oldValues, n } = this;
    const bits = 33 - this.shift;
    this.keys = new Float64Array(2 ** bits).fill(EMPTY);
    this.values = new Float64Array(2 ** bits);
    this.shift = 32 - bits;
    this.mask = 2 ** bits - 1;
    this.limit = 2 ** (bits - 1);
    const { keys, values, mask, shift } = this;
    for (let o = 0; o < oldKeys.length; o++) {
      const key = oldKeys[o];
      if (key === EMPTY) continue;
      const a = Math.floor(key / n);
      let i = hash(a, key - a * n) >>> shift;
      while (keys[i] !== EMPTY) i = (i + 1) & mask;
      keys[i] = key;
      values[i] = oldValues[o];
    }
  }

  /** Sorts the hash table's entries into a run for the store and empties the table. */
  private spill(): void {
    if (this.size === 0) return;
    this.store.push(this.tableRun());
    this.spills++;
  }

  /** The hash table's entries as a sorted run; the table is empty afterwards. */
  private tableRun(): Run {
    const { keys, values } = this;
    if (this.size === 0) return { keys: new Float64Array(0), values: new Float64Array(0) };
    const runKeys = new Float64Array(this.size);
    const runValues = new Float64Array(this.size);
    let m = 0;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== EMPTY) {
        runKeys[m] = keys[i];
        runValues[m++] = values[i];
      }
    }
    if (m > 1) sortPairs(runKeys, runValues, this.n * this.n - 1);
    keys.fill(EMPTY);
    this.size = 0;
    return { keys: runKeys, values: runValues };
  }

  /** All sums, sorted by packed key (the store's merge). The counter is spent afterwards. */
  finish(): ReturnType<S['finish']> {
    const last = this.tableRun();
    this.keys = new Float64Array(0);
    this.values = new Float64Array(0);
    return this.store.finish(this.denseRun(), last) as ReturnType<S['finish']>;
  }

  private denseRun(): Run {
    const { dense, rowStart, rowLength, n } = this;
    let m = 0;
    for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) m++;
    const keys = new Float64Array(m);
    const values = new Float64Array(m);
    let r = 0;
    for (let a = 0; a < n; a++) {
      const s = rowStart[a];
      for (let b = 0; b < rowLength[a]; b++) {
        const x = dense[s + b];
        if (x !== 0) {
          keys[r] = a * n + b;
          values[r++] = x;
        }
      }
    }
    return { keys, values };
  }
}

/** Mixes two 32-bit integers into a well-spread 32-bit hash (use its top bits). */
function hash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
}

/**
 * Row lengths of the dense table: row a holds columns b < min(n, ⌊P / (a + 1)⌋), with the largest
 * product limit P whose table fits in `maxEntries` (the pairs of frequent words are the most
 * common ones in Zipfian text).
 */
function denseRowLengths(n: number, maxEntries: number): Int32Array {
  const lengths = new Int32Array(n);
  const total = (p: number) => {
    let t = 0;
    for (let a = 0; a < n; a++) {
      const l = Math.min(n, Math.floor(p / (a + 1)));
      if (l === 0) break;
      t += l;
    }
    return t;
  };
  if (n === 0 || maxEntries < n) return lengths;
  let lo = 1;
  let hi = n * n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (total(mid) <= maxEntries) lo = mid;
    else hi = mid - 1;
  }
  for (let a = 0; a < n; a++) lengths[a] = Math.min(n, Math.floor(lo / (a + 1)));
  return lengths;
}

/**
 * Sorts `keys` (distinct integers in 0 … maxKey) ascending and `values` with them: an LSD radix
 * sort on 11-bit digits of the keys' low and high 32-bit halves, skipping digits that are the
 * same for every key.
 */
export function sortPairs(keys: Float64Array, values: Float64Array, maxKey: number): void {
  const m = keys.length;
  let lo = new Uint32Array(m);
  let hi = new Uint32Array(m);
  let val: Float64Array = values;
  for (let r = 0; r < m; r++) {
    const k = keys[r];
    const h = Math.floor(k / 2 ** 32);
    hi[r] = h;
    lo[r] = k - h * 2 ** 32;
  }
  let lo2 = new Uint32Array(m);
  let hi2 = new Uint32Array(m);
  let val2: Float64Array = new Float64Array(m);
  const count = new Int32Array(2048);
  const bits = Math.ceil(Math.log2(maxKey + 1));
  const passes: [boolean, number][] = [];
  for (let sh = 0; sh < Math.min(bits, 32); sh += 11) passes.push([false, sh]);
  for (let sh = 0; sh < bits - 32; sh += 11) passes.push([true, sh]);
  for (const [high, sh] of passes) {
    const src = high ? hi : lo;
    count.fill(0);
    for (let r = 0; r < m; r++) count[(src[r] >>> sh) & 2047]++;
    if (count[(src[0] >>> sh) & 2047] === m) continue; // one digit value: already in order
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let r = 0; r < m; r++) {
      const t = count[(src[r] >>> sh) & 2047]++;
      lo2[t] = lo[r];
      hi2[t] = hi[r];
      val2[t] = val[r];
    }
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
    [val, val2] = [val2, val];
  }
  for (let r = 0; r < m; r++) keys[r] = hi[r] * 2 ** 32 + lo[r];
  if (val !== values) values.set(val);
}

/** Merges sorted runs, summing equal keys (pairwise, so each level is a linear pass). */
export function mergeRuns(runs: Run[]): Run {
  let level = runs.filter((r) => r.keys.length > 0);
  if (level.length === 0) return { keys: new Float64Array(0), values: new Float64Array(0) };
  while (level.length > 1) {
    const next: Run[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(mergeTwo(level[i], level[i + 1]));
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

function mergeTwo(x: Run, y: Run): Run {
  const xk = x.keys;
  const yk = y.keys;
  const xv = x.values;
  const yv = y.values;
  const keys = new Float64Array(xk.length + yk.length);
  const values = new Float64Array(xk.length + yk.length);
  let i = 0;
  let j = 0;
  let m = 0;
  while (i < xk.length && j < yk.length) {
    const a = xk[i];
    const b = yk[j];
    if (a < b) {
      keys[m] = a;
      values[m++] = xv[i++];
    } else if (b < a) {
      keys[m] = b;
      values[m++] = yv[j++];
    } else {
      keys[m] = a;
      values[m++] = xv[i++] + yv[j++];
    }
  }
  while (i < xk.length) {
    keys[m] = xk[i];
    values[m++] = xv[i++];
  }
  while (j < yk.length) {
    keys[m] = yk[j];
    values[m++] = yv[j++];
  }
  return m === keys.length ? { keys, values } : { keys: keys.slice(0, m), values: values.slice(0, m) };
}
