/**
 * JS side of the SIMD layer / batch normalization rows (./simd-norm.ts). Rows whose cols are one
 * contiguous block (layerNorm on a contiguous tensor) stream through in batches, one copy each way;
 * other layouts (batchNorm's channel rows of N·H·W, permuted views) are gathered and scattered
 * a row at a time by lines. Weight and bias are either one block shared by all rows (layerNorm:
 * copied into the module once) or one scalar per row (batchNorm: applied to the row in wasm).
 */
import type { NormParams, PrimitiveArgs, Storage, View } from '../../backend';
import { numel } from '../../../shape';
import { dataOf, outData } from '../storage';
import { forEachLine, forEachPosition } from '../strided';
import { addresses, BATCH, batchedRows, ensure, isFloat, MIN_ROW, put, type Simd, simd, tooSmall, up4 } from './simd-driver';

/** True when the dims of v from `from` on are one row-major block with unit inner stride. */
function denseFrom(v: View, from: number): boolean {
  for (let i = v.shape.length - 1, step = 1; i >= from; step *= v.shape[i], i--) if (v.shape[i] !== 1 && v.strides[i] !== step) return false;
  return true;
}

const zeroOver = (v: View, from: number, to: number) => v.strides.slice(from, to).every((st, i) => st === 0 || v.shape[from + i] === 1);

/** How an affine operand varies: one contiguous block shared by all rows, one scalar per row, or neither. */
function affineKind(v: View | null, rowDims: number): 'none' | 'shared' | 'perRow' | null {
  if (!v) return 'none';
  if (zeroOver(v, 0, rowDims) && denseFrom(v, rowDims)) return 'shared';
  if (zeroOver(v, rowDims, v.shape.length)) return 'perRow';
  return null;
}

/**
 * See {@link Backend.normalize}; false when it does not apply (dtypes, a row under 8 values on
 * 'auto', a weight that varies along both rows and cols, or WebAssembly SIMD missing).
 */
export function simdNormalize(x: View, weight: View | null, bias: View | null, out: View, mean: Storage, variance: Storage, p: NormParams): boolean {
  const { rowDims, eps } = p;
  if (![x, out, ...[weight, bias].filter((v): v is View => v !== null)].every(isFloat) || !isFloat(mean) || !isFloat(variance)) return false;
  const k = numel(x.shape.slice(rowDims));
  const [wk, bk] = [affineKind(weight, rowDims), affineKind(bias, rowDims)];
  // the kernel applies a shared bias before any per-row weight could: that order is not ours
  if (tooSmall(k, MIN_ROW) || wk === null || bk === null || (wk === 'perRow' && bk === 'shared')) return false;
  const s = simd();
  if (!s) return false;
  const n4 = up4(k);
  const batch = Math.max(1, Math.floor(BATCH / n4));
  const cap = Math.max(BATCH, n4);
  ensure(s, cap + 2 * n4 + 2 * batch);
  const A = s.a;
  const [W, B, S] = [A + cap * 4, A + (cap + n4) * 4, A + (cap + 2 * n4) * 4];
  if (weight && wk === 'shared') put(s.w, W >> 2, dataOf(weight), weight.offset, 1, k);
  if (bias && bk === 'shared') put(s.w, B >> 2, dataOf(bias), bias.offset, 1, k);
  const kernel = s.fns[`norm_rows${wk === 'shared' ? '_w' : ''}${bk === 'shared' ? '_b' : ''}`];
  const run = (rows: number) => kernel(A, rows, n4, k, n4 - k, eps, W, B, S, A);
  const [md, vd] = [outData(mean), outData(variance)];
  let row = 0;
  const stats = (rows: number) => {
    for (let r = 0; r < rows; r++, row++) {
      md[row] = s.w[(S >> 2) + 2 * r];
      vd[row] = s.w[(S >> 2) + 2 * r + 1];
    }
  };
  const dense = wk !== 'perRow' && bk !== 'perRow' && denseFrom(x, rowDims) && denseFrom(out, 0);
  // zero copy: rows of a multiple of 4 floats in the heap, normalized straight into out
  const at = dense && n4 === k ? addresses(s, [x], out) : null;
  if (at) {
    const rows = numel(x.shape.slice(0, rowDims));
    for (let r0 = 0; r0 < rows; r0 += batch) {
      const rb = Math.min(batch, rows - r0);
      kernel(at[0] + r0 * k * 4, rb, k, k, 0, eps, W, B, S, at[1] + r0 * k * 4);
      stats(rb);
    }
    return true;
  }
  if (dense) {
    const od = dataOf(out);
    let o = out.offset;
    batchedRows(s, x, rowDims, k, 0, run, (rows, n4) => {
      const base = A >> 2;
      if (n4 === k) od.set(s.w.subarray(base, base + rows * k), o);
      else for (let r = 0; r < rows; r++) od.set(s.w.subarray(base + r * n4, base + r * n4 + k), o + r * k);
      o += rows * k;
      stats(rows);
    });
    return true;
  }
  perRow(s, x, weight, bias, out, rowDims, k, n4, wk === 'perRow', bk === 'perRow', run, stats);
  return true;
}

