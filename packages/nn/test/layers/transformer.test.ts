import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  gradcheck,
  LayerNorm,
  manualSeed,
  memory,
  type Module,
  noGrad,
  randn,
  ShapeError,
  scope,
  type Tensor,
  tensor,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
  zeros,
} from '../../src/index';
import { expectTensorValues as expectClose, flat } from '../helpers';

// ── float64 reference from PyTorch's equations ─────────────────────────────
type Vec = number[];
type Params = Record<string, number[]>;
type Mask = (n: number, i: number, j: number) => number; // additive

function affine(W: number[], b: number[] | undefined, x: Vec): Vec {
  return Array.from({ length: W.length / x.length }, (_, r) => {
    let s = b ? b[r] : 0;
    for (let c = 0; c < x.length; c++) s += W[r * x.length + c] * x[c];
    return s;
  });
}
/** float64 erf: Maclaurin series for |x| < 3, asymptotic erfc series beyond (abs. error < 1e-7). */
function erf(x: number): number {
  const t = Math.abs(x);
  if (t >= 3) {
    const u = 1 / (2 * t * t);
    return Math.sign(x) * (1 - (Math.exp(-t * t) / (t * Math.sqrt(Math.PI))) * (1 - u + 3 * u * u - 15 * u ** 3));
  }
  let sum = t;
  let term = t;
  for (let k = 1; k < 60; k++) {
    term *= (-t * t) / k;
    sum += term / (2 * k + 1);
  }
  return (Math.sign(x) * sum * 2) / Math.sqrt(Math.PI);
}
const ACT = { relu: (v: number) => Math.max(0, v), gelu: (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2)), tanh: Math.tanh };

function layerNormRef(x: Vec, w: number[] | undefined, b: number[] | undefined, eps: number): Vec {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0));
}

/** Self-attention over xs [S][E] of batch element n. */
function selfAttnRef(sd: Params, p: string, h: number, xs: Vec[], n: number, mask: Mask): Vec[] {
  const E = xs[0].length;
  const d = E / h;
  const proj = (which: number) =>
    xs.map((x) => affine(sd[`${p}in_proj_weight`].slice(which * E * E, (which + 1) * E * E), sd[`${p}in_proj_bias`]?.slice(which * E, (which + 1) * E), x));
  const [Q, K, V] = [proj(0), proj(1), proj(2)];
  const O = xs.map(() => new Array(E).fill(0));
  for (let a = 0; a < h; a++) {
    Q.forEach((Qi, i) => {
      const s = K.map((Kj, j) => {
        let dot = 0;
        for (let c = a * d; c < (a + 1) * d; c++) dot += Qi[c] * Kj[c];
        return dot / Math.sqrt(d) + mask(n, i, j);
      });
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((u, v) => u + v, 0);
      e.forEach((w, j) => {
        for (let c = a * d; c < (a + 1) * d; c++) O[i][c] += (w / z) * V[j][c];
      });
    });
  }
  return O.map((o) => affine(sd[`${p}out_proj.weight`], sd[`${p}out_proj.bias`], o));
}

/** One encoder layer on batch-first x [N][S][E]. */
function layerRef(sd: Params, p: string, h: number, x: Vec[][], o: { normFirst?: boolean; act?: (v: number) => number; eps?: number; mask?: Mask }): Vec[][] {
  const act = o.act ?? ACT.relu;
  const eps = o.eps ?? 1e-5;
  const mask = o.mask ?? (() => 0);
  const ln = (k: 1 | 2) => (v: Vec) => layerNormRef(v, sd[`${p}norm${k}.weight`], sd[`${p}norm${k}.bias`], eps);
  const ff = (v: Vec) => affine(sd[`${p}linear2.weight`], sd[`${p}linear2.bias`], affine(sd[`${p}linear1.weight`], sd[`${p}linear1.bias`], v).map(act));
  const add = (a: Vec, b: Vec) => a.map((v, i) => v + b[i]);
  return x.map((xs, n) => {
    if (o.normFirst) {
      const sa = selfAttnRef(sd, `${p}self_attn.`, h, xs.map(ln(1)), n, mask);
      const y = xs.map((v, i) => add(v, sa[i]));
      return y.map((v) => add(v, ff(ln(2)(v))));
    }
    const sa = selfAttnRef(sd, `${p}self_attn.`, h, xs, n, mask);
    const y = xs.map((v, i) => ln(1)(add(v, sa[i])));
    return y.map((v) => ln(2)(add(v, ff(v))));
  });
}

