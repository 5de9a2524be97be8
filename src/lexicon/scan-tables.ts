/**
 * A compiled lexicon laid out for the scan's per-match loop: each entry's codes and the checks it
 * needs as bytes, and each pattern's targets as flat typed columns, so a match reads a few array
 * slots instead of chasing PatternTarget and CompiledEntry objects of several shapes (`最低` alone
 * is a part of ten near terms: iterating those objects was a fifth of a claim-dense scan).
 * Built once per compiled lexicon, on its first scan.
 */
import { categoryIndex, severityRank } from '../flag.js';
import type { CompiledLexicon, PatternTarget } from './compile.js';

/** `checks` bits: what a whole-term match of the entry must pass beyond matching (see whole-term.ts). */
export const CHECK_ALLOW = 1;
export const CHECK_BOUNDARY_START = 2;
export const CHECK_BOUNDARY_END = 4;
export const CHECK_EXACT = 8;
export const CHECK_SOUND_ID = 16;
/** A two-character claim (not contact: those have `idafter`): on the pinyin lane it needs a character of its own or typed pinyin (sound-alike.ts). */
export const CHECK_SOUND_SHORT = 32;
/** An extreme claim with a marker (最, 第 …) after its first character: on the pinyin lane the marker and what follows must be its own (sound-alike.ts). */
export const CHECK_SOUND_LEAD = 64;

/** `kind` of a target. */
export const TARGET_WHOLE = 0;
/** A whole term through a spelling with its own word boundaries (a romanized form): `target[k]` holds them. */
export const TARGET_SPELLING = 1;
export const TARGET_NEAR_A = 2;
export const TARGET_NEAR_B = 3;

/** `spell` bits of a target: a spelling's own word-boundary needs (PatternTarget.boundaryStart/End), when it states them. */
export const SPELL_START_SET = 1;
export const SPELL_START = 2;
export const SPELL_END_SET = 4;
export const SPELL_END = 8;
/** `nearBits` of an entry: option `clauses` (the parts may be in neighbouring clauses). */
export const NEAR_CLAUSES = 1;

export interface ScanTables {
  /** By entry. */
  readonly category: Uint8Array;
  readonly severity: Uint8Array;
  readonly checks: Uint8Array;
  /** For allow entries: the categories suppressed (CompiledEntry.allowMask). */
  readonly allowMask: Uint8Array;
  /** NEAR_CLAUSES. */
  readonly nearBits: Uint8Array;
  /** Targets of pattern p: indices `from[p]` to `from[p + 1]` of the columns below. */
  readonly from: Int32Array;
  readonly entry: Int32Array;
  readonly kind: Uint8Array;
  /** A near part's set member (its text is `altText(alt)`), or -1. */
  readonly alt: Int32Array;
  /** SPELL_* bits, for TARGET_SPELLING targets (0 for others). */
  readonly spell: Uint8Array;
  /**
   * The same targets split in two, each in its original order: pattern p's targets other than near
   * B parts are `firstK[firstFrom[p] .. firstFrom[p + 1])`, its B parts `bK[bFrom[p] .. bFrom[p + 1])`
   * (indices into the columns above). B part j of a pattern has bit `min(j, 31)` of the pattern's
   * live mask (see scanner.ts): most B parts of a claim-dense text belong to entries whose A part
   * never came (`最低` ends ten near terms), and a mask skips them without reading each.
   */
  readonly firstFrom: Int32Array;
  readonly firstK: Int32Array;
  readonly bFrom: Int32Array;
  readonly bK: Int32Array;
  /** Entry e's B parts: pattern `bPattern[i]` with bit `bBit[i]`, for i in `entryBFrom[e] .. entryBFrom[e + 1])`. */
  readonly entryBFrom: Int32Array;
  readonly bPattern: Int32Array;
  readonly bBit: Uint8Array;
  /** Entry e's phrase, and set member a's text (a of `alt`): how a candidate's term is spelled out. */
  phrase(e: number): string;
  altText(a: number): string;
}

/** Characters that carry a superlative or ranking claim: evasion disguises these (蕞低, 弟一), not the words before them. */
const CLAIM_MARKERS = '最第首顶唯冠';
/** Index of the first claim marker after the phrase's first character, or -1. */
export function claimMarkerAt(phrase: string): number {
  for (let i = 1; i < phrase.length; i++) if (CLAIM_MARKERS.includes(phrase[i]!)) return i;
  return -1;
}

const cache = new WeakMap<CompiledLexicon, ScanTables>();

export function scanTables(lex: CompiledLexicon): ScanTables {
  let t = cache.get(lex);
  if (t === undefined) {
    t = build(lex);
    cache.set(lex, t);
  }
  return t;
}

/** What a compiled lexicon artifact carries of the tables (lexicon/artifact-payload.ts): all but what `adoptScanTables` rebuilds. */
export type ScanTablesData = Omit<ScanTables, 'phrase' | 'altText'>;

/**
 * Seeds the cache with tables restored from an artifact, instead of building them on the first
 * scan; `phrase` and `altText` read the texts without the entry objects (an artifact's lexicon
 * builds its entries only when something asks for them: the scan never does).
 */
