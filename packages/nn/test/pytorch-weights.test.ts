import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  BatchNorm1d,
  GRU,
  LayerNorm,
  Linear,
  loadWeights,
  LSTM,
  type Module,
  MultiheadAttention,
  noGrad,
  ReLU,
  Sequential,
  ShapeError,
  type Tensor,
  tensor,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index';
import { BIDIRECTIONAL_LAYER0_KEYS, expectValues } from './helpers';

// "A state dict exported from PyTorch (safetensors) loads into the same architecture and gives the
// same outputs." PyTorch is not available here, so the test writes the bytes that
// `safetensors.torch.save_file(model.state_dict(), path)` produces, following the format's
// reference serializer (huggingface/safetensors, `tensor.rs`):
// - tensors sorted by dtype, widest alignment first (I64 before F32), then by name (byte order);
// - the header is compact JSON `{"name":{"dtype":…,"shape":[…],"data_offsets":[begin,end]},…}`
//   in that same order, with no `__metadata__` entry unless metadata is passed;
// - the header is padded with spaces to a multiple of 8 bytes and preceded by its length as a
//   little-endian u64; then the raw little-endian data, in header order.

type Entry = { name: string; dtype: 'F32' | 'I64'; shape: number[]; values: number[] };

/** safetensors' dtype order (enum order of the reference implementation): higher sorts first. */
const DTYPE_RANK = { F32: 11, I64: 13 } as const;

function sortLikeSafetensors(entries: Entry[]): Entry[] {
  return [...entries].sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The header JSON text (before padding) and the data section for `entries`, in file order. */
function layout(entries: Entry[], metadata?: Record<string, string>): { header: string; data: Uint8Array } {
  const sorted = sortLikeSafetensors(entries);
  const size = (e: Entry) => e.values.length * (e.dtype === 'I64' ? 8 : 4);
  const data = new Uint8Array(sorted.reduce((n, e) => n + size(e), 0));
  const view = new DataView(data.buffer);
  const parts: string[] = metadata ? [`"__metadata__":${JSON.stringify(metadata)}`] : [];
  let offset = 0;
  for (const e of sorted) {
    expect(e.values.length, `${e.name}: values for shape [${e.shape}]`).toBe(e.shape.reduce((a, b) => a * b, 1));
    parts.push(`${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":[${e.shape.join(',')}],"data_offsets":[${offset},${offset + size(e)}]}`);
    e.values.forEach((v, i) => {
      if (e.dtype === 'I64') view.setBigInt64(offset + 8 * i, BigInt(v), true);
      else view.setFloat32(offset + 4 * i, v, true);
    });
    offset += size(e);
  }
  return { header: `{${parts.join(',')}}`, data };
}

/** The complete file: u64 LE header length, header padded with spaces to 8 bytes, data. */
function fileBytes(header: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(header);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  out.set(data, 8 + padded);
  return out;
}

function pytorchSafetensors(entries: Entry[], metadata?: Record<string, string>): Uint8Array {
  const { header, data } = layout(entries, metadata);
  return fileBytes(header, data);
}

// ── the BatchNorm MLP ────────────────────────────────────────────────────────
// nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)) after some
// training: weights and running statistics with values exactly representable in float32.
const W0 = [
  [0.5, -0.25, 0.75],
  [-1, 0.125, 0.5],
  [0.25, 0.5, -0.5],
  [1.5, -0.75, 0.25],
];
const B0 = [0.1, -0.2, 0.05, 0.3];
const GAMMA = [1.25, 0.5, -0.75, 2];
const BETA = [0.125, -0.5, 0.25, 0];
const RUNNING_MEAN = [0.2, -0.4, 0.1, 0.6];
const RUNNING_VAR = [0.5, 2.25, 0.09, 1.5];
const NUM_BATCHES = 1234;
const W3 = [
  [0.5, -1, 0.25, 0.75],
  [-0.5, 0.375, 1, -0.125],
];
const B3 = [0.01, -0.02];
const EPS = 1e-5; // BatchNorm1d's default, in PyTorch and here

const MLP_ENTRIES: Entry[] = [
  // model.state_dict() order
  { name: '0.weight', dtype: 'F32', shape: [4, 3], values: W0.flat() },
  { name: '0.bias', dtype: 'F32', shape: [4], values: B0 },
  { name: '1.weight', dtype: 'F32', shape: [4], values: GAMMA },
  { name: '1.bias', dtype: 'F32', shape: [4], values: BETA },
  { name: '1.running_mean', dtype: 'F32', shape: [4], values: RUNNING_MEAN },
  { name: '1.running_var', dtype: 'F32', shape: [4], values: RUNNING_VAR },
  { name: '1.num_batches_tracked', dtype: 'I64', shape: [], values: [NUM_BATCHES] },
  { name: '3.weight', dtype: 'F32', shape: [2, 4], values: W3.flat() },
  { name: '3.bias', dtype: 'F32', shape: [2], values: B3 },
];

/** The header safetensors writes for MLP_ENTRIES, spelled out. */
const MLP_HEADER =
  '{"1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
  '"0.bias":{"dtype":"F32","shape":[4],"data_offsets":[8,24]},' +
  '"0.weight":{"dtype":"F32","shape":[4,3],"data_offsets":[24,72]},' +
  '"1.bias":{"dtype":"F32","shape":[4],"data_offsets":[72,88]},' +
  '"1.running_mean":{"dtype":"F32","shape":[4],"data_offsets":[88,104]},' +
  '"1.running_var":{"dtype":"F32","shape":[4],"data_offsets":[104,120]},' +
  '"1.weight":{"dtype":"F32","shape":[4],"data_offsets":[120,136]},' +
  '"3.bias":{"dtype":"F32","shape":[2],"data_offsets":[136,144]},' +
  '"3.weight":{"dtype":"F32","shape":[2,4],"data_offsets":[144,176]}}';

const X = [
  [1, 2, 3],
  [-0.5, 0.25, 1],
  [2, -1, 0],
];

const f32 = (v: number) => Math.fround(v); // the file stores float32: compute from exactly those numbers

/** The model's eval-mode output, in float64, written out. */
function expectedMlpOutput(x: number[][]): number[][] {
  return x.map((row) => {
    const h = W0.map((w, j) => f32(B0[j]) + w.reduce((s, wk, k) => s + f32(wk) * row[k], 0));
    const bn = h.map((v, j) => ((v - f32(RUNNING_MEAN[j])) / Math.sqrt(f32(RUNNING_VAR[j]) + EPS)) * f32(GAMMA[j]) + f32(BETA[j]));
    const r = bn.map((v) => Math.max(0, v));
    return W3.map((w, i) => f32(B3[i]) + w.reduce((s, wk, k) => s + f32(wk) * r[k], 0));
  });
}

function mlp(): Sequential {
  return new Sequential(new Linear(3, 4), new BatchNorm1d(4), new ReLU(), new Linear(4, 2));
}

/** Keys and shapes of a module's state dict, in order. */
const keyShapes = (m: Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.shape]]);

