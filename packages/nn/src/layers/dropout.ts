import { ArgumentError, dropout, Generator, ShapeError, Tensor } from '@aimodel/tensor';
import { Module } from '../module';
import { reprFields } from '../summary';

/**
 * Options of {@link Dropout}.
 * @example
 * ```ts
 * new Dropout(0.5, { generator: new Generator({ seed: 0 }) });
 * ```
 */
export interface DropoutLayerOptions {
  /** Draw the masks from this generator instead of the global stream. */
  generator?: Generator;
}

/**
 * Dropout, as `torch.nn.Dropout`: in training mode each element is zeroed with probability `p`
 * and the others are scaled by 1/(1 − p), so the expected value is unchanged; in evaluation mode
 * (`eval()`) the input passes through untouched. The mask comes from the seeded global stream
 * (`manualSeed`), or from the layer's own `generator`.
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
   * The stream the masks are drawn from, or null for the global stream.
   * @example
   * ```ts
   * new Dropout(0.5).generator; // null
   * ```
   */
  readonly generator: Generator | null;

  /**
   * @param p probability of zeroing an element, in [0, 1] (default 0.5)
   * @param opts `generator`: the stream of the masks (default: the global stream)
   * @example
   * ```ts
   * new Dropout(0.1);
   * new Dropout(0.1, { generator: new Generator({ seed: 3 }) }); // reproducible masks of its own
   * ```
   */
  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError('Dropout', `p must be a probability in [0, 1], got ${p}`);
    for (const k of Object.keys(opts)) if (k !== 'generator') throw new ArgumentError('Dropout', `unknown option '${k}' (expected generator)`);
    if (opts.generator !== undefined && !(opts.generator instanceof Generator)) {
      throw new ArgumentError('Dropout', `generator must be a Generator (new Generator({ seed })), got ${typeof opts.generator}`);
    }
    this.p = p;
    this.generator = opts.generator ?? null;
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
    return dropout(x, this.p, this.training, this.generator ? { generator: this.generator } : {});
  }

  /** PyTorch's extra_repr. @example `String(new Dropout(0.3)) // 'Dropout(p=0.3)'` */
  override extraRepr(): string {
    return reprFields({ p: this.p });
  }
}
