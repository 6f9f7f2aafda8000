import { ArgumentError } from '@aimodel/tensor';
import { checkKeys } from './checks';
import { parseAnalogyQuestions, parseSimilarityPairs, pearson, spearman } from './evaluate';
import { dotScores, topIndices } from './nearest';
import type { WordVectors } from './word-vectors';

/**
 * Options of {@link WordVectors.evaluateSimilarity} and {@link WordVectors.evaluateAnalogies} (gensim's names).
 * @example
 * ```ts
 * const opts: EvaluateOptions = { caseInsensitive: false, restrictVocab: 30000 };
 * ```
 */
export interface EvaluateOptions {
  /** Compare words case-insensitively (default true); a word then stands for the most frequent (earliest) of its casings. */
  caseInsensitive?: boolean;
  /** Only the first `restrictVocab` words are known and searched (default 300 000). */
  restrictVocab?: number;
}

/**
 * Result of {@link WordVectors.evaluateSimilarity}.
 * @example
 * ```ts
 * const r: SimilarityEvaluation = { spearman: 0.7, pearson: 0.68, pairs: 320, oov: 33 };
 * ```
 */
export interface SimilarityEvaluation {
  /** Spearman's ρ between the given scores and the cosines (ties: average ranks). */
  spearman: number;
  /** Pearson's r between the same. */
  pearson: number;
  /** Pairs evaluated. */
  pairs: number;
  /** Pairs skipped because a word is unknown. */
  oov: number;
}

/**
 * Accuracy of one `: section` of an analogy file.
 * @example
 * ```ts
 * const s: AnalogySectionResult = { section: 'capital-common-countries', correct: 3, total: 4, accuracy: 0.75, oov: 0 };
 * ```
 */
export interface AnalogySectionResult {
  /** The header's text after ':'. */
  section: string;
  /** Questions answered right. */
  correct: number;
  /** Questions evaluated (all words known). */
  total: number;
  /** correct / total (NaN when total is 0). */
  accuracy: number;
  /** Questions skipped because a word is unknown. */
  oov: number;
}

/**
 * Result of {@link WordVectors.evaluateAnalogies}: totals over all sections, then each section.
 * @example
 * ```ts
 * const r: AnalogyEvaluation = { accuracy: 0.5, correct: 1, total: 2, oov: 1, sections: [] };
 * ```
 */
export interface AnalogyEvaluation {
  /** correct / total over every section (NaN when total is 0), gensim's "Total accuracy". */
  accuracy: number;
  correct: number;
  total: number;
  oov: number;
  sections: AnalogySectionResult[];
}

const DEFAULT_RESTRICT = 300_000;

/** gensim's ok_vocab: the first `restrictVocab` words, keyed by their (upper-cased) form, earliest row wins. */
function knownWords(op: string, wv: WordVectors, opts: EvaluateOptions): { rows: number; fold: (w: string) => string; lookup: Map<string, number> } {
  checkKeys(op, opts, ['caseInsensitive', 'restrictVocab']);
  const restrict = opts.restrictVocab ?? DEFAULT_RESTRICT;
  if (!Number.isInteger(restrict) || restrict < 1) throw new ArgumentError(op, `restrictVocab must be a positive integer, got ${restrict}`);
  const rows = Math.min(wv.size, restrict);
  const fold = (opts.caseInsensitive ?? true) ? (w: string) => w.toUpperCase() : (w: string) => w;
  const lookup = new Map<string, number>();
  for (let i = 0; i < rows; i++) {
    const key = fold(wv.words[i]);
    if (!lookup.has(key)) lookup.set(key, i);
  }
  return { rows, fold, lookup };
}

