// modelSize and sparsity: counts and bytes worked out by hand for small models.
import { BatchNorm1d, init, Linear, memory, Module, ReLU, Sequential, type Tensor, tensor } from '@aimodel/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { customFromMask, globalUnstructured, lnStructured, modelSize, removePruning, sparsity } from '../src/index';

beforeAll(async () => {
  await init({ device: 'cpu' });
});

/** A module storing a quantized-style int8 weight and a float scale as buffers. */
class Int8Holder extends Module {
  q = tensor([1, 0, -3, 0], { dtype: 'int8' });
  scale = tensor([0.5]);
  forward(x: Tensor) {
    return x;
  }
}

describe('modelSize', () => {
  it('counts parameters, non-zeros and bytes per module; buffers are stored but not parameters', async () => {
    const model = new Sequential(new Linear(4, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 2));
    const size = await modelSize(model);
    // 0: 32 + 8; 1: 8 + 8 (+ running_mean 8, running_var 8, num_batches_tracked 1); 3: 16 + 2
    expect(size.layers.map((l) => [l.name, l.type, l.parameters])).toEqual([
      ['0', 'Linear', 40],
      ['1', 'BatchNorm1d', 16],
      ['3', 'Linear', 18],
    ]);
    const nbt = model.stateDict()['1.num_batches_tracked'];
    const nbtBytes = nbt.dtype === 'float32' || nbt.dtype === 'int32' ? 4 : 1;
    expect(size.layers[1].bytes).toBe((16 + 16) * 4 + nbtBytes);
    expect(size.parameters).toBe(74);
    expect(size.bytes).toBe(40 * 4 + 32 * 4 + nbtBytes + 18 * 4);
    // BatchNorm's running_mean starts at zero but is not a parameter: β = 0 (8 zeros) is
    expect(size.layers[1].nonZeros).toBe(8);
  });

  it('counts int8 buffers one byte an element, and their zeros', async () => {
    const size = await modelSize(new Int8Holder());
    expect(size.layers).toEqual([{ name: '', type: 'Int8Holder', dtypes: ['int8', 'float32'], parameters: 4, nonZeros: 2, sparsity: 0.5, bytes: 8 }]);
  });

  it('counts a pruned weight by orig · mask and stores its mask until removePruning', async () => {
    const fc = new Linear(2, 3);
    fc.weight.assign(
      tensor([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    fc.bias?.assign(tensor([1, 1, 1]));
    lnStructured(fc, 'weight', { count: 1 }, 2, 0); // row 0 goes
    const pruned = await modelSize(fc);
    expect([pruned.parameters, pruned.nonZeros, pruned.bytes]).toEqual([9, 7, (9 + 6) * 4]);
    expect(pruned.sparsity).toBeCloseTo(2 / 9, 12);
    removePruning(fc, 'weight');
    const after = await modelSize(fc);
    expect([after.parameters, after.nonZeros, after.bytes]).toEqual([9, 7, 36]);
    const text = String(after);
    expect(text.split('\n')).toEqual([
      '='.repeat(59),
      'Layer    Type    DType    Params  Non-zero  Sparsity  Bytes',
      '='.repeat(59),
      '(model)  Linear  float32       9         7    22.22%     36',
      '='.repeat(59),
      'Total                          9         7    22.22%     36',
    ]);
  });
});

describe('sparsity', () => {
  it('reports each parameter under its own name, and the total', async () => {
    const a = new Linear(2, 2);
    const b = new Linear(2, 1);
    a.weight.assign(
      tensor([
        [0.1, 5],
        [4, 0.3],
      ]),
    );
    b.weight.assign(tensor([[0.2, 2]]));
    const model = new Sequential(a, new ReLU(), b);
    globalUnstructured(
      [
        [a, 'weight'],
        [b, 'weight'],
      ],
      { amount: 0.5 },
    );
    customFromMask(a, 'bias', tensor([0, 1]));
    const base = memory().tensors;
    const report = await sparsity(model);
    expect(memory().tensors).toBe(base);
    expect(report.parameters.map((p) => [p.name, p.elements, p.zeros])).toEqual([
      ['0.weight', 4, 2],
      ['0.bias', 2, 1],
      ['2.bias', 1, 0],
      ['2.weight', 2, 1],
    ]);
    expect([report.elements, report.zeros]).toEqual([9, 4]);
    const weights = await sparsity(model, { weightsOnly: true });
    expect(weights.sparsity).toBe(0.5);
    expect(String(weights).split('\n')).toContain('0.weight   [2, 2]         4      2    50.00%');
    await expect(sparsity(model, { weights: true } as never)).rejects.toThrow(/unknown option 'weights'/);
  });
});
