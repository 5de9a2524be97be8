/**
 * Near terms (`A … B` in a lexicon): A, then B within `NEAR_GAP` text-lane units, in one sentence.
 * The automaton finds each part like any pattern; this pairs them: every B with the closest A of
 * the same entry that ends before it. Noise does not count toward the gap (it is not in the lane),
 * so `全 网 价 格 最 低` pairs like `全网价格最低`; a clause or sentence break (，。！？；、 and
 * their ASCII forms, or a line break) between the parts does not pair: `全国包邮，最低两件起` is two
 * statements. English parts (`best … in the world`) may be up to NEAR_GAP_LATIN units apart. A stream keeps the A parts of its last chunk that a later B could still
 * reach, so a near term split across chunks is found on the chunk where B arrives.
 *
 *   全网…最低   全网最低 ✓   全网价格最低 ✓   全网我们家的价格是最低 ✓ (8 units between)
 *               全网都有卖，我们最低 ✗ (clause break)   全网……(9 or more units)……最低 ✗
 */
import { CLAUSE_BREAKS } from '../normalize/symbols.js';
import type { CompiledLexicon } from '../lexicon/compile.js';
import type { Candidate } from './candidate.js';

/** Most text-lane units allowed between the parts: about 8 characters, or 3 to 4 English words. */
export const NEAR_GAP = 8;
export const NEAR_GAP_LATIN = 24;

export interface NearPart {
  entry: number;
  part: 0 | 1;
  /** Lane positions (stream-global in a stream). */
  laneStart: number;
  laneEnd: number;
  /** Original offsets (stream-global in a stream). */
  start: number;
  end: number;
  /** The set member this part matched, for a near term written with sets. */
  alt?: string;
}

function hasClauseBreak(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (CLAUSE_BREAKS.has(s.charCodeAt(i))) return true;
  return false;
}

/**
 * Appends a candidate for every B part paired with an A part. `earlier` holds A parts carried from
 * the stream's previous chunks; `textBetween(from, to)` returns the original text between two
 * stream-global offsets (as far as the stream still holds it); `accept` applies the entry's
 * word-boundary checks to the paired span.
 */
export function pairNear(
  lex: CompiledLexicon,
  parts: readonly NearPart[],
  earlier: readonly NearPart[],
  textBetween: (from: number, to: number) => string,
  accept: (entry: number, a: NearPart, b: NearPart) => boolean,
  out: Candidate[],
): void {
  for (const b of parts) {
    if (b.part !== 1) continue;
    let best: NearPart | undefined;
    const gap = lex.entries[b.entry]!.boundaryStart ? NEAR_GAP_LATIN : NEAR_GAP;
    const consider = (a: NearPart) => {
      if (a.part !== 0 || a.entry !== b.entry || a.laneEnd > b.laneStart || b.laneStart - a.laneEnd > gap) return;
      if (!best || a.laneEnd > best.laneEnd) best = a;
    };
    for (const a of earlier) consider(a);
    for (const a of parts) consider(a);
    if (!best || !accept(b.entry, best, b) || hasClauseBreak(textBetween(best.end, b.start))) continue;
    const entry = lex.entries[b.entry]!;
    // A set term reports the members it matched (湿疹…好了), not the set names.
    const term = best.alt !== undefined && b.alt !== undefined ? `${best.alt}…${b.alt}` : entry.phrase;
    out.push({ category: entry.category!, term, severity: entry.severity, start: best.start, end: b.end, via: 'text' });
  }
}

/** The A parts a later chunk could still pair with: those ending within `NEAR_GAP` of the lane's end. */
export function reachable(parts: readonly NearPart[], earlier: readonly NearPart[], laneEnd: number, into: NearPart[]): void {
  into.length = 0;
  for (const list of [earlier, parts]) for (const a of list) if (a.part === 0 && laneEnd - a.laneEnd <= NEAR_GAP_LATIN && into.length < 64) into.push(a);
}
