// Structured pruning made physical: output channels (units) whose weights are all zero are removed
// from Conv2d/Linear layers of a Sequential, with their BatchNorm entries and the input channels of
// the next Conv2d/Linear, so the model is smaller and faster, not just masked (PyTorch only masks).
// What a removed channel still contributed — its bias, through BatchNorm and the activation, a
// constant — is folded into the next layer's bias.
import {
  ArgumentError,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  checkOptions,
  Conv2d,
  Flatten,
  keep,
  Linear,
  MaxPool2d,
  type Module,
  noGrad,
  Parameter,
  scope,
  Sequential,
  type Tensor,
  tensor,
} from '@aimodel/nn';
import { readHost, selectChannels } from './host';
import { dropEntry, prunedEntries } from './state';

/**
 * Options of {@link shrinkStructured}.
 * @example
 * ```ts
 * const opts: ShrinkStructuredOptions = { exact: false };
 * ```
 */
export interface ShrinkStructuredOptions {
  /**
   * Refuse (ArgumentError) to fold a removed channel's nonzero constant into a padded Conv2d, which
   * sees it zero-padded at the borders (default true). With false it is folded anyway: the
   * output differs from the masked model's near the borders only.
   */
  exact?: boolean;
}

/**
 * One layer changed by {@link shrinkStructured}.
 * @example
 * ```ts
 * const change: ShrunkLayer = { name: '0', type: 'Conv2d', inBefore: 1, inAfter: 1, outBefore: 8, outAfter: 4 };
 * ```
 */
export interface ShrunkLayer {
  name: string;
  type: string;
  inBefore: number;
  inAfter: number;
  outBefore: number;
  outAfter: number;
}

type Layer = Conv2d | Linear;
const ELEMENTWISE = new Set(['ReLU', 'LeakyReLU', 'GELU', 'Sigmoid', 'Tanh', 'SiLU', 'ELU', 'SELU', 'Softplus', 'Mish', 'Hardswish', 'Identity']);
const OP = 'shrinkStructured';

/** Host values of `field` as the forward sees them (orig · mask when pruned), or null. */
function effective(m: Module, field: string): Float32Array | null {
  const f = m as unknown as Record<string, Tensor | null>;
  const entry = prunedEntries(m).get(field);
  if (entry) {
    const mask = readHost(OP, f[entry.maskField] as Tensor);
    return readHost(OP, f[entry.origField] as Tensor).map((v, i) => v * mask[i]);
  }
  const t = f[field];
  return t ? readHost(OP, t) : null;
}

const isLayer = (m: Module): m is Layer => (m instanceof Conv2d && m.groups === 1) || m instanceof Linear;
const outOf = (m: Layer) => (m instanceof Conv2d ? m.outChannels : m.outFeatures);
const inOf = (m: Layer) => (m instanceof Conv2d ? m.inChannels : m.inFeatures);

/** A producer → consumer link: the modules between them, and the Linear's features per channel after a Flatten. */
interface Link {
  producer: number;
  consumer: number;
  between: number[];
  block: number;
  keep: number[];
  /** Constant each removed channel still delivers to the consumer. */
  constants: Map<number, number>;
}

/** Push per-channel constants through a module between two layers (evaluation mode), or say why not. */
function through(m: Module, ks: number[], channels: number[]): number[] | string {
  if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) {
    const w = effective(m, 'weight');
    const b = effective(m, 'bias');
    const rm = m.runningMean ? readHost(OP, m.runningMean) : null;
    const rv = m.runningVar ? readHost(OP, m.runningVar) : null;
    // without running statistics a constant channel normalises to 0 (batch statistics)
    return ks.map((k, i) => {
      const c = channels[i];
      const z = rm && rv ? (k - rm[c]) / Math.sqrt(rv[c] + m.eps) : 0;
      return Math.fround(z * (w ? w[c] : 1) + (b ? b[c] : 0));
    });
  }
  if (ELEMENTWISE.has(m.constructor.name)) return noGrad(() => scope(() => Array.from((m.forward(tensor(ks)) as Tensor).dataSync())));
  if (m instanceof MaxPool2d || m.constructor.name === 'Dropout' || m instanceof Flatten) return ks;
  if (m instanceof AvgPool2d) return m.padding.some((p) => p > 0) && m.countIncludePad && ks.some((k) => k !== 0) ? 'an AvgPool2d counting its padding' : ks;
  if (m.constructor.name === 'AdaptiveAvgPool2d') return ks;
  return `a ${m.constructor.name}`;
}

function newParam(values: ArrayLike<number>, shape: number[], like: Tensor): Parameter {
  return new Parameter(
    scope(() => tensor(Float32Array.from(values), { device: like.device }).reshape(shape)),
    like.requiresGrad,
  );
}

function replaceTensor(m: Module, field: string, values: ArrayLike<number> | null, shape: number[], like: Tensor | null, param: boolean): void {
  const f = m as unknown as Record<string, Tensor | null>;
  f[field]?.dispose();
  if (values === null || like === null) return;
  f[field] = param ? newParam(values, shape, like) : keep(scope(() => tensor(Float32Array.from(values), { device: like.device }).reshape(shape)));
}

