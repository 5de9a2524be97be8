/**
 * The search loop: walks the automaton over a lane of code units and appends every overlapping
 * match to a `MatchBuffer`. No allocation per character or per match: matches go into growable
 * typed arrays that the caller reuses.
 *
 * Most units take the pair filter's fast path (see automaton.ts): one class load, one bit test
 * and the root's row. Only units after which a pattern could continue take a full Aho-Corasick
 * step (`step`), which is where failure links, repeat skipping and output are handled.
 *
 * Match positions are lane positions counted from the start of the stream (`SearchState.position`),
 * so a match that began in an earlier chunk has a start below the current chunk's first position.
 */
import { work } from '../work-meter.js';
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
 * What a stream carries between chunks: the automaton state, the previous code unit (for the pair
 * filter and repeat collapsing), and the last runs of skipped repeats. A match's start is
 * `end - length` unless repeats were skipped inside it; the runs say by how much to move it.
 * Each run follows a distinct consumed unit, so a match spans at most `length - 1` of them and
 * the ring of runs is bounded by the longest pattern.
 */
export class SearchState {
  state = 0;
  prev = -1;
  /** Lane position of the next code unit to be searched. */
  position = 0;
  /** Skip runs recorded so far; run r is lane `[runFrom[r & mask], runTo[r & mask]]`. */
  runs = 0;
  readonly runFrom: Int32Array;
  readonly runTo: Int32Array;

  /** `buf` (2 × laneWindow units) lets a caller carve several states out of one buffer. */
  constructor(automaton: Automaton, buf?: Int32Array) {
    const n = laneWindow(automaton);
    const b = buf ?? new Int32Array(2 * n);
    this.runFrom = b.subarray(0, n);
    this.runTo = b.subarray(n, 2 * n);
  }

  reset(): void {
    this.state = 0;
    this.prev = -1;
    this.position = 0;
    this.runs = 0;
  }
}

/** A power of two above the longest pattern: how many recent lane units a stream must be able to look back on. */
export function laneWindow(automaton: Automaton): number {
  let n = 8;
  while (n <= automaton.maxPatternLength) n *= 2;
  return n;
}

let scratch: SearchState | undefined;
let scratchOwner: Automaton | undefined;

function freshState(a: Automaton): SearchState {
  if (scratchOwner !== a) {
    scratch = new SearchState(a);
    scratchOwner = a;
  }
  scratch!.reset();
  return scratch!;
}

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
  const st = state ?? freshState(a);
  const classOf = a.classOf;
  const rootNext = a.rootNext;
  const pairs = a.pairFilter;
  const startPairs = a.startFilter;
  const stride = a.pairStride;
  const pairMask = a.pairMask;
  const base = a.base;
  const check = a.check;
  const outState = a.outState;
  const position = st.position;
  const prev = st.prev;
  const emitted = out.count;
  let pc = prev < 0 ? 0 : classOf[prev]!;
  // s < 0 stands for rootNext[pc], the depth-1 state the search is in most of the time.
  let s = st.state === rootNext[pc] ? -1 : st.state;
  for (let i = 0; i < length; i++) {
    const code = codes[i]!;
    const c = classOf[code]!;
    const pair = (pc * stride + c) & pairMask;
    let from = s;
    if (s < 0) {
      // Only a pair that begins a pattern leads anywhere from rootNext[pc] but to rootNext[c].
      if (((startPairs[pair >>> 5]! >>> pair) & 1) !== 0) from = rootNext[pc]!;
    } else if (((pairs[pair >>> 5]! >>> pair) & 1) === 0) from = -1;
    if (from >= 0) {
      // Inline the common full step, a direct child that ends no pattern; `step` does the rest.
      const t = base[from]! + c;
      if (check[t] === from && outState[t]! < 0) s = t;
      else {
        s = step(a, st, from, c, code, i > 0 ? codes[i - 1]! : prev, position + i, out);
        if (s === rootNext[c]) s = -1;
      }
    } else s = -1; // the root's child on c, resolved only when needed
    pc = c;
  }
  st.state = s < 0 ? rootNext[pc]! : s;
  if (length > 0) st.prev = codes[length - 1]!;
  st.position = position + length;
  work.steps += out.count - emitted;
  return out.count;
}

/**
 * `findOverlapping` over a string's UTF-16 units, for callers that match raw text (no lanes, no
 * folding): the same automaton and results, without first copying the string into a Uint16Array.
 * Its loop is a deliberate twin of `findOverlapping`'s (only the unit read differs), so each hot
 * loop reads its units directly, with no reader callback per unit. Change both together: the property test in
 * test/match/pair-filter.test.ts checks both against a plain reference search.
 */
