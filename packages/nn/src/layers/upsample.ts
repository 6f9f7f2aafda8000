import { ArgumentError, ShapeError, scope, Tensor, tensor } from '@aimodel/tensor';
import { checkKeys, describeInput } from '../checks';
import { Module } from '../module';
import { reprFields } from '../summary';

// Upsampling composed from indexSelect along each spatial dim (nearest) and a weighted sum of two
// such selections (linear/bilinear), so it runs and differentiates on every backend. When
// @aimodel/tensor gains `interpolate`, forward becomes one call with the same results.

/**
 * Options of {@link Upsample} (PyTorch's names): give `size` or `scaleFactor`.
 * @example
 * ```ts
 * new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false });
 * ```
 */
export interface UpsampleOptions {
  /** Output spatial size: a number for every spatial dim, or one per dim. */
  size?: number | readonly number[];
  /** Multiplier of the spatial size: a number, or one per dim. */
  scaleFactor?: number | readonly number[];
  /** `'nearest'` (default), `'linear'` (3-D input) or `'bilinear'` (4-D input). */
  mode?: 'nearest' | 'linear' | 'bilinear';
  /** Linear modes: align the corner pixels' centres (default false, as PyTorch). */
  alignCorners?: boolean;
}

/** Input coordinate of output index i: PyTorch's area-pixel rule, or corner alignment. */
function sourceIndex(i: number, inSize: number, outSize: number, scale: number | null, alignCorners: boolean, linear: boolean): number {
  if (linear && alignCorners) return outSize > 1 ? (i * (inSize - 1)) / (outSize - 1) : 0;
  const ratio = scale !== null ? 1 / scale : inSize / outSize;
  if (!linear) return Math.min(Math.floor(i * ratio), inSize - 1); // nearest: floor(i·in/out)
  return Math.max((i + 0.5) * ratio - 0.5, 0);
}

/** Resample `x` along `dim` from its size to `outSize`. */
function resampleDim(x: Tensor, dim: number, outSize: number, scale: number | null, mode: 'nearest' | 'linear', alignCorners: boolean): Tensor {
  const inSize = x.shape[dim];
  const src = Array.from({ length: outSize }, (_, i) => sourceIndex(i, inSize, outSize, scale, alignCorners, mode === 'linear'));
  const index = (v: number[]) => tensor(v, { dtype: 'int32', device: x.device });
  if (mode === 'nearest') return x.indexSelect(dim, index(src));
  const lo = src.map((s) => Math.min(Math.floor(s), inSize - 1));
  const hi = lo.map((l) => Math.min(l + 1, inSize - 1));
  const shape = x.shape.map((_, k) => (k === dim ? outSize : 1));
  const lambda = tensor(
    src.map((s, i) => s - lo[i]),
    { device: x.device },
  ).reshape(shape);
  const a = x.indexSelect(dim, index(lo));
  const b = x.indexSelect(dim, index(hi));
  return a.add(b.sub(a).mul(lambda)); // (1 − λ)·a + λ·b
}

function perDim(name: string, v: number | readonly number[] | undefined, n: number, integer: boolean): number[] | null {
  if (v === undefined) return null;
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...v] : [];
  if (list.length !== n || list.some((d) => typeof d !== 'number' || !(d > 0) || (integer && !Number.isInteger(d)) || !Number.isFinite(d))) {
    throw new ShapeError(
      'Upsample',
      `${name} must be a positive ${integer ? 'integer' : 'number'} or ${n} of them (one per spatial dim), got ${JSON.stringify(v)}`,
    );
  }
  return list;
}

