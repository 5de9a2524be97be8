/**
 * The search loop: walks the automaton over a lane of code units and appends every overlapping
 * match to a `MatchBuffer`. No allocation per character or per match: matches go into growable
 * typed arrays that the caller reuses.
 *
 * Most units take the pair filter's fast path (see automaton.ts): one class load, one bit test
 * and the root's row. Only units after which a pattern could continue take a full Aho-Corasick
 * step (`step`), which is where failure links and output are handled. Collapsing repeats, a unit
 * equal to the one before never moves the automaton (`repeated` records it and reports what ends
 * inside the run); matches are checked run by run against the patterns' run lengths.
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
 * filter and repeat collapsing), the last runs of skipped repeats and the matches waiting for their
 * last run to grow long enough. Collapsing, a match's start is found by walking back over its runs;
 * each run of skips follows a distinct consumed unit, so a match spans at most `length - 1` of them
 * and the ring of runs is bounded by the longest pattern.
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
  /**
   * Matches whose last run must reach `pendingEnd` (they end there), found when the run began at
   * `pendingFirst`; they are dropped when another run begins first. Allocated on first use.
   */
  pending = 0;
  pendingPattern: Int32Array | undefined;
  pendingStart: Int32Array | undefined;
  pendingFirst: Int32Array | undefined;
  pendingEnd: Int32Array | undefined;

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
    this.pending = 0;
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
  const emitted = out.count;
  const s = walkCodes(a, st, codes, length, out);
  st.state = s < 0 ? a.rootNext[lastClass]! : s;
  if (length > 0) st.prev = codes[length - 1]!;
  st.position += length;
  work.steps += out.count - emitted;
  return out.count;
}

/**
 * The class of the last unit the latest walk read: a walk returns its state and leaves this here.
 * The walks end in nothing but a module store and a return, which need no type feedback: a walk
 * over a long lane is compiled on-stack mid-call (OSR), before the code after its loop ever ran,
 * and Node 20's V8 re-enters that cached code on every later call and bailed out after the loop
 * each time (findOverlapping, twice per scan, in a loop over one hostile text) when that code
 * was there. The bookkeeping after the loop lives in the callers, which have no loop.
 */
let lastClass = 0;

/** findOverlapping's loop; returns the state, -1 standing for rootNext[lastClass]. */
function walkCodes(a: Automaton, st: SearchState, codes: Uint16Array, length: number, out: MatchBuffer): number {
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
  const collapse = a.collapseRepeats;
  let pc = prev < 0 ? 0 : classOf[prev]!;
  let pcode = prev;
  // s < 0 stands for rootNext[pc], the depth-1 state the search is in most of the time.
  let s = st.state === rootNext[pc] ? -1 : st.state;
  for (let i = 0; i < length; i++) {
    const code = codes[i]!;
    if (code === pcode && collapse) {
      repeated(a, st, pc, position + i, out);
      continue;
    }
    pcode = code;
    const c = classOf[code]!;
    const pair = (pc * stride + c) & pairMask;
    let from = s;
    if (s < 0) {
      // Only a pair that begins a pattern leads anywhere from rootNext[pc] but to rootNext[c].
      if (((startPairs[pair >>> 5]! >>> pair) & 1) !== 0) from = rootNext[pc]!;
    } else if (((pairs[pair >>> 5]! >>> pair) & 1) === 0) from = -1;
    if (from >= 0) {
      // Inline the common full step, a direct child (that ends a pattern or not); `step` does the rest.
      const t = base[from]! + c;
      if (check[t] === from) {
        s = t;
        if (outState[t]! >= 0) {
          // Claim-dense text (全网最低价 × 13,000) ends a pattern on most units: report without walking the step again.
          if (collapse) emitCollapsed(a, st, t, position + i, out);
          else emit(a, t, position + i + 1, out);
          if (s === rootNext[c]) s = -1;
        }
      } else {
        s = step(a, st, from, c, position + i, out);
        if (s === rootNext[c]) s = -1;
      }
    } else s = -1; // the root's child on c, resolved only when needed
    pc = c;
  }
  lastClass = pc;
  return s;
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
  const emitted = out.count;
  const length = text.length;
  const s = walkString(a, st, text, out);
  st.state = s < 0 ? a.rootNext[lastClass]! : s;
  if (length > 0) st.prev = text.charCodeAt(length - 1);
  st.position += length;
  work.steps += out.count - emitted;
  return out.count;
}

