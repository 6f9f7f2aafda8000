import { noGrad } from '../autograd/grad-mode';
import { arange, full, zeros } from '../creation';
import { backendOf } from '../device';
import { ArgumentError, checkOptions, DeviceError, DTypeError } from '../errors';
import { scope } from '../memory';
import { broadcastShapes, normDim, numel, type Shape } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp } from './define-op';
import { ne } from './elementwise';
import { gather, scatterAdd } from './indexing';
import { any } from './logical';
import { cat, expand, permute, reshape } from './movement';
import { cumsum } from './scan';
import { argsort, flag, sort } from './sort';

/**
 * Ops whose output size depends on the values: nonzero, maskedSelect, unique. Each runs in two
 * stages on the tensor's device: a flag pass and an inclusive running count of the flags (the
 * scan primitive), then — once the count is known — the `compact` primitive writes the flagged
 * positions in input order. Between them the host reads one int32, the last running count.
 * Ops are synchronous and WebGPU memory cannot be read synchronously, so the plain forms run on
 * the CPU and throw a DeviceError elsewhere; the `…Async` forms run on every device (as
 * TensorFlow.js's `whereAsync` and `booleanMaskAsync`).
 */

/** Row k of the int32 [count, rank] output: the coordinates in `shape` of the (k+1)-th flagged element. */
const compactOp = defineOp<{ shape: Shape; count: number }>('compact', {
  infer: (_, { shape, count }) => ({ shape: [count, shape.length], dtype: 'int32' }),
  forward: (be, [running], out, { shape }) => be.compact(running, shape, out),
});

/** The work done before the count is known: the running count and what the second stage reads. */
interface Stage<R> {
  /** int32 [n]: the inclusive running count of the flagged elements. */
  running: Tensor;
  /** Tensors `finish` reads (disposed after it, with `running`). */
  held: Tensor[];
  /** The result, given the number of flagged elements. */
  finish(count: number): R;
}

/** Flat positions (int32 [count]) of the flagged elements, from the running count of n flags. */
function positions(running: Tensor, count: number): Tensor {
  return reshape(compactOp([running], { shape: [running.shape[0]], count }), [count]);
}

/** Dispose the stage's tensors, except an input an identity view op handed back as itself. */
function release(stage: Stage<unknown>, inputs: readonly Tensor[]): void {
  for (const t of [stage.running, ...stage.held]) if (!inputs.includes(t)) t.dispose();
}

/** Run `build` and its second stage synchronously (host memory only: one read of the count). */
function runSync<R>(op: string, inputs: readonly Tensor[], build: () => Stage<R>): R {
  const device = inputs[0].device;
  const be = backendOf(device);
  if (!be.readSync) {
    throw new DeviceError(
      op,
      `the size of its result depends on the values, which cannot be read synchronously from ${device}; use await ${op}Async(…) (it computes on ${device} and reads back only the count)`,
    );
  }
  const stage = scope(build);
  try {
    const n = stage.running.numel();
    const count = n === 0 ? 0 : be.readSync({ ...stage.running._view(), shape: [1], strides: [1], offset: stage.running.offset + n - 1 })[0];
    return scope(() => stage.finish(count));
  } finally {
    release(stage, inputs);
  }
}

/** Run `build`, read the count back asynchronously (one 4-byte read), then the second stage. */
async function runAsync<R>(inputs: readonly Tensor[], build: () => Stage<R>): Promise<R> {
  const stage = scope(build);
  try {
    const n = stage.running.numel();
    let count = 0;
    if (n > 0) {
      const last = stage.running.narrow(0, n - 1, 1);
      try {
        count = (await last.data())[0];
      } finally {
        last.dispose();
      }
    }
    return scope(() => stage.finish(count));
  } finally {
    release(stage, inputs);
  }
}

// ── nonzero ─────────────────────────────────────────────────────────────────

/**
 * Options of {@link nonzero} and {@link nonzeroAsync}.
 * @example
 * ```ts
 * const [rows, cols] = nonzero(tensor([[0, 1], [1, 0]]), { asTuple: true } satisfies NonzeroOptions);
 * rows; // [0, 1]
 * cols; // [1, 0]
 * ```
 */
export interface NonzeroOptions {
  /** One 1-D index tensor per dim instead of one [count, ndim] tensor (default false). */
  asTuple?: boolean;
}

