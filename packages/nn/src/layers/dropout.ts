import { ArgumentError, dropout, ShapeError, Tensor } from '@aimodel/tensor';
import { Module } from '../module';

/**
 * Dropout, as `torch.nn.Dropout`: in training mode each element is zeroed with probability `p`
 * and the others are scaled by 1/(1 − p), so the expected value is unchanged; in evaluation mode
 * (`eval()`) the input passes through untouched. The mask comes from the seeded global stream
 * (`manualSeed`).
 *
 * Shapes: any → same shape. No parameters.
 * @example
 * ```ts
 * const drop = new Dropout(0.5);
 * drop.forward(ones([4]));        // e.g. [2, 0, 2, 0]
 * drop.eval().forward(ones([4])); // [1, 1, 1, 1]
 * ```
 */
export class Dropout extends Module {
  /** Probability of zeroing an element. @example `new Dropout(0.2).p // 0.2` */
  readonly p: number;

  /**
   * @param p probability of zeroing an element, in [0, 1] (default 0.5)
   * @example
   * ```ts
   * new Dropout(0.1);
   * ```
   */
  constructor(p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError('Dropout', `p must be a probability in [0, 1], got ${p}`);
    this.p = p;
  }

  /**
   * Apply dropout while `training`; return `x` itself otherwise.
   * @example
   * ```ts
   * new Dropout(0.2).forward(randn([8, 16])).shape; // [8, 16]
   * ```
   */
  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new ShapeError('Dropout', `expected a Tensor input, got a ${typeof x}`);
    return dropout(x, this.p, this.training);
  }
}