/**
 * Upsampling of [N, C, L] or [N, C, H, W] input, as `torch.nn.Upsample`: nearest neighbour
 * (output index i reads input ⌊i·in/out⌋), linear (3-D) or bilinear (4-D) interpolation with
 * PyTorch's pixel-centre rule, or corner alignment with `alignCorners`. Give the output `size` or
 * a `scaleFactor` (with a scale factor the source coordinates use 1/scaleFactor, as PyTorch).
 * No parameters.
 * @example
 * ```ts
 * new Upsample({ scaleFactor: 2 }).forward(tensor([[[1, 2]]])); // [[[1, 1, 2, 2]]]
 * new Upsample({ size: 4, mode: 'linear', alignCorners: true }).forward(tensor([[[0, 3]]])); // [[[0, 1, 2, 3]]]
 * ```
 */
export class Upsample extends Module {
  /** Output size, or null when given by `scaleFactor`. @example `new Upsample({ size: [4, 4] }).size // [4, 4]` */
  readonly size: number | readonly number[] | null;
  /** Scale factor, or null when `size` is given. @example `new Upsample({ scaleFactor: 2 }).scaleFactor // 2` */
  readonly scaleFactor: number | readonly number[] | null;
  /** Interpolation mode. @example `new Upsample({ scaleFactor: 2 }).mode // 'nearest'` */
  readonly mode: 'nearest' | 'linear' | 'bilinear';
  /** Corner alignment (linear modes). @example `new Upsample({ scaleFactor: 2, mode: 'bilinear' }).alignCorners // false` */
  readonly alignCorners: boolean;

  /**
   * @example
   * ```ts
   * new Upsample({ size: [14, 14], mode: 'bilinear' });
   * ```
   */
  constructor(opts: UpsampleOptions) {
    super();
    checkKeys('Upsample', opts, ['size', 'scaleFactor', 'mode', 'alignCorners']);
    const { size, scaleFactor, mode = 'nearest', alignCorners } = opts;
    if ((size === undefined) === (scaleFactor === undefined)) throw new ArgumentError('Upsample', 'give exactly one of size and scaleFactor');
    if (!['nearest', 'linear', 'bilinear'].includes(mode))
      throw new ArgumentError('Upsample', `mode must be 'nearest', 'linear' or 'bilinear', got '${String(mode)}'`);
    if (mode === 'nearest' && alignCorners !== undefined) throw new ArgumentError('Upsample', "alignCorners applies only to the 'linear' and 'bilinear' modes");
    this.size = size ?? null;
    this.scaleFactor = scaleFactor ?? null;
    this.mode = mode;
    this.alignCorners = alignCorners ?? false;
  }

  /**
   * Upsample `x` [N, C, L] (nearest, linear) or [N, C, H, W] (nearest, bilinear).
   * @example
   * ```ts
   * new Upsample({ scaleFactor: 2 }).forward(zeros([1, 3, 4, 4])).shape; // [1, 3, 8, 8]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const need = this.mode === 'linear' ? [3] : this.mode === 'bilinear' ? [4] : [3, 4];
    if (!(x instanceof Tensor) || !need.includes(x.ndim)) {
      throw new ShapeError(
        'Upsample',
        `mode '${this.mode}' expects ${need.map((d) => `${d}-D`).join(' or ')} input [N, C, ${need.length > 1 ? 'L] or [N, C, H, W' : need[0] === 3 ? 'L' : 'H, W'}], got ${describeInput(x)}`,
      );
    }
    const n = x.ndim - 2;
    const scales = perDim('scaleFactor', this.scaleFactor ?? undefined, n, false);
    const sizes = perDim('size', this.size ?? undefined, n, true) ?? (scales as number[]).map((s, i) => Math.floor(x.shape[2 + i] * s));
    const mode = this.mode === 'nearest' ? 'nearest' : 'linear';
    return scope(() => {
      let y = x;
      for (let i = 0; i < n; i++) y = resampleDim(y, 2 + i, sizes[i], scales ? scales[i] : null, mode, this.alignCorners);
      return y === x ? x.clone() : y;
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new Upsample({ scaleFactor: 2 })) // "Upsample(scaleFactor=2, mode='nearest')"` */
  override extraRepr(): string {
    return reprFields(this.size !== null ? { size: this.size, mode: this.mode } : { scaleFactor: this.scaleFactor, mode: this.mode });
  }
}
