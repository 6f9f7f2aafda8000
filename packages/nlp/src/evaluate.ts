import { ArgumentError } from '@aimodel/tensor';
import { parseValue } from './formats/vectors-text';

/**
 * Ranks of `values` from 1, ties given the average of the ranks they span (as scipy's
 * `rankdata(method='average')`), e.g. [10, 20, 20, 30] → [1, 2.5, 2.5, 4].
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1; // ranks i+1 … j+1, averaged
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson's r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²); NaN when either side is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's ρ: Pearson's r of the average ranks (ties share the mean rank, as scipy's `spearmanr`). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * Word pairs with a score from the usual text format: `word1 word2 score` per line, fields
 * separated by tabs or spaces, `#` starts a comment line, blank lines ignored. Other lines are
 * errors naming the line.
 */
export function parseSimilarityPairs(op: string, text: string): [string, string, number][] {
  const pairs: [string, string, number][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/[ \t]+/);
    if (fields.length !== 3) throw new ArgumentError(op, `line ${i + 1}: expected 'word1 word2 score', got ${fields.length} fields ('${line.slice(0, 60)}')`);
    pairs.push([fields[0], fields[1], parseValue(op, fields[2], `line ${i + 1}, score`)]);
  }
  return pairs;
}

/** One analogy question `a b c expected` ("a is to b as c is to expected") with its line. */
export interface AnalogyQuestion {
  words: [string, string, string, string];
  line: number;
}

/** A `: name` section of a questions file and its questions. */
export interface AnalogySection {
  name: string;
  questions: AnalogyQuestion[];
}

/**
 * Sections of the questions-words.txt format (Mikolov et al. 2013): `: section` header lines,
 * then one question of 4 whitespace-separated words per line. Blank lines are skipped; a
 * question before any header or a line of another length is an error naming the line.
 */
export function parseAnalogyQuestions(op: string, text: string): AnalogySection[] {
  const sections: AnalogySection[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.startsWith(':')) {
      sections.push({ name: line.slice(1).trim(), questions: [] });
      continue;
    }
    const current = sections[sections.length - 1];
    if (!current) throw new ArgumentError(op, `line ${i + 1}: question before any ': section' header`);
    const fields = line.split(/[ \t]+/);
    if (fields.length !== 4) throw new ArgumentError(op, `line ${i + 1}: expected 4 words 'a b c d', got ${fields.length} ('${line.slice(0, 60)}')`);
    current.questions.push({ words: fields as [string, string, string, string], line: i + 1 });
  }
  if (sections.length === 0) throw new ArgumentError(op, "no questions: expected ': section' headers followed by lines of 4 words");
  return sections;
}
