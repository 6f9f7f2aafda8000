import { describe, expect, it } from 'vitest';
import {
  accuracy,
  ArgumentError,
  classificationReport,
  confusionMatrix,
  f1,
  memory,
  precision,
  recall,
  rocAuc,
  ShapeError,
  tensor,
  type TensorData,
} from '../src/index';

const int = (v: TensorData) => tensor(v, { dtype: 'int32' });
const close = (a: number, e: number, tol = 1e-6) => expect(Math.abs(a - e), `got ${a}, expected ${e}`).toBeLessThanOrEqual(tol);

/** AUC by its definition: P(score of a positive > score of a negative), ties counting ½. */
function pairwiseAuc(scores: number[], positive: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((sp, i) => {
    if (!positive[i]) return;
    scores.forEach((sn, j) => {
      if (positive[j]) return;
      pairs++;
      wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('accuracy', () => {
  it('class indices, logits (argmax) and one-hot targets', async () => {
    close(await accuracy(int([0, 1, 2, 1]), int([0, 2, 2, 1])), 0.75);
    close(
      await accuracy(
        tensor([
          [0.9, 0.1],
          [0.2, 0.8],
          [0.6, 0.4],
        ]),
        int([0, 1, 1]),
      ),
      2 / 3,
    );
    close(
      await accuracy(
        tensor([
          [2, 1, 0],
          [0, 0, 3],
        ]),
        tensor([
          [1, 0, 0],
          [0, 1, 0],
        ]),
      ),
      0.5,
    );
    close(await accuracy(tensor([1, 0, 1]), tensor([1, 1, 1])), 2 / 3); // integral float indices
    close(await accuracy(int([[1], [0]]), int([1, 1])), 0.5); // a column of indices
  });
  it('rejects mismatched lengths and non-integer indices; leaves memory flat', async () => {
    await expect(accuracy(int([0, 1]), int([0, 1, 1]))).rejects.toThrow(ShapeError);
    await expect(accuracy(tensor([0.3, 0.9]), int([0, 1]))).rejects.toThrow(ArgumentError);
    await expect(accuracy(tensor([[[1]]]), int([0]))).rejects.toThrow(ShapeError);
    const logits = tensor([
      [0.9, 0.1],
      [0.2, 0.8],
    ]);
    const y = int([0, 0]);
    const before = memory().tensors;
    await accuracy(logits, y);
    expect(memory().tensors).toBe(before);
  });
});

describe('precision, recall, f1 (scikit-learn definitions)', () => {
  it('binary: the positive class only; posLabel', async () => {
    const yTrue = int([0, 1, 1, 0, 1, 1, 0, 0]);
    const yPred = int([0, 1, 0, 1, 1, 1, 1, 0]);
    // class 1: tp = 3 (idx 1, 4, 5), fp = 2 (idx 3, 6), fn = 1 (idx 2)
    close(await precision(yPred, yTrue), 3 / 5);
    close(await recall(yPred, yTrue), 3 / 4);
    close(await f1(yPred, yTrue), (2 * 3) / (2 * 3 + 2 + 1));
    // class 0: tp = 2 (idx 0, 7), fp = 1 (idx 2), fn = 2 (idx 3, 6)
    close(await precision(yPred, yTrue, { posLabel: 0 }), 2 / 3);
    close(await recall(yPred, yTrue, { posLabel: 0 }), 2 / 4);
    close(await f1(yPred, yTrue, { posLabel: 0 }), 4 / 7);
    // probabilities [N, 2] go through argmax
    close(
      await precision(
        tensor([
          [0.9, 0.1],
          [0.3, 0.7],
          [0.4, 0.6],
        ]),
        int([0, 1, 0]),
      ),
      0.5,
    );
  });

  it('multiclass macro / micro / weighted (the scikit-learn user guide example)', async () => {
    const yTrue = int([0, 1, 2, 0, 1, 2]);
    const yPred = int([0, 2, 1, 0, 0, 1]);
    // per class: 0 → P 2/3, R 1, F1 0.8; 1 → 0, 0, 0; 2 → 0, 0, 0; support 2 each
    close(await precision(yPred, yTrue, { average: 'macro' }), 2 / 9);
    close(await precision(yPred, yTrue, { average: 'micro' }), 1 / 3);
    close(await precision(yPred, yTrue, { average: 'weighted' }), 2 / 9);
    close(await recall(yPred, yTrue, { average: 'macro' }), 1 / 3);
    close(await recall(yPred, yTrue, { average: 'micro' }), 1 / 3);
    close(await f1(yPred, yTrue, { average: 'macro' }), 0.8 / 3);
    close(await f1(yPred, yTrue, { average: 'micro' }), 1 / 3);
    close(await f1(yPred, yTrue, { average: 'weighted' }), 0.8 / 3);
  });

  it('weighted averages by support; macro F1 is the mean of per-class F1, not F1 of the means', async () => {
    const yTrue = int([0, 0, 0, 0, 1, 1, 2]);
    const yPred = int([0, 0, 1, 2, 1, 1, 1]);
    // 0: tp 2, fp 0, fn 2 → P 1, R .5, F1 2/3 (support 4)
    // 1: tp 2, fp 2, fn 0 → P .5, R 1, F1 2/3 (support 2)
    // 2: tp 0, fp 1, fn 1 → 0, 0, 0 (support 1)
    close(await precision(yPred, yTrue, { average: 'weighted' }), (4 * 1 + 2 * 0.5) / 7);
    close(await recall(yPred, yTrue, { average: 'weighted' }), (4 * 0.5 + 2 * 1) / 7);
    close(await f1(yPred, yTrue, { average: 'weighted' }), (4 * (2 / 3) + 2 * (2 / 3)) / 7);
    close(await f1(yPred, yTrue, { average: 'macro' }), (2 / 3 + 2 / 3) / 3);
    close(await precision(yPred, yTrue, { average: 'micro' }), 4 / 7);
  });

  it('zero division gives 0; numClasses adds absent classes to the macro average', async () => {
    // class 1 never predicted: precision 0/0 → 0
    close(await precision(int([0, 0, 0]), int([0, 1, 1])), 0);
    close(await recall(int([1, 1]), int([0, 0])), 0);
    close(await f1(int([0, 0]), int([0, 0])), 0); // no class 1 anywhere
    close(await precision(int([0, 1, 1]), int([0, 1, 0]), { average: 'macro' }), (1 + 0.5) / 2);
    close(await precision(int([0, 1, 1]), int([0, 1, 0]), { average: 'macro', numClasses: 4 }), (1 + 0.5) / 4);
  });

  it('rejects binary averaging of multiclass data and a missing posLabel', async () => {
    await expect(precision(int([0, 1, 2]), int([0, 1, 2]))).rejects.toThrow(ArgumentError);
    await expect(precision(int([0, 1, 2]), int([0, 1, 2]))).rejects.toThrow("precision: average 'binary' needs at most two classes");
    await expect(recall(int([0, 2]), int([2, 0]))).rejects.toThrow('recall: posLabel 1 is not one of the classes [0, 2]');
    await expect(f1(int([0, 5]), int([0, 1]), { average: 'macro', numClasses: 3 })).rejects.toThrow('class 5 is out of range for numClasses 3');
    await expect(f1(int([0, 1]), int([0, 1]), { average: 'samples' as 'macro' })).rejects.toThrow(ArgumentError);
  });
});

describe('confusionMatrix', () => {
  it('rows are true classes, columns predicted (the scikit-learn example)', async () => {
    const yTrue = int([2, 0, 2, 2, 0, 1]);
    const yPred = int([0, 0, 2, 2, 0, 2]);
    expect(await confusionMatrix(yPred, yTrue)).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
    expect(await confusionMatrix(yPred, yTrue, { numClasses: 4 })).toEqual([
      [2, 0, 0, 0],
      [0, 0, 1, 0],
      [1, 0, 2, 0],
      [0, 0, 0, 0],
    ]);
    expect(
      await confusionMatrix(
        tensor([
          [0.1, 0.9],
          [0.8, 0.2],
        ]),
        int([1, 1]),
      ),
    ).toEqual([
      [0, 0],
      [1, 1],
    ]);
    await expect(confusionMatrix(yPred, yTrue, { numClasses: 2 })).rejects.toThrow(ArgumentError);
  });
});

describe('classificationReport', () => {
  it('lays out the 3-class scikit-learn example exactly', async () => {
    const yTrue = int([0, 1, 2, 2, 2]);
    const yPred = int([0, 0, 2, 2, 1]);
    const report = await classificationReport(yPred, yTrue, { targetNames: ['class 0', 'class 1', 'class 2'] });
    const expected = [
      '              precision    recall  f1-score   support',
      '',
      '     class 0       0.50      1.00      0.67         1',
      '     class 1       0.00      0.00      0.00         1',
      '     class 2       1.00      0.67      0.80         3',
      '',
      '    accuracy                           0.60         5',
      '   macro avg       0.50      0.56      0.49         5',
      'weighted avg       0.70      0.60      0.61         5',
      '',
    ];
    const lines = report.split('\n');
    expect(lines.length).toBe(expected.length);
    lines.forEach((line, i) => expect(line, `line ${i}`).toBe(expected[i]));
  });

  it('widens to long names, rounds ties to even like Python, honours digits', async () => {
    // 0: tp 5, fp 3, fn 0 → P 0.625 (a tie: Python prints 0.62), R 1, F1 10/13, support 5
    // 1: tp 1, fp 1, fn 3 → P 0.5, R 0.25, F1 1/3, support 4
    // 2: tp 2, fp 0, fn 1 → P 1, R 2/3, F1 0.8, support 3
    const yTrue = int([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
    const yPred = int([0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 1]);
    const names = ['negative', 'neutral', 'very positive'];
    const two = (await classificationReport(yPred, yTrue, { targetNames: names })).split('\n');
    expect(two).toEqual([
      '               precision    recall  f1-score   support',
      '',
      '     negative       0.62      1.00      0.77         5',
      '      neutral       0.50      0.25      0.33         4',
      'very positive       1.00      0.67      0.80         3',
      '',
      '     accuracy                           0.67        12',
      '    macro avg       0.71      0.64      0.63        12',
      ' weighted avg       0.68      0.67      0.63        12',
      '',
    ]);
    const three = (await classificationReport(yPred, yTrue, { targetNames: names, digits: 3 })).split('\n');
    expect(three).toEqual([
      '               precision    recall  f1-score   support',
      '',
      '     negative      0.625     1.000     0.769         5',
      '      neutral      0.500     0.250     0.333         4',
      'very positive      1.000     0.667     0.800         3',
      '',
      '     accuracy                          0.667        12',
      '    macro avg      0.708     0.639     0.634        12',
      ' weighted avg      0.677     0.667     0.632        12',
      '',
    ]);
  });

  it('defaults to the class indices as names; checks targetNames', async () => {
    const report = await classificationReport(int([1, 0, 1]), int([1, 1, 1]));
    expect(report.split('\n').slice(0, 4)).toEqual([
      '              precision    recall  f1-score   support',
      '',
      '           0       0.00      0.00      0.00         0',
      '           1       1.00      0.67      0.80         3',
    ]);
    await expect(classificationReport(int([0, 2]), int([0, 2]), { targetNames: ['a', 'b'] })).rejects.toThrow(ArgumentError);
  });
});

describe('rocAuc', () => {
  it('binary, with tied scores counted by average ranks', async () => {
    close(await rocAuc(tensor([0.1, 0.4, 0.35, 0.8]), int([0, 0, 1, 1])), 0.75);
    const s = [0.1, 0.4, 0.4, 0.8, 0.4, 0.1, 0.7];
    const y = [0, 0, 1, 1, 1, 1, 0];
    const expected = pairwiseAuc(
      s,
      y.map((v) => v === 1),
    );
    close(await rocAuc(tensor(s), int(y)), expected);
    close(expected, 6.5 / 12); // 12 positive–negative pairs: 1.5 + 3 + 1.5 + 0.5 wins by hand
    close(await rocAuc(tensor([0.5, 0.5, 0.5]), int([0, 1, 1])), 0.5);
    close(await rocAuc(tensor([0.9, 0.1]), tensor([false, true])), 0);
  });

  it('multiclass one-vs-rest, macro and weighted', async () => {
    const scores = [
      [0.7, 0.2, 0.1],
      [0.3, 0.4, 0.3],
      [0.2, 0.2, 0.6],
      [0.5, 0.3, 0.2],
      [0.1, 0.8, 0.1],
      [0.3, 0.3, 0.4],
      [0.4, 0.4, 0.2],
    ];
    const y = [0, 1, 2, 1, 1, 2, 0];
    const per = [0, 1, 2].map((c) =>
      pairwiseAuc(
        scores.map((r) => r[c]),
        y.map((v) => v === c),
      ),
    );
    close(await rocAuc(tensor(scores), int(y)), (per[0] + per[1] + per[2]) / 3);
    close(await rocAuc(tensor(scores), int(y), { average: 'weighted' }), (2 * per[0] + 3 * per[1] + 2 * per[2]) / 7);
  });

  it('rejects a single class and bad shapes', async () => {
    await expect(rocAuc(tensor([0.2, 0.4]), int([1, 1]))).rejects.toThrow('rocAuc: only one class present in target');
    await expect(rocAuc(tensor([0.2, 0.4]), int([0, 2]))).rejects.toThrow(ArgumentError);
    await expect(
      rocAuc(
        tensor([
          [0.2, 0.3, 0.5],
          [0.5, 0.2, 0.3],
          [0.1, 0.1, 0.8],
        ]),
        int([0, 2, 0]),
      ),
    ).rejects.toThrow('for one-vs-rest class 1');
    await expect(rocAuc(tensor([0.2, 0.4]), int([0, 1, 1]))).rejects.toThrow(ShapeError);
  });
});

describe('metric options objects', () => {
  it('reject unknown keys, naming the accepted ones', async () => {
    const p = int([0, 1, 1]);
    const before = memory().tensors;
    const bad = { avg: 'macro' } as never;
    await expect(precision(p, p, bad)).rejects.toThrow("precision: unknown option 'avg' (expected average, posLabel, numClasses)");
    await expect(recall(p, p, bad)).rejects.toThrow("recall: unknown option 'avg' (expected average, posLabel, numClasses)");
    await expect(f1(p, p, bad)).rejects.toThrow("f1: unknown option 'avg' (expected average, posLabel, numClasses)");
    await expect(confusionMatrix(p, p, bad)).rejects.toThrow("confusionMatrix: unknown option 'avg' (expected numClasses)");
    await expect(classificationReport(p, p, bad)).rejects.toThrow("classificationReport: unknown option 'avg' (expected targetNames, digits, numClasses)");
    const scores = tensor([0.1, 0.9, 0.8]);
    await expect(rocAuc(scores, p, bad)).rejects.toThrow(ArgumentError);
    await expect(rocAuc(scores, p, bad)).rejects.toThrow("rocAuc: unknown option 'avg' (expected average)");
    scores.dispose();
    expect(memory().tensors).toBe(before);
    p.dispose();
  });
});
