import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DataLoader,
  type Dataset,
  Generator,
  kFold,
  manualSeed,
  memory,
  MinMaxScaler,
  scope,
  ShapeError,
  StandardScaler,
  type Tensor,
  tensor,
  TensorDataset,
  trainTestSplit,
  transfers,
} from '../src/index';

const values = async (t: Tensor) => Array.from(await t.data());
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol + tol * Math.abs(expected[i]))) expect.fail(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** x: row i is [i, 10i]; y: i as int32. */
function rows(n: number): [Tensor, Tensor] {
  return [tensor(range(n).map((i) => [i, 10 * i])), tensor(range(n), { dtype: 'int32' })];
}

/** The sample ids of each batch, checking that x and y stay aligned. */
async function ids(loader: DataLoader): Promise<number[][]> {
  const out: number[][] = [];
  for (const [xb, yb] of loader) {
    const y = await values(yb);
    const x = await values(xb);
    expect(x).toEqual(y.flatMap((i) => [i, 10 * i]));
    out.push(y);
    xb.dispose();
    yb.dispose();
  }
  return out;
}

describe('TensorDataset', () => {
  it('length and at(i) (negative from the end)', async () => {
    const [x, y] = rows(5);
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(5);
    const [xi, yi] = ds.at(2);
    expect(xi.shape).toEqual([2]);
    expect(yi.shape).toEqual([]);
    expect(await values(xi)).toEqual([2, 20]);
    expect(await yi.item()).toBe(2);
    expect(await values(ds.at(-1)[0])).toEqual([4, 40]);
  });
  it('rejects mismatched first dims and out-of-range indices', () => {
    expect(() => new TensorDataset(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => new TensorDataset()).toThrow(ArgumentError);
    expect(() => new TensorDataset(tensor([1, 2])).at(2)).toThrow(ArgumentError);
  });
});

describe('DataLoader', () => {
  it('batches in order; the last batch may be short; dropLast drops it', async () => {
    const ds = new TensorDataset(...rows(10));
    const loader = new DataLoader(ds, { batchSize: 3 });
    expect(loader.length).toBe(4);
    expect(await ids(loader)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    const dropping = new DataLoader(ds, { batchSize: 3, dropLast: true });
    expect(dropping.length).toBe(3);
    expect(await ids(dropping)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect(await ids(new DataLoader(ds))).toEqual(range(10).map((i) => [i]));
    const [[xb]] = [...new DataLoader(ds, { batchSize: 4 })];
    expect(xb.shape).toEqual([4, 2]);
  });

  it('seeded shuffle: a permutation per epoch, new each epoch, the same for the same seed', async () => {
    const ds = new TensorDataset(...rows(23));
    const a = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 7 });
    const b = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 7 });
    const a1 = await ids(a);
    const a2 = await ids(a);
    expect(a1.map((batch) => batch.length)).toEqual([5, 5, 5, 5, 3]);
    for (const epoch of [a1, a2]) expect(sorted(epoch.flat())).toEqual(range(23)); // each index exactly once
    expect(a1.flat()).not.toEqual(range(23));
    expect(a2.flat()).not.toEqual(a1.flat());
    expect(await ids(b)).toEqual(a1);
    expect(await ids(b)).toEqual(a2);
    const other = await ids(new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 8 }));
    expect(other.flat()).not.toEqual(a1.flat());
    // a seeded loader does not depend on the global stream
    manualSeed(1);
    const c = await ids(new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 7 }));
    expect(c).toEqual(a1);
  });

  it('unseeded shuffle draws from the global stream (reproducible with manualSeed)', async () => {
    const ds = new TensorDataset(...rows(17));
    manualSeed(42);
    const first = await ids(new DataLoader(ds, { batchSize: 4, shuffle: true }));
    manualSeed(42);
    const again = await ids(new DataLoader(ds, { batchSize: 4, shuffle: true }));
    expect(again).toEqual(first);
    expect(sorted(first.flat())).toEqual(range(17));
    expect(first.flat()).not.toEqual(range(17));
  });

  it('stacks samples of any Dataset', async () => {
    const squares: Dataset = { length: 5, at: (i) => [tensor([i]), tensor([i * i])] };
    const batches = [...new DataLoader(squares, { batchSize: 2 })];
    expect(batches.length).toBe(3);
    expect(batches[0][0].shape).toEqual([2, 1]);
    expect(await values(batches[1][1])).toEqual([4, 9]);
    expect(await values(batches[2][1])).toEqual([16]);
  });

  it('memory() is unchanged after iterating and disposing the batches', async () => {
    const ds = new TensorDataset(...rows(20));
    const loader = new DataLoader(ds, { batchSize: 6, shuffle: true, seed: 3 });
    const before = memory();
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const batch of loader) for (const t of batch) t.dispose();
    }
    for (const batch of new DataLoader({ length: 4, at: (i: number) => ds.at(i) }, { batchSize: 3 })) for (const t of batch) t.dispose();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });

  it('shuffles with Generator.permutation: a seed is a shorthand for a generator', async () => {
    const ds = new TensorDataset(...rows(13));
    const g = new Generator({ seed: 21 });
    const loader = new DataLoader(ds, { batchSize: 13, shuffle: true, generator: g });
    expect(loader.generator).toBe(g);
    const expected = new Generator({ seed: 21 });
    expect(await ids(loader)).toEqual([Array.from(expected.permutation(13))]);
    expect(await ids(loader)).toEqual([Array.from(expected.permutation(13))]); // the next draw
    const seeded = new DataLoader(ds, { batchSize: 13, shuffle: true, seed: 21 });
    expect(seeded.generator.initialSeed()).toBe(21);
    expect(await ids(seeded)).toEqual([Array.from(new Generator({ seed: 21 }).permutation(13))]);
    // shuffled: the epoch's order is uploaded once, and freed when the epoch ends or is left early
    const shuffled = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 1 });
    const t0 = transfers().devices.cpu;
    const m0 = memory();
    for (const batch of shuffled) for (const t of batch) t.dispose();
    const t1 = transfers().devices.cpu;
    expect([t1.writes - t0.writes, t1.writeBytes - t0.writeBytes]).toEqual([1, 13 * 4]);
    for (const batch of shuffled) {
      for (const t of batch) t.dispose();
      break;
    }
    expect(memory().tensors).toBe(m0.tensors);
    expect(memory().bytes).toBe(m0.bytes);
    // unshuffled TensorDataset batches are views: no index tensor is uploaded
    const before = memory().tensors;
    const [[xb]] = [...new DataLoader(ds, { batchSize: 13 })];
    expect(memory().tensors).toBe(before + 2);
    expect(await values(xb)).toEqual(range(13).flatMap((i) => [i, 10 * i]));
  });

  it('rejects a bad batchSize, seed, generator or option', () => {
    const ds = new TensorDataset(tensor([1, 2]));
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(ArgumentError);
    expect(() => new DataLoader(ds, { shuffle: true, seed: -1 })).toThrow(ArgumentError);
    expect(() => new DataLoader(ds, { shuffle: true, seed: 1.5 })).toThrow('DataLoader: seed must be a non-negative safe integer, got 1.5');
    expect(() => new DataLoader(ds, { seed: 1, generator: new Generator() })).toThrow('DataLoader: pass seed or generator, not both');
    expect(() => new DataLoader(ds, { generator: { seed: 1 } as never })).toThrow(/^DataLoader: generator must be a Generator/);
    expect(() => new DataLoader(ds, { batch_size: 2 } as never)).toThrow(
      "DataLoader: unknown option 'batch_size' (did you mean 'batchSize'?) (expected batchSize, shuffle, seed, generator, dropLast)",
    );
    expect(() => new DataLoader([1, 2] as never)).toThrow(/^DataLoader: expected a Dataset/);
  });
});

