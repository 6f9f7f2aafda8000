import { describe, expect, it } from 'vitest';
import {
  Conv1d,
  Conv2d,
  ConvTranspose2d,
  Embedding,
  Generator,
  GRU,
  init,
  Linear,
  LSTM,
  manualSeed,
  type Module,
  MultiheadAttention,
  rand,
  type Tensor,
  zeros,
} from '../src/index';

const values = (m: Module) => m.parameters().map((p) => Array.from(p.dataSync()));
const arr = (t: Tensor) => Array.from(t.dataSync());

describe("layers' default initialisation with { generator }", () => {
  it('Linear draws weight then bias from the generator, U(−1/√in, 1/√in) as without one', () => {
    const lin = new Linear(3, 2, { generator: new Generator({ seed: 5 }) });
    const g = new Generator({ seed: 5 });
    const bound = 1 / Math.sqrt(3);
    const w = arr(init.uniform(zeros([2, 3]), { a: -bound, b: bound, generator: g }));
    const b = arr(init.uniform(zeros([2]), { a: -bound, b: bound, generator: g }));
    expect(values(lin)).toEqual([w, b]);
    manualSeed(5); // the global stream seeded alike gives the same weights
    expect(values(new Linear(3, 2))).toEqual([w, b]);
  });

  it('the same seed gives the same layers; the global stream is not drawn from', () => {
    const make = (seed: number) => [
      new Linear(4, 3, { generator: new Generator({ seed }) }),
      new Conv1d(2, 3, 3, { generator: new Generator({ seed }) }),
      new Conv2d(2, 4, 3, { groups: 2, generator: new Generator({ seed }) }),
      new ConvTranspose2d(2, 3, 2, { generator: new Generator({ seed }) }),
      new Embedding(6, 4, { paddingIdx: 0, generator: new Generator({ seed }) }),
      new LSTM(3, 4, { numLayers: 2, generator: new Generator({ seed }) }),
      new GRU(3, 2, { bidirectional: true, generator: new Generator({ seed }) }),
      new MultiheadAttention(4, 2, { generator: new Generator({ seed }) }),
      new MultiheadAttention(4, 2, { kdim: 3, vdim: 5, generator: new Generator({ seed }) }),
    ];
    manualSeed(1);
    const reference = arr(rand([8]));
    manualSeed(1);
    const a = make(9).map(values);
    expect(arr(rand([8]))).toEqual(reference);
    expect(make(9).map(values)).toEqual(a);
    const b = make(10).map(values);
    a.forEach((layer, i) => expect(layer, `layer ${i}`).not.toEqual(b[i]));
    const emb = make(9)[4] as Embedding;
    expect(arr(emb.weight.narrow(0, 0, 1))).toEqual([0, 0, 0, 0]); // the padding row stays zero
  });

  it('rejects a generator that is not one', () => {
    expect(() => new Linear(2, 2, { generator: 7 } as never)).toThrow(/^rand: generator must be a Generator/);
    expect(() => new Embedding(2, 2, { generator: {} } as never)).toThrow(/^randn: generator must be a Generator/);
  });
});
