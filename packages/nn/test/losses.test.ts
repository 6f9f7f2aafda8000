// Over ~400 lines: hand values against PyTorch's definitions for every loss, functional and module
// form, with their error messages — one describe block per loss.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  BCELoss,
  BCEWithLogitsLoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  CosineEmbeddingLoss,
  cosineEmbeddingLoss,
  crossEntropy,
  CrossEntropyLoss,
  DTypeError,
  gradcheck,
  HuberLoss,
  huberLoss,
  KLDivLoss,
  klDiv,
  l1Loss,
  L1Loss,
  logSoftmax,
  memory,
  MSELoss,
  mseLoss,
  NLLLoss,
  nllLoss,
  scope,
  ShapeError,
  SmoothL1Loss,
  smoothL1Loss,
  type Tensor,
  type TensorData,
  tensor,
} from '../src/index';

// ── helpers ────────────────────────────────────────────────────────────────
function close(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tol = 1e-5): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  expect(a.length, 'element count').toBe(e.length);
  a.forEach((v, i) => {
    if (Number.isNaN(e[i])) expect(v, `element ${i}`).toBeNaN();
    else if (!(Math.abs(v - e[i]) <= tol + tol * Math.abs(e[i]))) expect.fail(`element ${i}: got ${v}, expected ${e[i]}`);
  });
}
const values = async (t: Tensor) => Array.from(await t.data());
const int = (v: TensorData) => tensor(v, { dtype: 'int32' });

/** Deterministic values in [lo, hi) (a small LCG, independent of the library's generator). */
function lcg(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  });
}
function expectGrad(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const r = gradcheck(fn, inputs);
  if (!r.ok)
    expect.fail(
      `gradcheck: ${r.mismatches
        .slice(0, 3)
        .map((m) => `[${m.input}][${m.index}] ${m.analytic} vs ${m.numeric}`)
        .join('; ')}`,
    );
}

/**
 * Hand reference of torch.nn.functional.cross_entropy over rows of logits (one row per sample and
 * position): either class indices or probability rows.
 */
function refCrossEntropy(
  rows: number[][],
  target: number[] | number[][],
  o: { weight?: number[]; ignoreIndex?: number; smoothing?: number; reduction?: string } = {},
): number | number[] {
  const C = rows[0].length;
  const w = o.weight ?? new Array(C).fill(1);
  const eps = o.smoothing ?? 0;
  const ignore = o.ignoreIndex ?? -100;
  const losses: number[] = [];
  let denominator = 0;
  rows.forEach((x, n) => {
    const m = Math.max(...x);
    const lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
    const logp = x.map((v) => v - lse);
    const t = target[n];
    if (Array.isArray(t)) {
      losses.push(-logp.reduce((s, lp, c) => s + w[c] * ((1 - eps) * t[c] + eps / C) * lp, 0));
      denominator += 1;
    } else if (t === ignore) {
      losses.push(0);
    } else {
      const smooth = -logp.reduce((s, lp, c) => s + w[c] * lp, 0);
      losses.push((1 - eps) * -w[t] * logp[t] + (eps / C) * smooth);
      denominator += w[t];
    }
  });
  const total = losses.reduce((a, b) => a + b, 0);
  if (o.reduction === 'none') return losses;
  if (o.reduction === 'sum') return total;
  return total / denominator;
}

