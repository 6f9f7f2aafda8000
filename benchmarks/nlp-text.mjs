// Tokenizing and vocabulary counting speed of @aimodel/nlp on a generated English-like text of
// 1M tokens (Zipf-distributed words, capitals, punctuation, apostrophes, numbers; 20 tokens per
// line). Run after building: `npm run build && node benchmarks/nlp-text.mjs`.
import { tokenize, tokenizerOf, Vocabulary } from '@aimodel/nlp';

const TOKENS = 1_000_000;
const PER_LINE = 20;

/** Seeded xorshift32 in [0, 1). */
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function generate() {
  const rand = random(42);
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const words = Array.from({ length: 20000 }, (_, i) => {
    let w = '';
    for (let n = i + 1; n > 0; n = Math.floor(n / 26)) w += letters[n % 26];
    return i % 97 === 0 ? `${w}'s` : w;
  });
  // Zipf(1): P(rank r) ∝ 1/r, sampled through the cumulative table.
  const cdf = new Float64Array(words.length);
  let total = 0;
  for (let r = 0; r < words.length; r++) cdf[r] = total += 1 / (r + 1);
  const pick = () => {
    const x = rand() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  const lines = [];
  for (let t = 0; t < TOKENS; t += PER_LINE) {
    const parts = [];
    for (let i = 0; i < PER_LINE; i++) {
      let w = i % 13 === 7 ? String(Math.floor(rand() * 1000)) : pick();
      if (i === 0) w = w[0].toUpperCase() + w.slice(1);
      parts.push(i % 7 === 6 ? `${w},` : w);
    }
    lines.push(`${parts.join(' ')}.`);
  }
  return lines;
}

function time(label, tokens, fn) {
  const t0 = performance.now();
  const r = fn();
  return Promise.resolve(r).then((v) => {
    const s = (performance.now() - t0) / 1000;
    console.log(`${label.padEnd(44)} ${s.toFixed(3)} s  ${(tokens / s / 1e6).toFixed(2)} M tokens/s`);
    return v;
  });
}

const lines = generate();
const text = `${lines.join('\n')}\n`;
const tok = tokenizerOf(undefined);
let n = 0;
for (const l of lines) n += tok(l).length;
console.log(`${lines.length} lines, ${n} tokens, ${(text.length / 1e6).toFixed(1)} M characters`);
for (let rep = 0; rep < 2; rep++) {
  console.log(`-- run ${rep + 1}`);
  await time('tokenize, line by line (defaults)', n, () => {
    for (const l of lines) tok(l);
  });
  await time('tokenize(text) of the whole text at once', n, () => tokenize(text));
  await time('Vocabulary.build(string)', n, () => Vocabulary.build(text));
  await time('Vocabulary.build(array of lines)', n, () => Vocabulary.build(lines));
  await time('Vocabulary.build(async iterable of lines)', n, () =>
    Vocabulary.build(
      (async function* () {
        yield* lines;
      })(),
    ),
  );
}
