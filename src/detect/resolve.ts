/**
 * Turns all overlapping candidates into the flags a moderator sees.
 *
 * Semantics (mirrored as test/detect/resolve.test.ts):
 * 1. Allow-list suppression by span: a banned match is dropped when it overlaps an allow match for
 *    its category, unless it strictly contains that allow phrase.
 *       最近 (allow) + 最 ... no banned term fires in 最近的订单; allowing 三黄片 leaves 黄片 flagged elsewhere
 *       in the same message; 第一次就治好 (medical) contains 第一次 and stays flagged. A match on the
 *       pinyin lane is dropped by any allow phrase it overlaps, containing it or not. Detector hits
 *       (numbers, links, ids) are never allowed away.
 * 2. Per category, leftmost-longest: scanning left to right, keep the longest candidate starting
 *    first, drop what overlaps it. 全网最低价 hides 最低价 and 低价 (all extreme).
 * 3. Across categories nothing is hidden: 全网最有效的降糖茶 yields extreme and medical.
 * Ties on the same span prefer the higher severity, then the text lane over the pinyin lane, then
 * the candidate found first.
 *
 * Cost: linear. Candidates are ordered by a counting sort on their start (the spans of one chunk
 * lie within the chunk and the short stretch a stream carries), ties by a small sort per start; one
 * sweep then applies all three rules. Allow spans wait in a list in order of start that a candidate
 * reads only up to its own end, dropping those that ended before it: each visit is a span that
 * overlaps the candidate or one dropped for good, never candidates × allows.
 */
import { work } from '../work-meter.js';
import { VIA_DETECTOR, VIA_PINYIN, type CandidateList } from './candidate.js';
import { orderNearlySorted } from './resolve-order.js';

/** Allow matches of a chunk, as columns; `mask` has bit `1 << category code` for each category suppressed. */
export class AllowSpans {
  count = 0;
  start = new Int32Array(64);
  end = new Int32Array(64);
  mask = new Uint8Array(64);

  reset(): void {
    this.count = 0;
  }

  add(start: number, end: number, mask: number): void {
    if (this.count === this.start.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
      const n = 2 * this.count;
      this.start = grow(this.start, new Int32Array(n));
      this.end = grow(this.end, new Int32Array(n));
      this.mask = grow(this.mask, new Uint8Array(n));
    }
    this.start[this.count] = start;
    this.end[this.count] = end;
    this.mask[this.count++] = mask;
  }
}

/** @internal `nearlySorted: false` orders every list by the general sorts: the reference the test of resolve-order.ts scans against. */
export const resolveOptions = { nearlySorted: true };

// Scratch, reused across calls (scanning is synchronous and not re-entrant).
let order = new Int32Array(256);
let allowOrder = new Int32Array(64);
let counts = new Int32Array(1024);
/** reached[category]: the end of the last candidate kept in it. */
const REACHED = new Float64Array(4);
/** The waiting allow spans: a linked list over allow indices in order of start. */
let nextAllow = new Int32Array(64);

/**
 * Resolves `c` against `allows`: writes the indices of the candidates kept, in order (start, then
 * longer first, higher severity, text before pinyin, found first), to `out` from 0 and returns how
 * many. With `floors` (a stream), a candidate starting before its category's floor (the end of what
 * the stream already reported) is dropped too.
 */
export function resolve(c: CandidateList, allows: AllowSpans, out: Int32Array, floors?: ArrayLike<number>): number {
  const n = c.count;
  if (n === 0) return 0;
  if (order.length < n) order = new Int32Array(Math.max(n, 2 * order.length));
  // Most lists come nearly in order (resolve-order.ts); the general sorts take the rest.
  if (!resolveOptions.nearlySorted || !orderNearlySorted(c, n, order)) {
    sortByStart(c.start, n, order);
    sortTies(c, n);
  }
  const na = allows.count;
  if (na > 0) {
    if (allowOrder.length < na) {
      allowOrder = new Int32Array(Math.max(na, 2 * allowOrder.length));
      nextAllow = new Int32Array(allowOrder.length);
    }
    sortByStart(allows.start, na, allowOrder);
  }
  const { start, end, category, via } = c;
  const aStart = allows.start;
  const aEnd = allows.end;
  const aMask = allows.mask;
  const reached = REACHED.fill(-Infinity);
  // The waiting list: allowOrder[0..added) linked through nextAllow (positions in allowOrder), head first.
  let head = -1;
  let tail = -1;
  let added = 0;
  let kept = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const cat = category[i]!;
    const s = start[i]!;
    if (s < reached[cat]! || (floors !== undefined && s < floors[cat]!)) continue;
    const e = end[i]!;
    if (na > 0 && via[i] !== VIA_DETECTOR) {
      while (added < na && aStart[allowOrder[added]!]! < e) {
        nextAllow[added] = -1;
        if (tail >= 0) nextAllow[tail] = added;
        else head = added;
        tail = added++;
      }
      let allowed = false;
      const bit = 1 << cat;
      const pinyin = via[i] === VIA_PINYIN;
      for (let p = head, prev = -1; p >= 0; ) {
        work.steps++;
        const a = allowOrder[p]!;
        const as = aStart[a]!;
        if (as >= e) break; // this and every later span start after the candidate
        const ae = aEnd[a]!;
        const nxt = nextAllow[p]!;
        if (ae <= s) {
          // Ended before this candidate, so before every later one (they start no earlier): drop it.
          if (prev >= 0) nextAllow[prev] = nxt;
          else head = nxt;
          if (tail === p) tail = prev;
          p = nxt;
          continue;
        }
        // Overlapping: it suppresses unless the candidate, read as text, strictly contains it.
        if ((aMask[a]! & bit) !== 0 && (pinyin || as < s || ae > e || ae - as === e - s)) {
          allowed = true;
          break;
        }
        prev = p;
        p = nxt;
      }
      if (allowed) continue;
    }
    out[kept++] = i;
    reached[cat] = e;
  }
  return kept;
}

