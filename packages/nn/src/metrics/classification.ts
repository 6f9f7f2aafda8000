import { ArgumentError, type Tensor } from '@aimodel/tensor';
import { checkKeys } from '../checks';
import { labelsOf, readLabels } from './labels';

/**
 * Options of {@link precision}, {@link recall} and {@link f1}.
 * @example
 * ```ts
 * const logits = randn([6, 3]);
 * const labels = tensor([0, 1, 2, 2, 1, 0], { dtype: 'int32' });
 * await f1(logits, labels, { average: 'macro' });
 * ```
 */
export interface AverageOptions {
  /**
   * `'binary'` (default): the score of class `posLabel` only (at most two classes);
   * `'micro'`: from the true/false positives and negatives summed over classes;
   * `'macro'`: the unweighted mean of the per-class scores;
   * `'weighted'`: the per-class scores weighted by support (the number of true samples).
   */
  average?: 'binary' | 'macro' | 'micro' | 'weighted';
  /** The positive class for `average: 'binary'` (default 1). */
  posLabel?: number;
  /** Report on classes 0 … numClasses − 1 (default: the classes present in pred or target). */
  numClasses?: number;
}

/** Per-class true positives, false positives, false negatives. */
export interface ClassCounts {
  labels: number[];
  tp: number[];
  fp: number[];
  fn: number[];
}

/** Precision, recall, F1 and support of each class, with scikit-learn's zero-division rule (0/0 → 0). */
export interface ClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function countClasses(pred: Int32Array, target: Int32Array, labels: number[]): ClassCounts {
  const at = new Map(labels.map((l, i) => [l, i]));
  const zeros = () => new Array<number>(labels.length).fill(0);
  const c: ClassCounts = { labels, tp: zeros(), fp: zeros(), fn: zeros() };
  for (let i = 0; i < pred.length; i++) {
    const p = at.get(pred[i]);
    const t = at.get(target[i]);
    if (pred[i] === target[i]) {
      if (p !== undefined) c.tp[p]++;
    } else {
      if (p !== undefined) c.fp[p]++;
      if (t !== undefined) c.fn[t]++;
    }
  }
  return c;
}

export function scoresOf(c: ClassCounts): ClassScores {
  return {
    precision: c.tp.map((tp, i) => ratio(tp, tp + c.fp[i])),
    recall: c.tp.map((tp, i) => ratio(tp, tp + c.fn[i])),
    f1: c.tp.map((tp, i) => ratio(2 * tp, 2 * tp + c.fp[i] + c.fn[i])),
    support: c.tp.map((tp, i) => tp + c.fn[i]),
  };
}

type Score = 'precision' | 'recall' | 'f1';

/** One averaged score from the per-class counts. */
export function averageScore(c: ClassCounts, score: Score, average: 'macro' | 'micro' | 'weighted'): number {
  if (average === 'micro') {
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const [tp, fp, fn] = [sum(c.tp), sum(c.fp), sum(c.fn)];
    if (score === 'precision') return ratio(tp, tp + fp);
    if (score === 'recall') return ratio(tp, tp + fn);
    return ratio(2 * tp, 2 * tp + fp + fn);
  }
  const s = scoresOf(c);
  const values = s[score];
  if (average === 'macro') return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
  const total = s.support.reduce((a, b) => a + b, 0);
  return ratio(
    values.reduce((a, v, i) => a + v * s.support[i], 0),
    total,
  );
}

async function averaged(name: Score, pred: Tensor, target: Tensor, opts: AverageOptions): Promise<number> {
  checkKeys(name, opts, ['average', 'posLabel', 'numClasses']);
  const average = opts.average ?? 'binary';
  const labels = await readLabels(name, pred, target);
  if (average === 'binary') {
    const posLabel = opts.posLabel ?? 1;
    const present = labelsOf(name, labels.pred, labels.target);
    if (opts.numClasses !== undefined) labelsOf(name, labels.pred, labels.target, opts.numClasses);
    if (present.length > 2) {
      throw new ArgumentError(name, `average 'binary' needs at most two classes, got [${present.join(', ')}] (use 'macro', 'micro' or 'weighted')`);
    }
    if (present.length === 2 && !present.includes(posLabel)) {
      throw new ArgumentError(name, `posLabel ${posLabel} is not one of the classes [${present.join(', ')}]`);
    }
    const c = countClasses(labels.pred, labels.target, [posLabel]);
    return scoresOf(c)[name][0];
  }
  if (average !== 'macro' && average !== 'micro' && average !== 'weighted') {
    throw new ArgumentError(name, `average must be 'binary', 'macro', 'micro' or 'weighted', got '${String(average)}'`);
  }
  const classes = labelsOf(name, labels.pred, labels.target, opts.numClasses);
  return averageScore(countClasses(labels.pred, labels.target, classes), name, average);
}

