import { ArgumentError, cat, DTypeError, dropout, type Generator, linear, ShapeError, scope, stack, type Tensor, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, fmtShape as fmt } from '../checks';
import { uniform } from '../init';
import { Module } from '../module';
import { reprFields } from '../summary';
import { Parameter } from '../parameter';

/**
 * Options shared by {@link RNN}, {@link LSTM} and {@link GRU} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new LSTM(8, 16, { numLayers: 2, batchFirst: true, dropout: 0.2, bidirectional: true });
 * ```
 */
export interface RNNBaseOptions {
  /** Stacked recurrent layers; layer k > 0 reads the output of layer k − 1 (default 1). */
  numLayers?: number;
  /** Learn the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [N, L, features] instead of [L, N, features] (default false). Hidden states stay [layers·directions, N, H]. */
  batchFirst?: boolean;
  /** Dropout probability on the output of every layer but the last, in training mode only (default 0). */
  dropout?: number;
  /** Run a second pass from the end of the sequence and concatenate both outputs (default false). */
  bidirectional?: boolean;
  /** Draw the initial weights from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
}

/**
 * Options of {@link RNN}.
 * @example
 * ```ts
 * new RNN(8, 16, { nonlinearity: 'relu' });
 * ```
 */
export interface RNNOptions extends RNNBaseOptions {
  /** Activation of the Elman cell (default 'tanh'). */
  nonlinearity?: 'tanh' | 'relu';
}

type CellKind = 'tanh' | 'relu' | 'lstm' | 'gru';
type Weights = { wIh: Tensor; wHh: Tensor; bIh: Tensor | null; bHh: Tensor | null };

const RNN_BASE_KEYS = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'generator'];

const GATES: Record<CellKind, number> = { tanh: 1, relu: 1, lstm: 4, gru: 3 };

/**
 * Common machinery of {@link RNN}, {@link LSTM} and {@link GRU}: parameter layout, input and state
 * checks, the layer/direction/time loops. Parameters follow PyTorch's names and shapes, for layer k
 * (suffix `_reverse` for the backward direction): `weight_ih_l{k}` [G·H, in], `weight_hh_l{k}`
 * [G·H, H], `bias_ih_l{k}` [G·H], `bias_hh_l{k}` [G·H], with G gates (1 RNN, 4 LSTM, 3 GRU),
 * in = inputSize for k = 0 and H·directions above; all drawn from U(−1/√H, 1/√H).
 * @example
 * ```ts
 * const gru: RNNBase = new GRU(4, 8);
 * gru.hiddenSize; // 8
 * ```
 */
export abstract class RNNBase extends Module {
  /** Features per input step (Hin). @example `new GRU(4, 8).inputSize // 4` */
  readonly inputSize: number;
  /** Features of the hidden state (H). @example `new GRU(4, 8).hiddenSize // 8` */
  readonly hiddenSize: number;
  /** Stacked layers. @example `new GRU(4, 8, { numLayers: 2 }).numLayers // 2` */
  readonly numLayers: number;
  /** Whether the biases exist. @example `new GRU(4, 8, { bias: false }).bias // false` */
  readonly bias: boolean;
  /** Whether input and output are batch-major. @example `new GRU(4, 8, { batchFirst: true }).batchFirst // true` */
  readonly batchFirst: boolean;
  /** Dropout probability between layers. @example `new GRU(4, 8, { numLayers: 2, dropout: 0.1 }).dropout // 0.1` */
  readonly dropout: number;
  /** Whether a reverse pass runs too. @example `new GRU(4, 8, { bidirectional: true }).bidirectional // true` */
  readonly bidirectional: boolean;
  private readonly _layerName: string;
  private readonly _cell: CellKind;

