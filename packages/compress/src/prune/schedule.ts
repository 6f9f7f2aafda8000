import { ArgumentError, Callback, checkOptions, Conv1d, Conv2d, Linear, type Module, type Tensor } from '@aimodel/nn';
import { roundHalfEven } from './amount';
import { type HostParameter, pruneGlobally } from './global';
import { l1Method } from './magnitude';
import { applyPruning, prunedEntries, resolveParameter } from './state';

/**
 * Options of {@link GradualPruning}.
 * @example
 * ```ts
 * const opts: GradualPruningOptions = { finalSparsity: 0.9, beginStep: 200, endStep: 2000, frequency: 100 };
 * ```
 */
export interface GradualPruningOptions {
  /** Sparsity reached at `endStep` (in [0, 1)). */
  finalSparsity: number;
  /** Last pruning step (training batches counted from 0 across fit calls). */
  endStep: number;
  /** Sparsity at `beginStep` (default 0). */
  initialSparsity?: number;
  /** First pruning step (default 0). */
  beginStep?: number;
  /** Prune every `frequency` steps from `beginStep` (default 100), and at `endStep`. */
  frequency?: number;
  /** Exponent of the schedule (default 3, Zhu & Gupta's). */
  power?: number;
  /** 'global' (default): rank all the weights together, as globalUnstructured; 'layer': each weight to the same sparsity. */
  scope?: 'global' | 'layer';
  /** The [module, name] pairs to prune (default: the weight of every Linear, Conv1d and Conv2d of the model). */
  parameters?: ReadonlyArray<readonly [Module, string]>;
}

/**
 * Gradual magnitude pruning (Zhu & Gupta 2017, "To prune, or not to prune") as a `fit` callback:
 * every `frequency` training steps t from t₀ = `beginStep` to `endStep` = t₀ + nΔt, the weights
 * are pruned by magnitude up to the sparsity
 * sₜ = s_f + (s_i − s_f)·(1 − (t − t₀)/(nΔt))³,
 * so pruning is fast early (when many weights are redundant) and slows as it nears s_f, leaving
 * the network steps to recover between prunings. Each pruning brings each weight (scope
 * 'layer') or all of them together (scope 'global') to round-half-to-even(sₜ·n) zeros with
 * {@link l1Unstructured}'s bookkeeping (`weight_orig`, `weight_mask`; masks re-applied every
 * forward, so pruned weights stay zero while training). Steps count training batches across fit
 * calls; pruning runs before the step's batch. Weights on WebGPU are read asynchronously. Call
 * {@link removePruning} on each weight afterwards to make it permanent.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
 * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy });
 * const pruning = new GradualPruning({ finalSparsity: 0.75, beginStep: 0, endStep: 6, frequency: 2 });
 * pruning.sparsityAt(2); // ≈ 0.5278
 * await model.fit(randn([64, 4]), randint(0, 3, [64]), { epochs: 2, batchSize: 16, callbacks: [pruning], verbose: 0 });
 * (await sparsity(model, { weightsOnly: true })).sparsity; // ≈ 0.75
 * ```
 */
export class GradualPruning extends Callback {
  /** Training steps (batches) seen so far; the next batch is step `step`. @example `new GradualPruning({ finalSparsity: 0.5, endStep: 10 }).step // 0` */
  step = 0;
  private readonly opts: Required<Omit<GradualPruningOptions, 'parameters'>> & Pick<GradualPruningOptions, 'parameters'>;

  /**
   * @example
   * ```ts
   * new GradualPruning({ initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 1000, frequency: 50, scope: 'layer' });
   * ```
   */
  constructor(opts: GradualPruningOptions) {
    super();
    const op = 'GradualPruning';
    checkOptions(op, opts, ['finalSparsity', 'endStep', 'initialSparsity', 'beginStep', 'frequency', 'power', 'scope', 'parameters']);
    if (!opts) throw new ArgumentError(op, 'expected options { finalSparsity, endStep }');
    const o = { initialSparsity: 0, beginStep: 0, frequency: 100, power: 3, scope: 'global' as const, ...opts };
    for (const k of ['initialSparsity', 'finalSparsity'] as const) {
      if (typeof o[k] !== 'number' || !(o[k] >= 0 && o[k] <= 1)) throw new ArgumentError(op, `${k} must be in [0, 1], got ${String(o[k])}`);
    }
    if (o.initialSparsity > o.finalSparsity) throw new ArgumentError(op, `initialSparsity ${o.initialSparsity} is above finalSparsity ${o.finalSparsity}`);
    for (const k of ['beginStep', 'endStep'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 0) throw new ArgumentError(op, `${k} must be a whole number >= 0, got ${String(o[k])}`);
    }
    if (o.endStep < o.beginStep) throw new ArgumentError(op, `endStep ${o.endStep} comes before beginStep ${o.beginStep}`);
    if (!Number.isInteger(o.frequency) || o.frequency < 1) throw new ArgumentError(op, `frequency must be a whole number >= 1, got ${String(o.frequency)}`);
    if (typeof o.power !== 'number' || !(o.power > 0)) throw new ArgumentError(op, `power must be > 0, got ${String(o.power)}`);
    if (o.scope !== 'global' && o.scope !== 'layer') throw new ArgumentError(op, `scope must be 'global' or 'layer', got ${String(o.scope)}`);
    this.opts = o;
  }