describe('trainTestSplit', () => {
  it('sizes, disjoint parts covering every sample, rows aligned across tensors', async () => {
    const [x, y] = rows(20);
    for (const [testSize, nTest] of [
      [0.25, 5],
      [0.3, 6],
      [0.01, 1],
      [4, 4],
    ] as const) {
      const [[xTrain, yTrain], [xTest, yTest]] = trainTestSplit([x, y], { testSize, seed: 0 });
      expect(xTrain.shape).toEqual([20 - nTest, 2]);
      expect(yTest.shape).toEqual([nTest]);
      const train = await values(yTrain);
      const test = await values(yTest);
      expect(sorted([...train, ...test])).toEqual(range(20));
      expect(await values(xTest)).toEqual(test.flatMap((i) => [i, 10 * i]));
      expect(await values(xTrain)).toEqual(train.flatMap((i) => [i, 10 * i]));
    }
    const [[, trainDefault]] = trainTestSplit([x, y], { seed: 0 });
    expect(trainDefault.shape).toEqual([15]);
  });

  it('is reproducible for a seed; shuffle false keeps order with the test set last', async () => {
    const [x, y] = rows(12);
    const [, [t1]] = trainTestSplit([y], { seed: 5 });
    const [, [t2]] = trainTestSplit([y], { seed: 5 });
    expect(await values(t1)).toEqual(await values(t2));
    expect(sorted(await values(t1))).not.toEqual([9, 10, 11]);
    const [[xa], [xb]] = trainTestSplit([x], { shuffle: false });
    expect(await values(xa)).toEqual(range(9).flatMap((i) => [i, 10 * i]));
    expect(await values(xb)).toEqual([9, 90, 10, 100, 11, 110]);
  });

  it('stratify keeps each class proportion in both parts', async () => {
    // 12 of class 0, 6 of class 1, 2 of class 2; test 25% = 5 → ≈ 3, 1.5, 0.5 per class
    const labels = [...new Array(12).fill(0), ...new Array(6).fill(1), 2, 2];
    const y = tensor(labels, { dtype: 'int32' });
    const [x] = rows(20);
    for (const seed of [0, 1, 2]) {
      const [[, yTrain], [, yTest]] = trainTestSplit([x, y], { seed, stratify: y });
      const count = async (t: Tensor, c: number) => (await values(t)).filter((v) => v === c).length;
      for (const [c, n] of [
        [0, 12],
        [1, 6],
        [2, 2],
      ]) {
        expect(Math.abs((await count(yTest, c)) - (5 * n) / 20)).toBeLessThan(1);
        expect((await count(yTrain, c)) + (await count(yTest, c))).toBe(n);
      }
    }
    // a 50/50 split of balanced classes is exact, also with labels given as an array
    const balanced = range(16).map((i) => i % 2);
    const [[, trainB], [, testB]] = trainTestSplit([x.narrow(0, 0, 16), tensor(balanced)], { testSize: 0.5, seed: 9, stratify: balanced });
    expect((await values(testB)).filter((v) => v === 1).length).toBe(4);
    expect((await values(trainB)).filter((v) => v === 1).length).toBe(4);
  });

  it('draws its shuffle from a generator (Generator.permutation); seed is its shorthand', async () => {
    const [, y] = rows(10);
    const order = Array.from(new Generator({ seed: 3 }).permutation(10));
    const [[yTrain], [yTest]] = trainTestSplit([y], { testSize: 3, generator: new Generator({ seed: 3 }) });
    expect(await values(yTest)).toEqual(order.slice(0, 3));
    expect(await values(yTrain)).toEqual(order.slice(3));
    const [, [bySeed]] = trainTestSplit([y], { testSize: 3, seed: 3 });
    expect(await values(bySeed)).toEqual(order.slice(0, 3));
    expect(() => trainTestSplit([y], { seed: 1, generator: new Generator() })).toThrow('trainTestSplit: pass seed or generator, not both');
    expect(() => trainTestSplit([y], { test_size: 0.5 } as never)).toThrow(/^trainTestSplit: unknown option 'test_size'/);
  });

  it('rejects bad sizes and stratify without shuffle', () => {
    const [x, y] = rows(10);
    expect(() => trainTestSplit([x, y], { testSize: 0 })).toThrow(ArgumentError);
    expect(() => trainTestSplit([x, y], { testSize: 10 })).toThrow(ArgumentError);
    expect(() => trainTestSplit([x, y], { testSize: 2.5 })).toThrow(ArgumentError);
    expect(() => trainTestSplit([x, y], { shuffle: false, stratify: y })).toThrow(ArgumentError);
    expect(() => trainTestSplit([x, tensor([1, 2])])).toThrow(ShapeError);
    expect(() => trainTestSplit([x], { stratify: [0, 1] })).toThrow(ShapeError);
  });
});

