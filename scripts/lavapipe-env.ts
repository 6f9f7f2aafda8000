/**
 * Settings for Mesa's software Vulkan driver (lavapipe), on which the WebGPU tests run where there
 * is no GPU (CI, this repository's machines), imported by every package's vitest config before
 * its test processes start.
 *
 * LP_NATIVE_VECTOR_WIDTH=128: lavapipe compiles each shader for 4-wide SIMD instead of the 8-wide
 * AVX2 default. The kernels, their results and our code are the same; lavapipe's compile, which
 * is most of a cold-cache test run (every kernel variant compiled once), takes half the CPU:
 * tensor's structured op table on WebGPU, 253 pipelines, 136 s → 72 s of CPU (2026-12-03).
 * A value set by the caller wins; a real GPU's driver ignores it.
 */
process.env.LP_NATIVE_VECTOR_WIDTH ??= '128';
