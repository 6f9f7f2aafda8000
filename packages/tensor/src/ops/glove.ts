import { isGradEnabled } from '../autograd/grad-mode';
import { backendOf } from '../device';
import { ArgumentError, checkOptions, DTypeError, ShapeError } from '../errors';
import { fmt, isContiguous } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';

/**
 * The co-occurrence entries {@link gloveStep_} trains on, struct-of-arrays, all of length N:
 * word ids `rows` and context ids `cols` (int32, 0-based), `logX` = log Xᵢⱼ and the weights
 * `weight` = f(Xᵢⱼ) (float32; precompute them once on upload).
 * @example
 * ```ts
 * const entries: GloveEntries = {
 *   rows: tensor([0, 1], { dtype: 'int32' }), cols: tensor([1, 0], { dtype: 'int32' }),
 *   logX: tensor([Math.log(3), Math.log(3)]), weight: tensor([0.5, 0.5]),
 * };
 * entries.rows.shape; // [2]
 * ```
 */
export interface GloveEntries {
  rows: Tensor;
  cols: Tensor;
  logX: Tensor;
  weight: Tensor;
}

/**
 * Options of {@link gloveStep_}.
 * @example
 * ```ts
 * const opts: GloveStepOptions = { start: 0, count: 2, learningRate: 0.05, gradClip: 100 };
 * ```
 */
export interface GloveStepOptions {
  /** First position of the batch in `order` (or in the entries when there is no order; default 0). */
  start?: number;
  /** Entries in the batch (default: from `start` to the end of the order or entries). */
  count?: number;
  /** int32 [M]: the batch visits entries order[start], …, order[start + count − 1] (a shuffle uploaded once per pass). */
  order?: Tensor;
  /** η of the vector steps (default 0.05). */
  learningRate?: number;
  /** Clip of fdiff·w before η (default 100). */
  gradClip?: number;
}

const KEYS = ['start', 'count', 'order', 'learningRate', 'gradClip'];

/**
 * Low-level training primitive (used by @aimodel/nlp's `trainGloVe`): one batch of GloVe updates
 * with the reference C implementation's AdaGrad rule, in place, outside autograd. `params` and
 * `gradsq` are contiguous float32 [2V, d + 1] (word rows 0 … V − 1, context rows V … 2V − 1, bias
 * last in each row; `gradsq` holds the AdaGrad accumulators, 1 at the start). For each entry a of
 * the batch, with wᵢ = params[rows[a]] and w̃ⱼ = params[V + cols[a]]: diff = wᵢ·w̃ⱼ + bᵢ + b̃ⱼ − logX[a],
 * fdiff = weight[a]·diff; entries whose diff or fdiff is not finite are skipped; then for both
 * vectors (each from the other's pre-update value) g = clip(fdiff·other, ±gradClip)·η,
 * w −= g/√G, G += g², and for both biases b −= fdiff/√G_b, G_b += fdiff². The batch's cost
 * Σ ½·fdiff·diff is added into the float32 vector `cost` (possibly spread over its elements: read
 * their sum; a cost of 64–256 elements keeps WebGPU's per-workgroup float32 sums short).
 *
 * The CPU applies the entries in order. WebGPU runs one invocation per entry, lock-free: entries
 * of one batch that share a word or context row race ("Hogwild"), so choose batches in which that
 * is rare; successive calls are ordered. Ids out of [0, V) throw on the CPU before any update
 * (WebGPU kernels cannot throw: such entries are skipped there). Returns `params`.
 *
 * @throws DTypeError, ShapeError or ArgumentError for wrong dtypes, shapes, layouts, shared
 * memory or options; DeviceError for tensors on different devices; DisposedError.
 * @example
 * ```ts
 * // V = 2 words, d = 1: rows [w0, b0], [w1, b1], [w̃0, b̃0], [w̃1, b̃1]
 * const params = tensor([[0.1, 0], [0.2, 0], [0.3, 0], [0.4, 0]]);
 * const gradsq = ones([4, 2]);
 * const entries = {
 *   rows: tensor([0], { dtype: 'int32' }), cols: tensor([1], { dtype: 'int32' }),
 *   logX: tensor([1]), weight: tensor([1]),
 * };
 * const cost = zeros([1]);
 * gloveStep_(params, gradsq, entries, cost);
 * cost.dataSync()[0]; // ½·(0.1·0.4 − 1)² ≈ 0.4608
 * params.dispose(); gradsq.dispose(); cost.dispose();
 * ```
 */
