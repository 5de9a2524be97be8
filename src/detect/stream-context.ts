/**
 * Everything a stream carries from one transcript chunk to the next, bounded by the longest
 * pattern (about 1 KiB per stream, see README "Limits"): each lane's automaton state and the
 * original offsets of its last lane units, the tail of the original text (to show the part of a
 * split phrase that came earlier), the end of what each category already reported (so a phrase is
 * never flagged twice), and an open digit run.
 */
import type { Automaton } from '../match/automaton.js';
import { LaneOrigins, originCapacity } from '../match/lane-origins.js';
import { laneWindow, SearchState } from '../match/search.js';
import { DigitCarry } from './contact-numbers.js';
import type { NearPart } from './near.js';
import type { HeldCandidate } from './open-ends.js';

/** Original text kept from earlier chunks, in UTF-16 units. */
export const TAIL_UNITS = 256;

export class StreamContext {
  readonly automaton: Automaton;
  readonly text: SearchState;
  readonly sounds: SearchState;
  /** Stream-global original starts of the lane units a later match may start at. */
  readonly textOrigins: LaneOrigins;
  readonly soundOrigins: LaneOrigins;
  /** Stream-global original offset where the next chunk begins. */
  base = 0;
  tail = '';
  /** By category code (candidate.ts): the end of what the stream already reported in that category. */
  readonly reportedEnd = new Float64Array(4);
  readonly digits = new DigitCarry();
  /** Near-term A parts a later chunk could still pair with (allocated on first use). */
  near: NearPart[] | undefined;
  /** Candidates open at the last chunk's end, put back among the next chunk's (open-ends.ts). */
  readonly held: HeldCandidate[] = [];
  /** The last chunk ended on a contact cue with only separators after it (contact-ids.ts CUE_*): its id may open this chunk. */
  pendingCue = 0;
  chunks = 0;

  constructor(automaton: Automaton) {
    this.automaton = automaton;
    // One buffer for both lanes' search states and origins: a stream costs one ArrayBuffer, not
    // six (thousands of streams; see bench:e2e --memory).
    const n = laneWindow(automaton);
    const o = originCapacity(automaton);
    const buf = new Int32Array(4 * n + 4 * o);
    this.text = new SearchState(automaton, buf.subarray(0, 2 * n));
    this.sounds = new SearchState(automaton, buf.subarray(2 * n, 4 * n));
    this.textOrigins = new LaneOrigins(automaton, buf.subarray(4 * n, 4 * n + 2 * o));
    this.soundOrigins = new LaneOrigins(automaton, buf.subarray(4 * n + 2 * o, 4 * n + 4 * o));
  }

  /** The original text between stream-global offsets `from` and `to`, as far as the tail reaches. */
  earlierText(from: number, to: number): string {
    const tailBase = this.base - this.tail.length;
    return this.tail.slice(Math.max(from - tailBase, 0), Math.max(to - tailBase, 0));
  }

  /** Called after a chunk: remember its tail and move the base on. */
  advance(chunk: string): void {
    this.tail = chunk.length >= TAIL_UNITS ? chunk.slice(-TAIL_UNITS) : (this.tail + chunk).slice(-TAIL_UNITS);
    this.base += chunk.length;
    this.chunks++;
  }
}
