/**
 * Matches a stream chunk leaves open at its end, held for the next chunk instead of flagged early:
 *
 * - a term that heads a family of longer terms (a cure verb put on every condition: 根治 → 根治高血压,
 *   治疗 → 治疗湿疹) with nothing but spaces after it: its object may open the next chunk
 *   (这个膏药能根治 | 腰椎间盘突出), and the longer term, found across the seam, is the flag;
 * - a term followed only by the start of a Latin word that begins some term, perhaps after a short
 *   word or two (Message me on What | sApp);
 * - a contact cue followed only by the first digits of a number, written or spoken (打我电话幺三五 |
 *   八八六七…): the cue and its number are one phrase, which completes on the next chunk.
 *
 * A held match is put back among the next chunk's candidates: a longer one found across the seam
 * hides it (resolve.ts, leftmost-longest), and otherwise it is flagged there, late by one chunk,
 * with its text in `carried`. A single message (`scan`) holds nothing: it is whole.
 */
import { categoryIndex } from '../flag.js';
import type { CompiledLexicon } from '../lexicon/compile.js';
import { CHECK_ALLOW, scanTables } from '../lexicon/scan-tables.js';
import { VIA_DETECTOR, type CandidateList } from './candidate.js';

/** Longer terms a term must head to be held: verbs put on a set of objects (≥ 32), not a claim with a variant or two (全网最低 → 全网最低价). */
export const MIN_FAMILY = 32;
/** Shortest start of a Latin word held for. */
const MIN_LATIN_PREFIX = 2;

export interface OpenEnds {
  /** heads[entry] = 1: the entry's form begins MIN_FAMILY or more longer terms. */
  readonly heads: Uint8Array;
  /** Proper starts (≥ MIN_LATIN_PREFIX) of terms spelled in Latin letters, lower case. */
  readonly latinStarts: ReadonlySet<string>;
}

const cache = new WeakMap<CompiledLexicon, OpenEnds>();

/** The lexicon's open ends, built on the first stream chunk scanned with it. */
export function openEnds(lex: CompiledLexicon): OpenEnds {
  let o = cache.get(lex);
  if (o === undefined) cache.set(lex, (o = build(lex)));
  return o;
}

function build(lex: CompiledLexicon): OpenEnds {
  const tables = scanTables(lex);
  const byForm = new Map<string, number[]>();
  lex.forms.forEach((f, e) => {
    if ((tables.checks[e]! & CHECK_ALLOW) !== 0 || f.includes('…')) return;
    const list = byForm.get(f);
    if (list) list.push(e);
    else byForm.set(f, [e]);
  });
  const family = new Map<string, number>();
  const latinStarts = new Set<string>();
  for (const f of byForm.keys()) {
    for (let l = 1; l < f.length; l++) {
      const p = f.slice(0, l);
      if (byForm.has(p)) family.set(p, (family.get(p) ?? 0) + 1);
    }
    if (/^[a-z]/.test(f)) for (let l = MIN_LATIN_PREFIX; l < f.length; l++) latinStarts.add(f.slice(0, l));
  }
  const heads = new Uint8Array(tables.category.length);
  for (const [f, n] of family) if (n >= MIN_FAMILY) for (const e of byForm.get(f)!) heads[e] = 1;
  return { heads, latinStarts };
}

/** A candidate held over a chunk seam (stream-global offsets, as in CandidateList). */
export interface HeldCandidate {
  category: number;
  severity: number;
  start: number;
  end: number;
  via: number;
  term: number;
  alt: number;
  alt2: number;
}

const SPACE = /\s/;

/**
 * Is the kept candidate `i` open at the end of `text` (starting at stream-global `base`)? Reads
 * only the units after the candidate, at most the length of a Latin term.
 */
function isOpen(c: CandidateList, i: number, text: string, base: number, ends: OpenEnds): boolean {
  if (c.via[i] === VIA_DETECTOR || c.term[i]! < 0) return false;
  let j = c.end[i]! - base;
  // A match ending at or before this chunk's start was held once already: it is flagged now.
  if (j <= 0 || text.length - j > 40) return false;
  while (j < text.length && SPACE.test(text[j]!)) j++;
  if (j === text.length) return c.alt[i]! < 0 && ends.heads[c.term[i]!] === 1;
  if (c.category[i] === CONTACT && numberBegunAtEnd(text, j)) return true;
  // The chunk ends inside a Latin word that begins a term, with at most two short words before it (on, via).
  const rest = LATIN_REST.exec(text.slice(j));
  return rest !== null && ends.latinStarts.has(rest[1]!.toLowerCase());
}
const LATIN_REST = /^(?:[A-Za-z]{1,4}\s+){0,2}([A-Za-z]+)$/;

const CONTACT = categoryIndex('contact');
/** Digits as written (half/full width, circled) or spoken (幺, 两, 洞, 壹 …), and what groups them. */
const DIGIT_UNITS = new Set([...'0123456789０１２３４５６７８９零〇一二三四五六七八九幺两洞壹贰叁肆伍陆柒捌玖']);
const GROUPING = new Set([...' -.·、_－—\u3000']);
/** Fewer digits than the number detector reads (5): a longer run is its own held reading (contact-numbers.ts). */
const MAX_BEGUN = 4;
/** Does `text` from `j` hold only the start of a number (1 to MAX_BEGUN digits, maybe grouped) to its end? */
function numberBegunAtEnd(text: string, j: number): boolean {
  let digits = 0;
  for (; j < text.length; j++) {
    const ch = text[j]!;
    const u = ch.charCodeAt(0);
    if (DIGIT_UNITS.has(ch) || (u >= 0x2460 && u <= 0x2473)) digits++;
    else if (!GROUPING.has(ch) && !SPACE.test(ch)) return false;
  }
  return digits > 0 && digits <= MAX_BEGUN;
}

/**
 * Moves the kept candidates open at the chunk's end (see the module comment) from `kept[0, n)` to
 * `held`; returns how many stay kept.
 */
export function holdOpenEnds(c: CandidateList, kept: Int32Array, n: number, text: string, base: number, lex: CompiledLexicon, held: HeldCandidate[]): number {
  if (n === 0) return 0;
  // Only the last few kept candidates can reach the end: look back while they end near it.
  let from = n;
  while (from > 0 && c.end[kept[from - 1]!]! - base >= text.length - 40) from--;
  if (from === n) return n;
  const ends = openEnds(lex);
  let out = from;
  for (let k = from; k < n; k++) {
    const i = kept[k]!;
    if (isOpen(c, i, text, base, ends)) {
      held.push({ category: c.category[i]!, severity: c.severity[i]!, start: c.start[i]!, end: c.end[i]!, via: c.via[i]!, term: c.term[i]!, alt: c.alt[i]!, alt2: c.alt2[i]! });
    } else kept[out++] = i;
  }
  return out;
}

/** Puts the candidates held at the last chunk's end among this chunk's, and forgets them. */
export function releaseHeld(held: HeldCandidate[], c: CandidateList): void {
  for (const h of held) {
    const i = c.add(h.category, h.severity, h.start, h.end, h.via, h.term);
    c.alt[i] = h.alt;
    c.alt2[i] = h.alt2;
  }
  held.length = 0;
}
