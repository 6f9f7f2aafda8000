// Pruning masks checked against values worked out by hand from PyTorch's definitions
// (torch/nn/utils/prune.py): _compute_nparams_toprune (round half to even), L1Unstructured (the k
// smallest |w|), LnStructured (keep the slices of largest Ln norm), PruningContainer._combine_masks
// (a new amount applies to what is still unpruned), global_unstructured and remove.
import { Conv2d, Generator, init, LSTM, Linear, manualSeed, memory, ones, Parameter, ReLU, randn, Sequential, type Tensor, tensor } from '@aimodel/nn';
import { SGD } from '@aimodel/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import { customFromMask, globalUnstructured, isPruned, l1Unstructured, lnStructured, randomUnstructured, removePruning } from '../src/index';
import { roundHalfEven } from '../src/prune/amount';

beforeAll(async () => {
  await init({ device: 'cpu' });
});

const values = (t: Tensor) => Array.from(t.dataSync());

/** A bias-free Linear with the given [out, in] weight. */
function linearWith(w: number[][]): Linear {
  const fc = new Linear(w[0].length, w.length, { bias: false });
  fc.weight.assign(tensor(w));
  return fc;
}

describe('amounts', () => {
  it('round fractions half to even, as Python round() in _compute_nparams_toprune', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, -0, 2, 3]);
    // 0.25 of 10 entries is 2.5 → 2 pruned; 0.35·10 = 3.5 → 4; 0.45·10 = 4.5 → 4; 0.55·10 = 5.5 → 6
    const counts = [
      [0.25, 10],
      [0.35, 10],
      [0.45, 10],
      [0.55, 10],
    ].map(([a, n]) => values(l1Unstructured(linearWith([Array.from({ length: n }, (_, i) => i + 1)]), 'weight', a).weightMask).filter((v) => v === 0).length);
    expect(counts).toEqual([2, 4, 4, 6]);
  });

  it('take whole numbers above 1 and { count } as counts, and reject the rest with typed errors', () => {
    const fc = linearWith([[5, 4, 3, 2, 1]]);
    l1Unstructured(fc, 'weight', 2);
    expect(values(fc.weight)).toEqual([5, 4, 3, 0, 0]);
    l1Unstructured(fc, 'weight', { count: 1 });
    expect(values(fc.weight)).toEqual([5, 4, 0, 0, 0]);
    expect(() => l1Unstructured(fc, 'weight', 4)).toThrow('l1Unstructured: amount 4 is more than the 2 entries left to prune');
    for (const bad of [-0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => l1Unstructured(linearWith([[1, 2]]), 'weight', bad)).toThrow(/l1Unstructured: amount must be a fraction in \[0, 1\] or a whole count/);
    }
    expect(() => l1Unstructured(linearWith([[1, 2]]), 'weight', { count: 0.5 })).toThrow(/\{ count: k \} with a whole k >= 0/);
    expect(() => l1Unstructured(linearWith([[1, 2]]), 'weight', 2, { bogus: 1 } as never)).toThrow(/unknown option 'bogus'/);
    try {
      l1Unstructured(linearWith([[1, 2]]), 'weight', -1);
    } catch (e) {
      expect((e as Error).name).toBe('ArgumentError');
    }
  });

  it('name unknown parameters', () => {
    expect(() => l1Unstructured(new Linear(2, 2), 'wieght', 0.5)).toThrow("l1Unstructured: Linear has no parameter 'wieght' (its parameters: weight, bias)");
  });
});

