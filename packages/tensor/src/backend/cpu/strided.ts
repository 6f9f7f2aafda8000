import { collapseDims as collapse, type Shape } from '../../shape';

/**
 * Visit every position of `shape` (row-major), calling `body(pos)` where `pos[j]` is operand j's
 * offset: `offsets[j] + Σ index·strides[j]`. `pos` is reused between calls.
 */
export function forEachPosition(shape: Shape, strides: readonly (readonly number[])[], offsets: readonly number[], body: (pos: number[]) => void): void {
  const rank = shape.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  const pos = offsets.slice();
  const idx = new Array<number>(rank).fill(0);
  const k = strides.length;
  for (let t = 0; t < total; t++) {
    body(pos);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < k; j++) pos[j] += strides[j][d];
      if (idx[d] < shape[d]) break;
      for (let j = 0; j < k; j++) pos[j] -= strides[j][d] * shape[d];
      idx[d] = 0;
    }
  }
}

/**
 * Visit `shape` as a set of lines along its (collapsed) innermost dim: `body(pos, n, inner)` gets
 * the operands' start offsets, the line length and each operand's inner stride.
 */
export function forEachLine(
  shape: Shape,
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  body: (pos: number[], n: number, inner: number[]) => void,
): void {
  const c = collapse(shape, strides);
  const rank = c.shape.length;
  if (shape.some((d) => d === 0)) return;
  if (rank === 0) {
    body(
      offsets.slice(),
      1,
      strides.map(() => 0),
    );
    return;
  }
  const n = c.shape[rank - 1];
  const inner = c.strides.map((s) => s[rank - 1]);
  forEachPosition(
    c.shape.slice(0, -1),
    c.strides.map((s) => s.slice(0, -1)),
    offsets,
    (pos) => body(pos, n, inner),
  );
}