  /**
   * The target sparsity at training step `step`: initialSparsity before beginStep, then the
   * polynomial schedule, finalSparsity from endStep on.
   * @example
   * ```ts
   * const p = new GradualPruning({ finalSparsity: 0.8, endStep: 8, frequency: 2 });
   * [0, 2, 4, 8].map((t) => p.sparsityAt(t)); // ≈ [0, 0.4625, 0.7, 0.8]
   * ```
   */
  sparsityAt(step: number): number {
    const { initialSparsity: si, finalSparsity: sf, beginStep: t0, endStep, power } = this.opts;
    if (step >= endStep) return sf;
    if (step <= t0) return si;
    return sf + (si - sf) * (1 - (step - t0) / (endStep - t0)) ** power;
  }

  /**
   * Whether the schedule prunes at `step`: from beginStep to endStep, every `frequency` steps and at endStep.
   * @example
   * ```ts
   * const p = new GradualPruning({ finalSparsity: 0.8, beginStep: 10, endStep: 25, frequency: 10 });
   * [9, 10, 20, 25, 30].map((t) => p.prunesAt(t)); // [false, true, true, true, false]
   * ```
   */
  prunesAt(step: number): boolean {
    const { beginStep: t0, endStep, frequency } = this.opts;
    return step >= t0 && step <= endStep && ((step - t0) % frequency === 0 || step === endStep);
  }

  /**
   * Prune to the schedule's sparsity if this step is a pruning step, then count the step.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 4));
   * const p = new GradualPruning({ finalSparsity: 0.5, endStep: 0 });
   * p.model = model as typeof p.model;
   * await p.onBatchBegin(); // step 0: half of the weight pruned
   * ```
   */
  override async onBatchBegin(): Promise<void> {
    const step = this.step++;
    if (this.prunesAt(step)) await this.pruneTo(this.sparsityAt(step));
  }

  /** The [module, field] pairs pruned: the option, or every Linear/Conv weight of the model. */
  private targets(): [Module, string][] {
    const op = 'GradualPruning';
    const model = this.model;
    const pairs =
      this.opts.parameters ??
      (model
        ? model
            .namedModules()
            .filter(([, m]) => m instanceof Linear || m instanceof Conv1d || m instanceof Conv2d)
            .map(([, m]) => [m, 'weight'] as const)
        : []);
    if (!pairs.length) throw new ArgumentError(op, 'nothing to prune: the model has no Linear or Conv weight; pass { parameters: [[module, name], …] }');
    return pairs.map(([m, name]) => [m, resolveParameter(op, m, name)]);
  }

  private async pruneTo(target: number): Promise<void> {
    const op = 'GradualPruning';
    const host: HostParameter[] = await Promise.all(
      this.targets().map(async ([module, field]) => {
        const entry = prunedEntries(module).get(field);
        const fields = module as unknown as Record<string, Tensor>;
        const orig = fields[entry ? entry.origField : field];
        const [values, mask] = await Promise.all([orig.data(), entry ? fields[entry.maskField].data() : null]);
        const f32 = Float32Array.from(values);
        const m = mask ? Float32Array.from(mask) : null;
        if (m) for (let i = 0; i < f32.length; i++) f32[i] *= m[i];
        return { module, field, values: f32, mask: m };
      }),
    );
    const zeros = (p: HostParameter) => (p.mask ? p.mask.reduce((a, v) => a + (v === 0 ? 1 : 0), 0) : 0);
    if (this.opts.scope === 'global') {
      const n = host.reduce((a, p) => a + p.values.length, 0);
      const count = roundHalfEven(target * n) - host.reduce((a, p) => a + zeros(p), 0);
      if (count > 0) pruneGlobally(op, host, l1Method(op, { count }));
      return;
    }
    for (const p of host) {
      const count = roundHalfEven(target * p.values.length) - zeros(p);
      if (count > 0) applyPruning(op, p.module, p.field, l1Method(op, { count }), { host: { importance: p.values, mask: p.mask } });
    }
  }
}