export function findOverlappingInString(a: Automaton, text: string, out: MatchBuffer, state?: SearchState): number {
  const st = state ?? freshState(a);
  const classOf = a.classOf;
  const rootNext = a.rootNext;
  const pairs = a.pairFilter;
  const startPairs = a.startFilter;
  const stride = a.pairStride;
  const pairMask = a.pairMask;
  const base = a.base;
  const check = a.check;
  const outState = a.outState;
  const position = st.position;
  const length = text.length;
  const prev = st.prev;
  const emitted = out.count;
  let pc = prev < 0 ? 0 : classOf[prev]!;
  // s < 0 stands for rootNext[pc], the depth-1 state the search is in most of the time.
  let s = st.state === rootNext[pc] ? -1 : st.state;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    const c = classOf[code]!;
    const pair = (pc * stride + c) & pairMask;
    let from = s;
    if (s < 0) {
      // Only a pair that begins a pattern leads anywhere from rootNext[pc] but to rootNext[c].
      if (((startPairs[pair >>> 5]! >>> pair) & 1) !== 0) from = rootNext[pc]!;
    } else if (((pairs[pair >>> 5]! >>> pair) & 1) === 0) from = -1;
    if (from >= 0) {
      // Inline the common full step, a direct child that ends no pattern; `step` does the rest.
      const t = base[from]! + c;
      if (check[t] === from && outState[t]! < 0) s = t;
      else {
        s = step(a, st, from, c, code, i > 0 ? text.charCodeAt(i - 1) : prev, position + i, out);
        if (s === rootNext[c]) s = -1;
      }
    } else s = -1; // the root's child on c, resolved only when needed
    pc = c;
  }
  st.state = s < 0 ? rootNext[pc]! : s;
  if (length > 0) st.prev = text.charCodeAt(length - 1);
  st.position = position + length;
  work.steps += out.count - emitted;
  return out.count;
}

/** One full Aho-Corasick step from state `s` on unit `code` (class `c`) at lane position `at`; returns the new state. */
function step(a: Automaton, st: SearchState, s: number, c: number, code: number, prev: number, at: number, out: MatchBuffer): number {
  if (c === 0) return 0; // a unit no pattern contains (reached only through a hashed-pair collision)
  const base = a.base;
  const check = a.check;
  const fail = a.fail;
  for (;;) {
    if (s === 0) {
      s = a.rootNext[c]!;
      break;
    }
    const b = base[s]! + c;
    if (check[b] === s) {
      s = b;
      break;
    }
    if (a.collapseRepeats && code === prev) {
      // Repeated unit: skip it and keep the partial match (最最最低 → 最低).
      recordSkip(st, at);
      return s;
    }
    s = fail[s]!;
    work.steps++;
  }
  if (a.outState[s]! >= 0) emit(a, st, s, at + 1, out);
  return s;
}

function recordSkip(st: SearchState, at: number): void {
  const mask = st.runTo.length - 1;
  const last = (st.runs - 1) & mask;
  if (st.runs > 0 && st.runTo[last] === at - 1) st.runTo[last] = at;
  else {
    const r = st.runs++ & mask;
    st.runFrom[r] = at;
    st.runTo[r] = at;
  }
}

function emit(a: Automaton, st: SearchState, s: number, end: number, out: MatchBuffer): void {
  const outPattern = a.outPattern;
  const outNext = a.outNext;
  const patternLength = a.patternLength;
  const newestSkip = st.runs > 0 ? st.runTo[(st.runs - 1) & (st.runTo.length - 1)]! : -1;
  for (let u = a.outState[s]!; u >= 0; u = outNext[u]!) {
    const p = outPattern[u]!;
    const length = patternLength[p]!;
    if (out.count === out.patterns.length) out.grow();
    const i = out.count++;
    out.patterns[i] = p;
    out.starts[i] = newestSkip > end - length ? startAcrossSkips(st, end, length) : end - length;
    out.ends[i] = end;
  }
}

/**
 * Start of a match of `length` consumed units ending at `end` when repeats were skipped inside it:
 * walk back over `length - 1` consumed units, jumping whole skip runs; the match starts right
 * before the earliest of them (at the last repeat of its first unit, as 最最最低 → 最低 starts at the
 * third 最).
 */
function startAcrossSkips(st: SearchState, end: number, length: number): number {
  const mask = st.runTo.length - 1;
  const oldest = Math.max(0, st.runs - st.runTo.length);
  let r = st.runs - 1;
  let p = end;
  for (let need = length - 1; need > 0; work.steps++) {
    p--;
    while (r >= oldest && st.runFrom[r & mask]! > p) r--;
    if (r >= oldest && st.runTo[r & mask]! >= p) {
      p = st.runFrom[r & mask]!;
      r--;
      continue;
    }
    need--;
  }
  return p - 1;
}
