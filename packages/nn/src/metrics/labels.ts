import { ArgumentError, DisposedError, ShapeError, type Tensor } from '@aimodel/tensor';
import { fmtShape } from '../checks';

// Turning predictions and targets into host arrays of class indices: the one place metrics read data.

/**
 * Class indices from a tensor: [N] (or [N, 1]) holds indices; [N, C] with C ≥ 2 holds scores,
 * probabilities or one-hot rows, reduced by argmax over dim 1.
 */
async function classIndices(name: string, t: Tensor, role: string): Promise<Int32Array> {
  if (t.isDisposed) throw new DisposedError(name, `${role} was disposed`);
  if (t.ndim === 2 && t.shape[1] >= 2) {
    const arg = t.argmax(1);
    try {
      return Int32Array.from(await arg.data());
    } finally {
      arg.dispose();
    }
  }
  if (t.ndim !== 1 && !(t.ndim === 2 && t.shape[1] === 1)) {
    throw new ShapeError(name, `${role} must be class indices [N] or scores [N, C], got ${fmtShape(t.shape)}`);
  }
  const values = await t.data();
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0) {
      throw new ArgumentError(name, `${role} class indices must be non-negative integers, got ${v} at position ${i} (threshold probabilities first)`);
    }
    out[i] = v;
  }
  return out;
}

/** Predicted and true class indices of equal, non-zero length. */
export async function readLabels(name: string, pred: Tensor, target: Tensor): Promise<{ pred: Int32Array; target: Int32Array }> {
  const p = await classIndices(name, pred, 'pred');
  const t = await classIndices(name, target, 'target');
  if (p.length !== t.length)
    throw new ShapeError(
      name,
      `pred ${fmtShape(pred.shape)} and target ${fmtShape(target.shape)} hold different numbers of samples (${p.length} != ${t.length})`,
    );
  if (p.length === 0) throw new ArgumentError(name, 'no samples');
  return { pred: p, target: t };
}

/**
 * The classes a metric reports on: 0 … numClasses − 1 when given (every label must be below it),
 * else the sorted labels present in pred or target (scikit-learn's `unique_labels`).
 */
export function labelsOf(name: string, pred: Int32Array, target: Int32Array, numClasses?: number): number[] {
  const present = new Set<number>([...pred, ...target]);
  if (numClasses === undefined) return [...present].sort((a, b) => a - b);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ArgumentError(name, `numClasses must be a positive integer, got ${numClasses}`);
  for (const v of present) {
    if (v >= numClasses) throw new ArgumentError(name, `class ${v} is out of range for numClasses ${numClasses}`);
  }
  return Array.from({ length: numClasses }, (_, i) => i);
}