/** findOverlappingInString's loop, as walkCodes. */
function walkString(a: Automaton, st: SearchState, text: string, out: MatchBuffer): number {
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
  const collapse = a.collapseRepeats;
  let pc = prev < 0 ? 0 : classOf[prev]!;
  let pcode = prev;
  // s < 0 stands for rootNext[pc], the depth-1 state the search is in most of the time.
  let s = st.state === rootNext[pc] ? -1 : st.state;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === pcode && collapse) {
      repeated(a, st, pc, position + i, out);
      continue;
    }
    pcode = code;
    const c = classOf[code]!;
    const pair = (pc * stride + c) & pairMask;
    let from = s;
    if (s < 0) {
      // Only a pair that begins a pattern leads anywhere from rootNext[pc] but to rootNext[c].
      if (((startPairs[pair >>> 5]! >>> pair) & 1) !== 0) from = rootNext[pc]!;
    } else if (((pairs[pair >>> 5]! >>> pair) & 1) === 0) from = -1;
    if (from >= 0) {
      // Inline the common full step, a direct child (that ends a pattern or not); `step` does the rest.
      const t = base[from]! + c;
      if (check[t] === from) {
        s = t;
        if (outState[t]! >= 0) {
          // Claim-dense text (全网最低价 × 13,000) ends a pattern on most units: report without walking the step again.
          if (collapse) emitCollapsed(a, st, t, position + i, out);
          else emit(a, t, position + i + 1, out);
          if (s === rootNext[c]) s = -1;
        }
      } else {
        s = step(a, st, from, c, position + i, out);
        if (s === rootNext[c]) s = -1;
      }
    } else s = -1; // the root's child on c, resolved only when needed
    pc = c;
  }
  lastClass = pc;
  return s;
}

/** One full Aho-Corasick step from state `s` on class `c` at lane position `at`; returns the new state. */
function step(a: Automaton, st: SearchState, s: number, c: number, at: number, out: MatchBuffer): number {
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
    s = fail[s]!;
    work.steps++;
  }
  if (a.outState[s]! >= 0) {
    if (a.collapseRepeats) emitCollapsed(a, st, s, at, out);
    else emit(a, s, at + 1, out);
  }
  return s;
}

function push(out: MatchBuffer, pattern: number, start: number, end: number): void {
  if (out.count === out.patterns.length) out.grow();
  const i = out.count++;
  out.patterns[i] = pattern;
  out.starts[i] = start;
  out.ends[i] = end;
}

function emit(a: Automaton, s: number, end: number, out: MatchBuffer): void {
  const outPattern = a.outPattern;
  const outNext = a.outNext;
  const patternLength = a.patternLength;
  for (let u = a.outState[s]!; u >= 0; u = outNext[u]!) {
    const p = outPattern[u]!;
    push(out, p, end - patternLength[p]!, end);
  }
}

/**
 * Collapsing: the unit at `at` began a run and the automaton reached `s`. A pattern without
 * repeats, when no repeat was skipped inside its span, ends here as in plain search; any other
 * pattern is checked run by run (`emitRuns`).
 */
function emitCollapsed(a: Automaton, st: SearchState, s: number, at: number, out: MatchBuffer): void {
  const { outPattern, outNext, groupFrom, groupPatterns, patternLength } = a;
  const newestSkip = st.runs > 0 ? st.runTo[(st.runs - 1) & (st.runTo.length - 1)]! : -1;
  for (let u = a.outState[s]!; u >= 0; u = outNext[u]!) {
    const o = outPattern[u]!;
    if (o >= 0) {
      const length = patternLength[o]!;
      // A skip at the start itself is fine (the start is the last unit of its run).
      if (newestSkip <= at + 1 - length) push(out, o, at + 1 - length, at + 1);
      else emitRuns(a, st, o, at, out);
    } else for (let k = groupFrom[~o]!, to = groupFrom[~o + 1]!; k < to; k++) emitRuns(a, st, groupPatterns[k]!, at, out);
  }
}

/**
 * Pattern `p`'s collapsed form ended at `at`: check its runs against the text's (walking back over
 * the skips) and report it now, or, when its last run is longer than one unit, once this run grows
 * that long. One-run patterns longer than a unit are reported by `repeated`.
 */
