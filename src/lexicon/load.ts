/**
 * Reads the lexicon directory. Format (one entry per line, `#` starts a comment line):
 *
 *   <category>[.<label>].tsv   phrase<TAB>severity[<TAB>option,option]
 *   allow[.<label>].tsv        phrase[<TAB>category,category | *]
 *
 * Columns are separated by a TAB or by two or more spaces (single spaces belong to the phrase,
 * so English phrases need no quoting). A phrase `A … B` is a near term (compile.ts, detect/near.ts).
 *
 * A term file may name sets, so one line stands for every combination:
 *
 *   @病症<TAB>高血压|糖尿病|湿疹          a set: members separated by |
 *   {治}{病症}<TAB>high                     adjacent: one term per member pair (治高血压, 治湿疹 …)
 *   专{治}{病症}<TAB>high                   plain text and sets mix in a phrase or a near part
 *   {病症}…{见好}<TAB>high                  near: each part a set, plain text or a mix of both
 *   {~病症}…{见好}<TAB>high                 ~: the members also half in pinyin (shi疹, bi炎), and with a
 *                                          common homophone for a last 病/症/炎 (糖尿并)
 *   顶{≈级}<TAB>medium                    ≈: one character and its common homophones (顶极, 顶集)
 *
 * A set is visible below its line in its file, and in every file when it is defined in a set file
 * (`sets[.<label>].tsv`, which holds set lines only): a maintainer edits a condition once. A line
 * stands for at most MAX_COMBINATIONS terms (or members of a near part).
 *
 * Every problem in every file is collected, then the whole load is refused with a `LexiconError`
 * naming file, line and reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { LexiconError, type LexiconProblem } from '../errors.js';
import { BUNDLED_LEXICON_DIR } from './bundled.js';
import { CATEGORIES, type Category } from '../flag.js';
import { foldTables } from '../normalize/tables.js';
import { NEAR_SEPARATOR } from './compile.js';
import { allowEntrySchema, MAX_PHRASE_LENGTH, termEntrySchema, type AllowEntry, type Lexicon, type TermEntry } from './schema.js';

export { BUNDLED_LEXICON_DIR } from './bundled.js';

const COLUMN_SPLIT = /\t+| {2,}/;
const SET_NAME = /^[^\s{}|…]+$/u;
const SET_REF = /\{([^{}]*)\}/g;
/** Most terms one line expands to (or members one near part stands for). */
export const MAX_COMBINATIONS = 20_000;

/** `@name<TAB>a|b|c`: the members, or a reason it is not a set. */
function parseSet(cols: string[]): { name: string; members: string[] } | string {
  const name = cols[0]!.slice(1);
  if (!SET_NAME.test(name)) return 'a set is "@name<TAB>member|member|…" with a name of no spaces, braces or |';
  if (cols.length !== 2) return `expected "@${name}<TAB>member|member|…", found ${cols.length} column${cols.length === 1 ? '' : 's'}`;
  const members = cols[1]!.split('|').map((m) => m.trim());
  if (members.some((m) => m.length === 0)) return `set @${name} has an empty member`;
  const long = members.find((m) => m.length > MAX_PHRASE_LENGTH);
  if (long) return `set @${name}: member "${long}" is longer than ${MAX_PHRASE_LENGTH} characters`;
  return { name, members };
}

/**
 * `{~name}`: the set's members and their half-pinyin spellings (湿疹 → shi疹, 湿zhen), for near
 * parts, which match on the text lane only (a whole term of 3+ characters has the pinyin lane).
 * Members of 2–4 characters with one reading each; the all-pinyin spelling is left out (a
 * Latin word alone is too often something else).
 */
function withHalfPinyin(members: readonly string[]): string[] {
  const { pinyin } = foldTables();
  const out = [...members];
  for (const m of members) {
    // A condition's generic last character said by a common homophone (糖尿并, 抑郁正): data, not a list.
    const last = m.charCodeAt(m.length - 1);
    if (m.length >= 2 && SUFFIXES.has(last)) for (const h of commonHomophones(last)) out.push(m.slice(0, -1) + String.fromCharCode(h));
    if (m.length < 2 || m.length > 4) continue;
    const syllables: string[] = [];
    for (let i = 0; i < m.length; i++) {
      const name = pinyin.nameOf(pinyin.syllableOf[m.charCodeAt(i)]!);
      if (!name) break;
      syllables.push(name);
    }
    if (syllables.length !== m.length) continue;
    for (let mask = 1; mask < (1 << m.length) - 1; mask++) {
      let v = '';
      for (let i = 0; i < m.length; i++) v += (mask >> i) & 1 ? syllables[i] : m[i];
      out.push(v);
    }
  }
  return out;
}

