/**
 * Near terms (`A … B` in a lexicon): A, then B within `NEAR_GAP` text-lane units, in one sentence.
 * The automaton finds each part like any pattern; this pairs them: every B with the closest A of
 * the same entry that ends before it. Noise does not count toward the gap (it is not in the lane),
 * so `全 网 价 格 最 低` pairs like `全网价格最低`; a clause or sentence break (，。！？；、 and
 * their ASCII forms, or a line break) between the parts does not pair: `全国包邮，最低两件起` is two
 * statements. English parts (`best … in the world`) may be up to NEAR_GAP_LATIN units apart. A stream keeps the A parts that a later B could still
 * reach, from its last chunk or carried through it, so a near term split across chunks is found
 * on the chunk where B arrives (全网 | 我们家的 | 最低 as three transcript chunks).
 *
 *   全网…最低   全网最低 ✓   全网价格最低 ✓   全网我们家的价格是最低 ✓ (8 units between)
 *               全网都有卖，我们最低 ✗ (clause break)   全网……(9 or more units)……最低 ✗
 *
 * Cost: linear in the parts. Each A is chained to the previous A of its entry, and a B walks that
 * chain back only over the A parts that end inside B itself (a pattern's length, at most), so
 * `全网最低` × 16,000 costs as much per unit as one claim (the old every-B-against-every-A loop took
 * 1.5 s on 64K units). Parts are kept as columns (`NearParts`), not objects: `全网全国全球…` yields
 * a part per two units, and as objects they cost 6× the scan of ordinary speech in garbage collection.
 */
import { work } from '../work-meter.js';
import { VIA_TEXT, type CandidateList } from './candidate.js';
import { CHECK_BOUNDARY_START, NEAR_CLAUSES, type ScanTables } from '../lexicon/scan-tables.js';

/** Most text-lane units allowed between the parts: about 8 characters, or 3 to 4 English words. */
export const NEAR_GAP = 8;
export const NEAR_GAP_LATIN = 24;
/**
 * Option `clauses`: an outcome testimony (老寒腿，用了一个月，现在走路不疼了) spreads a condition and
 * its outcome over neighbouring clauses: up to this many units apart, across clause marks (，、；)
 * but not a sentence end (。！？ or a line break).
 */
export const NEAR_GAP_CLAUSES = 20;

/** One part as an object: what a stream carries to its next chunk (at most 64 of them), and what tests build. */
export interface NearPart {
  entry: number;
  part: 0 | 1;
  /** Lane positions (stream-global in a stream). */
  laneStart: number;
  laneEnd: number;
  /** Original offsets (stream-global in a stream). */
  start: number;
  end: number;
  /** The set member this part matched, for a near term written with sets (an id `ScanTables.altText` reads); undefined otherwise. */
  alt?: number | undefined;
}

/** The near parts of a chunk as columns, reused from chunk to chunk; fields as in `NearPart`. */
export class NearParts {
  count = 0;
  entry = new Int32Array(64);
  part = new Uint8Array(64);
  laneStart = new Int32Array(64);
  laneEnd = new Int32Array(64);
  start = new Int32Array(64);
  end = new Int32Array(64);
  /** -1: no set member. */
  alt = new Int32Array(64);

  reset(): void {
    this.count = 0;
  }

  add(entry: number, part: 0 | 1, laneStart: number, laneEnd: number, start: number, end: number, alt: number): void {
    if (this.count === this.entry.length) this.#grow();
    const i = this.count++;
    this.entry[i] = entry;
    this.part[i] = part;
    this.laneStart[i] = laneStart;
    this.laneEnd[i] = laneEnd;
    this.start[i] = start;
    this.end[i] = end;
    this.alt[i] = alt;
  }

  addPart(p: NearPart): void {
    this.add(p.entry, p.part, p.laneStart, p.laneEnd, p.start, p.end, p.alt ?? -1);
  }

  /** Writes part `i` into `p`. */
  fill(i: number, p: NearPart): void {
    p.entry = this.entry[i]!;
    p.part = this.part[i] as 0 | 1;
    p.laneStart = this.laneStart[i]!;
    p.laneEnd = this.laneEnd[i]!;
    p.start = this.start[i]!;
    p.end = this.end[i]!;
    p.alt = this.alt[i]! >= 0 ? this.alt[i]! : undefined;
  }

  /** Part `i` as an object. */
  get(i: number): NearPart {
    // Every field in the literal, `alt` too: one added later moved the fields out of the object
    // (a 40 B property array beside each of the parts a stream carries between chunks).
    return { entry: this.entry[i]!, part: this.part[i] as 0 | 1, laneStart: this.laneStart[i]!, laneEnd: this.laneEnd[i]!, start: this.start[i]!, end: this.end[i]!, alt: this.alt[i]! >= 0 ? this.alt[i]! : undefined };
  }

