// Over ~400 lines: every view and copy op of the shape family (reshape … cat/stack/split) with its
// one check and gradient; each op is short, and they share the view helpers at the top.
import type { DeviceName } from '../backend/backend';
import { fromArray, zeros } from '../creation';
import { backendOf } from '../device';
import { type DType, promoteTypes } from '../dtype';
import { ArgumentError, DeviceError, ShapeError } from '../errors';
import { scope } from '../memory';
import { contiguousStrides, fmt, inferShape, isContiguous, normDim, numel, sameShape } from '../shape';
import type { Tensor, TensorLike } from '../tensor';
import { checkInputs, defineOp, defineView } from './define-op';
import { broadcastView } from './elementwise';

// ── views: share storage, gradients map back through the inverse view ───
const restride = defineView<{ shape: number[]; strides: number[] }>('reshape', {
  view: (x, a) => ({ shape: a.shape, strides: a.strides, offset: x.offset }),
  backward: (gy, [x]) => [() => gy.reshape(x.shape)],
});

/**
 * The same elements in a new shape (one dim may be −1). A view when the tensor is contiguous,
 * otherwise a copy.
 * @example
 * ```ts
 * arange(6).reshape([2, -1]); // [[0, 1, 2], [3, 4, 5]]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkInputs('reshape', [x]);
  return reshapeTo(x, inferShape('reshape', shape, x.numel(), x.shape));
}

/** `x` in the (valid, fully specified) shape `to`: a view when contiguous, else a copy. */
function reshapeTo(x: Tensor, to: number[]): Tensor {
  if (sameShape(to, x.shape)) return x;
  if (isContiguous(x.shape, x.strides)) return restride(x, { shape: to, strides: contiguousStrides(to) });
  return scope(() => restride(x.contiguous(), { shape: to, strides: contiguousStrides(to) }));
}

/**
 * Like {@link reshape} but never copies: throws for tensors whose memory is not contiguous.
 * @example
 * ```ts
 * arange(6).view([3, 2]);
 * ```
 */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkInputs('view', [x]);
  const to = inferShape('view', shape, x.numel(), x.shape);
  if (!isContiguous(x.shape, x.strides)) {
    throw new ShapeError('view', `tensor ${fmt(x.shape)} with strides ${fmt(x.strides)} is not contiguous; use reshape() or contiguous()`);
  }
  return restride(x, { shape: to, strides: contiguousStrides(to) });
}

/**
 * Merge dims `startDim`…`endDim` (default: all) into one.
 * @example
 * ```ts
 * zeros([2, 3, 4]).flatten(1).shape; // [2, 12]
 * ```
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkInputs('flatten', [x]);
  if (x.ndim === 0) return reshapeTo(x, [1]);
  const s = normDim('flatten', startDim, x.ndim);
  const e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new ArgumentError('flatten', `startDim ${startDim} comes after endDim ${endDim}`);
  return reshapeTo(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/**
 * Remove size-1 dims (all of them, or those listed in `dim`; listed dims of other sizes stay).
 * @example
 * ```ts
 * zeros([1, 3, 1]).squeeze().shape;  // [3]
 * zeros([1, 3, 1]).squeeze(0).shape; // [3, 1]
 * ```
 */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkInputs('squeeze', [x]);
  const listed = dim === undefined ? null : (typeof dim === 'number' ? [dim] : [...dim]).map((d) => normDim('squeeze', d, x.ndim));
  const keep = x.shape.map((d, i) => d !== 1 || (listed !== null && !listed.includes(i)));
  if (keep.every(Boolean)) return x;
  return restride(x, { shape: x.shape.filter((_, i) => keep[i]), strides: x.strides.filter((_, i) => keep[i]) });
}

/**
 * Insert a size-1 dim at `dim` (−1 appends).
 * @example
 * ```ts
 * zeros([3]).unsqueeze(0).shape; // [1, 3]
 * ```
 */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkInputs('unsqueeze', [x]);
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d] * x.shape[d] : 1);
  return restride(x, { shape, strides });
}

const permuteView = defineView<{ dims: number[] }>('permute', {
  view: (x, { dims }) => {
    if (dims.length !== x.ndim || new Set(dims).size !== dims.length) {
      throw new ShapeError('permute', `dims ${fmt(dims)} are not a permutation of the ${x.ndim} dims of ${fmt(x.shape)}`);
    }
    return { shape: dims.map((d) => x.shape[d]), strides: dims.map((d) => x.strides[d]), offset: x.offset };
  },
  backward: (gy, _inputs, _out, { dims }) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => {
      inverse[d] = i;
    });
    return [() => gy.permute(inverse)];
  },
});

