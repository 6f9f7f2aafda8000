import { ArgumentError, type Tensor } from '@aimodel/tensor';
import { checkKeys } from '../checks';
import { averageScore, countClasses, scoresOf } from './classification';
import { labelsOf, readLabels } from './labels';

/**
 * Options of {@link classificationReport}.
 * @example
 * ```ts
 * const pred = tensor([0, 1, 2, 2, 1], { dtype: 'int32' });
 * const target = tensor([0, 1, 2, 1, 1], { dtype: 'int32' });
 * await classificationReport(pred, target, { targetNames: ['cat', 'dog', 'bird'], digits: 3 });
 * ```
 */
export interface ClassificationReportOptions {
  /** A display name per class (default: the class index). Implies classes 0 … length − 1. */
  targetNames?: readonly string[];
  /** Decimal places of the scores (default 2). */
  digits?: number;
  /** Report on classes 0 … numClasses − 1 (default: the classes present, or `targetNames`). */
  numClasses?: number;
}

/**
 * `x` with `digits` decimals, rounding an exact tie to even as Python's `format(x, '.2f')`
 * (JavaScript's toFixed rounds ties up: 0.625 → "0.63" where Python prints "0.62").
 */
export function formatFixed(x: number, digits: number): string {
  const up = x.toFixed(digits);
  if (!Number.isFinite(x) || x < 0) return up;
  const exact = x.toFixed(Math.min(100, digits + 60)); // a binary fraction's tail is exact here
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  const isTie = tail[0] === '5' && /^5?0*$/.test(tail);
  if (!isTie || Number(up.at(-1)) % 2 === 0) return up;
  return digits === 0 ? exact.slice(0, dot) : exact.slice(0, dot + 1 + digits); // round the tie down to the even neighbour
}

/**
 * A text report of per-class precision, recall, F1 and support, then the accuracy, macro
 * average and support-weighted average — laid out exactly as scikit-learn's
 * `classification_report` (names right-aligned to the longest name or "weighted avg",
 * columns 9 wide, a blank line after the header and after the class rows):
 * ```
 *               precision    recall  f1-score   support
 *
 *            0       0.50      1.00      0.67         1
 *            1       0.00      0.00      0.00         1
 *            2       1.00      0.67      0.80         3
 *
 *     accuracy                           0.60         5
 *    macro avg       0.50      0.56      0.49         5
 * weighted avg       0.70      0.60      0.61         5
 * ```
 * Inputs as {@link accuracy}; 0/0 scores are 0.
 * @example
 * ```ts
 * const target = tensor([0, 1, 2, 2, 2], { dtype: 'int32' });
 * const pred = tensor([0, 0, 2, 2, 1], { dtype: 'int32' });
 * console.log(await classificationReport(pred, target)); // the table above
 * ```
 */
export async function classificationReport(pred: Tensor, target: Tensor, opts: ClassificationReportOptions = {}): Promise<string> {
  const name = 'classificationReport';
  checkKeys(name, opts, ['targetNames', 'digits', 'numClasses']);
  const digits = opts.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) throw new ArgumentError(name, `digits must be an integer in [0, 20], got ${digits}`);
  const { pred: p, target: t } = await readLabels(name, pred, target);
  const names = opts.targetNames;
  if (names && opts.numClasses !== undefined && names.length !== opts.numClasses) {
    throw new ArgumentError(name, `targetNames has ${names.length} names but numClasses is ${opts.numClasses}`);
  }
  const labels = labelsOf(name, p, t, opts.numClasses ?? names?.length);
  const rowNames = names ? [...names] : labels.map(String);

  const counts = countClasses(p, t, labels);
  const s = scoresOf(counts);
  const total = s.support.reduce((a, b) => a + b, 0);
  const width = Math.max(...rowNames.map((n) => n.length), 'weighted avg'.length, digits);
  const col = (v: string) => ` ${v.padStart(9)}`;
  const row = (label: string, cells: string[]) => `${label.padStart(width)} ${cells.map(col).join('')}\n`;
  const num = (v: number) => formatFixed(v, digits);

  let report = row('', ['precision', 'recall', 'f1-score', 'support']).replace(/\n$/, '\n\n');
  labels.forEach((_, i) => {
    report += row(rowNames[i], [num(s.precision[i]), num(s.recall[i]), num(s.f1[i]), String(s.support[i])]);
  });
  report += '\n';
  report += row('accuracy', ['', '', num(averageScore(counts, 'f1', 'micro')), String(total)]);
  for (const average of ['macro', 'weighted'] as const) {
    const cells = (['precision', 'recall', 'f1'] as const).map((k) => num(averageScore(counts, k, average)));
    report += row(`${average} avg`, [...cells, String(total)]);
  }
  return report;
}
