import type { DeviceName } from '../backend/backend';
import { arange } from '../creation';
import { ArgumentError, ShapeError } from '../errors';
import { scope } from '../memory';
import { contiguousStrides, fmt } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp } from './define-op';

/**
 * Options of {@link pad}.
 * @example
 * ```ts
 * const x = randn([1, 1, 4, 4]);
 * pad(x, [1, 1, 2, 2], { mode: 'reflect' });
 * ```
 */
export interface PadOptions {
  /** `'constant'` (default), `'reflect'`, `'replicate'` or `'circular'`, as `torch.nn.functional.pad`. */
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular';
  /** Fill value for `'constant'` (default 0). */
  value?: number;
}

interface PadAttrs {
  /** [before, after] per dim, all ≥ 0. */
  pads: [number, number][];
  value: number;
}

const constantPad = defineOp<PadAttrs>('pad', {
  infer: ([x], { pads }) => ({ shape: x.shape.map((d, i) => d + pads[i][0] + pads[i][1]), dtype: x.dtype }),
  forward: (be, [x], out, { pads, value }, shape) => {
    const strides = contiguousStrides(shape);
    be.fill({ storage: out, shape, strides, offset: 0 }, value);
    const offset = pads.reduce((o, [before], i) => o + before * strides[i], 0);
    be.copy(x, { storage: out, shape: x.shape, strides, offset });
  },
  backward: (gy, [x], _out, { pads }) => [() => pads.reduce((g, [before], i) => g.narrow(i, before, x.shape[i]), gy)],
});

/**
 * Source index along one dim for each padded position, per mode, made on the tensor's device
 * from i = −before … n + after − 1 (no index table is uploaded): replicate clamps i to [0, n−1];
 * reflect (|before|, |after| ≤ n − 1) is (n−1) − |(n−1) − |i||; circular (≤ n) adds n below 0 and
 * subtracts n from n on.
 */
function sourceIndex(mode: 'reflect' | 'replicate' | 'circular', n: number, before: number, after: number, device: DeviceName): Tensor {
  const i = arange(-before, n + after, 1, { dtype: 'int32', device });
  if (mode === 'replicate') return i.maximum(0).minimum(n - 1);
  if (mode === 'reflect')
    return i
      .abs()
      .neg()
      .add(n - 1)
      .abs()
      .neg()
      .add(n - 1);
  return i.add(i.lt(0).to('int32').mul(n)).sub(i.ge(n).to('int32').mul(n));
}

/**
 * Pad (or, with negative amounts, crop) the last dims. `padding` lists [before, after] pairs
 * starting from the last dim, as `torch.nn.functional.pad`: [left, right, top, bottom, …].
 * @example
 * ```ts
 * pad(tensor([[1, 2]]), [1, 1]);                      // [[0, 1, 2, 0]]
 * pad(tensor([[1, 2, 3]]), [2, 0], { mode: 'reflect' }); // [[3, 2, 1, 2, 3]]
 * ```
 */
export function pad(x: Tensor, padding: readonly number[], opts: PadOptions = {}): Tensor {
  const mode = opts.mode ?? 'constant';
  const pads = checkPad(x, padding, mode);
  return scope(() => {
    if (mode === 'constant') {
      // negative amounts crop first (views), then one op pads what remains
      const y = pads.reduce((t, [b, a], i) => (b < 0 || a < 0 ? t.narrow(i, Math.max(0, -b), t.shape[i] - Math.max(0, -b) - Math.max(0, -a)) : t), x);
      const positive = pads.map(([b, a]) => [Math.max(0, b), Math.max(0, a)] as [number, number]);
      return positive.some(([b, a]) => b || a) ? constantPad([y], { pads: positive, value: opts.value ?? 0 }) : y.clone();
    }
    let y = x;
    pads.forEach(([b, a], i) => {
      if (!b && !a) return;
      const n = x.shape[i];
      y = y.indexSelect(i, sourceIndex(mode, n, b, a, x.device));
    });
    return y === x ? x.clone() : y;
  });
}

