import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { build, type Plugin, transform } from 'esbuild';
import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

/** Bundles TypeScript `contents` (imports resolved from `resolveDir`) for Node and imports it now, at build time. */
async function runAtBuild(contents: string, resolveDir: string, sourcefile?: string): Promise<unknown> {
  const bundled = await build({
    stdin: { contents, resolveDir, sourcefile, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);
}

/**
 * Replaces src/backend/cpu/wasm/modules.ts (the CPU backend's WebAssembly modules, written by
 * emitters at run time) with the bytes of the calls it lists, emitted now by that same code and
 * stored as one compressed blob (src/backend/cpu/wasm/lz-codec.ts; precomputed.ts decodes it on
 * first use): ~9 kB in an app's bundle instead of ~35 kB of emitters, the same modules, still
 * synchronous.
 */
const precomputedWasm: Plugin = {
  name: 'precomputed-wasm',
  setup(b) {
    b.onLoad({ filter: /[\\/]backend[\\/]cpu[\\/]wasm[\\/]modules\.ts$/ }, async ({ path }) => {
      const dir = dirname(path);
      type Emit = (name: string, ...args: unknown[]) => Uint8Array;
      const { precomputedCalls, wasmModule, moduleKey, packModules } = (await runAtBuild(
        "export { precomputedCalls, wasmModule } from './modules';\nexport { moduleKey, packModules } from './precomputed';\n",
        dir,
      )) as {
        precomputedCalls: () => Record<string, unknown[][]>;
        wasmModule: Emit;
        moduleKey: (name: string, args: unknown[]) => string;
        packModules: (modules: Iterable<readonly [string, Uint8Array]>) => { blob: string; size: number };
      };
      const calls = Object.entries(precomputedCalls()).flatMap(([name, list]) => list.map((args) => [name, args] as const));
      const { blob, size } = packModules(calls.map(([name, args]) => [moduleKey(name, args), wasmModule(name, ...args)]));
      return {
        loader: 'ts',
        resolveDir: dir,
        contents: [
          '// Generated at build time by tsup.config.ts from src/backend/cpu/wasm/modules.ts.',
          "import { precomputedModules } from './precomputed';",
          `export const wasmModule = /* @__PURE__ */ precomputedModules(${JSON.stringify(blob)}, ${size});`,
          '',
        ].join('\n'),
      };
    });
  },
};

/**
 * Ships the CPU thread pool's worker source (src/backend/cpu/thread-pool.ts: WORKER_SOURCE, a
 * template literal that interpolates the control-word constants) as one minified string literal:
 * the same script, evaluated and minified now (~1.1 kB instead of ~1.75 kB in an app's bundle), and
 * a plain string, which a bundle that never starts a thread drops.
 */
const minifiedWorker: Plugin = {
  name: 'minified-worker',
  setup(b) {
    b.onLoad({ filter: /[\\/]backend[\\/]cpu[\\/]thread-pool\.ts$/ }, async ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const start = source.indexOf('const WORKER_SOURCE = `');
      const end = source.indexOf('\n`;\n', start);
      if (start < 0 || end < 0) throw new Error(`${path}: WORKER_SOURCE is no longer a template literal closed by a line '\`;' (tsup.config.ts minifies it)`);
      const { workerSource } = (await runAtBuild(`${source}\nexport { WORKER_SOURCE as workerSource };\n`, dirname(path), path)) as {
        workerSource: string;
      };
      // The Node branch's require keeps single quotes: the string is data in a browser bundle, and
      // scripts/pack-install.sh rejects browser bundles that read `require("node:…` (Node-only code).
      const minified = (await transform(workerSource, { minify: true, format: 'iife', target: 'es2022', loader: 'js' })).code
        .trim()
        .replace('require("node:worker_threads")', "require('node:worker_threads')");
      if (/(from|import\(|require\()"node:/.test(minified)) throw new Error(`${path}: the minified worker source reads a node: module in double quotes`);
      const literal = /[`\\]|\$\{/.test(minified) ? JSON.stringify(minified) : `\`${minified}\``;
      return {
        loader: 'ts',
        resolveDir: dirname(path),
        contents: `${source.slice(0, start)}const WORKER_SOURCE = ${literal};${source.slice(end + 3)}`,
      };
    });
  },
};

export default defineConfig({
  ...packageBuild,
  // One ESM file of plain top-level declarations, so apps' bundlers tree-shake it (checked by
  // scripts/bundle-size.test.mjs: `import { ShapeError }` keeps a few kB):
  // - the WebGPU backend is imported statically by device.ts, not with import(): esbuild wraps
  //   every module a dynamic import reaches in a lazy initialiser (`__esm`) when it does not split,
  //   and those wrappers' top-level calls kept the whole library in every bundle. Its modules only
  //   declare kernels and classes; nothing touches a GPU or Dawn before init(), and a bundle that
  //   never calls init() drops the backend;
  // - top-level factory calls (defineOp, memoKernel, wgsl, …) are marked @__NO_SIDE_EFFECTS__ or
  //   @__PURE__, and Tensor keeps its computed-key inspect hook on a small base class (esbuild keeps
  //   any class with such a key);
  // - no chunks: Vite's default worker format, iife, refuses split builds.
  splitting: false,
  // the CPU backend's WebAssembly modules as precomputed bytes (see precomputedWasm above)
  esbuildPlugins: [precomputedWasm, minifiedWorker],
});
