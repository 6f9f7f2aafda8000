import { describe, expect, it } from 'vitest';
import { ArgumentError, defaultGenerator, dropout, Generator, manualSeed, memory, ones, rand, randint, randn } from '../src/index';

const arr = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

describe('Generator', () => {
  it('the global stream keeps its values (recorded before it became a Generator)', () => {
    manualSeed(7);
    expect(arr(rand([5]))).toEqual([0.9545971155166626, 0.7501521706581116, 0.11417734622955322, 0.08565783500671387, 0.4069603681564331]);
    expect(arr(randn([5]))).toEqual([3.19035005569458, 0.1696060597896576, 0.37980037927627563, -0.5319697856903076, -0.0011072346242144704]);
    expect(arr(randint(-5, 100, [6]))).toEqual([25, 98, 68, 52, 30, 30]);
    expect(arr(dropout(ones([8]), 0.5))).toEqual([2, 0, 0, 0, 0, 0, 2, 2]);
    manualSeed(2 ** 40 + 3);
    expect(arr(randn([3]))).toEqual([-0.5235260128974915, -1.3825016021728516, 0.6696962714195251]);
    expect(defaultGenerator.initialSeed()).toBe(2 ** 40 + 3);
  });

  it('a Generator seeded s draws what the global stream draws after manualSeed(s)', () => {
    const g = new Generator({ seed: 7 });
    manualSeed(7);
    expect(arr(rand([5], { generator: g }))).toEqual(arr(rand([5])));
    expect(arr(randn([3], { generator: g }))).toEqual(arr(randn([3])));
    expect(arr(randint(0, 9, [4], { generator: g }))).toEqual(arr(randint(0, 9, [4])));
    expect(arr(dropout(ones([6]), 0.3, true, { generator: g }))).toEqual(arr(dropout(ones([6]), 0.3)));
  });

  it('same seed, same values; manualSeed restarts; different seeds differ', () => {
    const a = new Generator({ seed: 123 });
    const b = new Generator({ seed: 123 });
    const first = arr(randn([16], { generator: a }));
    expect(arr(randn([16], { generator: b }))).toEqual(first);
    const second = arr(randn([16], { generator: a }));
    expect(second).not.toEqual(first); // the stream moves on
    expect(a.manualSeed(123)).toBe(a);
    expect(arr(randn([16], { generator: a }))).toEqual(first);
    const c = arr(randn([16], { generator: new Generator({ seed: 124 }) }));
    expect(c.filter((v, i) => v === first[i])).toEqual([]);
    expect(new Generator({ seed: 2 ** 53 - 1 }).initialSeed()).toBe(2 ** 53 - 1);
    expect(new Generator().initialSeed()).toBe(67280421310721); // PyTorch's default seed
    expect(arr(rand([3], { generator: new Generator() }))).toEqual(arr(rand([3], { generator: new Generator({ seed: 67280421310721 }) })));
  });

  it("a Generator's draws do not disturb the global stream, nor the global stream a Generator's", () => {
    manualSeed(5);
    const reference = arr(rand([8])); // two Philox blocks of 4
    const g = new Generator({ seed: 9 });
    const gRef = arr(rand([6], { generator: new Generator({ seed: 9 }) }));
    manualSeed(5);
    const head = arr(rand([4]));
    randn([100], { generator: g }); // interleaved generator draws
    dropout(ones([50]), 0.5, true, { generator: g });
    const tail = arr(rand([4]));
    expect([...head, ...tail]).toEqual(reference);
    g.manualSeed(9);
    rand([1000]); // global draws in between
    expect(arr(rand([6], { generator: g }))).toEqual(gRef);
  });

  it('permutation: Fisher–Yates, every index once, reproducible, about uniform', () => {
    const p = new Generator({ seed: 1 }).permutation(50);
    expect(p).toBeInstanceOf(Int32Array);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(new Generator({ seed: 1 }).permutation(50)).toEqual(p);
    expect([...new Generator().permutation(0)]).toEqual([]);
    expect([...new Generator().permutation(1)]).toEqual([0]);
    // each of the 6 orders of 3 items appears ≈ 1/6 of the time (6000 draws: 1000 ± 4σ, σ ≈ 29)
    const g = new Generator({ seed: 2 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const k = g.permutation(3).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });

  it('uniform, normal and integers draw the documented distributions', () => {
    const g = new Generator({ seed: 3 });
    const u = g.uniform(20000);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / u.length - 0.5)).toBeLessThan(0.01);
    const n = g.normal(20001); // odd counts work
    expect(n.length).toBe(20001);
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length) - 1)).toBeLessThan(0.03);
    expect(new Set(g.integers(2000, -2, 2))).toEqual(new Set([-2, -1, 0, 1]));
    expect(g.randomBits(5).length).toBe(5);
  });

  it('bad seeds, options and generators are ArgumentErrors naming the call', () => {
    expect(() => new Generator({ seed: -1 })).toThrow(ArgumentError);
    expect(() => new Generator({ seed: 1.5 })).toThrow(/^Generator: seed must be a non-negative safe integer, got 1.5/);
    expect(() => new Generator({ seed: 2 ** 53 })).toThrow(ArgumentError);
    expect(() => new Generator({ seed: '3' as never })).toThrow(/got string/);
    expect(() => new Generator({ sed: 3 } as never)).toThrow(/^Generator: unknown option 'sed' \(expected seed\)/);
    expect(() => new Generator(3 as never)).toThrow(/^Generator: expected an options object/);
    expect(() => new Generator().manualSeed(Number.NaN)).toThrow(/^Generator.manualSeed: seed must be/);
    expect(() => manualSeed(-2)).toThrow(/^manualSeed: seed must be/);
    expect(() => rand([2], { generator: {} as never })).toThrow(/^rand: generator must be a Generator/);
    expect(() => randn([2], { seed: 1 } as never)).toThrow(/^randn: unknown option 'seed' \(expected dtype, device, requiresGrad, generator\)/);
    expect(() => dropout(ones([2]), 0.5, true, { generator: 1 } as never)).toThrow(/^dropout: generator must be a Generator/);
    expect(() => new Generator().permutation(-1)).toThrow(/^Generator.permutation: n must be a non-negative integer/);
    expect(() => new Generator().integers(2, 3, 3)).toThrow(/^Generator.integers: expected integers low < high/);
  });

  it('random creators with a generator leave no tensors behind', () => {
    const g = new Generator({ seed: 0 });
    const before = memory();
    rand([4], { generator: g }).dispose();
    const x = ones([4]);
    dropout(x, 0.5, true, { generator: g }).dispose();
    x.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
