/**
 * Lexicon → one automaton over both lanes. Each term is normalized by the same Normalizer the text
 * goes through, so a term can only ever be compared with text folded the same way. A CJK term of
 * three or more characters (or with option `phonetic`) also gets a pinyin-lane pattern read in
 * context, which is what catches homophones (降学压) and pinyin (jiang xue ya).
 * Identical patterns are shared: one pattern id points at every entry that produced it.
 *
 * A term that mixes Latin letters and CJK (QQ号, 加V, vx号) also gets its romanized spelling as a
 * text-lane pattern (qqhao, jiav, vxhao): such terms have no pinyin-lane form, and a viewer who
 * writes 号 as "hao" next to "qq" is spelling the same thing.
 *
 * A term written `A … B` (or `A ... B`) is a near term: A, then B within `NEAR_GAP` text-lane units
 * (`全网…最低` finds 全网价格最低 and 全网我们家最低). Its parts are separate patterns; the scanner
 * pairs them (src/detect/near.ts). Near parts are text-lane only.
 */
import { LexiconError, type LexiconProblem } from '../errors.js';
import type { Category, Severity } from '../flag.js';
import { buildAutomaton } from '../match/builder.js';
import type { Automaton } from '../match/automaton.js';
import { Normalizer } from '../normalize/normalizer.js';
import { foldTables } from '../normalize/tables.js';
import type { Lexicon } from './schema.js';

export type Lane = 'text' | 'pinyin';

/** One lexicon line as the matcher needs it. Allow entries have `allow` set and no category. */
export interface CompiledEntry {
  phrase: string;
  category: Category | null;
  severity: Severity;
  /** For allow entries: bit mask of the categories suppressed (all bits when the file says `*`). */
  allowMask: number;
  /** Text-lane pattern starts/ends with a Latin letter or digit: needs a word boundary there. */
  boundaryStart: boolean;
  boundaryEnd: boolean;
  exact: boolean;
  /** Option `clauses` (near terms): the parts may be in neighbouring clauses, up to NEAR_GAP_CLAUSES apart. */
  clauses?: boolean;
  /** Option `idafter`: a match by sound in none of the phrase's characters (嘉薇 for 加微) needs an id after it. */
  soundNeedsId: boolean;
  /** A near term (`A … B`): its two parts are matched apart and paired by the scanner. */
  near: boolean;
  file: string;
  line: number;
}

export interface PatternTarget {
  entry: number;
  lane: Lane;
  /** For a near term: which part (0 = A, 1 = B) this pattern is. */
  part?: 0 | 1;
  /** Word-boundary needs of this spelling when they differ from the entry's (a romanized form). */
  boundaryStart?: boolean;
  boundaryEnd?: boolean;
  /** For a near term written with sets: this part's member as written (the flag's term is `A…B` of the members matched). */
  alt?: string;
}

export interface CompiledLexicon {
  readonly automaton: Automaton;
  readonly entries: readonly CompiledEntry[];
  /** targets[patternId] */
  readonly targets: readonly (readonly PatternTarget[])[];
  /**
   * soleEntry[patternId]: the entry when that pattern's only target is a plain one (no near-term
   * part, the entry's own boundaries), else -1. The scanner's per-match path reads this typed array
   * instead of chasing targets[p][0] through three heap objects (cache misses on a 20k lexicon).
   */
  readonly soleEntry: Int32Array;
  /** Some pattern lives on the pinyin lane; without one the sounds lane is not searched. */
  readonly hasPinyin: boolean;
  /** Text-lane form of each entry (for `lexicon check`); a near term's parts joined by `…`. */
  readonly forms: readonly string[];
  /** Some entry is a near term (`A … B`). */
  readonly hasNear: boolean;
  /**
   * Entries (term and allow lines) per source file, files read with none included as 0: what the
   * hot-reload guard (reload-guard.ts) compares to refuse a reload that empties or loses a file.
   * A plain object, so it survives the structured clone from the compile worker.
   */
  readonly fileEntries: Readonly<Record<string, number>>;
}

