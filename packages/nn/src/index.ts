// Public API of @aimodel/nn: explicit exports, grouped; no logic here.
// The whole tensor API is re-exported so that `npm install @aimodel/nn` is enough for an app.
export * from '@aimodel/tensor';

// modules
export { Module, stateKey } from './module';
export type { LoadStateDictOptions, LoadStateDictResult } from './module';
export { Parameter } from './parameter';
