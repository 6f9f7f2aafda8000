import { ArgumentError, ShapeError, scope, type Tensor, tensor } from '@aimodel/tensor';
import type { GloVeArray, GloVeLayout } from './glove-cpu';

/**
 * The safetensors names of a {@link GloVeModel}'s tensors.
 * @example
 * ```ts
 * GLOVE_TENSOR_NAMES.join(' '); // 'W W_context b b_context gradsq_W gradsq_W_context gradsq_b gradsq_b_context'
 * ```
 */
export const GLOVE_TENSOR_NAMES = ['W', 'W_context', 'b', 'b_context', 'gradsq_W', 'gradsq_W_context', 'gradsq_b', 'gradsq_b_context'] as const;
/**
 * One of {@link GLOVE_TENSOR_NAMES}.
 * @example
 * ```ts
 * const name: GloVeTensorName = 'W_context';
 * ```
 */
export type GloVeTensorName = (typeof GLOVE_TENSOR_NAMES)[number];

/**
 * A trained GloVe model: word vectors W and context vectors W̃ ([V, d] float32 tensors), their
 * biases b and b̃ ([V]) and the AdaGrad accumulators of all four (`gradsq_*`, same shapes), so
 * that training resumes exactly where it stopped (`trainGloVe(X, { init: model })`). Save it with
 * `saveSafetensors(model.tensors)` and load it with `GloVeModel.fromTensors(loadSafetensors(bytes), words)`.
 * The tensors are float32 (also after a `precision: 'float64'` run: tensors have no float64).
 * The caller owns them: `dispose()` frees all eight.
 *
 * @example
 * ```ts
 * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 0), values: Float64Array.of(3, 3) });
 * const { model, vectors } = await trainGloVe(X, { dim: 4, epochs: 2, seed: 1 });
 * model.tensors.W.shape; // [2, 4]
 * const bytes = await saveSafetensors(model.tensors);
 * const again = GloVeModel.fromTensors(loadSafetensors(bytes), model.words);
 * again.dim; // 4
 * model.dispose(); again.dispose();
 * ```
 */
export class GloVeModel {
  /** Words of rows 0 … V − 1 (word ids). */
  readonly words: readonly string[];
  /** Vector size d. */
  readonly dim: number;
  /** The eight tensors by safetensors name: W, W_context ([V, d]), b, b_context ([V]) and their `gradsq_` accumulators. */
  readonly tensors: Readonly<Record<GloVeTensorName, Tensor>>;

  private constructor(words: readonly string[], dim: number, tensors: Record<GloVeTensorName, Tensor>) {
    this.words = words;
    this.dim = dim;
    this.tensors = tensors;
  }

  /** Number of words V. */
  get size(): number {
    return this.words.length;
  }

  /**
   * A model from its eight tensors (e.g. from `loadSafetensors`) and its words; the tensors are
   * taken over, not copied.
   *
   * @throws ArgumentError for a missing tensor; ShapeError for shapes that do not agree with the words.
   * @example
   * ```ts
   * const V = 3, d = 2;
   * const t = { W: zeros([V, d]), W_context: zeros([V, d]), b: zeros([V]), b_context: zeros([V]),
   *   gradsq_W: ones([V, d]), gradsq_W_context: ones([V, d]), gradsq_b: ones([V]), gradsq_b_context: ones([V]) };
   * const model = GloVeModel.fromTensors(t, ['a', 'b', 'c']);
   * model.size; // 3
   * model.dispose();
   * ```
   */
  static fromTensors(tensors: Record<string, Tensor>, words: readonly string[]): GloVeModel {
    const op = 'GloVeModel.fromTensors';
    const V = words.length;
    if (V === 0) throw new ArgumentError(op, 'expected at least one word, got an empty word list');
    const missing = GLOVE_TENSOR_NAMES.filter((n) => !(n in tensors));
    if (missing.length > 0) throw new ArgumentError(op, `missing tensor(s) ${missing.join(', ')} (expected ${GLOVE_TENSOR_NAMES.join(', ')})`);
    const W = tensors.W;
    if (W.shape.length !== 2 || W.shape[0] !== V || W.shape[1] < 1) {
      throw new ShapeError(op, `W must have shape [${V}, d] for ${V} words, got [${W.shape.join(', ')}]`);
    }
    const d = W.shape[1];
    const picked = {} as Record<GloVeTensorName, Tensor>;
    for (const n of GLOVE_TENSOR_NAMES) {
      const t = tensors[n];
      const want = n.includes('W') ? [V, d] : [V];
      if (t.shape.length !== want.length || t.shape.some((s, i) => s !== want[i])) {
        throw new ShapeError(op, `${n} must have shape [${want.join(', ')}], got [${t.shape.join(', ')}]`);
      }
      if (t.dtype !== 'float32') throw new ArgumentError(op, `${n} must be float32, got ${t.dtype}`);
      picked[n] = t;
    }
    return new GloVeModel(words, d, picked);
  }

