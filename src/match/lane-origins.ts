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
import { laneWindow, type SearchState } from './search.js';

/**
 * Depth of every automaton state, in (collapsed) units: how far back a match still to complete may
 * start. A state's parent in the double array is `check[t]`. Computed once per automaton (1 byte a
 * slot; patterns are at most 255 units, builder.ts).
 */
const depths = new WeakMap<Automaton, Uint8Array>();
export function stateDepths(a: Automaton): Uint8Array {
  let d = depths.get(a);
  if (d !== undefined) return d;
  const check = a.check;
  d = new Uint8Array(check.length);
  const known = new Uint8Array(check.length);
  known[0] = 1;
  for (let t = 1; t < check.length; t++) {
    if (check[t]! < 0 || known[t] === 1) continue;
    // Up to a state of known depth, then down again.
    let u = t;
    let n = 0;
    while (known[u] === 0) {
      u = check[u]!;
      n++;
    }
    for (let v = t, dv = d[u]! + n; known[v] === 0; v = check[v]!, dv--) {
      d[v] = dv;
      known[v] = 1;
    }
  }
  depths.set(a, d);
  return d;
}

export class LaneOrigins {
  /**
   * Entry e is `[3e]` lane position, `[3e + 1]` stream-global original start, `[3e + 2]` the
   * index (counted over the stream) of the consumed unit whose run it belongs to; in lane order.
   * Only the entries a match still to complete may start at are kept, so a stream whose chunk ends
   * at the root keeps none and most keep a few; allocated on first need, grown up to the bound.
   */
  #e = EMPTY;
  #count = 0;
  /** Consumed units so far (a collapsed repeat is none), and the last lane unit of the last chunk. */
  #units = 0;
  #last = -1;
  /** Units within this many of a run's end are kept (every unit when not collapsing). */
  readonly #keep: number;
  readonly #collapse: boolean;
  readonly #depth: Uint8Array;

  constructor(automaton: Automaton) {
    this.#collapse = automaton.collapseRepeats;
    this.#keep = automaton.collapseRepeats ? Math.max(1, automaton.maxRun) : Infinity;
    this.#depth = stateDepths(automaton);
  }

  /** Bytes this lane's origins hold now. */
  get byteLength(): number {
    return this.#e.byteLength;
  }

  /**
   * After a chunk: keep the lane units `codes[0..length)` (at lane positions from `laneBase`, from
   * original offsets `starts[i]` relative to `base`) that a later match may start at: those in the
   * runs of the last `depth` consumed units, where `depth` is that of `state` (the lane's search
   * state after the chunk), and in each run the last `keep` units. A run at the end of the lane
   * may continue in the next chunk, so the lane's end counts as a run's end.
   */
  remember(codes: Uint16Array, starts: Int32Array, length: number, laneBase: number, base: number, state: SearchState): void {
    const collapse = this.#collapse;
    const keep = this.#keep;
    const depth = this.#depth[state.state]!;
    // Consumed units in this chunk, and the stream index of the last one.
    let consumed = 0;
    for (let i = 0; i < length; i++) if (!collapse || codes[i] !== (i === 0 ? this.#last : codes[i - 1])) consumed++;
    const lastUnit = this.#units + consumed - 1;
    const firstKept = lastUnit - depth + 1;
    // Old entries of units still in reach stay (they sit at the front of what is kept).
    let from = 0;
    while (from < this.#count && this.#e[3 * from + 2]! < firstKept) from++;
    let n = 0;
    const e0 = this.#e;
    if (from > 0) e0.copyWithin(0, 3 * from, 3 * this.#count);
    n = this.#count - from;
    // New entries: walk the chunk, tracking each unit's consumed index and its distance to its run's end.
    let unit = this.#units - 1;
    for (let i = 0; i < length; ) {
      let j = i;
      while (j + 1 < length && codes[j + 1] === codes[i] && collapse) j++;
      // codes[i..j] is one run; its first unit is consumed unless it repeats the last chunk's last unit.
      const startsUnit = !collapse || codes[i] !== (i === 0 ? this.#last : codes[i - 1]);
      if (startsUnit) unit++;
      if (unit >= firstKept) {
        for (let k = Math.max(i, j + 1 - keep); k <= j; k++) n = this.#put(n, laneBase + k, base + starts[k]!, unit);
      }
      i = j + 1;
    }
    this.#count = n;
    this.#units = lastUnit + 1;
    if (length > 0) this.#last = codes[length - 1]!;
  }

  #put(n: number, pos: number, origin: number, unit: number): number {
    if (3 * n + 3 > this.#e.length) {
      const grown = new Int32Array(Math.max(12, 2 * this.#e.length));
      grown.set(this.#e.subarray(0, 3 * n));
      this.#e = grown;
    }
    this.#e[3 * n] = pos;
    this.#e[3 * n + 1] = origin;
    this.#e[3 * n + 2] = unit;
    return n + 1;
  }

  /** The original start of lane position `p`, or the oldest one kept when `p` was not kept (never, for a match start). */
  originOf(p: number): number {
    for (let e = this.#count - 1; e >= 0; e--) {
      const q = this.#e[3 * e]!;
      if (q === p) return this.#e[3 * e + 1]!;
      if (q < p) break;
    }
    return this.#count > 0 ? this.#e[1]! : 0;
  }
}

const EMPTY = new Int32Array(0);
