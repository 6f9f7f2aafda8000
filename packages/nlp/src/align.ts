import { ArgumentError, checkOptions, linalg, scope, ShapeError, tensor } from '@aimodel/tensor';
import { describe } from './checks';
import { dotScores, topIndices, unitRows } from './nearest';
import { WordVectors } from './word-vectors';

/**
 * Mapping one embedding space onto another: orthogonal Procrustes on a seed dictionary, CSLS
 * retrieval (Conneau et al. 2018, "Word translation without parallel data") and the precision of
 * translations on a held-out dictionary.
 */

/**
 * A bilingual dictionary: [source word, target word] pairs, or text with one pair per line ("src tgt", MUSE's format).
 * @example
 * ```ts
 * const pairs: Dictionary = [['cat', 'chat'], ['dog', 'chien']];
 * const text: Dictionary = 'cat chat\ndog chien\n';
 * ```
 */
export type Dictionary = string | readonly (readonly [string, string])[];

/**
 * Normalisation steps applied (in order) to both spaces before aligning, as MUSE's `normalize_embeddings`:
 * 'unit' scales each vector to length 1, 'center' subtracts the space's mean vector.
 * @example
 * ```ts
 * const steps: NormalizeStep[] = ['unit', 'center', 'unit'];
 * ```
 */
export type NormalizeStep = 'unit' | 'center';

/**
 * Options of {@link alignProcrustes}.
 * @example
 * ```ts
 * const opts: AlignOptions = { normalize: ['center', 'unit'], skipMissing: true };
 * ```
 */
export interface AlignOptions {
  /** Steps applied to both spaces first (default none), e.g. `['unit', 'center', 'unit']`. */
  normalize?: readonly NormalizeStep[];
  /** Drop dictionary pairs with a word missing from either space instead of throwing (default false). */
  skipMissing?: boolean;
}

/**
 * An orthogonal map W (d×d, row-major) with x ↦ x·W for row vectors x, from {@link alignProcrustes}.
 * @example
 * ```ts
 * const v = new WordVectors(['a', 'b'], new Float32Array([1, 0, 0, 1]), 2);
 * const w: Alignment = alignProcrustes(v, v, [['a', 'a'], ['b', 'b']]);
 * w.dim; // 2 (and w.matrix ≈ the identity)
 * ```
 */
export interface Alignment {
  /** W, row-major [dim, dim], orthogonal. */
  matrix: Float32Array;
  /** Dimension of both spaces. */
  dim: number;
  /** Dictionary pairs used (after `skipMissing`). */
  pairs: number;
  /** The normalisation applied before W (apply does it too). */
  normalize: readonly NormalizeStep[];
  /** Map every vector of a space (normalised as at alignment time, then times W) into the target space. */
  apply(vectors: WordVectors): WordVectors;
}

function parseDictionary(op: string, dictionary: Dictionary): [string, string][] {
  if (typeof dictionary === 'string') {
    const pairs: [string, string][] = [];
    dictionary.split(/\r?\n/).forEach((line, i) => {
      const t = line.trim();
      if (!t) return;
      const parts = t.split(/\s+/);
      if (parts.length !== 2)
        throw new ArgumentError(op, `dictionary line ${i + 1} has ${parts.length} fields, expected 2 ("source target"): ${JSON.stringify(t.slice(0, 60))}`);
      pairs.push([parts[0], parts[1]]);
    });
    return pairs;
  }
  if (!Array.isArray(dictionary)) throw new ArgumentError(op, `dictionary must be an array of [source, target] pairs or text, got ${describe(dictionary)}`);
  return dictionary.map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string')
      throw new ArgumentError(op, `dictionary entry ${i} must be a [source, target] pair of strings, got ${describe(p)}`);
    return [p[0], p[1]];
  });
}

