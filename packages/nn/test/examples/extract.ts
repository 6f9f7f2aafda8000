// Finds the runnable code of the documentation: every ```ts block and every @example in the TSDoc
// comments of packages/*/src, and every ```ts block of the guides (docs/*.md, README.md files).
//
// Conventions (runner.ts runs the examples):
// - An `@example` without a fence is code as a whole (TypeDoc renders it so); with fences, its
//   ```ts blocks are the code. A TSDoc block runs alone, with every export of its package, of
//   @aimodel/nn (which re-exports @aimodel/tensor) and of @aimodel/optim in scope; `init()` picks
//   the CPU whatever device it names.
// - The ```ts blocks of one guide run in order as one program (a notebook): each block is a scope
//   inside the previous one, so it uses the earlier names and may declare one again.
// - A statement whose comment is a value, `sqrt(tensor([4, 9])); // [2, 3]` or
//   `const y = x.sum(); // 6`, must produce it (tensors by shape and elements, within half a unit
//   of the last printed digit; `// ≈ …` allows one unit). Comments that are not a plain value
//   (`// e.g. [3, 7]`, `// shape [2, 3]`) are prose.
// - A statement followed by `// ShapeError: text` (any error class) must throw that error with a
//   message containing the text.
// - A fence written ```ts no-run <reason> is shown but not run; the reason is required.
// - Every export of a package has a TSDoc comment with an `@example` right above its declaration.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Example {
  /** `path:line` of the block's first code line, relative to the repository root. */
  where: string;
  file: string;
  line: number;
  code: string;
  /** Set when the fence says `no-run`: the stated reason ('' when none was given). */
  noRun?: string;
}

/** A guide (.md) is run as one program; TSDoc blocks one by one. */
export interface ExampleGroup {
  file: string;
  kind: 'tsdoc' | 'guide';
  examples: Example[];
}

const FENCE = /^(\s*)```(\S*)(.*)$/;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
}

interface Fenced {
  line: number; // index into `lines` of the first code line
  code: string;
  noRun?: string;
}

/** The ```ts blocks of some lines (other languages are prose). */
function fencedBlocks(lines: string[]): Fenced[] {
  const out: Fenced[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, lang, rest] = open;
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
    if (lang === 'ts' || lang === 'typescript') {
      const info = rest.trim();
      const body = lines.slice(i + 1, j).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
      out.push({
        line: i + 1,
        code: body.join('\n'),
        ...(info.startsWith('no-run') ? { noRun: info.slice('no-run'.length).replace(/^[\s:—–-]+/, '') } : {}),
      });
    }
    i = j;
  }
  return out;
}

/** The text lines of a `/** … *\/` comment, without the leading `*` and one space. */
function commentLines(comment: string): string[] {
  return comment
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''));
}