export function gloveStep_(params: Tensor, gradsq: Tensor, entries: GloveEntries, cost: Tensor, opts: GloveStepOptions = {}): Tensor {
  const op = 'gloveStep_';
  checkOptions(op, opts, KEYS);
  if (entries === null || typeof entries !== 'object') throw new ArgumentError(op, `entries must be { rows, cols, logX, weight }, got ${String(entries)}`);
  const { rows, cols, logX, weight } = entries;
  const named: [string, Tensor | undefined][] = [
    ['params', params],
    ['gradsq', gradsq],
    ['rows', rows],
    ['cols', cols],
    ['logX', logX],
    ['weight', weight],
    ['cost', cost],
  ];
  if (opts.order !== undefined) named.push(['order', opts.order]);
  for (const [n, t] of named) {
    if (t === null || typeof t !== 'object' || typeof (t as Tensor).dtype !== 'string') throw new ArgumentError(op, `${n} must be a Tensor, got ${String(t)}`);
  }
  const tensors = named.map(([, t]) => t as Tensor);
  checkInputs(op, tensors);
  for (const [n, t] of named) {
    const want = n === 'rows' || n === 'cols' || n === 'order' ? 'int32' : 'float32';
    if ((t as Tensor).dtype !== want) throw new DTypeError(op, `${n} must be ${want}, got ${(t as Tensor).dtype}`);
    if (!isContiguous((t as Tensor).shape, (t as Tensor).strides))
      throw new ArgumentError(op, `${n} must be contiguous, got shape ${fmt((t as Tensor).shape)} with strides ${fmt((t as Tensor).strides)}`);
  }
  if (params.ndim !== 2 || params.shape[0] % 2 !== 0 || params.shape[0] === 0 || params.shape[1] < 2) {
    throw new ShapeError(op, `params must have shape [2V, d + 1] with V ≥ 1 and d ≥ 1, got ${fmt(params.shape)}`);
  }
  if (gradsq.shape.length !== 2 || gradsq.shape[0] !== params.shape[0] || gradsq.shape[1] !== params.shape[1]) {
    throw new ShapeError(op, `gradsq must have params' shape ${fmt(params.shape)}, got ${fmt(gradsq.shape)}`);
  }
  const N = rows.shape[0];
  for (const [n, t] of [
    ['rows', rows],
    ['cols', cols],
    ['logX', logX],
    ['weight', weight],
  ] as const) {
    if (t.ndim !== 1 || t.shape[0] !== N) throw new ShapeError(op, `${n} must have shape [${N}] (as rows), got ${fmt(t.shape)}`);
  }
  if (cost.ndim !== 1 || cost.shape[0] < 1) throw new ShapeError(op, `cost must be a 1-D tensor of at least one element, got ${fmt(cost.shape)}`);
  const order = opts.order;
  if (order && order.ndim !== 1) throw new ShapeError(op, `order must be 1-D, got ${fmt(order.shape)}`);
  const length = order ? order.shape[0] : N;
  const start = opts.start ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > length) throw new ArgumentError(op, `start must be an integer in [0, ${length}], got ${String(start)}`);
  const count = opts.count ?? length - start;
  if (!Number.isInteger(count) || count < 0 || start + count > length) {
    throw new ArgumentError(
      op,
      `count must be an integer in [0, ${length - start}] (start ${start}, ${order ? 'order' : 'entries'} of ${length}), got ${String(count)}`,
    );
  }
  for (const k of ['learningRate', 'gradClip'] as const) {
    const v = opts[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0))
      throw new ArgumentError(op, `${k} must be a finite number > 0, got ${String(v)}`);
  }
  for (const [n, t] of named.slice(0, 2).concat([['cost', cost]])) {
    if ((t as Tensor).requiresGrad && isGradEnabled())
      throw new ArgumentError(op, `${n} requires grad: an in-place update would bypass autograd (run it inside noGrad(), or update a detached tensor)`);
    for (const [m, u] of named) {
      if (m !== n && (u as Tensor)._storage === (t as Tensor)._storage)
        throw new ArgumentError(op, `${n} shares memory with ${m}; the tensors it updates must not alias another input`);
    }
  }
  const V = params.shape[0] / 2;
  const be = backendOf(params.device);
  if (be.readSync && count > 0) {
    // Host memory: reject an id out of range before any update (a kernel cannot throw on WebGPU).
    const ids = order ? be.readSync({ ...order._view(), shape: [count], offset: order.offset + start }) : undefined;
    const r = be.readSync(rows._view());
    const c = be.readSync(cols._view());
    for (let i = 0; i < count; i++) {
      const a = ids ? ids[i] : start + i;
      if (!(a >= 0 && a < N)) throw new ArgumentError(op, `order[${start + i}] = ${a} is out of range for ${N} entries`);
      if (!(r[a] >= 0 && r[a] < V) || !(c[a] >= 0 && c[a] < V))
        throw new ArgumentError(op, `entry ${a} has ids (${r[a]}, ${c[a]}), expected both in [0, ${V})`);
    }
  }
  if (count === 0) return params;
  be.gloveStep(params._view(), gradsq._view(), rows._view(), cols._view(), logX._view(), weight._view(), order ? order._view() : null, cost._view(), {
    vocabSize: V,
    dim: params.shape[1] - 1,
    eta: opts.learningRate ?? 0.05,
    clip: opts.gradClip ?? 100,
    start,
    count,
  });
  return params;
}
