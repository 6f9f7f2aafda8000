/**
 * JS side of the SIMD reductions (rows_* and cols_* in ./simd-kernels.ts): sum / max / min over
 * trailing dims (rows, batched), leading dims (columns accumulated across rows) or any dims with
 * a unit-stride inner one (lines gathered per output). Sums are taken in float64, as the JS loop
 * in ../reduce.ts does; max/min let NaN win, as it does.
 */
import type { ReduceOp, Storage, View } from '../../backend';
import { collapseDims, numel } from '../../../shape';
import { dataOf, outData } from '../storage';
import { forEachLine, forEachPosition } from '../strided';
import { chunkCount, heapFn, heapPool, MIN_PIECE, runCalls } from './heap-pool';
import { addresses, BATCH, batchedRows, denseRows, ensure, isFloat, MIN_ROW, put, type Simd, simd, tooSmall, up4 } from './simd-driver';

/**
 * Zero copy: sums over reduced dims that collapse to rows of a multiple of 4 contiguous floats,
 * equally spaced (a conv bias's gradient: [N, C, H, W] over 0, 2, 3), read where they lie in the
 * heap, one `strided_sum` per output, the outputs split across the worker threads when large;
 * false when the layout does not allow it.
 */
function stridedSums(s: Simd, x: View, kept: number[], redShape: number[], redStrides: number[], out: Storage): boolean {
  const c = collapseDims(redShape, [redStrides]);
  const rank = c.shape.length;
  const n = c.shape[rank - 1];
  const [rows, stride] = rank === 1 ? [1, 0] : rank === 2 ? [c.shape[0], c.strides[0][0]] : [0, 0];
  if (rows === 0 || c.strides[0][rank - 1] !== 1 || n % 4 !== 0) return false;
  const at = addresses(s, [x], out);
  if (!at) return false;
  const outs = numel(kept.map((i) => x.shape[i]));
  if (rank === 2 && gridSums(s, x, kept, rows, n, stride, outs, at[0], out)) return true;
  ensure(s, 2 * outs);
  const res = s.a;
  const calls: number[][] = [];
  forEachPosition(
    kept.map((i) => x.shape[i]),
    [kept.map((i) => x.strides[i])],
    [x.offset],
    ([base]) => {
      calls.push([at[0] + (base - x.offset) * 4, rows, n, stride * 4, res + 8 * calls.length]);
    },
  );
  const pool = rows * n * outs >= 2 * MIN_PIECE ? heapPool() : null;
  if (pool) {
    const id = heapFn(0, 'strided_sum');
    runCalls(
      pool,
      calls.map((a) => [id, ...a]),
      Math.ceil(outs / chunkCount(rows * n * outs, pool.size)),
    );
  } else for (const a of calls) s.fns.strided_sum(a[0], a[1], a[2], a[3], a[4]);
  (outData(out) as Float32Array).set(new Float64Array(s.mem.buffer, res, outs));
  return true;
}

/** Row sums taken per pass of gridSums (its f64 scratch: 64 KB at most, unless one image has more channels). */
const GRID_ROWS = 8192;
/** gridSums' per-output f64 totals, kept between calls. */
let acc64 = new Float64Array(0);

/**
 * The rows of a stridedSums case lying back to back in the heap ([N, C, H, W] over 0, 2, 3: N·C
 * rows of H·W floats from `xa`): one f64 sum per row (`rows_sum`, the rows split across the worker
 * threads in ranges, so each reads a block of images), then each output's row sums added here in
 * row order. A row's sum does not depend on the split, so the bits are the same on any number of
 * threads. False when the rows are not back to back.
 */
function gridSums(s: Simd, x: View, kept: number[], rows: number, n: number, stride: number, outs: number, xa: number, out: Storage): boolean {
  const k = collapseDims(
    kept.map((i) => x.shape[i]),
    [kept.map((i) => x.strides[i])],
  );
  if (k.shape.length !== 1 || k.strides[0][0] !== n || stride !== outs * n) return false;
  const total = rows * outs;
  const block = Math.max(1, Math.floor(GRID_ROWS / outs)) * outs; // whole images, so each channel's row sums come in row order
  ensure(s, 2 * Math.min(block, total));
  const res = s.a;
  if (acc64.length < outs) acc64 = new Float64Array(outs);
  acc64.fill(0, 0, outs);
  for (let b0 = 0; b0 < total; b0 += block) {
    const m = Math.min(block, total - b0);
    const at = xa + b0 * n * 4;
    const pool = m * n >= 2 * MIN_PIECE ? heapPool() : null;
    if (pool) {
      const id = heapFn(0, 'rows_sum');
      const per = Math.ceil(m / chunkCount(m * n, pool.size));
      const calls: number[][] = [];
      for (let r0 = 0; r0 < m; r0 += per) calls.push([id, at + r0 * n * 4, Math.min(per, m - r0), n, res + 8 * r0]);
      runCalls(pool, calls, 1);
    } else s.fns.rows_sum(at, m, n, res);
    const sums = new Float64Array(s.mem.buffer, res, m);
    for (let c = 0; c < outs; c++) {
      let acc = acc64[c];
      for (let i = c; i < m; i += outs) acc += sums[i];
      acc64[c] = acc;
    }
  }
  outData(out).set(acc64.subarray(0, outs));
  return true;
}