  /** @internal The model of packed parameter/accumulator arrays (2V rows of d + 1, bias last; see {@link GloVeLayout}). */
  static fromPacked(words: readonly string[], dim: number, Wp: GloVeArray, Gp: GloVeArray, layout: GloVeLayout): GloVeModel {
    const V = words.length;
    const { stride, gOff } = layout;
    const unpack = (src: GloVeArray, context: boolean, bias: boolean, accumulator: boolean): Tensor => {
      const out = new Float32Array(bias ? V : V * dim);
      const base = (context ? V * stride : 0) + (accumulator ? gOff : 0);
      for (let i = 0; i < V; i++) {
        const row = base + i * stride;
        if (bias) out[i] = src[row + dim];
        else for (let k = 0; k < dim; k++) out[i * dim + k] = src[row + k];
      }
      return scope(() => tensor(out, { device: 'cpu' }).reshape(bias ? [V] : [V, dim]));
    };
    return new GloVeModel(words, dim, {
      W: unpack(Wp, false, false, false),
      W_context: unpack(Wp, true, false, false),
      b: unpack(Wp, false, true, false),
      b_context: unpack(Wp, true, true, false),
      gradsq_W: unpack(Gp, false, false, true),
      gradsq_W_context: unpack(Gp, true, false, true),
      gradsq_b: unpack(Gp, false, true, true),
      gradsq_b_context: unpack(Gp, true, true, true),
    });
  }

  /** @internal Copies the model into packed arrays (the layout of {@link fromPacked}); rejects accumulators that are not finite and > 0. */
  async pack(Wp: GloVeArray, Gp: GloVeArray, layout: GloVeLayout): Promise<void> {
    const V = this.size;
    const d = this.dim;
    const t = this.tensors;
    const { stride, gOff } = layout;
    const fill = async (dst: GloVeArray, src: Tensor, context: boolean, bias: boolean): Promise<void> => {
      const a = await src.data();
      if (src !== t.W && src !== t.W_context && src !== t.b && src !== t.b_context) {
        const bad = a.findIndex((g) => !(g > 0 && g < Number.POSITIVE_INFINITY));
        if (bad >= 0) throw new ArgumentError('trainGloVe', `init: AdaGrad accumulators must be finite and > 0, got ${a[bad]} at flat index ${bad}`);
      }
      const accumulator = src !== t.W && src !== t.W_context && src !== t.b && src !== t.b_context;
      const base = (context ? V * stride : 0) + (accumulator ? gOff : 0);
      for (let i = 0; i < V; i++) {
        const row = base + i * stride;
        if (bias) dst[row + d] = a[i];
        else for (let k = 0; k < d; k++) dst[row + k] = a[i * d + k];
      }
    };
    await fill(Wp, t.W, false, false);
    await fill(Wp, t.W_context, true, false);
    await fill(Wp, t.b, false, true);
    await fill(Wp, t.b_context, true, true);
    await fill(Gp, t.gradsq_W, false, false);
    await fill(Gp, t.gradsq_W_context, true, false);
    await fill(Gp, t.gradsq_b, false, true);
    await fill(Gp, t.gradsq_b_context, true, true);
  }

  /**
   * Frees the eight tensors.
   * @example
   * ```ts
   * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(0), cols: Int32Array.of(1), values: Float64Array.of(2) });
   * const { model } = await trainGloVe(X, { dim: 2, epochs: 1 });
   * model.dispose();
   * ```
   */
  dispose(): void {
    for (const n of GLOVE_TENSOR_NAMES) this.tensors[n].dispose();
  }
}