describe('l1Unstructured', () => {
  it('prunes the k smallest |w|, ties to the lower flat index', () => {
    // |w| = [1, 1, 2, 0.5, 2, 1]: 3 to prune → 0.5 (index 3), then two of the three 1s: indices 0 and 1
    const fc = l1Unstructured(
      linearWith([
        [1, -1, 2],
        [0.5, -2, 1],
      ]),
      'weight',
      0.5,
    );
    expect(values(fc.weightMask)).toEqual([0, 0, 1, 0, 1, 1]);
    expect(values(fc.weight)).toEqual([0, -0, 2, 0, -2, 1]);
    expect(fc.weightMask.shape).toEqual([2, 3]);
  });

  it('keeps the parameter object as weight_orig and uses PyTorch state-dict names', () => {
    const fc = new Linear(3, 2);
    const w = fc.weight;
    const pruned = l1Unstructured(fc, 'weight', 0.5);
    expect(pruned).toBe(fc);
    expect(pruned.weightOrig).toBe(w);
    expect(fc.weight).not.toBeInstanceOf(Parameter);
    expect(Object.keys(fc.stateDict())).toEqual(['bias', 'weight_orig', 'weight_mask']);
    expect(fc.parameters()).toEqual([fc.bias, w]);
    expect(() => {
      (fc as { weight: Tensor }).weight = ones([2, 3]);
    }).toThrow(/is pruned .* assign weightOrig, or call removePruning/);
  });

  it('composes masks: a new amount applies to the entries still unpruned (PruningContainer)', () => {
    // custom mask prunes the 3; then 0.4 of the 3 entries left is round(1.2) = 1 → the 1 goes
    // (0.4 of all 4 would be round(1.6) = 2)
    const fc = customFromMask(linearWith([[4, 1, 3, 2]]), 'weight', tensor([[1, 1, 0, 1]]));
    l1Unstructured(fc, 'weight', 0.4);
    expect(values(fc.weightMask)).toEqual([1, 0, 0, 1]);
    // 0.5 of the 2 left: the 2 goes
    l1Unstructured(fc, 'weight', 0.5);
    expect(values(fc.weightMask)).toEqual([1, 0, 0, 0]);
    expect(values(fc.weight)).toEqual([4, 0, 0, 0]);
  });

  it('ranks by importanceScores when given', () => {
    const fc = l1Unstructured(linearWith([[1, 2, 3, 4]]), 'weight', 0.5, { importanceScores: tensor([[4, 3, 2, 1]]) });
    expect(values(fc.weight)).toEqual([1, 2, 0, 0]);
    expect(() => l1Unstructured(linearWith([[1, 2]]), 'weight', 0.5, { importanceScores: tensor([1, 2]) })).toThrow(/shape \[1,2\], got \[2\]/);
  });
});

