// The documentation-example suite, shared by the packages (see examples/extract.ts for what counts
// as an example, and the conventions). Each example becomes a small .ts module in a temporary
// folder, imported and run in this process, one after another: synchronous ones inside `scope()`,
// so their tensors are freed; the tensors of async ones are left to the garbage collector, and the
// last test checks that memory() is back where it started once they are collected.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpinTensors } from '../../../tensor/test/helpers/pin-tensors';
import type * as nnModule from '../../src/index';
import { collectExamples, type Example, exportsWithoutExample, programSource, rewriteImports } from './extract';

export interface ExampleSuiteOptions {
  /** Packages whose TSDoc examples run (names under packages/). */
  packages: string[];
  /** Also run the guides (docs/*.md and the README files). */
  guides: boolean;
  /** The names in scope: every export of the packages the examples use. */
  names: Record<string, unknown>;
  /** @aimodel/nn as the package under test sees it (scope, memory, init, Tensor). */
  nn: Pick<typeof nnModule, 'init' | 'scope' | 'memory' | 'Tensor'>;
}

export function describeExamples(opts: ExampleSuiteOptions): void {
  const { nn } = opts;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  const groups = collectExamples(root, opts.packages, opts.guides);
  const dir = mkdtempSync(join(tmpdir(), 'aimodel-examples-'));

  // Examples that select WebGPU run on the CPU: `init` always picks the CPU here.
  let redirected = 0;
  const cpuInit = Object.assign(async (opts: Record<string, unknown> = {}) => {
    if (opts.device !== 'cpu') redirected++;
    return nn.init({ ...opts, device: 'cpu' });
  }, nn.init);
  /** What a `// XError: text` line of an example becomes a call of (see expectThrows). */
  function __throws(fn: () => unknown, name: string, text: string): void {
    try {
      fn();
    } catch (e) {
      const err = e as Error;
      if (err.name !== name) throw new Error(`expected ${name}, got ${err.name}: ${err.message}`);
      if (!err.message.includes(text)) throw new Error(`expected the message to contain '${text}', got '${err.message}'`);
      return;
    }
    throw new Error(`expected ${name}, but nothing was thrown`);
  }
  /** Nested arrays, typed arrays and booleans → flat numbers (true → 1). */
  function flatValues(v: unknown): unknown[] {
    if (Array.isArray(v)) return v.flatMap(flatValues);
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    return [typeof v === 'boolean' ? Number(v) : v];
  }

  /** Dims of a nested array literal ([] for a scalar). */
  function literalShape(v: unknown): number[] {
    return Array.isArray(v) ? [v.length, ...(v.length ? literalShape(v[0]) : [])] : [];
  }

  /** What a `stmt; // value` line of an example becomes a call of (see expectValues). */
  let checkedValues = 0;
  function __expect(actual: unknown, expected: unknown, comment: string): void {
    checkedValues++;
    const digits = Math.max(0, ...[...comment.matchAll(/\.(\d+)/g)].map((m) => m[1].length));
    const unit = digits ? 10 ** -digits : 0;
    const tol = (e: number) => (comment.startsWith('≈') ? unit || 1e-3 * Math.abs(e) : unit / 2) + 1e-6 * (1 + Math.abs(e));
    let got = actual;
    if (actual instanceof nn.Tensor) {
      if (Array.isArray(expected) && JSON.stringify(actual.shape) !== JSON.stringify(literalShape(expected))) {
        throw new Error(`expected a tensor of shape [${literalShape(expected)}] (${comment}), got [${actual.shape}]`);
      }
      got = actual.dataSync();
    }
    const a = flatValues(got);
    const e = flatValues(expected);
    const same =
      a.length === e.length &&
      a.every((x, i) => {
        const y = e[i];
        if (typeof x === 'number' && typeof y === 'number') return Number.isNaN(y) ? Number.isNaN(x) : x === y || Math.abs(x - y) <= tol(y);
        return x === y;
      });
    if (!same)
      throw new Error(`the comment says ${comment}, got ${JSON.stringify(a.length === 1 && !Array.isArray(got) && !ArrayBuffer.isView(got) ? a[0] : a)}`);
  }
  const names: Record<string, unknown> = { ...opts.names, init: cpuInit, __throws, __expect };

  /** Output of the example being run, shown when it fails. */
  let printed: string[] = [];
  const quietConsole = Object.fromEntries(
    ['log', 'info', 'warn', 'error', 'debug', 'table'].map((k) => [k, (...a: unknown[]) => printed.push(a.map(String).join(' '))]),
  ) as unknown as Console;

  let counter = 0;
  async function run(code: string, where: string): Promise<void> {
    const { source, isAsync } = programSource(code, Object.keys(names));
    const path = join(dir, `example-${counter++}.ts`);
    writeFileSync(path, `// ${where}\n${source}`);
    let main: (ns: unknown, c: Console) => unknown;
    try {
      main = (await import(/* @vite-ignore */ path)).default;
    } catch (e) {
      throw new Error(`${where}: the example does not compile: ${(e as Error).message}`);
    }
    printed = [];
    // What the library itself prints (fit's progress lines, print()) is kept too, not shown.
    const write = process.stdout.write;
    const log = console.log;
    process.stdout.write = ((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0) as typeof process.stdout.write;
    console.log = quietConsole.log;
    try {
      if (isAsync) await main(names, quietConsole);
      else nn.scope(() => void main(names, quietConsole));
    } catch (e) {
      const out = printed.length ? `\n(printed: ${printed.join('\n')})` : '';
      throw new Error(`${where}: ${(e as Error).name}: ${(e as Error).message}${out}\n--- example ---\n${code}`);
    } finally {
      process.stdout.write = write;
      console.log = log;
    }
  }

  const noRun: Example[] = [];
  let baseline: ReturnType<typeof nn.memory>;

  beforeAll(async () => {
    await nn.init({ device: 'cpu' });
    baseline = nn.memory();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const group of groups) {
    noRun.push(...group.examples.filter((e) => e.noRun !== undefined));
    if (group.examples.every((e) => e.noRun !== undefined)) continue;
    describe(group.file, () => {
      if (group.kind === 'guide') {
        // One program per guide: the blocks in order, each continuing the previous ones.
        const runs = group.examples.filter((e) => e.noRun === undefined);
        it(`${runs.length} block(s) as one program`, async () => {
          // Each block opens a scope inside the previous one, so it sees the earlier names and
          // may declare one again (as a REPL would let it).
          const code = runs.map((e) => `// ${e.where}\n${rewriteImports(e.code, new Set())}`).join('\n{\n') + '\n}'.repeat(runs.length - 1);
          // Files a guide writes (weights, checkpoints) land in the temporary folder.
          const cwd = process.cwd();
          process.chdir(dir);
          try {
            await run(code, `${group.file} (${runs.map((e) => e.line).join(', ')})`);
          } finally {
            process.chdir(cwd);
          }
        });
        return;
      }
      for (const ex of group.examples) {
        if (ex.noRun !== undefined) continue;
        it(`line ${ex.line}`, async () => {
          await run(rewriteImports(ex.code, new Set()), ex.where);
        });
      }
    });
  }

  describe('documentation examples', () => {
    it('fail when code throws, a stated value or error is wrong, or a name is undefined', async () => {
      await run('sqrt(tensor([4, 9])); // [2, 3]', 'right value');
      await expect(run('sqrt(tensor([4, 9])); // [2, 4]', 'wrong value')).rejects.toThrow('the comment says [2, 4], got [2,3]');
      await expect(run('const y = tensor([1.5]).sum(); // 1.4', 'wrong value')).rejects.toThrow('the comment says 1.4, got [1.5]');
      await expect(run('zeros([2, 3]).sum(0); // [0, 0]', 'wrong shape')).rejects.toThrow('expected a tensor of shape [2]');
      await expect(run('tensor([1]).add(1); // ShapeError: add', 'no throw')).rejects.toThrow('expected ShapeError, but nothing was thrown');
      await expect(run('matmul(zeros([2, 3]), zeros([4, 5])); // ShapeError: other text', 'wrong text')).rejects.toThrow(
        "expected the message to contain 'other text'",
      );
      await expect(run('undefinedName.add(1);', 'undefined name')).rejects.toThrow('undefinedName is not defined');
    });

    it(`exist for every export of ${opts.packages.join(', ')}, right above its declaration`, () => {
      for (const pkg of opts.packages) expect(exportsWithoutExample(root, pkg), pkg).toEqual([]);
      // The check itself: a missing comment, one without @example and one cut off by other code all count.
      const fake = join(dir, 'fake-root');
      mkdirSync(join(fake, 'packages', 'p', 'src'), { recursive: true });
      writeFileSync(join(fake, 'packages', 'p', 'src', 'index.ts'), "export { a, b, c, d } from './m';\nexport type { E } from './m';\n");
      writeFileSync(
        join(fake, 'packages', 'p', 'src', 'm.ts'),
        [
          '/** A.\n * @example\n * ```ts\n * a();\n * ```\n */\nexport function a() {}',
          '/** B, no example. */\nexport function b() {}',
          'export const c = 1;',
          '/** D.\n * @example\n * ```ts\n * d;\n * ```\n */\nconst KEYS = [];\n\nexport class d {}',
          '/** E. @example `const e: E = 1;` */\nexport type E = number;',
        ].join('\n'),
      );
      expect(exportsWithoutExample(fake, 'p')).toEqual(['b', 'c', 'd']);
    });

    it('every no-run block states why it cannot run', () => {
      const reasons = noRun.map((e) => `${e.where}: ${e.noRun || '(no reason given)'}`);
      console.log(`${noRun.length} example(s) marked no-run:\n  ${reasons.join('\n  ')}`);
      console.log(`${checkedValues} value(s) stated in example comments were checked`);
      console.log(`${redirected} init() call(s) in examples ran on the CPU instead of the device they name`);
      expect(noRun.filter((e) => !e.noRun).map((e) => e.where)).toEqual([]);
    });

    it('leave memory as they found it once their tensors are collected', async () => {
      unpinTensors(); // the test setup kept the async examples' tensors from the collector until now
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      for (let i = 0; i < 20 && nn.memory().tensors !== baseline.tensors; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(nn.memory().tensors).toBe(baseline.tensors);
      expect(nn.memory().bytes).toBe(baseline.bytes);
    });
  });

  // The temporary folder must exist before the first import.
  mkdirSync(dir, { recursive: true });
}