  #grow(): void {
    const n = 2 * this.count;
    const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
    this.entry = grow(this.entry, new Int32Array(n));
    this.part = grow(this.part, new Uint8Array(n));
    this.laneStart = grow(this.laneStart, new Int32Array(n));
    this.laneEnd = grow(this.laneEnd, new Int32Array(n));
    this.start = grow(this.start, new Int32Array(n));
    this.end = grow(this.end, new Int32Array(n));
    this.alt = grow(this.alt, new Int32Array(n));
  }
}

// Scratch chains, reused across calls (scanning is synchronous and not re-entrant).
/** prevA[i]: the A part of the same entry before part i, or -1. */
let prevA = new Int32Array(256);
/** lastA[entry]: the newest A part of that entry seen so far, valid when lastStamp[entry] === stamp. */
let lastA = new Int32Array(0);
let lastStamp = new Int32Array(0);
let stamp = 0;

/**
 * Appends a candidate to `out` for every B part paired with an A part. The first `earlier` parts
 * are A parts carried from the stream's previous chunks; `breakBetween(from, to)` says whether the
 * original text between two stream-global offsets (as far as the stream still holds it) has a
 * clause break; `accept` applies the entry's word-boundary checks to the paired span.
 *
 * Parts must come in order of `laneEnd`, the carried ones first (the order the search emits
 * matches): the pairing relies on it to find each B's closest A by walking back.
 */
export function pairNear(
  codes: ScanTables,
  parts: NearParts,
  earlier: number,
  breakBetween: (from: number, to: number, sentenceOnly: boolean) => boolean,
  accept: (entry: number, aStart: number, aEnd: number, bStart: number, bEnd: number) => boolean,
  out: CandidateList,
): void {
  const total = parts.count;
  if (prevA.length < total) prevA = new Int32Array(Math.max(total, 2 * prevA.length));
  const entries = codes.category.length;
  if (lastA.length < entries || stamp === 0x7fffffff) {
    // (Also when the stamp would leave Int32 range: a wrapped stamp never matches again.)
    lastA = new Int32Array(entries);
    lastStamp = new Int32Array(entries);
    stamp = 0;
  }
  const st = ++stamp;
  const { entry: entryOf, part, laneStart, laneEnd, start, end, alt } = parts;
  for (let i = 0; i < total; i++) {
    const e = entryOf[i]!;
    if (part[i] === 0) {
      prevA[i] = lastStamp[e] === st ? lastA[e]! : -1;
      lastA[e] = i;
      lastStamp[e] = st;
      continue;
    }
    if (i < earlier || lastStamp[e] !== st) continue;
    // The closest A: the newest one ending at or before B's start (those after it end inside B),
    // and of several ending at the same unit the first, as the search emitted them.
    const bStart = laneStart[i]!;
    let j = lastA[e]!;
    while (j >= 0 && laneEnd[j]! > bStart) {
      j = prevA[j]!;
      work.steps++;
    }
    if (j < 0) continue;
    while (prevA[j]! >= 0 && laneEnd[prevA[j]!] === laneEnd[j]) {
      j = prevA[j]!;
      work.steps++;
    }
    const clauses = (codes.nearBits[e]! & NEAR_CLAUSES) !== 0;
    if (bStart - laneEnd[j]! > nearGap(codes, e) || !accept(e, start[j]!, end[j]!, start[i]!, end[i]!) || breakBetween(end[j]!, start[i]!, clauses)) continue;
    // A set term reports the members it matched (湿疹…好了), not the set names.
    const a = alt[j]!;
    const b = alt[i]!;
    if (a >= 0 && b >= 0) out.addAlt(codes.category[e]!, codes.severity[e]!, start[j]!, end[i]!, e, a, b);
    else out.add(codes.category[e]!, codes.severity[e]!, start[j]!, end[i]!, VIA_TEXT, e);
  }
}

/** The most lane units entry `e`'s parts may be apart: NEAR_GAP, NEAR_GAP_LATIN for English parts, NEAR_GAP_CLAUSES with option `clauses`. */
export function nearGap(codes: ScanTables, e: number): number {
  return (codes.nearBits[e]! & NEAR_CLAUSES) !== 0 ? NEAR_GAP_CLAUSES : (codes.checks[e]! & CHECK_BOUNDARY_START) !== 0 ? NEAR_GAP_LATIN : NEAR_GAP;
}

/** The A parts a later chunk could still pair with: those ending within `NEAR_GAP_LATIN` of the lane's end (at most 64). */
export function reachable(parts: NearParts, laneEnd: number, into: NearPart[]): void {
  let n = 0;
  for (let i = 0; i < parts.count && n < 64; i++) {
    if (parts.part[i] !== 0 || laneEnd - parts.laneEnd[i]! > NEAR_GAP_LATIN) continue;
    // The stream's own objects from its last chunk are refilled (their parts were read into the columns already).
    const p = into[n];
    if (p === undefined) into.push(parts.get(i));
    else parts.fill(i, p);
    n++;
  }
  into.length = n;
}