describe('loading a PyTorch state dict saved with safetensors', () => {
  it('builds the bytes PyTorch writes: dtype-then-name order, compact header, space padding to 8 bytes', () => {
    const { header, data } = layout(MLP_ENTRIES);
    expect(header).toBe(MLP_HEADER);
    expect(header.length).toBe(586);
    const bytes = fileBytes(header, data);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n).toBe(592); // 586 rounded up to a multiple of 8
    expect(new TextDecoder().decode(bytes.subarray(8 + 586, 8 + n))).toBe('      ');
    expect(bytes.length).toBe(8 + 592 + 176);
    expect(new DataView(bytes.buffer).getBigInt64(8 + n, true)).toBe(BigInt(NUM_BATCHES)); // the I64 comes first
    expect(new DataView(bytes.buffer).getFloat32(8 + n + 8, true)).toBe(f32(B0[0]));
  });

  it('loads into Sequential(Linear, BatchNorm1d, ReLU, Linear) and gives the eval-mode output computed by hand', () => {
    const model = mlp().eval();
    // the same architecture has the same keys in the same order as PyTorch's model.state_dict()
    expect(keyShapes(model)).toEqual(MLP_ENTRIES.map((e) => [e.name, e.shape]));
    const result = loadWeights(model, pytorchSafetensors(MLP_ENTRIES));
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });

    const bn = model.at(1) as BatchNorm1d;
    expect(bn.numBatchesTracked!.dtype).toBe('int32'); // I64 → int32
    expect(Array.from(bn.numBatchesTracked!.dataSync())).toEqual([NUM_BATCHES]);
    expectValues(bn.runningVar!.dataSync(), RUNNING_VAR.map(f32), 0);
    expectValues((model.at(0) as Linear).weight.dataSync(), W0.flat().map(f32), 0);

    const x = tensor(X);
    const y = noGrad(() => model.forward(x) as Tensor);
    expect(y.shape).toEqual([3, 2]);
    const expected = expectedMlpOutput(X);
    expectValues(y.dataSync(), expected.flat(), 1e-5);
    // the running statistics matter: with batch statistics (train mode) the output differs
    const yTrain = noGrad(() => model.train().forward(x) as Tensor);
    expect(Math.max(...Array.from(yTrain.dataSync(), (v, i) => Math.abs(v - expected.flat()[i])))).toBeGreaterThan(1e-2);
    for (const t of [x, y, yTrain]) t.dispose();
    model.dispose();
  });

  it('ignores the __metadata__ entry that transformers writes ({"format":"pt"})', () => {
    const model = mlp().eval();
    const bytes = pytorchSafetensors(MLP_ENTRIES, { format: 'pt' });
    expect(new TextDecoder().decode(bytes.subarray(8, 40))).toBe('{"__metadata__":{"format":"pt"},');
    loadWeights(model, bytes);
    const x = tensor(X);
    const y = noGrad(() => model.forward(x) as Tensor);
    expectValues(y.dataSync(), expectedMlpOutput(X).flat(), 1e-5);
    for (const t of [x, y]) t.dispose();
    model.dispose();
  });

  describe('errors', () => {
    it('a missing key fails in strict mode (the default), naming it, and changes nothing', () => {
      const model = mlp();
      const before = Array.from((model.at(0) as Linear).weight.dataSync());
      const bytes = pytorchSafetensors(MLP_ENTRIES.filter((e) => e.name !== '1.running_var'));
      expect(() => loadWeights(model, bytes)).toThrow(ArgumentError);
      expect(() => loadWeights(model, bytes)).toThrow(/missing \[1\.running_var\]/);
      expect(Array.from((model.at(0) as Linear).weight.dataSync())).toEqual(before);
      // non-strict: loads the rest and reports the key
      expect(loadWeights(model, bytes, { strict: false })).toEqual({ missingKeys: ['1.running_var'], unexpectedKeys: [] });
      expectValues((model.at(0) as Linear).weight.dataSync(), W0.flat().map(f32), 0);
      expectValues((model.at(1) as BatchNorm1d).runningVar!.dataSync(), [1, 1, 1, 1], 0); // left at its init
      model.dispose();
    });

    it('an unexpected key fails in strict mode and is reported otherwise', () => {
      const model = mlp();
      const bytes = pytorchSafetensors([...MLP_ENTRIES, { name: '4.weight', dtype: 'F32', shape: [1], values: [1] }]);
      expect(() => loadWeights(model, bytes)).toThrow(/unexpected \[4\.weight\]/);
      expect(loadWeights(model, bytes, { strict: false })).toEqual({ missingKeys: [], unexpectedKeys: ['4.weight'] });
      model.dispose();
    });

    it('a wrong shape fails, strict or not, naming the key and both shapes', () => {
      const model = mlp();
      // the weight of nn.Linear(4, 3) transposed by mistake: [3, 4] instead of [4, 3]
      const entries = MLP_ENTRIES.map((e) => (e.name === '0.weight' ? { ...e, shape: [3, 4] } : e));
      const bytes = pytorchSafetensors(entries);
      expect(() => loadWeights(model, bytes)).toThrow(ShapeError);
      expect(() => loadWeights(model, bytes)).toThrow(/'0\.weight' has shape \[3,4\] in the state dict but \[4,3\] in the module/);
      expect(() => loadWeights(model, bytes, { strict: false })).toThrow(ShapeError);
      model.dispose();
    });
  });
});

