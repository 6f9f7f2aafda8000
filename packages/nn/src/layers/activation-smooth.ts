import { ArgumentError, elu, hardswish, mish, selu, silu, softplus, type Tensor } from '@aimodel/tensor';
import { checkKeys, checkTensor } from '../checks';
import { Module } from '../module';
import { reprFields } from '../summary';

// Smooth activations (SiLU, ELU, SELU, Softplus, Mish, Hardswish) as modules over @aimodel/tensor's
// functions of the same names (one definition each, with PyTorch's gradients at the kinks).

function checkFinite(layer: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(layer, `${name} must be a finite number, got ${v}`);
}

/**
 * Sigmoid linear unit (swish), as `torch.nn.SiLU`: x·σ(x). Shapes: any → same.
 * @example
 * ```ts
 * new SiLU().forward(tensor([0, 1])); // ≈ [0, 0.7311]
 * ```
 */
export class SiLU extends Module {
  /**
   * x·σ(x) elementwise.
   * @example
   * ```ts
   * new SiLU().forward(tensor([-1])); // ≈ [-0.2689]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('SiLU', x);
    return silu(x);
  }
}

/**
 * Exponential linear unit, as `torch.nn.ELU`: x for x > 0, else α·(eˣ − 1). Shapes: any → same.
 * @example
 * ```ts
 * new ELU().forward(tensor([-1, 2])); // ≈ [-0.6321, 2]
 * ```
 */
export class ELU extends Module {
  /** α, the negative saturation value. @example `new ELU(0.5).alpha // 0.5` */
  readonly alpha: number;

  /**
   * @param alpha scale of the negative part (default 1)
   * @example
   * ```ts
   * new ELU(0.5);
   * ```
   */
  constructor(alpha = 1) {
    super();
    checkFinite('ELU', 'alpha', alpha);
    this.alpha = alpha;
  }

  /**
   * x for x > 0, else α·(eˣ − 1), elementwise.
   * @example
   * ```ts
   * new ELU(2).forward(tensor([-100])); // ≈ [-2]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('ELU', x);
    return elu(x, { alpha: this.alpha });
  }

  /** PyTorch's extra_repr. @example `String(new ELU()) // 'ELU(alpha=1)'` */
  override extraRepr(): string {
    return reprFields({ alpha: this.alpha });
  }
}

/**
 * Scaled ELU, as `torch.nn.SELU`: scale·(max(0, x) + min(0, α·(eˣ − 1))) with α ≈ 1.6733 and
 * scale ≈ 1.0507. Shapes: any → same.
 * @example
 * ```ts
 * new SELU().forward(tensor([-1, 1])); // ≈ [-1.1113, 1.0507]
 * ```
 */
export class SELU extends Module {
  /**
   * scale·(max(0, x) + min(0, α·(eˣ − 1))) elementwise.
   * @example
   * ```ts
   * new SELU().forward(tensor([0])); // [0]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('SELU', x);
    return selu(x);
  }
}

/**
 * Options of {@link Softplus} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new Softplus({ beta: 2, threshold: 10 });
 * ```
 */
export interface SoftplusOptions {
  /** β (default 1; not 0). */
  beta?: number;
  /** Where β·x exceeds it the output is x (default 20). */
  threshold?: number;
}

/**
 * Softplus, as `torch.nn.Softplus`: log(1 + e^(β·x))/β, and x itself where β·x > threshold (for
 * stability). Shapes: any → same.
 * @example
 * ```ts
 * new Softplus().forward(tensor([0, 1])); // ≈ [0.6931, 1.3133]
 * ```
 */
export class Softplus extends Module {
  /** β. @example `new Softplus({ beta: 2 }).beta // 2` */
  readonly beta: number;
  /** Above β·x > threshold the output is x. @example `new Softplus().threshold // 20` */
  readonly threshold: number;

  /**
   * @param opts `beta` (default 1) and `threshold` (default 20), PyTorch's defaults
   * @example
   * ```ts
   * new Softplus({ beta: 2, threshold: 10 });
   * ```
   */
  constructor(opts: SoftplusOptions = {}) {
    super();
    checkKeys('Softplus', opts, ['beta', 'threshold']);
    const { beta = 1, threshold = 20 } = opts;
    checkFinite('Softplus', 'beta', beta);
    if (beta === 0) throw new ArgumentError('Softplus', 'beta must not be 0');
    checkFinite('Softplus', 'threshold', threshold);
    this.beta = beta;
    this.threshold = threshold;
  }

  /**
   * log(1 + e^(β·x))/β, or x where β·x > threshold.
   * @example
   * ```ts
   * new Softplus().forward(tensor([30])); // [30]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('Softplus', x);
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }

  /** PyTorch's extra_repr. @example `String(new Softplus()) // 'Softplus(beta=1, threshold=20)'` */
  override extraRepr(): string {
    return reprFields({ beta: this.beta, threshold: this.threshold });
  }
}

/**
 * Mish, as `torch.nn.Mish`: x·tanh(softplus(x)). Shapes: any → same.
 * @example
 * ```ts
 * new Mish().forward(tensor([0, 1])); // ≈ [0, 0.8651]
 * ```
 */
export class Mish extends Module {
  /**
   * x·tanh(log(1 + eˣ)) elementwise.
   * @example
   * ```ts
   * new Mish().forward(tensor([-1])); // ≈ [-0.3034]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('Mish', x);
    return mish(x);
  }
}

/**
 * Hard swish, as `torch.nn.Hardswish`: x·min(max(x + 3, 0), 6)/6 (0 below −3, x above 3).
 * Shapes: any → same.
 * @example
 * ```ts
 * new Hardswish().forward(tensor([-4, 1, 4])); // ≈ [0, 0.6667, 4]
 * ```
 */
export class Hardswish extends Module {
  /**
   * x·relu6(x + 3)/6 elementwise.
   * @example
   * ```ts
   * new Hardswish().forward(tensor([0])); // [0]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('Hardswish', x);
    return hardswish(x);
  }
}
