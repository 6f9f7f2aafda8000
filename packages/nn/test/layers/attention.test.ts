import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  gradcheck,
  manualSeed,
  memory,
  MultiheadAttention,
  noGrad,
  randn,
  ShapeError,
  scope,
  type Tensor,
  tensor,
  zeros,
} from '../../src/index';
import { expectTensorValues as expectClose, flat } from '../helpers';

// ── float64 reference from PyTorch's equations ─────────────────────────────
type M3 = number[][][];
type Params = Record<string, number[]>;

function affine(W: number[], b: number[] | undefined, x: number[]): number[] {
  return Array.from({ length: W.length / x.length }, (_, r) => {
    let s = b ? b[r] : 0;
    for (let c = 0; c < x.length; c++) s += W[r * x.length + c] * x[c];
    return s;
  });
}

/** Projection rows [start, start + E) of a packed [3E, in] weight (or a separate [E, in] one). */
function project(sd: Params, which: 0 | 1 | 2, E: number, x: number[]): number[] {
  const name = ['q_proj_weight', 'k_proj_weight', 'v_proj_weight'][which];
  const W = sd.in_proj_weight ? sd.in_proj_weight.slice(which * E * x.length, (which + 1) * E * x.length) : sd[name];
  const b = sd.in_proj_bias?.slice(which * E, (which + 1) * E);
  return affine(W, b, x);
}

/**
 * Batch-first reference: q [N][L][E], k [N][S][kdim], v [N][S][vdim], additive mask(n, head, i, j).
 * Returns out [N][L][E] and per-head weights [N][h][L][S].
 */
function refMHA(sd: Params, E: number, h: number, q: M3, k: M3, v: M3, mask: (n: number, a: number, i: number, j: number) => number = () => 0) {
  const d = E / h;
  const out: M3 = [];
  const weights: number[][][][] = [];
  q.forEach((qn, n) => {
    const Q = qn.map((x) => project(sd, 0, E, x));
    const K = k[n].map((x) => project(sd, 1, E, x));
    const V = v[n].map((x) => project(sd, 2, E, x));
    const O = Q.map(() => new Array(E).fill(0));
    weights.push([]);
    for (let a = 0; a < h; a++) {
      const W = Q.map((Qi, i) => {
        const s = K.map((Kj, j) => {
          let dot = 0;
          for (let c = a * d; c < (a + 1) * d; c++) dot += Qi[c] * Kj[c];
          return dot / Math.sqrt(d) + mask(n, a, i, j);
        });
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((x, y) => x + y, 0);
        return e.map((x) => x / z); // all −∞: NaN, as PyTorch
      });
      weights[n].push(W);
      W.forEach((Wi, i) =>
        Wi.forEach((w, j) => {
          for (let c = a * d; c < (a + 1) * d; c++) O[i][c] += w * V[j][c];
        }),
      );
    }
    out.push(O.map((o) => affine(sd['out_proj.weight'], sd['out_proj.bias'], o)));
  });
  return { out, weights };
}

// ── helpers ──────────────────────────────────────────────────────────────
const stateOf = (m: MultiheadAttention): Params => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));
const nested = (t: Tensor) => t.toArray() as Promise<M3>;
const swap = (s: M3): M3 => s[0].map((_, j) => s.map((row) => row[j]));
const meanHeads = (w: number[][][][]) => w.map((wn) => wn[0].map((row, i) => row.map((_, j) => wn.reduce((s, wa) => s + wa[i][j], 0) / wn.length)));
/** Random values in every parameter, so that zero-initialised biases are exercised too. */
function randomize(m: MultiheadAttention): MultiheadAttention {
  noGrad(() =>
    scope(() => {
      for (const p of m.parameters()) p.assign(randn(p.shape).mul(0.5));
    }),
  );
  return m;
}

const L = 3,
  S = 5,
  N = 2,
  E = 4,
  h = 2;

describe('MultiheadAttention: parameters', () => {
  it("use PyTorch's state-dict keys and shapes", () => {
    const shapes = (m: MultiheadAttention) => Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]);
    expect(shapes(new MultiheadAttention(E, h))).toEqual([
      ['in_proj_weight', [3 * E, E]],
      ['in_proj_bias', [3 * E]],
      ['out_proj.weight', [E, E]],
      ['out_proj.bias', [E]],
    ]);
    expect(shapes(new MultiheadAttention(E, h, { kdim: 3, vdim: 6 }))).toEqual([
      ['q_proj_weight', [E, E]],
      ['k_proj_weight', [E, 3]],
      ['v_proj_weight', [E, 6]],
      ['in_proj_bias', [3 * E]],
      ['out_proj.weight', [E, E]],
      ['out_proj.bias', [E]],
    ]);
    expect(Object.keys(new MultiheadAttention(E, h, { bias: false }).stateDict())).toEqual(['in_proj_weight', 'out_proj.weight']);
  });

  it('initialise as PyTorch: Xavier-uniform input projection, zero biases', () => {
    manualSeed(2);
    const m = new MultiheadAttention(32, 4);
    const w = Array.from(m.inProjWeight!.dataSync());
    const bound = Math.sqrt(6 / (32 + 96));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(Array.from(m.inProjBias!.dataSync()).every((x) => x === 0)).toBe(true);
    expect(Array.from(m.outProj.bias!.dataSync()).every((x) => x === 0)).toBe(true);
  });
});