/** The generic last characters of condition names (…病, …症, …炎) that `{~set}` also reads by sound. */
const SUFFIXES = new Set([...'病症炎'].map((c) => c.charCodeAt(0)));
let common: Uint16Array | undefined;
const homophonesOf = new Map<number, number[]>();
/**
 * The common characters (GB 2312 level 1, the 3,755 most used) read with the same syllable and
 * tone as `unit` (级 jí: 极 集 吉, not 几 jǐ), other than itself; none where the runtime has no GBK
 * decoder. The fold tables' toneless syllables narrow the search; pinyin-pro reads the tones of those few.
 */
function commonHomophones(unit: number): number[] {
  const known = homophonesOf.get(unit);
  if (known) return known;
  if (common === undefined) {
    const units: number[] = [];
    try {
      const gbk = new TextDecoder('gbk');
      for (let hi = 0xb0; hi <= 0xd7; hi++)
        for (let lo = 0xa1; lo <= 0xfe; lo++) {
          const c = gbk.decode(Uint8Array.of(hi, lo));
          if (c.length === 1 && c !== '\ufffd') units.push(c.charCodeAt(0));
        }
    } catch {
      // No GBK decoder (a small-icu build): no homophones.
    }
    common = Uint16Array.from(units);
  }
  const { pinyin } = createRequire(import.meta.url)('pinyin-pro') as typeof import('pinyin-pro');
  const read = (u: number) => pinyin(String.fromCharCode(u), { toneType: 'num' });
  const { syllableOf } = foldTables().pinyin;
  const syllable = syllableOf[unit]!;
  const sound = read(unit);
  const out: number[] = [];
  if (syllable !== 0) for (const u of common) if (u !== unit && syllableOf[u] === syllable && read(u) === sound) out.push(u);
  homophonesOf.set(unit, out);
  return out;
}

/** Every text `part` stands for: its {set} references replaced by each member in turn (a string: a reason to refuse). */
function expandPart(part: string, sets: ReadonlyMap<string, string[]>): string[] | string {
  let out = [''];
  let last = 0;
  for (const m of part.matchAll(SET_REF)) {
    const half = m[1]!.startsWith('~');
    // {≈级}: the character and its common homophones (顶{≈级}: 顶极, 顶集 …, never 订机: a character is kept).
    const sound = m[1]!.startsWith('≈') && m[1]!.length === 2 ? [m[1]![1]!, ...commonHomophones(m[1]!.charCodeAt(1)).map((u) => String.fromCharCode(u))] : undefined;
    const named = sound ?? sets.get(half ? m[1]!.slice(1) : m[1]!);
    if (!named) return `no set @${half ? m[1]!.slice(1) : m[1]} defined above in this file or in a set file`;
    const members = half ? withHalfPinyin(named) : named;
    const literal = part.slice(last, m.index);
    if (/[{}]/.test(literal)) return `"${part}" has an unmatched brace`;
    if (out.length * members.length > MAX_COMBINATIONS) return `"${part}" stands for more than ${MAX_COMBINATIONS} combinations`;
    out = out.flatMap((prefix) => members.map((member) => prefix + literal + member));
    last = m.index + m[0].length;
  }
  const rest = part.slice(last);
  if (/[{}]/.test(rest)) return `"${part}" has an unmatched brace`;
  return out.map((prefix) => prefix + rest);
}

/** The members each part of a near term stands for, when a part names a set; a string is a reason to refuse. */
function alternativesOf(phrase: string, sets: ReadonlyMap<string, string[]>): [string[], string[]] | string | undefined {
  if (!phrase.includes('{')) return undefined;
  const parts = phrase.split(NEAR_SEPARATOR);
  if (parts.length !== 2) return 'more than one … in a phrase';
  const out: string[][] = [];
  for (const part of parts) {
    const members = expandPart(part.trim(), sets);
    if (typeof members === 'string') return members;
    out.push(members);
  }
  return [out[0]!, out[1]!];
}

type FileKind = { kind: 'terms'; category: Category } | { kind: 'allow' } | { kind: 'sets' };

function fileKind(file: string): FileKind | undefined {
  const stem = basename(file).split('.')[0] ?? '';
  if (stem === 'allow') return { kind: 'allow' };
  if (stem === 'sets') return { kind: 'sets' };
  if ((CATEGORIES as readonly string[]).includes(stem)) return { kind: 'terms', category: stem as Category };
  return undefined;
}

/**
 * Parses one lexicon file's text. Problems are appended to `problems`; valid entries are returned.
 * `shared`: the sets of the directory's set files, visible in this file; a set file's own sets
 * are added to `shared` (see `loadLexiconDir`, which reads set files first).
 */