// ── key names of recurrent and attention layers ──────────────────────────────
// PyTorch's documented parameter names (torch.nn.LSTM / GRU "Variables", MultiheadAttention,
// TransformerEncoderLayer sub-modules), in the order model.state_dict() lists them.

/** Entries with distinct values (i·0.001 + k) so that a value in the wrong tensor is caught. */
function numbered(spec: [string, number[]][]): Entry[] {
  return spec.map(([name, shape], k) => ({
    name,
    dtype: 'F32',
    shape,
    values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => k + i * 0.001),
  }));
}

/** Every key and shape in order, then a load of PyTorch-layout bytes that lands each value in its tensor. */
function checkLayer(model: Module, spec: [string, number[]][]): void {
  expect(keyShapes(model)).toEqual(spec);
  const entries = numbered(spec);
  expect(loadWeights(model, pytorchSafetensors(entries))).toEqual({ missingKeys: [], unexpectedKeys: [] });
  const sd = model.stateDict();
  for (const e of entries) expectValues(sd[e.name].dataSync(), e.values.map(f32), 0);
  model.dispose();
}

describe('PyTorch key names, layer by layer', () => {
  it('LSTM(10, 20, num_layers=2, bidirectional=True)', () => {
    const H = 20;
    const spec: [string, number[]][] = [];
    for (const layer of [0, 1]) {
      for (const sfx of ['', '_reverse']) {
        spec.push(
          [`weight_ih_l${layer}${sfx}`, [4 * H, layer === 0 ? 10 : 2 * H]],
          [`weight_hh_l${layer}${sfx}`, [4 * H, H]],
          [`bias_ih_l${layer}${sfx}`, [4 * H]],
          [`bias_hh_l${layer}${sfx}`, [4 * H]],
        );
      }
    }
    expect(spec.slice(0, 8).map(([k]) => k)).toEqual(BIDIRECTIONAL_LAYER0_KEYS); // the generated names, against names spelt out
    checkLayer(new LSTM(10, H, { numLayers: 2, bidirectional: true }), spec);
  });

  it('GRU(4, 6, bias=False)', () => {
    checkLayer(new GRU(4, 6, { bias: false }), [
      ['weight_ih_l0', [18, 4]],
      ['weight_hh_l0', [18, 6]],
    ]);
  });

  it('MultiheadAttention(16, 4), and with kdim=8, vdim=12', () => {
    checkLayer(new MultiheadAttention(16, 4), [
      ['in_proj_weight', [48, 16]],
      ['in_proj_bias', [48]],
      ['out_proj.weight', [16, 16]],
      ['out_proj.bias', [16]],
    ]);
    checkLayer(new MultiheadAttention(16, 4, { kdim: 8, vdim: 12 }), [
      ['q_proj_weight', [16, 16]],
      ['k_proj_weight', [16, 8]],
      ['v_proj_weight', [16, 12]],
      ['in_proj_bias', [48]],
      ['out_proj.weight', [16, 16]],
      ['out_proj.bias', [16]],
    ]);
  });

  const encoderLayerSpec = (prefix: string): [string, number[]][] => [
    [`${prefix}self_attn.in_proj_weight`, [48, 16]],
    [`${prefix}self_attn.in_proj_bias`, [48]],
    [`${prefix}self_attn.out_proj.weight`, [16, 16]],
    [`${prefix}self_attn.out_proj.bias`, [16]],
    [`${prefix}linear1.weight`, [32, 16]],
    [`${prefix}linear1.bias`, [32]],
    [`${prefix}linear2.weight`, [16, 32]],
    [`${prefix}linear2.bias`, [16]],
    [`${prefix}norm1.weight`, [16]],
    [`${prefix}norm1.bias`, [16]],
    [`${prefix}norm2.weight`, [16]],
    [`${prefix}norm2.bias`, [16]],
  ];

  it('TransformerEncoderLayer(16, 4, dim_feedforward=32)', () => {
    checkLayer(new TransformerEncoderLayer(16, 4, { dimFeedforward: 32 }), encoderLayerSpec(''));
  });

  it('TransformerEncoder(layer, num_layers=2, norm=LayerNorm(16))', () => {
    const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32 });
    const encoder = new TransformerEncoder(layer, 2, { norm: new LayerNorm(16) });
    layer.dispose();
    checkLayer(encoder, [...encoderLayerSpec('layers.0.'), ...encoderLayerSpec('layers.1.'), ['norm.weight', [16]], ['norm.bias', [16]]]);
  });
});