export const CATEGORY_BIT: Readonly<Record<Category, number>> = { extreme: 1, exclusive: 2, medical: 4, contact: 8 };
const ALL_CATEGORIES = 15;
const PHONETIC_MIN_CHARS = 3;
const CJK = /^[\u3400-\u9fff\uf900-\ufaff]+$/;
const HAS_CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
const HAS_LATIN = /[A-Za-z\uff21-\uff3a\uff41-\uff5a]/;
/** Splits a near term: `A … B` or `A ... B`. */
export const NEAR_SEPARATOR = /\s*(?:\u2026|\.{3})\s*/;
const SET_REFERENCE = /\{[^{}]+\}/;

/** Compiles a validated lexicon. Throws LexiconError for entries that normalize to nothing. */
export function compileLexicon(lexicon: Lexicon): CompiledLexicon {
  const normalizer = new Normalizer();
  const fold = foldTables();
  const entries: CompiledEntry[] = [];
  const forms: string[] = [];
  const patterns: string[] = [];
  const targets: PatternTarget[][] = [];
  const idOf = new Map<string, number>();
  const problems: LexiconProblem[] = [];

  const addPattern = (pattern: string, target: PatternTarget) => {
    let id = idOf.get(pattern);
    if (id === undefined) {
      id = patterns.length;
      patterns.push(pattern);
      targets.push([]);
      idOf.set(pattern, id);
    }
    targets[id]!.push(target);
  };
  const textForm = (phrase: string) => {
    const lane = normalizer.normalize(phrase).text;
    return String.fromCharCode.apply(null, lane.codes.subarray(0, lane.length) as unknown as number[]);
  };
  const isWordUnit = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
  /** Adds the entry of a term line; returns its index. */
  const addTermEntry = (term: Lexicon['terms'][number], near: boolean, boundaryStart: boolean, boundaryEnd: boolean, form: string): number => {
    const entry = entries.length;
    entries.push({
      phrase: term.phrase,
      category: term.category,
      severity: term.severity,
      allowMask: 0,
      boundaryStart,
      boundaryEnd,
      exact: term.options.includes('exact'),
      clauses: term.options.includes('clauses'),
      soundNeedsId: term.options.includes('idafter'),
      near,
      file: term.file,
      line: term.line,
    });
    forms.push(form);
    return entry;
  };

  /** A near term over named sets: one entry, a text-lane pattern per member of each part. */
  const addSetTerm = (term: Lexicon['terms'][number], alternatives: readonly [readonly string[], readonly string[]]) => {
    const partForms = alternatives.map((members) => members.map(textForm));
    const empty = partForms.flatMap((forms, p) => forms.flatMap((f, k) => (f.length === 0 ? [alternatives[p]![k]!] : [])));
    if (empty.length > 0) {
      problems.push({ file: term.file, line: term.line, entry: term.phrase, reason: `set member${empty.length > 1 ? 's' : ''} ${empty.map((m) => `"${m}"`).join(', ')} normalize${empty.length > 1 ? '' : 's'} to nothing` });
      return;
    }
    const boundaryStart = partForms[0]!.some((f) => isWordUnit(f.charCodeAt(0)));
    const boundaryEnd = partForms[1]!.some((f) => isWordUnit(f.charCodeAt(f.length - 1)));
    const entry = addTermEntry(term, true, boundaryStart, boundaryEnd, term.phrase);
    partForms.forEach((forms, part) => forms.forEach((f, k) => addPattern(f, { entry, lane: 'text', part: part as 0 | 1, alt: alternatives[part]![k]! })));
  };

  for (const term of lexicon.terms) {
    if (term.alternatives) {
      addSetTerm(term, term.alternatives);
      continue;
    }
    if (SET_REFERENCE.test(term.phrase)) {
      problems.push({ file: term.file, line: term.line, entry: term.phrase, reason: 'names a {set}, but no set was given (sets are defined in lexicon files: @name<TAB>a|b)' });
      continue;
    }
    const parts = term.phrase.split(NEAR_SEPARATOR);
    if (parts.length > 2) {
      problems.push({ file: term.file, line: term.line, entry: term.phrase, reason: 'a near term has exactly two parts: "A … B"' });
      continue;
    }
    const near = parts.length === 2;
    const partForms = parts.map(textForm);
    if (partForms.some((f) => f.length === 0)) {
      problems.push({ file: term.file, line: term.line, entry: term.phrase, reason: near ? 'a part of this near term normalizes to nothing' : 'phrase normalizes to nothing (only spaces, symbols or emoji)' });
      continue;
    }
    const form = partForms.join(near ? '\u2026' : '');
    const first = partForms[0]!;
    const last = partForms[partForms.length - 1]!;
    const entry = addTermEntry(term, near, isWordUnit(first.charCodeAt(0)), isWordUnit(last.charCodeAt(last.length - 1)), form);
    if (near) {
      addPattern(first, { entry, lane: 'text', part: 0 });
      addPattern(last, { entry, lane: 'text', part: 1 });
      continue;
    }
    addPattern(form, { entry, lane: 'text' });
    if (HAS_CJK.test(term.phrase) && HAS_LATIN.test(term.phrase)) {
      const roman = textForm(fold.pinyin.romanize(term.phrase));
      if (roman.length > 0 && roman !== form) {
        addPattern(roman, { entry, lane: 'text', boundaryStart: isWordUnit(roman.charCodeAt(0)), boundaryEnd: isWordUnit(roman.charCodeAt(roman.length - 1)) });
      }
    }

    // Pinyin lane: CJK terms only, read in context; noise characters are dropped first.
    let bare = '';
    for (const ch of term.phrase) if (ch.length === 1 && fold.fold[ch.charCodeAt(0)] !== 0) bare += ch;
    const phonetic = term.options.includes('phonetic') || term.options.includes('idafter') || (bare.length >= PHONETIC_MIN_CHARS && !term.options.includes('nophonetic'));
    if (phonetic && CJK.test(bare)) {
      // In context (偏宜, zui pian yi) and as the text lane reads each character (zui便宜: 便 is bian).
      const read = (s: Uint16Array | undefined) => (s ? String.fromCharCode.apply(null, s as unknown as number[]) : undefined);
      const inContext = read(fold.pinyin.termSounds(bare));
      const byChar = read(fold.pinyin.charSounds(bare));
      if (inContext !== undefined) addPattern(inContext, { entry, lane: 'pinyin' });
      if (byChar !== undefined && byChar !== inContext) addPattern(byChar, { entry, lane: 'pinyin' });
    }
  }
  for (const allow of lexicon.allow) {
    const form = textForm(allow.phrase);
    if (form.length === 0) {
      problems.push({ file: allow.file, line: allow.line, entry: allow.phrase, reason: 'allow phrase normalizes to nothing' });
      continue;
    }
    const mask = allow.categories.length === 0 ? ALL_CATEGORIES : allow.categories.reduce((m, c) => m | CATEGORY_BIT[c], 0);
    const entry = entries.length;
    entries.push({
      phrase: allow.phrase,
      category: null,
      severity: 'low',
      allowMask: mask,
      boundaryStart: isWordUnit(form.charCodeAt(0)),
      boundaryEnd: isWordUnit(form.charCodeAt(form.length - 1)),
      exact: false,
      soundNeedsId: false,
      near: false,
      file: allow.file,
      line: allow.line,
    });
    forms.push(form);
    addPattern(form, { entry, lane: 'text' });
  }
  if (problems.length > 0) throw new LexiconError(problems);
  const automaton = buildAutomaton(patterns, { collapseRepeats: true });
  const hasPinyin = targets.some((ts) => ts.some((t) => t.lane === 'pinyin'));
  const hasNear = entries.some((e) => e.near);
  const soleEntry = new Int32Array(patterns.length).fill(-1);
  for (let p = 0; p < patterns.length; p++) {
    const ts = targets[p]!;
    const t = ts[0]!;
    if (ts.length === 1 && t.part === undefined && t.boundaryStart === undefined && t.boundaryEnd === undefined) soleEntry[p] = t.entry;
  }
  const fileEntries: Record<string, number> = {};
  for (const file of lexicon.files ?? []) fileEntries[file] = 0;
  for (const e of entries) fileEntries[e.file] = (fileEntries[e.file] ?? 0) + 1;
  return { automaton, entries, targets, soleEntry, forms, hasPinyin, hasNear, fileEntries };
}