/** The padding that leaves each reduction unchanged. */
const IDENTITY = { sum: 0, max: Number.NEGATIVE_INFINITY, min: Number.POSITIVE_INFINITY } as const;

/**
 * sum / max / min over trailing dims that form one contiguous block (the last dim with unit
 * stride, or all dims of a contiguous tensor); false when it does not apply. Sums are taken in
 * float64, as the JS loop does.
 */
export function simdReduce(op: ReduceOp, x: View, dims: readonly number[], out: Storage): boolean {
  if (op === 'prod' || !isFloat(x) || !isFloat(out)) return false;
  const rank = x.shape.length;
  const r = dims.length;
  const sorted = [...dims].sort((p, q) => p - q);
  if (r > 0 && r < rank && sorted.every((d, i) => d === i)) return simdReduceLeading(op, x, r, out);
  if (r === 0) return false;
  if (sorted.some((d, i) => d !== rank - r + i)) return simdReduceGathered(op, x, sorted, out);
  const red = x.shape.slice(rank - r);
  const k = numel(red);
  if (tooSmall(k, MIN_ROW)) return false;
  for (let i = red.length - 1, step = 1; i >= 0; step *= red[i], i--) if (red[i] !== 1 && x.strides[rank - r + i] !== step) return false;
  const s = simd();
  if (!s) return false;
  if (denseRows(x, rank - r, k) && reduceRowsDirect(s, op, x, rank - r, k, out)) return true;
  const kernel = s.fns[`rows_${op}`];
  const od = outData(out);
  const pad = IDENTITY[op];
  let o = 0;
  if (k <= BATCH) {
    batchedRows(
      s,
      x,
      rank - r,
      k,
      pad,
      (rows, n4) => kernel(s.a, rows, n4, s.a + BATCH * 4),
      (rows) => {
        const res = op === 'sum' ? new Float64Array(s.mem.buffer, s.a + BATCH * 4, rows) : new Float32Array(s.mem.buffer, s.a + BATCH * 4, rows);
        od.set(res, o);
        o += rows;
      },
    );
    return true;
  }
  // long rows: pieces of BATCH floats, combined here
  ensure(s, BATCH + 2);
  const A = s.a;
  const xd = dataOf(x) as Float32Array;
  forEachPosition(x.shape.slice(0, rank - r), [x.strides.slice(0, rank - r)], [x.offset], ([start]) => {
    let acc: number = pad;
    for (let done = 0; done < k; done += BATCH) {
      const len = Math.min(BATCH, k - done);
      const n4 = up4(len);
      s.w.set(xd.subarray(start + done, start + done + len), A >> 2);
      if (n4 > len) s.w.fill(pad, (A >> 2) + len, (A >> 2) + n4);
      kernel(A, 1, n4, A + BATCH * 4);
      const v = op === 'sum' ? new Float64Array(s.mem.buffer, A + BATCH * 4, 1)[0] : s.w[(A >> 2) + BATCH];
      if (op === 'sum') acc += v;
      else acc = fold(op, acc, v);
    }
    od[o++] = acc;
  });
  return true;
}

/**
 * Zero copy: rows of `k` floats back to back in the heap, reduced where they lie — all rows in
 * one call when k is a multiple of 4 (max/min straight into out, sums through float64 results in
 * the scratch block), else a call per row over its first k − k mod 4 floats and the rest added
 * here (rows of at least 64). False when x or out is not in the heap.
 */
function reduceRowsDirect(s: Simd, op: 'sum' | 'max' | 'min', x: View, outerDims: number, k: number, out: Storage): boolean {
  const at = k % 4 === 0 || k >= 64 ? addresses(s, [x], out) : null;
  if (!at) return false;
  const [xa, oa] = at;
  const rows = numel(x.shape.slice(0, outerDims));
  const kernel = s.fns[`rows_${op}`];
  const od = outData(out);
  if (k % 4 === 0) {
    if (op !== 'sum') {
      if (rows) kernel(xa, rows, k, oa);
      return true;
    }
    ensure(s, BATCH);
    const per = BATCH / 2; // float64 results per call
    for (let r0 = 0; r0 < rows; r0 += per) {
      const rb = Math.min(per, rows - r0);
      kernel(xa + r0 * k * 4, rb, k, s.a);
      od.set(new Float64Array(s.mem.buffer, s.a, rb), r0);
    }
    return true;
  }
  ensure(s, 2);
  const xd = dataOf(x);
  const k4 = k & ~3;
  for (let r = 0; r < rows; r++) {
    kernel(xa + r * k * 4, 1, k4, s.a);
    const start = x.offset + r * k;
    if (op === 'sum') {
      let acc = new Float64Array(s.mem.buffer, s.a, 1)[0];
      for (let i = k4; i < k; i++) acc += xd[start + i];
      od[r] = acc;
    } else {
      let acc = s.w[s.a >> 2];
      for (let i = k4; i < k; i++) acc = fold(op, acc, xd[start + i]);
      od[r] = acc;
    }
  }
  return true;
}

