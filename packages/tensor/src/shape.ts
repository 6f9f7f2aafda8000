import { ShapeError, ArgumentError } from './errors';

/**
 * A tensor shape: one non-negative integer per dimension.
 * @example
 * ```ts
 * const s: Shape = zeros([2, 3]).shape; // [2, 3]
 * ```
 */
export type Shape = readonly number[];

export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides for a shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Check that `shape` is a list of non-negative integers. */
export function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(op, `invalid shape ${JSON.stringify(shape)} (expected non-negative integers)`);
  }
}

/** Normalise a possibly negative dim against `rank`; throws naming the op when out of range. */
export function normDim(op: string, dim: number, rank: number): number {
  if (!Number.isInteger(dim)) throw new ArgumentError(op, `dim must be an integer, got ${String(dim)}`);
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (dim < lo || dim > hi) {
    throw new ShapeError(op, `dim ${dim} out of range for a tensor of rank ${rank} (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** Normalise a dim list (or undefined = all dims); rejects repeats. Result sorted ascending. */
export function normDims(op: string, dim: number | readonly number[] | undefined, rank: number): number[] {
  if (dim === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (typeof dim === 'number' ? [dim] : [...dim]).map((d) => normDim(op, d, rank));
  if (rank === 0) return [];
  if (new Set(list).size !== list.length) throw new ArgumentError(op, `dim ${JSON.stringify(dim)} repeats a dimension`);
  return list.sort((a, b) => a - b);
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides that read a tensor of `shape`/`strides` as if it had the (broadcast) shape `to`:
 * missing leading dims and size-1 dims get stride 0.
 */
export function broadcastStrides(shape: Shape, strides: readonly number[], to: Shape): number[] {
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 && to[off + i] !== 1 ? 0 : strides[i];
  return out;
}

/** Resolve one `-1` in a requested shape against `size` elements. */
export function inferShape(op: string, shape: readonly number[], size: number, from: Shape): number[] {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(op, `only one dimension can be -1, got ${fmt(shape)}`);
  if (shape.some((d) => !Number.isInteger(d) || d < -1)) throw new ShapeError(op, `invalid shape ${fmt(shape)}`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const out = [...shape];
  if (unknown) {
    if (known === 0 || size % known !== 0) throw new ShapeError(op, `cannot reshape ${fmt(from)} (${size} elements) into ${fmt(shape)}`);
    out[out.indexOf(-1)] = size / known;
  } else if (known !== size) {
    throw new ShapeError(op, `cannot reshape ${fmt(from)} (${size} elements) into ${fmt(shape)} (${known} elements)`);
  }
  return out;
}

/** A [height, width] pair of integers ≥ `min`, from one number or a pair (conv/pool options). */
export function pairOf(op: string, name: string, v: number | readonly [number, number], min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (typeof v !== 'number' && v.length !== 2) throw new ArgumentError(op, `${name} must be a number or a pair, got ${JSON.stringify(v)}`);
  if (p.some((x) => !Number.isInteger(x) || x < min)) {
    throw new ArgumentError(op, `${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/**
 * Drop size-1 dims and merge neighbours that are contiguous in every operand, so that a contiguous
 * loop (CPU) or kernel (WebGPU) runs over as few dims as possible.
 */
export function collapseDims(shape: Shape, strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, j) => outStrides[j][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, j) => {
        outStrides[j][last] = s[d];
      });
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, j) => {
        outStrides[j].push(s[d]);
      });
    }
  }
  return { shape: outShape, strides: outStrides };
}