// ── helpers ──────────────────────────────────────────────────────────────
const stateOf = (m: Module): Params => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));
const nested = (t: Tensor) => t.toArray() as Promise<Vec[][]>;
const swap = <T>(s: T[][]): T[][] => s[0].map((_, j) => s.map((row) => row[j]));
function randomize<M extends Module>(m: M): M {
  noGrad(() =>
    scope(() => {
      for (const p of m.parameters())
        p.assign(
          randn(p.shape)
            .mul(0.5)
            .add(p.shape.length === 1 ? 0.1 : 0),
        );
    }),
  );
  return m;
}
/** Replace the tensor at a dotted state-dict key (`self_attn.out_proj.weight` → selfAttn.outProj.weight). */
function setAt(m: Module, key: string, t: Tensor): void {
  const path = key.split('.').map((s) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
  let o = m as unknown as Record<string, unknown>;
  for (const s of path.slice(0, -1)) o = o[s] as Record<string, unknown>;
  o[path.at(-1)!] = t;
}

const S = 3,
  N = 2,
  E = 4,
  h = 2,
  FF = 6;
const small = (o: TransformerEncoderLayerOptions = {}) => new TransformerEncoderLayer(E, h, { dimFeedforward: FF, dropout: 0, ...o });

describe('TransformerEncoderLayer / TransformerEncoder: parameters', () => {
  it("use PyTorch's state-dict keys and shapes", () => {
    const layer = small();
    expect(Object.entries(layer.stateDict()).map(([k, t]) => [k, t.shape])).toEqual([
      ['self_attn.in_proj_weight', [3 * E, E]],
      ['self_attn.in_proj_bias', [3 * E]],
      ['self_attn.out_proj.weight', [E, E]],
      ['self_attn.out_proj.bias', [E]],
      ['linear1.weight', [FF, E]],
      ['linear1.bias', [FF]],
      ['linear2.weight', [E, FF]],
      ['linear2.bias', [E]],
      ['norm1.weight', [E]],
      ['norm1.bias', [E]],
      ['norm2.weight', [E]],
      ['norm2.bias', [E]],
    ]);
    expect(layer.namedChildren().map(([k]) => k)).toEqual(['self_attn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'dropout1', 'dropout2']);
    expect(Object.keys(small({ bias: false }).stateDict())).toEqual([
      'self_attn.in_proj_weight',
      'self_attn.out_proj.weight',
      'linear1.weight',
      'linear2.weight',
      'norm1.weight',
      'norm2.weight',
    ]);
    const enc = new TransformerEncoder(() => small(), 2, { norm: new LayerNorm(E) });
    const keys = Object.keys(enc.stateDict());
    expect(keys.length).toBe(26);
    expect(keys.slice(0, 2)).toEqual(['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias']);
    expect(keys.slice(12, 14)).toEqual(['layers.1.self_attn.in_proj_weight', 'layers.1.self_attn.in_proj_bias']);
    expect(keys.slice(-4)).toEqual(['layers.1.norm2.weight', 'layers.1.norm2.bias', 'norm.weight', 'norm.bias']);
  });

  it('a layer instance is copied numLayers times (as PyTorch deepcopy); a factory makes fresh layers', () => {
    manualSeed(1);
    const proto = randomize(small());
    const enc = new TransformerEncoder(proto, 3);
    const sd = enc.stateDict();
    for (const i of [0, 1, 2]) {
      expect(Array.from(sd[`layers.${i}.linear1.weight`].dataSync())).toEqual(Array.from(proto.linear1.weight.dataSync()));
      expect(sd[`layers.${i}.linear1.weight`]).not.toBe(proto.linear1.weight);
    }
    expect(enc.layers.at(0)).not.toBe(proto);
    const fresh = new TransformerEncoder(() => small(), 2);
    expect(Array.from(fresh.layers.at(0).linear1.weight.dataSync())).not.toEqual(Array.from(fresh.layers.at(1).linear1.weight.dataSync()));
  });
});

describe('TransformerEncoderLayer: values against a float64 reference (dropout 0, eval)', () => {
  it.each([
    ['post-norm, relu', {}, ACT.relu],
    ['normFirst, relu', { normFirst: true }, ACT.relu],
    ['post-norm, gelu, layerNormEps 1e-3', { activation: 'gelu', layerNormEps: 1e-3 }, ACT.gelu],
    ['normFirst, custom activation', { normFirst: true, activation: (x: Tensor) => x.tanh() }, ACT.tanh],
  ] as [string, TransformerEncoderLayerOptions, (v: number) => number][])('%s, [S, N, E]', async (_l, opts, act) => {
    manualSeed(2);
    const layer = randomize(small(opts)).eval();
    const x = randn([S, N, E]);
    const ref = layerRef(stateOf(layer), '', h, swap(await nested(x)), { normFirst: opts.normFirst, act, eps: opts.layerNormEps });
    const y = layer.forward(x);
    expect(y.shape).toEqual([S, N, E]);
    expectClose(y, swap(ref));
  });

  it('batchFirst with a padding mask and a float attention mask', async () => {
    manualSeed(3);
    const layer = randomize(small({ batchFirst: true, normFirst: true })).eval();
    const x = randn([N, S, E]);
    const kpm = [
      [false, false, true],
      [false, false, false],
    ];
    const am = [
      [0, -1, 0.5],
      [0.25, 0, -Infinity],
      [1, 0, 0],
    ];
    const ref = layerRef(stateOf(layer), '', h, await nested(x), { normFirst: true, mask: (n, i, j) => (kpm[n][j] ? -Infinity : 0) + am[i][j] });
    expectClose(layer.forward(x, { srcKeyPaddingMask: tensor(kpm), srcMask: tensor(am) }), ref);
  });

  it('isCausal, and unbatched src [S, E]', async () => {
    manualSeed(4);
    const layer = randomize(small()).eval();
    const x = randn([S, E]);
    const ref = layerRef(stateOf(layer), '', h, [(await x.toArray()) as Vec[]], { mask: (_n, i, j) => (j > i ? -Infinity : 0) });
    const y = layer.forward(x, { isCausal: true });
    expect(y.shape).toEqual([S, E]);
    expectClose(y, ref);
    const boolCausal = tensor([
      [false, true, true],
      [false, false, true],
      [false, false, false],
    ]);
    expectClose(layer.forward(x, { srcMask: boolCausal, isCausal: true }), ref);
  });

  it('dropout (default 0.1) acts in training mode only', async () => {
    manualSeed(5);
    const layer = randomize(new TransformerEncoderLayer(E, h, { dimFeedforward: FF }));
    const x = randn([S, N, E]);
    const ref = layerRef(stateOf(layer), '', h, swap(await nested(x)), {});
    const trained = Array.from(layer.forward(x).dataSync());
    expect(trained.some((v, i) => Math.abs(v - flat(swap(ref))[i]) > 1e-3)).toBe(true);
    expectClose(layer.eval().forward(x), swap(ref));
  });
});

describe('TransformerEncoder: values', () => {
  it('runs every layer, then the final norm', async () => {
    manualSeed(6);
    const enc = randomize(new TransformerEncoder(() => small({ normFirst: true }), 2, { norm: new LayerNorm(E) })).eval();
    const x = randn([S, N, E]);
    const sd = stateOf(enc);
    const kpm = [
      [false, true, false],
      [false, false, false],
    ];
    const mask: Mask = (n, i, j) => (kpm[n][j] || j > i ? -Infinity : 0);
    let r = swap(await nested(x));
    for (const i of [0, 1]) r = layerRef(sd, `layers.${i}.`, h, r, { normFirst: true, mask });
    r = r.map((xs) => xs.map((v) => layerNormRef(v, sd['norm.weight'], sd['norm.bias'], 1e-5)));
    const y = enc.forward(x, { srcKeyPaddingMask: tensor(kpm), isCausal: true });
    expectClose(y, swap(r));
    const causal = tensor([
      [0, -Infinity, -Infinity],
      [0, 0, -Infinity],
      [0, 0, 0],
    ]);
    expectClose(enc.forward(x, { mask: causal, srcKeyPaddingMask: tensor(kpm) }), swap(r));
  });
});

describe('TransformerEncoderLayer: gradients', () => {
  it.each([
    ['post-norm', false],
    ['normFirst', true],
  ] as const)('%s: gradcheck for src and every parameter', (_l, normFirst) => {
    manualSeed(7);
    const layer = randomize(small({ normFirst, activation: 'gelu' }));
    const keys = Object.keys(layer.stateDict());
    const params = Object.values(layer.stateDict()).map((p) => p.detach());
    const x = randn([S, N, E]);
    const wy = randn([S, N, E]);
    const kpm = tensor([
      [false, false, true],
      [false, false, false],
    ]);
    const r = gradcheck(
      (xi, ...ps) => {
        ps.forEach((p, i) => setAt(layer, keys[i], p));
        return layer.forward(xi, { srcKeyPaddingMask: kpm }).mul(wy).sum();
      },
      [x, ...params],
      { rtol: 2e-2, atol: 2e-3 },
    );
    expect(r.mismatches.slice(0, 3)).toEqual([]);
  });

  it('gradcheck through a 2-layer encoder for src', () => {
    manualSeed(8);
    const enc = randomize(new TransformerEncoder(() => small(), 2, { norm: new LayerNorm(E) }));
    const wy = randn([S, N, E]);
    const r = gradcheck((xi) => enc.forward(xi, { isCausal: true }).mul(wy).sum(), [randn([S, N, E])], { rtol: 2e-2, atol: 2e-3 });
    expect(r.mismatches.slice(0, 3)).toEqual([]);
  });
});

describe('TransformerEncoderLayer / TransformerEncoder: errors and memory', () => {
  it('reject invalid constructor arguments naming the layer', () => {
    expect(() => new TransformerEncoderLayer(10, 3)).toThrow(ArgumentError);
    expect(() => new TransformerEncoderLayer(10, 3)).toThrow(/TransformerEncoderLayer: dModel \(10\) must be divisible by nhead \(3\)/);
    expect(() => new TransformerEncoderLayer(8, 2, { dimFeedforward: 0 })).toThrow(/dimFeedforward must be a positive integer/);
    expect(() => new TransformerEncoderLayer(8, 2, { dropout: 2 })).toThrow(/dropout must be a number in \[0, 1\]/);
    expect(() => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as 'relu' })).toThrow(/activation must be 'relu', 'gelu' or a function/);
    expect(() => new TransformerEncoderLayer(8, 2, { layerNormEps: 0 })).toThrow(/layerNormEps must be a positive number/);
    expect(() => new TransformerEncoder(small(), 0)).toThrow(/TransformerEncoder: numLayers must be a positive integer, got 0/);
    const one = small();
    expect(() => new TransformerEncoder(() => one, 2)).toThrow(/the factory returned the same layer for layers 0 and 1/);
    expect(() => new TransformerEncoder((() => ({})) as unknown as () => TransformerEncoderLayer, 1)).toThrow(/must return a TransformerEncoderLayer/);
  });

  it('reject src of the wrong shape with the expected shape in the message', () => {
    const layer = small({ batchFirst: true });
    expect(() => layer.forward(zeros([N, S, 5]))).toThrow(ShapeError);
    expect(() => layer.forward(zeros([N, S, 5]))).toThrow(/TransformerEncoderLayer: expected src of shape \[N, S, 4\] or unbatched \[S, 4\], got \[2,3,5\]/);
    expect(() => new TransformerEncoder(() => small(), 1).forward(zeros([4]))).toThrow(
      /TransformerEncoder: expected src of shape \[S, N, 4\] or unbatched \[S, 4\], got \[4\]/,
    );
    expect(() => small().forward(zeros([S, N, E]), { srcKeyPaddingMask: zeros([S, N], { dtype: 'bool' }) })).toThrow(
      /expected keyPaddingMask of shape \[2,3\]/,
    );
  });

  it('memory() is flat after forward/backward in a scope and dispose', () => {
    const before = memory();
    const proto = new TransformerEncoderLayer(E, h, { dimFeedforward: FF });
    const enc = new TransformerEncoder(proto, 2, { norm: new LayerNorm(E) });
    scope(() => {
      enc
        .forward(randn([S, N, E]), {
          srcKeyPaddingMask: tensor([
            [false, false, true],
            [false, false, false],
          ]),
        })
        .sum()
        .backward();
    });
    enc.dispose();
    proto.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
