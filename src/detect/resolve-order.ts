/**
 * Resolve's order of candidates (start, then longer first, higher severity, text before pinyin,
 * found first) for lists that come nearly in that order, which is how the scan makes them: each
 * lane's candidates in order of end and, at one end, longest first (the automaton's output chain),
 * so claims back to back rise in start too; then the pinyin lane's, the near pairs' and the
 * detectors' come as runs of their own. claims-dense (64K units, 25,523 candidates) is three such
 * runs with 3,259 short moves back; claims-homophone two; ordinary speech's hundred, two.
 *
 * One pass of insertion sort with a short reach (`REACH` places) cuts the list into runs; the runs
 * are merged from the last back, each into the one before (galloping, so a stretch that no later
 * candidate reaches is moved in one `copyWithin`, or not at all), so the first and longest run
 * (the text lane's) is moved through once. Over the 88 probe texts at most 2.8 moves a candidate
 * (claims-dense 1.2). On claims-dense resolve took 0.55 ms instead of 0.69 (stage timers, both
 * builds in one process).
 * A list not in that shape (too many runs or moves) is left to resolve's general sorts.
 */
import { work } from '../work-meter.js';
import { VIA_PINYIN, type CandidateList } from './candidate.js';

/** Farthest back one candidate is moved within its run before it starts a run of its own. */
const REACH = 8;
/** More runs than this: give up. */
const MAX_RUNS = 16;
/**
 * Moves allowed per candidate, over the insertions and the merges (a merge moves up the earlier
 * candidates its run passes): past it, give up, so a list of many runs that each span it all
 * costs no more than this before resolve's general sorts.
 */
const MOVES_PER_CANDIDATE = 4;

const runAt = new Int32Array(MAX_RUNS + 1);
let held = new Int32Array(256);

/**
 * Writes 0..n-1 to `into` in resolve's order and returns true; false when the list has more than
 * MAX_RUNS runs or needs more moves than MOVES_PER_CANDIDATE a candidate (then `into` holds
 * nothing useful). The order is total (found first breaks the last tie), so any correct sort
 * gives the same result as resolve's general path.
 */
export function orderNearlySorted(c: CandidateList, n: number, into: Int32Array): boolean {
  const { start, end, severity, via } = c;
  let runs = 0;
  let from = 0; // first place of the current run
  let budget = MOVES_PER_CANDIDATE * n + 64;
  for (let i = 0; i < n; i++) {
    const s = start[i]!;
    if (i === from || !before(start, end, severity, via, i, s, into[i - 1]!)) {
      into[i] = i;
      continue;
    }
    // Where i goes, at most REACH places back; i is after every earlier candidate on a full tie.
    let j = i - 2;
    const stop = Math.max(from, i - 1 - REACH);
    while (j >= stop && before(start, end, severity, via, i, s, into[j]!)) j--;
    if (j < stop && stop > from) {
      // Too far back: a run of its own (the pinyin lane's, the near pairs', a detector's).
      if (runs === MAX_RUNS) return false;
      runAt[runs++] = from;
      from = i;
      into[i] = i;
      continue;
    }
    for (let k = i - 1; k > j; k--) into[k + 1] = into[k]!;
    into[j + 1] = i;
    budget -= i - 1 - j;
  }
  runAt[runs++] = from;
  // The later runs (the pinyin lane's, the near pairs', the detectors': short, each spanning the
  // list) are merged together first, from the last back, and into the first (the text lane's) once.
  for (let r = runs - 1; r >= 1 && budget >= 0; r--) budget = mergeBack(c, into, runAt[r - 1]!, runAt[r]!, n, budget);
  work.steps += n + MOVES_PER_CANDIDATE * n + 64 - budget;
  return budget >= 0;
}

/**
 * Merges the sorted `into[mid..to)` into the sorted `into[lo..mid)`, in place: the later part is held aside
 * and placed from its last candidate back, each time moving up the earlier candidates that come
 * after it (found by galloping back, moved as one block). Earlier candidates were found first, so
 * on a full tie they stay in front. Returns `budget` less the moves, or < 0 once that is spent
 * (then `into` is left half merged: the caller gives up).
 */
function mergeBack(c: CandidateList, into: Int32Array, lo: number, mid: number, to: number, budget: number): number {
  const { start, end, severity, via } = c;
  const m = to - mid;
  if (held.length < m) held = new Int32Array(Math.max(m, 2 * held.length));
  for (let k = 0; k < m; k++) held[k] = into[mid + k]!;
  let p = mid; // into[lo..p): earlier candidates not yet passed
  let w = to; // into[w..to): placed
  for (let k = m - 1; k >= 0; k--) {
    const x = held[k]!;
    const s = start[x]!;
    // into[hi..p) come after x; into[stays] (lo - 1: none) does not. Gallop back from p, then halve.
    let hi = p;
    let stays = lo - 1;
    for (let off = 1; p - off >= lo; off <<= 1) {
      const q = p - off;
      if (!before(start, end, severity, via, x, s, into[q]!)) {
        stays = q;
        break;
      }
      hi = q;
    }
    while (hi - stays > 1) {
      const q = (stays + hi) >>> 1;
      if (before(start, end, severity, via, x, s, into[q]!)) hi = q;
      else stays = q;
    }
    // Move them up past the places x and the held ones after it take (w > p while any is held).
    const len = p - hi;
    budget -= len + 1;
    if (budget < 0) return budget;
    if (len > 16) {
      into.copyWithin(w - len, hi, p);
      w -= len;
    } else for (let q = p - 1; q >= hi; q--) into[--w] = into[q]!;
    into[--w] = x;
    p = hi;
  }
  return budget;
}

/** Does candidate x (starting at s, found after y) come before candidate y? Earlier start, then longer, higher severity, text before pinyin. */
function before(start: Int32Array, end: Int32Array, severity: Uint8Array, via: Uint8Array, x: number, s: number, y: number): boolean {
  const ys = start[y]!;
  if (s !== ys) return s < ys;
  const d = end[x]! - end[y]!;
  if (d !== 0) return d > 0;
  const v = severity[x]! - severity[y]!;
  if (v !== 0) return v > 0;
  return via[x] !== VIA_PINYIN && via[y] === VIA_PINYIN;
}
