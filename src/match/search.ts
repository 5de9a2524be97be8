/**
 * The search loop: walks the automaton over a lane of code units and appends every overlapping
 * match to a `MatchBuffer`. No allocation per character or per match: matches go into growable
 * typed arrays that the caller reuses.
 *
 * Match positions are lane positions counted from the start of the stream (`SearchState.position`),
 * so a match that began in an earlier chunk has a start below the current chunk's first position.
 */
import type { Automaton } from './automaton.js';

/** Reusable output of `findOverlapping`: match i is `patterns[i]` over lane `[starts[i], ends[i])`. */
export class MatchBuffer {
  count = 0;
  patterns: Int32Array;
  starts: Int32Array;
  ends: Int32Array;

  constructor(capacity = 64) {
    this.patterns = new Int32Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  reset(): void {
    this.count = 0;
  }

  /** @internal */
  grow(): void {
    const cap = this.patterns.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.patterns = grow(this.patterns);
    this.starts = grow(this.starts);
    this.ends = grow(this.ends);
  }
}

/**
 * What a stream carries between chunks: the automaton state, the previous code unit (for repeat
 * collapsing), and a ring of the lane positions of the last consumed units, from which a match's
 * start is read (with repeats skipped, `end - length` would be wrong). Bounded by the longest pattern.
 */
export class SearchState {
  state = 0;
  prev = -1;
  consumed = 0;
  /** Lane position of the next code unit to be searched. */
  position = 0;
  readonly ring: Int32Array;

  /** `ring` lets a caller carve several states out of one buffer (see `ringSize`). */
  constructor(automaton: Automaton, ring?: Int32Array) {
    this.ring = ring ?? new Int32Array(ringSize(automaton.maxPatternLength));
  }

  reset(): void {
    this.state = 0;
    this.prev = -1;
    this.consumed = 0;
    this.position = 0;
  }
}

/** Ring length for an automaton: the power of two above its longest pattern. */
export function ringSize(maxPatternLength: number): number {
  let n = 8;
  while (n <= maxPatternLength) n *= 2;
  return n;
}

let scratch: SearchState | undefined;
let scratchOwner: Automaton | undefined;

/**
 * Appends every match (all patterns, all overlapping occurrences) in `codes[0..length)` to `out`
 * and returns `out.count`. With a `state`, the search continues from where the previous chunk
 * left off and updates `state`; without one, it starts fresh at lane position 0.
 */
export function findOverlapping(
  a: Automaton,
  codes: Uint16Array,
  length: number,
  out: MatchBuffer,
  state?: SearchState,
): number {
  let st = state;
  if (st === undefined) {
    if (scratchOwner !== a) {
      scratch = new SearchState(a);
      scratchOwner = a;
    }
    st = scratch!;
    st.reset();
  }
  const classOf = a.classOf;
  const base = a.base;
  const check = a.check;
  const rootNext = a.rootNext;
  const fail = a.fail;
  const outState = a.outState;
  const collapse = a.collapseRepeats;
  const ring = st.ring;
  const mask = ring.length - 1;
  const position = st.position;
  let s = st.state;
  let prev = st.prev;
  let k = st.consumed;

  for (let i = 0; i < length; i++) {
    const code = codes[i]!;
    const c = classOf[code]!;
    if (c === 0) {
      // A unit no pattern contains: every partial match dies here.
      s = 0;
      prev = code;
      continue;
    }
    let t = -1;
    for (;;) {
      if (s === 0) {
        t = rootNext[c]!;
        break;
      }
      const b = base[s]! + c;
      if (check[b] === s) {
        t = b;
        break;
      }
      if (collapse && code === prev) break; // repeated unit: skip it, keep the partial match
      s = fail[s]!;
    }
    if (t < 0) {
      // Skipped repeat: the partial match now ends at this occurrence (價加 read as jia jia starts at 加).
      if (k > 0) ring[(k - 1) & mask] = position + i;
      continue;
    }
    s = t;
    prev = code;
    ring[k & mask] = position + i;
    k++;
    if (outState[s]! >= 0) emit(a, s, k, ring, mask, position + i + 1, out);
  }

  st.state = s;
  st.prev = prev;
  st.consumed = k;
  st.position = position + length;
  return out.count;
}

function emit(a: Automaton, s: number, k: number, ring: Int32Array, mask: number, end: number, out: MatchBuffer): void {
  const outState = a.outState;
  const outPattern = a.outPattern;
  const outNext = a.outNext;
  const patternLength = a.patternLength;
  for (let u = outState[s]!; u >= 0; u = outNext[u]!) {
    const p = outPattern[u]!;
    if (out.count === out.patterns.length) out.grow();
    const i = out.count++;
    out.patterns[i] = p;
    out.starts[i] = ring[(k - patternLength[p]!) & mask]!;
    out.ends[i] = end;
  }
}