/** The normalisation steps on a row-major [n, dim] copy. */
function normalized(v: Float32Array, n: number, dim: number, steps: readonly NormalizeStep[]): Float32Array {
  let out: Float32Array = Float32Array.from(v);
  for (const step of steps) {
    if (step === 'unit') out = unitRows(out, n, dim);
    else {
      const mean = new Float64Array(dim);
      for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += out[i * dim + k];
      for (let k = 0; k < dim; k++) mean[k] /= n || 1;
      for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) out[i * dim + k] -= mean[k];
    }
  }
  return out;
}

/**
 * Orthogonal Procrustes (Schönemann 1966; as in MUSE's supervised refinement): the orthogonal W
 * minimising ‖XW − Y‖ over the dictionary's pairs (X rows from `source`, Y rows from `target`) is
 * W = U Vᵀ from the SVD XᵀY = U Σ Vᵀ (accumulated in float64, factored by `linalg.svd`).
 * @example
 * ```ts
 * const src = new WordVectors(['a', 'b'], new Float32Array([1, 0, 0, 1]), 2);
 * const tgt = new WordVectors(['x', 'y'], new Float32Array([0, 1, -1, 0]), 2); // src rotated by 90°
 * const w = alignProcrustes(src, tgt, [['a', 'x'], ['b', 'y']]);
 * Array.from(w.apply(src).get('a')); // ≈ [0, 1]
 * ```
 */
export function alignProcrustes(source: WordVectors, target: WordVectors, dictionary: Dictionary, opts: AlignOptions = {}): Alignment {
  const op = 'alignProcrustes';
  checkOptions(op, opts, ['normalize', 'skipMissing']);
  if (!(source instanceof WordVectors) || !(target instanceof WordVectors)) throw new ArgumentError(op, 'source and target must be WordVectors');
  if (source.dim !== target.dim) throw new ShapeError(op, `the spaces have different dimensions: source ${source.dim}, target ${target.dim}`);
  const steps = [...(opts.normalize ?? [])];
  for (const s of steps) if (s !== 'unit' && s !== 'center') throw new ArgumentError(op, `unknown normalize step '${String(s)}' (expected 'unit' or 'center')`);
  const pairs = parseDictionary(op, dictionary).filter(([s, t]) => {
    const missing = !source.has(s) ? `source word '${s}'` : !target.has(t) ? `target word '${t}'` : null;
    if (missing && !opts.skipMissing)
      throw new ArgumentError(op, `${missing} of the dictionary is not in its space (pass skipMissing: true to drop such pairs)`);
    return !missing;
  });
  if (pairs.length === 0) throw new ArgumentError(op, 'the dictionary has no usable pairs');
  const d = source.dim;
  const xs = normalized(source.vectors, source.size, d, steps);
  const ys = normalized(target.vectors, target.size, d, steps);
  const m = new Float64Array(d * d); // XᵀY
  for (const [s, t] of pairs) {
    const xi = source.indexOf(s) * d;
    const yi = target.indexOf(t) * d;
    for (let a = 0; a < d; a++) {
      const xa = xs[xi + a];
      if (xa !== 0) for (let b = 0; b < d; b++) m[a * d + b] += xa * ys[yi + b];
    }
  }
  const w = scope(() => {
    const { U, Vh } = linalg.svd(tensor(Float32Array.from(m), { device: 'cpu' }).reshape([d, d]));
    const u = U.dataSync();
    const vh = Vh.dataSync();
    const out = new Float32Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += u[i * d + k] * vh[k * d + j];
        out[i * d + j] = s;
      }
    return out;
  });
  return {
    matrix: w,
    dim: d,
    pairs: pairs.length,
    normalize: steps,
    apply(vectors: WordVectors): WordVectors {
      if (!(vectors instanceof WordVectors) || vectors.dim !== d)
        throw new ShapeError(
          'Alignment.apply',
          `expected WordVectors of dimension ${d}, got ${vectors instanceof WordVectors ? vectors.dim : describe(vectors)}`,
        );
      const x = normalized(vectors.vectors, vectors.size, d, steps);
      const out = new Float32Array(vectors.size * d);
      for (let i = 0; i < vectors.size; i++)
        for (let k = 0; k < d; k++) {
          const xk = x[i * d + k];
          if (xk !== 0) for (let j = 0; j < d; j++) out[i * d + j] += xk * w[k * d + j];
        }
      return new WordVectors(vectors.words, out, d);
    },
  };
}

