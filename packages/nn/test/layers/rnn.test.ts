import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  GRU,
  gradcheck,
  LSTM,
  manualSeed,
  memory,
  randn,
  RNN,
  type RNNBase,
  ShapeError,
  scope,
  type Tensor,
  tensor,
  zeros,
} from '../../src/index';
import { BIDIRECTIONAL_LAYER0_KEYS, expectTensorValues as expectClose } from '../helpers';

// ── float64 reference from PyTorch's equations ─────────────────────────────
type Kind = 'tanh' | 'relu' | 'lstm' | 'gru';
type Seq = number[][][]; // [L][N][features]
const sig = (v: number) => 1 / (1 + Math.exp(-v));

function affine(W: number[], b: number[] | undefined, x: number[]): number[] {
  const rows = W.length / x.length;
  return Array.from({ length: rows }, (_, r) => {
    let s = b ? b[r] : 0;
    for (let c = 0; c < x.length; c++) s += W[r * x.length + c] * x[c];
    return s;
  });
}

function refStep(kind: Kind, p: Record<string, number[] | undefined>, x: number[], h: number[], c: number[]): [number[], number[]] {
  const H = h.length;
  const gi = affine(p.wih!, p.bih, x);
  const gh = affine(p.whh!, p.bhh, h);
  const j = Array.from({ length: H }, (_, i) => i);
  if (kind === 'tanh') return [j.map((i) => Math.tanh(gi[i] + gh[i])), c];
  if (kind === 'relu') return [j.map((i) => Math.max(0, gi[i] + gh[i])), c];
  if (kind === 'lstm') {
    const c1 = j.map((i) => sig(gi[H + i] + gh[H + i]) * c[i] + sig(gi[i] + gh[i]) * Math.tanh(gi[2 * H + i] + gh[2 * H + i]));
    return [j.map((i) => sig(gi[3 * H + i] + gh[3 * H + i]) * Math.tanh(c1[i])), c1];
  }
  const r = j.map((i) => sig(gi[i] + gh[i]));
  const z = j.map((i) => sig(gi[H + i] + gh[H + i]));
  const n = j.map((i) => Math.tanh(gi[2 * H + i] + r[i] * gh[2 * H + i]));
  return [j.map((i) => (1 - z[i]) * n[i] + z[i] * h[i]), c];
}

interface RefOpts {
  numLayers: number;
  bidirectional: boolean;
  H: number;
  h0?: Seq;
  c0?: Seq;
  dropAllBetweenLayers?: boolean;
}

/** Plain-loop forward over x [L][N][in]: { y [L][N][D·H], h [layers·D][N][H], c }. */
function refForward(kind: Kind, sd: Record<string, number[]>, xs: Seq, o: RefOpts): { y: Seq; h: Seq; c: Seq } {
  const L = xs.length;
  const N = xs[0].length;
  const D = o.bidirectional ? 2 : 1;
  const zero = () => Array.from({ length: N }, () => new Array(o.H).fill(0));
  const hN: Seq = [];
  const cN: Seq = [];
  let inp = xs;
  for (let k = 0; k < o.numLayers; k++) {
    const outs: Seq[] = [];
    for (let d = 0; d < D; d++) {
      const s = `l${k}${d ? '_reverse' : ''}`;
      const p = { wih: sd[`weight_ih_${s}`], whh: sd[`weight_hh_${s}`], bih: sd[`bias_ih_${s}`], bhh: sd[`bias_hh_${s}`] };
      const hs = (o.h0?.[k * D + d] ?? zero()).map((v) => [...v]);
      const cs = (o.c0?.[k * D + d] ?? zero()).map((v) => [...v]);
      const out: Seq = Array.from({ length: L }, () => []);
      for (let step = 0; step < L; step++) {
        const t = d ? L - 1 - step : step;
        for (let n = 0; n < N; n++) {
          [hs[n], cs[n]] = refStep(kind, p, inp[t][n], hs[n], cs[n]);
          out[t][n] = hs[n];
        }
      }
      outs.push(out);
      hN.push(hs);
      cN.push(cs);
    }
    inp = outs[0].map((row, t) => row.map((v, n) => (D === 2 ? [...v, ...outs[1][t][n]] : v)));
    if (o.dropAllBetweenLayers && k < o.numLayers - 1) inp = inp.map((row) => row.map((v) => v.map(() => 0)));
  }
  return { y: inp, h: hN, c: cN };
}

