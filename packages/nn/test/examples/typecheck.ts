// Type-checks documentation examples (the ones runner.ts runs) with a package's strict compiler
// options: each example becomes an in-memory module that imports every public name by name, so a
// wrong option name, a missing `await` on a Promise or a misspelt method is a compile error here,
// as it would be in a user's editor.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { collectExamples } from './extract';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where the examples' names come from: a module specifier, its runtime exports, the packages whose index lists its types. */
export interface ExampleImport {
  from: string;
  values: string[];
  typesOf: string[];
}

export interface TypecheckOptions {
  /** Packages whose TSDoc (and README) examples are checked; `guides` adds docs/*.md and the root README. */
  packages: string[];
  guides: boolean;
  imports: ExampleImport[];
  /** The calling test's folder: the in-memory modules live there (specifiers resolve from it; its package's tsconfig.json applies). */
  dir: string;
}

const typeNamesOf = new Map<string, string[]>();

/** The type names an index.ts exports: `export type { A, B }` and `export { c, type D }`. */
function typeNames(pkg: string): string[] {
  let names = typeNamesOf.get(pkg);
  if (!names) typeNamesOf.set(pkg, (names = readTypeNames(pkg)));
  return names;
}

function readTypeNames(pkg: string): string[] {
  const index = readFileSync(join(root, 'packages', pkg, 'src', 'index.ts'), 'utf8');
  return [...index.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
    m[2]
      .split(',')
      .map((s) => s.trim())
      .filter((s) => m[1] || s.startsWith('type '))
      .map(
        (s) =>
          s
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)
            .at(-1) ?? '',
      )
      .filter(Boolean),
  );
}

/**
 * The example's module: every public name the code mentions imported (as a user would; importing
 * all ~700 names into each of ~1,100 modules made the checker resolve 800,000 import specifiers), the
 * code inside an async function. A name that only looks like a use (a property, a word in a string)
 * is imported too, which changes nothing: unused imports are allowed here.
 */
function moduleText(code: string, imports: ExampleImport[]): string {
  const mentioned = new Set(code.match(/[A-Za-z_$][\w$]*/g));
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const { from, values, typesOf } of imports) {
    const v = values.filter((n) => !seen.has(n) && n !== 'default' && mentioned.has(n));
    for (const n of v) seen.add(n);
    const t = [...new Set(typesOf.flatMap(typeNames))].filter((n) => !seen.has(n) && mentioned.has(n)); // a name both packages export (nn re-exports tensor) once
    for (const n of t) seen.add(n);
    if (v.length) lines.push(`import { ${v.join(', ')} } from '${from}';`);
    if (t.length) lines.push(`import type { ${t.join(', ')} } from '${from}';`);
  }
  // Named imports of the example itself (node:fs, …) go to the top, merged per module (a guide's
  // blocks may import the same name twice); ours are covered by the lines above.
  const imported = new Map<string, Set<string>>();
  const body = code.replace(/^import\s+(?:type\s+)?\{([^}]*)\}\s*from\s+(['"])([^'"]+)\2;?[ \t]*$/gm, (_all, names: string, _q, from: string) => {
    if (from.startsWith('@aimodel/')) return '';
    const set = imported.get(from) ?? new Set<string>();
    for (const n of names.split(',')) if (n.trim()) set.add(n.trim());
    imported.set(from, set);
    return '';
  });
  for (const [from, names] of imported) lines.push(`import { ${[...names].join(', ')} } from '${from}';`);
  return [...lines, 'export async function example(): Promise<void> {', body, '}', ''].join('\n');
}

/** One test: every example of `opts.packages` (and the guides) compiles without errors. */
export function typecheckExamples(opts: TypecheckOptions): void {
  it('documentation examples type-check', () => {
    const files = new Map<string, { where: string; text: string }>();
    const add = (where: string, code: string) => files.set(join(opts.dir, `__example-${files.size}.ts`), { where, text: moduleText(code, opts.imports) });
    for (const group of collectExamples(root, opts.packages, opts.guides)) {
      const runs = group.examples.filter((e) => e.noRun === undefined);
      if (!runs.length) continue;
      // A guide is one program, each block a scope inside the previous one (as runner.ts runs it).
      if (group.kind === 'guide') add(group.file, runs.map((e) => e.code).join('\n{\n') + '\n}'.repeat(runs.length - 1));
      else for (const e of runs) add(e.where, e.code);
    }
    const config = ts.getParsedCommandLineOfConfigFile(
      join(opts.dir, '../tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    if (!config) throw new Error('could not read tsconfig.json');
    const options = { ...config.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (f) => files.has(f) || fileExists(f);
    host.readFile = (f) => files.get(f)?.text ?? readFile(f);
    host.getSourceFile = (f, lang, ...rest) => {
      const virtual = files.get(f);
      return virtual ? ts.createSourceFile(f, virtual.text, lang) : getSourceFile(f, lang, ...rest);
    };
    const program = ts.createProgram([...files.keys()], options, host);
    const errors: string[] = [];
    for (const [path, { where, text }] of files) {
      const source = program.getSourceFile(path);
      const header = text.split('\n').findIndex((l) => l.startsWith('export async function example'));
      for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
        const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line - header : 0;
        errors.push(`${where} (line ${line} of the example): ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
      }
    }
    expect(errors).toEqual([]);
  }, 60_000);
}