/**
 * Writes 0..n-1 to `into`, ordered by `keys` (stable): a counting sort when the keys span little
 * more than n, a two-pass radix sort when they span up to 2^22 and there are enough of them,
 * else a comparison sort.
 */
function sortByStart(keys: Int32Array, n: number, into: Int32Array): void {
  let lo = keys[0]!;
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const k = keys[i]!;
    if (k < lo) lo = k;
    else if (k > hi) hi = k;
  }
  const range = hi - lo + 1;
  work.steps += n;
  if (range <= 4 * n) countingSort(keys, n, lo, range, into);
  else if (range <= RADIX * RADIX && 2 * (2 * n + RADIX) <= 16 * n * Math.log2(n + 2)) radixSort(keys, n, lo, into);
  else if (n <= 16) {
    // A short message's few candidates: a stable insertion sort, in place (the comparison sort
    // below allocates an array and a closure per call).
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      let j = i;
      for (; j > 0 && keys[into[j - 1]!]! > k; j--) into[j] = into[j - 1]!;
      into[j] = i;
    }
  } else {
    // Few keys over a long stretch (ordinary speech: a few dozen candidates in 64K units; a match
    // carried across a long run of noise): a comparison sort costs less than a pass over the stretch.
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
    for (let i = 0; i < n; i++) into[i] = idx[i]!;
  }
}

function countingSort(keys: Int32Array, n: number, lo: number, range: number, into: Int32Array): void {
  if (counts.length < range + 1) counts = new Int32Array(Math.max(range + 1, 2 * counts.length));
  const cs = counts;
  cs.fill(0, 0, range + 1);
  for (let i = 0; i < n; i++) cs[keys[i]! - lo + 1]!++;
  for (let r = 1; r <= range; r++) cs[r]! += cs[r - 1]!;
  for (let i = 0; i < n; i++) into[cs[keys[i]! - lo]!++] = i;
  work.steps += range;
}

/**
 * Claim-dense text (thousands of candidates over 64K units): the counting sort's pass over the
 * whole span (a fill and a prefix sum of 64K counts) cost more than the candidates. Two stable
 * passes instead, by the low RADIX_BITS bits of key - lo and then by the rest (< RADIX).
 */
function radixSort(keys: Int32Array, n: number, lo: number, into: Int32Array): void {
  if (radixTemp.length < n) radixTemp = new Int32Array(Math.max(n, 2 * radixTemp.length));
  const tmp = radixTemp;
  const cs = radixCounts;
  cs.fill(0);
  for (let i = 0; i < n; i++) cs[((keys[i]! - lo) & RADIX_MASK) + 1]!++;
  for (let r = 1; r <= RADIX; r++) cs[r]! += cs[r - 1]!;
  for (let i = 0; i < n; i++) tmp[cs[(keys[i]! - lo) & RADIX_MASK]!++] = i;
  cs.fill(0);
  for (let i = 0; i < n; i++) cs[((keys[i]! - lo) >>> RADIX_BITS) + 1]!++;
  for (let r = 1; r <= RADIX; r++) cs[r]! += cs[r - 1]!;
  for (let i = 0; i < n; i++) {
    const x = tmp[i]!;
    into[cs[(keys[x]! - lo) >>> RADIX_BITS]!++] = x;
  }
  work.steps += 2 * (2 * n + RADIX);
}

const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;
const RADIX_MASK = RADIX - 1;
const radixCounts = new Int32Array(RADIX + 1);
let radixTemp = new Int32Array(256);

/** Orders each run of equal starts in `order`: longer first, higher severity, text before pinyin, found first. */
function sortTies(c: CandidateList, n: number): void {
  const { start, end, severity, via } = c;
  let shifts = 0;
  for (let from = 0; from < n; ) {
    const s = start[order[from]!]!;
    let to = from + 1;
    while (to < n && start[order[to]!] === s) to++;
    if (to - from > 16) {
      const run = Array.from(order.subarray(from, to)).sort((a, b) => after(c, a, b));
      order.set(run, from);
    } else {
      // Insertion sort: runs are a few candidates (the patterns that start at one unit), most
      // already in order (found by end); the common comparisons are written out.
      for (let k = from + 1; k < to; k++) {
        const x = order[k]!;
        const xe = end[x]!;
        let j = k - 1;
        for (; j >= from; j--) {
          const y = order[j]!;
          const ye = end[y]!;
          if (ye > xe) break;
          if (ye === xe) {
            const d = severity[x]! - severity[y]!;
            if (d < 0 || (d === 0 && (via[y] === VIA_PINYIN ? 1 : 0) <= (via[x] === VIA_PINYIN ? 1 : 0))) break; // y first (y < x when all else ties)
          }
          order[j + 1] = y;
          shifts++;
        }
        order[j + 1] = x;
      }
    }
    from = to;
  }
  work.steps += n + shifts;
}

/** > 0 when candidate a comes after b. */
function after(c: CandidateList, a: number, b: number): number {
  return c.end[b]! - c.end[a]! || c.severity[b]! - c.severity[a]! || (c.via[a] === VIA_PINYIN ? 1 : 0) - (c.via[b] === VIA_PINYIN ? 1 : 0) || a - b;
}
