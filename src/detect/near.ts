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
 *
 * Cost: linear in the parts. Each A is chained to the previous A of its entry, and a B walks that
 * chain back only over the A parts that end inside B itself (a pattern's length, at most), so
 * `全网最低` × 16,000 costs as much per unit as one claim (the old every-B-against-every-A loop took
 * 1.5 s on 64K units).
 */
import type { CompiledLexicon } from '../lexicon/compile.js';
import type { Candidate } from './candidate.js';
import { work } from '../work-meter.js';

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

// Scratch chains, reused across calls (scanning is synchronous and not re-entrant).
/** prevA[i]: index (in earlier ++ parts) of the A part of the same entry before part i, or -1. */
let prevA = new Int32Array(256);
/** lastA[entry]: index of the newest A part of that entry seen so far, valid when lastStamp[entry] === stamp. */
let lastA = new Int32Array(0);
let lastStamp = new Int32Array(0);
let stamp = 0;

/**
 * Appends a candidate for every B part paired with an A part. `earlier` holds A parts carried from
 * the stream's previous chunks; `breakBetween(from, to)` says whether the original text between
 * two stream-global offsets (as far as the stream still holds it) has a clause break; `accept`
 * applies the entry's word-boundary checks to the paired span.
 *
 * `earlier` then `parts` must come in order of `laneEnd` (the order the search emits matches,
 * the earlier chunks first): the pairing relies on it to find each B's closest A by walking back.
 */
export function pairNear(
  lex: CompiledLexicon,
  parts: readonly NearPart[],
  earlier: readonly NearPart[],
  breakBetween: (from: number, to: number) => boolean,
  accept: (entry: number, a: NearPart, b: NearPart) => boolean,
  out: Candidate[],
): void {
  const total = earlier.length + parts.length;
  if (prevA.length < total) prevA = new Int32Array(Math.max(total, 2 * prevA.length));
  if (lastA.length < lex.entries.length || stamp === 0x7fffffff) {
    // (Also when the stamp would leave Int32 range: a wrapped stamp never matches again.)
    lastA = new Int32Array(lex.entries.length);
    lastStamp = new Int32Array(lex.entries.length);
    stamp = 0;
  }
  const st = ++stamp;
  const at = (i: number) => (i < earlier.length ? earlier[i]! : parts[i - earlier.length]!);
  for (let i = 0; i < total; i++) {
    const p = at(i);
    if (p.part === 0) {
      prevA[i] = lastStamp[p.entry] === st ? lastA[p.entry]! : -1;
      lastA[p.entry] = i;
      lastStamp[p.entry] = st;
      continue;
    }
    if (i < earlier.length || lastStamp[p.entry] !== st) continue;
    // The closest A: the newest one ending at or before B's start (those after it end inside B),
    // and of several ending at the same unit the first, as the search emitted them.
    let j = lastA[p.entry]!;
    while (j >= 0 && at(j).laneEnd > p.laneStart) {
      j = prevA[j]!;
      work.steps++;
    }
    if (j < 0) continue;
    while (prevA[j]! >= 0 && at(prevA[j]!).laneEnd === at(j).laneEnd) {
      j = prevA[j]!;
      work.steps++;
    }
    const best = at(j);
    const gap = lex.entries[p.entry]!.boundaryStart ? NEAR_GAP_LATIN : NEAR_GAP;
    if (p.laneStart - best.laneEnd > gap || !accept(p.entry, best, p) || breakBetween(best.end, p.start)) continue;
    const entry = lex.entries[p.entry]!;
    // A set term reports the members it matched (湿疹…好了), not the set names.
    const term = best.alt !== undefined && p.alt !== undefined ? `${best.alt}…${p.alt}` : entry.phrase;
    out.push({ category: entry.category!, term, severity: entry.severity, start: best.start, end: p.end, via: 'text' });
  }
}

/** The A parts a later chunk could still pair with: those ending within `NEAR_GAP` of the lane's end. */
export function reachable(parts: readonly NearPart[], earlier: readonly NearPart[], laneEnd: number, into: NearPart[]): void {
  into.length = 0;
  for (const list of [earlier, parts]) for (const a of list) if (a.part === 0 && laneEnd - a.laneEnd <= NEAR_GAP_LATIN && into.length < 64) into.push(a);
}
