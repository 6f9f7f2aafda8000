import { describe, expect, it } from 'vitest';
import { Generator, gloveStep_, memory, noGrad, ones, scope, type Tensor, tensor, zeros } from '../../src/index';
import { DEVICES, ensureDevice } from '../helpers';

/** params [[0.1, 0], [0.2, 0], [0.3, 0], [0.4, 0]] (V = 2, d = 1), one entry (0, 1) with log X = 1, f = 1. */
function tiny(): { params: Tensor; gradsq: Tensor; rows: Tensor; cols: Tensor; logX: Tensor; weight: Tensor; cost: Tensor } {
  return {
    params: tensor([
      [0.1, 0],
      [0.2, 0],
      [0.3, 0],
      [0.4, 0],
    ]),
    gradsq: ones([4, 2]),
    rows: tensor([0], { dtype: 'int32' }),
    cols: tensor([1], { dtype: 'int32' }),
    logX: tensor([1]),
    weight: tensor([1]),
    cost: zeros([1]),
  };
}

describe('gloveStep_ [cpu]', () => {
  it('applies the reference AdaGrad rule (hand-computed)', () => {
    const t = tiny();
    gloveStep_(t.params, t.gradsq, t, t.cost);
    // diff = 0.1·0.4 − 1 = −0.96 = fdiff; g(w0) = −0.96·0.4·0.05 = −0.0192, g(w̃1) = −0.96·0.1·0.05 = −0.0048; bias steps 0.96/√1
    expect(t.cost.dataSync()[0]).toBeCloseTo(0.4608, 6);
    expect(t.params.dataSync()).toBeAllClose([0.1192, 0.96, 0.2, 0, 0.3, 0, 0.4048, 0.96], { rtol: 1e-6, atol: 1e-7 });
    expect(t.gradsq.dataSync()).toBeAllClose([1 + 0.0192 ** 2, 1.9216, 1, 1, 1, 1, 1 + 0.0048 ** 2, 1.9216], { rtol: 1e-6, atol: 0 });
    // the second step reads the updated accumulators: w0 −= g/√G with G = 1 + 0.0192²
    const w0 = 0.1192,
      w1 = 0.4048,
      b = 0.96;
    const diff = w0 * w1 + 2 * b - 1;
    gloveStep_(t.params, t.gradsq, t, t.cost);
    expect(t.cost.dataSync()[0]).toBeCloseTo(0.4608 + 0.5 * diff * diff, 5);
    expect(t.params.dataSync()[0]).toBeCloseTo(w0 - (diff * w1 * 0.05) / Math.sqrt(1 + 0.0192 ** 2), 6);
    expect(t.params.dataSync()[1]).toBeCloseTo(b - diff / Math.sqrt(1.9216), 6);
    for (const x of Object.values(t)) x.dispose();
  });

  it('clips fdiff·w before η, weights by f, visits order[start … start + count − 1] and skips non-finite entries', () => {
    const before = memory();
    const t = tiny();
    const weight = tensor([2]);
    gloveStep_(t.params, t.gradsq, { ...t, weight }, t.cost, { gradClip: 0.01, learningRate: 0.1 });
    // fdiff = 2·(−0.96) = −1.92: both vector gradients (−0.768, −0.192) clip to −0.01, ·η = −0.001
    expect(t.params.dataSync()).toBeAllClose([0.101, 1.92, 0.2, 0, 0.3, 0, 0.401, 1.92], { rtol: 1e-6, atol: 1e-7 });
    expect(t.cost.dataSync()[0]).toBeCloseTo(0.5 * 1.92 * 0.96, 6);
    const p = tensor([
      [0.1, 0],
      [0.2, 0],
      [0.3, 0],
      [0.4, 0],
    ]);
    const g = ones([4, 2]);
    const e = {
      rows: tensor([0, 1, 1], { dtype: 'int32' }),
      cols: tensor([1, 0, 1], { dtype: 'int32' }),
      logX: tensor([1, Number.NEGATIVE_INFINITY, 0]),
      weight: tensor([1, 1, 1]),
    };
    const c = zeros([3]);
    // order [2, 1, 0] from start 0, count 2: entry 2 (row 1, context 1), then entry 1 (log X = −∞: skipped)
    const order = tensor([2, 1, 0], { dtype: 'int32' });
    gloveStep_(p, g, e, c, { order, count: 2 });
    const d2 = 0.2 * 0.4; // entry 2: diff = 0.08 − 0 = 0.08
    expect(c.dataSync()).toBeAllClose([0.5 * d2 * d2, 0, 0], { rtol: 1e-6, atol: 0 });
    expect(p.dataSync()).toBeAllClose([0.1, 0, 0.2 - 0.08 * 0.4 * 0.05, -0.08, 0.3, 0, 0.4 - 0.08 * 0.2 * 0.05, -0.08], { rtol: 1e-6, atol: 1e-7 });
    for (const x of [...Object.values(t), weight, p, g, c, order, ...Object.values(e)]) x.dispose();
    expect(memory()).toEqual(before);
  });

  it('rejects wrong dtypes, shapes, options, aliasing, grad-tracked params and ids out of range', () => {
    const before = memory();
    const t = tiny();
    const made: Tensor[] = [];
    const m = (x: Tensor): Tensor => {
      made.push(x);
      return x;
    };
    const bad = (f: () => unknown, type: string, msg: RegExp) =>
      expect(f).toThrowError(expect.objectContaining({ name: type, message: expect.stringMatching(msg) }));
    bad(() => gloveStep_(t.params, t.gradsq, { ...t, rows: m(tensor([0])) }, t.cost), 'DTypeError', /rows must be int32, got float32/);
    bad(() => gloveStep_(t.params, t.gradsq, { ...t, logX: m(tensor([1, 2])) }, t.cost), 'ShapeError', /logX must have shape \[1\]/);
    bad(() => gloveStep_(m(zeros([3, 2])), t.gradsq, t, t.cost), 'ShapeError', /params must have shape \[2V, d \+ 1\]/);
    bad(() => gloveStep_(t.params, m(ones([4, 3])), t, t.cost), 'ShapeError', /gradsq must have params' shape/);
    bad(() => gloveStep_(m(t.params.transpose(0, 1)), t.gradsq, t, t.cost), 'ArgumentError', /params must be contiguous/);
    bad(() => gloveStep_(t.params, t.gradsq, t, t.cost, { lr: 1 } as never), 'ArgumentError', /unknown option 'lr'/);
    bad(() => gloveStep_(t.params, t.gradsq, t, t.cost, { count: 2 }), 'ArgumentError', /count must be an integer in \[0, 1\]/);
    bad(() => gloveStep_(t.params, t.gradsq, t, t.cost, { learningRate: 0 }), 'ArgumentError', /learningRate must be a finite number > 0/);
    bad(() => gloveStep_(t.params, t.params, t, t.cost), 'ArgumentError', /params shares memory with gradsq/);
    bad(
      () => gloveStep_(t.params, t.gradsq, { ...t, cols: m(tensor([2], { dtype: 'int32' })) }, t.cost),
      'ArgumentError',
      /entry 0 has ids \(0, 2\), expected both in \[0, 2\)/,
    );
    bad(
      () => gloveStep_(t.params, t.gradsq, t, t.cost, { order: m(tensor([1], { dtype: 'int32' })) }),
      'ArgumentError',
      /order\[0\] = 1 is out of range for 1 entries/,
    );
    const leaf = tensor(
      [
        [0.1, 0],
        [0.2, 0],
        [0.3, 0],
        [0.4, 0],
      ],
      { requiresGrad: true },
    );
    bad(() => gloveStep_(leaf, t.gradsq, t, t.cost), 'ArgumentError', /params requires grad/);
    noGrad(() => gloveStep_(leaf, t.gradsq, t, t.cost)); // allowed outside grad mode
    expect(t.params.dataSync()).toBeAllClose([0.1, 0, 0.2, 0, 0.3, 0, 0.4, 0]); // nothing written by the rejected calls
    for (const x of [...Object.values(t), leaf, ...made]) x.dispose();
    expect(memory()).toEqual(before);
  });
});

/** V words, d dims, N entries with distinct rows and distinct cols (no two entries of the batch share a row). */
function conflictFree(V: number, d: number, N: number, seed: number) {
  const gen = new Generator({ seed });
  const u = gen.uniform(2 * V * (d + 1));
  const init = Float32Array.from(u, (x) => (x - 0.5) / d);
  const acc = Float32Array.from(gen.uniform(2 * V * (d + 1)), (x) => 1 + 3 * x);
  const rows = gen.permutation(V).slice(0, N);
  const cols = gen.permutation(V).slice(0, N);
  const x = gen.uniform(N);
  const logX = Float32Array.from(x, (v) => Math.log(0.2 + 40 * v));
  const weight = Float32Array.from(x, (v) => Math.min(1, ((0.2 + 40 * v) / 10) ** 0.75));
  return { init, acc, rows, cols, logX, weight, order: gen.permutation(N) };
}

describe.skipIf(!DEVICES.includes('webgpu'))('gloveStep_ [webgpu]', () => {
  it('equals the CPU primitive for conflict-free batches (several workgroups, with and without an order)', async () => {
    await ensureDevice('webgpu');
    const before = memory();
    const V = 300,
      d = 12,
      N = 200;
    const s = conflictFree(V, d, N, 7);
    const run = async (device: 'cpu' | 'webgpu') => {
      const params = scope(() => tensor(s.init, { device }).reshape([2 * V, d + 1]));
      const gradsq = scope(() => tensor(s.acc, { device }).reshape([2 * V, d + 1]));
      const e = { rows: tensor(s.rows, { device }), cols: tensor(s.cols, { device }), logX: tensor(s.logX, { device }), weight: tensor(s.weight, { device }) };
      const order = tensor(s.order, { device });
      const cost = zeros([5], { device });
      gloveStep_(params, gradsq, e, cost, { count: 130 }); // entries 0 … 129: three workgroups
      gloveStep_(params, gradsq, e, cost, { order, start: 20, count: 150, learningRate: 0.1, gradClip: 0.05 });
      const out = { params: await params.data(), gradsq: await gradsq.data(), cost: Array.from(await cost.data()).reduce((a, b) => a + b, 0) };
      for (const x of [params, gradsq, order, cost, ...Object.values(e)]) x.dispose();
      return out;
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(gpu.params).toBeAllClose(cpu.params, { rtol: 1e-5, atol: 1e-6 });
    expect(gpu.gradsq).toBeAllClose(cpu.gradsq, { rtol: 1e-5, atol: 1e-6 });
    expect(gpu.cost).toBeCloseTo(cpu.cost, 4);
    expect(cpu.cost).toBeGreaterThan(1);
    // the batches moved the parameters (the comparison is not of two untouched copies)
    expect(cpu.params.filter((v, i) => v !== s.init[i]).length).toBeGreaterThan(1000);
    expect(memory()).toEqual(before);
  });

  it('skips entries with ids out of range on the device (kernels cannot throw)', async () => {
    await ensureDevice('webgpu');
    const params = tensor(
      [
        [0.1, 0],
        [0.2, 0],
        [0.3, 0],
        [0.4, 0],
      ],
      { device: 'webgpu' },
    );
    const gradsq = ones([4, 2], { device: 'webgpu' });
    const e = {
      rows: tensor([0, 5], { dtype: 'int32', device: 'webgpu' }),
      cols: tensor([1, 1], { dtype: 'int32', device: 'webgpu' }),
      logX: tensor([1, 1], { device: 'webgpu' }),
      weight: tensor([1, 1], { device: 'webgpu' }),
    };
    const cost = zeros([1], { device: 'webgpu' });
    const host = tensor([0, 1], { dtype: 'int32', device: 'cpu' });
    gloveStep_(params, gradsq, e, cost);
    expect(await cost.data()).toBeAllClose([0.4608], { rtol: 1e-6 });
    expect(await params.data()).toBeAllClose([0.1192, 0.96, 0.2, 0, 0.3, 0, 0.4048, 0.96], { rtol: 1e-6, atol: 1e-7 });
    expect(() => gloveStep_(params, gradsq, { ...e, rows: host }, cost)).toThrowError(
      expect.objectContaining({ name: 'DeviceError', message: expect.stringMatching(/different devices: webgpu and cpu/) }),
    );
    for (const x of [params, gradsq, cost, host, ...Object.values(e)]) x.dispose();
  });
});
