// Public API of @aimodel/nlp. Nothing is exported yet: the package is reserved in the monorepo so
// that its name, build and dependency direction are fixed; its features arrive in later releases.
export {};
