// Type-checks the documentation examples (the ones examples.test.ts runs) with the project's
// strict compiler options: each example becomes an in-memory module that imports every export of
// @aimodel/nn and @aimodel/optim by name, so a wrong option name, a missing `await` on a Promise
// or a misspelt method is a compile error here, as it would be in a user's editor.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as optim from '@aimodel/optim';
import ts from 'typescript';
import { expect, it } from 'vitest';
import * as nn from '../src/index';
import { collectExamples } from './examples/extract';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

/** The names an index.ts exports with `export type { … }`. */
function typeNames(pkg: string): string[] {
  const index = readFileSync(join(root, 'packages', pkg, 'src', 'index.ts'), 'utf8');
  return [...index.matchAll(/export\s+type\s+\{([^}]*)\}/g)].flatMap((m) =>
    m[1].split(',').map((s) => s.trim().split(/\s+as\s+/).at(-1) ?? '').filter(Boolean),
  );
}

/** The example's module: every public name imported, the code inside an async function. */
function moduleText(code: string): string {
  const nnValues = Object.keys(nn);
  const optimValues = Object.keys(optim).filter((n) => !nnValues.includes(n));
  const nnTypes = [...typeNames('tensor'), ...typeNames('nn')].filter((n) => !nnValues.includes(n));
  const optimTypes = typeNames('optim').filter((n) => !optimValues.includes(n) && !nnTypes.includes(n));
  // Named imports of the example itself (node:fs, …) go to the top, merged per module (a guide's
  // blocks may import the same name twice); ours are covered by the lines below.
  const imported = new Map<string, Set<string>>();
  const body = code.replace(/^import\s+(?:type\s+)?\{([^}]*)\}\s*from\s+(['"])([^'"]+)\2;?[ \t]*$/gm, (_all, names: string, _q, from: string) => {
    if (from.startsWith('@aimodel/')) return '';
    const set = imported.get(from) ?? new Set<string>();
    for (const n of names.split(',')) if (n.trim()) set.add(n.trim());
    imported.set(from, set);
    return '';
  });
  const imports = [...imported].map(([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`);
  return [
    `import { ${nnValues.join(', ')} } from '../src/index';`,
    `import type { ${nnTypes.join(', ')} } from '../src/index';`,
    `import { ${optimValues.join(', ')} } from '@aimodel/optim';`,
    `import type { ${optimTypes.join(', ')} } from '@aimodel/optim';`,
    ...imports,
    'export async function example(): Promise<void> {',
    body,
    '}',
    '',
  ].join('\n');
}

it('documentation examples type-check', () => {
  const files = new Map<string, { where: string; text: string }>();
  for (const group of collectExamples(root, ['tensor', 'nn', 'optim'], true)) {
    const runs = group.examples.filter((e) => e.noRun === undefined);
    if (group.kind === 'guide') {
      // One program per guide, each block a scope inside the previous one (as examples.test.ts runs it).
      const code = runs.map((e) => e.code).join('\n{\n') + '\n}'.repeat(Math.max(0, runs.length - 1));
      if (runs.length) files.set(join(here, `__example-${files.size}.ts`), { where: group.file, text: moduleText(code) });
    } else {
      for (const e of runs) files.set(join(here, `__example-${files.size}.ts`), { where: e.where, text: moduleText(e.code) });
    }
  }
  const config = ts.getParsedCommandLineOfConfigFile(join(here, '../tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
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
  for (const [path, { where }] of files) {
    const source = program.getSourceFile(path);
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line - 4 : 0;
      errors.push(`${where} (+${line}): ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
  }
  expect(errors).toEqual([]);
}, 60_000);
