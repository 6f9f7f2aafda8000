import { ArgumentError, DisposedError, ShapeError, type Tensor } from '@aimodel/tensor';
import { checkKeys, fmtShape } from '../checks';

/**
 * Options of {@link rocAuc}.
 * @example
 * ```ts
 * const probs = softmax(randn([8, 3]), 1);
 * const labels = tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });
 * await rocAuc(probs, labels, { average: 'weighted' });
 * ```
 */
export interface RocAucOptions {
  /** Multiclass only: `'macro'` (default) mean of the one-vs-rest AUCs, or `'weighted'` by class support. */
  average?: 'macro' | 'weighted';
}

/** Ranks 1 … n of `scores` in ascending order, tied values sharing their average rank. */
function averageRanks(scores: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1; // positions i … j (0-based) share the mean rank
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Area under the ROC curve of `scores` for the samples where `positive` holds, by the
 * Mann–Whitney statistic: AUC = (Σ ranks of positives − P(P + 1)/2) / (P·Q) with P positives,
 * Q negatives and tied scores given average ranks (a tie between a positive and a negative
 * counts ½, the trapezoid of the ROC curve).
 */
function binaryAuc(name: string, scores: ArrayLike<number>, positive: (i: number) => boolean, what: string): number {
  const ranks = averageRanks(scores);
  let P = 0;
  let rankSum = 0;
  for (let i = 0; i < ranks.length; i++) {
    if (positive(i)) {
      P++;
      rankSum += ranks[i];
    }
  }
  const Q = ranks.length - P;
  if (P === 0 || Q === 0) throw new ArgumentError(name, `only one class present in target${what}; ROC AUC is not defined`);
  return (rankSum - (P * (P + 1)) / 2) / (P * Q);
}

/**
 * Area under the receiver operating characteristic curve (scikit-learn's `roc_auc_score`).
 * - Binary: `scores` [N] (or [N, 1]) — higher means more likely class 1 — and `target` [N] of
 *   0/1 (or bool). Ties are handled by average ranks, so the result equals the trapezoidal area.
 * - Multiclass: `scores` [N, C] (e.g. probabilities) and `target` [N] class indices in [0, C):
 *   one-vs-rest AUC of each class (column c against target = c), averaged ('macro' by default,
 *   or 'weighted' by support). Every class must occur in `target`.
 * @example
 * ```ts
 * await rocAuc(tensor([0.1, 0.4, 0.35, 0.8]), tensor([0, 0, 1, 1], { dtype: 'int32' })); // 0.75
 * ```
 */
export async function rocAuc(scores: Tensor, target: Tensor, opts: RocAucOptions = {}): Promise<number> {
  const name = 'rocAuc';
  checkKeys(name, opts, ['average']);
  if (scores.isDisposed || target.isDisposed) throw new DisposedError(name, 'scores or target was disposed');
  const average = opts.average ?? 'macro';
  if (average !== 'macro' && average !== 'weighted') throw new ArgumentError(name, `average must be 'macro' or 'weighted', got '${String(average)}'`);
  if (!(scores.ndim === 1 || scores.ndim === 2)) throw new ShapeError(name, `scores must be [N] or [N, C], got ${fmtShape(scores.shape)}`);
  const flatTarget = target.ndim === 2 && target.shape[1] === 1;
  if (!(target.ndim === 1 || flatTarget) || target.shape[0] !== scores.shape[0]) {
    throw new ShapeError(name, `target must be [${scores.shape[0]}] for scores ${fmtShape(scores.shape)}, got ${fmtShape(target.shape)}`);
  }
  const N = scores.shape[0];
  const C = scores.ndim === 2 ? scores.shape[1] : 1;
  const s = await scores.data();
  const y = await target.data();
  if (s.some(Number.isNaN)) throw new ArgumentError(name, 'scores contain NaN');
  if (C === 1) {
    for (const v of y) if (v !== 0 && v !== 1) throw new ArgumentError(name, `binary target must hold 0 and 1, got ${v}`);
    return binaryAuc(name, s, (i) => y[i] === 1, '');
  }
  for (const v of y) {
    if (!Number.isInteger(v) || v < 0 || v >= C) throw new ArgumentError(name, `target class ${v} is out of range for ${C} score columns`);
  }
  let total = 0;
  let weightSum = 0;
  const column = new Float32Array(N);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < N; i++) column[i] = s[i * C + c];
    const auc = binaryAuc(name, column, (i) => y[i] === c, ` for one-vs-rest class ${c}`);
    const w = average === 'weighted' ? y.filter((v) => v === c).length : 1;
    total += w * auc;
    weightSum += w;
  }
  return total / weightSum;
}
