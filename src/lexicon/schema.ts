/**
 * The lexicon entry schema. Lexicon files are line-oriented text (see `load.ts` and the README);
 * each parsed line is validated here so a bad entry is refused with its file, line and reason.
 */
import { z } from 'zod';
import { CATEGORIES, SEVERITIES } from '../flag.js';

/** `clauses`: a near term whose parts may stand in neighbouring clauses of one sentence (detect/near.ts). */
export const TERM_OPTIONS = ['phonetic', 'nophonetic', 'exact', 'idafter', 'clauses'] as const;
export type TermOption = (typeof TERM_OPTIONS)[number];

/** Longest phrase accepted, in UTF-16 units (the automaton's per-stream carry is bounded by it). */
export const MAX_PHRASE_LENGTH = 48;

const phrase = z
  .string()
  .trim()
  .min(1, 'phrase is empty')
  .max(MAX_PHRASE_LENGTH, `phrase is longer than ${MAX_PHRASE_LENGTH} characters`)
  .refine((s) => !/[\t\r\n]/.test(s), 'phrase contains a tab or newline');

export const termEntrySchema = z.object({
  phrase,
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES, { error: `severity must be one of ${SEVERITIES.join(', ')}` }),
  options: z
    .array(z.enum(TERM_OPTIONS, { error: `unknown option; known options: ${TERM_OPTIONS.join(', ')}` }))
    .refine((o) => !(o.includes('phonetic') && o.includes('nophonetic')), 'phonetic and nophonetic both set')
    .refine((o) => !(o.includes('idafter') && o.includes('nophonetic')), 'idafter (a rule for matches by sound) and nophonetic both set'),
});

export const allowEntrySchema = z.object({
  phrase,
  /** Categories the phrase suppresses; empty means every category. */
  categories: z.array(z.enum(CATEGORIES, { error: `category must be one of ${CATEGORIES.join(', ')} or *` })),
});

export type TermEntryFields = z.infer<typeof termEntrySchema>;
export type AllowEntryFields = z.infer<typeof allowEntrySchema>;

/** Where an entry came from, kept so every later diagnostic can point at `file:line`. */
export interface Source {
  file: string;
  line: number;
}

export interface TermEntry extends TermEntryFields, Source {
  /**
   * A near term written with named sets (`{病症}…{见好}`, see load.ts): the members each part
   * stands for, as written. Absent for every other term.
   */
  alternatives?: readonly [readonly string[], readonly string[]];
}
export interface AllowEntry extends AllowEntryFields, Source {}

/** The validated content of a lexicon directory (or of entries given in code). */
export interface Lexicon {
  terms: TermEntry[];
  allow: AllowEntry[];
  /**
   * Every file read (set by `loadLexiconDir`), including files with no entry, so a reload can tell
   * a file that was emptied from one that never had entries. Absent for entries given in code.
   */
  files?: string[];
}
