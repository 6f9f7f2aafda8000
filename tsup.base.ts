import type { Options } from 'tsup';

/**
 * The build every package shares (each package's tsup.config.ts spreads it and adds its own):
 * ESM and CommonJS with declarations and source maps, ES2022, Dawn's `webgpu` left to the app.
 */
export const packageBuild = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['webgpu'],
} satisfies Options;
