// Seeded test data shared by the nlp tests.

/** A seeded linear congruential generator (Numerical Recipes' constants): uniform numbers in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A random corpus: Zipf-like word choice (`w0` most frequent) from a seeded generator, lines of 0–40 tokens. */
export function randomCorpus(lines: number, words: number, seed: number): string[] {
  const rand = lcg(seed);
  const out: string[] = [];
  for (let l = 0; l < lines; l++) {
    const len = Math.floor(rand() * 41);
    const toks: string[] = [];
    for (let t = 0; t < len; t++) toks.push(`w${Math.floor(words ** rand()) - 1}`);
    out.push(toks.join(' '));
  }
  return out;
}
