/**
 * The README's examples are run, so the output they document cannot drift from the real one:
 * - the Library example (the ```ts block under "## Library") is transpiled, run against the
 *   built package, and each statement's `// → <value>` (same line or the comment lines after it)
 *   must equal what it returned; `// throws Name { fields }` must match what it threw;
 * - the CLI example (the first ``` block under "## CLI: `pkguard scan`") is fed to the built CLI:
 *   its input lines in, and the `→ ` lines must equal the output lines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { ROOT, runCli, stdoutLines } from './run-cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The body of the first fenced block (```lang) after `heading`. */
function blockAfter(heading: string, lang = ''): string {
  const at = README.indexOf(`\n${heading}\n`);
  expect(at, `README has no "${heading}" heading`).toBeGreaterThanOrEqual(0);
  const open = README.indexOf('```' + lang + '\n', at);
  const close = README.indexOf('\n```', open + 4 + lang.length);
  return README.slice(open + 4 + lang.length, close);
}

/** A value written in a comment (a JS literal: single quotes, unquoted keys). */
const literal = (text: string): unknown => new Function(`return (${text});`)();

interface Check {
  line: number;
  code: string;
  expect?: string;
  throws?: { name: string; fields: string };
}

/** Statements of the example with what their comments say they return or throw. */
function checksOf(block: string): Check[] {
  const checks: Check[] = [];
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trimStart().startsWith('//')) continue;
    const [code, comment = ''] = splitComment(line);
    const check: Check = { line: i + 1, code };
    const thrown = /^throws (\w+)\s*(\{.*\})?$/.exec(comment);
    if (thrown) check.throws = { name: thrown[1]!, fields: thrown[2] ?? '{}' };
    else if (comment.startsWith('→')) check.expect = comment.slice(1);
    // `// → …` on the lines after the statement, continued by comment lines that are not prose.
    if (lines[i + 1]?.trimStart().startsWith('// →')) {
      let text = lines[++i]!.trimStart().slice('// →'.length);
      while (lines[i + 1]?.trimStart().startsWith('//  ')) text += lines[++i]!.trimStart().slice(2);
      check.expect = text;
    }
    checks.push(check);
  }
  return checks;
}

/** `code; // comment` → [code, comment]; a `//` inside a string literal is not a comment. */
function splitComment(line: string): [string, string?] {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '/' && line[i + 1] === '/') return [line.slice(0, i).trimEnd(), line.slice(i + 2).trim()];
  }
  return [line.trimEnd()];
}

test('the Library example returns and throws what its comments say', { timeout: 60_000 }, async () => {
  const block = blockAfter('## Library', 'ts');
  expect(block).toContain("from 'pkguard'");
  const checks = checksOf(block);
  // Instrument: each statement records its value (or what it threw) by its line in the block.
  const body = checks
    .map((c) => {
      const expr = c.code.replace(/;$/, '');
      if (c.throws) return `try { ${expr}; results.push({ line: ${c.line} }); } catch (e) { results.push({ line: ${c.line}, thrown: e }); }`;
      if (c.expect !== undefined) return `results.push({ line: ${c.line}, value: ${expr} });`;
      return c.code;
    })
    .join('\n')
    .replace("from 'pkguard'", `from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/index.js')).href)}`);
  const js = ts.transpileModule(`export const results: { line: number; value?: unknown; thrown?: unknown }[] = [];\n${body}`, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-readme-'));
  try {
    writeFileSync(join(dir, 'example.mjs'), js);
    const { results } = (await import(pathToFileURL(join(dir, 'example.mjs')).href)) as { results: { line: number; value?: unknown; thrown?: unknown }[] };
    const checked = checks.filter((c) => c.expect !== undefined || c.throws);
    expect(checked.length).toBeGreaterThanOrEqual(4); // the example still documents its outputs
    for (const c of checked) {
      const got = results.find((r) => r.line === c.line);
      expect(got, `line ${c.line} (${c.code}) did not run`).toBeDefined();
      if (c.throws) {
        expect(got!.thrown, `line ${c.line}: ${c.code} should throw`).toBeInstanceOf(Error);
        expect((got!.thrown as Error).name, `line ${c.line}`).toBe(c.throws.name);
        expect(got!.thrown, `line ${c.line}`).toMatchObject(literal(c.throws.fields) as object);
      } else {
        expect(got!.value, `README Library example, line ${c.line}: ${c.code}`).toEqual(literal(c.expect!));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI example prints what it shows', { timeout: 60_000 }, async () => {
  const block = blockAfter('## CLI: `pkguard scan`');
  const lines = block.split('\n').filter((l) => l.trim() !== '');
  const input = lines.filter((l) => !l.startsWith('→'));
  const documented = lines.filter((l) => l.startsWith('→ ')).map((l) => l.slice(2));
  expect(input.length).toBeGreaterThan(0);
  expect(documented).toHaveLength(input.length); // one line out per line in, all of them shown
  const r = await runCli(['scan'], input.join('\n') + '\n');
  expect(r.code).toBe(0);
  const out = stdoutLines(r.stdout);
  // Compared as JSON, and as text too: the README shows the exact line, key order included.
  expect(out.map((l) => JSON.parse(l) as unknown)).toEqual(documented.map((l) => JSON.parse(l) as unknown));
  expect(out).toEqual(documented);
});
