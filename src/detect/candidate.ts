/**
 * A finding before resolution: a lexicon match or a detector hit, with its span in stream-global
 * original offsets (offset 0 = first unit of the stream's first chunk; for a single message, the
 * message itself).
 *
 * The scan keeps them in a `CandidateList`, columns of typed arrays reused from chunk to chunk, not
 * one object each: text dense with claims (全网最低价， × 10,000) yields over a candidate per unit,
 * and as objects those cost more in allocation and garbage collection than the whole rest of the
 * scan (40 of 55 ms on 64K units, where ordinary speech scans in 3 ms).
 */
import { CATEGORIES, categoryIndex, SEVERITIES, severityRank, type Category, type Severity } from '../flag.js';

export type Via = 'text' | 'pinyin' | 'detector';

/** One candidate as an object: what detectors push, and what tests build and read. */
export interface Candidate {
  category: Category;
  term: string;
  severity: Severity;
  start: number;
  end: number;
  via: Via;
}

/** Where detectors put what they find: a `CandidateList` in the scan, a plain array in tests. */
export interface CandidateSink {
  push(c: Candidate): unknown;
}

/**
 * Adds a contact detector's hit (`term`: its name, such as phone, url or handle) to `out`: straight
 * into the columns of the scan's CandidateList, as an object into any other sink (tests, a held
 * reading). A message of hundreds of phone numbers and links made an object per hit.
 */
export function addContact(out: CandidateSink, term: string, start: number, end: number, via: Via = 'detector'): void {
  if (out instanceof CandidateList) out.add(CONTACT_CODE, HIGH_CODE, start, end, VIA_CODE[via], nameCode(term));
  else out.push({ category: 'contact', term, severity: 'high', start, end, via });
}

/** Column codes: a category is its index in CATEGORIES, a severity its rank in SEVERITIES. */
export const VIA_TEXT = 0;
export const VIA_DETECTOR = 1;
export const VIA_PINYIN = 2;
const VIAS: readonly Via[] = ['text', 'detector', 'pinyin'];
const CATEGORY_CODE = Object.fromEntries(CATEGORIES.map((c) => [c, categoryIndex(c)])) as Readonly<Record<Category, number>>;
const SEVERITY_CODE = Object.fromEntries(SEVERITIES.map((s) => [s, severityRank(s)])) as Readonly<Record<Severity, number>>;
const VIA_CODE: Readonly<Record<Via, number>> = { text: VIA_TEXT, detector: VIA_DETECTOR, pinyin: VIA_PINYIN };

const CONTACT_CODE = CATEGORY_CODE.contact;
const HIGH_CODE = SEVERITY_CODE.high;

/** Spells out terms kept as numbers: entry e's phrase, set member a's text (lexicon/scan-tables.ts). */
export interface TermSource {
  phrase(entry: number): string;
  altText(alt: number): string;
}

const NO_TERMS: TermSource = { phrase: String, altText: String };

/**
 * Terms that are no lexicon entry's phrase: the detectors' names (phone, url, handle …), a handful
 * written in code, so kept once for the process rather than per scan (a message of 800 phone
 * numbers and links made a name array per scan).
 */
const NAMES: string[] = [];
const NAME_CODES = new Map<string, number>();

/** The `term` column's code for a detector name (negative). */
function nameCode(name: string): number {
  let code = NAME_CODES.get(name);
  if (code === undefined) {
    NAMES.push(name);
    code = -NAMES.length;
    NAME_CODES.set(name, code);
  }
  return code;
}

export class CandidateList implements CandidateSink {
  count = 0;
  start = new Int32Array(256);
  end = new Int32Array(256);
  category = new Uint8Array(256);
  severity = new Uint8Array(256);
  via = new Uint8Array(256);
  /** >= 0: a lexicon entry, whose phrase is the term; < 0: `termName(term)`, a detector's name. */
  term = new Int32Array(256);
  /** >= 0: a near term matched through set members: its term is `altText(alt)…altText(alt2)`. */
  alt = new Int32Array(256);
  alt2 = new Int32Array(256);
  reset(): void {
    this.count = 0;
  }

  /** Appends a candidate; returns its index. `term` as in the `term` column. */
  add(category: number, severity: number, start: number, end: number, via: number, term: number): number {
    if (this.count === this.start.length) this.#grow();
    const i = this.count++;
    this.start[i] = start;
    this.end[i] = end;
    this.category[i] = category;
    this.severity[i] = severity;
    this.via[i] = via;
    this.term[i] = term;
    this.alt[i] = -1;
    return i;
  }

  /** Appends a near term found through set members `a` and `b` (ids as `TermSource.altText` reads them: 湿疹…好了). */
  addAlt(category: number, severity: number, start: number, end: number, entry: number, a: number, b: number): void {
    const i = this.add(category, severity, start, end, VIA_TEXT, entry);
    this.alt[i] = a;
    this.alt2[i] = b;
  }

  /** Appends a candidate given as an object (detectors, tests). */
  push(c: Candidate): number {
    this.add(CATEGORY_CODE[c.category], SEVERITY_CODE[c.severity], c.start, c.end, VIA_CODE[c.via], nameCode(c.term));
    return this.count;
  }

  /** The term of candidate `i`. */
  termOf(i: number, terms: TermSource): string {
    const alt = this.alt[i]!;
    if (alt >= 0) return `${terms.altText(alt)}…${terms.altText(this.alt2[i]!)}`;
    const t = this.term[i]!;
    return t >= 0 ? terms.phrase(t) : NAMES[-t - 1]!;
  }

  categoryOf(i: number): Category {
    return CATEGORIES[this.category[i]!]!;
  }

  severityOf(i: number): Severity {
    return SEVERITIES[this.severity[i]!]!;
  }

  viaOf(i: number): Via {
    return VIAS[this.via[i]!]!;
  }

  /** Candidate `i` as an object (tests and diagnostics). */
  get(i: number, terms: TermSource = NO_TERMS): Candidate {
    return { category: this.categoryOf(i), term: this.termOf(i, terms), severity: this.severityOf(i), start: this.start[i]!, end: this.end[i]!, via: this.viaOf(i) };
  }

  #grow(): void {
    const cap = 2 * this.start.length;
    const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.start = grow(this.start, (n) => new Int32Array(n));
    this.end = grow(this.end, (n) => new Int32Array(n));
    this.term = grow(this.term, (n) => new Int32Array(n));
    this.alt = grow(this.alt, (n) => new Int32Array(n));
    this.alt2 = grow(this.alt2, (n) => new Int32Array(n));
    this.category = grow(this.category, (n) => new Uint8Array(n));
    this.severity = grow(this.severity, (n) => new Uint8Array(n));
    this.via = grow(this.via, (n) => new Uint8Array(n));
  }
}
