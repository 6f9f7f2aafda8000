import type { View } from '../../backend';
import { collapseDims, contiguousStrides, type Shape } from '../../../shape';
import type { ParamWriter } from './params';

/**
 * Strided indexing in generated kernels: a flat, row-major output index → each operand's element
 * offset `offset + Σ idx_d·stride_d`. Shapes, strides and offsets travel in the params array
 * (`p`), so one pipeline serves every shape of a given rank; only the rank is baked into code.
 *
 * Params layout from word `base`: `shape[rank]` (u32), then per operand `offset` (u32) and
 * `strides[rank]` (i32 bit patterns; broadcast dims have stride 0).
 */

/** Largest rank the generated indexing handles (after collapsing dims). */
export const MAX_STRIDED_RANK = 8;

/** An operand's placement: strides and offset in elements of its storage. */
export interface StridedOperand {
  readonly strides: readonly number[];
  readonly offset: number;
}

export { collapseDims };

/**
 * Collapse `shape` over `operands` and append the layout above to `p`. Returns the collapsed
 * rank, which the kernel's code (and cache key) must use; a kernel that would rather share one
 * pipeline across low ranks passes `minRank`, and the layout gets leading size-1 dims up to it.
 * Throws for a rank above 8 after collapse.
 */
export function writeStrided(p: ParamWriter, shape: Shape, operands: readonly StridedOperand[], minRank = 0): number {
  const c = collapseDims(
    shape,
    operands.map((o) => o.strides),
  );
  while (c.shape.length < minRank) {
    c.shape.unshift(1);
    for (const s of c.strides) s.unshift(0);
  }
  const rank = c.shape.length;
  if (rank > MAX_STRIDED_RANK) {
    throw new Error(`webgpu: strided indexing supports rank ≤ ${MAX_STRIDED_RANK} after collapsing dims, got ${rank}`);
  }
  p.u32s(c.shape);
  operands.forEach((o, k) => {
    p.u32(o.offset).i32s(c.strides[k]);
  });
  return rank;
}

/** Number of params words `writeStrided` appends for `rank` and `operands` operands. */
export function stridedWords(rank: number, operands: number): number {
  return rank + operands * (rank + 1);
}

/**
 * WGSL function `fn <name>(flat: u32, k: u32) -> u32`: element offset of operand `k` for the
 * flat output index `flat`, reading the layout written by `writeStrided` at word `base`.
 * Needs `p: array<u32>` declared in the kernel.
 */
export function stridedIndexWgsl(rank: number, base: number, name = 'stridedOffset'): string {
  const lines = [`fn ${name}(flat: u32, k: u32) -> u32 {`, `  let o = ${base + rank}u + k * ${rank + 1}u;`, '  var off = bitcast<i32>(p[o]);'];
  if (rank > 0) lines.push('  var rem = flat;');
  for (let d = rank - 1; d >= 0; d--) {
    const idx = d === 0 ? 'rem' : `rem % p[${base + d}u]`;
    lines.push(`  off += i32(${idx}) * bitcast<i32>(p[o + ${d + 1}u]);`);
    if (d > 0) lines.push(`  rem = rem / p[${base + d}u];`);
  }
  lines.push('  return u32(off);', '}');
  return lines.join('\n');
}

/** Geometry of a row-wise kernel (softmax, scans, sorts) along one dim; see {@link rowLayout}. */
export interface RowLayout {
  /** Elements per row (x's size along `dim`; 1 for a 0-d x). */
  readonly n: number;
  /** Number of rows. */
  readonly rows: number;
  /** Element step along a row in x and in the contiguous output (0 for a 0-d x). */
  readonly xStep: number;
  readonly outStep: number;
  /** Appends the strided layout of the row starts (x's other dims; operands x, then the output) to `p`; returns its rank. */
  write(p: ParamWriter): number;
}

/** The rows of view `x` along `dim`, for a kernel writing a contiguous output of x's shape and `size` elements. */
export function rowLayout(x: View, dim: number, size: number): RowLayout {
  const rank = x.shape.length;
  const n = rank === 0 ? 1 : x.shape[dim];
  const os = contiguousStrides(x.shape);
  const others = x.shape.map((_, i) => i).filter((i) => i !== dim);
  return {
    n,
    rows: size / n,
    xStep: rank === 0 ? 0 : x.strides[dim],
    outStep: rank === 0 ? 0 : os[dim],
    write: (p) =>
      writeStrided(
        p,
        others.map((i) => x.shape[i]),
        [
          { strides: others.map((i) => x.strides[i]), offset: x.offset },
          { strides: others.map((i) => os[i]), offset: 0 },
        ],
      ),
  };
}
