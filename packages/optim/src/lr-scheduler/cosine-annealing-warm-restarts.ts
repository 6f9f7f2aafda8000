import { ArgumentError, checkOptions } from '@aimodel/tensor';
import { checkInteger, checkNonNegative } from '../hyper-parameters';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link CosineAnnealingWarmRestarts}.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
 * new CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2, etaMin: 1e-5 });
 * ```
 */
export interface CosineAnnealingWarmRestartsOptions extends LRSchedulerOptions {
  /** Epochs until the first restart (PyTorch's `T_0`). */
  t0: number;
  /** Factor by which the period grows after each restart, an integer ≥ 1 (default 1). */
  tMult?: number;
  /** Minimum lr η_min (default 0). */
  etaMin?: number;
}

/**
 * SGDR: cosine annealing with warm restarts (Loshchilov & Hutter, 2017;
 * torch.optim.lr_scheduler.CosineAnnealingWarmRestarts). With T_cur the epochs since the last
 * restart and T_i the current period (T_0, then T_0·T_mult, T_0·T_mult², …):
 * ```
 * ηₜ = η_min + ½(η₀ − η_min)(1 + cos(π·T_cur/T_i))
 * ```
 * `step()` advances one epoch; `step(epoch)` jumps to an epoch, fractional ones included
 * (call `step(epoch + i / itersPerEpoch)` after every batch). Not chainable.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new CosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 2 });
 * // lr: 1, 0.5, 1, 0.854, 0.5, 0.146, 1, 0.962, … (restarts at epochs 2 and 6)
 * for (let epoch = 0; epoch < 8; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Epochs until the first restart. @example `new CosineAnnealingWarmRestarts(new SGD([zeros([1])], { lr: 0.1 }), { t0: 5 }).t0 // 5` */
  readonly t0: number;
  /** Growth factor of the period. @example `new CosineAnnealingWarmRestarts(new SGD([zeros([1])], { lr: 0.1 }), { t0: 5 }).tMult // 1` */
  readonly tMult: number;
  /** Minimum lr. @example `new CosineAnnealingWarmRestarts(new SGD([zeros([1])], { lr: 0.1 }), { t0: 5 }).etaMin // 0` */
  readonly etaMin: number;
  /** The current period T_i. @example `new CosineAnnealingWarmRestarts(new SGD([zeros([1])], { lr: 0.1 }), { t0: 5 }).tI // 5` */
  tI: number;
  /** Epochs since the last restart (fractional after `step(epoch)` with a fraction). @example `new CosineAnnealingWarmRestarts(new SGD([zeros([1])], { lr: 0.1 }), { t0: 5 }).tCur // 0` */
  tCur: number;

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `t0`, `tMult` (default 1), `etaMin` (default 0), `lastEpoch`
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
   * const sched = new CosineAnnealingWarmRestarts(opt, { t0: 10 });
   * ```
   */
  constructor(optimizer: Optimizer, options: CosineAnnealingWarmRestartsOptions) {
    const op = 'CosineAnnealingWarmRestarts';
    checkOptions(op, options, ['t0', 'tMult', 'etaMin', 'lastEpoch']);
    const { t0, tMult = 1, etaMin = 0, lastEpoch = -1 } = options ?? ({} as CosineAnnealingWarmRestartsOptions);
    checkInteger(op, 't0', t0, 1);
    checkInteger(op, 'tMult', tMult, 1);
    checkNonNegative(op, 'etaMin', etaMin);
    super(optimizer, lastEpoch, op);
    this.t0 = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.tI = t0;
    this.tCur = lastEpoch;
    this.initialStep();
  }

  protected override computeLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  /**
   * Advance one epoch, or with `epoch` jump to that (possibly fractional) epoch.
   * @param epoch the epoch to set, ≥ 0 (e.g. `epoch + i / batches` per batch)
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
   * const sched = new CosineAnnealingWarmRestarts(opt, { t0: 4 });
   * for (let i = 0; i < 4; i++) sched.step(1 + i / 4); // per batch in epoch 1
   * // the lr at epoch 1.75 is ½(1 + cos(π·1.75/4)):
   * sched.getLastLr(); // ≈ [0.598]
   * ```
   */
  override step(epoch?: number): void {
    let e = epoch;
    if (e === undefined && this.lastEpoch < 0) e = 0;
    if (e === undefined) {
      e = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    } else {
      if (!(typeof e === 'number' && e >= 0 && Number.isFinite(e))) {
        throw new ArgumentError('CosineAnnealingWarmRestarts', `expected a finite epoch >= 0, got ${String(e)}`);
      }
      const { t0, tMult } = this;
      if (e >= t0) {
        if (tMult === 1) {
          this.tCur = e % t0;
          this.tI = t0;
        } else {
          const n = Math.floor(Math.log((e / t0) * (tMult - 1) + 1) / Math.log(tMult));
          this.tCur = e - (t0 * (tMult ** n - 1)) / (tMult - 1);
          this.tI = t0 * tMult ** n;
        }
      } else {
        this.tI = t0;
        this.tCur = e;
      }
    }
    this.stepCount++;
    this.lastEpoch = Math.floor(e);
    const lrs = this.computeLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    this.lastLr = lrs;
  }

  /** @internal SequentialLR's restart at epoch 0 is `step(0)` here, as in PyTorch (T_cur and T_i reset too). */
  override _restart(): void {
    this.step(0);
  }
}