// ── regression losses ──────────────────────────────────────────────────────
describe('regression losses', () => {
  const input = tensor([
    [1, 2, 3],
    [0, -1, 4],
  ]);
  const target = tensor([
    [1, 2.5, 5],
    [3, -1, 3.5],
  ]);
  const d = [0, -0.5, -2, -3, 0, 0.5];

  it('mseLoss: mean, sum and none', async () => {
    const sq = d.map((v) => v * v);
    close(await mseLoss(input, target).item(), sq.reduce((a, b) => a + b) / 6);
    close(await mseLoss(input, target, { reduction: 'sum' }).item(), 13.5);
    const none = mseLoss(input, target, { reduction: 'none' });
    expect(none.shape).toEqual([2, 3]);
    close(await values(none), sq);
    close(await new MSELoss({ reduction: 'sum' }).forward(input, target).item(), 13.5);
  });

  it('l1Loss', async () => {
    close(await l1Loss(input, target).item(), 6 / 6);
    close(await l1Loss(input, target, { reduction: 'sum' }).item(), 6);
    close(await values(l1Loss(input, target, { reduction: 'none' })), d.map(Math.abs));
    close(await new L1Loss().forward(input, target).item(), 1);
  });

  it('smoothL1Loss with beta 1, 0.5 and 0', async () => {
    // |d| < β: 0.5·d²/β, else |d| − 0.5·β
    const ref = (beta: number) => d.map((v) => (Math.abs(v) < beta ? (0.5 * v * v) / beta : Math.abs(v) - 0.5 * beta));
    close(await values(smoothL1Loss(input, target, { reduction: 'none' })), [0, 0.125, 1.5, 2.5, 0, 0.125]);
    close(await smoothL1Loss(input, target).item(), ref(1).reduce((a, b) => a + b) / 6);
    close(await values(smoothL1Loss(input, target, { beta: 0.5, reduction: 'none' })), ref(0.5));
    close(await values(smoothL1Loss(input, target, { beta: 0, reduction: 'none' })), d.map(Math.abs));
    close(
      await new SmoothL1Loss({ beta: 0.5, reduction: 'sum' }).forward(input, target).item(),
      ref(0.5).reduce((a, b) => a + b),
    );
  });

  it('huberLoss with delta 1 and 2; equals delta · smoothL1 with beta = delta', async () => {
    close(await values(huberLoss(input, target, { reduction: 'none' })), [0, 0.125, 1.5, 2.5, 0, 0.125]);
    // δ = 2: |d| < 2 → 0.5d²; else 2(|d| − 1)
    close(await values(huberLoss(input, target, { delta: 2, reduction: 'none' })), [0, 0.125, 2, 4, 0, 0.125]);
    const h = await huberLoss(input, target, { delta: 2 }).item();
    close(h, 2 * (await smoothL1Loss(input, target, { beta: 2 }).item()));
    close(await new HuberLoss({ delta: 2 }).forward(input, target).item(), h);
  });

  it('gradients w.r.t. input (and target for mse), away from the kinks', () => {
    const x = tensor(lcg(6, 1), { dtype: 'float32' }).reshape([2, 3]);
    const y = tensor(lcg(6, 2)).reshape([2, 3]);
    expectGrad((a, b) => mseLoss(a, b), [x, y]);
    expectGrad((a) => mseLoss(a, y, { reduction: 'sum' }), [x]);
    const far = tensor([0.3, -0.7, 2.2, -1.9, 0.05, 4]);
    const zero = tensor([0, 0, 0, 0, 0, 0]);
    expectGrad((a) => l1Loss(a, zero), [far]);
    expectGrad((a) => smoothL1Loss(a, zero), [far]);
    expectGrad((a) => smoothL1Loss(a, zero, { beta: 0.5, reduction: 'sum' }), [far]);
    expectGrad((a) => huberLoss(a, zero, { delta: 1.5 }), [far]);
  });

  it('rejects mismatched shapes, non-float dtypes and bad options with typed errors', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(() => mseLoss(a, b)).toThrow(ShapeError);
    expect(() => mseLoss(a, b)).toThrow('mseLoss: input [2,3] and target [3,2] differ');
    expect(() => l1Loss(a, tensor([1, 2, 3]))).toThrow('l1Loss: input [2,3] and target [3] differ');
    expect(() =>
      mseLoss(
        a,
        int([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    ).toThrow(DTypeError);
    expect(() =>
      mseLoss(
        a,
        int([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    ).toThrow('mseLoss: target must be float32, got int32');
    expect(() => smoothL1Loss(a, a, { beta: -1 })).toThrow(ArgumentError);
    expect(() => huberLoss(a, a, { delta: 0 })).toThrow('huberLoss: delta must be a positive number, got 0');
    expect(() => mseLoss(a, a, { reduction: 'avg' as 'mean' })).toThrow("mseLoss: reduction must be 'mean', 'sum', 'none', got 'avg'");
  });
});

// ── cross-entropy and NLL ──────────────────────────────────────────────────
describe('crossEntropy and nllLoss', () => {
  const rows = [
    [2, 0, 0],
    [0, 1, 0],
    [0.5, -1, 2],
    [1, 1, 1],
  ];
  const logits = tensor(rows);
  const target = [0, 1, 2, 1];
  const t = int(target);

  it('hand value: [[2,0,0],[0,1,0]] with targets [0,1]', async () => {
    // −logp₀ = log(e² + 2) − 2 = 0.2395; −logp₁ = log(2 + e) − 1 = 0.5514
    const expected = (Math.log(Math.exp(2) + 2) - 2 + Math.log(2 + Math.E) - 1) / 2;
    close(
      await crossEntropy(
        tensor([
          [2, 0, 0],
          [0, 1, 0],
        ]),
        int([0, 1]),
      ).item(),
      expected,
    );
    close(expected, 0.39549, 1e-4);
  });

  it('class indices with every reduction', async () => {
    close(await crossEntropy(logits, t).item(), refCrossEntropy(rows, target) as number);
    close(await crossEntropy(logits, t, { reduction: 'sum' }).item(), refCrossEntropy(rows, target, { reduction: 'sum' }) as number);
    const none = crossEntropy(logits, t, { reduction: 'none' });
    expect(none.shape).toEqual([4]);
    close(await values(none), refCrossEntropy(rows, target, { reduction: 'none' }) as number[]);
  });

  it('weights: mean divides by the summed weights of the targets', async () => {
    const weight = [0.2, 1, 3];
    const w = tensor(weight);
    const ref = refCrossEntropy(rows, target, { weight }) as number;
    close(await crossEntropy(logits, t, { weight: w }).item(), ref);
    // the denominator is w₀ + w₁ + w₂ + w₁ = 5.2, not N
    const sum = refCrossEntropy(rows, target, { weight, reduction: 'sum' }) as number;
    close(ref, sum / 5.2);
    close(await crossEntropy(logits, t, { weight: w, reduction: 'sum' }).item(), sum);
  });

  it('ignoreIndex: ignored targets contribute 0 and leave the denominator', async () => {
    const withIgnored = [0, -100, 2, 1];
    close(await crossEntropy(logits, int(withIgnored)).item(), refCrossEntropy(rows, withIgnored) as number);
    close(await values(crossEntropy(logits, int(withIgnored), { reduction: 'none' })), refCrossEntropy(rows, withIgnored, { reduction: 'none' }) as number[]);
    const custom = [0, 1, 2, 1];
    const o = { ignoreIndex: 1, weight: [0.2, 1, 3] };
    close(await crossEntropy(logits, int(custom), { ignoreIndex: 1, weight: tensor(o.weight) }).item(), refCrossEntropy(rows, custom, o) as number);
    // only rows 0 and 2 count: mean = (ℓ₀ + ℓ₂) / (w₀ + w₂)
    const per = refCrossEntropy(rows, custom, { ...o, reduction: 'none' }) as number[];
    close(refCrossEntropy(rows, custom, o) as number, (per[0] + per[2]) / 3.2);
    // every target ignored: 0 / 0, as PyTorch
    expect(await crossEntropy(logits, int([-100, -100, -100, -100])).item()).toBeNaN();
  });

  it('labelSmoothing, alone and with weights and ignoreIndex', async () => {
    for (const o of [{ smoothing: 0.1 }, { smoothing: 0.3, weight: [0.5, 2, 1] }, { smoothing: 0.2, weight: [0.5, 2, 1], ignoreIndex: 2 }]) {
      const opts = { labelSmoothing: o.smoothing, weight: o.weight ? tensor(o.weight) : undefined, ignoreIndex: o.ignoreIndex };
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const got = await values(crossEntropy(logits, t, { ...opts, reduction }));
        close(got, refCrossEntropy(rows, target, { ...o, reduction }));
      }
    }
    // hand value: one row [0, 0], target 0, ε = 0.2 → −(0.9·log ½ + 0.1·log ½) = log 2
    close(await crossEntropy(tensor([[0, 0]]), int([0]), { labelSmoothing: 0.2 }).item(), Math.LN2);
  });

  it('probability targets (with smoothing and weights); mean divides by N', async () => {
    const probs = [
      [0.7, 0.2, 0.1],
      [0, 1, 0],
      [0.25, 0.25, 0.5],
      [1 / 3, 1 / 3, 1 / 3],
    ];
    const p = tensor(probs);
    close(await crossEntropy(logits, p).item(), refCrossEntropy(rows, probs) as number);
    close(await values(crossEntropy(logits, p, { reduction: 'none' })), refCrossEntropy(rows, probs, { reduction: 'none' }) as number[]);
    const o = { smoothing: 0.1, weight: [1, 2, 0.5] };
    close(await crossEntropy(logits, p, { labelSmoothing: 0.1, weight: tensor(o.weight) }).item(), refCrossEntropy(rows, probs, o) as number);
    // one-hot probabilities give the same loss as class indices
    close(
      await crossEntropy(
        logits,
        tensor([
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
          [0, 1, 0],
        ]),
      ).item(),
      await crossEntropy(logits, t).item(),
    );
  });

  it('3-D [N, C, L] and 4-D [N, C, H, W] inputs with [N, L] / [N, H, W] targets', async () => {
    // [N=2, C=3, L=2]: sample (n, l) has logits x[n][·][l]
    const x3 = lcg(12, 7, -2, 2);
    const at3 = (n: number, c: number, l: number) => x3[n * 6 + c * 2 + l];
    const rows3: number[][] = [];
    for (let n = 0; n < 2; n++) for (let l = 0; l < 2; l++) rows3.push([0, 1, 2].map((c) => at3(n, c, l)));
    const tgt3 = [2, -100, 0, 1]; // [[2, −100], [0, 1]] row-major over (n, l)
    const input3 = tensor(x3).reshape([2, 3, 2]);
    const target3 = int([
      [2, -100],
      [0, 1],
    ]);
    const o = { weight: [1, 0.5, 2], smoothing: 0.1 };
    const opts = { weight: tensor(o.weight), labelSmoothing: 0.1 };
    close(await crossEntropy(input3, target3, opts).item(), refCrossEntropy(rows3, tgt3, o) as number);
    const none3 = crossEntropy(input3, target3, { ...opts, reduction: 'none' });
    expect(none3.shape).toEqual([2, 2]);
    close(await values(none3), refCrossEntropy(rows3, tgt3, { ...o, reduction: 'none' }) as number[]);

    // [N=1, C=3, H=2, W=2]
    const x4 = lcg(12, 9, -2, 2);
    const rows4 = [0, 1, 2, 3].map((pos) => [0, 1, 2].map((c) => x4[c * 4 + pos]));
    const tgt4 = [1, 0, 2, 2];
    const input4 = tensor(x4).reshape([1, 3, 2, 2]);
    close(
      await crossEntropy(
        input4,
        int([
          [
            [1, 0],
            [2, 2],
          ],
        ]),
      ).item(),
      refCrossEntropy(rows4, tgt4) as number,
    );
    expect(
      crossEntropy(
        input4,
        int([
          [
            [1, 0],
            [2, 2],
          ],
        ]),
        { reduction: 'none' },
      ).shape,
    ).toEqual([1, 2, 2]);
    // probability targets per pixel
    const probs4 = lcg(12, 11, 0.1, 1);
    const probRows = [0, 1, 2, 3].map((pos) => [0, 1, 2].map((c) => probs4[c * 4 + pos]));
    close(await crossEntropy(input4, tensor(probs4).reshape([1, 3, 2, 2])).item(), refCrossEntropy(rows4, probRows) as number);
  });

  it('unbatched [C] input with a 0-d target', async () => {
    const l = crossEntropy(tensor([0.5, -1, 2]), tensor(2, { dtype: 'int32' }), { reduction: 'none' });
    expect(l.shape).toEqual([]);
    close(await l.item(), refCrossEntropy([[0.5, -1, 2]], [2]) as number);
  });

  it('nllLoss on log-probabilities equals crossEntropy on logits', async () => {
    const logp = logSoftmax(logits, 1);
    const w = tensor([0.2, 1, 3]);
    close(await nllLoss(logp, t).item(), await crossEntropy(logits, t).item());
    close(await nllLoss(logp, int([0, -100, 2, 1]), { weight: w }).item(), refCrossEntropy(rows, [0, -100, 2, 1], { weight: [0.2, 1, 3] }) as number);
    // hand value: −(logp[0,0]·1) with weights … plain pick of the given entries
    close(
      await values(
        nllLoss(
          tensor([
            [-1, -2],
            [-3, -4],
          ]),
          int([1, 0]),
          { reduction: 'none' },
        ),
      ),
      [2, 3],
    );
    close(
      await new NLLLoss({ reduction: 'sum' })
        .forward(
          tensor([
            [-1, -2],
            [-3, -4],
          ]),
          int([1, 0]),
        )
        .item(),
      5,
    );
    expect(() =>
      nllLoss(
        logp,
        tensor([
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
          [0, 1, 0],
        ]),
      ),
    ).toThrow(DTypeError);
  });

  it('gradients w.r.t. the logits', () => {
    const x = tensor(lcg(12, 3, -2, 2)).reshape([4, 3]);
    const w = tensor([0.2, 1, 3]);
    expectGrad((a) => crossEntropy(a, t), [x]);
    expectGrad((a) => crossEntropy(a, int([0, -100, 2, 1]), { weight: w, labelSmoothing: 0.2 }), [x]);
    expectGrad(
      (a) =>
        crossEntropy(
          a,
          tensor([
            [0.7, 0.2, 0.1],
            [0, 1, 0],
            [0.25, 0.25, 0.5],
            [0.2, 0.3, 0.5],
          ]),
          { labelSmoothing: 0.1 },
        ),
      [x],
    );
    expectGrad(
      (a) =>
        crossEntropy(
          a.reshape([2, 3, 2]),
          int([
            [2, -100],
            [0, 1],
          ]),
          { reduction: 'sum' },
        ),
      [x],
    );
    expectGrad((a) => nllLoss(a.logSoftmax(1), t, { weight: w }), [x]);
  });

  it('backward through the module form; memory is flat afterwards', async () => {
    const before = memory().tensors;
    const x = tensor(rows, { requiresGrad: true });
    const criterion = new CrossEntropyLoss({ weight: tensor([0.2, 1, 3]), labelSmoothing: 0.1 });
    const loss = criterion.forward(x, t);
    close(await loss.item(), refCrossEntropy(rows, target, { weight: [0.2, 1, 3], smoothing: 0.1 }) as number);
    loss.backward();
    expect(x.grad!.shape).toEqual([4, 3]);
    // each row of the gradient of a softmax loss w.r.t. logits sums to 0
    const g = await values(x.grad!);
    for (let r = 0; r < 4; r++) close(g[r * 3] + g[r * 3 + 1] + g[r * 3 + 2], 0);
    expect(Object.keys(criterion.stateDict())).toEqual(['weight']);
    loss.dispose();
    x.dispose();
    criterion.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('rejects bad shapes, dtypes, out-of-range classes and options', () => {
    expect(() => crossEntropy(logits, int([0, 1, 2]))).toThrow(ShapeError);
    expect(() => crossEntropy(logits, int([0, 1, 2]))).toThrow('crossEntropy: target [3] does not match input [4,3] (expected class indices of shape [4])');
    expect(() => crossEntropy(logits, tensor([[1, 0, 0]]))).toThrow('crossEntropy: probability target [1,3] must match input [4,3]');
    expect(() => crossEntropy(logits, tensor([0, 1, 2, 1]))).toThrow(
      'crossEntropy: probability target [4] must match input [4,3] (class indices must be int32)',
    );
    expect(() => crossEntropy(logits, tensor([0, 1, 2, 1], { dtype: 'uint8' }))).toThrow(DTypeError);
    expect(() => crossEntropy(int([[1, 2]]), int([0]))).toThrow('crossEntropy: input must be float32, got int32');
    expect(() => crossEntropy(logits, int([0, 3, 1, 1]))).toThrow(ArgumentError);
    expect(() => crossEntropy(logits, int([0, 3, 1, 1]))).toThrow('crossEntropy: target class 3 is out of range for 3 classes');
    expect(() => crossEntropy(logits, int([0, -1, 1, 1]))).toThrow(ArgumentError);
    expect(() => nllLoss(logits, int([0, 1, 7, 1]))).toThrow('nllLoss: target class 7 is out of range');
    expect(() => crossEntropy(logits, t, { weight: tensor([1, 2]) })).toThrow('crossEntropy: weight must be [3] (one per class), got [2]');
    expect(() => crossEntropy(logits, t, { labelSmoothing: 1.5 })).toThrow(ArgumentError);
    expect(() => crossEntropy(tensor(1), int([0]))).toThrow(ShapeError);
  });
});

// ── binary cross-entropy ───────────────────────────────────────────────────
describe('binaryCrossEntropy and binaryCrossEntropyWithLogits', () => {
  const p = [0.8, 0.4, 0.1, 0.99];
  const y = [1, 0, 0.3, 1];
  const bce = (x: number, t: number) => -(t * Math.max(Math.log(x), -100) + (1 - t) * Math.max(Math.log(1 - x), -100));

  it('binaryCrossEntropy: hand values, weights and reductions', async () => {
    const per = p.map((x, i) => bce(x, y[i]));
    close(await binaryCrossEntropy(tensor([0.8, 0.4]), tensor([1, 0])).item(), -(Math.log(0.8) + Math.log(0.6)) / 2);
    close(await values(binaryCrossEntropy(tensor(p), tensor(y), { reduction: 'none' })), per);
    close(
      await binaryCrossEntropy(tensor(p), tensor(y), { reduction: 'sum' }).item(),
      per.reduce((a, b) => a + b),
    );
    const w = [1, 2, 0.5, 3];
    close(await binaryCrossEntropy(tensor(p), tensor(y), { weight: tensor(w) }).item(), per.reduce((a, b, i) => a + b * w[i], 0) / 4);
    // broadcast weight over [2, 2]
    const x2 = tensor(p).reshape([2, 2]);
    close(await values(binaryCrossEntropy(x2, tensor(y).reshape([2, 2]), { weight: tensor([2, 1]), reduction: 'none' })), [
      2 * per[0],
      per[1],
      2 * per[2],
      per[3],
    ]);
    close(
      await new BCELoss({ reduction: 'sum' }).forward(tensor(p), tensor(y)).item(),
      per.reduce((a, b) => a + b),
    );
  });

  it('clamps the logs at −100 as PyTorch', async () => {
    close(await values(binaryCrossEntropy(tensor([0, 1, 0, 1]), tensor([1, 0, 0, 1]), { reduction: 'none' })), [100, 100, 0, 0]);
  });

  it('binaryCrossEntropyWithLogits equals BCE of the sigmoid, and is stable for large logits', async () => {
    const x = [0, 2, -1.5, 3];
    const sig = x.map((v) => 1 / (1 + Math.exp(-v)));
    close(await binaryCrossEntropyWithLogits(tensor([0, 2]), tensor([1, 0])).item(), (Math.LN2 + 2 + Math.log(1 + Math.exp(-2))) / 2);
    close(
      await values(binaryCrossEntropyWithLogits(tensor(x), tensor(y), { reduction: 'none' })),
      sig.map((s, i) => bce(s, y[i])),
    );
    // far beyond where sigmoid saturates: loss = |x| for the wrong label, ≈ 0 for the right one
    close(await values(binaryCrossEntropyWithLogits(tensor([100, -100, 100, -100]), tensor([0, 1, 1, 0]), { reduction: 'none' })), [100, 100, 0, 0]);
  });

  it('posWeight and weight', async () => {
    const x = [0.5, -1, 2, -0.3, 1.2, 0];
    const t = [1, 0, 1, 1, 0, 1];
    const pw = [3, 0.5, 2];
    const w = [1, 2, 0.5];
    const ls = (v: number) => Math.log(1 / (1 + Math.exp(-v)));
    const ref = x.map((v, i) => -w[i % 3] * (pw[i % 3] * t[i] * ls(v) + (1 - t[i]) * ls(-v))); // log(1 − σ(x)) = log σ(−x)
    const opts = { posWeight: tensor(pw), weight: tensor(w) };
    const got = binaryCrossEntropyWithLogits(tensor(x).reshape([2, 3]), tensor(t).reshape([2, 3]), { ...opts, reduction: 'none' });
    close(await values(got), ref);
    const m = new BCEWithLogitsLoss(opts);
    close(await m.forward(tensor(x).reshape([2, 3]), tensor(t).reshape([2, 3])).item(), ref.reduce((a, b) => a + b) / 6);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'pos_weight']);
  });

  it('gradients w.r.t. the input (logit 0 included)', () => {
    const t = tensor([1, 0, 0.3, 1, 0, 1]);
    expectGrad((a) => binaryCrossEntropy(a, t), [tensor([0.8, 0.4, 0.1, 0.6, 0.3, 0.5])]);
    expectGrad((a) => binaryCrossEntropy(a, t, { weight: tensor([1, 2, 3, 1, 2, 3]), reduction: 'sum' }), [tensor([0.8, 0.4, 0.1, 0.6, 0.3, 0.5])]);
    const x = tensor([0, 2, -1.5, 3, -0.2, 0.7]);
    expectGrad((a) => binaryCrossEntropyWithLogits(a, t), [x]);
    expectGrad((a) => binaryCrossEntropyWithLogits(a.reshape([2, 3]), t.reshape([2, 3]), { posWeight: tensor([3, 0.5, 2]), weight: tensor([1, 2, 0.5]) }), [x]);
    const g = scope(() => {
      const leaf = tensor([0], { requiresGrad: true });
      binaryCrossEntropyWithLogits(leaf, tensor([1])).backward();
      return leaf.grad!.dataSync()[0];
    });
    close(g, -0.5); // σ(0) − 1
  });

  it('rejects bad inputs', () => {
    expect(() => binaryCrossEntropy(tensor([0.5, 1.2]), tensor([1, 0]))).toThrow(ArgumentError);
    expect(() => binaryCrossEntropy(tensor([0.5, 1.2]), tensor([1, 0]))).toThrow('binaryCrossEntropy: input must hold probabilities in [0, 1], got');
    expect(() => binaryCrossEntropy(tensor([0.5, 0.2]), tensor([1, 0, 1]))).toThrow('binaryCrossEntropy: input [2] and target [3] differ');
    expect(() => binaryCrossEntropyWithLogits(tensor([0.5, 0.2]), int([1, 0]))).toThrow(DTypeError);
    expect(() => binaryCrossEntropyWithLogits(tensor([[0.5, 0.2]]), tensor([[1, 0]]), { posWeight: tensor([1, 2, 3]) })).toThrow(
      'binaryCrossEntropyWithLogits: posWeight [3] does not broadcast to input [1,2]',
    );
  });
});

// ── KL divergence and cosine embedding ─────────────────────────────────────
describe('klDiv and cosineEmbeddingLoss', () => {
  const q = [
    [0.25, 0.75],
    [0.6, 0.4],
  ];
  const tp = [
    [0.5, 0.5],
    [0, 1],
  ];
  const input = tensor(q).log();
  const target = tensor(tp);
  const point = tp.flatMap((r, i) => r.map((t, j) => (t === 0 ? 0 : t * (Math.log(t) - Math.log(q[i][j])))));

  it('pointwise values (0·log 0 = 0) and every reduction', async () => {
    close(await values(klDiv(input, target, { reduction: 'none' })), point);
    const sum = point.reduce((a, b) => a + b);
    close(await klDiv(input, target).item(), sum / 4);
    close(await klDiv(input, target, { reduction: 'sum' }).item(), sum);
    close(await klDiv(input, target, { reduction: 'batchmean' }).item(), sum / 2);
    close(await klDiv(tensor([[0.25, 0.75]]).log(), tensor([[0.5, 0.5]]), { reduction: 'batchmean' }).item(), 0.5 * Math.LN2 + 0.5 * Math.log(2 / 3));
    close(await new KLDivLoss({ reduction: 'batchmean' }).forward(input, target).item(), sum / 2);
  });

  it('logTarget: the target given as log-probabilities', async () => {
    const lt = tensor([
      [0.5, 0.5],
      [0.2, 0.8],
    ]).log();
    const ref = [
      [0.5, 0.5],
      [0.2, 0.8],
    ].flatMap((r, i) => r.map((t, j) => t * (Math.log(t) - Math.log(q[i][j]))));
    close(await values(klDiv(input, lt, { logTarget: true, reduction: 'none' })), ref);
    close(
      await new KLDivLoss({ logTarget: true, reduction: 'sum' }).forward(input, lt).item(),
      ref.reduce((a, b) => a + b),
    );
  });

  it('klDiv gradient and errors', () => {
    expectGrad(
      (a) => klDiv(a, target, { reduction: 'batchmean' }),
      [
        tensor([
          [-1.2, -0.4],
          [-0.3, -2],
        ]),
      ],
    );
    expectGrad(
      (a, b) => klDiv(a, b, { logTarget: true }),
      [
        tensor([
          [-1.2, -0.4],
          [-0.3, -2],
        ]),
        tensor([
          [-0.7, -0.7],
          [-1.6, -0.2],
        ]),
      ],
    );
    expect(() => klDiv(input, tensor([0.5, 0.5]))).toThrow(ShapeError);
    expect(() => klDiv(input, target, { reduction: 'avg' as 'mean' })).toThrow("klDiv: reduction must be 'mean', 'batchmean', 'sum', 'none', got 'avg'");
  });

  it('cosineEmbeddingLoss: 1 − cos for y = 1, max(0, cos − margin) for y = −1', async () => {
    const a = tensor([
      [1, 0],
      [1, 0],
      [3, 4],
      [1, 1],
    ]);
    const b = tensor([
      [1, 1],
      [0, 1],
      [3, 4],
      [1, 2],
    ]);
    const cos = [Math.SQRT1_2, 0, 1, 3 / Math.sqrt(10)];
    const y = [1, -1, -1, 1];
    const ref = (margin: number) => cos.map((c, i) => (y[i] === 1 ? 1 - c : Math.max(0, c - margin)));
    close(await values(cosineEmbeddingLoss(a, b, tensor(y), { reduction: 'none' })), ref(0));
    close(await cosineEmbeddingLoss(a, b, int(y)).item(), ref(0).reduce((s, v) => s + v) / 4);
    close(await values(cosineEmbeddingLoss(a, b, tensor(y), { margin: 0.5, reduction: 'none' })), ref(0.5));
    close(
      await new CosineEmbeddingLoss({ margin: 0.5, reduction: 'sum' }).forward(a, b, tensor(y)).item(),
      ref(0.5).reduce((s, v) => s + v),
    );
    close(await cosineEmbeddingLoss(tensor([1, 0]), tensor([1, 1]), tensor(1)).item(), 1 - Math.SQRT1_2);
  });

  it('cosineEmbeddingLoss gradient and errors', () => {
    const x1 = tensor(lcg(8, 5)).reshape([2, 4]);
    const x2 = tensor(lcg(8, 6)).reshape([2, 4]);
    expectGrad((a, b) => cosineEmbeddingLoss(a, b, tensor([1, -1]), { margin: -0.5 }), [x1, x2]);
    expect(() => cosineEmbeddingLoss(x1, tensor(lcg(6, 1)).reshape([2, 3]), tensor([1, -1]))).toThrow('cosineEmbeddingLoss: x1 [2,4] and x2 [2,3] differ');
    expect(() => cosineEmbeddingLoss(x1, x2, tensor([1, -1, 1]))).toThrow('cosineEmbeddingLoss: y [3] must be [2] for inputs [2,4]');
    expect(() => cosineEmbeddingLoss(x1, x2, tensor([true, false]))).toThrow(DTypeError);
  });
});

describe('options objects', () => {
  it('every loss function and loss module rejects an unknown or misspelt option, naming the accepted ones', () => {
    const before = memory().tensors;
    scope(() => {
      const x = tensor([0.2, 0.7]);
      const t = tensor([0, 1]);
      const bad = { reductoin: 'sum' } as never;
      expect(() => mseLoss(x, t, bad)).toThrow("mseLoss: unknown option 'reductoin' (expected reduction)");
      expect(() => l1Loss(x, t, bad)).toThrow("l1Loss: unknown option 'reductoin' (expected reduction)");
      expect(() => smoothL1Loss(x, t, bad)).toThrow("smoothL1Loss: unknown option 'reductoin' (expected reduction, beta)");
      expect(() => huberLoss(x, t, bad)).toThrow("huberLoss: unknown option 'reductoin' (expected reduction, delta)");
      expect(() => crossEntropy(x.reshape([1, 2]), tensor([1], { dtype: 'int32' }), bad)).toThrow(
        "crossEntropy: unknown option 'reductoin' (expected weight, reduction, ignoreIndex, labelSmoothing)",
      );
      expect(() => nllLoss(x.reshape([1, 2]), tensor([1], { dtype: 'int32' }), bad)).toThrow(
        "nllLoss: unknown option 'reductoin' (expected weight, reduction, ignoreIndex)",
      );
      expect(() => binaryCrossEntropy(x, t, bad)).toThrow("binaryCrossEntropy: unknown option 'reductoin' (expected weight, reduction)");
      expect(() => binaryCrossEntropyWithLogits(x, t, { pos_weight: tensor([2]) } as never)).toThrow(
        "binaryCrossEntropyWithLogits: unknown option 'pos_weight' (did you mean 'posWeight'?) (expected weight, posWeight, reduction)",
      );
      expect(() => klDiv(x.log(), t, bad)).toThrow("klDiv: unknown option 'reductoin' (expected reduction, logTarget)");
      expect(() => cosineEmbeddingLoss(x.reshape([1, 2]), x.reshape([1, 2]), tensor([1]), bad)).toThrow(
        "cosineEmbeddingLoss: unknown option 'reductoin' (expected margin, reduction)",
      );
      expect(() => mseLoss(x, t, 'sum' as never)).toThrow('mseLoss: expected an options object, got string');
      for (const [name, make] of [
        ['MSELoss', () => new MSELoss(bad)],
        ['L1Loss', () => new L1Loss(bad)],
        ['SmoothL1Loss', () => new SmoothL1Loss(bad)],
        ['HuberLoss', () => new HuberLoss(bad)],
        ['CrossEntropyLoss', () => new CrossEntropyLoss(bad)],
        ['NLLLoss', () => new NLLLoss(bad)],
        ['BCELoss', () => new BCELoss(bad)],
        ['BCEWithLogitsLoss', () => new BCEWithLogitsLoss(bad)],
        ['KLDivLoss', () => new KLDivLoss(bad)],
        ['CosineEmbeddingLoss', () => new CosineEmbeddingLoss(bad)],
      ] as const) {
        expect(make, name).toThrow(new RegExp(`^${name}: unknown option 'reductoin' \\(expected `));
        expect(make, name).toThrow(ArgumentError);
      }
    });
    expect(memory().tensors).toBe(before); // nothing the failed calls made is left behind
  });
});
