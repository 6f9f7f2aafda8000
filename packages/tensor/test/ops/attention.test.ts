import { expect, it } from 'vitest';
import { type Tensor, tensor, scaledDotProductAttention as sdpa, ShapeError, ArgumentError, DTypeError } from '../../src/index';
import { describeOnCpu, expectGradcheck, randomValues } from '../helpers';

type Mat = number[][];

/** Plain-loop attention for one batch entry: q [L][E], k [S][E], v [S][Ev]; mask(i, j) returns an additive term. */
function refAttention(q: Mat, k: Mat, v: Mat, scale: number, mask: (i: number, j: number) => number = () => 0): Mat {
  return q.map((qi, i) => {
    const scores = k.map((kj, j) => scale * qi.reduce((s, x, e) => s + x * kj[e], 0) + mask(i, j));
    const m = Math.max(...scores);
    const ex = scores.map((s) => Math.exp(s - m));
    const total = ex.reduce((a, b) => a + b, 0);
    return v[0].map((_, c) => ex.reduce((s, w, j) => s + (w / total) * v[j][c], 0));
  });
}

/** Split flat row-major values into [B][R][C]. */
function nest(values: number[], b: number, r: number, c: number): Mat[] {
  return Array.from({ length: b }, (_, i) => Array.from({ length: r }, (_, j) => values.slice((i * r + j) * c, (i * r + j + 1) * c)));
}

