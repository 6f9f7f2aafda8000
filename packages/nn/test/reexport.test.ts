import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import * as tensorApi from '@aimodel/tensor';

describe('@aimodel/nn re-exports the tensor API', () => {
  it('exposes every @aimodel/tensor export under the same name', () => {
    for (const name of Object.keys(tensorApi)) {
      if (name === 'init') continue; // extended below
      expect((nn as Record<string, unknown>)[name], name).toBe((tensorApi as Record<string, unknown>)[name]);
    }
  });
  it("init both selects the device (as tensor's init) and carries the weight initializers", async () => {
    expect(await nn.init({ device: 'cpu' })).toBe('cpu');
    expect(await nn.init()).toBe('cpu');
    await expect(nn.init({ device: 'tpu' as never })).rejects.toThrow(nn.ArgumentError);
    expect(await nn.init({ device: 'cpu' })).toBe(nn.getDefaultDevice());
    const w = nn.init.constant(nn.zeros([2, 2]), 3);
    expect(await w.toArray()).toEqual([
      [3, 3],
      [3, 3],
    ]);
    expect(typeof nn.init.kaimingUniform).toBe('function');
  });
  it('computes through the re-exported functions', async () => {
    const y = nn.matmul(nn.tensor([[1, 2]]), nn.tensor([[3], [4]]));
    expect(await y.toArray()).toEqual([[11]]);
  });
});