/** See {@link WordVectors.evaluateSimilarity}. */
export function evaluateSimilarity(
  wv: WordVectors,
  pairs: string | readonly (readonly [string, string, number])[],
  opts: EvaluateOptions,
): SimilarityEvaluation {
  const op = 'WordVectors.evaluateSimilarity';
  const list = typeof pairs === 'string' ? parseSimilarityPairs(op, pairs) : pairs;
  if (!Array.isArray(list)) throw new ArgumentError(op, `expected the pairs file's text or an array of [word1, word2, score], got ${typeof pairs}`);
  const { fold, lookup } = knownWords(op, wv, opts);
  const unit = wv.unitVectors();
  const d = wv.dim;
  const human: number[] = [];
  const model: number[] = [];
  let oov = 0;
  list.forEach((p, n) => {
    if (!Array.isArray(p) || p.length !== 3 || typeof p[0] !== 'string' || typeof p[1] !== 'string' || !Number.isFinite(p[2])) {
      throw new ArgumentError(op, `pair ${n}: expected [word1, word2, finite score], got ${JSON.stringify(p)}`);
    }
    const i = lookup.get(fold(p[0]));
    const j = lookup.get(fold(p[1]));
    if (i === undefined || j === undefined) {
      oov++;
      return;
    }
    let s = 0;
    for (let k = 0; k < d; k++) s += unit[i * d + k] * unit[j * d + k];
    human.push(p[2]);
    model.push(s);
  });
  if (human.length < 2)
    throw new ArgumentError(op, `only ${human.length} of ${list.length} pairs have both words in the vocabulary; a correlation needs at least 2`);
  const rho = spearman(human, model);
  if (Number.isNaN(rho)) throw new ArgumentError(op, 'the scores (or the cosines) of the known pairs are all equal: no correlation is defined');
  return { spearman: rho, pearson: pearson(human, model), pairs: human.length, oov };
}

/** See {@link WordVectors.evaluateAnalogies}. */
export function evaluateAnalogies(wv: WordVectors, questionsText: string, opts: EvaluateOptions): AnalogyEvaluation {
  const op = 'WordVectors.evaluateAnalogies';
  if (typeof questionsText !== 'string') throw new ArgumentError(op, `expected the questions file's text, got ${typeof questionsText}`);
  const sections = parseAnalogyQuestions(op, questionsText);
  const { rows, fold, lookup } = knownWords(op, wv, opts);
  const unit = wv.unitVectors();
  const d = wv.dim;
  const results: AnalogySectionResult[] = [];
  const batch = Math.max(1, Math.min(512, Math.floor((1 << 24) / Math.max(rows, 1))));
  for (const section of sections) {
    const res: AnalogySectionResult = { section: section.name, correct: 0, total: 0, accuracy: Number.NaN, oov: 0 };
    const known: { ids: [number, number, number]; folded: string[] }[] = [];
    for (const q of section.questions) {
      const folded = q.words.map(fold);
      const ids = folded.map((w) => lookup.get(w));
      if (ids.some((i) => i === undefined)) res.oov++;
      else known.push({ ids: ids.slice(0, 3) as [number, number, number], folded });
    }
    for (let start = 0; start < known.length; start += batch) {
      const chunk = known.slice(start, start + batch);
      const queries = new Float32Array(chunk.length * d);
      chunk.forEach(({ ids: [a, b, c] }, q) => {
        // 3CosAdd: unit(b) + unit(c) − unit(a), normalised (gensim's most_similar(positive=[b, c], negative=[a]))
        let s = 0;
        for (let k = 0; k < d; k++) {
          const v = unit[b * d + k] + unit[c * d + k] - unit[a * d + k];
          queries[q * d + k] = v;
          s += v * v;
        }
        const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
        for (let k = 0; k < d; k++) queries[q * d + k] *= inv;
      });
      const scores = dotScores(unit, rows, d, queries);
      chunk.forEach(({ ids, folded }, q) => {
        const ignore = new Set(folded.slice(0, 3));
        let predicted: string | null = null;
        for (const i of topIndices(scores, q * rows, rows, 5, new Set(ids))) {
          predicted = fold(wv.words[i]);
          if (!ignore.has(predicted)) break;
        }
        res.total++;
        if (predicted === folded[3]) res.correct++;
      });
    }
    res.accuracy = res.total > 0 ? res.correct / res.total : Number.NaN;
    results.push(res);
  }
  const correct = results.reduce((s, r) => s + r.correct, 0);
  const total = results.reduce((s, r) => s + r.total, 0);
  const oov = results.reduce((s, r) => s + r.oov, 0);
  return { accuracy: total > 0 ? correct / total : Number.NaN, correct, total, oov, sections: results };
}
