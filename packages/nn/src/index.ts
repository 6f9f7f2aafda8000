// Public API of @aimodel/nn. Layers, losses and training land in later releases; for now the
// package re-exports the tensor API so that `npm install @aimodel/nn` alone is enough for an app.
export * from '@aimodel/tensor';
