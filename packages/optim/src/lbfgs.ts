import { ArgumentError, cat, keep, noGrad, scope, stack, Tensor, zeros } from '@aimodel/tensor';
import { checkChoice, checkInteger, checkNonNegative } from './hyper-parameters';
import { strongWolfe } from './lbfgs-line-search';
import { Optimizer, type OptimizerParams, type OptimizerStateDict, withDefaults } from './optimizer';

/**
 * Options of {@link LBFGS} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new LBFGS(params, { lr: 1, maxIter: 20, historySize: 10, lineSearchFn: 'strong_wolfe' });
 * ```
 */
export interface LBFGSOptions {
  /** Step length γ of the unit L-BFGS step, and the line search's first trial (default 1). */
  lr?: number;
  /** Iterations per `step()` (default 20). */
  maxIter?: number;
  /** Closure evaluations per `step()` (default ⌊5·maxIter/4⌋). */
  maxEval?: number;
  /** Stop when max|∇f| ≤ toleranceGrad (default 1e-7). */
  toleranceGrad?: number;
  /** Stop when the loss or the parameters change by less than this (default 1e-9). */
  toleranceChange?: number;
  /** Curvature pairs (s, y) kept (default 100). */
  historySize?: number;
  /** `'strong_wolfe'` for a line search satisfying the strong Wolfe conditions, or null for a fixed step γ (default null). */
  lineSearchFn?: 'strong_wolfe' | null;
}

/** @internal Options after defaults. */
export type LBFGSGroupOptions = Required<Omit<LBFGSOptions, 'lineSearchFn'>> & { lineSearchFn: 'strong_wolfe' | null };

/**
 * What {@link LBFGS.step} calls to re-evaluate the model: zero the gradients, compute the loss,
 * call `backward()` and return the loss, as a tensor (read, then disposed by the optimizer) or a
 * number; it may be async.
 * @example
 * ```ts
 * const w = tensor([1.5, -0.5], { requiresGrad: true });
 * const closure: LBFGSClosure = () => { w.grad = null; const l = w.pow(2).sum(); l.backward(); return l; };
 * ```
 */
export type LBFGSClosure = () => Tensor | number | Promise<Tensor | number>;

/**
 * The state of {@link LBFGS}, kept (as in PyTorch) under the first parameter: counters, the last
 * direction d and step t, the curvature history (sᵢ, yᵢ, ρᵢ = 1/yᵢᵀsᵢ), the scale of the initial
 * inverse Hessian, and the previous flat gradient and loss.
 * @example
 * ```ts
 * const w = tensor([1.5, -0.5], { requiresGrad: true });
 * const opt = new LBFGS([w]);
 * await opt.step(() => { opt.zeroGrad(); const l = w.pow(2).sum(); l.backward(); return l; });
 * const { funcEvals, nIter } = opt.state.get(w)!;
 * ```
 */
export type LBFGSState = {
  funcEvals: number;
  nIter: number;
  d?: Tensor;
  t?: number;
  oldDirs?: Tensor[];
  oldStps?: Tensor[];
  ro?: number[];
  hDiag?: number;
  prevFlatGrad?: Tensor;
  prevLoss?: number;
};

/** Read several 0-d results in one transfer. */
async function readScalars(xs: Tensor[]): Promise<number[]> {
  const r = compute(() => stack(xs.map((x) => x.reshape([]))));
  const v = Array.from(await r.data());
  r.dispose();
  for (const x of xs) x.dispose();
  return v;
}

/** Run `fn` without autograd, in a scope; the tensors it returns are kept. */
function compute<T>(fn: () => T): T {
  return noGrad(() => scope(fn));
}