describe('kFold', () => {
  it('consecutive folds, the first n mod k one larger; every index tested exactly once', () => {
    const folds = kFold(10, { k: 3 });
    expect(folds.map((f) => f.testIndices)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(folds[1].trainIndices).toEqual([0, 1, 2, 3, 7, 8, 9]);
    expect(kFold(10).length).toBe(5);
  });

  it('shuffled folds: a partition, train = complement, sorted, reproducible for a seed', () => {
    const folds = kFold(23, { k: 4, shuffle: true, seed: 11 });
    expect(folds.map((f) => f.testIndices.length)).toEqual([6, 6, 6, 5]);
    expect(sorted(folds.flatMap((f) => f.testIndices))).toEqual(range(23));
    for (const f of folds) {
      expect(f.testIndices).toEqual(sorted(f.testIndices));
      expect(sorted([...f.trainIndices, ...f.testIndices])).toEqual(range(23));
    }
    expect(kFold(23, { k: 4, shuffle: true, seed: 11 })).toEqual(folds);
    expect(folds[0].testIndices).not.toEqual(range(6));
  });

  it('shuffled folds come from Generator.permutation', () => {
    const order = Array.from(new Generator({ seed: 6 }).permutation(9));
    const folds = kFold(9, { k: 3, shuffle: true, generator: new Generator({ seed: 6 }) });
    folds.forEach((f, i) => expect(f.testIndices).toEqual(sorted(order.slice(3 * i, 3 * i + 3))));
    expect(kFold(9, { k: 3, shuffle: true, seed: 6 })).toEqual(folds);
    expect(() => kFold(9, { k: 3, seed: -2 })).toThrow('kFold: seed must be a non-negative safe integer, got -2');
    expect(() => kFold(9, { folds: 3 } as never)).toThrow(/^kFold: unknown option 'folds'/);
  });

  it('rejects k outside [2, n]', () => {
    expect(() => kFold(5, { k: 1 })).toThrow(ArgumentError);
    expect(() => kFold(5, { k: 6 })).toThrow(ArgumentError);
  });
});

describe('StandardScaler', () => {
  const x = tensor([
    [1, 2, 5],
    [3, 2, 7],
    [5, 2, 12],
  ]);

  it('hand values: population std, constant features scale by 1', async () => {
    const s = new StandardScaler().fit(x);
    close(await values(s.mean!), [3, 2, 8]);
    close(await values(s.variance!), [8 / 3, 0, 26 / 3]);
    close(await values(s.scale!), [Math.sqrt(8 / 3), 1, Math.sqrt(26 / 3)]);
    const z = s.transform(x);
    const a = Math.sqrt(8 / 3);
    const b = Math.sqrt(26 / 3);
    close(await values(z), [-2 / a, 0, -3 / b, 0, 0, -1 / b, 2 / a, 0, 4 / b]);
    close(
      await values(
        new StandardScaler().fitTransform(
          tensor([
            [1, 10],
            [3, 10],
          ]),
        ),
      ),
      [-1, 0, 1, 0],
    );
    close(await values(new StandardScaler().fitTransform(tensor([[0.1], [0.1], [0.1]]))), [0, 0, 0]);
  });

  it('round-trips inverseTransform(transform(x)) ≈ x, also for [N, …] features and new data', async () => {
    const s = new StandardScaler();
    close(await values(s.inverseTransform(s.fitTransform(x))), await values(x));
    const x3 = tensor([
      [
        [1, -2],
        [0.5, 4],
      ],
      [
        [3, 7],
        [1.5, 4],
      ],
      [
        [-2, 0],
        [9, 4],
      ],
    ]);
    const s3 = new StandardScaler();
    const z3 = s3.fitTransform(x3);
    expect(z3.shape).toEqual([3, 2, 2]);
    close(await values(s3.inverseTransform(z3)), await values(x3));
    const fresh = tensor([[10, -1, 0]]);
    close(await values(s.inverseTransform(s.transform(fresh))), [10, -1, 0]);
  });

  it('withMean / withStd and integer input', async () => {
    const noMean = new StandardScaler({ withMean: false }).fitTransform(tensor([[1], [3]]));
    close(await values(noMean), [1, 3]); // σ = 1
    const noStd = new StandardScaler({ withStd: false }).fitTransform(tensor([[1], [5]]));
    close(await values(noStd), [-2, 2]);
    close(await values(new StandardScaler().fitTransform(tensor([[1], [3]], { dtype: 'int32' }))), [-1, 1]);
  });

  it('keeps its statistics through a scope; errors before fit and on feature mismatch', () => {
    const before = memory().tensors;
    const s = new StandardScaler();
    scope(() => {
      s.fit(x);
    });
    expect(s.mean!.isDisposed).toBe(false);
    s.dispose();
    expect(memory().tensors).toBe(before);
    expect(() => new StandardScaler().transform(x)).toThrow(ArgumentError);
    expect(() => new StandardScaler().fit(x).transform(tensor([[1, 2]]))).toThrow(ShapeError);
  });
});

describe('MinMaxScaler', () => {
  it('hand values, featureRange, constant features', async () => {
    const x = tensor([
      [0, 5, -1],
      [2, 5, 3],
      [4, 5, 1],
    ]);
    const s = new MinMaxScaler().fit(x);
    close(await values(s.dataMin!), [0, 5, -1]);
    close(await values(s.dataMax!), [4, 5, 3]);
    close(await values(s.transform(x)), [0, 0, 0, 0.5, 0, 1, 1, 0, 0.5]);
    const sym = new MinMaxScaler({ featureRange: [-1, 1] });
    close(await values(sym.fitTransform(x)), [-1, -1, -1, 0, -1, 1, 1, -1, 0]);
    // values beyond the fitted range are not clipped
    close(await values(s.transform(tensor([[8, 5, -3]]))), [2, 0, -0.5]);
  });

  it('round-trips', async () => {
    const x = tensor([
      [0.3, -7, 2],
      [1.1, 3, 2],
      [-4, 0.5, 2],
      [2, 2, 2],
    ]);
    const s = new MinMaxScaler({ featureRange: [2, 5] });
    const y = s.fitTransform(x);
    close(await values(s.inverseTransform(y)), await values(x));
  });

  it('rejects a bad featureRange and use before fit', () => {
    expect(() => new MinMaxScaler({ featureRange: [1, 0] })).toThrow(ArgumentError);
    expect(() => new MinMaxScaler().inverseTransform(tensor([[1]]))).toThrow(ArgumentError);
  });
});

describe('scaler options objects', () => {
  it('reject unknown keys, naming the accepted ones', () => {
    expect(() => new StandardScaler({ with_mean: false } as never)).toThrow(
      "StandardScaler: unknown option 'with_mean' (did you mean 'withMean'?) (expected withMean, withStd)",
    );
    expect(() => new MinMaxScaler({ range: [0, 2] } as never)).toThrow(ArgumentError);
    expect(() => new MinMaxScaler({ range: [0, 2] } as never)).toThrow("MinMaxScaler: unknown option 'range' (expected featureRange)");
  });
});

describe('DataLoader rejects samples it cannot batch', () => {
  it('an async Dataset.at is an ArgumentError, not empty batches', () => {
    const asyncDs = { length: 4, at: async (i: number) => [tensor([i])] } as unknown as Dataset;
    const loader = new DataLoader(asyncDs, { batchSize: 2 });
    expect(() => [...loader]).toThrow('DataLoader: dataset.at(0) returned a Promise; samples must be synchronous');
    const bad = { length: 2, at: () => [] } as unknown as Dataset;
    expect(() => [...new DataLoader(bad, { batchSize: 2 })]).toThrow(
      'DataLoader: dataset.at(0) must return a non-empty array of tensors, got an array of 0 values',
    );
    const notTensors = { length: 2, at: (i: number) => [i] } as unknown as Dataset;
    expect(() => [...new DataLoader(notTensors, { batchSize: 2 })]).toThrow(ArgumentError);
  });
});
