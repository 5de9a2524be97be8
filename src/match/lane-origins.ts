/**
 * Where in the original text the lane positions a stream may still need came from: a match that
 * completes in a later chunk reports the original offset of its start, which lies in an earlier
 * chunk. Without collapsing, a match spans at most the longest pattern, so the last that many lane
 * units suffice. Collapsing, a match stretches over runs of any length (最 | 低×200 | 价 is one
 * 最低价), but it starts within the last `maxRun` units of one of its runs (builder.ts), so only the
 * units within `maxRun` of a run's end are kept: at most `maxRun` per run, over the runs of the
 * longest pattern. Entries are kept in lane order in a ring and looked up by position (only for
 * matches across a seam).
 */
import type { Automaton } from './automaton.js';
import { laneWindow } from './search.js';

/** Entries a lane's ring needs for `automaton` (a power of two), 2 Int32 each. */
export function originCapacity(automaton: Automaton): number {
  const need = automaton.collapseRepeats ? automaton.maxPatternLength * Math.max(1, automaton.maxRun) : automaton.maxPatternLength;
  let n = laneWindow(automaton);
  while (n <= need) n *= 2;
  return n;
}

export class LaneOrigins {
  /** Lane position and stream-global original start of entry `e`, at `[e & mask]`. */
  readonly #pos: Int32Array;
  readonly #origin: Int32Array;
  /** Entries written so far. */
  #count = 0;
  /** Units within this many of a run's end are kept (every unit when not collapsing). */
  readonly #keep: number;

  /** `buf` (2 × originCapacity units) lets a caller carve several out of one buffer. */
  constructor(automaton: Automaton, buf?: Int32Array) {
    const n = originCapacity(automaton);
    const b = buf ?? new Int32Array(2 * n);
    this.#pos = b.subarray(0, n);
    this.#origin = b.subarray(n, 2 * n);
    this.#keep = automaton.collapseRepeats ? Math.max(1, automaton.maxRun) : n;
  }

  /**
   * After a chunk: keep the lane units `codes[0..length)` (at lane positions from `laneBase`, from
   * original offsets `starts[i]` relative to `base`) that a later match may start at. A run at the
   * end of the lane may continue in the next chunk, so the lane's end counts as a run's end.
   */
  remember(codes: Uint16Array, starts: Int32Array, length: number, laneBase: number, base: number): void {
    const cap = this.#pos.length;
    const keep = this.#keep;
    // Backwards: find the first unit to keep so that at most `cap` are written.
    let from = length;
    let kept = 0;
    for (let i = length - 1, d = 0; i >= 0 && kept < cap; i--) {
      d = i + 1 < length && codes[i] === codes[i + 1] ? d + 1 : 0;
      if (d < keep) {
        kept++;
        from = i;
      }
    }
    const mask = cap - 1;
    const pos = this.#pos;
    const origin = this.#origin;
    let e = this.#count;
    // Forwards again, writing in lane order; `d` is now the distance to the run's end, found ahead.
    for (let i = from; i < length; ) {
      let j = i;
      while (j + 1 < length && codes[j + 1] === codes[i]) j++;
      for (let k = Math.max(i, j + 1 - keep); k <= j; k++) {
        pos[e & mask] = laneBase + k;
        origin[e & mask] = base + starts[k]!;
        e++;
      }
      i = j + 1;
    }
    this.#count = e;
  }

  /**
   * How many of the newest entries lie at lane position `from` or later, and (with `out`) those
   * entries, oldest first, as position/origin pairs from `out[at]`: what a stream keeps between
   * chunks (src/detect/lane-carry.ts), not the whole ring.
   */
  newestFrom(from: number, out?: Int32Array, at = 0): number {
    const mask = this.#pos.length - 1;
    const oldest = Math.max(0, this.#count - this.#pos.length);
    let e = this.#count;
    while (e > oldest && this.#pos[(e - 1) & mask]! >= from) e--;
    if (out) for (let i = e; i < this.#count; i++, at += 2) (out[at] = this.#pos[i & mask]!), (out[at + 1] = this.#origin[i & mask]!);
    return this.#count - e;
  }

  /** Entries the ring holds at most. */
  get capacity(): number {
    return this.#pos.length;
  }

  /** Replaces every entry by `k` position/origin pairs (as `newestFrom` wrote them) read from `src[at]`. */
  load(src: Int32Array, at: number, k: number): void {
    for (let i = 0; i < k; i++, at += 2) (this.#pos[i] = src[at]!), (this.#origin[i] = src[at + 1]!);
    this.#count = k;
  }

  /** The original start of lane position `p`, or the oldest one kept when `p` was not kept (never, for a match start). */
  originOf(p: number): number {
    const mask = this.#pos.length - 1;
    const oldest = Math.max(0, this.#count - this.#pos.length);
    for (let e = this.#count - 1; e >= oldest; e--) {
      const q = this.#pos[e & mask]!;
      if (q === p) return this.#origin[e & mask]!;
      if (q < p) break;
    }
    return this.#count > 0 ? this.#origin[oldest & mask]! : 0;
  }
}