  /** @internal Subclasses give their name (for errors) and cell. */
  protected constructor(layerName: string, cell: CellKind, inputSize: number, hiddenSize: number, opts: RNNBaseOptions) {
    super();
    checkKeys(layerName, opts, [...RNN_BASE_KEYS, ...(cell === 'tanh' || cell === 'relu' ? ['nonlinearity'] : [])]);
    const { numLayers = 1, bias = true, batchFirst = false, dropout: p = 0, bidirectional = false, generator } = opts;
    checkPositiveInt(layerName, 'inputSize', inputSize);
    checkPositiveInt(layerName, 'hiddenSize', hiddenSize);
    checkPositiveInt(layerName, 'numLayers', numLayers);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(layerName, `dropout must be a number in [0, 1], got ${p}`);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = p;
    this.bidirectional = bidirectional;
    this._layerName = layerName;
    this._cell = cell;
    // Fields are created in PyTorch's order (layer, direction, then w_ih w_hh b_ih b_hh), so that
    // parameters() and stateDict() list them as torch does.
    const G = GATES[cell] * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const fields = this as unknown as Record<string, Parameter>;
    for (let k = 0; k < numLayers; k++) {
      const inSize = k === 0 ? inputSize : hiddenSize * this.numDirections;
      for (let d = 0; d < this.numDirections; d++) {
        const sfx = `L${k}${d ? 'Reverse' : ''}`;
        fields[`weightIh${sfx}`] = uniformParameter([G, inSize], bound, generator);
        fields[`weightHh${sfx}`] = uniformParameter([G, hiddenSize], bound, generator);
        if (bias) {
          fields[`biasIh${sfx}`] = uniformParameter([G], bound, generator);
          fields[`biasHh${sfx}`] = uniformParameter([G], bound, generator);
        }
      }
    }
  }

  /** 2 when bidirectional, else 1. @example `new LSTM(4, 8, { bidirectional: true }).numDirections // 2` */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  // Looked up on every call: `to(device)` and `loadStateDict` may replace the fields.
  private weights(k: number, d: number): Weights {
    const f = this as unknown as Record<string, Tensor | undefined>;
    const sfx = `L${k}${d ? 'Reverse' : ''}`;
    return { wIh: f[`weightIh${sfx}`]!, wHh: f[`weightHh${sfx}`]!, bIh: f[`biasIh${sfx}`] ?? null, bHh: f[`biasHh${sfx}`] ?? null };
  }

