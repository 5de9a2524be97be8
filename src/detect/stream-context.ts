/**
 * Everything a stream carries from one transcript chunk to the next, bounded by the longest
 * pattern (about 1 KiB per stream, see README "Limits"): each lane's automaton state and the
 * original offsets of its last lane units, the tail of the original text (to show the part of a
 * split phrase that came earlier), the end of what each category already reported (so a phrase is
 * never flagged twice), and an open digit run.
 */
import type { Automaton } from '../match/automaton.js';
import type { LaneOrigins } from '../match/lane-origins.js';
import type { SearchState } from '../match/search.js';
import { Lanes, lanesFor } from './lane-carry.js';
import { DigitCarry } from './contact-numbers.js';
import type { NearPart } from './near.js';
import type { HeldCandidate } from './open-ends.js';

/** The digit carry of streams that have none open; clean between chunks (scanning is synchronous). */
let spareDigits = new DigitCarry();

/**
 * Original text kept from earlier chunks, in UTF-16 units: what a match or near part carried across
 * the seam can start at (the longest pattern, 24 lane units, × 3 collapsed repeats = 72) plus the
 * negation look-back before it (48), and the partial-hypothesis prefix (64). 256 cost ~600 B per
 * stream at rest; this ~270 B (bench:e2e --memory, issue 17: ≤ 1.5 KB per stream).
 */
export const TAIL_UNITS = 128;

export class StreamContext {
  readonly automaton: Automaton;
  /**
   * The lanes' search states and origins (stream-global original starts of the lane units a later
   * match may start at): the automaton's working copies, holding this stream's carry between
   * `enter` and `leave`; at rest the stream keeps it packed (lane-carry.ts).
   */
  readonly text: SearchState;
  readonly sounds: SearchState;
  readonly textOrigins: LaneOrigins;
  readonly soundOrigins: LaneOrigins;
  readonly #lanes: Lanes;
  #packed: string | undefined;
  /** Lanes of its own, carry kept in them between chunks (Scanner.liveCarries): no pack/unpack. */
  readonly #live: boolean;
  #started = false;
  /** Stream-global original offset where the next chunk begins. */
  base = 0;
  tail = '';
  /** By category code (candidate.ts): the end of what the stream already reported in that category. */
  // A plain array: a Float64Array of four costs a view and an ArrayBuffer per stream (~230 B).
  readonly reportedEnd: number[] = [0, 0, 0, 0];
  /** This stream's open digit run, only while it has one (most streams never end a chunk inside a number). */
  #digits: DigitCarry | undefined;
  /** Near-term A parts a later chunk could still pair with (allocated on first use). */
  near: NearPart[] | undefined;
  /** Candidates open at the last chunk's end, put back among the next chunk's (open-ends.ts). */
  readonly held: HeldCandidate[] = [];
  /** The last chunk ended on a contact cue with only separators after it (contact-ids.ts CUE_*): its id may open this chunk. */
  pendingCue = 0;
  chunks = 0;

  constructor(automaton: Automaton, live = false) {
    this.automaton = automaton;
    this.#live = live;
    const lanes = (this.#lanes = live ? new Lanes(automaton) : lanesFor(automaton));
    this.text = lanes.text;
    this.sounds = lanes.sounds;
    this.textOrigins = lanes.textOrigins;
    this.soundOrigins = lanes.soundOrigins;
  }

  /** Before scanning a chunk: this stream's carry into the working lanes. */
  enter(): void {
    if (this.#live) {
      // Live lanes hold the carry already; only the first chunk starts them clean.
      if (!this.#started) this.#lanes.unpack(undefined);
      this.#started = true;
      return;
    }
    this.#lanes.unpack(this.#packed);
  }

  /**
   * The open digit run: the stream's own, or else the shared clean one, which a chunk that ends in a
   * number fills and `leave` then hands to the stream (~140 B a stream does not keep otherwise).
   */
  get digits(): DigitCarry {
    return this.#digits ?? spareDigits;
  }

  /** After the chunk: the carry packed again (thousands of streams each keep one; bench:e2e --memory). */
  leave(): void {
    if (!this.#live) this.#packed = this.#lanes.pack();
    const d = this.digits;
    const open = d.length > 0 || d.held.length > 0;
    if (this.#digits === undefined) {
      if (open) {
        this.#digits = d;
        spareDigits = new DigitCarry();
      }
    } else if (!open) this.#digits = undefined;
  }

  /** The original text between stream-global offsets `from` and `to`, as far as the tail reaches. */
  earlierText(from: number, to: number): string {
    const tailBase = this.base - this.tail.length;
    return this.tail.slice(Math.max(from - tailBase, 0), Math.max(to - tailBase, 0));
  }

  /** Called after a chunk: remember its tail and move the base on. */
  advance(chunk: string): void {
    // Live carries (a backtest: a bounded set of streams, replaced every chunk) skip the copy: a
    // short chunk's slice keeps at most the joined tail alive, and the copy was ~3% of a replay's CPU.
    if (this.#live && chunk.length < 2 * TAIL_UNITS) this.tail = chunk.length >= TAIL_UNITS ? chunk.slice(-TAIL_UNITS) : (this.tail + chunk).slice(-TAIL_UNITS);
    else this.tail = joinTail(this.tail, chunk);
    this.base += chunk.length;
    this.chunks++;
  }
}

/** Units copied through, and the bytes of, the scratch `joinTail` builds a tail in. */
const scratchUnits = new Uint16Array(TAIL_UNITS);
const scratchBytes = Buffer.from(scratchUnits.buffer, 0, 2 * TAIL_UNITS);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The last TAIL_UNITS units of `tail + chunk`, as a flat string of its own. A `slice` would keep
 * the whole string it was cut from alive (the tail joined with the chunk, or the block of input
 * lines a CLI chunk is a slice of) for as long as the stream lives; the units are copied into a
 * scratch buffer and decoded once, the one allocation per chunk (joining, slicing and copying
 * through a Buffer were four, ~480 B a chunk).
 */
function joinTail(tail: string, chunk: string): string {
  const total = Math.min(TAIL_UNITS, tail.length + chunk.length);
  if (total < 13 || !LITTLE_ENDIAN) return flatTail(chunk.length >= TAIL_UNITS ? chunk.slice(-TAIL_UNITS) : (tail + chunk).slice(-TAIL_UNITS));
  const fromChunk = Math.min(chunk.length, total);
  const units = scratchUnits;
  let k = 0;
  for (let i = tail.length - (total - fromChunk); i < tail.length; i++) units[k++] = tail.charCodeAt(i);
  for (let i = chunk.length - fromChunk; i < chunk.length; i++) units[k++] = chunk.charCodeAt(i);
  return scratchBytes.toString('utf16le', 0, 2 * total);
}

/**
 * A copy of exactly the tail: `slice` gives a view that keeps the whole string it was cut from alive
 * (the previous tail joined with the chunk, or a 64K chunk), for as long as the stream lives.
 */
function flatTail(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf16le').toString('utf16le');
}
