import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  BatchNorm1d,
  DeviceError,
  DTypeError,
  federatedAverage,
  Linear,
  memory,
  Sequential,
  ShapeError,
  type Tensor,
  tensor,
} from '../src/index';
import { expectTensorValues } from './helpers';
import { hasWebGpu } from './webgpu-available';

const WEBGPU = await hasWebGpu();

const dispose = (d: Record<string, Tensor>) => {
  for (const t of Object.values(d)) t.dispose();
};

describe('federatedAverage', () => {
  it('weights by sample count: Σ wᵢ·dᵢ / Σ wᵢ, key by key (hand-computed)', () => {
    const before = memory().tensors;
    const a = {
      w: tensor([
        [1, 2],
        [3, 4],
      ]),
      b: tensor([10]),
    };
    const b = {
      w: tensor([
        [5, 6],
        [7, 8],
      ]),
      b: tensor([-2]),
    };
    const c = {
      w: tensor([
        [0, 0],
        [0, 1],
      ]),
      b: tensor([0.5]),
    };
    // weights 1, 2, 5 → shares 1/8, 2/8, 5/8
    const avg = federatedAverage([a, b, c], [1, 2, 5]);
    expect(Object.keys(avg)).toEqual(['w', 'b']);
    // w[0][0] = (1·1 + 2·5 + 5·0)/8 = 11/8; w[0][1] = (2 + 12)/8 = 14/8; w[1][0] = (3 + 14)/8; w[1][1] = (4 + 16 + 5)/8
    expectTensorValues(avg.w as Tensor, [
      [11 / 8, 14 / 8],
      [17 / 8, 25 / 8],
    ]);
    // b = (10 − 4 + 2.5)/8 = 8.5/8
    expectTensorValues(avg.b as Tensor, [8.5 / 8]);
    expect(avg.w?.requiresGrad).toBe(false);
    // new tensors: the inputs are untouched
    expect(avg.w).not.toBe(a.w);
    expectTensorValues(a.w, [
      [1, 2],
      [3, 4],
    ]);
    for (const d of [a, b, c, avg]) dispose(d);
    expect(memory().tensors).toBe(before);
  });

  it('equal weights without `weights`; a zero weight leaves that dict out; scaling the weights changes nothing', () => {
    const a = { x: tensor([2, 4]) };
    const b = { x: tensor([6, -4]) };
    const plain = federatedAverage([a, b]);
    expectTensorValues(plain.x as Tensor, [4, 0]);
    const onlyA = federatedAverage([a, b], [3, 0]);
    expectTensorValues(onlyA.x as Tensor, [2, 4]);
    const scaled = federatedAverage([a, b], [1e6, 3e6]);
    expectTensorValues(scaled.x as Tensor, [5, -2]); // (2 + 18)/4, (4 − 12)/4
    const single = federatedAverage([a], [7]);
    expectTensorValues(single.x as Tensor, [2, 4]);
    for (const d of [a, b, plain, onlyA, scaled, single]) dispose(d);
  });

  it('averages whole models: a BatchNorm’s int32 num_batches_tracked is rounded (ties to even) and stays int32', () => {
    const make = () => new Sequential(new Linear(2, 2), new BatchNorm1d(2));
    const m1 = make();
    const m2 = make();
    m1.loadStateDict({ ...m1.stateDict(), '1.num_batches_tracked': tensor(3, { dtype: 'int32' }) });
    m2.loadStateDict({ ...m2.stateDict(), '1.num_batches_tracked': tensor(4, { dtype: 'int32' }) });
    const avg = federatedAverage([m1.stateDict(), m2.stateDict()], [1, 1]); // 3.5 → 4
    expect(avg['1.num_batches_tracked']?.dtype).toBe('int32');
    expect(avg['1.num_batches_tracked']?.dataSync()[0]).toBe(4);
    const avg2 = federatedAverage([m1.stateDict(), m2.stateDict()], [3, 1]); // 3.25 → 3
    expect(avg2['1.num_batches_tracked']?.dataSync()[0]).toBe(3);
    const w1 = Array.from(m1.stateDict()['0.weight']?.dataSync() ?? []);
    const w2 = Array.from(m2.stateDict()['0.weight']?.dataSync() ?? []);
    expectTensorValues(
      avg['0.weight'] as Tensor,
      w1.map((v, i) => (v + (w2[i] as number)) / 2),
    );
    const server = make();
    expect(server.loadStateDict(avg)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const d of [avg, avg2]) dispose(d);
    for (const m of [m1, m2, server]) m.dispose();
  });

  it('rejects bad input with typed errors naming what it got', () => {
    const a = { w: tensor([1, 2]), b: tensor([0]) };
    expect(() => federatedAverage([])).toThrow(ArgumentError);
    expect(() => federatedAverage([])).toThrow(/federatedAverage: expected a non-empty array of state dicts, got an empty array/);
    expect(() => federatedAverage(a as never)).toThrow(/non-empty array of state dicts, got object/);
    expect(() => federatedAverage([a, null as never])).toThrow(/state dict 1 must be a record of tensors/);
    // keys
    expect(() => federatedAverage([a, { w: tensor([1, 2]), c: tensor([0]) }])).toThrow(
      /state dict 1 has other keys than state dict 0: missing \[b\], unexpected \[c\]/,
    );
    expect(() => federatedAverage([a, { w: tensor([1, 2]), b: 3 as never }])).toThrow(/state dict 1: 'b' must be a Tensor, got number/);
    // shapes, dtypes
    const e1 = (() => {
      try {
        federatedAverage([a, { w: tensor([[1, 2]]), b: tensor([0]) }]);
      } catch (e) {
        return e;
      }
    })();
    expect(e1).toBeInstanceOf(ShapeError);
    expect((e1 as Error).message).toMatch(/'w' has shape \[1,2\] in state dict 1 but \[2\] in state dict 0/);
    expect(() => federatedAverage([a, { w: tensor([1, 2], { dtype: 'int32' }), b: tensor([0]) }])).toThrow(DTypeError);
    expect(() => federatedAverage([{ m: tensor([true]) }, { m: tensor([false]) }])).toThrow(/'m' is a bool tensor, which has no average/);
    // weights
    expect(() => federatedAverage([a, a], [1])).toThrow(/expected 2 weights \(one per state dict, e.g. each client's sample count\), got 1 weights/);
    expect(() => federatedAverage([a, a], [0, 0])).toThrow(/the weights must sum to a positive number, got sum 0 \(\[0, 0\]\)/);
    expect(() => federatedAverage([a, a], [1, -1])).toThrow(/weight 1 must be a finite number ≥ 0, got -1/);
    expect(() => federatedAverage([a, a], [1, Number.NaN])).toThrow(/weight 1 must be a finite number ≥ 0, got NaN/);
    expect(() => federatedAverage([a, a], [1, '2' as never])).toThrow(/weight 1 must be a finite number ≥ 0, got string/);
    expect(() => federatedAverage([a, a], 2 as never)).toThrow(/expected 2 weights .*got number/);
    // disposed
    const gone = { w: tensor([1, 2]), b: tensor([0]) };
    gone.w.dispose();
    expect(() => federatedAverage([a, gone])).toThrow(/state dict 1: 'w' was disposed/);
    dispose(a);
    gone.b.dispose();
  });
});

describe.skipIf(!WEBGPU)('federatedAverage on WebGPU', () => {
  it('averages on the device, as on the CPU; mixing devices is a DeviceError', async () => {
    const a = { w: tensor([1, 2, 3], { device: 'webgpu' }) };
    const b = { w: tensor([3, 6, -3], { device: 'webgpu' }) };
    const avg = federatedAverage([a, b], [1, 3]);
    expect(avg.w?.device).toBe('webgpu');
    expect(Array.from(await (avg.w as Tensor).data())).toEqual([2.5, 5, -1.5]);
    const cpu = { w: tensor([1, 2, 3]) };
    expect(() => federatedAverage([cpu, a])).toThrow(DeviceError);
    expect(() => federatedAverage([cpu, a])).toThrow(/'w' is on webgpu in state dict 1 but on cpu in state dict 0/);
    for (const d of [a, b, avg, cpu]) dispose(d);
  });
});