describe('MultiheadAttention: values against a float64 reference', () => {
  it('self-attention, [L, N, E], averaged and per-head weights; needWeights false gives the same output', async () => {
    manualSeed(1);
    const m = randomize(new MultiheadAttention(E, h));
    const x = randn([L, N, E]);
    const xs = swap(await nested(x));
    const ref = refMHA(stateOf(m), E, h, xs, xs, xs);
    const [y, w] = m.forward(x, x, x);
    expect(y.shape).toEqual([L, N, E]);
    expectClose(y, swap(ref.out));
    expect(w!.shape).toEqual([N, L, L]);
    expectClose(w!, meanHeads(ref.weights));
    const [, wh] = m.forward(x, x, x, { averageAttnWeights: false });
    expect(wh!.shape).toEqual([N, h, L, L]);
    expectClose(wh!, ref.weights);
    const [y2, none] = m.forward(x, x, x, { needWeights: false });
    expect(none).toBeNull();
    expectClose(y2, swap(ref.out));
  });

  it('cross-attention with kdim/vdim, batchFirst', async () => {
    manualSeed(4);
    const m = randomize(new MultiheadAttention(E, h, { kdim: 3, vdim: 6, batchFirst: true }));
    const q = randn([N, L, E]);
    const k = randn([N, S, 3]);
    const v = randn([N, S, 6]);
    const ref = refMHA(stateOf(m), E, h, await nested(q), await nested(k), await nested(v));
    const [y, w] = m.forward(q, k, v, { averageAttnWeights: false });
    expect(y.shape).toEqual([N, L, E]);
    expectClose(y, ref.out);
    expectClose(w!, ref.weights);
    expectClose(m.forward(q, k, v, { needWeights: false })[0], ref.out);
  });

  it('unbatched inputs [L, E]: output [L, E], weights [L, S] or [h, L, S]', async () => {
    manualSeed(5);
    const m = randomize(new MultiheadAttention(E, h));
    const q = randn([L, E]);
    const kv = randn([S, E]);
    const ref = refMHA(stateOf(m), E, h, [(await q.toArray()) as number[][]], [(await kv.toArray()) as number[][]], [(await kv.toArray()) as number[][]]);
    const [y, w] = m.forward(q, kv, kv);
    expect(y.shape).toEqual([L, E]);
    expect(w!.shape).toEqual([L, S]);
    expectClose(y, ref.out);
    expectClose(w!, meanHeads(ref.weights));
    expect(m.forward(q, kv, kv, { averageAttnWeights: false })[1]!.shape).toEqual([h, L, S]);
  });

  it('bias false', async () => {
    manualSeed(6);
    const m = randomize(new MultiheadAttention(E, h, { bias: false, batchFirst: true }));
    const x = randn([N, L, E]);
    const xs = await nested(x);
    expectClose(m.forward(x, x, x)[0], refMHA(stateOf(m), E, h, xs, xs, xs).out);
  });
});