function nonzeroStage(x: Tensor, asTuple: boolean): () => Stage<Tensor | Tensor[]> {
  return () => {
    const flat = reshape(ne(x, 0), [x.numel()]);
    const running = cumsum(flat, 0);
    return {
      running,
      held: [],
      finish: (count) => {
        if (!asTuple) return compactOp([running], { shape: x.shape, count });
        if (x.ndim === 0) return [positions(running, count)]; // PyTorch: a 0-d input reads as 1-D
        const coords = compactOp([running], { shape: x.shape, count });
        return x.shape.map((_, d) => reshape(coords.narrow(1, d, 1), [count]).contiguous());
      },
    };
  };
}

function nonzeroArgs(op: string, x: Tensor, opts: NonzeroOptions): boolean {
  checkInputs(op, [x]);
  checkOptions(op, opts, ['asTuple']);
  return flag(op, 'asTuple', opts.asTuple, false);
}

/**
 * The int32 coordinates of the nonzero elements of `x` (`torch.nonzero`): an [count, ndim] tensor,
 * one row per nonzero element in row-major order (PyTorch's int64 is int32 here, as every index
 * output). NaN is nonzero, −0 is zero; bool `true` is nonzero. With `asTuple`, one int32 [count]
 * tensor per dim (a 0-d input counts as 1-D, as PyTorch). Not differentiable. CPU only: the
 * result's size depends on the values, so on WebGPU use {@link nonzeroAsync} (a DeviceError
 * says so).
 * @example
 * ```ts
 * nonzero(tensor([[1, 0], [0, 3]])); // [[0, 0], [1, 1]]
 * nonzero(tensor([0, 2, NaN]), { asTuple: true })[0]; // [1, 2]
 * nonzero(tensor([0, -0])).shape; // [0, 1]
 * ```
 */