describeOnCpu('scaledDotProductAttention', (device) => {
  const make = (shape: number[], seed: number) => {
    const values = randomValues(
      shape.reduce((p, d) => p * d, 1),
      seed,
      -1.5,
      1.5,
    );
    return { values, t: tensor(values, { device }).reshape(shape) };
  };
  // q, k, v: [2, 3, 4]
  const q = make([2, 3, 4], 1);
  const k = make([2, 3, 4], 2);
  const v = make([2, 3, 4], 3);
  const Q = nest(q.values, 2, 3, 4);
  const K = nest(k.values, 2, 3, 4);
  const V = nest(v.values, 2, 3, 4);
  const tol = { rtol: 1e-5, atol: 1e-5 };

  it('matches the plain-loop reference with the default scale 1/√E', async () => {
    const y = sdpa(q.t, k.t, v.t);
    expect(y.shape).toEqual([2, 3, 4]);
    await expect(y).toBeAllClose(
      [0, 1].map((b) => refAttention(Q[b], K[b], V[b], 0.5)),
      tol,
    );
    await expect(q.t.scaledDotProductAttention(k.t, v.t)).toBeAllClose(
      [0, 1].map((b) => refAttention(Q[b], K[b], V[b], 0.5)),
      tol,
    );
  });

  it('causal: query i attends to keys j ≤ i', async () => {
    const y = sdpa(q.t, k.t, v.t, { causal: true });
    const causal = (i: number, j: number) => (j <= i ? 0 : -Infinity);
    await expect(y).toBeAllClose(
      [0, 1].map((b) => refAttention(Q[b], K[b], V[b], 0.5, causal)),
      tol,
    );
    // the first query sees only the first key: its output is v[:, 0]
    const first = (await y.toArray()) as number[][][];
    expect([first[0][0], first[1][0]]).toBeAllClose([V[0][0], V[1][0]], tol);
  });

  it('bool mask: true marks the positions that take part', async () => {
    const allowed = [
      [true, false, true],
      [false, true, false],
      [true, true, true],
    ];
    const y = sdpa(q.t, k.t, v.t, { mask: tensor(allowed, { device }) });
    const mask = (i: number, j: number) => (allowed[i][j] ? 0 : -Infinity);
    await expect(y).toBeAllClose(
      [0, 1].map((b) => refAttention(Q[b], K[b], V[b], 0.5, mask)),
      tol,
    );
    const out = (await y.toArray()) as number[][][];
    expect(out[1][1]).toBeAllClose(V[1][1], tol); // row 1 sees only key 1
  });

  it('float mask is added to the scores; a custom scale replaces 1/√E', async () => {
    const add = [
      [0, -1, 2],
      [0.5, 0, -3],
      [1, 1, 0],
    ];
    const y = sdpa(q.t, k.t, v.t, { mask: tensor(add, { device }), scale: 0.3 });
    await expect(y).toBeAllClose(
      [0, 1].map((b) => refAttention(Q[b], K[b], V[b], 0.3, (i, j) => add[i][j])),
      tol,
    );
    const z = sdpa(q.t, k.t, v.t, { scale: 2 });
    await expect(z).toBeAllClose(
      [0, 1].map((b) => refAttention(Q[b], K[b], V[b], 2)),
      tol,
    );
    // a per-batch mask [2, 3, 3]
    const perBatch = tensor([add, add.map((r) => r.map((x) => -x))], { device });
    const w = sdpa(q.t, k.t, v.t, { mask: perBatch });
    await expect(w).toBeAllClose([refAttention(Q[0], K[0], V[0], 0.5, (i, j) => add[i][j]), refAttention(Q[1], K[1], V[1], 0.5, (i, j) => -add[i][j])], tol);
  });

  it('a fully masked query row gives NaN, other rows stay finite', async () => {
    const allowed = [
      [true, true, true],
      [false, false, false],
      [true, false, false],
    ];
    const y = sdpa(q.t, k.t, v.t, { mask: tensor(allowed, { device }) });
    const out = (await y.toArray()) as number[][][];
    for (const b of [0, 1]) {
      expect(out[b][1].every((x) => Number.isNaN(x))).toBe(true);
      expect(out[b][2]).toBeAllClose(V[b][0], tol);
      expect(out[b][0]).toBeAllClose(refAttention(Q[b], K[b], V[b], 0.5)[0], tol);
    }
  });

  it('broadcasts batch dims and allows S ≠ L and Ev ≠ E', async () => {
    const k5 = make([5, 4], 4);
    const v5 = make([5, 6], 5);
    const y = sdpa(q.t, k5.t, v5.t); // [2, 3, 4] with unbatched [5, 4], [5, 6]
    expect(y.shape).toEqual([2, 3, 6]);
    const K5 = nest(k5.values, 1, 5, 4)[0];
    const V5 = nest(v5.values, 1, 5, 6)[0];
    await expect(y).toBeAllClose(
      [0, 1].map((b) => refAttention(Q[b], K5, V5, 0.5)),
      tol,
    );
    const q1 = make([1, 2, 3, 4], 6); // [1, 2, 3, 4] with [2, 5, 4] → [1, 2, 3, 6]
    const kb = make([2, 5, 4], 7);
    const vb = make([2, 5, 6], 8);
    const z = sdpa(q1.t, kb.t, vb.t);
    expect(z.shape).toEqual([1, 2, 3, 6]);
    const Q1 = nest(q1.values, 2, 3, 4);
    const KB = nest(kb.values, 2, 5, 4);
    const VB = nest(vb.values, 2, 5, 6);
    await expect(z).toBeAllClose([[0, 1].map((b) => refAttention(Q1[b], KB[b], VB[b], 0.5))], tol);
    const qs = make([3, 2, 4], 9);
    const zz = sdpa(qs.t.unsqueeze(1), kb.t, vb.t); // [3, 1, 2, 4] with [2, 5, 4] → [3, 2, 2, 6]
    expect(zz.shape).toEqual([3, 2, 2, 6]);
    const QS = nest(qs.values, 3, 2, 4);
    await expect(zz).toBeAllClose(
      [0, 1, 2].map((a) => [0, 1].map((b) => refAttention(QS[a], KB[b], VB[b], 0.5))),
      tol,
    );
  });

  const small = (shape: number[], seed: number) => make(shape, seed).t;
  it('gradcheck w.r.t. q, k and v', () => {
    const weights = small([1, 2, 3], 30);
    expectGradcheck((a: Tensor, b: Tensor, c: Tensor) => sdpa(a, b, c).mul(weights).sum(), [small([1, 2, 4], 31), small([1, 3, 4], 32), small([1, 3, 3], 33)]);
  });

  it('gradcheck with causal, bool mask, float mask and scale', () => {
    const [qq, kk, vv] = [small([2, 3, 2], 40), small([2, 3, 2], 41), small([2, 3, 2], 42)];
    const f = (opts: Parameters<typeof sdpa>[3]) => (a: Tensor, b: Tensor, c: Tensor) => sdpa(a, b, c, opts).sin().sum();
    expectGradcheck(f({ causal: true }), [qq, kk, vv]);
    expectGradcheck(
      f({
        mask: tensor(
          [
            [true, false, true],
            [true, true, false],
            [false, false, true],
          ],
          { device },
        ),
      }),
      [qq, kk, vv],
    );
    expectGradcheck(
      f({
        mask: tensor(
          [
            [0, -1, 0.5],
            [1, 0, 0],
            [-2, 0, 0.3],
          ],
          { device },
        ),
        scale: 0.7,
      }),
      [qq, kk, vv],
    );
  });

  it('throws typed errors', () => {
    const x = (shape: number[]) => small(shape, 50);
    expect(() => sdpa(x([2, 3, 4]), x([2, 3, 5]), x([2, 3, 5]))).toThrow(ShapeError);
    expect(() => sdpa(x([2, 3, 4]), x([2, 3, 5]), x([2, 3, 5]))).toThrow(/differ in feature size \(4 != 5\)/);
    expect(() => sdpa(x([2, 3, 4]), x([2, 3, 4]), x([2, 2, 4]))).toThrow(/differ in length \(3 != 2\)/);
    expect(() => sdpa(x([4]), x([3, 4]), x([3, 4]))).toThrow(ShapeError);
    const mask = tensor(
      [
        [true, true, true],
        [true, true, true],
        [true, true, true],
      ],
      { device },
    );
    expect(() => sdpa(x([2, 3, 4]), x([2, 3, 4]), x([2, 3, 4]), { mask, causal: true })).toThrow(ArgumentError);
    expect(() => sdpa(x([2, 3, 4]), x([2, 3, 4]), x([2, 3, 4]), { mask, causal: true })).toThrow(/pass either mask or causal, not both/);
    expect(() => sdpa(x([2, 3, 4]), x([2, 3, 4]), x([2, 3, 4]), { mask: tensor([[true, false]], { device }) })).toThrow(ShapeError);
    expect(() => sdpa(x([2, 3, 4]), x([2, 3, 4]), x([2, 3, 4]), { mask: tensor([[1, 0, 1]], { device, dtype: 'int32' }) })).toThrow(DTypeError);
    expect(() => sdpa(x([2, 3, 4]), x([2, 3, 4]), x([2, 3, 4]), { dropout: 1 })).toThrow(ArgumentError);
  });
});