/**
 * Reorder dims: output dim i is input dim `dims[i]` (a view).
 * @example
 * ```ts
 * zeros([2, 3, 4]).permute([2, 0, 1]).shape; // [4, 2, 3]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  return permuteView(x, { dims: dims.map((d) => normDim('permute', d, x.ndim)) });
}

/**
 * Swap two dims (a view).
 * @example
 * ```ts
 * zeros([2, 3]).transpose(0, 1).shape; // [3, 2]
 * ```
 */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkInputs('transpose', [x]);
  const dims = x.shape.map((_, i) => i);
  const a = normDim('transpose', dim0, x.ndim);
  const b = normDim('transpose', dim1, x.ndim);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return x.ndim < 2 ? x : permuteView(x, { dims });
}

// Broadcasting reads with stride 0; the engine's sum-to-shape is expand's gradient.
const expandView = defineView<{ shape: number[] }>('expand', {
  view: (x, { shape }) => ({ shape, strides: broadcastView(x._view(), shape).strides as number[], offset: x.offset }),
  backward: (gy) => [() => gy],
});

/**
 * Broadcast to a larger shape without copying (−1 keeps a dim).
 * @example
 * ```ts
 * tensor([[1], [2]]).expand([2, 3]); // [[1, 1, 1], [2, 2, 2]]
 * ```
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkInputs('expand', [x]);
  if (shape.length < x.ndim) throw new ShapeError('expand', `cannot expand ${fmt(x.shape)} to fewer dims ${fmt(shape)}`);
  const lead = shape.length - x.ndim;
  const to = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  to.forEach((d, i) => {
    const from = i >= lead ? x.shape[i - lead] : 1;
    if (!Number.isInteger(d) || d < 0 || (from !== 1 && from !== d)) {
      throw new ShapeError('expand', `cannot expand ${fmt(x.shape)} to ${fmt(shape)} (dim ${i}: ${from} → ${d})`);
    }
  });
  return sameShape(to, x.shape) ? x : expandView(x, { shape: to });
}

const sliceView = defineView<{ dim: number; start: number; step: number; length: number }>('slice', {
  view: (x, { dim, start, step, length }) => {
    const shape = [...x.shape];
    const strides = [...x.strides];
    shape[dim] = length;
    strides[dim] = x.strides[dim] * step;
    return { shape, strides, offset: x.offset + start * x.strides[dim] };
  },
  backward: (gy, [x], _out, { dim, start, step, length }) => [
    () => {
      const g = zeros(x.shape, { device: x.device });
      g.slice(dim, start, start + (length - 1) * step + 1, step).assign(gy);
      return g;
    },
  ],
});

/**
 * Elements `start` … `end − 1` (in steps of `step`) along `dim`, as a view. Negative indices
 * count from the end; out-of-range bounds are clipped (Python slicing).
 * @example
 * ```ts
 * arange(10).slice(0, 2, 8, 3); // [2, 5]
 * ```
 */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const d = normDim('slice', dim, x.ndim);
  if (!Number.isInteger(step) || step < 1) throw new ArgumentError('slice', `step must be a positive integer, got ${step}`);
  const n = x.shape[d];
  const clip = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  const s = clip(start);
  const e = clip(end ?? n);
  const length = Math.max(0, Math.ceil((e - s) / step));
  return sliceView(x, { dim: d, start: s, step, length });
}

/**
 * `length` elements from `start` along `dim`, as a view (as `torch.narrow`).
 * @example
 * ```ts
 * arange(5).narrow(0, 1, 3); // [1, 2, 3]
 * ```
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkInputs('narrow', [x]);
  const d = normDim('narrow', dim, x.ndim);
  const n = x.shape[d];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new ShapeError('narrow', `start ${start} and length ${length} do not fit dim ${dim} of size ${n}`);
  }
  return sliceView(x, { dim: d, start: s, step: 1, length });
}

// ── copies ─────────────────────────────────────────────────────────────────
const cloneOp = defineOp<undefined>('clone', {
  infer: ([x]) => ({ shape: [...x.shape], dtype: x.dtype }),
  forward: (be, [x], out, _a, shape) => be.copy(x, { storage: out, shape, strides: contiguousStrides(shape), offset: 0 }),
  backward: (gy) => [() => gy],
});

const castOp = defineOp<{ dtype: DType }>('cast', {
  infer: ([x], { dtype }) => ({ shape: [...x.shape], dtype }),
  forward: (be, [x], out, _a, shape) => be.copy(x, { storage: out, shape, strides: contiguousStrides(shape), offset: 0 }),
  backward: (gy) => [() => gy],
});

/**
 * A contiguous copy with its own memory (gradients pass through).
 * @example
 * ```ts
 * const x = randn([4]);
 * const y = x.clone();
 * ```
 */
