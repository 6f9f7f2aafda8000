import { arange } from '../creation';
import { ArgumentError, checkOptions, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';

/**
 * Options of {@link interpolate}.
 * @example
 * ```ts
 * interpolate(ones([1, 1, 2, 2]), { scaleFactor: 2, mode: 'bilinear', alignCorners: true }).shape; // [1, 1, 4, 4]
 * ```
 */
export interface InterpolateOptions {
  /** Output spatial size (one number per spatial dim, or one for all); or give `scaleFactor`. */
  size?: number | readonly number[];
  /** Multiplier of each spatial size (output = floor(input · scale)); or give `size`. */
  scaleFactor?: number | readonly number[];
  /** 'nearest' (default) or 'linear' (3-D input) / 'bilinear' (4-D input). */
  mode?: 'nearest' | 'linear' | 'bilinear';
  /** Linear modes: align the corner pixels' centres (default false, as PyTorch). */
  alignCorners?: boolean;
}

/**
 * Resample along one spatial dim of size `n` to `out`, as PyTorch's upsample kernels: the source
 * coordinate of output i is i·scale (nearest: floor of it, clamped) or, for linear modes,
 * (i + ½)·scale − ½ clamped at 0 (alignCorners false) or i·(n−1)/(out−1) (true), where scale is
 * n/out, or 1/scaleFactor when a scale factor was given. Indices and weights are made on the device.
 */
function resampleDim(x: Tensor, dim: number, out: number, mode: 'nearest' | 'linear', alignCorners: boolean, factor: number | undefined): Tensor {
  const n = x.shape[dim];
  const device = x.device;
  const scale = factor !== undefined ? 1 / factor : n / out;
  const i = arange(out, { device });
  if (mode === 'nearest') {
    const src = i
      .mul(scale)
      .floor()
      .clamp(null, n - 1)
      .to('int32');
    return x.indexSelect(dim, src);
  }
  let src: Tensor;
  if (alignCorners) src = out > 1 ? i.mul((n - 1) / (out - 1)) : i.mul(0);
  else src = i.add(0.5).mul(scale).sub(0.5).clamp(0);
  const i0 = src.floor().clamp(null, n - 1);
  const lambda = src.sub(i0); // weight of the upper neighbour
  const i1 = i0.add(1).clamp(null, n - 1);
  const shape = x.shape.map((_, k) => (k === dim ? out : 1));
  const w1 = lambda.reshape(shape);
  const lo = x.indexSelect(dim, i0.to('int32'));
  const hi = x.indexSelect(dim, i1.to('int32'));
  return lo.add(hi.sub(lo).mul(w1));
}

/**
 * Resize the spatial dims of [N, C, W] or [N, C, H, W] inputs (`torch.nn.functional.interpolate`)
 * by nearest-neighbour or (bi)linear interpolation, with PyTorch's coordinate rules. A composite
 * of gathers and elementwise ops: differentiable, on every backend.
 * @example
 * ```ts
 * interpolate(tensor([[[1, 2]]]), { scaleFactor: 2 });                      // [[[1, 1, 2, 2]]]
 * interpolate(tensor([[[1, 2]]]), { size: 4, mode: 'linear' });             // [[[1, 1.25, 1.75, 2]]]
 * interpolate(ones([1, 1, 2, 2]), { size: [3, 3], mode: 'bilinear' }).shape; // [1, 1, 3, 3]
 * ```
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  checkOptions('interpolate', opts, ['size', 'scaleFactor', 'mode', 'alignCorners']);
  checkInputs('interpolate', [x]);
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError('interpolate', `expected [N, C, W] or [N, C, H, W], got ${fmt(x.shape)}`);
  if (x.dtype !== 'float32') throw new ArgumentError('interpolate', `expected a float32 tensor, got ${x.dtype}`);
  const spatial = x.ndim - 2;
  const mode = opts.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear')
    throw new ArgumentError('interpolate', `unknown mode '${String(mode)}' (expected 'nearest', 'linear' or 'bilinear')`);
  if ((mode === 'linear' && spatial !== 1) || (mode === 'bilinear' && spatial !== 2))
    throw new ArgumentError('interpolate', `mode '${mode}' needs a ${mode === 'linear' ? '3-D' : '4-D'} input, got ${fmt(x.shape)}`);
  if (opts.alignCorners !== undefined && mode === 'nearest')
    throw new ArgumentError('interpolate', "alignCorners applies to the linear modes only, not 'nearest'");
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) throw new ArgumentError('interpolate', 'give exactly one of size and scaleFactor');
  const list = (v: number | readonly number[], name: string): number[] => {
    const l = typeof v === 'number' ? new Array<number>(spatial).fill(v) : [...v];
    if (l.length !== spatial || l.some((s) => !(s > 0) || !Number.isFinite(s)))
      throw new ArgumentError('interpolate', `${name} must be ${spatial} positive number(s), got ${fmt(l)}`);
    return l;
  };
  const factors = opts.scaleFactor !== undefined ? list(opts.scaleFactor, 'scaleFactor') : undefined;
  const sizes = opts.size !== undefined ? list(opts.size, 'size') : factors!.map((f, k) => Math.floor(x.shape[2 + k] * f));
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new ArgumentError('interpolate', `output sizes must be positive integers, got ${fmt(sizes)}`);
  return scope(() => {
    let y = x;
    for (let k = 0; k < spatial; k++) y = resampleDim(y, 2 + k, sizes[k], mode === 'nearest' ? 'nearest' : 'linear', opts.alignCorners ?? false, factors?.[k]);
    return y === x ? x.clone() : y;
  });
}
