import { expect, it } from 'vitest';
import {
  arange,
  type AttentionOptions,
  type DeviceName,
  manualSeed,
  memory,
  noGrad,
  scaledDotProductAttention as sdpa,
  scope,
  type Tensor,
  tensor,
} from '../../src/index';
import { expectGradcheck, describeOnCpu, randomValues } from '../helpers';

/** The unfused reference, built in the test from matmul / where / softmax ops. */
function composite(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const [L, E] = q.shape.slice(-2);
  const S = k.shape.at(-2)!;
  let s = q.matmul(k.transpose(-1, -2)).mul(opts.scale ?? 1 / Math.sqrt(E));
  if (opts.causal) {
    const allowed = arange(L, undefined, 1, { device: q.device })
      .unsqueeze(1)
      .ge(arange(S, undefined, 1, { device: q.device }).unsqueeze(0));
    s = allowed.where(s, -Infinity);
  } else if (opts.mask) {
    s = opts.mask.dtype === 'bool' ? opts.mask.where(s, -Infinity) : s.add(opts.mask);
  }
  return s.softmax(-1).matmul(v);
}

const TOL = { rtol: 1e-4, atol: 1e-5 };

describeOnCpu('scaledDotProductAttention (fused)', (device: DeviceName) => {
  const rand = (shape: number[], seed: number, requiresGrad = false) => {
    const t = tensor(
      randomValues(
        shape.reduce((a, b) => a * b, 1),
        seed,
        -1.5,
        1.5,
      ),
      { device },
    )
      .reshape(shape)
      .detach();
    t.requiresGrad = requiresGrad;
    return t;
  };
  const boolMask = (L: number, S: number, seed: number) => {
    const r = randomValues(L * S, seed);
    // every row keeps its first key, so no row is fully masked
    return tensor(
      Array.from({ length: L }, (_, i) => Array.from({ length: S }, (_, j) => j === 0 || r[i * S + j] > -0.3)),
      { device },
    );
  };

  /** Fused vs composite: values and the gradients of q, k and v for a random upstream gradient. */
  async function expectMatches(qs: number[], ks: number[], vs: number[], opts: AttentionOptions = {}, seed = 1): Promise<void> {
    const [q, k, v] = [rand(qs, seed, true), rand(ks, seed + 1, true), rand(vs, seed + 2, true)];
    const [q2, k2, v2] = [q, k, v].map((t) => {
      const c = t.clone().detach();
      c.requiresGrad = true;
      return c;
    });
    const y = sdpa(q, k, v, opts);
    expect(y._node?.op).toBe('scaledDotProductAttention');
    const want = composite(q2, k2, v2, opts);
    expect(y.shape).toEqual(want.shape);
    expect(await y.data()).toBeAllClose(await want.data(), TOL);
    const gy = rand(y.shape as number[], seed + 3);
    y.backward(gy);
    want.backward(gy);
    for (const [a, b] of [
      [q, q2],
      [k, k2],
      [v, v2],
    ]) {
      expect(a.grad!.shape).toEqual(a.shape);
      expect(await a.grad!.data()).toBeAllClose(await b.grad!.data(), TOL);
    }
  }

  it('matches the composite: plain, L ≠ S, E ≠ Ev, scale', async () => {
    await expectMatches([2, 5, 4], [2, 5, 4], [2, 5, 4]);
    await expectMatches([3, 7, 6], [3, 11, 6], [3, 11, 2], { scale: 0.37 }, 10);
    await expectMatches([1, 1, 1], [1, 1, 1], [1, 1, 3], {}, 20);
  });

  it('matches the composite: causal (L < S, L = S, L > S)', async () => {
    await expectMatches([2, 6, 4], [2, 6, 4], [2, 6, 5], { causal: true }, 30);
    await expectMatches([2, 3, 4], [2, 8, 4], [2, 8, 5], { causal: true }, 40);
    await expectMatches([9, 4], [5, 4], [5, 3], { causal: true }, 50);
  });

  it('matches the composite: bool and float masks, broadcast and per batch', async () => {
    await expectMatches([2, 6, 4], [2, 9, 4], [2, 9, 3], { mask: boolMask(6, 9, 60) }, 61);
    await expectMatches([2, 6, 4], [2, 9, 4], [2, 9, 3], { mask: rand([6, 9], 70) }, 71);
    await expectMatches([2, 6, 4], [2, 9, 4], [2, 9, 3], { mask: rand([2, 1, 9], 80) }, 81); // per batch, broadcast over rows
    await expectMatches([6, 4], [9, 4], [9, 3], { mask: rand([3, 6, 9], 90) }, 91); // the mask's batch dims extend the output
  });

  it('matches the composite with broadcast batch dims (gradients summed back)', async () => {
    await expectMatches([3, 1, 5, 4], [2, 7, 4], [2, 7, 6], {}, 100);
    await expectMatches([2, 3, 5, 4], [7, 4], [1, 7, 6], { causal: true }, 110);
  });

  // gradcheck takes CPU tensors; WebGPU gradients are checked against the CPU in test/parity/attention.test.ts
  it.runIf(device === 'cpu')('gradcheck through the fused kernels (causal, bool mask, float mask)', () => {
    const w = rand([2, 3, 2], 120);
    const f = (opts: AttentionOptions) => (a: Tensor, b: Tensor, c: Tensor) => sdpa(a, b, c, opts).mul(w).sum();
    const inputs = () => [rand([2, 3, 2], 121), rand([2, 4, 2], 122), rand([2, 4, 2], 123)];
    expectGradcheck(f({}), inputs());
    expectGradcheck(f({ causal: true }), inputs());
    expectGradcheck(
      f({
        mask: tensor(
          [
            [true, false, true, true],
            [false, true, true, false],
            [true, true, false, false],
          ],
          { device },
        ),
      }),
      inputs(),
    );
    expectGradcheck(f({ mask: rand([3, 4], 124), scale: 0.8 }), inputs());
  });

  it('a long sequence (L = S = 300) runs as one recorded node and matches the composite', async () => {
    const [L, E] = [300, 8];
    const q = rand([1, L, E], 130, true);
    const k = rand([1, L, E], 131, true);
    const v = rand([1, L, E], 132, true);
    const y = sdpa(q, k, v, { causal: true });
    // one node of this op, whose saved inputs are q, k, v and the [1, L] logsumexp: nothing [L, S]
    expect(y._node?.op).toBe('scaledDotProductAttention');
    expect(y._node!.saved.map((t) => t.shape)).toEqual([
      [1, L, E],
      [1, L, E],
      [1, L, E],
      [1, L],
    ]);
    const want = noGrad(() => composite(q, k, v, { causal: true }));
    expect(await y.data()).toBeAllClose(await want.data(), TOL);
    y.sum().backward();
    expect(q.grad!.shape).toEqual([1, L, E]);
    expect((await q.grad!.data()).every(Number.isFinite)).toBe(true);
    // several query and key blocks, with edges, under a mask: values and gradients
    await expectMatches([1, 300, 8], [1, 200, 8], [1, 200, 5], { mask: boolMask(300, 200, 133) }, 134);
  });

  it('memory is flat: forward + backward leave nothing behind; no grad records nothing', async () => {
    const q = rand([2, 5, 4], 140, true);
    const k = rand([2, 6, 4], 141, true);
    const v = rand([2, 6, 3], 142, true);
    const mask = boolMask(5, 6, 143);
    const before = memory();
    scope(() => {
      sdpa(q, k, v, { mask }).sum().backward();
      noGrad(() => sdpa(q, k, v, { causal: true }));
    });
    for (const t of [q, k, v]) {
      t.grad!.dispose();
      t.grad = null;
    }
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    const z = noGrad(() => sdpa(q, k, v));
    expect(z._node).toBeNull();
    z.dispose();
    expect(memory().bytes).toBe(before.bytes);
  });

  it('a fully masked row gives NaN, as the composite', async () => {
    const mask = tensor(
      [
        [true, true],
        [false, false],
      ],
      { device },
    );
    const y = sdpa(rand([2, 3], 150), rand([2, 3], 151), rand([2, 3], 152), { mask });
    const out = await y.data();
    expect(Array.from(out.slice(3)).every(Number.isNaN)).toBe(true);
    expect(Array.from(out.slice(0, 3)).every(Number.isFinite)).toBe(true);
  });

  it('dropout > 0 runs the composite (the fused kernel has no dropout yet)', () => {
    manualSeed(3);
    const q = rand([4, 3], 160, true);
    const y = sdpa(q, q, q, { dropout: 0.5 });
    expect(y._node?.op).not.toBe('scaledDotProductAttention');
    expect(y.shape).toEqual([4, 3]);
  });
});
