// Public API of @aimodel/nlp: explicit exports only, grouped by module.
// text: corpora, tokenization, vocabularies, padding
export { documents } from './corpus';
export type { Corpus } from './corpus';
export { tokenize, tokenizerOf } from './tokenize';
export type { TokenizeOptions, Tokenizer } from './tokenize';
export { Vocabulary } from './vocabulary';
export { padBatch } from './pad';