/**
 * L-BFGS (Liu & Nocedal, 1989), as torch.optim.LBFGS (after minFunc): each `step(closure)` runs
 * up to `maxIter` iterations of
 * ```
 * g ← ∇f(θ)                              (from the closure)
 * d ← −H·g                                (two-loop recursion over the last historySize pairs
 *                                          sᵢ = tᵢdᵢ, yᵢ = gᵢ₊₁ − gᵢ, kept when yᵀs > 1e-10;
 *                                          H₀ = yᵀs/yᵀy; first iteration d = −g)
 * t ← first iteration: min(1, 1/‖g‖₁)·γ, else γ;  or the strong-Wolfe line search from there
 * θ ← θ + t·d
 * ```
 * and stops early when max|g| ≤ toleranceGrad, gᵀd > −toleranceChange, max|t·d| ≤ toleranceChange,
 * |Δf| < toleranceChange, or after `maxEval` evaluations. One parameter group only (as PyTorch).
 *
 * **Async, and it reads from the device.** Unlike the other optimizers, L-BFGS decides from
 * scalars (the loss, yᵀs, gᵀd, max|g|), so each iteration reads a few numbers back from the device
 * (batched into about three small reads; more with the line search), and `step` returns a
 * `Promise` of the first loss as a number. The vectors (flat gradients, history, direction) stay on
 * the parameters' device. Await every step. Loss tensors the closure returns are disposed after
 * they are read.
 * @example
 * ```ts
 * // Rosenbrock: f(x, y) = (1 − x)² + 100(y − x²)², minimum at (1, 1)
 * const xy = tensor([-1.5, 2], { requiresGrad: true });
 * const opt = new LBFGS([xy], { lineSearchFn: 'strong_wolfe' });
 * const closure = () => {
 *   opt.zeroGrad();
 *   const [x, y] = [xy.narrow(0, 0, 1), xy.narrow(0, 1, 1)];
 *   const loss = x.neg().add(1).pow(2).add(y.sub(x.pow(2)).pow(2).mul(100)).sum();
 *   loss.backward();
 *   return loss;
 * };
 * for (let i = 0; i < 5; i++) await opt.step(closure);
 * ```
 */
export class LBFGS extends Optimizer<LBFGSGroupOptions, LBFGSState> {
  /**
   * @param params the tensors to optimize (one group: parameter groups with their own options are refused)
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new LBFGS(model.parameters(), { historySize: 10, lineSearchFn: 'strong_wolfe' });
   * ```
   */
  constructor(params: OptimizerParams<LBFGSGroupOptions>, options: LBFGSOptions = {}) {
    const maxIter = options?.maxIter ?? 20;
    const defaults: LBFGSGroupOptions = {
      lr: 1,
      maxIter,
      maxEval: Math.floor((maxIter * 5) / 4),
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    };
    super(params, withDefaults('LBFGS', defaults, options), 'LBFGS');
    if (this.paramGroups.length !== 1)
      throw new ArgumentError('LBFGS', "LBFGS doesn't support per-parameter options (parameter groups); pass one list of tensors");
  }

  protected override validateGroup(o: LBFGSGroupOptions): void {
    checkNonNegative('LBFGS', 'learning rate', o.lr);
    checkInteger('LBFGS', 'maxIter', o.maxIter, 1);
    checkInteger('LBFGS', 'maxEval', o.maxEval, 1);
    checkNonNegative('LBFGS', 'toleranceGrad', o.toleranceGrad);
    checkNonNegative('LBFGS', 'toleranceChange', o.toleranceChange);
    checkInteger('LBFGS', 'historySize', o.historySize, 1);
    if (o.lineSearchFn !== null) checkChoice('LBFGS', 'lineSearchFn', o.lineSearchFn, ['strong_wolfe']);
  }

  /** @internal Never called: `step` is overridden. */
  protected override update(): void {
    throw new ArgumentError('LBFGS', 'internal: update() is not used by LBFGS');
  }

  private get params(): Tensor[] {
    return this.paramGroups[0].params;
  }

  /** The gradients of all parameters as one flat vector (zeros where `.grad` is null), kept. */
  private gatherFlatGrad(): Tensor {
    return keep(
      compute(() => {
        const views = this.params.map((p) => (p.grad ? p.grad.reshape([-1]) : zeros([p.numel()], { device: p.device })));
        return views.length === 1 ? views[0].clone() : cat(views, 0);
      }),
    );
  }

