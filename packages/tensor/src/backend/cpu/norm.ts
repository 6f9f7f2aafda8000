import type { NormParams, Storage, View } from '../backend';
import type { TypedArray } from '../../dtype';
import { numel } from '../../shape';
import { dataOf } from './storage';
import { forEachLine, forEachPosition } from './strided';
import { simdNormalize, simdNormalizeBackward } from './wasm/simd-norm-driver';

/** An operand of the row walk: its data, and its strides split into the row dims and the col dims. */
interface Operand {
  data: TypedArray;
  rowStrides: number[];
  colStrides: number[];
  offset: number;
}

function operand(v: View, rowDims: number): Operand {
  return { data: dataOf(v), rowStrides: v.strides.slice(0, rowDims), colStrides: v.strides.slice(rowDims), offset: v.offset };
}

/** Walks one row's cols as lines: `visit(positions, n, steps)` as in {@link forEachLine}. */
type RowLines = (visit: (pos: number[], n: number, steps: number[]) => void) => void;

/** Call `body(row, lines)` for every row of the [...rows, ...cols] operands, `row` counting from 0. */
function forEachRow(ops: Operand[], shape: readonly number[], rowDims: number, body: (row: number, lines: RowLines) => void): void {
  const colShape = shape.slice(rowDims);
  const colStrides = ops.map((o) => o.colStrides);
  let row = 0;
  forEachPosition(
    shape.slice(0, rowDims),
    ops.map((o) => o.rowStrides),
    ops.map((o) => o.offset),
    (starts) => {
      const fixed = starts.slice();
      body(row++, (visit) => forEachLine(colShape, colStrides, fixed, visit));
    },
  );
}

/** Gather one row of `x` (operand 0 of the walk) into `buf` (float64), in col order. */
function gatherRow(x: TypedArray, lines: RowLines, buf: Float64Array): void {
  let k = 0;
  lines(([xi], n, [xs]) => {
    for (let i = 0; i < n; i++) buf[k++] = x[xi + i * xs];
  });
}

/** See {@link Backend.normalize}: two passes over each row in float64 (mean, then Σ(x − μ)²). */
export function normalize(x: View, weight: View | null, bias: View | null, out: View, mean: Storage, variance: Storage, p: NormParams): void {
  if (simdNormalize(x, weight, bias, out, mean, variance, p)) return;
  const k = numel(x.shape.slice(p.rowDims));
  const md = dataOf(mean);
  const vd = dataOf(variance);
  const od = dataOf(out);
  const wd = weight ? dataOf(weight) : null;
  const bd = bias ? dataOf(bias) : null;
  const xd = dataOf(x);
  // operands: x, out, then weight and bias when present (indices 2 and 2 or 3)
  const ops = [x, out, weight, bias].filter((v): v is View => v !== null).map((v) => operand(v, p.rowDims));
  const wi = 2;
  const bi = weight ? 3 : 2;
  const buf = new Float64Array(k);
  forEachRow(ops, x.shape, p.rowDims, (row, lines) => {
    gatherRow(xd, lines, buf);
    let s = 0;
    for (let i = 0; i < k; i++) s += buf[i];
    const mu = s / k;
    let q = 0;
    for (let i = 0; i < k; i++) {
      const d = buf[i] - mu;
      q += d * d;
    }
    const v = q / k;
    md[row] = mu;
    vd[row] = v;
    const r = 1 / Math.sqrt(v + p.eps);
    let j = 0;
    lines((pos, n, steps) => {
      const [o, os] = [pos[1], steps[1]];
      for (let i = 0; i < n; i++) od[o + i * os] = (buf[j + i] - mu) * r;
      if (wd) for (let i = 0, w = pos[wi], ws = steps[wi]; i < n; i++) od[o + i * os] *= wd[w + i * ws];
      if (bd) for (let i = 0, b = pos[bi], bs = steps[bi]; i < n; i++) od[o + i * os] += bd[b + i * bs];
      j += n;
    });
  });
}

/** See {@link Backend.normalizeBackward}: per row, Σg and Σg·x̂ in float64 (and gy·x̂ when asked), then gx. */
export function normalizeBackward(x: View, weight: View | null, gy: View, mean: View, variance: View, gx: View, gyXhat: View | null, p: NormParams): void {
  if (simdNormalizeBackward(x, weight, gy, mean, variance, gx, gyXhat, p)) return;
  const k = numel(x.shape.slice(p.rowDims));
  const md = dataOf(mean);
  const vd = dataOf(variance);
  const gd = dataOf(gy);
  const od = dataOf(gx);
  const wd = weight ? dataOf(weight) : null;
  const hd = gyXhat ? dataOf(gyXhat) : null;
  // operands: x, gy, gx, weight?, gyXhat?
  const hi = weight ? 4 : 3;
  const xd = dataOf(x);
  const ops = [x, gy, gx, weight, gyXhat].filter((v): v is View => v !== null).map((v) => operand(v, p.rowDims));
  const xh = new Float64Array(k);
  const g = new Float64Array(k);
  forEachRow(ops, x.shape, p.rowDims, (row, lines) => {
    const mu = md[mean.offset + row];
    const r = 1 / Math.sqrt(vd[variance.offset + row] + p.eps);
    let j = 0;
    let sg = 0;
    let sgx = 0;
    lines((pos, n, steps) => {
      for (let i = 0; i < n; i++, j++) {
        xh[j] = (xd[pos[0] + i * steps[0]] - mu) * r;
        const gyv = gd[pos[1] + i * steps[1]];
        if (hd) hd[pos[hi] + i * steps[hi]] = gyv * xh[j];
        g[j] = gyv * (wd ? wd[pos[3] + i * steps[3]] : 1);
        sg += g[j];
        sgx += g[j] * xh[j];
      }
    });
    const mg = sg / k;
    const mgx = sgx / k;
    j = 0;
    lines((pos, n, steps) => {
      for (let i = 0; i < n; i++, j++) od[pos[2] + i * steps[2]] = r * (g[j] - mg - xh[j] * mgx);
    });
  });
}