describe('MultiheadAttention: masks (true = NOT allowed, as torch.nn.MultiheadAttention)', () => {
  manualSeed(8);
  const m = randomize(new MultiheadAttention(E, h, { batchFirst: true }));
  const q = randn([N, L, E]);
  const kv = randn([N, S, E]);
  const attnBool = [
    [false, true, false, false, true],
    [true, false, false, true, false],
    [false, false, true, false, false],
  ];
  const kpmBool = [
    [false, false, false, true, true],
    [true, false, false, false, false],
  ];
  const attnFloat = [
    [0.5, -1, 0, 2, -Infinity],
    [0, 0, 1, -0.5, 0.25],
    [-2, 0, 0, 0, 3],
  ];
  const perHead = Array.from({ length: N * h }, (_, b) => attnBool.map((row, i) => row.map((_x, j) => (b + i + j) % 3 === 0)));
  const check = async (opts: Parameters<MultiheadAttention['forward']>[3], mask: (n: number, a: number, i: number, j: number) => number) => {
    const ref = refMHA(stateOf(m), E, h, await nested(q), await nested(kv), await nested(kv), mask);
    const [y, w] = m.forward(q, kv, kv, { ...opts, averageAttnWeights: false });
    expectClose(y, ref.out);
    expectClose(w!, ref.weights);
    expectClose(m.forward(q, kv, kv, { ...opts, needWeights: false })[0], ref.out);
  };
  const block = (b: boolean) => (b ? -Infinity : 0);

  it('bool attnMask [L, S]', () => check({ attnMask: tensor(attnBool) }, (_n, _a, i, j) => block(attnBool[i][j])));
  it('float attnMask [L, S] is added to the scores', () => check({ attnMask: tensor(attnFloat) }, (_n, _a, i, j) => attnFloat[i][j]));
  it('bool attnMask [N·h, L, S], one per batch element and head', () => check({ attnMask: tensor(perHead) }, (n, a, i, j) => block(perHead[n * h + a][i][j])));
  it('bool keyPaddingMask [N, S]', () => check({ keyPaddingMask: tensor(kpmBool) }, (n, _a, _i, j) => block(kpmBool[n][j])));
  it('float keyPaddingMask with a float attnMask: both added', () => {
    const kpmFloat = kpmBool.map((r) => r.map((b) => (b ? -3 : 0.5)));
    return check({ keyPaddingMask: tensor(kpmFloat), attnMask: tensor(attnFloat) }, (n, _a, i, j) => kpmFloat[n][j] + attnFloat[i][j]);
  });
  it('bool keyPaddingMask with a bool attnMask', () =>
    check({ keyPaddingMask: tensor(kpmBool), attnMask: tensor(attnBool) }, (n, _a, i, j) => block(kpmBool[n][j] || attnBool[i][j])));
  it('isCausal without a mask: query i attends to keys j ≤ i', () => check({ isCausal: true }, (_n, _a, i, j) => block(j > i)));
  it('isCausal with a keyPaddingMask', () => check({ isCausal: true, keyPaddingMask: tensor(kpmBool) }, (n, _a, i, j) => block(j > i || kpmBool[n][j])));
  it('isCausal with an attnMask uses the mask as given (a hint, as PyTorch)', () =>
    check({ isCausal: true, attnMask: tensor(attnBool) }, (_n, _a, i, j) => block(attnBool[i][j])));
  it('a query with every key blocked gets NaN, as PyTorch', () => {
    const all = attnBool.map((row, i) => row.map((x) => i === 1 || x));
    return check({ attnMask: tensor(all) }, (_n, _a, i, j) => block(all[i][j]));
  });
});

describe('MultiheadAttention: dropout', () => {
  it('drops attention weights in training only; the output uses the returned weights', async () => {
    manualSeed(9);
    const m = randomize(new MultiheadAttention(E, h, { dropout: 0.5, batchFirst: true }));
    const x = randn([N, L, E]);
    const xs = await nested(x);
    const ref = refMHA(stateOf(m), E, h, xs, xs, xs);
    const [y, w] = m.forward(x, x, x, { averageAttnWeights: false });
    const got = flat(await w!.toArray());
    const full = flat(ref.weights);
    expect(got.every((g, i) => Math.abs(g) < 1e-7 || Math.abs(g - 2 * full[i]) < 1e-5)).toBe(true);
    expect(got.filter((g) => g === 0).length).toBeGreaterThan(0);
    // weights·V then out_proj, with the dropped weights:
    const sd = stateOf(m);
    const Vs = xs.map((xn) => xn.map((r) => project(sd, 2, E, r)));
    const wd = w!.toArray() as Promise<number[][][][]>;
    const expected = (await wd).map((wn, n) =>
      xs[n].map((_, i) => {
        const o = new Array(E).fill(0);
        wn.forEach((wa, a) =>
          wa[i].forEach((wij, j) => {
            for (let c = a * 2; c < a * 2 + 2; c++) o[c] += wij * Vs[n][j][c];
          }),
        );
        return affine(sd['out_proj.weight'], sd['out_proj.bias'], o);
      }),
    );
    expectClose(y, expected);
    m.eval();
    expectClose(m.forward(x, x, x)[0], ref.out);
    expectClose(m.forward(x, x, x, { needWeights: false })[0], ref.out);
  });
});