  /** θ ← θ + t·d, d split back into the parameters' shapes. */
  private addGrad(t: number, d: Tensor): void {
    compute(() => {
      let offset = 0;
      for (const p of this.params) {
        const n = p.numel();
        p.assign(p.add(d.narrow(0, offset, n).reshape(p.shape).mul(t)));
        offset += n;
      }
    });
  }

  /** Run the closure with autograd on and read its loss. */
  private async evaluate(closure: LBFGSClosure): Promise<number> {
    const out = await closure();
    if (typeof out === 'number') return out;
    if (!(out instanceof Tensor) || out.numel() !== 1) {
      throw new ArgumentError(
        'LBFGS',
        `the closure must return the loss as a number or a one-element tensor, got ${out instanceof Tensor ? `shape [${out.shape}]` : String(out)}`,
      );
    }
    const v = (await out.data())[0];
    out.dispose();
    return v;
  }

  /**
   * Run up to `maxIter` L-BFGS iterations, calling `closure` to re-evaluate the loss and
   * gradients; resolves to the loss of the first evaluation (before this step's updates).
   * @param closure zeroes the gradients, computes the loss, calls `backward()`, returns the loss
   * @example
   * ```ts
   * const w = tensor([3, -2], { requiresGrad: true });
   * const opt = new LBFGS([w], { lr: 0.5 });
   * const loss = await opt.step(() => { opt.zeroGrad(); const l = w.pow(2).sum(); l.backward(); return l; }); // 13
   * ```
   */
  override step(closure?: LBFGSClosure): Promise<number> {
    if (typeof closure !== 'function') throw new ArgumentError('LBFGS', 'step() requires a closure that re-evaluates the model and returns the loss');
    return this.run(closure);
  }