/**
 * Fraction of samples whose predicted class equals the target: (1/N)·Σ [predₙ = targetₙ].
 * `pred`: class indices [N], or scores / probabilities / logits [N, C] (argmax over dim 1);
 * `target`: class indices [N] (or one-hot [N, C]).
 * @example
 * ```ts
 * await accuracy(tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), tensor([0, 1, 1], { dtype: 'int32' })); // 2/3
 * ```
 */
export async function accuracy(pred: Tensor, target: Tensor): Promise<number> {
  const { pred: p, target: t } = await readLabels('accuracy', pred, target);
  let hits = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) hits++;
  return hits / p.length;
}

/**
 * Precision tp / (tp + fp) (scikit-learn's `precision_score`; 0 when nothing is predicted positive).
 * Inputs as {@link accuracy}; averaging per {@link AverageOptions}.
 * @example
 * ```ts
 * const y = tensor([0, 1, 1, 0], { dtype: 'int32' });
 * await precision(tensor([1, 1, 0, 0], { dtype: 'int32' }), y); // tp 1, fp 1 → 0.5
 * ```
 */
export function precision(pred: Tensor, target: Tensor, opts: AverageOptions = {}): Promise<number> {
  return averaged('precision', pred, target, opts);
}

/**
 * Recall tp / (tp + fn) (scikit-learn's `recall_score`; 0 for a class with no true samples).
 * @example
 * ```ts
 * const y = tensor([0, 1, 1, 1], { dtype: 'int32' });
 * await recall(tensor([1, 1, 0, 1], { dtype: 'int32' }), y); // tp 2, fn 1 → 0.6667
 * ```
 */
export function recall(pred: Tensor, target: Tensor, opts: AverageOptions = {}): Promise<number> {
  return averaged('recall', pred, target, opts);
}

/**
 * F1 score 2·tp / (2·tp + fp + fn), the harmonic mean of precision and recall (scikit-learn's
 * `f1_score`; 'macro' averages the per-class F1 scores, 'micro' uses the summed counts).
 * @example
 * ```ts
 * await f1(tensor([0, 2, 1, 0], { dtype: 'int32' }), tensor([0, 1, 1, 2], { dtype: 'int32' }), { average: 'macro' });
 * ```
 */
export function f1(pred: Tensor, target: Tensor, opts: AverageOptions = {}): Promise<number> {
  return averaged('f1', pred, target, opts);
}

/**
 * Options of {@link confusionMatrix}.
 * @example
 * ```ts
 * const pred = randint(0, 10, [50]);
 * const target = randint(0, 10, [50]);
 * await confusionMatrix(pred, target, { numClasses: 10 });
 * ```
 */
export interface ConfusionMatrixOptions {
  /** Number of classes (default: 1 + the largest class seen in pred or target). */
  numClasses?: number;
}

/**
 * Confusion matrix m[i][j] = number of samples of true class i predicted as class j
 * (rows = true class, as scikit-learn's `confusion_matrix`).
 * @example
 * ```ts
 * await confusionMatrix(tensor([0, 1, 1], { dtype: 'int32' }), tensor([0, 0, 1], { dtype: 'int32' }));
 * // [[1, 1], [0, 1]]
 * ```
 */
export async function confusionMatrix(pred: Tensor, target: Tensor, opts: ConfusionMatrixOptions = {}): Promise<number[][]> {
  const name = 'confusionMatrix';
  checkKeys(name, opts, ['numClasses']);
  const { pred: p, target: t } = await readLabels(name, pred, target);
  let n = opts.numClasses;
  if (n === undefined) {
    n = 0;
    for (let i = 0; i < p.length; i++) n = Math.max(n, p[i] + 1, t[i] + 1);
  } else {
    labelsOf(name, p, t, n);
  }
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < p.length; i++) m[t[i]][p[i]]++;
  return m;
}