/** A fresh layer like `old` with the given weight and bias values. */
function rebuild(old: Layer, inN: number, outN: number, w: Float32Array, b: Float32Array | null): Layer {
  const hasBias = b !== null;
  const m =
    old instanceof Conv2d
      ? new Conv2d(inN, outN, old.kernelSize, { stride: old.stride, padding: old.padding, dilation: old.dilation, bias: hasBias, paddingMode: old.paddingMode })
      : new Linear(inN, outN, { bias: hasBias });
  const like = (old as unknown as Record<string, Tensor>)[prunedEntries(old).get('weight')?.origField ?? 'weight'];
  const shape = old instanceof Conv2d ? [outN, inN, ...old.kernelSize] : [outN, inN];
  replaceTensor(m, 'weight', w, shape, like, true);
  replaceTensor(m, 'bias', b, [outN], like, true);
  m.training = old.training;
  return m;
}

function rebuildNorm(old: BatchNorm1d | BatchNorm2d, keepCh: number[]): BatchNorm1d | BatchNorm2d {
  const Ctor = old instanceof BatchNorm2d ? BatchNorm2d : BatchNorm1d;
  const m = new Ctor(keepCh.length, { eps: old.eps, momentum: old.momentum, affine: old.affine, trackRunningStats: old.trackRunningStats });
  const pick = (field: string) => {
    const v = effective(old, field);
    return v ? keepCh.map((c) => v[c]) : null;
  };
  for (const [field, param] of [
    ['weight', true],
    ['bias', true],
    ['runningMean', false],
    ['runningVar', false],
  ] as const) {
    const like = (old as unknown as Record<string, Tensor | null>)[prunedEntries(old).get(field)?.origField ?? field];
    replaceTensor(m, field, pick(field), [keepCh.length], like, param);
  }
  if (old.numBatchesTracked && m.numBatchesTracked) noGrad(() => scope(() => void m.numBatchesTracked?.assign(old.numBatchesTracked as Tensor)));
  m.training = old.training;
  return m;
}

function disposeModule(m: Module): void {
  for (const [field, entry] of [...prunedEntries(m)]) {
    entry.cached?.dispose();
    dropEntry(m, field);
  }
  m.dispose();
}

/** The links of `children`: each Conv2d/Linear to the next one it feeds, through supported modules. */
function findLinks(children: [string, Module][]): Link[] {
  const links: Link[] = [];
  children.forEach(([, p], i) => {
    if (!isLayer(p)) return;
    const between: number[] = [];
    let flat = false;
    for (let j = i + 1; j < children.length; j++) {
      const m = children[j][1];
      if (isLayer(m)) {
        const ok = m instanceof Conv2d ? p instanceof Conv2d && !flat : flat ? p instanceof Conv2d : p instanceof Linear;
        if (!ok || (flat && inOf(m) % outOf(p))) return;
        links.push({ producer: i, consumer: j, between, block: flat ? inOf(m) / outOf(p) : 1, keep: [], constants: new Map() });
        return;
      }
      if (m instanceof Flatten) {
        if (m.startDim !== 1 || (m.endDim !== -1 && m.endDim !== 3)) return;
        flat = true;
      }
      between.push(j);
    }
  });
  return links;
}

/**
 * Remove the pruned output channels of the Conv2d and Linear layers of `model` for good: every
 * output channel (unit) whose weights are all zero — as {@link lnStructured} with dim 0 leaves
 * them — goes, with its BatchNorm1d/2d entries and the matching input channels of the next Conv2d
 * or Linear (through activations, pooling, dropout and a Flatten), so the model has fewer
 * parameters and runs faster. A removed channel still outputs a constant (its bias, through
 * BatchNorm and the activation, in evaluation mode); that constant times the next layer's weights
 * is folded into the next layer's bias, so in evaluation mode the smaller model computes what the
 * masked one did (to float rounding). A padded Conv2d cannot absorb a nonzero constant exactly
 * (it is zero-padded at the borders): an ArgumentError says so, unless `{ exact: false }`.
 * The rebuilt layers are plain (their pruning made permanent); the last Conv2d/Linear and layers
 * feeding something else keep their outputs. Works in place on the CPU (shrink before moving to
 * WebGPU); a Parameter's `requiresGrad` is kept, but optimizers must be created anew.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 6), new ReLU(), new Linear(6, 2));
 * lnStructured(model.at(0), 'weight', 0.5, 2, 0); // 3 of the 6 hidden units pruned
 * const x = randn([5, 4]);
 * const masked = model.eval().forward(x);
 * const { layers } = shrinkStructured(model);
 * layers.map((l) => [l.name, l.outAfter, l.inAfter]); // [['0', 3, 4], ['2', 2, 3]]
 * (await modelSize(model)).parameters;               // 23: 3·4 + 3 + 2·3 + 2
 * model.forward(x).sub(masked).abs().max();          // ≈ 0.0000
 * ```
 */