  private async run(closure: LBFGSClosure): Promise<number> {
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = this.paramGroups[0];
    const first = this.params[0];
    let state = this.state.get(first);
    if (!state) {
      state = { funcEvals: 0, nIter: 0 };
      this.state.set(first, state);
    }
    const s = state;
    const origLoss = await this.evaluate(closure);
    let loss = origLoss;
    let currentEvals = 1;
    s.funcEvals++;
    let flatGrad = this.gatherFlatGrad();
    let [gradMax, gradSum] = await readScalars(compute(() => [flatGrad.abs().max(), flatGrad.abs().sum()]));
    if (gradMax <= toleranceGrad) {
      flatGrad.dispose();
      return origLoss;
    }
    s.oldDirs ??= [];
    s.oldStps ??= [];
    s.ro ??= [];
    let nIter = 0;
    try {
      while (nIter < maxIter) {
        nIter++;
        s.nIter++;
        // Direction: d = −H·g by the two-loop recursion.
        if (s.nIter === 1) {
          for (const x of [...s.oldDirs, ...s.oldStps]) x.dispose();
          s.oldDirs = [];
          s.oldStps = [];
          s.ro = [];
          s.hDiag = 1;
          s.d?.dispose();
          s.d = keep(compute(() => flatGrad.neg()));
        } else {
          const d = s.d as Tensor;
          const prev = s.prevFlatGrad as Tensor;
          const t = s.t as number;
          const [y, step] = compute(() => [flatGrad.sub(prev), d.mul(t)]);
          const [ys, yy] = await readScalars(compute(() => [y.mul(step).sum(), y.mul(y).sum()]));
          if (ys > 1e-10) {
            if (s.oldDirs.length === historySize) {
              s.oldDirs.shift()?.dispose();
              s.oldStps.shift()?.dispose();
              s.ro.shift();
            }
            s.oldDirs.push(keep(y));
            s.oldStps.push(keep(step));
            s.ro.push(1 / ys);
            s.hDiag = ys / yy;
          } else {
            y.dispose();
            step.dispose();
          }
          const { oldDirs, oldStps, ro, hDiag } = s as Required<LBFGSState>;
          const next = keep(
            compute(() => {
              // αᵢ stay 0-d tensors on the device: the recursion needs no read.
              const al: Tensor[] = [];
              let q = flatGrad.neg();
              for (let i = oldDirs.length - 1; i >= 0; i--) {
                al[i] = oldStps[i].mul(q).sum().mul(ro[i]);
                q = q.sub(oldDirs[i].mul(al[i]));
              }
              let r = q.mul(hDiag);
              for (let i = 0; i < oldDirs.length; i++) {
                const be = oldDirs[i].mul(r).sum().mul(ro[i]);
                r = r.add(oldStps[i].mul(al[i].sub(be)));
              }
              return r;
            }),
          );
          d.dispose();
          s.d = next;
        }
        const d = s.d as Tensor;
        s.prevFlatGrad?.dispose();
        s.prevFlatGrad = keep(compute(() => flatGrad.clone()));
        s.prevLoss = loss;
        // Step length.
        s.t = s.nIter === 1 ? Math.min(1, 1 / gradSum) * lr : lr;
        const [gtd] = await readScalars(compute(() => [flatGrad.mul(d).sum()]));
        if (gtd > -toleranceChange) break;
        let lsEvals = 0;
        let optCond = false;
        if (lineSearchFn === 'strong_wolfe') {
          const x0 = compute(() => this.params.map((p) => p.clone()));
          const result = await strongWolfe(
            async (t, dir) => {
              this.addGrad(t, dir);
              const l = await this.evaluate(closure);
              const g = this.gatherFlatGrad();
              compute(() => this.params.forEach((p, i) => p.assign(x0[i])));
              return { loss: l, grad: g };
            },
            s.t,
            d,
            loss,
            flatGrad,
            gtd,
          );
          for (const x of x0) x.dispose();
          loss = result.loss;
          if (result.grad !== flatGrad) flatGrad.dispose();
          flatGrad = result.grad;
          s.t = result.t;
          lsEvals = result.evals;
          this.addGrad(s.t, d);
          [gradMax] = await readScalars(compute(() => [flatGrad.abs().max()]));
          optCond = gradMax <= toleranceGrad;
        } else {
          this.addGrad(s.t, d);
          if (nIter !== maxIter) {
            loss = await this.evaluate(closure);
            flatGrad.dispose();
            flatGrad = this.gatherFlatGrad();
            [gradMax] = await readScalars(compute(() => [flatGrad.abs().max()]));
            optCond = gradMax <= toleranceGrad;
            lsEvals = 1;
          }
        }
        currentEvals += lsEvals;
        s.funcEvals += lsEvals;
        if (nIter === maxIter || currentEvals >= maxEval || optCond) break;
        const [change] = await readScalars(
          compute(() => [
            d
              .mul(s.t as number)
              .abs()
              .max(),
          ]),
        );
        if (change <= toleranceChange) break;
        if (Math.abs(loss - (s.prevLoss as number)) < toleranceChange) break;
      }
    } finally {
      flatGrad.dispose();
    }
    return origLoss;
  }

  /**
   * Restore a `stateDict()`, copying the history tensors to the parameters' device.
   * @example
   * ```ts
   * const w = tensor([1, 2], { requiresGrad: true });
   * const opt = new LBFGS([w]);
   * opt.loadStateDict(opt.stateDict());
   * ```
   */
  override loadStateDict(sd: OptimizerStateDict): void {
    const first = this.params[0];
    const old = this.state.get(first);
    const saved = sd?.state?.[0] as Record<string, unknown> | undefined;
    // The base class copies top-level tensors; the history lists are copied here.
    const lists = noGrad(() =>
      scope(() => {
        const out: Record<string, Tensor[]> = {};
        for (const key of ['oldDirs', 'oldStps'] as const) {
          const v = saved?.[key];
          if (Array.isArray(v)) out[key] = v.map((x: Tensor) => (x.device === first.device ? x.clone() : x.to(first.device)));
        }
        return out;
      }),
    );
    try {
      super.loadStateDict(sd);
    } catch (e) {
      for (const x of Object.values(lists).flat()) x.dispose();
      throw e;
    }
    for (const x of [...(old?.oldDirs ?? []), ...(old?.oldStps ?? [])]) x.dispose();
    const s = this.state.get(first);
    if (s) {
      for (const [k, v] of Object.entries(lists)) (s as Record<string, unknown>)[k] = v;
      if (Array.isArray(s.ro)) s.ro = [...s.ro];
    }
  }
}
