import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  manualSeed,
  memory,
  randn,
  ShapeError,
  scope,
  type Tensor,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
} from '../../src/index';
import { expectValues } from '../helpers';

const MHA_KEYS = (p: string) => [`${p}.in_proj_weight`, `${p}.in_proj_bias`, `${p}.out_proj.weight`, `${p}.out_proj.bias`];
const LAYER_KEYS = [
  ...MHA_KEYS('self_attn'),
  ...MHA_KEYS('multihead_attn'),
  'linear1.weight',
  'linear1.bias',
  'linear2.weight',
  'linear2.bias',
  'norm1.weight',
  'norm1.bias',
  'norm2.weight',
  'norm2.bias',
  'norm3.weight',
  'norm3.bias',
];

describe('TransformerDecoderLayer', () => {
  it("has PyTorch's state-dict keys, in PyTorch's order", () => {
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    expect(Object.keys(layer.stateDict())).toEqual(LAYER_KEYS);
    layer.dispose();
  });

  it('post-norm and pre-norm forwards equal their formulas written with the submodules', () => {
    manualSeed(0);
    for (const normFirst of [false, true]) {
      const l = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, normFirst }).eval();
      const tgt = randn([3, 2, 8]);
      const mem = randn([5, 2, 8]);
      const got = l.call(tgt, mem);
      const want = scope(() => {
        const sa = (x: Tensor) => l.selfAttn.call(x, x, x, { needWeights: false })[0];
        const ca = (x: Tensor) => l.multiheadAttn.call(x, mem, mem, { needWeights: false })[0];
        const ff = (x: Tensor) => l.linear2.call(l.linear1.call(x).relu());
        let x = tgt;
        if (normFirst) {
          x = x.add(sa(l.norm1.call(x)));
          x = x.add(ca(l.norm2.call(x)));
          return x.add(ff(l.norm3.call(x)));
        }
        x = l.norm1.call(x.add(sa(x)));
        x = l.norm2.call(x.add(ca(x)));
        return l.norm3.call(x.add(ff(x)));
      });
      expectValues(got.dataSync(), Array.from(want.dataSync()), 1e-5);
      for (const t of [got, want, tgt, mem]) t.dispose();
      l.dispose();
    }
  });

  it('with tgtIsCausal, an output position does not depend on later targets', () => {
    manualSeed(1);
    const l = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }).eval();
    const mem = randn([1, 4, 8]);
    const a = randn([1, 3, 8]);
    const b = scope(() => a.narrow(1, 0, 2).clone().reshape([1, 2, 8]));
    const ya = l.call(a, mem, { tgtIsCausal: true });
    const yb = l.call(b, mem, { tgtIsCausal: true }); // the first two targets only
    expectValues(ya.narrow(1, 0, 2).contiguous().dataSync(), Array.from(yb.dataSync()), 1e-5);
    const unmasked = l.call(a, mem);
    expect(Array.from(unmasked.narrow(1, 0, 1).contiguous().dataSync())).not.toEqual(Array.from(ya.narrow(1, 0, 1).contiguous().dataSync()));
    expect(() => l.call(a, randn([4, 8]))).toThrow(/both be batched or both unbatched/);
    expect(() => l.call(a, mem, { tgtMsk: null } as never)).toThrow(/unknown option 'tgtMsk'/);
    expect(() => new TransformerDecoderLayer(6, 4)).toThrow(/dModel \(6\) must be divisible by nhead \(4\)/);
    l.dispose();
  });
});

describe('TransformerDecoder and Transformer', () => {
  it('TransformerDecoder stacks copies (clone) or fresh layers (factory), keys layers.i.…, norm.…', () => {
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    const dec = new TransformerDecoder(layer, 2);
    const keys = Object.keys(dec.stateDict());
    expect(keys.slice(0, 2)).toEqual(['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias']);
    expect(keys).toHaveLength(2 * LAYER_KEYS.length);
    expect(Array.from(dec.layers.at(1).linear1.weight.dataSync())).toEqual(Array.from(layer.linear1.weight.dataSync())); // deep copies
    expect(dec.call(randn([3, 2, 8]), randn([4, 2, 8])).shape).toEqual([3, 2, 8]);
    expect(() => new TransformerDecoder(() => layer, 2)).toThrow(/returned the same layer/);
    layer.dispose();
    dec.dispose();
  });

  it("Transformer: encoder/decoder with final norms, PyTorch's keys, Xavier-uniform for matrices, output [T, N, E]", () => {
    manualSeed(2);
    const t = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 16 });
    const keys = Object.keys(t.stateDict());
    expect(keys.filter((k) => k.startsWith('encoder.norm'))).toEqual(['encoder.norm.weight', 'encoder.norm.bias']);
    expect(keys.filter((k) => k.startsWith('decoder.norm'))).toEqual(['decoder.norm.weight', 'decoder.norm.bias']);
    expect(keys).toContain('decoder.layers.1.multihead_attn.in_proj_weight');
    // xavier_uniform: |w| ≤ √(6 / (fanIn + fanOut)); linear1 is [16, 8]
    const bound = Math.sqrt(6 / (8 + 16));
    const w = Array.from(t.encoder.layers.at(0).linear1.weight.dataSync());
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.8 * bound); // not Linear's 1/√8 bound
    const src = randn([5, 2, 8]);
    const tgt = randn([3, 2, 8]);
    const mask = Transformer.generateSquareSubsequentMask(3);
    expect(Array.from(mask.dataSync())).toEqual([0, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 0, Number.NEGATIVE_INFINITY, 0, 0, 0]);
    expect(t.call(src, tgt, { tgtMask: mask, tgtIsCausal: true }).shape).toEqual([3, 2, 8]);
    expect(() => t.call(src, randn([3, 4, 8]))).toThrow(ShapeError);
    expect(() => new Transformer({ dModel: 8, nhead: 3 })).toThrow(ArgumentError);
    t.dispose();
  });

  it('leaves memory flat', () => {
    const before = memory().tensors;
    const t = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16, batchFirst: true });
    const src = randn([2, 4, 8]);
    const tgt = randn([2, 3, 8]);
    scope(() => t.call(src, tgt, { tgtIsCausal: true }).sum().backward());
    t.zeroGrad();
    for (const x of [src, tgt]) x.dispose();
    t.dispose();
    expect(memory().tensors).toBe(before);
  });
});