export function clone(x: Tensor): Tensor {
  return cloneOp([x], undefined);
}

/**
 * `x` itself when its memory is already row-major contiguous, else a contiguous copy.
 * @example
 * ```ts
 * zeros([2, 3]).transpose(0, 1).contiguous();
 * ```
 */
export function contiguous(x: Tensor): Tensor {
  checkInputs('contiguous', [x]);
  return isContiguous(x.shape, x.strides) ? x : cloneOp([x], undefined);
}

/** Convert to another dtype (a copy); see `Tensor.to`. */
export function cast(x: Tensor, dtype: DType): Tensor {
  return castOp([x], { dtype });
}

function checkDevice(op: string, device: DeviceName): void {
  if (device !== 'cpu' && device !== 'webgpu') throw new ArgumentError(op, `unknown device '${String(device)}' (expected 'cpu' or 'webgpu')`);
  backendOf(device); // throws when that backend is not initialised
}

/**
 * A synchronous copy on another device, possible when the source memory is host memory (the CPU);
 * the sync half of `Tensor.to`. Moving off WebGPU needs a read, which is asynchronous: see
 * {@link toDevice}.
 */
export function copyToDevice(x: Tensor, device: DeviceName): Tensor {
  checkInputs('to', [x]);
  checkDevice('to', device);
  const src = backendOf(x.device);
  if (!src.readSync) {
    throw new DeviceError(
      'to',
      `reading ${x.device} memory is asynchronous, so ${x.device} → ${device} cannot be synchronous: use \`await t.toDevice('${device}')\``,
    );
  }
  return fromArray(src.readSync(x._view()), x.shape, { dtype: x.dtype, device, requiresGrad: false }, 'to');
}

/**
 * Move `x` to `device` in any direction (cpu → webgpu, webgpu → cpu). Resolves to a new tensor
 * with its own memory (contiguous, same shape and dtype, not requiring grad: it is a new leaf, as
 * with `to`), or to `x` itself when it is already on `device`. `x` is left as it is: dispose it
 * when it is no longer needed. Reading WebGPU memory waits for the work queued before it.
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = await toDevice(x, 'cpu'); // already there: y === x
 * y.dataSync(); // Float32Array [1, 2, 3, 4]
 * ```
 */
export async function toDevice(x: Tensor, device: DeviceName): Promise<Tensor> {
  checkInputs('toDevice', [x]);
  checkDevice('toDevice', device);
  if (x.device === device) return x;
  const src = backendOf(x.device);
  const values = src.readSync ? src.readSync(x._view()) : await src.read(x._view());
  return fromArray(values, x.shape, { dtype: x.dtype, device, requiresGrad: false }, 'toDevice');
}

/**
 * Overwrite `dst`'s elements in place with `value` (broadcast to `dst`'s shape, cast to its
 * dtype), outside autograd — for parameter updates and running statistics.
 * @example
 * ```ts
 * const w = zeros([3]); w.assign(tensor([1, 2, 3])); w.assign(0);
 * ```
 */
export function assign(dst: Tensor, value: TensorLike): void {
  const be = backendOf(dst.device);
  if (typeof value === 'number') {
    checkInputs('assign', [dst]);
    be.fill(dst._view(), value);
    return;
  }
  checkInputs('assign', [dst, value]);
  if (value.ndim > dst.ndim || value.shape.some((d, i) => d !== 1 && d !== dst.shape[dst.ndim - value.ndim + i])) {
    throw new ShapeError('assign', `value of shape ${fmt(value.shape)} does not broadcast to ${fmt(dst.shape)}`);
  }
  be.copy(broadcastView(value._view(), dst.shape), dst._view());
}

