/**
 * Resolve's order of candidates (start, then longer first, higher severity, text before pinyin,
 * found first) for lists that come nearly in that order, which is how the scan makes them: each
 * lane's candidates in order of end and, at one end, longest first (the automaton's output chain),
 * so claims back to back rise in start too; then the pinyin lane's, the near pairs' and the
 * detectors' come as runs of their own. claims-dense (64K units, 25,523 candidates) is three such
 * runs with 3,259 short moves back; claims-homophone two; ordinary speech's hundred, two.
 *
 * One pass of insertion sort with a short reach (`REACH` places) cuts the list into runs, and each
 * run is merged into the runs before it from the back, galloping, so a long stretch of the earlier
 * run that no later candidate reaches is moved in one `copyWithin` (or not at all). On
 * claims-dense this is ~0.1 ms where the counting sort and the tie sort took ~0.45 (resolve.ts).
 * A list not in that shape (more than `MAX_RUNS` runs) is left to resolve's general sorts.
 */
import { work } from '../work-meter.js';
import { VIA_PINYIN, type CandidateList } from './candidate.js';

/** Farthest back one candidate is moved within its run before it starts a run of its own. */
const REACH = 8;
/** More runs than this: give up (each merge may move the whole list so far). */
const MAX_RUNS = 16;

const runAt = new Int32Array(MAX_RUNS + 1);
let held = new Int32Array(256);

/**
 * Writes 0..n-1 to `into` in resolve's order and returns true; false when the list has more than
 * MAX_RUNS runs (then `into` holds nothing useful). The order is total (found first breaks the
 * last tie), so any correct sort gives the same result as resolve's general path.
 */
export function orderNearlySorted(c: CandidateList, n: number, into: Int32Array): boolean {
  const { start, end, severity, via } = c;
  let runs = 0;
  let from = 0; // first place of the current run
  let moves = 0;
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
    moves += i - 1 - j;
  }
  runAt[runs++] = from;
  work.steps += n + moves;
  for (let r = 1; r < runs; r++) mergeBack(c, into, runAt[r]!, r + 1 < runs ? runAt[r + 1]! : n);
  return true;
}

/**
 * Merges the run `into[mid..to)` into the sorted `into[0..mid)`, in place: the run is held aside
 * and placed from its last candidate back, each time moving up the earlier candidates that come
 * after it (found by galloping back, moved as one block). Earlier candidates were found first, so
 * on a full tie they stay in front.
 */
function mergeBack(c: CandidateList, into: Int32Array, mid: number, to: number): void {
  const { start, end, severity, via } = c;
  const m = to - mid;
  if (held.length < m) held = new Int32Array(Math.max(m, 2 * held.length));
  for (let k = 0; k < m; k++) held[k] = into[mid + k]!;
  let p = mid; // into[0..p): earlier candidates not yet passed
  let w = to; // into[w..to): placed
  for (let k = m - 1; k >= 0; k--) {
    const x = held[k]!;
    const s = start[x]!;
    // into[hi..p) come after x; into[lo] (-1: none) does not. Gallop back from p, then halve.
    let hi = p;
    let lo = -1;
    for (let off = 1; p - off >= 0; off <<= 1) {
      const q = p - off;
      if (!before(start, end, severity, via, x, s, into[q]!)) {
        lo = q;
        break;
      }
      hi = q;
    }
    while (hi - lo > 1) {
      const q = (lo + hi) >>> 1;
      if (before(start, end, severity, via, x, s, into[q]!)) hi = q;
      else lo = q;
    }
    // Move them up past the places x and the held ones after it take (w > p while any is held).
    const len = p - hi;
    if (len > 16) {
      into.copyWithin(w - len, hi, p);
      w -= len;
    } else for (let q = p - 1; q >= hi; q--) into[--w] = into[q]!;
    work.steps += len;
    into[--w] = x;
    p = hi;
  }
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
