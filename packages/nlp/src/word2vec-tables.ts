// The tables word2vec trains with, computed from the vocabulary's counts as gensim 4 computes them
// (gensim/models/word2vec.py: prepare_vocab, make_cum_table, _build_heap/_assign_binary_codes,
// _get_next_alpha). Facts read from gensim; the code is ours.

/**
 * Frequent-word downsampling, as gensim's `prepare_vocab`: with the retained total T = Σ counts,
 * the threshold count is t = sample·T (sample < 1), ⌊sample·(3 + √5)/2⌋ (sample ≥ 1, gensim's
 * shorthand) or T (sample = 0: nothing downsampled); a word of count c is kept with probability
 * p = min(1, (√(c/t) + 1)·t/c), stored as the 32-bit integer ⌊p·(2³² − 1)⌋ (`sample_int`). A token
 * is kept when its word's integer is ≥ a uniform random 32-bit integer.
 */
export function sampleInts(counts: ArrayLike<number>, sample: number): Uint32Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const threshold = sample === 0 ? total : sample < 1 ? sample * total : Math.floor((sample * (3 + Math.sqrt(5))) / 2);
  const out = new Uint32Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    const p = (Math.sqrt(c / threshold) + 1) * (threshold / c);
    out[i] = p < 1 ? Math.floor(p * (2 ** 32 - 1)) : 2 ** 32 - 1;
  }
  return out;
}

/** gensim's cumulative table: cum[i] = round(Σ_{j ≤ i} c_j^e / Σ_j c_j^e · (2³¹ − 1)). */
export function cumTable(counts: ArrayLike<number>, exponent: number): Uint32Array {
  const domain = 2 ** 31 - 1;
  let z = 0;
  for (let i = 0; i < counts.length; i++) z += counts[i] ** exponent;
  const cum = new Uint32Array(counts.length);
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    acc += counts[i] ** exponent;
    cum[i] = roundHalfEven((acc / z) * domain);
  }
  return cum;
}