describe('MultiheadAttention: gradients', () => {
  const run = (packed: boolean, needWeights: boolean) => {
    manualSeed(10);
    const m = new MultiheadAttention(E, h, packed ? {} : { kdim: 3, vdim: 2 });
    randomize(m);
    const keys = Object.keys(m.stateDict());
    const params = Object.values(m.stateDict()).map((p) => p.detach());
    const q = randn([L, 2, E]);
    const k = randn([4, 2, packed ? E : 3]);
    const v = randn([4, 2, packed ? E : 2]);
    const wy = randn([L, 2, E]);
    const ww = randn([2, h, L, 4]);
    const kpm = tensor([
      [false, false, false, true],
      [false, true, false, false],
    ]);
    const attnMask = randn([L, 4]).mul(0.5);
    const fields = m as unknown as Record<string, Tensor> & { outProj: Record<string, Tensor> };
    const r = gradcheck(
      (qi, ki, vi, ...ps) => {
        ps.forEach((p, i) => {
          if (keys[i].startsWith('out_proj.')) fields.outProj[keys[i].slice(9)] = p;
          else fields[keys[i].replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = p;
        });
        const [y, w] = m.forward(qi, ki, vi, { keyPaddingMask: kpm, attnMask, needWeights, averageAttnWeights: false });
        return w ? y.mul(wy).sum().add(w.mul(ww).sum()) : y.mul(wy).sum();
      },
      [q, k, v, ...params],
      { rtol: 2e-2, atol: 2e-3 },
    );
    expect(r.mismatches.slice(0, 3)).toEqual([]);
  };
  it('packed projection, through output and weights', () => run(true, true));
  it('separate q/k/v projections, fused path (needWeights false)', () => run(false, false));
});

describe('MultiheadAttention: errors and memory', () => {
  it('reject invalid constructor arguments naming the layer', () => {
    expect(() => new MultiheadAttention(10, 3)).toThrow(ArgumentError);
    expect(() => new MultiheadAttention(10, 3)).toThrow(/MultiheadAttention: embedDim \(10\) must be divisible by numHeads \(3\)/);
    expect(() => new MultiheadAttention(8, 0)).toThrow(/numHeads must be a positive integer, got 0/);
    expect(() => new MultiheadAttention(8, 2, { kdim: -1 })).toThrow(/kdim must be a positive integer/);
    expect(() => new MultiheadAttention(8, 2, { dropout: -0.1 })).toThrow(/dropout must be a number in \[0, 1\]/);
  });

  it('reject inputs of the wrong shape with the expected shape in the message', () => {
    const m = new MultiheadAttention(E, h, { kdim: 3 });
    const q = zeros([L, N, E]);
    const k = zeros([S, N, 3]);
    const v = zeros([S, N, E]);
    expect(() => m.forward(zeros([L, N, 5]), k, v)).toThrow(ShapeError);
    expect(() => m.forward(zeros([L, N, 5]), k, v)).toThrow(/MultiheadAttention: expected query of shape \[L, N, 4\], got \[3,2,5\]/);
    expect(() => m.forward(zeros([1, L, N, E]), k, v)).toThrow(/expected query of shape \[L, N, 4\] or unbatched \[L, 4\], got \[1,3,2,4\]/);
    expect(() => m.forward(q, zeros([S, N, E]), v)).toThrow(/expected key of shape \[S, N, 3\], got \[5,2,4\]/);
    expect(() => m.forward(q, k, zeros([S, N]))).toThrow(/expected value of shape \[S, N, 4\], got \[5,2\]/);
    expect(() => m.forward(q, k, zeros([4, N, E]))).toThrow(/key and value must share the length S/);
    expect(() => m.forward(q, zeros([S, 1, 3]), zeros([S, 1, E]))).toThrow(/batch size N = 2/);
    expect(() => m.forward(q, k, v, { keyPaddingMask: zeros([S, N]) })).toThrow(/expected keyPaddingMask of shape \[2,5\], got \[5,2\]/);
    expect(() => m.forward(q, k, v, { attnMask: zeros([S, L]) })).toThrow(/expected attnMask of shape \[3,5\] or \[4,3,5\], got \[5,3\]/);
    expect(() => m.forward(q, k, v, { attnMask: zeros([L, S], { dtype: 'int32' }) })).toThrow(DTypeError);
  });

  it('memory() is flat after forward/backward in a scope and dispose', () => {
    const before = memory();
    const m = new MultiheadAttention(E, h, { dropout: 0.3 });
    scope(() => {
      const x = randn([L, N, E], { requiresGrad: true });
      const [y, w] = m.forward(x, x, x, {
        keyPaddingMask: tensor([
          [false, false, true],
          [false, false, false],
        ]),
        isCausal: true,
      });
      y.sum().add(w!.sum()).backward();
      m.forward(x, x, x, { needWeights: false, isCausal: true })[0].sum().backward();
    });
    m.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