function emitRuns(a: Automaton, st: SearchState, p: number, at: number, out: MatchBuffer): void {
  const { runFrom, runCounts } = a;
  const r0 = runFrom[p]!;
  const m = runFrom[p + 1]! - r0;
  if (m === 1) {
    if (runCounts[r0] === 1) push(out, p, at, at + 1);
    return;
  }
  const start = startOfRuns(st, at, runCounts, r0, m);
  if (start < 0) return;
  const last = runCounts[r0 + m - 1]!;
  if (last === 1) push(out, p, start, at + 1);
  else addPending(st, p, start, at, at + last);
}

/**
 * Start of a match whose last run begins at lane position `at` and whose runs are
 * `counts[r0 .. r0 + m)`, or -1 when a text run before the last is shorter than the pattern's.
 * Walks back over the m - 1 runs before the last: each is one consumed unit and, when it was
 * repeated, the skip run right after it.
 */
function startOfRuns(st: SearchState, at: number, counts: Uint8Array, r0: number, m: number): number {
  const mask = st.runTo.length - 1;
  const oldest = Math.max(0, st.runs - st.runTo.length);
  let r = st.runs - 1;
  let first = at; // first unit of the run after the one being checked
  for (let i = m - 2; ; i--) {
    const last = first - 1;
    while (r >= oldest && st.runFrom[r & mask]! > last) r--;
    let count = 1;
    if (r >= oldest && st.runTo[r & mask] === last) {
      count = last - st.runFrom[r & mask]! + 2;
      r--;
    }
    work.steps++;
    if (count < counts[r0 + i]!) return -1;
    if (i === 0) return first - counts[r0]!;
    first = last - count + 1;
  }
}

function addPending(st: SearchState, p: number, start: number, first: number, end: number): void {
  if (st.pendingPattern === undefined || st.pending === st.pendingPattern.length) {
    const cap = Math.max(8, 2 * st.pending);
    const grow = (x: Int32Array | undefined) => {
      const y = new Int32Array(cap);
      if (x) y.set(x.subarray(0, st.pending));
      return y;
    };
    st.pendingPattern = grow(st.pendingPattern);
    st.pendingStart = grow(st.pendingStart);
    st.pendingFirst = grow(st.pendingFirst);
    st.pendingEnd = grow(st.pendingEnd);
  }
  const i = st.pending++;
  st.pendingPattern[i] = p;
  st.pendingStart![i] = start;
  st.pendingFirst![i] = first;
  st.pendingEnd![i] = end;
}

/**
 * Collapsing: the unit at `at` (class `c`) repeats the one before, so the automaton does not move.
 * Records the skip, then reports what ends here: pending matches whose last run just got long
 * enough, and one-run patterns (扣扣 in 扣扣扣 twice, as plain search finds it).
 */
function repeated(a: Automaton, st: SearchState, c: number, at: number, out: MatchBuffer): void {
  const mask = st.runTo.length - 1;
  const last = (st.runs - 1) & mask;
  if (st.runs > 0 && st.runTo[last] === at - 1) st.runTo[last] = at;
  else {
    const r = st.runs++ & mask;
    st.runFrom[r] = at;
    st.runTo[r] = at;
  }
  const first = st.runFrom[(st.runs - 1) & mask]! - 1; // where this run began
  if (st.pending > 0) {
    let kept = 0;
    for (let i = 0; i < st.pending; i++) {
      if (st.pendingFirst![i] !== first) continue; // its run ended too short
      if (st.pendingEnd![i] === at + 1) push(out, st.pendingPattern![i]!, st.pendingStart![i]!, at + 1);
      else {
        st.pendingPattern![kept] = st.pendingPattern![i]!;
        st.pendingStart![kept] = st.pendingStart![i]!;
        st.pendingFirst![kept] = first;
        st.pendingEnd![kept] = st.pendingEnd![i]!;
        kept++;
      }
    }
    st.pending = kept;
  }
  const g = a.singleRun.length > c ? a.singleRun[c]! : -1;
  if (g < 0) return;
  const count = at - first + 1;
  const { groupFrom, groupPatterns, runFrom, runCounts } = a;
  for (let k = groupFrom[g]!, to = groupFrom[g + 1]!; k < to; k++) {
    const p = groupPatterns[k]!;
    const j = runCounts[runFrom[p]!]!;
    if (j <= count) push(out, p, at + 1 - j, at + 1);
  }
}