/** The examples in one source file's TSDoc comments. */
export function tsdocExamples(root: string, path: string): Example[] {
  const src = readFileSync(path, 'utf8');
  const file = relative(root, path);
  const out: Example[] = [];
  for (const m of src.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const startLine = src.slice(0, m.index).split('\n').length; // 1-based line of `/**`
    const lines = commentLines(m[0]);
    const seen = new Set<number>();
    for (const b of fencedBlocks(lines)) {
      seen.add(b.line);
      out.push({ where: `${file}:${startLine + b.line}`, file, line: startLine + b.line, code: b.code, noRun: b.noRun });
    }
    // An @example without a fence: the code runs from the tag to the next block tag.
    for (let i = 0; i < lines.length; i++) {
      const at = lines[i].indexOf('@example');
      if (at < 0) continue;
      const section = [lines[i].slice(at + '@example'.length)];
      let j = i + 1;
      while (j < lines.length && !/^\s*@\w/.test(lines[j])) section.push(lines[j++]);
      const text = section.join('\n');
      if (text.includes('```')) continue; // its fenced blocks are taken above
      let code = text.split(/\s@(?:param|returns|throws|see|remarks|deprecated)\b/)[0].trim();
      if (/^`[^`]+`$/.test(code)) code = code.slice(1, -1); // inline code span
      if (code) out.push({ where: `${file}:${startLine + i}`, file, line: startLine + i, code });
    }
  }
  return out;
}

/** The TSDoc and README examples of `packages` (and, with `withGuides`, the guides' blocks), grouped by file. */
export function collectExamples(root: string, packages: string[], withGuides: boolean): ExampleGroup[] {
  const groups: ExampleGroup[] = [];
  for (const pkg of packages) {
    const files: string[] = [];
    const src = join(root, 'packages', pkg, 'src');
    try {
      walk(src, files);
    } catch {
      continue;
    }
    for (const f of files.sort()) {
      const examples = tsdocExamples(root, f);
      if (examples.length) groups.push({ file: relative(root, f), kind: 'tsdoc', examples });
    }
  }
  // The packages' READMEs and their own guides (docs/<package>.md, e.g. docs/nlp.md) always; the
  // repository's README, the docs site's landing page and the other docs/ guides with `withGuides`.
  const all = readdirSync(join(root, 'packages'));
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort();
  const guides = [
    ...(withGuides ? ['README.md', join('docs', 'site', 'index.md'), ...docs.filter((f) => !all.includes(f.slice(0, -3))).map((f) => join('docs', f))] : []),
    ...docs.filter((f) => packages.includes(f.slice(0, -3))).map((f) => join('docs', f)),
    ...packages.map((p) => join('packages', p, 'README.md')),
  ];
  for (const g of guides) {
    let text: string;
    try {
      text = readFileSync(join(root, g), 'utf8');
    } catch {
      continue;
    }
    const examples = fencedBlocks(text.split('\n')).map((b) => ({
      where: `${g}:${b.line + 1}`,
      file: g,
      line: b.line + 1,
      code: b.code,
      noRun: b.noRun,
    }));
    if (examples.length) groups.push({ file: g, kind: 'guide', examples });
  }
  return groups;
}

const IMPORT = /^[ \t]*import\s+(type\s+)?([\s\S]*?)\s+from\s+(['"])([^'"]+)\3;?[ \t]*$/gm;

/**
 * A block's imports as `const` statements inside the function that runs it: names from @aimodel/*
 * come from the namespace the runner passes in, other modules load with `await import(…)`.
 * `declared` collects the names bound so far in the block (each is bound once).
 */
export function rewriteImports(code: string, declared: Set<string>): string {
  return code.replace(IMPORT, (_all, typeOnly: string | undefined, clause: string, _q, from: string) => {
    if (typeOnly) return '';
    const ours = from.startsWith('@aimodel/');
    const bindings: string[] = [];
    const add = (local: string, expr: string) => {
      if (declared.has(local)) return;
      declared.add(local);
      bindings.push(`const ${local} = ${expr};`);
    };
    const load = ours ? '__ns' : `(await import(${JSON.stringify(from)}))`;
    const named = /\{([\s\S]*)\}/.exec(clause);
    const head = clause
      .replace(/\{[\s\S]*\}/, '')
      .replace(/,\s*$/, '')
      .trim();
    if (head.startsWith('* as ')) add(head.slice(5).trim(), load);
    else if (head) add(head, `${load}.default`);
    for (const part of named ? named[1].split(',') : []) {
      const spec = part.trim();
      if (!spec || spec.startsWith('type ')) continue;
      const [name, alias] = spec.split(/\s+as\s+/);
      add(alias ?? name, `${load}[${JSON.stringify(name)}]`);
    }
    return bindings.join(' ');
  });
}

const THROWS = /^(\s*)(.*?[;)])\s*\/\/\s*(?:throws\s+)?([A-Z]\w*Error)\b(?::\s*(.*?))?\s*$/;

/**
 * A statement that shows an error, `stmt; // ShapeError: matmul: inner dimensions differ: …`, must
 * throw that error (by name) with a message containing the text after the colon (up to a `…`):
 * it becomes a call of `__throws`, which the runner passes in with the other names.
 */
export function expectThrows(code: string): string {
  return code
    .split('\n')
    .map((line) => {
      const m = THROWS.exec(line);
      if (!m) return line;
      const [, indent, stmt, name, message = ''] = m;
      const text = message.split('…')[0].trim();
      return `${indent}__throws(() => { ${stmt} }, ${JSON.stringify(name)}, ${JSON.stringify(text)});`;
    })
    .join('\n');
}

// A value a comment states: a number, a string, true/false/null, or (nested) arrays of numbers and booleans.
const LITERAL =
  /^(≈\s*)?(-?(?:\d[\d.]*(?:e[+-]?\d+)?|NaN|Infinity)|true|false|null|'[^'\\]*'|\[[-\d\s,.e+[\]]*(?:(?:true|false|NaN|Infinity)[-\d\s,.e+[\]]*)*\])$/;
const STATED = /^(\s*)(.*?);?\s*\/\/\s*(.+?)\s*$/;

/** `[[1, 2], [3]]` is one value; `[0, 1], [2]` is a list of them (prose). */
function oneValue(lit: string): boolean {
  if (!lit.startsWith('[')) return true;
  let depth = 0;
  for (let i = 0; i < lit.length; i++) {
    if (lit[i] === '[') depth++;
    else if (lit[i] === ']' && --depth === 0) return i === lit.length - 1;
  }
  return false;
}

function balanced(code: string): boolean {
  let depth = 0;
  for (const ch of code.replace(/'[^']*'|"[^"]*"|`[^`]*`/g, '')) {
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch) && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * A statement whose comment states its value, `sqrt(tensor([4, 9])); // [2, 3]` or
 * `const y = x.sum(); // 6`, must produce that value (tensors compare by their elements, within
 * half a unit of the last printed digit; `// ≈ …` allows one unit). It becomes a call of
 * `__expect`, which the runner passes in.
 */
export function expectValues(code: string): string {
  return code
    .split('\n')
    .map((line) => {
      const m = STATED.exec(line);
      if (!m) return line;
      const [, indent, stmt, comment] = m;
      const lit = LITERAL.exec(comment);
      if (!lit || !stmt.trim() || stmt.includes(';') || !balanced(stmt) || !oneValue(lit[2])) return line;
      const args = `${lit[2]}, ${JSON.stringify(comment)}`;
      const decl = /^(const|let)\s+([A-Za-z_$][\w$]*)(?::[^=]+)?\s*=\s*(.+)$/.exec(stmt);
      if (decl) return `${indent}${stmt}; __expect(${decl[2]}, ${args});`;
      if (/^(return|throw|if|for|while|import|export|let|const|var|class|function)\b/.test(stmt) || /[^=!<>]=[^=>]/.test(stmt) || /[,{(]$/.test(stmt))
        return line;
      return `${indent}__expect(${stmt}, ${args});`;
    })
    .join('\n');
}

/**
 * The source of a module whose default export runs `code` with the names of `scopeNames` taken
 * from its first argument and `console` from its second; async when the code awaits.
 */
export function programSource(code: string, scopeNames: string[]): { source: string; isAsync: boolean } {
  const isAsync = /\bawait\b/.test(code);
  const names = scopeNames.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'console');
  const source = [
    '// biome-ignore-all lint: generated from a documentation example',
    `export default ${isAsync ? 'async ' : ''}function (__ns: any, console: Console) {`,
    `  const { ${names.join(', ')} } = __ns;`,
    '  {',
    expectValues(expectThrows(code)),
    '  }',
    '}',
    '',
  ].join('\n');
  return { source, isAsync };
}

/**
 * The names a package's src/index.ts exports whose declaration has no TSDoc comment with an
 * `@example` right above it (a comment separated from its declaration by other code does not count).
 */
export function exportsWithoutExample(root: string, pkg: string): string[] {
  const index = readFileSync(join(root, 'packages', pkg, 'src', 'index.ts'), 'utf8');
  const names = new Set<string>();
  for (const m of index.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s+from/g)) {
    for (const part of m[1].split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .at(-1);
      if (name) names.add(name);
    }
  }
  const files: string[] = [];
  walk(join(root, 'packages', pkg, 'src'), files);
  const sources = files.map((f) => readFileSync(f, 'utf8'));
  const missing: string[] = [];
  for (const name of [...names].sort()) {
    // Several files may declare the name (a backend's function of the same name): one documented declaration is enough.
    // (line comments may sit between the TSDoc comment and the declaration: TypeScript still attaches it)
    const decl = new RegExp(
      `(\\*/\\s*(?://[^\\n]*\\n\\s*)*)?export\\s+(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:function|class|const|let|interface|type|enum)\\s+${name}\\b`,
      'g',
    );
    const documented = sources.some((src) =>
      [...src.matchAll(decl)].some((m) => m[1] !== undefined && src.slice(src.lastIndexOf('/**', m.index), m.index).includes('@example')),
    );
    if (!documented) missing.push(name);
  }
  return missing;
}
