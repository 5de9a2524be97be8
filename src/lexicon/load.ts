/**
 * Reads the lexicon directory. Format (one entry per line, `#` starts a comment line):
 *
 *   <category>[.<label>].tsv   phrase<TAB>severity[<TAB>option,option]
 *   allow[.<label>].tsv        phrase[<TAB>category,category | *]
 *
 * Columns are separated by a TAB or by two or more spaces (single spaces belong to the phrase,
 * so English phrases need no quoting). A phrase `A … B` is a near term (compile.ts, detect/near.ts). Every problem in every file is collected, then the whole
 * load is refused with a `LexiconError` naming file, line and reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LexiconError, type LexiconProblem } from '../errors.js';
import { CATEGORIES, type Category } from '../flag.js';
import { allowEntrySchema, termEntrySchema, type AllowEntry, type Lexicon, type TermEntry } from './schema.js';

/** The lexicons shipped with the package (`<package root>/lexicons`). */
export const BUNDLED_LEXICON_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), findUp());

function findUp(): string {
  // src/lexicon -> ../../lexicons when run from source, dist/src/lexicon -> ../../../lexicons when built.
  return import.meta.url.includes('/dist/') ? '../../../lexicons' : '../../lexicons';
}

const COLUMN_SPLIT = /\t+| {2,}/;

type FileKind = { kind: 'terms'; category: Category } | { kind: 'allow' };

function fileKind(file: string): FileKind | undefined {
  const stem = basename(file).split('.')[0] ?? '';
  if (stem === 'allow') return { kind: 'allow' };
  if ((CATEGORIES as readonly string[]).includes(stem)) return { kind: 'terms', category: stem as Category };
  return undefined;
}

/** Parses one lexicon file's text. Problems are appended to `problems`; valid entries are returned. */
export function parseLexiconText(file: string, text: string, problems: LexiconProblem[]): Lexicon {
  const out: Lexicon = { terms: [], allow: [] };
  const kind = fileKind(file);
  if (!kind) {
    problems.push({
      file,
      line: 0,
      entry: '',
      reason: `file name must start with one of ${[...CATEGORIES, 'allow'].join(', ')} and end in .tsv`,
    });
    return out;
  }
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const cols = trimmed.split(COLUMN_SPLIT);
    const at = { file, line: i + 1 };
    const fail = (reason: string) => problems.push({ ...at, entry: raw, reason });
    if (kind.kind === 'allow') {
      if (cols.length > 2) {
        fail(`expected "phrase<TAB>categories", found ${cols.length} columns`);
        continue;
      }
      const cats = cols[1] === undefined || cols[1] === '*' ? [] : cols[1].split(',').map((c) => c.trim());
      const parsed = allowEntrySchema.safeParse({ phrase: cols[0], categories: cats });
      if (!parsed.success) fail(describe(parsed.error));
      else out.allow.push({ ...parsed.data, ...at } satisfies AllowEntry);
    } else {
      if (cols.length < 2 || cols.length > 3) {
        fail(`expected "phrase<TAB>severity[<TAB>options]", found ${cols.length} column${cols.length === 1 ? '' : 's'}`);
        continue;
      }
      const options = cols[2] ? cols[2].split(',').map((o) => o.trim()) : [];
      const parsed = termEntrySchema.safeParse({ phrase: cols[0], category: kind.category, severity: cols[1], options });
      if (!parsed.success) fail(describe(parsed.error));
      else out.terms.push({ ...parsed.data, ...at } satisfies TermEntry);
    }
  }
  return out;
}

function describe(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid entry';
  const path = issue.path.filter((p) => typeof p === 'string').join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Entries given in code, before validation: `file`/`line` optional (they default to `<code>`/index). */
export interface LexiconInput {
  terms: readonly { phrase: unknown; category: unknown; severity: unknown; options?: unknown; file?: string; line?: number }[];
  allow?: readonly { phrase: unknown; categories?: unknown; file?: string; line?: number }[];
}

/** Validates entries given in code with the same schema as files; throws `LexiconError` listing every problem. */
export function validateLexicon(input: LexiconInput): Lexicon {
  const problems: LexiconProblem[] = [];
  const lexicon: Lexicon = { terms: [], allow: [] };
  input.terms.forEach((t, i) => {
    const at = { file: t.file ?? '<code>', line: t.line ?? i + 1 };
    const parsed = termEntrySchema.safeParse({ ...t, options: t.options ?? [] });
    if (parsed.success) lexicon.terms.push({ ...parsed.data, ...at });
    else problems.push({ ...at, entry: String(t.phrase), reason: describe(parsed.error) });
  });
  (input.allow ?? []).forEach((a, i) => {
    const at = { file: a.file ?? '<code>', line: a.line ?? i + 1 };
    const parsed = allowEntrySchema.safeParse({ ...a, categories: a.categories ?? [] });
    if (parsed.success) lexicon.allow.push({ ...parsed.data, ...at });
    else problems.push({ ...at, entry: String(a.phrase), reason: describe(parsed.error) });
  });
  if (problems.length > 0) throw new LexiconError(problems);
  return lexicon;
}

/** Reads every `*.tsv` in `dir`. Throws `LexiconError` listing every problem if any file is bad. */
export function loadLexiconDir(dir: string = BUNDLED_LEXICON_DIR): Lexicon {
  const problems: LexiconProblem[] = [];
  const lexicon: Lexicon = { terms: [], allow: [] };
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.tsv')).sort();
  } catch (err) {
    throw new LexiconError([{ file: dir, line: 0, entry: '', reason: `cannot read directory: ${(err as Error).message}` }]);
  }
  if (files.length === 0) {
    throw new LexiconError([{ file: dir, line: 0, entry: '', reason: 'no .tsv lexicon files in directory' }]);
  }
  for (const name of files) {
    const path = join(dir, name);
    const part = parseLexiconText(path, readFileSync(path, 'utf8'), problems);
    lexicon.terms.push(...part.terms);
    lexicon.allow.push(...part.allow);
  }
  if (problems.length > 0) throw new LexiconError(problems);
  return lexicon;
}