export function adoptScanTables(lex: CompiledLexicon, data: ScanTablesData, phrase: (e: number) => string, altText: (a: number) => string): void {
  if (!cache.has(lex)) cache.set(lex, { ...data, phrase, altText });
}

/** The set members' texts, in the order of their ids (what `altText` reads). */
export function altTexts(t: ScanTables): string[] {
  const n = t.alt.reduce((m, a) => Math.max(m, a + 1), 0);
  return Array.from({ length: n }, (_, a) => t.altText(a));
}

/** The number of entries of a compiled lexicon, read from its tables (`lex.entries` may not be built). */
export function entryCount(lex: CompiledLexicon): number {
  return scanTables(lex).category.length;
}

function build(lex: CompiledLexicon): ScanTables {
  const entries = lex.entries;
  const category = new Uint8Array(entries.length);
  const severity = new Uint8Array(entries.length);
  const checks = new Uint8Array(entries.length);
  const allowMask = new Uint8Array(entries.length);
  const nearBits = new Uint8Array(entries.length);
  entries.forEach((e, i) => {
    allowMask[i] = e.allowMask;
    nearBits[i] = e.clauses === true ? NEAR_CLAUSES : 0;
    category[i] = e.category === null ? 0 : categoryIndex(e.category);
    severity[i] = severityRank(e.severity);
    checks[i] =
      (e.category === null ? CHECK_ALLOW : 0) |
      (e.boundaryStart ? CHECK_BOUNDARY_START : 0) |
      (e.boundaryEnd ? CHECK_BOUNDARY_END : 0) |
      (e.exact ? CHECK_EXACT : 0) |
      (e.soundNeedsId ? CHECK_SOUND_ID : 0) |
      (e.category !== null && e.category !== 'contact' && !e.near && e.phrase.length === 2 ? CHECK_SOUND_SHORT : 0) |
      (e.category === 'extreme' && !e.near && claimMarkerAt(e.phrase) > 0 ? CHECK_SOUND_LEAD : 0);
  });
  const total = lex.targets.reduce((n, ts) => n + ts.length, 0);
  const from = new Int32Array(lex.targets.length + 1);
  const entry = new Int32Array(total);
  const kind = new Uint8Array(total);
  const alt = new Int32Array(total).fill(-1);
  const spell = new Uint8Array(total);
  const alts: string[] = [];
  const altIds = new Map<string, number>();
  let k = 0;
  lex.targets.forEach((ts, p) => {
    from[p] = k;
    for (const t of ts) {
      entry[k] = t.entry;
      kind[k] = t.part === 0 ? TARGET_NEAR_A : t.part === 1 ? TARGET_NEAR_B : t.boundaryStart !== undefined || t.boundaryEnd !== undefined ? TARGET_SPELLING : TARGET_WHOLE;
      if (t.alt !== undefined) {
        let id = altIds.get(t.alt);
        if (id === undefined) altIds.set(t.alt, (id = alts.push(t.alt) - 1));
        alt[k] = id;
      }
      spell[k] = spellBits(t);
      k++;
    }
  });
  from[lex.targets.length] = k;
  const patterns = lex.targets.length;
  const firstFrom = new Int32Array(patterns + 1);
  const bFrom = new Int32Array(patterns + 1);
  const bCount = kind.reduce((n, x) => n + (x === TARGET_NEAR_B ? 1 : 0), 0);
  const firstK = new Int32Array(total - bCount);
  const bK = new Int32Array(bCount);
  const entryBFrom = new Int32Array(entries.length + 1);
  const bPattern = new Int32Array(bCount);
  const bBit = new Uint8Array(bCount);
  let f = 0;
  let b = 0;
  for (let p = 0; p < patterns; p++) {
    firstFrom[p] = f;
    bFrom[p] = b;
    for (let t = from[p]!; t < from[p + 1]!; t++) {
      if (kind[t] === TARGET_NEAR_B) {
        entryBFrom[entry[t]! + 1]!++;
        bK[b++] = t;
      } else firstK[f++] = t;
    }
  }
  firstFrom[patterns] = f;
  bFrom[patterns] = b;
  for (let e = 0; e < entries.length; e++) entryBFrom[e + 1]! += entryBFrom[e]!;
  const fill = entryBFrom.slice(0, entries.length);
  for (let p = 0; p < patterns; p++) {
    for (let j = bFrom[p]!; j < bFrom[p + 1]!; j++) {
      const i = fill[entry[bK[j]!]!]!++;
      bPattern[i] = p;
      bBit[i] = Math.min(j - bFrom[p]!, 31);
    }
  }
  return {
    firstFrom,
    firstK,
    bFrom,
    bK,
    entryBFrom,
    bPattern,
    bBit,
    category,
    severity,
    checks,
    allowMask,
    nearBits,
    from,
    entry,
    kind,
    alt,
    spell,
    phrase: (e) => entries[e]!.phrase,
    altText: (a) => alts[a]!,
  };
}

function spellBits(t: PatternTarget): number {
  const bit = (v: boolean | undefined, set: number, on: number) => (v === undefined ? 0 : set | (v ? on : 0));
  return bit(t.boundaryStart, SPELL_START_SET, SPELL_START) | bit(t.boundaryEnd, SPELL_END_SET, SPELL_END);
}