/**
 * Options of {@link cslsNeighbors}.
 * @example
 * ```ts
 * const opts: CslsOptions = { k: 10, topN: 5 };
 * ```
 */
export interface CslsOptions {
  /** Neighbourhood size for the hubness penalties r (default 10, as Conneau et al.). */
  k?: number;
  /** Candidates returned per query (default 1). */
  topN?: number;
}

/** The unit vectors of `words` (rows of `vectors`), row-major [words.length, dim]; unknown words throw naming the word. */
function unitQueries(vectors: WordVectors, op: string, words: readonly string[]): Float32Array {
  const d = vectors.dim;
  const unit = vectors.unitVectors();
  const q = new Float32Array(words.length * d);
  words.forEach((w, i) => {
    const r = vectors.rowOf(op, w);
    q.set(unit.subarray(r * d, (r + 1) * d), i * d);
  });
  return q;
}

/** Mean cosine of each row of `a` to its k nearest rows of `b` (both unit, row-major). */
function meanTopK(a: Float32Array, na: number, b: Float32Array, nb: number, d: number, k: number): Float64Array {
  const out = new Float64Array(na);
  const batch = 256;
  for (let start = 0; start < na; start += batch) {
    const count = Math.min(batch, na - start);
    const scores = dotScores(b, nb, d, a.subarray(start * d, (start + count) * d));
    for (let q = 0; q < count; q++) {
      const top = topIndices(scores, q * nb, nb, k, new Set());
      let s = 0;
      for (const i of top) s += scores[q * nb + i];
      out[start + q] = top.length ? s / top.length : 0;
    }
  }
  return out;
}

/**
 * Translations by cross-domain similarity local scaling (Conneau et al. 2018):
 * CSLS(x, y) = 2·cos(x, y) − r_T(x) − r_S(y), with r_T(x) the mean cosine of x to its k nearest
 * target words and r_S(y) that of y to its k nearest mapped source words; it demotes "hub" words
 * that are near everything. Returns, per query word of `mapped`, the `topN` target words with
 * their CSLS scores.
 * @example
 * ```ts
 * const mapped = new WordVectors(['a', 'b'], new Float32Array([1, 0, 0.6, 0.8]), 2);
 * const target = new WordVectors(['x', 'y', 'hub'], new Float32Array([1, 0.1, 0.5, 0.9, 0.8, 0.6]), 2);
 * cslsNeighbors(mapped, target, ['a', 'b'], { k: 1 }); // [[['x', …]], [['y', …]]]
 * ```
 */
