import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import * as tensorApi from '@aimodel/tensor';

describe('@aimodel/nn re-exports the tensor API', () => {
  it('exposes every @aimodel/tensor export under the same name', () => {
    for (const name of Object.keys(tensorApi)) expect((nn as Record<string, unknown>)[name], name).toBe((tensorApi as Record<string, unknown>)[name]);
  });
  it('computes through the re-exported functions', async () => {
    const y = nn.matmul(nn.tensor([[1, 2]]), nn.tensor([[3], [4]]));
    expect(await y.toArray()).toEqual([[11]]);
  });
});