// ── helpers ──────────────────────────────────────────────────────────────
const stateOf = (m: RNNBase) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, Array.from(v.dataSync())]));
const nested = (t: Tensor) => t.toArray() as Promise<Seq>;
const swap = (s: Seq): Seq => s[0].map((_, j) => s.map((row) => row[j])); // [A][B] ↔ [B][A]
const fieldOf = (key: string) => key.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

const L = 3,
  N = 2,
  Hin = 3,
  H = 4;

describe('RNN, LSTM, GRU: parameters', () => {
  it("use PyTorch's state-dict keys, order and shapes", () => {
    const rnn = new RNN(Hin, H, { numLayers: 2, bidirectional: true });
    expect(Object.keys(rnn.stateDict())).toEqual([
      ...BIDIRECTIONAL_LAYER0_KEYS,
      'weight_ih_l1',
      'weight_hh_l1',
      'bias_ih_l1',
      'bias_hh_l1',
      'weight_ih_l1_reverse',
      'weight_hh_l1_reverse',
      'bias_ih_l1_reverse',
      'bias_hh_l1_reverse',
    ]);
    expect(rnn.stateDict().weight_ih_l1.shape).toEqual([H, 2 * H]);
    const lstm = new LSTM(Hin, H);
    expect(Object.entries(lstm.stateDict()).map(([k, v]) => [k, v.shape])).toEqual([
      ['weight_ih_l0', [4 * H, Hin]],
      ['weight_hh_l0', [4 * H, H]],
      ['bias_ih_l0', [4 * H]],
      ['bias_hh_l0', [4 * H]],
    ]);
    const gru = new GRU(Hin, H, { bias: false, numLayers: 2 });
    expect(Object.entries(gru.stateDict()).map(([k, v]) => [k, v.shape])).toEqual([
      ['weight_ih_l0', [3 * H, Hin]],
      ['weight_hh_l0', [3 * H, H]],
      ['weight_ih_l1', [3 * H, H]],
      ['weight_hh_l1', [3 * H, H]],
    ]);
    expect(gru.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('initialise every weight from U(−1/√H, 1/√H)', () => {
    manualSeed(1);
    const lstm = new LSTM(5, 16, { numLayers: 2 });
    const all = lstm.parameters().flatMap((p) => Array.from(p.dataSync()));
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...all)).toBeGreaterThan(0.2);
    expect(Math.min(...all)).toBeLessThan(-0.2);
  });

  it('load a state dict with the same keys (as exported from PyTorch)', () => {
    const a = new GRU(Hin, H, { bidirectional: true });
    const b = new GRU(Hin, H, { bidirectional: true });
    b.loadStateDict(a.stateDict());
    const x = randn([L, N, Hin]);
    expectClose(b.forward(x)[0], Array.from(a.forward(x)[0].dataSync()), 0);
  });
});

type MakeOpts = { numLayers?: number; bidirectional?: boolean; batchFirst?: boolean; bias?: boolean; dropout?: number };

describe.each([
  ['RNN tanh', 'tanh'],
  ['RNN relu', 'relu'],
  ['LSTM', 'lstm'],
  ['GRU', 'gru'],
] as const)('%s: values against a float64 reference', (_name, kind) => {
  const make = (opts: MakeOpts) =>
    kind === 'lstm' ? new LSTM(Hin, H, opts) : kind === 'gru' ? new GRU(Hin, H, opts) : new RNN(Hin, H, { ...opts, nonlinearity: kind });
  const run = (m: RNNBase, x: Tensor, h0?: Tensor, c0?: Tensor): [Tensor, Tensor, Tensor | null] => {
    if (m instanceof LSTM) {
      const [y, [h, c]] = m.forward(x, h0 && c0 ? [h0, c0] : undefined);
      return [y, h, c];
    }
    const [y, h] = (m as RNN).forward(x, h0);
    return [y, h, null];
  };

  it.each([
    ['1 layer', { numLayers: 1 }],
    ['2 layers', { numLayers: 2 }],
    ['bidirectional', { bidirectional: true }],
    ['2 layers, bidirectional', { numLayers: 2, bidirectional: true }],
    ['no bias', { numLayers: 2, bias: false }],
  ] as [string, MakeOpts][])('%s, zero initial state', async (_label, opts) => {
    manualSeed(7);
    const m = make(opts);
    const x = randn([L, N, Hin]);
    const [y, h, c] = run(m, x);
    const D = opts.bidirectional ? 2 : 1;
    const numLayers = opts.numLayers ?? 1;
    expect(y.shape).toEqual([L, N, D * H]);
    expect(h.shape).toEqual([numLayers * D, N, H]);
    const ref = refForward(kind, stateOf(m), await nested(x), { numLayers, bidirectional: D === 2, H });
    expectClose(y, ref.y);
    expectClose(h, ref.h);
    if (c) expectClose(c, ref.c);
  });

  it('2 layers, bidirectional, batchFirst, given initial states', async () => {
    manualSeed(11);
    const m = make({ numLayers: 2, bidirectional: true, batchFirst: true });
    const x = randn([N, L, Hin]);
    const h0 = randn([4, N, H]);
    const c0 = randn([4, N, H]);
    const [y, h, c] = run(m, x, h0, c0);
    expect(y.shape).toEqual([N, L, 2 * H]);
    const ref = refForward(kind, stateOf(m), swap(await nested(x)), {
      numLayers: 2,
      bidirectional: true,
      H,
      h0: await nested(h0),
      c0: kind === 'lstm' ? await nested(c0) : undefined,
    });
    expectClose(y, swap(ref.y));
    expectClose(h, ref.h);
    if (c) expectClose(c, ref.c);
  });

  it('unbatched input [L, Hin] with an unbatched state [layers·D, H]', async () => {
    manualSeed(3);
    const m = make({ bidirectional: true, batchFirst: true });
    const x = randn([L, Hin]);
    const h0 = randn([2, H]);
    const c0 = randn([2, H]);
    const [y, h, c] = run(m, x, h0, c0);
    expect(y.shape).toEqual([L, 2 * H]);
    expect(h.shape).toEqual([2, H]);
    const col = (s: Seq | number[][]) => (s as number[][]).map((v) => [v]);
    const ref = refForward(kind, stateOf(m), col(await nested(x)), {
      numLayers: 1,
      bidirectional: true,
      H,
      h0: col(await nested(h0)),
      c0: kind === 'lstm' ? col(await nested(c0)) : undefined,
    });
    expectClose(y, ref.y);
    expectClose(h, ref.h);
    if (c) expectClose(c, ref.c);
  });

  it('applies dropout between layers only in training mode', async () => {
    manualSeed(5);
    const m = make({ numLayers: 2, dropout: 1 });
    const x = randn([L, N, Hin]);
    const sd = stateOf(m);
    const dropped = refForward(kind, sd, await nested(x), { numLayers: 2, bidirectional: false, H, dropAllBetweenLayers: true });
    const plain = refForward(kind, sd, await nested(x), { numLayers: 2, bidirectional: false, H });
    expectClose(run(m, x)[0], dropped.y); // p = 1: the second layer sees zeros
    m.eval();
    expectClose(run(m, x)[0], plain.y);
  });

  it('passes gradchecks for the input, the states and every parameter', () => {
    manualSeed(13);
    const m = make({ numLayers: 2, bidirectional: true });
    const keys = Object.keys(m.stateDict());
    const params = Object.values(m.stateDict()).map((p) => p.detach());
    const x = randn([2, 2, Hin]);
    const h0 = randn([4, 2, H]);
    const c0 = randn([4, 2, H]);
    const wy = randn([2, 2, 2 * H]);
    const wh = randn([4, 2, H]);
    const r = gradcheck(
      (xi, hi, ci, ...ps) => {
        ps.forEach((p, i) => {
          (m as unknown as Record<string, Tensor>)[fieldOf(keys[i])] = p;
        });
        const [y, h, c] = run(m, xi, hi, ci);
        const loss = y.mul(wy).sum().add(h.mul(wh).sum());
        return c ? loss.add(c.mul(wh).sum()) : loss;
      },
      [x, h0, c0, ...params],
      { rtol: 2e-2, atol: 2e-3 },
    );
    expect(r.mismatches.slice(0, 3)).toEqual([]);
  });

  it('frees every temporary: memory() is flat after forward/backward in a scope and dispose', () => {
    const before = memory();
    const m = make({ numLayers: 2, bidirectional: true, dropout: 0.5 });
    scope(() => {
      const [y, h] = run(m, randn([L, N, Hin]));
      y.sum().add(h.sum()).backward();
    });
    expect(m.parameters()[0].grad).not.toBeNull();
    m.dispose();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});

describe('RNN, LSTM, GRU: errors', () => {
  it('reject invalid constructor arguments naming the layer', () => {
    expect(() => new RNN(0, 4)).toThrow(ArgumentError);
    expect(() => new LSTM(3, 2.5)).toThrow(/LSTM: hiddenSize must be a positive integer, got 2.5/);
    expect(() => new GRU(3, 4, { numLayers: 0 })).toThrow(/GRU: numLayers/);
    expect(() => new GRU(3, 4, { dropout: 1.5 })).toThrow(/GRU: dropout must be a number in \[0, 1\]/);
    expect(() => new RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(/RNN: nonlinearity must be 'tanh' or 'relu'/);
  });

  it('reject inputs and states of the wrong shape with the expected shape in the message', () => {
    const rnn = new RNN(Hin, H, { numLayers: 2 });
    expect(() => rnn.forward(zeros([2, 3, 5]))).toThrow(ShapeError);
    expect(() => rnn.forward(zeros([2, 3, 5]))).toThrow(/RNN: expected input of shape \[L, N, 3\] \(inputSize 3\), got \[2,3,5\]/);
    expect(() => rnn.forward(zeros([2, 3, 3, 3]))).toThrow(/expected input of shape \[L, N, 3\] or unbatched \[L, 3\], got \[2,3,3,3\]/);
    expect(() => rnn.forward(zeros([2, 3, 3]), zeros([1, 3, 4]))).toThrow(/expected h0 of shape \[2,3,4\]/);
    expect(() => rnn.forward(zeros([0, 3, 3]))).toThrow(/sequence length must be at least 1/);
    expect(() => new GRU(Hin, H, { batchFirst: true }).forward(zeros([2, 5]))).toThrow(/GRU: expected input of shape \[L, 3\] \(inputSize 3\), got \[2,5\]/);
    const lstm = new LSTM(Hin, H);
    expect(() => lstm.forward(zeros([2, 3, 3]), [zeros([1, 3, 4]), zeros([1, 2, 4])])).toThrow(/LSTM: expected c0 of shape \[1,3,4\]/);
    expect(() => lstm.forward(zeros([2, 3, 3]), zeros([1, 3, 4]) as unknown as [Tensor, Tensor])).toThrow(/hx must be a pair/);
    expect(() => rnn.forward(tensor([[[1, 2, 3]]], { dtype: 'int32' }))).toThrow(/expected a float32 input/);
  });
});
