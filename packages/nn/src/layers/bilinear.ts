import { scope, ShapeError, type Tensor, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, checkTensor, fmtShape } from '../checks';
import { uniform } from '../init';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { reprFields } from '../summary';
import type { LinearOptions } from './linear';

/**
 * Bilinear layer, as `torch.nn.Bilinear`: yₖ = x₁ᵀ Aₖ x₂ + bₖ.
 *
 * Shapes: x₁ `[*, in1Features]` and x₂ `[*, in2Features]` (same leading dims) → `[*, outFeatures]`.
 * Parameters: `weight` [outFeatures, in1Features, in2Features], `bias` [outFeatures]; both drawn
 * from U(−1/√in1Features, 1/√in1Features) as PyTorch.
 * @example
 * ```ts
 * const bilinear = new Bilinear(3, 4, 2);
 * bilinear.forward(randn([8, 3]), randn([8, 4])).shape; // [8, 2]
 * ```
 */
export class Bilinear extends Module {
  /** A [outFeatures, in1Features, in2Features]. @example `new Bilinear(3, 4, 2).weight.shape // [2, 3, 4]` */
  weight: Parameter;
  /** b [outFeatures], or null without bias. @example `new Bilinear(3, 4, 2).bias!.shape // [2]` */
  bias: Parameter | null;
  /** Size of x₁'s samples. @example `new Bilinear(3, 4, 2).in1Features // 3` */
  readonly in1Features: number;
  /** Size of x₂'s samples. @example `new Bilinear(3, 4, 2).in2Features // 4` */
  readonly in2Features: number;
  /** Size of the output samples. @example `new Bilinear(3, 4, 2).outFeatures // 2` */
  readonly outFeatures: number;

  /**
   * @param in1Features size of each first input sample
   * @param in2Features size of each second input sample
   * @param outFeatures size of each output sample
   * @param opts `bias` (default true), `generator` for the initial values
   * @example
   * ```ts
   * new Bilinear(16, 16, 1, { bias: false });
   * ```
   */
  constructor(in1Features: number, in2Features: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkKeys('Bilinear', opts, ['bias', 'generator']);
    checkPositiveInt('Bilinear', 'in1Features', in1Features);
    checkPositiveInt('Bilinear', 'in2Features', in2Features);
    checkPositiveInt('Bilinear', 'outFeatures', outFeatures);
    this.in1Features = in1Features;
    this.in2Features = in2Features;
    this.outFeatures = outFeatures;
    const bound = 1 / Math.sqrt(in1Features);
    const generator = opts.generator;
    this.weight = uniform(new Parameter(zeros([outFeatures, in1Features, in2Features])), { a: -bound, b: bound, generator });
    this.bias = (opts.bias ?? true) ? uniform(new Parameter(zeros([outFeatures])), { a: -bound, b: bound, generator }) : null;
  }

  /**
   * yₖ = x₁ᵀ Aₖ x₂ + bₖ for every leading index.
   * @example
   * ```ts
   * new Bilinear(2, 2, 1).forward(ones([2]), ones([2])).shape; // [1]
   * ```
   */
  override forward(x1: Tensor, x2: Tensor): Tensor {
    checkTensor('Bilinear', x1);
    checkTensor('Bilinear', x2);
    const [i1, i2, o] = [this.in1Features, this.in2Features, this.outFeatures];
    if (x1.shape.at(-1) !== i1 || x2.shape.at(-1) !== i2 || x1.ndim !== x2.ndim || x1.shape.slice(0, -1).some((d, k) => d !== x2.shape[k])) {
      throw new ShapeError(
        'Bilinear',
        `expected inputs [*, ${i1}] and [*, ${i2}] with the same leading dims, got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`,
      );
    }
    const lead = x1.shape.slice(0, -1);
    return scope(() => {
      const n = lead.reduce((a, b) => a * b, 1);
      // (x₁ · A)[n, k, j] = Σᵢ x₁[n, i]·A[k, i, j], then · x₂ summed over j
      const a = this.weight.permute([1, 0, 2]).reshape([i1, o * i2]);
      const left = x1.reshape([n, i1]).matmul(a).reshape([n, o, i2]);
      let y = left.mul(x2.reshape([n, 1, i2])).sum(-1);
      if (this.bias) y = y.add(this.bias);
      return y.reshape([...lead, o]);
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new Bilinear(3, 4, 2)) // 'Bilinear(in1Features=3, in2Features=4, outFeatures=2, bias=true)'` */
  override extraRepr(): string {
    return reprFields({ in1Features: this.in1Features, in2Features: this.in2Features, outFeatures: this.outFeatures, bias: this.bias !== null });
  }
}
