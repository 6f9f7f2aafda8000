import { ArgumentError, DeviceError, DTypeError, noGrad, ShapeError, scope, Tensor } from '@aimodel/tensor';

const OP = 'federatedAverage';

/**
 * The server step of federated averaging (FedAvg, McMahan et al. 2017): the weighted mean of
 * clients' state dicts, key by key, `Σᵢ wᵢ·dictᵢ[k] / Σᵢ wᵢ`. Pass each client's number of
 * training samples as its weight (equal weights when `weights` is left out). Every dict must
 * have the same keys, and each key the same shape, dtype and device in every dict. Float
 * tensors are averaged in float32; integer tensors (e.g. BatchNorm's `num_batches_tracked`) get
 * the weighted mean rounded to the nearest integer (ties to even) in their own dtype; bool
 * tensors are rejected. The result holds new tensors (no gradient history) that the caller
 * owns: load them with `model.loadStateDict(avg)` and dispose them.
 * @example
 * ```ts
 * const server = new Linear(2, 1);
 * const a = new Linear(2, 1); // two clients, trained apart (here: set by hand)
 * const b = new Linear(2, 1);
 * a.loadStateDict({ weight: tensor([[1, 2]]), bias: tensor([0]) });
 * b.loadStateDict({ weight: tensor([[3, 6]]), bias: tensor([4]) });
 * const avg = federatedAverage([a.stateDict(), b.stateDict()], [300, 100]); // a had 300 samples, b 100
 * await avg.weight.toArray(); // [[1.5, 3]] = (300·[1, 2] + 100·[3, 6]) / 400
 * await avg.bias.toArray(); // [1]
 * server.loadStateDict(avg);
 * for (const t of Object.values(avg)) t.dispose();
 * ```
 */
export function federatedAverage(stateDicts: readonly Record<string, Tensor>[], weights?: readonly number[]): Record<string, Tensor> {
  if (!Array.isArray(stateDicts) || stateDicts.length === 0) {
    throw new ArgumentError(OP, `expected a non-empty array of state dicts, got ${Array.isArray(stateDicts) ? 'an empty array' : describe(stateDicts)}`);
  }
  const n = stateDicts.length;
  const share = normalisedWeights(weights, n);
  stateDicts.forEach((d, i) => {
    if (d === null || typeof d !== 'object' || Array.isArray(d) || d instanceof Tensor) {
      throw new ArgumentError(OP, `state dict ${i} must be a record of tensors (e.g. model.stateDict()), got ${describe(d)}`);
    }
  });
  const keys = Object.keys(stateDicts[0] as Record<string, Tensor>);
  for (let i = 1; i < n; i++) {
    const own = Object.keys(stateDicts[i] as Record<string, Tensor>);
    const missing = keys.filter((k) => !own.includes(k));
    const unexpected = own.filter((k) => !keys.includes(k));
    if (missing.length || unexpected.length) {
      throw new ArgumentError(OP, `state dict ${i} has other keys than state dict 0: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
  }
  for (const k of keys) checkEntry(stateDicts, k);
  return noGrad(() =>
    scope(() => {
      const out: Record<string, Tensor> = {};
      for (const k of keys) {
        const first = (stateDicts[0] as Record<string, Tensor>)[k] as Tensor;
        let acc = first.to('float32').mul(share[0] as number);
        for (let i = 1; i < n; i++) acc = acc.add(((stateDicts[i] as Record<string, Tensor>)[k] as Tensor).to('float32').mul(share[i] as number));
        out[k] = first.dtype === 'float32' ? acc : acc.round().to(first.dtype);
      }
      return out;
    }),
  );
}

/** The weights divided by their sum, after checking them (one finite, non-negative number per dict). */
function normalisedWeights(weights: readonly number[] | undefined, n: number): number[] {
  if (weights === undefined) return new Array<number>(n).fill(1 / n);
  if (!Array.isArray(weights) || weights.length !== n) {
    const got = Array.isArray(weights) ? `${weights.length} weights` : describe(weights);
    throw new ArgumentError(OP, `expected ${n} weights (one per state dict, e.g. each client's sample count), got ${got}`);
  }
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new ArgumentError(OP, `weight ${i} must be a finite number ≥ 0, got ${typeof w === 'number' ? w : describe(w)}`);
    }
  });
  const total = weights.reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new ArgumentError(OP, `the weights must sum to a positive number, got sum ${total} ([${weights.join(', ')}])`);
  return weights.map((w) => w / total);
}

/** Entry `k` is a live tensor of one shape, dtype and device in every dict, and not bool. */
function checkEntry(stateDicts: readonly Record<string, Tensor>[], k: string): void {
  const first = (stateDicts[0] as Record<string, Tensor>)[k];
  stateDicts.forEach((d, i) => {
    const t = d[k];
    if (!(t instanceof Tensor)) throw new ArgumentError(OP, `state dict ${i}: '${k}' must be a Tensor, got ${describe(t)}`);
    if (t.isDisposed) throw new ArgumentError(OP, `state dict ${i}: '${k}' was disposed`);
  });
  const ref = first as Tensor;
  if (ref.dtype === 'bool') throw new DTypeError(OP, `'${k}' is a bool tensor, which has no average (expected float or integer tensors)`);
  stateDicts.forEach((d, i) => {
    const t = d[k] as Tensor;
    if (t.shape.length !== ref.shape.length || t.shape.some((s, j) => s !== ref.shape[j])) {
      throw new ShapeError(OP, `'${k}' has shape [${t.shape}] in state dict ${i} but [${ref.shape}] in state dict 0`);
    }
    if (t.dtype !== ref.dtype) throw new DTypeError(OP, `'${k}' is ${t.dtype} in state dict ${i} but ${ref.dtype} in state dict 0`);
    if (t.device !== ref.device) {
      throw new DeviceError(OP, `'${k}' is on ${t.device} in state dict ${i} but on ${ref.device} in state dict 0 (move the models to one device first)`);
    }
  });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Tensor) return `a Tensor of shape [${v.shape}]`;
  return typeof v;
}
