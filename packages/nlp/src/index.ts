/**
 * Tokenization, vocabularies, co-occurrence counting, GloVe training (CPU threads and WebGPU) and word vectors.
 * @packageDocumentation
 * @module @aimodel/nlp
 */

// Public API of @aimodel/nlp: explicit exports only, grouped by module.
// text: corpora, tokenization, vocabularies, padding
export { documents } from './corpus';
export type { Corpus } from './corpus';
export { tokenize, tokenizerOf } from './tokenize';
export type { TokenizeOptions, Tokenizer } from './tokenize';
export { Vocabulary } from './vocabulary';
export { padBatch } from './pad';
// counting: co-occurrence matrices (the GloVe reference's definition and binary format)
export { cooccurrence, Cooccurrence } from './cooccurrence';
export type { CooccurrenceOptions } from './cooccurrence';
export type { CooccurrenceArrays } from './formats/cooccurrence-binary';
// training: GloVe (the reference C implementation's update rule; CPU threads)
export { trainGloVe } from './glove';
export type { GloVeOptions, GloVeResult, GloVeEpochInfo } from './glove';
export { GloVeModel, GLOVE_TENSOR_NAMES } from './glove-model';
export type { GloVeTensorName } from './glove-model';
// training: word2vec (gensim's semantics; CPU, Hogwild worker threads)
export { trainWord2Vec } from './word2vec';
export type { Word2VecOptions, Word2VecEpochInfo } from './word2vec';
// vectors: word vectors (gensim's KeyedVectors), their file formats and evaluations
export { WordVectors } from './word-vectors';
export type { MostSimilarOptions, MostSimilarManyOptions, AnalogyOptions, GloVeTextOptions, ToEmbeddingOptions } from './word-vectors';
export type { EvaluateOptions, SimilarityEvaluation, AnalogyEvaluation, AnalogySectionResult } from './word-vectors-evaluate';
export type { ReadVectorsOptions, DuplicatePolicy } from './formats/vectors-text';

// alignment of embedding spaces
export { alignProcrustes, cslsNeighbors, evaluateTranslation } from './align';
export type { AlignOptions, Alignment, CslsOptions, Dictionary, NormalizeStep, TranslationEvaluation, TranslationOptions } from './align';