export function parseLexiconText(file: string, text: string, problems: LexiconProblem[], shared: Map<string, string[]> = new Map()): Lexicon {
  const out: Lexicon = { terms: [], allow: [] };
  const kind = fileKind(file);
  if (!kind) {
    problems.push({
      file,
      line: 0,
      entry: '',
      reason: `file name must start with one of ${[...CATEGORIES, 'allow', 'sets'].join(', ')} and end in .tsv`,
    });
    return out;
  }
  const lines = text.split(/\r?\n/);
  const sets = kind.kind === 'sets' ? shared : new Map<string, string[]>(shared);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const cols = trimmed.split(COLUMN_SPLIT);
    const at = { file, line: i + 1 };
    const fail = (reason: string) => problems.push({ ...at, entry: raw, reason });
    if (kind.kind === 'allow' && !trimmed.startsWith('@')) {
      if (cols.length > 2) {
        fail(`expected "phrase<TAB>categories", found ${cols.length} columns`);
        continue;
      }
      const cats = cols[1] === undefined || cols[1] === '*' ? [] : cols[1].split(',').map((c) => c.trim());
      // An allow line may name sets too (最好用{方法}): one allow phrase per combination.
      const phrases = cols[0]?.includes('{') ? expandPart(cols[0], sets) : [cols[0]];
      if (typeof phrases === 'string') {
        fail(phrases);
        continue;
      }
      for (const phrase of phrases) {
        const parsed = allowEntrySchema.safeParse({ phrase, categories: cats });
        if (!parsed.success) fail(describe(parsed.error));
        else out.allow.push({ ...parsed.data, ...at } satisfies AllowEntry);
      }
    } else if (trimmed.startsWith('@')) {
      const set = parseSet(cols);
      if (typeof set === 'string') fail(set);
      else if (shared.has(set.name) && kind.kind !== 'sets') fail(`set @${set.name} is already defined in a set file`);
      else if (sets.has(set.name)) fail(`set @${set.name} is defined twice`);
      else sets.set(set.name, set.members);
    } else if (kind.kind !== 'terms') {
      fail('a set file holds set lines only ("@name<TAB>member|member|…")');
    } else {
      if (cols.length < 2 || cols.length > 3) {
        fail(`expected "phrase<TAB>severity[<TAB>options]", found ${cols.length} column${cols.length === 1 ? '' : 's'}`);
        continue;
      }
      const options = cols[2] ? cols[2].split(',').map((o) => o.trim()) : [];
      const parsed = termEntrySchema.safeParse({ phrase: cols[0], category: kind.category, severity: cols[1], options });
      if (!parsed.success) {
        fail(describe(parsed.error));
        continue;
      }
      const phrase = parsed.data.phrase;
      if (phrase.includes('{') && !NEAR_SEPARATOR.test(phrase)) {
        // Adjacent sets: one term per combination, each checked like a line of its own.
        const expanded = expandPart(phrase, sets);
        if (typeof expanded === 'string') {
          fail(expanded);
          continue;
        }
        const long = expanded.find((t) => t.length > MAX_PHRASE_LENGTH);
        if (long) fail(`"${long}" is longer than ${MAX_PHRASE_LENGTH} characters`);
        else for (const t of expanded) out.terms.push({ ...parsed.data, phrase: t, ...at } satisfies TermEntry);
        continue;
      }
      const alternatives = alternativesOf(phrase, sets);
      if (typeof alternatives === 'string') fail(alternatives);
      else out.terms.push({ ...parsed.data, ...at, ...(alternatives ? { alternatives } : {}) } satisfies TermEntry);
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
  terms: readonly { phrase: unknown; category: unknown; severity: unknown; options?: unknown; file?: string; line?: number; alternatives?: TermEntry['alternatives'] }[];
  allow?: readonly { phrase: unknown; categories?: unknown; file?: string; line?: number }[];
}

/** Validates entries given in code with the same schema as files; throws `LexiconError` listing every problem. */
export function validateLexicon(input: LexiconInput): Lexicon {
  const problems: LexiconProblem[] = [];
  const lexicon: Lexicon = { terms: [], allow: [] };
  input.terms.forEach((t, i) => {
    const at = { file: t.file ?? '<code>', line: t.line ?? i + 1 };
    const parsed = termEntrySchema.safeParse({ ...t, options: t.options ?? [] });
    const alternatives = t.alternatives;
    const altsOk = alternatives === undefined || (alternatives.length === 2 && alternatives.every((part) => part.length > 0 && part.every((m) => typeof m === 'string' && m.length > 0)));
    if (parsed.success && !altsOk) problems.push({ ...at, entry: String(t.phrase), reason: 'alternatives must be two non-empty lists of non-empty strings' });
    else if (parsed.success) lexicon.terms.push({ ...parsed.data, ...at, ...(alternatives ? { alternatives } : {}) });
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
  lexicon.files = [];
  const shared = new Map<string, string[]>();
  // Set files first, so their sets are visible in every other file.
  const ordered = [...files.filter((f) => fileKind(f)?.kind === 'sets'), ...files.filter((f) => fileKind(f)?.kind !== 'sets')];
  for (const name of ordered) {
    const path = join(dir, name);
    lexicon.files.push(path);
    const part = parseLexiconText(path, readFileSync(path, 'utf8'), problems, shared);
    lexicon.terms.push(...part.terms);
    lexicon.allow.push(...part.allow);
  }
  if (problems.length > 0) throw new LexiconError(problems);
  return lexicon;
}