export function cslsNeighbors(mapped: WordVectors, target: WordVectors, queries: readonly string[], opts: CslsOptions = {}): [string, number][][] {
  const op = 'cslsNeighbors';
  checkOptions(op, opts, ['k', 'topN']);
  if (mapped.dim !== target.dim) throw new ShapeError(op, `the spaces have different dimensions: mapped ${mapped.dim}, target ${target.dim}`);
  const k = opts.k ?? 10;
  const topN = opts.topN ?? 1;
  for (const [name, v] of [
    ['k', k],
    ['topN', topN],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(op, `${name} must be a positive integer, got ${describe(v)}`);
  const d = mapped.dim;
  const us = mapped.unitVectors();
  const ut = target.unitVectors();
  const q = unitQueries(mapped, op, queries);
  const rT = meanTopK(q, queries.length, ut, target.size, d, Math.min(k, target.size));
  const rS = meanTopK(ut, target.size, us, mapped.size, d, Math.min(k, mapped.size));
  const scores = dotScores(ut, target.size, d, q);
  return queries.map((_, i) => {
    const csls = new Float64Array(target.size);
    for (let j = 0; j < target.size; j++) csls[j] = 2 * scores[i * target.size + j] - rT[i] - rS[j];
    return topIndices(csls, 0, target.size, topN, new Set()).map((j) => [target.words[j], csls[j]] as [string, number]);
  });
}

/**
 * Options of {@link evaluateTranslation}.
 * @example
 * ```ts
 * const opts: TranslationOptions = { method: 'nn' };
 * ```
 */
export interface TranslationOptions {
  /** Retrieval: 'nn' (cosine nearest neighbour) or 'csls' (default 'csls', as MUSE reports). */
  method?: 'nn' | 'csls';
  /** CSLS neighbourhood (default 10). */
  k?: number;
}

/**
 * Precision of translations over a dictionary, from {@link evaluateTranslation}.
 * @example
 * ```ts
 * const v = new WordVectors(['a', 'b'], new Float32Array([1, 0, 0, 1]), 2);
 * const e: TranslationEvaluation = evaluateTranslation(v, v, [['a', 'a'], ['b', 'b']], { method: 'nn' });
 * e.precisionAt1; // 1
 * ```
 */
export interface TranslationEvaluation {
  /** Share of source words whose best candidate is one of their dictionary translations. */
  precisionAt1: number;
  /** Share with a translation among the top 5. */
  precisionAt5: number;
  /** Source words evaluated (words of the dictionary found in both spaces). */
  queries: number;
  /** Dictionary pairs skipped because a word is missing from a space. */
  skipped: number;
}

/**
 * Precision@1 and @5 of word translation (MUSE's evaluation): for each distinct source word of
 * the held-out dictionary, retrieve target words for its mapped vector (nearest neighbour or
 * CSLS) and count a hit when any of its dictionary translations is among the top 1 / 5. Pairs
 * with a word missing from either space are skipped and counted.
 * @example
 * ```ts
 * const mapped = new WordVectors(['a', 'b'], new Float32Array([1, 0, 0, 1]), 2);
 * const target = new WordVectors(['x', 'y'], new Float32Array([0.9, 0.1, 0.1, 0.9]), 2);
 * evaluateTranslation(mapped, target, [['a', 'x'], ['b', 'y']], { method: 'nn' }).precisionAt1; // 1
 * ```
 */
export function evaluateTranslation(mapped: WordVectors, target: WordVectors, dictionary: Dictionary, opts: TranslationOptions = {}): TranslationEvaluation {
  const op = 'evaluateTranslation';
  checkOptions(op, opts, ['method', 'k']);
  const method = opts.method ?? 'csls';
  if (method !== 'nn' && method !== 'csls') throw new ArgumentError(op, `unknown method '${String(method)}' (expected 'nn' or 'csls')`);
  if (mapped.dim !== target.dim) throw new ShapeError(op, `the spaces have different dimensions: mapped ${mapped.dim}, target ${target.dim}`);
  const gold = new Map<string, Set<string>>();
  let skipped = 0;
  for (const [s, t] of parseDictionary(op, dictionary)) {
    if (!mapped.has(s) || !target.has(t)) {
      skipped++;
      continue;
    }
    if (!gold.has(s)) gold.set(s, new Set());
    gold.get(s)!.add(t);
  }
  if (gold.size === 0) throw new ArgumentError(op, `no dictionary pair has both words in the spaces (${skipped} skipped)`);
  const queries = [...gold.keys()];
  const top = Math.min(5, target.size);
  const found: [string, number][][] =
    method === 'csls'
      ? cslsNeighbors(mapped, target, queries, { k: opts.k ?? 10, topN: top })
      : (() => {
          const scores = dotScores(target.unitVectors(), target.size, mapped.dim, unitQueries(mapped, op, queries));
          return queries.map((_, i) =>
            topIndices(scores, i * target.size, target.size, top, new Set()).map((j) => [target.words[j], scores[i * target.size + j]] as [string, number]),
          );
        })();
  let p1 = 0;
  let p5 = 0;
  queries.forEach((w, i) => {
    const g = gold.get(w)!;
    if (g.has(found[i][0][0])) p1++;
    if (found[i].some(([c]) => g.has(c))) p5++;
  });
  return { precisionAt1: p1 / queries.length, precisionAt5: p5 / queries.length, queries: queries.length, skipped };
}