// ── joining and splitting ───────────────────────────────────────────────────
// inputs: a non-empty list (the public function rejects an empty one)
const catOp = defineOp<{ dim: number }>('cat', {
  infer: (ts, { dim }) => {
    const first = ts[0];
    for (const t of ts) {
      if (t.ndim !== first.ndim || t.ndim === 0 || t.shape.some((s, i) => i !== dim && s !== first.shape[i])) {
        throw new ShapeError('cat', `shapes must match except in dim ${dim}: ${ts.map((x) => fmt(x.shape)).join(', ')}`);
      }
    }
    const shape = [...first.shape];
    shape[dim] = ts.reduce((s, t) => s + t.shape[dim], 0);
    return { shape, dtype: ts.map((t) => t.dtype).reduce(promoteTypes) };
  },
  forward: (be, views, out, { dim }, shape) => {
    const strides = contiguousStrides(shape);
    let at = 0;
    for (const v of views) {
      be.copy(v, { storage: out, shape: v.shape, strides, offset: at * strides[dim] });
      at += v.shape[dim];
    }
  },
  backward: (gy, ts, _out, { dim }) => {
    let at = 0;
    return ts.map((t) => {
      const start = at;
      at += t.shape[dim];
      return () => gy.narrow(dim, start, t.shape[dim]);
    });
  },
});

/**
 * Join tensors along an existing dim; all other dims must match.
 * @example
 * ```ts
 * cat([zeros([2, 3]), ones([1, 3])], 0).shape; // [3, 3]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!tensors.length) throw new ArgumentError('cat', 'expected a non-empty list of tensors');
  return catOp([...tensors], { dim: normDim('cat', dim, Math.max(tensors[0].ndim, 1)) });
}

/**
 * Join equally shaped tensors along a new dim.
 * @example
 * ```ts
 * stack([zeros([3]), ones([3])], 0).shape; // [2, 3]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkInputs('stack', tensors);
  if (!tensors.length) throw new ArgumentError('stack', 'expected a non-empty list of tensors');
  for (const t of tensors) {
    if (!sameShape(t.shape, tensors[0].shape))
      throw new ShapeError('stack', `all tensors must have the same shape, got ${tensors.map((x) => fmt(x.shape)).join(', ')}`);
  }
  const d = normDim('stack', dim, tensors[0].ndim + 1);
  return scope(() =>
    catOp(
      tensors.map((t) => t.unsqueeze(d)),
      { dim: d },
    ),
  );
}

/**
 * Split into views of `size` along `dim` (the last may be smaller), or into the listed sizes.
 * @example
 * ```ts
 * arange(5).split(2);      // [0, 1], [2, 3], [4]
 * arange(5).split([1, 4]); // [0], [1, 2, 3, 4]
 * ```
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  checkInputs('split', [x]);
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s < 1) throw new ArgumentError('split', `split size must be a positive integer, got ${s}`);
    sizes = evenSizes(n, s);
  } else {
    sizes = [...splitSizeOrSections];
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== n) {
      throw new ShapeError('split', `sections ${fmt(sizes)} must be non-negative and sum to ${n} (dim ${dim} of ${fmt(x.shape)})`);
    }
  }
  return parts(x, d, sizes);
}

/** Sizes of `size`-long parts covering n (the last may be smaller; one empty part when n is 0). */
function evenSizes(n: number, size: number): number[] {
  return Array.from({ length: Math.max(1, Math.ceil(n / size)) }, (_, i) => Math.min(size, n - i * size));
}

/** Consecutive views of `sizes` (summing to the dim's size) along dim `d`. */
function parts(x: Tensor, d: number, sizes: number[]): Tensor[] {
  let at = 0;
  return sizes.map((length) => {
    const part = sliceView(x, { dim: d, start: at, step: 1, length });
    at += length;
    return part;
  });
}

/**
 * Split into `chunks` views of ⌈n/chunks⌉ along `dim` (fewer when n is small), as `torch.chunk`.
 * @example
 * ```ts
 * arange(6).chunk(3); // [0, 1], [2, 3], [4, 5]
 * ```
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkInputs('chunk', [x]);
  if (!Number.isInteger(chunks) || chunks < 1) throw new ArgumentError('chunk', `chunks must be a positive integer, got ${chunks}`);
  const d = normDim('chunk', dim, x.ndim);
  return parts(x, d, evenSizes(x.shape[d], Math.max(1, Math.ceil(x.shape[d] / chunks))));
}