  /**
   * @internal Check and normalise `input` and the initial states, run every layer, and restore the
   * caller's layout. Returns [output, hN, cN] (cN only for LSTM).
   */
  protected run(input: Tensor, h0: Tensor | undefined, c0: Tensor | undefined): [Tensor, Tensor, Tensor | null] {
    const name = this._layerName;
    const Hin = this.inputSize;
    const expected = this.batchFirst ? `[N, L, ${Hin}]` : `[L, N, ${Hin}]`;
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new ShapeError(name, `expected input of shape ${expected} or unbatched [L, ${Hin}], got ${fmt(input.shape)}`);
    }
    if (input.dtype !== 'float32') throw new DTypeError(name, `expected a float32 input, got ${input.dtype}`);
    const batched = input.ndim === 3;
    if (input.shape.at(-1) !== Hin) {
      throw new ShapeError(name, `expected input of shape ${batched ? expected : `[L, ${Hin}]`} (inputSize ${Hin}), got ${fmt(input.shape)}`);
    }
    const L = input.shape[batched && this.batchFirst ? 1 : 0];
    const N = batched ? input.shape[this.batchFirst ? 0 : 1] : 1;
    if (L < 1) throw new ShapeError(name, `the sequence length must be at least 1, got input ${fmt(input.shape)}`);
    const stateShape = batched ? [this.numLayers * this.numDirections, N, this.hiddenSize] : [this.numLayers * this.numDirections, this.hiddenSize];
    for (const [label, s] of [
      ['h0', h0],
      ['c0', c0],
    ] as const) {
      if (s && (s.ndim !== stateShape.length || s.shape.some((v, i) => v !== stateShape[i]))) {
        throw new ShapeError(
          name,
          `expected ${label} of shape ${fmt(stateShape)} ([numLayers·numDirections, ${batched ? 'N, ' : ''}hiddenSize]) for input ${fmt(input.shape)}, got ${fmt(s.shape)}`,
        );
      }
      if (s && s.dtype !== 'float32') throw new DTypeError(name, `expected a float32 ${label}, got ${s.dtype}`);
    }
    return scope(() => {
      const x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
      const state = (s: Tensor | undefined) => (s ? (batched ? s : s.unsqueeze(1)) : zeros([stateShape[0], N, this.hiddenSize], { device: input.device }));
      const [y, hN, cN] = this.layers(x, state(h0), this._cell === 'lstm' ? state(c0) : null);
      const out = batched ? (this.batchFirst ? y.transpose(0, 1) : y) : y.squeeze(1);
      return [out, batched ? hN : hN.squeeze(1), cN && (batched ? cN : cN.squeeze(1))] as [Tensor, Tensor, Tensor | null];
    });
  }

  // x [L, N, in], h0/c0 [layers·directions, N, H] → output [L, N, D·H], hN, cN.
  private layers(input: Tensor, h0: Tensor, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const L = input.shape[0];
    const D = this.numDirections;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let x = input;
    for (let k = 0; k < this.numLayers; k++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const w = this.weights(k, d);
        const at = k * D + d;
        let h = h0.narrow(0, at, 1).squeeze(0);
        let c = c0 ? c0.narrow(0, at, 1).squeeze(0) : null;
        const xi = linear(x, w.wIh, w.bIh); // the input projection of every step at once: [L, N, G·H]
        const steps: Tensor[] = new Array(L);
        for (let s = 0; s < L; s++) {
          const t = d ? L - 1 - s : s;
          [h, c] = this.cell(xi.narrow(0, t, 1).squeeze(0), h, c, w);
          steps[t] = h;
        }
        outs.push(stack(steps, 0));
        hs.push(h);
        if (c) cs.push(c);
      }
      x = D === 1 ? outs[0] : cat(outs, 2);
      if (k < this.numLayers - 1 && this.training && this.dropout > 0) x = dropout(x, this.dropout, true);
    }
    return [x, stack(hs, 0), c0 ? stack(cs, 0) : null];
  }

  // One time step. xi = W_ih x + b_ih (precomputed), gh = W_hh h + b_hh.
  private cell(xi: Tensor, h: Tensor, c: Tensor | null, w: Weights): [Tensor, Tensor | null] {
    const gh = linear(h, w.wHh, w.bHh);
    switch (this._cell) {
      case 'tanh':
        return [xi.add(gh).tanh(), null];
      case 'relu':
        return [xi.add(gh).relu(), null];
      case 'lstm': {
        const [i, f, g, o] = xi.add(gh).chunk(4, -1);
        const c1 = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
        return [o.sigmoid().mul(c1.tanh()), c1];
      }
      case 'gru': {
        const [xr, xz, xn] = xi.chunk(3, -1);
        const [hr, hz, hn] = gh.chunk(3, -1);
        const r = xr.add(hr).sigmoid();
        const z = xz.add(hz).sigmoid();
        const n = xn.add(r.mul(hn)).tanh();
        return [n.add(z.mul(h.sub(n))), null]; // (1 − z)·n + z·h
      }
    }
  }

  /** PyTorch's extra_repr, in our names: sizes, then non-default settings. @example `String(new LSTM(4, 8, { numLayers: 2, batchFirst: true })) // 'LSTM(4, 8, numLayers=2, batchFirst=true)'` */
  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    const nonlinearity = (this as { nonlinearity?: string }).nonlinearity;
    if (nonlinearity && nonlinearity !== 'tanh') parts.push(reprFields({ nonlinearity }));
    if (this.numLayers !== 1) parts.push(reprFields({ numLayers: this.numLayers }));
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout) parts.push(reprFields({ dropout: this.dropout }));
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }
}

/** A Parameter drawn from U(−bound, bound), owned by its module (not by any enclosing scope). */
function uniformParameter(shape: number[], bound: number, generator: Generator | undefined): Parameter {
  return uniform(new Parameter(zeros(shape)), { a: -bound, b: bound, generator });
}

/**
 * Elman recurrent network: hₜ = act(W_ih xₜ + b_ih + W_hh hₜ₋₁ + b_hh), act = tanh or relu.
 * Input [L, N, Hin] ([N, L, Hin] with `batchFirst`, or unbatched [L, Hin]); optional `hx`
 * [numLayers·D, N, H] (unbatched [numLayers·D, H]), zeros when omitted. Returns `[output, hN]`:
 * output [L, N, D·H] (the last layer's hₜ for every t, both directions concatenated), hN the final
 * state of every layer and direction, shaped like `hx`. D = 2 when bidirectional.
 * @example
 * ```ts
 * const rnn = new RNN(10, 20, { numLayers: 2 });
 * const [output, hN] = rnn.forward(randn([5, 3, 10]), randn([2, 3, 20]));
 * output.shape; // [5, 3, 20]
 * hN.shape;     // [2, 3, 20]
 * ```
 */
export class RNN extends RNNBase {
  /** The activation. @example `new RNN(4, 8, { nonlinearity: 'relu' }).nonlinearity // 'relu'` */
  readonly nonlinearity: 'tanh' | 'relu';

