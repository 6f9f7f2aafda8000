import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, init, manualSeed, memory, Parameter, rand, randn, ShapeError, type Tensor, zeros } from '../src/index';

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const a = t.dataSync();
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of a) {
    sum += v;
    sq += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / a.length;
  return { mean, std: Math.sqrt(sq / a.length - mean * mean), min, max };
}

const within = (actual: number, expected: number, rel: number) => expect(Math.abs(actual / expected - 1), `${actual} vs ${expected}`).toBeLessThan(rel);

describe('init', () => {
  it('calculateGain matches torch.nn.init.calculate_gain', () => {
    for (const n of ['linear', 'conv1d', 'conv2d', 'conv3d', 'convTranspose2d', 'sigmoid'] as const) expect(init.calculateGain(n)).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(init.calculateGain('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(init.calculateGain('leaky_relu' as 'leakyRelu', 0)).toBeCloseTo(Math.SQRT2, 12); // PyTorch spelling
    expect(() => init.calculateGain('softplus' as 'relu')).toThrow(ArgumentError);
    expect(() => init.calculateGain('softplus' as 'relu')).toThrow(/unsupported nonlinearity 'softplus'/);
  });

  it('fanInAndFanOut follows PyTorch', () => {
    expect(init.fanInAndFanOut(zeros([4, 3]))).toEqual({ fanIn: 3, fanOut: 4 });
    expect(init.fanInAndFanOut(zeros([16, 3, 5, 5]))).toEqual({ fanIn: 75, fanOut: 400 });
    expect(init.fanInAndFanOut(zeros([8, 4, 3]))).toEqual({ fanIn: 12, fanOut: 24 });
    expect(() => init.fanInAndFanOut(zeros([5]))).toThrow(ShapeError);
    expect(() => init.fanInAndFanOut(zeros([5]))).toThrow('init.fanInAndFanOut: fan in and fan out need a tensor with at least 2 dims, got [5]');
  });

  it('uniform and normal fill in place with the requested distribution', () => {
    manualSeed(50);
    const t = zeros([200, 100]);
    expect(init.uniform(t, { a: -2, b: 3 })).toBe(t);
    const u = stats(t);
    expect(u.min).toBeGreaterThanOrEqual(-2);
    expect(u.max).toBeLessThan(3);
    within(u.mean, 0.5, 0.05);
    within(u.std, 5 / Math.sqrt(12), 0.05);
    const d = stats(init.uniform(zeros([10000])));
    expect(d.min).toBeGreaterThanOrEqual(0);
    expect(d.max).toBeLessThan(1);
    const n = stats(init.normal(t, { mean: 1, std: 0.5 }));
    within(n.mean, 1, 0.02);
    within(n.std, 0.5, 0.05);
    within(stats(init.normal(zeros([10000]))).std, 1, 0.05);
  });

  it('constant, zeros and ones fill every element', () => {
    const t = zeros([2, 3]);
    expect(Array.from(init.constant(t, 0.25).dataSync())).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(init.ones(t).dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(init.zeros(t).dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(init.constant(zeros([2], { dtype: 'int32' }), 3).dataSync())).toEqual([3, 3]);
  });

  it('xavierUniform and xavierNormal use gain·√(2/(fanIn+fanOut))', () => {
    manualSeed(51);
    const t = zeros([300, 200]);
    const std = Math.sqrt(2 / 500);
    const u = stats(init.xavierUniform(t));
    expect(Math.max(-u.min, u.max)).toBeLessThanOrEqual(Math.sqrt(3) * std * (1 + 1e-6));
    expect(u.max).toBeGreaterThan(0.99 * Math.sqrt(3) * std);
    within(u.std, std, 0.05);
    within(stats(init.xavierUniform(t, { gain: 2 })).std, 2 * std, 0.05);
    const n = stats(init.xavierNormal(t, { gain: init.calculateGain('tanh') }));
    within(n.std, (5 / 3) * std, 0.05);
    expect(Math.abs(n.mean)).toBeLessThan(0.01);
  });

  it('kaimingUniform and kaimingNormal use gain/√fan with PyTorch defaults', () => {
    manualSeed(52);
    const t = zeros([400, 100, 3]); // fanIn 300, fanOut 1200
    const u = stats(init.kaimingUniform(t)); // a = 0, leakyRelu → gain √2
    const bound = Math.sqrt(2) * Math.sqrt(3 / 300);
    expect(Math.max(-u.min, u.max)).toBeLessThanOrEqual(bound * (1 + 1e-6));
    within(u.std, Math.sqrt(2 / 300), 0.05);
    within(stats(init.kaimingUniform(t, { a: Math.sqrt(5) })).max, 1 / Math.sqrt(300), 0.01); // Linear/Conv default
    within(stats(init.kaimingNormal(t, { nonlinearity: 'relu' })).std, Math.sqrt(2 / 300), 0.05);
    within(stats(init.kaimingNormal(t, { mode: 'fanOut', nonlinearity: 'relu' })).std, Math.sqrt(2 / 1200), 0.05);
    within(stats(init.kaimingNormal(t, { mode: 'fanOut', nonlinearity: 'linear' })).std, Math.sqrt(1 / 1200), 0.05);
    expect(() => init.kaimingUniform(t, { mode: 'fan_in' as 'fanIn' })).toThrow("init.kaimingUniform: mode must be 'fanIn' or 'fanOut', got 'fan_in'");
    expect(() => init.kaimingNormal(zeros([3]))).toThrow(ShapeError);
  });

  it('is reproducible under manualSeed', () => {
    manualSeed(53);
    const a = Array.from(init.kaimingUniform(zeros([4, 4])).dataSync());
    manualSeed(53);
    expect(Array.from(init.kaimingUniform(zeros([4, 4])).dataSync())).toEqual(a);
  });

  it('draws from a given generator: same seed, same weights; the global stream is untouched', () => {
    const arr = (t: Tensor) => Array.from(t.dataSync());
    const seeded = (seed: number) => new Generator({ seed });
    // the values are the generator's own draws, scaled: U(a, b) = a + (b − a)·u, N(m, s²) = m + s·z
    const u = arr(rand([6], { generator: seeded(4) }));
    const z = arr(randn([6], { generator: seeded(4) }));
    const close = (got: number[], want: number[]) => got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    close(
      arr(init.uniform(zeros([2, 3]), { a: -2, b: 2, generator: seeded(4) })),
      u.map((v) => -2 + 4 * v),
    );
    close(
      arr(init.normal(zeros([6]), { mean: 1, std: 0.5, generator: seeded(4) })),
      z.map((v) => 1 + 0.5 * v),
    );
    const bound = Math.sqrt(6 / (3 + 2)); // xavier: fanIn 3, fanOut 2
    close(
      arr(init.xavierUniform(zeros([2, 3]), { generator: seeded(4) })),
      u.map((v) => -bound + 2 * bound * v),
    );
    close(
      arr(init.kaimingNormal(zeros([2, 3]), { nonlinearity: 'relu', generator: seeded(4) })),
      z.map((v) => (Math.SQRT2 / Math.sqrt(3)) * v),
    );
    close(
      arr(init.kaimingUniform(zeros([2, 3]), { a: Math.sqrt(5), generator: seeded(4) })),
      u.map((v) => (-1 + 2 * v) / Math.sqrt(3)),
    );
    expect(arr(init.xavierNormal(zeros([4, 4]), { generator: seeded(9) }))).toEqual(arr(init.xavierNormal(zeros([4, 4]), { generator: seeded(9) })));
    manualSeed(53);
    const reference = arr(rand([8]));
    manualSeed(53);
    init.kaimingUniform(zeros([30, 30]), { generator: seeded(1) });
    expect(arr(rand([8]))).toEqual(reference);
    expect(() => init.uniform(zeros([2]), { generator: 3 } as never)).toThrow(/^rand: generator must be a Generator/);
    expect(() => init.normal(zeros([2]), { sd: 1 } as never)).toThrow("init.normal: unknown option 'sd' (expected mean, std, generator)");
    expect(() => init.kaimingUniform(zeros([2, 2]), { gain: 1 } as never)).toThrow(/^init.kaimingUniform: unknown option 'gain'/);
    expect(() => init.xavierNormal(zeros([2, 2]), { mode: 'fanIn' } as never)).toThrow(/^init.xavierNormal: unknown option 'mode'/);
  });

  it('fills parameters without recording autograd history', () => {
    const p = new Parameter(zeros([3, 2]));
    init.xavierNormal(p);
    expect(p.isLeaf).toBe(true);
    expect(p.requiresGrad).toBe(true);
    expect(p.grad).toBeNull();
    init.zeros(init.uniform(p));
    expect(Array.from(p.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('validates its arguments and leaves no temporaries behind', () => {
    expect(() => init.uniform(zeros([2]), { a: 1, b: 0 })).toThrow('init.uniform: expected a <= b, got a=1, b=0');
    expect(() => init.normal(zeros([2]), { std: -1 })).toThrow('init.normal: std must be non-negative, got -1');
    expect(() => init.constant(zeros([2]), Number.NaN)).toThrow(ArgumentError);
    expect(() => init.zeros([1, 2] as unknown as Tensor)).toThrow('init.zeros: expected a Tensor, got object');
    const t = zeros([20, 10]);
    const before = memory();
    init.uniform(t);
    init.normal(t);
    init.xavierUniform(t);
    init.kaimingNormal(t);
    init.ones(t);
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    expect(init.kaimingUniform(zeros([0, 3])).shape).toEqual([0, 3]); // zero-element tensors are left alone
  });
});
