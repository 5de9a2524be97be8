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
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../flag.js';
import type { CompiledLexicon } from '../lexicon/compile.js';

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

/** Column codes: a category is its index in CATEGORIES, a severity its rank in SEVERITIES. */
export const VIA_TEXT = 0;
export const VIA_DETECTOR = 1;
export const VIA_PINYIN = 2;
const VIAS: readonly Via[] = ['text', 'detector', 'pinyin'];
const CATEGORY_CODE: Readonly<Record<Category, number>> = { extreme: 0, exclusive: 1, medical: 2, contact: 3 };
const SEVERITY_CODE: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };
const VIA_CODE: Readonly<Record<Via, number>> = { text: VIA_TEXT, detector: VIA_DETECTOR, pinyin: VIA_PINYIN };

export const categoryCode = (c: Category): number => CATEGORY_CODE[c];
export const severityCode = (s: Severity): number => SEVERITY_CODE[s];

export class CandidateList implements CandidateSink {
  count = 0;
  start = new Int32Array(256);
  end = new Int32Array(256);
  category = new Uint8Array(256);
  severity = new Uint8Array(256);
  via = new Uint8Array(256);
  /** >= 0: a lexicon entry, whose phrase is the term; < 0: `names[-term - 1]`. */
  term = new Int32Array(256);
  /** >= 0: a near term matched through set members: its term is `names[alt]…names[alt + 1]`. */
  alt = new Int32Array(256);
  /** Terms that are no entry's phrase (detector names, set members); references only, no new strings. */
  readonly names: string[] = [];

  reset(): void {
    this.count = 0;
    if (this.names.length !== 0) this.names.length = 0;
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

  /** Appends a near term found through set members `a` and `b` (湿疹…好了). */
  addAlt(category: number, severity: number, start: number, end: number, entry: number, a: string, b: string): void {
    const i = this.add(category, severity, start, end, VIA_TEXT, entry);
    this.alt[i] = this.names.length;
    this.names.push(a, b);
  }

  /** Appends a candidate given as an object (detectors, tests). */
  push(c: Candidate): number {
    this.names.push(c.term);
    this.add(CATEGORY_CODE[c.category], SEVERITY_CODE[c.severity], c.start, c.end, VIA_CODE[c.via], -this.names.length);
    return this.count;
  }

  /** The term of candidate `i`; `phrases[e]` is entry e's phrase. */
  termOf(i: number, phrases: (entry: number) => string): string {
    const alt = this.alt[i]!;
    if (alt >= 0) return `${this.names[alt]}…${this.names[alt + 1]}`;
    const t = this.term[i]!;
    return t >= 0 ? phrases(t) : this.names[-t - 1]!;
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
  get(i: number, phrases: (entry: number) => string = String): Candidate {
    return { category: this.categoryOf(i), term: this.termOf(i, phrases), severity: this.severityOf(i), start: this.start[i]!, end: this.end[i]!, via: this.viaOf(i) };
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
    this.category = grow(this.category, (n) => new Uint8Array(n));
    this.severity = grow(this.severity, (n) => new Uint8Array(n));
    this.via = grow(this.via, (n) => new Uint8Array(n));
  }
}

/** Each entry's category and severity codes (an allow entry's category code is unused). */
export interface EntryCodes {
  category: Uint8Array;
  severity: Uint8Array;
}

const entryCodeCache = new WeakMap<CompiledLexicon, EntryCodes>();

/** The codes of `lex`'s entries, computed once per compiled lexicon. */
export function entryCodes(lex: CompiledLexicon): EntryCodes {
  let codes = entryCodeCache.get(lex);
  if (codes === undefined) {
    const n = lex.entries.length;
    codes = { category: new Uint8Array(n), severity: new Uint8Array(n) };
    for (let e = 0; e < n; e++) {
      const entry = lex.entries[e]!;
      codes.category[e] = entry.category === null ? 0 : CATEGORY_CODE[entry.category];
      codes.severity[e] = SEVERITY_CODE[entry.severity];
    }
    entryCodeCache.set(lex, codes);
  }
  return codes;
}