  /**
   * @param inputSize features per input step (Hin)
   * @param hiddenSize features of the hidden state (H)
   * @param opts `nonlinearity`, `numLayers`, `bias`, `batchFirst`, `dropout`, `bidirectional`
   * @example
   * ```ts
   * const rnn = new RNN(10, 20, { nonlinearity: 'relu', numLayers: 2 });
   * ```
   */
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    const nonlinearity = opts.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu')
      throw new ArgumentError('RNN', `nonlinearity must be 'tanh' or 'relu', got '${String(nonlinearity)}'`);
    super('RNN', nonlinearity, inputSize, hiddenSize, opts);
    this.nonlinearity = nonlinearity;
  }

  /**
   * Run the sequence; see the class for shapes.
   * @example
   * ```ts
   * const [y, h] = new RNN(4, 8).forward(randn([3, 2, 4])); // y [3, 2, 8], h [1, 2, 8]
   * ```
   */
  override forward(input: Tensor, hx?: Tensor): [Tensor, Tensor] {
    const [y, h] = this.run(input, hx, undefined);
    return [y, h];
  }
}

/**
 * Long short-term memory network. Per step, with gates in PyTorch's order i, f, g, o:
 * i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(W_if x + b_if + W_hf h + b_hf),
 * g = tanh(W_ig x + b_ig + W_hg h + b_hg), o = σ(W_io x + b_io + W_ho h + b_ho),
 * c′ = f ⊙ c + i ⊙ g, h′ = o ⊙ tanh(c′). Shapes as {@link RNN}; `hx` is `[h0, c0]` and the
 * result `[output, [hN, cN]]`. (PyTorch's `proj_size` is not supported.)
 * @example
 * ```ts
 * const lstm = new LSTM(10, 20, { batchFirst: true });
 * const [output, [hN, cN]] = lstm.forward(randn([3, 5, 10]));
 * output.shape; // [3, 5, 20]
 * cN.shape;     // [1, 3, 20]
 * ```
 */
export class LSTM extends RNNBase {
  /**
   * @param inputSize features per input step (Hin)
   * @param hiddenSize features of the hidden and cell states (H)
   * @param opts `numLayers`, `bias`, `batchFirst`, `dropout`, `bidirectional`
   * @example
   * ```ts
   * const lstm = new LSTM(300, 128, { numLayers: 2, dropout: 0.3, batchFirst: true });
   * ```
   */
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('LSTM', 'lstm', inputSize, hiddenSize, opts);
  }

  /**
   * Run the sequence from `[h0, c0]` (zeros when omitted).
   * @example
   * ```ts
   * const [y, [h, c]] = new LSTM(4, 8).forward(randn([3, 2, 4]), [zeros([1, 2, 8]), zeros([1, 2, 8])]);
   * ```
   */
  override forward(input: Tensor, hx?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    if (hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) throw new ArgumentError('LSTM', 'hx must be a pair [h0, c0]');
    const [y, h, c] = this.run(input, hx?.[0], hx?.[1]);
    return [y, [h, c!]];
  }
}

/**
 * Gated recurrent unit network. Per step, with gates in PyTorch's order r, z, n:
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h′ = (1 − z) ⊙ n + z ⊙ h. Shapes as {@link RNN}.
 * @example
 * ```ts
 * const gru = new GRU(10, 20, { bidirectional: true });
 * const [output, hN] = gru.forward(randn([5, 3, 10]));
 * output.shape; // [5, 3, 40]
 * hN.shape;     // [2, 3, 20]
 * ```
 */
export class GRU extends RNNBase {
  /**
   * @param inputSize features per input step (Hin)
   * @param hiddenSize features of the hidden state (H)
   * @param opts `numLayers`, `bias`, `batchFirst`, `dropout`, `bidirectional`
   * @example
   * ```ts
   * const gru = new GRU(64, 64, { bidirectional: true });
   * ```
   */
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('GRU', 'gru', inputSize, hiddenSize, opts);
  }

  /**
   * Run the sequence; see the class for shapes.
   * @example
   * ```ts
   * const [y, h] = new GRU(4, 8).forward(randn([3, 4])); // unbatched: y [3, 8], h [1, 8]
   * ```
   */
  override forward(input: Tensor, hx?: Tensor): [Tensor, Tensor] {
    const [y, h] = this.run(input, hx, undefined);
    return [y, h];
  }
}