/** Python's round(): halves to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** bisect_left: the first index i with a[i] ≥ x (a.length when none). */
export function bisectLeft(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * A guide table over the cumulative table: for a uniform 32-bit integer u, the negative drawn is
 * bisect_left(cum, ⌊u·cum[V−1]/2³²⌋) — gensim's draw, its value r uniform in [0, cum[V−1]) — found
 * by starting at guide[u >>> shift] (the answer for the bucket's smallest u) and stepping forward
 * while cum[i] < r: the same word as the bisection, in O(1) expected steps instead of log₂ V.
 */
export interface NegativeTable {
  cum: Uint32Array;
  guide: Int32Array;
  shift: number;
  /** cum[V−1] / 2³²: u·scale is r. */
  scale: number;
}

export function negativeTable(counts: ArrayLike<number>, exponent: number): NegativeTable {
  const cum = cumTable(counts, exponent);
  const bits = Math.min(22, Math.max(4, Math.ceil(Math.log2(Math.max(2, counts.length))) + 2));
  const shift = 32 - bits;
  const scale = cum[cum.length - 1] / 2 ** 32;
  const guide = new Int32Array(1 << bits);
  for (let b = 0; b < guide.length; b++) guide[b] = bisectLeft(cum, Math.floor(b * 2 ** shift * scale));
  return { cum, guide, shift, scale };
}

/** The word a uniform 32-bit integer draws from a {@link NegativeTable} (the kernel inlines this). */
export function drawNegative(t: NegativeTable, u: number): number {
  const r = Math.floor(u * t.scale);
  let i = t.guide[u >>> t.shift];
  while (t.cum[i] < r) i++;
  return i;
}

/**
 * The Huffman tree of hierarchical softmax, flattened: word w's path from the root is
 * codes/points[starts[w] … starts[w+1]); points are inner-node rows 0 … V−2 (the root is V−2),
 * codes 0 for a left and 1 for a right turn.
 */
export interface HuffmanCodes {
  codes: Uint8Array;
  points: Int32Array;
  starts: Int32Array;
}

interface HeapItem {
  count: number;
  index: number;
  left?: HeapItem;
  right?: HeapItem;
}

/**
 * gensim's tree: Python's heapq (heapify, then V − 1 times pop two and push their merge as node
 * V + i), items compared by count only — so ties fall where heapq's sift order puts them, which
 * this reproduces step for step.
 */
export function huffmanCodes(counts: ArrayLike<number>): HuffmanCodes {
  const V = counts.length;
  const heap: HeapItem[] = Array.from({ length: V }, (_, i) => ({ count: counts[i], index: i }));
  for (let i = (V >> 1) - 1; i >= 0; i--) siftUp(heap, i);
  for (let i = 0; i < V - 1; i++) {
    const a = heapPop(heap);
    const b = heapPop(heap);
    heap.push({ count: a.count + b.count, index: i + V, left: a, right: b });
    siftDown(heap, 0, heap.length - 1);
  }
  const paths: { codes: number[]; points: number[] }[] = new Array(V);
  const stack: [HeapItem, number[], number[]][] = V > 0 ? [[heap[0], [], []]] : [];
  while (stack.length > 0) {
    const [node, codes, points] = stack.pop() as [HeapItem, number[], number[]];
    if (node.index < V) paths[node.index] = { codes, points };
    else {
      const p = [...points, node.index - V];
      stack.push([node.left as HeapItem, [...codes, 0], p]);
      stack.push([node.right as HeapItem, [...codes, 1], p]);
    }
  }
  const starts = new Int32Array(V + 1);
  for (let w = 0; w < V; w++) starts[w + 1] = starts[w] + paths[w].codes.length;
  const codes = new Uint8Array(starts[V]);
  const points = new Int32Array(starts[V]);
  for (let w = 0; w < V; w++) {
    codes.set(paths[w].codes, starts[w]);
    points.set(paths[w].points, starts[w]);
  }
  return { codes, points, starts };
}

// Python's heapq internals (_siftdown, _siftup, heappop), comparing with `<` on counts only.
function siftDown(heap: HeapItem[], start: number, pos: number): void {
  const item = heap[pos];
  while (pos > start) {
    const parent = (pos - 1) >> 1;
    if (item.count < heap[parent].count) {
      heap[pos] = heap[parent];
      pos = parent;
    } else break;
  }
  heap[pos] = item;
}

function siftUp(heap: HeapItem[], pos: number): void {
  const end = heap.length;
  const start = pos;
  const item = heap[pos];
  let child = 2 * pos + 1;
  while (child < end) {
    const right = child + 1;
    if (right < end && !(heap[child].count < heap[right].count)) child = right;
    heap[pos] = heap[child];
    pos = child;
    child = 2 * pos + 1;
  }
  heap[pos] = item;
  siftDown(heap, start, pos);
}

function heapPop(heap: HeapItem[]): HeapItem {
  const last = heap.pop() as HeapItem;
  if (heap.length === 0) return last;
  const top = heap[0];
  heap[0] = last;
  siftUp(heap, 0);
  return top;
}

/**
 * The learning rate of a job, as gensim's `_get_next_alpha` with the constructor's examples-based
 * progress: alpha − (alpha − minAlpha)·(epoch + docsBefore/totalDocs)/epochs, at least minAlpha
 * (`epoch` 0-based; docsBefore = documents in the epoch's earlier jobs).
 */
export function jobAlpha(alpha: number, minAlpha: number, epochs: number, epoch: number, docsBefore: number, totalDocs: number): number {
  const progress = (epoch + docsBefore / totalDocs) / epochs;
  return Math.max(minAlpha, alpha - (alpha - minAlpha) * progress);
}

/** gensim's sigmoid table: σ at 1000 points across [−6, 6), read at ⌊(x + 6)·1000/12⌋ for |x| < 6. */
export const MAX_EXP = 6;
export const EXP_TABLE_SIZE = 1000;
export function sigmoidTable(): Float64Array {
  const t = new Float64Array(EXP_TABLE_SIZE);
  for (let i = 0; i < EXP_TABLE_SIZE; i++) {
    const e = Math.fround(Math.exp(((i / EXP_TABLE_SIZE) * 2 - 1) * MAX_EXP));
    t[i] = Math.fround(e / (e + 1));
  }
  return t;
}