describe('forward and gradients', () => {
  /** A Linear(3, 2) with the half of its weights of least magnitude (0.5, 1, 2) pruned: mask [0, 1, 0; 1, 0, 1]. */
  const prunedHalf = () =>
    l1Unstructured(
      linearWith([
        [1, -3, 2],
        [4, 0.5, -6],
      ]),
      'weight',
      0.5,
    );
  it('recomputes weight = orig · mask before every forward; gradients reach orig through the mask', () => {
    const fc = prunedHalf(); // prunes 0.5, 1, 2
    const model = new Sequential(fc, new ReLU());
    const x = tensor([[1, 2, 3]]);
    expect(values(model.forward(x))).toEqual([0, 0]); // [0·1 − 3·2 + 0, 4 + 0 − 18] → relu → [0, 0]
    fc.weightOrig.assign(
      tensor([
        [1, 3, 2],
        [4, 0.5, 6],
      ]),
    ); // sign flips: only the kept entries count
    expect(values(model.forward(x))).toEqual([6, 22]);
    fc.weightOrig.grad = null;
    model.forward(x).sum().backward();
    // d/dorig = mask · x (both outputs positive)
    expect(values(fc.weightOrig.grad as unknown as Tensor)).toEqual([0, 2, 0, 1, 0, 3]);
  });

  it("recomputes through nn's forward pre-hooks, beside the user's own hooks", () => {
    const fc = linearWith([[1, -3, 2]]);
    const seen: number[][] = [];
    const user = fc.registerForwardPreHook((m) => {
      seen.push(Array.from((m as Linear).weight.dataSync()));
    });
    l1Unstructured(fc, 'weight', { count: 1 });
    (fc as unknown as { weightOrig: Tensor }).weightOrig.assign(tensor([[5, -4, 2]]));
    expect(values(fc.call(tensor([[1, 1, 1]])))).toEqual([-2]); // 5·0 − 4 + 2: the mask applies to the new orig
    expect(seen).toEqual([[0, -3, 2]]); // the user's hook ran first: it still saw the weight of the last recomputation
    removePruning(fc, 'weight');
    expect(values(fc.call(tensor([[1, 1, 1]])))).toEqual([-2]);
    expect(seen.length).toBe(2);
    user.remove();
    expect(Object.getOwnPropertyDescriptor(fc, 'forward')).toBeUndefined();
  });

  it('keeps pruned weights at zero through optimizer steps', () => {
    const fc = prunedHalf();
    const opt = new SGD(fc.parameters(), { lr: 0.1, momentum: 0.9 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      fc.forward(tensor([[1, 2, 3]]))
        .pow(2)
        .sum()
        .backward();
      opt.step();
    }
    fc.forward(tensor([[0, 0, 0]]));
    const w = values(fc.weight);
    expect([w[0], w[2], w[4]]).toEqual([0, 0, 0]);
    expect(values(fc.weightOrig)[0]).toBe(1); // gradient 0 through the mask: orig unchanged there
  });

  it('keeps memory flat across forwards, and frees the mask and masked weight on removePruning', () => {
    const fc = new Linear(8, 4);
    const x = ones([2, 8]);
    const base = memory().tensors;
    l1Unstructured(fc, 'weight', 0.5);
    expect(memory().tensors).toBe(base + 2); // mask + masked weight
    const after = memory();
    for (let i = 0; i < 5; i++) fc.forward(x).dispose();
    expect(memory().tensors).toBe(after.tensors);
    expect(memory().bytes).toBe(after.bytes);
    removePruning(fc, 'weight');
    expect(memory().tensors).toBe(base);
    x.dispose();
  });
});

describe('lnStructured', () => {
  // rows: L1 4, 3, 4 · L2 √6, 3, 2 · L∞ 2, 3, 1; columns: L1 5, 3, 1, 2
  const W = [
    [1, -2, 0, 1],
    [3, 0, 0, 0],
    [1, 1, 1, 1],
  ];
  const rowMask = (fc: Linear & { weightMask: Tensor }) => {
    const m = values(fc.weightMask);
    return [0, 1, 2].map((r) => m[r * 4]);
  };

  it('n = 1 on dim 0 keeps the rows of largest L1 norm; ties keep the lower index', () => {
    expect(rowMask(lnStructured(linearWith(W), 'weight', { count: 1 }, 1, 0))).toEqual([1, 0, 1]);
    expect(rowMask(lnStructured(linearWith(W), 'weight', { count: 2 }, 1, 0))).toEqual([1, 0, 0]); // 4 = 4: row 0 kept
  });

  it('n = 2 and n = ∞ on dim 0', () => {
    expect(rowMask(lnStructured(linearWith(W), 'weight', { count: 1 }, 2, 0))).toEqual([1, 1, 0]);
    expect(rowMask(lnStructured(linearWith(W), 'weight', 2, 2, 0))).toEqual([0, 1, 0]);
    expect(rowMask(lnStructured(linearWith(W), 'weight', 2, Number.POSITIVE_INFINITY, 0))).toEqual([0, 1, 0]);
    const W2 = [
      [3, 0],
      [2, 2],
    ];
    const halfOfTwoRows = (n: number) => values(lnStructured(linearWith(W2), 'weight', 0.5, n, 0).weightMask);
    expect(halfOfTwoRows(2)).toEqual([1, 1, 0, 0]); // 3 > √8
    expect(halfOfTwoRows(1)).toEqual([0, 0, 1, 1]); // 3 < 4
  });

  it('n = 1 and 2 on dim 1 (and dim −1): input columns', () => {
    expect(values(lnStructured(linearWith(W), 'weight', 0.5, 1, 1).weightMask)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
    // L2 columns √11, √5, 1, √2; 0.25 of 4 = 1 → column 2
    expect(values(lnStructured(linearWith(W), 'weight', 0.25, 2, -1).weightMask)).toEqual([1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1]);
  });

  it('prunes conv input channels with a negative dim', () => {
    const conv = new Conv2d(3, 2, 1, { bias: false });
    conv.weight.assign(tensor([1, 5, 2, 1, 5, 2]).reshape([2, 3, 1, 1])); // channel L1 norms 2, 10, 4
    lnStructured(conv, 'weight', 1 / 3, 1, -3);
    expect(values(conv.weight)).toEqual([0, 5, 2, 0, 5, 2]);
  });

  it('composes: the amount applies to the slices with an unpruned entry left', () => {
    const fc = lnStructured(linearWith([[1], [2], [3], [4], [5]]), 'weight', 0.4, 1, 0); // 2 of 5: rows 0, 1
    expect(values(fc.weightMask)).toEqual([0, 0, 1, 1, 1]);
    lnStructured(fc, 'weight', 0.4, 1, 0); // 0.4 of the 3 left = round(1.2) = 1: row 2
    expect(values(fc.weightMask)).toEqual([0, 0, 0, 1, 1]);
    // an unstructured pruning after it sees only the unpruned entries
    l1Unstructured(fc, 'weight', 0.5);
    expect(values(fc.weightMask)).toEqual([0, 0, 0, 0, 1]);
  });

  it('checks n and dim', () => {
    expect(() => lnStructured(new Linear(2, 2), 'weight', 0.5, 0, 0)).toThrow(/n \(the norm's order\) must be a positive number/);
    expect(() => lnStructured(new Linear(2, 2), 'weight', 0.5, 2, 2)).toThrow("dim 2 is out of range for the 2-D parameter 'weight' (expected -2 to 1)");
  });
});

describe('globalUnstructured and randomUnstructured', () => {
  it('ranks every entry of the listed parameters together', () => {
    const a = linearWith([
      [0.1, 5],
      [4, 0.3],
    ]);
    const b = linearWith([[0.2, 2, 0.25]]);
    // 7 entries, 0.5 → round(3.5) = 4 smallest: 0.1, 0.2, 0.25, 0.3
    globalUnstructured(
      [
        [a, 'weight'],
        [b, 'weight'],
      ],
      { amount: 0.5, method: 'l1' },
    );
    expect(values(a.weight)).toEqual([0, 5, 4, 0]);
    expect(values(b.weight)).toEqual([0, 2, 0]);
    // again: 0.5 of the 3 left → round(1.5) = 2: 2 and 4; ranked on the masked weights
    globalUnstructured(
      [
        [a, 'weight'],
        [b, 'weight'],
      ],
      { amount: 0.5 },
    );
    expect(values(a.weight)).toEqual([0, 5, 0, 0]);
    expect(values(b.weight)).toEqual([0, 0, 0]);
    expect(Object.keys(b.stateDict())).toEqual(['weight_orig', 'weight_mask']);
  });

  it('rejects bad lists and options', () => {
    const a = new Linear(2, 2);
    expect(() => globalUnstructured([], { amount: 0.5 })).toThrow(/non-empty list/);
    expect(() =>
      globalUnstructured(
        [
          [a, 'weight'],
          [a, 'weight'],
        ],
        { amount: 0.5 },
      ),
    ).toThrow(/listed twice/);
    expect(() => globalUnstructured([[a, 'weight']], { amount: 0.5, method: 'l2' as never })).toThrow(/method must be 'l1' or 'random'/);
  });

  it('randomUnstructured prunes the entries of highest uniform score from the generator', () => {
    const fc = randomUnstructured(new Linear(5, 4), 'weight', 0.3, { generator: new Generator({ seed: 3 }) });
    const u = new Generator({ seed: 3 }).uniform(20);
    const top6 = [...u.keys()].sort((i, j) => u[j] - u[i]).slice(0, 6);
    expect(values(fc.weightMask)).toEqual(Array.from(u, (_, i) => (top6.includes(i) ? 0 : 1)));
    const again = randomUnstructured(new Linear(5, 4), 'weight', 0.3, { generator: new Generator({ seed: 3 }) });
    expect(values(again.weightMask)).toEqual(values(fc.weightMask));
  });
});

describe('other layers', () => {
  it("prunes an LSTM weight by its state-dict name, as PyTorch's 'weight_ih_l0'", () => {
    manualSeed(3);
    const lstm = new LSTM(3, 2);
    const plain = new LSTM(3, 2);
    plain.loadStateDict(lstm.stateDict());
    l1Unstructured(lstm, 'weight_ih_l0', 0.5);
    const keys = Object.keys(lstm.stateDict());
    expect(keys).toContain('weight_ih_l0_orig');
    expect(keys).toContain('weight_ih_l0_mask');
    expect(keys).not.toContain('weight_ih_l0');
    (plain as unknown as { weightIhL0: Tensor }).weightIhL0.assign((lstm as unknown as { weightIhL0: Tensor }).weightIhL0);
    const x = randn([4, 1, 3]);
    const [a] = lstm.forward(x) as Tensor[];
    const [b] = plain.forward(x) as Tensor[];
    expect(values(a)).toEqual(values(b));
    expect(values((lstm as unknown as { weightIhL0: Tensor }).weightIhL0).filter((v) => v === 0).length).toBe(12); // half of 8·3
  });
});

describe('customFromMask, removePruning, isPruned', () => {
  it('makes pruning permanent on the same Parameter object', () => {
    const model = new Sequential(
      linearWith([
        [1, -2],
        [3, 0.5],
      ]),
      new ReLU(),
    );
    const fc = model.at(0) as Linear;
    const w = fc.weight;
    expect(isPruned(model)).toBe(false);
    customFromMask(
      fc,
      'weight',
      tensor([
        [0, 1],
        [1, 0],
      ]),
    );
    expect(isPruned(model)).toBe(true);
    removePruning(fc, 'weight');
    expect(isPruned(model)).toBe(false);
    expect(fc.weight).toBe(w);
    expect(values(fc.weight)).toEqual([0, -2, 3, 0]);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight']);
    expect(values(model.forward(tensor([[1, 1]])))).toEqual([0, 3]);
    expect(() => removePruning(fc, 'weight')).toThrow("removePruning: parameter 'weight' of Linear is not pruned");
    expect(() => customFromMask(fc, 'weight', tensor([1, 0]))).toThrow(/mask must be a tensor of the parameter's shape \[2,2\], got \[2\]/);
  });

  it('prunes bias and weight of one module independently', () => {
    const fc = new Linear(2, 2);
    fc.bias?.assign(tensor([0.1, -3]));
    l1Unstructured(fc, 'bias', 0.5);
    lnStructured(fc, 'weight', 0.5, 2, 0);
    expect(values(fc.bias as Tensor)).toEqual([0, -3]);
    removePruning(fc, 'bias');
    expect(isPruned(fc)).toBe(true);
    expect(Object.keys(fc.stateDict())).toEqual(['weight_orig', 'bias', 'weight_mask']);
    removePruning(fc, 'weight');
    expect(Object.keys(fc.stateDict())).toEqual(['bias', 'weight']);
  });
});