/** The checks of {@link pad} (a composite: crops, a fill op or gathers); returns [before, after] per dim. */
function checkPad(x: Tensor, padding: readonly number[], mode: string): [number, number][] {
  checkInputs('pad', [x]);
  if (padding.length % 2 || padding.length > 2 * x.ndim || padding.some((p) => !Number.isInteger(p))) {
    throw new ArgumentError('pad', `padding must be integer pairs for at most ${x.ndim} dims, got ${fmt(padding)}`);
  }
  const pads: [number, number][] = x.shape.map(() => [0, 0]);
  for (let k = 0; k < padding.length / 2; k++) pads[x.ndim - 1 - k] = [padding[2 * k], padding[2 * k + 1]];
  if (mode === 'constant') {
    pads.forEach(([b, a], i) => {
      if (x.shape[i] - Math.max(0, -b) - Math.max(0, -a) < 0) {
        throw new ShapeError('pad', `negative padding ${fmt(padding)} crops more than dim ${i} of ${fmt(x.shape)} holds`);
      }
    });
    return pads;
  }
  if (mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
    throw new ArgumentError('pad', `unknown mode '${String(mode)}' (expected constant, reflect, replicate or circular)`);
  }
  pads.forEach(([b, a], i) => {
    if (!b && !a) return;
    const n = x.shape[i];
    const limit = mode === 'reflect' ? n - 1 : mode === 'circular' ? n : Infinity;
    if (b < 0 || a < 0 || b > limit || a > limit || n === 0) {
      throw new ShapeError('pad', `${mode} padding ${b},${a} is invalid for dim ${i} of size ${n} (expected 0..${limit})`);
    }
  });
  return pads;
}

/**
 * Repeat the whole tensor `reps[i]` times along each dim (missing leading reps count as 1;
 * extra reps add leading dims), as `torch.tile`.
 * @example
 * ```ts
 * tile(tensor([1, 2]), [2]);    // [1, 2, 1, 2]
 * tile(tensor([1, 2]), [2, 1]); // [[1, 2], [1, 2]]
 * ```
 */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  checkInputs('tile', [x]);
  checkReps('tile', reps);
  return tiled(x, reps);
}

function checkReps(op: string, reps: readonly number[]): void {
  if (reps.some((r) => !Number.isInteger(r) || r < 0)) throw new ArgumentError(op, `reps must be non-negative integers, got ${fmt(reps)}`);
}

/** `x` repeated by checked `reps`. */
function tiled(x: Tensor, reps: readonly number[]): Tensor {
  const rank = Math.max(reps.length, x.ndim);
  const r = [...new Array<number>(rank - reps.length).fill(1), ...reps];
  const shape = [...new Array<number>(rank - x.ndim).fill(1), ...x.shape];
  return scope(() => {
    // [a, b] → [1, a, 1, b] → expand [ra, a, rb, b] → reshape [ra·a, rb·b]; expand's gradient sums the copies
    const interleaved = shape.flatMap((d) => [1, d]);
    const expanded = shape.flatMap((d, i) => [r[i], d]);
    return x
      .reshape(interleaved)
      .expand(expanded)
      .reshape(shape.map((d, i) => d * r[i]));
  });
}

/**
 * `torch.Tensor.repeat`: like {@link tile}, but `reps` must cover every dim.
 * @example
 * ```ts
 * repeat(tensor([[1, 2]]), [2, 2]); // [[1, 2, 1, 2], [1, 2, 1, 2]]
 * ```
 */
export function repeat(x: Tensor, reps: readonly number[]): Tensor {
  checkInputs('repeat', [x]);
  if (reps.length < x.ndim) throw new ShapeError('repeat', `reps ${fmt(reps)} must have at least as many entries as the tensor has dims (${x.ndim})`);
  checkReps('repeat', reps);
  return tiled(x, reps);
}