export function shrinkStructured(model: Sequential, opts: ShrinkStructuredOptions = {}): { model: Sequential; layers: ShrunkLayer[] } {
  checkOptions(OP, opts, ['exact']);
  if (!(model instanceof Sequential)) throw new ArgumentError(OP, `expected a Sequential, got ${(model as object)?.constructor?.name ?? typeof model}`);
  const exact = opts.exact ?? true;
  const children = model.namedChildren();
  const links = findLinks(children);
  const weights = new Map<number, Float32Array>();
  const weightOf = (i: number) => weights.get(i) ?? (weights.set(i, effective(children[i][1], 'weight') as Float32Array).get(i) as Float32Array);

  // 1. which output channels each producer keeps, and the constants the others still deliver
  for (const link of links) {
    const p = children[link.producer][1] as Layer;
    const w = weightOf(link.producer);
    const n = outOf(p);
    const per = w.length / n;
    for (let c = 0; c < n; c++) if (w.subarray(c * per, (c + 1) * per).some((v) => v !== 0)) link.keep.push(c);
    if (!link.keep.length) link.keep.push(0); // a layer keeps one channel (it outputs its constant)
    const removed = [...Array(n).keys()].filter((c) => !link.keep.includes(c));
    if (!removed.length) continue;
    const bias = effective(p, 'bias');
    let ks: number[] | string = removed.map((c) => (bias ? bias[c] : 0));
    for (const j of link.between) {
      ks = through(children[j][1], ks as number[], removed);
      if (typeof ks === 'string')
        throw new ArgumentError(
          OP,
          `cannot remove channels of '${children[link.producer][0]}': ${ks} ('${children[j][0]}') is between it and '${children[link.consumer][0]}'`,
        );
    }
    removed.forEach((c, i) => link.constants.set(c, (ks as number[])[i]));
  }

  // 2. rebuild the layers whose inputs or outputs shrink, folding the constants into the consumer's bias
  const changed: ShrunkLayer[] = [];
  const replacements = new Map<number, Module>();
  const layerIdx = new Set(links.flatMap((l) => [l.producer, l.consumer]));
  for (const i of [...layerIdx].sort((a, b) => a - b)) {
    const [name, old] = children[i] as [string, Layer];
    const out = links.find((l) => l.producer === i);
    const inp = links.find((l) => l.consumer === i);
    const keepOut = out ? out.keep : [...Array(outOf(old)).keys()];
    const keepIn = inp ? inp.keep.flatMap((c) => Array.from({ length: inp.block }, (_, t) => c * inp.block + t)) : [...Array(inOf(old)).keys()];
    if (keepOut.length === outOf(old) && keepIn.length === inOf(old)) continue;
    const w = weightOf(i);
    const shape = old instanceof Conv2d ? [outOf(old), inOf(old), ...old.kernelSize] : [outOf(old), inOf(old)];
    let bias = effective(old, 'bias');
    const folded = inp && [...inp.constants.values()].some((k) => k !== 0);
    if (folded && inp) {
      const padded = old instanceof Conv2d && (old.padding === 'same' || old.padding.some((p) => p > 0));
      if (padded && exact) {
        const [c, k] = [...inp.constants].find(([, k]) => k !== 0) as [number, number];
        throw new ArgumentError(
          OP,
          `channel ${c} of '${children[inp.producer][0]}' is pruned but still outputs the constant ${k} (its bias through what follows), which the padded Conv2d '${name}' cannot absorb exactly at its borders: prune the bias too (e.g. customFromMask on 'bias'), or pass { exact: false } to fold it into '${name}'s bias anyway`,
        );
      }
      const perIn = w.length / shape[0] / shape[1];
      bias = bias ?? new Float32Array(shape[0]);
      for (const [c, k] of inp.constants) {
        if (k === 0) continue;
        for (let o = 0; o < shape[0]; o++) {
          let s = 0;
          for (let t = 0; t < inp.block; t++) for (let e = 0; e < perIn; e++) s += w[(o * shape[1] + c * inp.block + t) * perIn + e];
          bias[o] += k * s;
        }
      }
    }
    const rows = selectChannels(w, shape, 0, keepOut);
    const sub = selectChannels(rows, [keepOut.length, ...shape.slice(1)], 1, keepIn);
    replacements.set(i, rebuild(old, keepIn.length, keepOut.length, sub, bias ? Float32Array.from(keepOut, (o) => bias[o]) : null));
    changed.push({ name, type: old.constructor.name, inBefore: inOf(old), inAfter: keepIn.length, outBefore: outOf(old), outAfter: keepOut.length });
  }
  for (const link of links) {
    if (link.keep.length === outOf(children[link.producer][1] as Layer)) continue;
    for (const j of link.between) {
      const m = children[j][1];
      if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) replacements.set(j, rebuildNorm(m, link.keep));
    }
  }
  const fields = model as unknown as Record<string, Module>;
  for (const [i, m] of replacements) {
    const [key, old] = children[i];
    const field = Object.keys(fields).find((f) => fields[f] === old) ?? key;
    fields[field] = m;
    disposeModule(old);
  }
  return { model, layers: changed };
}