export function nonzero(x: Tensor, opts?: NonzeroOptions & { asTuple?: false }): Tensor;
export function nonzero(x: Tensor, opts: NonzeroOptions & { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, opts?: NonzeroOptions): Tensor | Tensor[];
export function nonzero(x: Tensor, opts: NonzeroOptions = {}): Tensor | Tensor[] {
  const asTuple = nonzeroArgs('nonzero', x, opts);
  return runSync('nonzero', [x], nonzeroStage(x, asTuple));
}

/**
 * {@link nonzero} on any device: the flags, running count and compaction run on x's device and
 * only the count (4 bytes) is read back before the result is written there.
 * @example
 * ```ts
 * const idx = await nonzeroAsync(tensor([0, 5, 0, 7])); // [[1], [3]]
 * ```
 */
export function nonzeroAsync(x: Tensor, opts?: NonzeroOptions & { asTuple?: false }): Promise<Tensor>;
export function nonzeroAsync(x: Tensor, opts: NonzeroOptions & { asTuple: true }): Promise<Tensor[]>;
export function nonzeroAsync(x: Tensor, opts?: NonzeroOptions): Promise<Tensor | Tensor[]>;
export async function nonzeroAsync(x: Tensor, opts: NonzeroOptions = {}): Promise<Tensor | Tensor[]> {
  const asTuple = nonzeroArgs('nonzeroAsync', x, opts);
  return runAsync([x], nonzeroStage(x, asTuple));
}

// ── maskedSelect ────────────────────────────────────────────────────────────

function maskedSelectStage(op: string, x: Tensor, mask: Tensor): () => Stage<Tensor> {
  checkInputs(op, [x, mask]);
  if (mask.dtype !== 'bool') throw new DTypeError(op, `mask must be bool, got ${mask.dtype} (compare it, e.g. mask.gt(0))`);
  const shape = broadcastShapes(op, x.shape, mask.shape);
  const n = numel(shape);
  return () => {
    // gradient: gather's rule scatters gy back into `flat`; expand's sums over the broadcast dims
    const flat = reshape(expand(x, shape), [n]);
    const running = cumsum(reshape(expand(mask, shape), [n]), 0);
    return { running, held: [flat], finish: (count) => gather(flat, 0, positions(running, count)) };
  };
}

/**
 * The elements of `x` where `mask` is true, as a 1-D tensor in row-major order
 * (`torch.masked_select`). `mask` must be bool; it and `x` broadcast to a common shape. Keeps x's
 * dtype; differentiable in `x` (the gradient goes back to the selected positions, summed over
 * broadcast dims). CPU only: on WebGPU use {@link maskedSelectAsync} (a DeviceError says so).
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * maskedSelect(x, x.gt(1.5)); // [2, 3, 4]
 * // a mask of shape [2] broadcasts over the rows
 * maskedSelect(x, tensor([false, true])); // [2, 4]
 * ```
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  const build = maskedSelectStage('maskedSelect', x, mask);
  return runSync('maskedSelect', [x, mask], build);
}

/**
 * {@link maskedSelect} on any device, reading back only the count (4 bytes).
 * @example
 * ```ts
 * const x = tensor([5, -1, 7]);
 * await maskedSelectAsync(x, x.gt(0)); // [5, 7]
 * ```
 */
export async function maskedSelectAsync(x: Tensor, mask: Tensor): Promise<Tensor> {
  return runAsync([x, mask], maskedSelectStage('maskedSelectAsync', x, mask));
}

// ── unique ──────────────────────────────────────────────────────────────────

/**
 * Options of {@link unique} and {@link uniqueAsync} (PyTorch's `torch.unique` arguments).
 * @example
 * ```ts
 * const opts: UniqueOptions = { returnInverse: true, returnCounts: true };
 * unique(tensor([2, 1, 2]), opts).counts; // [1, 2]
 * ```
 */
export interface UniqueOptions {
  /** Accepted for PyTorch's signature: the values always come sorted ascending (default true). */
  sorted?: boolean;
  /** Also return `inverse`: for each input element, the position of its value in `values`. */
  returnInverse?: boolean;
  /** Also return `counts`: how often each value occurs. */
  returnCounts?: boolean;
  /** Unique slices along this dim instead of unique elements of the flattened input. */
  dim?: number;
}

/**
 * What {@link unique} returns: `values`, plus `inverse` and `counts` when the options ask for them
 * (int32, as every index output here).
 * @example
 * ```ts
 * const { values, inverse }: UniqueResult = unique(tensor([3, 1, 3]), { returnInverse: true });
 * values; // [1, 3]
 * inverse; // [1, 0, 1]
 * ```
 */
export interface UniqueResult {
  values: Tensor;
  /** Shaped like the input (like x.shape[dim] with `dim`): values[inverse] rebuilds the input. */
  inverse?: Tensor;
  /** [values.shape[0]]: occurrences of each value (or slice). */
  counts?: Tensor;
}

interface UniqueArgs {
  inverse: boolean;
  counts: boolean;
  dim: number | undefined;
}

function uniqueArgs(op: string, x: Tensor, opts: UniqueOptions): UniqueArgs {
  checkInputs(op, [x]);
  checkOptions(op, opts, ['sorted', 'returnInverse', 'returnCounts', 'dim']);
  flag(op, 'sorted', opts.sorted, true);
  const { dim } = opts;
  if (dim !== undefined && (typeof dim !== 'number' || !Number.isInteger(dim))) throw new ArgumentError(op, `dim must be an integer, got ${String(dim)}`);
  return {
    inverse: flag(op, 'returnInverse', opts.returnInverse, false),
    counts: flag(op, 'returnCounts', opts.returnCounts, false),
    dim: dim === undefined ? undefined : normDim(op, dim, x.ndim),
  };
}

/**
 * Unique rows of the [m, k] `rows`: sort the rows (stably; lexicographically, by one stable sort
 * per column from the last), flag each row that differs from the one before it, count the flags.
 * The second stage gathers the first row of each run, scatters each run's number back to the
 * rows' input positions (inverse) and takes the differences of the run starts (counts).
 */
function uniqueStage(x: Tensor, rows: Tensor, a: UniqueArgs, shapeValues: (v: Tensor, count: number) => Tensor, inverseShape: Shape): Stage<UniqueResult> {
  const [m, k] = rows.shape;
  let order: Tensor;
  let sortedRows: Tensor;
  if (k === 1) {
    const s = sort(reshape(rows, [m]));
    order = s.indices;
    sortedRows = reshape(s.values, [m, 1]);
  } else {
    order = arange(m, { dtype: 'int32', device: x.device });
    for (let c = k - 1; c >= 0; c--) order = gather(order, 0, argsort(gather(reshape(rows.narrow(1, c, 1), [m]), 0, order)));
    sortedRows = gather(rows, 0, expand(reshape(order, [m, 1]), [m, k]));
  }
  let running: Tensor;
  if (m === 0) running = zeros([0], { dtype: 'int32', device: x.device });
  else {
    const differs = any(ne(sortedRows.narrow(0, 1, m - 1), sortedRows.narrow(0, 0, m - 1)), 1);
    running = cumsum(cat([full([1], 1, { dtype: 'bool', device: x.device }), differs]), 0);
  }
  return {
    running,
    held: [order, sortedRows],
    finish: (count) => {
      const starts = positions(running, count);
      const values = shapeValues(gather(sortedRows, 0, expand(reshape(starts, [count, 1]), [count, k])), count);
      const r: UniqueResult = { values };
      if (a.inverse) r.inverse = reshape(scatterAdd(zeros([m], { dtype: 'int32', device: x.device }), 0, order, running.sub(1)), inverseShape);
      if (a.counts) {
        // counts[g] = start of run g + 1 (m after the last run) − start of run g
        const ends = count === 0 ? starts : cat([starts.narrow(0, 1, count - 1), full([1], m, { dtype: 'int32', device: x.device })]);
        r.counts = ends.sub(starts);
      }
      return r;
    },
  };
}

function uniqueBuild(x: Tensor, a: UniqueArgs): () => Stage<UniqueResult> {
  return () =>
    noGrad(() => {
      if (a.dim === undefined) {
        const n = x.numel();
        return uniqueStage(x, reshape(x, [n, 1]), a, (v, count) => reshape(v, [count]), x.shape);
      }
      const d = a.dim;
      const others = x.shape.map((_, i) => i).filter((i) => i !== d);
      const m = x.shape[d];
      const moved = permute(x, [d, ...others]);
      const back = x.shape.map((_, i) => (i < d ? i + 1 : i === d ? 0 : i));
      const rows = reshape(moved, [m, numel(others.map((i) => x.shape[i]))]);
      const slice = others.map((i) => x.shape[i]);
      return uniqueStage(x, rows, a, (v, count) => permute(reshape(v, [count, ...slice]), back).contiguous(), [m]);
    });
}

/**
 * The unique elements of `x`, sorted ascending (`torch.unique`), of x's flattened values or —
 * with `dim` — the unique slices along `dim` (sorted lexicographically). Optionally `inverse`
 * (each element's position in `values`, shaped like x; [x.shape[dim]] with `dim`) and `counts`,
 * both int32. As PyTorch's sorted unique (and the array API standard), each NaN is distinct from
 * every other NaN, so every NaN of the input appears (last); −0 and +0 are one value, reported as
 * whichever comes first in the input. Not differentiable. CPU only: on WebGPU use
 * {@link uniqueAsync} (a DeviceError says so).
 * @example
 * ```ts
 * unique(tensor([2, 1, 2, 3])).values; // [1, 2, 3]
 * const { values, inverse, counts } = unique(tensor([[1, 0], [1, 1]]), { returnInverse: true, returnCounts: true });
 * values; // [0, 1]
 * inverse; // [[1, 0], [1, 1]]
 * counts; // [1, 3]
 * unique(tensor([[1, 2], [0, 5], [1, 2]]), { dim: 0 }).values; // [[0, 5], [1, 2]]
 * ```
 */
export function unique(x: Tensor, opts: UniqueOptions = {}): UniqueResult {
  const a = uniqueArgs('unique', x, opts);
  return runSync('unique', [x], uniqueBuild(x, a));
}

/**
 * {@link unique} on any device: the sort, flags and compaction run on x's device and only the
 * number of unique values (4 bytes) is read back.
 * @example
 * ```ts
 * const { values, counts } = await uniqueAsync(tensor([1, 1, 4]), { returnCounts: true });
 * values; // [1, 4]
 * counts; // [2, 1]
 * ```
 */
export async function uniqueAsync(x: Tensor, opts: UniqueOptions = {}): Promise<UniqueResult> {
  const a = uniqueArgs('uniqueAsync', x, opts);
  return runAsync([x], uniqueBuild(x, a));
}