/** One row at a time: gather x's row by lines, normalize, apply per-row scalars, scatter to out. */
function perRow(
  s: Simd,
  x: View,
  weight: View | null,
  bias: View | null,
  out: View,
  rowDims: number,
  k: number,
  n4: number,
  rowWeight: boolean,
  rowBias: boolean,
  run: (rows: number) => void,
  stats: (rows: number) => void,
): void {
  const { b_mul, b_add } = s.fns;
  const A = s.a;
  const [xd, od] = [dataOf(x), dataOf(out)];
  const wd = weight && dataOf(weight);
  const bd = bias && dataOf(bias);
  const cols = x.shape.slice(rowDims);
  const [xCols, oCols] = [x.strides.slice(rowDims), out.strides.slice(rowDims)];
  const views = [x, out, weight ?? x, bias ?? x];
  const base = A >> 2;
  forEachPosition(
    x.shape.slice(0, rowDims),
    views.map((v) => v.strides.slice(0, rowDims)),
    views.map((v) => v.offset),
    ([xi, oi, wi, bi]) => {
      let at = base;
      forEachLine(cols, [xCols], [xi], ([start], len, [st]) => {
        put(s.w, at, xd, start, st, len);
        at += len;
      });
      s.w.fill(0, base + k, base + n4);
      run(1);
      if (rowWeight && wd) b_mul(A, 0, n4, wd[wi], 1, A);
      if (rowBias && bd) b_add(A, 0, n4, bd[bi], 1, A);
      at = base;
      forEachLine(cols, [oCols], [oi], ([start], len, [st]) => {
        if (st === 1) od.set(s.w.subarray(at, at + len), start);
        else for (let i = 0; i < len; i++) od[start + i * st] = s.w[at + i];
        at += len;
      });
      stats(1);
    },
  );
}

/**
 * See {@link Backend.normalizeBackward}, for rows whose cols are contiguous in x and gy, ∂x and
 * gy·x̂ contiguous, and a weight shared by all rows (layerNorm); false otherwise.
 */
export function simdNormalizeBackward(...[x, weight, gy, mean, variance, gx, gyXhat, p]: PrimitiveArgs<'normalizeBackward'>): boolean {
  const { rowDims, eps } = p;
  const views = [x, gy, gx, mean, variance, ...[weight, gyXhat].filter((v): v is View => v !== null)];
  if (!views.every(isFloat)) return false;
  const k = numel(x.shape.slice(rowDims));
  const wk = affineKind(weight, rowDims);
  if (tooSmall(k, MIN_ROW) || (wk !== 'none' && wk !== 'shared') || !denseFrom(x, rowDims) || !denseFrom(gy, rowDims)) return false;
  if (!denseFrom(gx, 0) || (gyXhat && !denseFrom(gyXhat, 0))) return false;
  const s = simd();
  if (!s) return false;
  const n4 = up4(k);
  const batch = Math.max(1, Math.floor(BATCH / n4));
  const cap = Math.max(BATCH, n4);
  ensure(s, 2 * cap + n4 + 4 * batch);
  const A = s.a;
  const [X, G, W, S] = [A, A + cap * 4, A + 2 * cap * 4, A + (2 * cap + n4) * 4];
  const w = s.w;
  if (weight) {
    put(w, W >> 2, dataOf(weight), weight.offset, 1, k);
    w.fill(0, (W >> 2) + k, (W >> 2) + n4);
  }
  const kernel = s.fns[`normback_rows${weight ? '_w' : ''}${gyXhat ? '_h' : ''}`];
  const st = new Float64Array(s.mem.buffer, S, 2 * batch);
  const [xd, gd, md, vd, od] = [dataOf(x), dataOf(gy), dataOf(mean), dataOf(variance), dataOf(gx)];
  const hd = gyXhat && dataOf(gyXhat);
  const stats = (r0: number, rows: number) => {
    for (let i = 0; i < rows; i++) {
      st[2 * i] = md[mean.offset + r0 + i];
      st[2 * i + 1] = 1 / Math.sqrt(vd[variance.offset + r0 + i] + eps);
    }
  };
  // zero copy: rows of a multiple of 4 floats, back to back in the heap, straight into ∂x (and gy·x̂)
  const at = n4 === k && denseFrom(x, 0) && denseFrom(gy, 0) ? addresses(s, gyXhat ? [x, gy, gyXhat] : [x, gy], gx) : null;
  if (at) {
    const [xa, ga, ha, oa] = gyXhat ? at : [at[0], at[1], 0, at[2]];
    const total = numel(x.shape.slice(0, rowDims));
    for (let r0 = 0; r0 < total; r0 += batch) {
      const rows = Math.min(batch, total - r0);
      stats(r0, rows);
      const b = r0 * k * 4;
      kernel(xa + b, ga + b, rows, k, k, W, S, oa + b, gyXhat ? ha + b : 0);
    }
    return true;
  }
  const starts: [number, number][] = [];
  forEachPosition(x.shape.slice(0, rowDims), [x.strides.slice(0, rowDims), gy.strides.slice(0, rowDims)], [x.offset, gy.offset], ([xi, gi]) => {
    starts.push([xi, gi]);
  });
  for (let r0 = 0; r0 < starts.length; r0 += batch) {
    const rows = Math.min(batch, starts.length - r0);
    for (let i = 0; i < rows; i++) {
      const [xi, gi] = starts[r0 + i];
      for (const [at, d, start] of [
        [(X >> 2) + i * n4, xd, xi],
        [(G >> 2) + i * n4, gd, gi],
      ] as const) {
        put(w, at, d, start, 1, k);
        w.fill(0, at + k, at + n4); // gy's zero padding keeps the sums exact
      }
    }
    stats(r0, rows);
    kernel(X, G, rows, n4, k, W, S, X, G);
    for (let i = 0; i < rows; i++) {
      const row = r0 + i;
      od.set(w.subarray((X >> 2) + i * n4, (X >> 2) + i * n4 + k), gx.offset + row * k);
      if (hd && gyXhat) hd.set(w.subarray((G >> 2) + i * n4, (G >> 2) + i * n4 + k), gyXhat.offset + row * k);
    }
  }
  return true;
}