/** Floats of the kept block accumulated per pass over the rows (the f64 sums: 16 KB). */
const COLS = 2048;

/**
 * sum / max / min over the leading `r` dims (a bias gradient: [batch, C] → [C]) when the kept
 * dims are one contiguous block: rows are added into an accumulator lane by lane, a column piece
 * at a time; false when it does not apply.
 */
function simdReduceLeading(op: 'sum' | 'max' | 'min', x: View, r: number, out: Storage): boolean {
  const kept = x.shape.slice(r);
  const n = numel(kept);
  const rows = numel(x.shape.slice(0, r));
  for (let i = kept.length - 1, step = 1; i >= 0; step *= kept[i], i--) if (kept[i] !== 1 && x.strides[r + i] !== step) return false;
  if (rows === 0 || tooSmall(n, MIN_ROW) || tooSmall(rows, 2)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns[`cols_${op}`];
  ensure(s, BATCH + 2 * COLS);
  const A = s.a;
  const ACC = A + BATCH * 4;
  const od = outData(out);
  // zero copy: rows of a multiple of 4 floats, back to back in the heap, accumulated where they lie
  const at = n % 4 === 0 && n <= COLS && denseRows(x, r, n) ? addresses(s, [x], out) : null;
  if (at) {
    const acc = op === 'sum' ? new Float64Array(s.mem.buffer, ACC, n) : s.w.subarray(ACC >> 2, (ACC >> 2) + n);
    acc.fill(IDENTITY[op]);
    kernel(at[0], rows, n, ACC);
    od.set(acc);
    return true;
  }
  const xd = dataOf(x);
  const starts: number[] = [];
  forEachPosition(x.shape.slice(0, r), [x.strides.slice(0, r)], [x.offset], ([start]) => {
    starts.push(start);
  });
  for (let c0 = 0; c0 < n; c0 += COLS) {
    const len = Math.min(COLS, n - c0);
    const len4 = up4(len);
    const batch = Math.floor(BATCH / len4);
    const acc = op === 'sum' ? new Float64Array(s.mem.buffer, ACC, len4) : s.w.subarray(ACC >> 2, (ACC >> 2) + len4);
    acc.fill(IDENTITY[op]);
    for (let r0 = 0; r0 < rows; r0 += batch) {
      const k = Math.min(batch, rows - r0);
      for (let i = 0; i < k; i++) put(s.w, (A >> 2) + i * len4, xd, starts[r0 + i] + c0, 1, len);
      kernel(A, k, len4, ACC);
    }
    od.set(acc.subarray(0, len), c0);
  }
  return true;
}

/** Combines a partial max/min into `acc` as the JS loop does (NaN wins). */
const fold = (op: 'max' | 'min', acc: number, v: number) => (acc === acc && (v !== v || (op === 'max' ? v > acc : v < acc)) ? v : acc);

/**
 * sum / max / min over any dims whose innermost one has unit stride (a conv bias gradient: [N, C,
 * H, W] over (0, 2, 3)): for each kept position the reduced lines are gathered into the row
 * buffer, BATCH floats per kernel call; false when it does not apply.
 */
function simdReduceGathered(op: 'sum' | 'max' | 'min', x: View, dims: readonly number[], out: Storage): boolean {
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const [redShape, redStrides] = [dims.map((i) => x.shape[i]), dims.map((i) => x.strides[i])];
  const k = numel(redShape);
  let inner = redShape.length - 1;
  while (inner >= 0 && redShape[inner] === 1) inner--;
  if (inner < 0 || redStrides[inner] !== 1 || tooSmall(k, MIN_ROW) || tooSmall(redShape[inner], MIN_ROW)) return false;
  const s = simd();
  if (!s) return false;
  if (op === 'sum' && stridedSums(s, x, kept, redShape, redStrides, out)) return true;
  ensure(s, BATCH + 2);
  const A = s.a;
  const kernel = s.fns[`rows_${op}`];
  const RES = A + BATCH * 4;
  const pad = IDENTITY[op];
  const [xd, od] = [dataOf(x), outData(out)];
  const w = s.w;
  let o = 0;
  forEachPosition(
    kept.map((i) => x.shape[i]),
    [kept.map((i) => x.strides[i])],
    [x.offset],
    ([base]) => {
      let acc: number = pad;
      let fill = 0;
      const flush = () => {
        const n4 = up4(fill);
        w.fill(pad, (A >> 2) + fill, (A >> 2) + n4);
        kernel(A, 1, n4, RES);
        acc = op === 'sum' ? acc + new Float64Array(s.mem.buffer, RES, 1)[0] : fold(op, acc, w[RES >> 2]);
        fill = 0;
      };
      forEachLine(redShape, [redStrides], [base], ([p], n, [st]) => {
        for (let done = 0; done < n; ) {
          const len = Math.min(n - done, BATCH - fill);
          put(w, (A >> 2) + fill, xd, p + done * st, st, len);
          fill += len;
          done += len;
          if (fill === BATCH) flush();
        }
      });
      if (fill) flush();
      od[o++] = acc;
    },
  );
  return true;
}
