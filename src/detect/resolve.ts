/**
 * Turns all overlapping candidates into the flags a moderator sees.
 *
 * Semantics (mirrored as test/detect/resolve.test.ts):
 * 1. Allow-list suppression by span: a banned match is dropped when it overlaps an allow match for
 *    its category, unless it strictly contains that allow phrase.
 *       最近 (allow) + 最 ... no banned term fires in 最近的订单; allowing 三黄片 leaves 黄片 flagged elsewhere
 *       in the same message; 第一次就治好 (medical) contains 第一次 and stays flagged. A match on the
 *       pinyin lane is dropped by any allow phrase it overlaps, containing it or not.
 * 2. Per category, leftmost-longest: scanning left to right, keep the longest candidate starting
 *    first, drop what overlaps it. 全网最低价 hides 最低价 and 低价 (all extreme).
 * 3. Across categories nothing is hidden: 全网最有效的降糖茶 yields extreme and medical.
 * Ties on the same span prefer the higher severity, then the text lane over the pinyin lane.
 */
import { severityRank } from '../flag.js';
import type { Candidate } from './candidate.js';

export interface AllowSpan {
  start: number;
  end: number;
  mask: number;
}

const BIT = { extreme: 1, exclusive: 2, medical: 4, contact: 8 } as const;

function suppresses(a: AllowSpan, c: Candidate): boolean {
  if ((a.mask & BIT[c.category]) === 0) return false;
  if (c.start >= a.end || a.start >= c.end) return false;
  // A match by sound is weaker: any allow phrase it overlaps drops it (价 位 性 is no 加卫星 past 价位).
  const containsAllow = c.via !== 'pinyin' && c.start <= a.start && c.end >= a.end && c.end - c.start > a.end - a.start;
  return !containsAllow;
}

/**
 * Drops candidates suppressed by an allow span. A sweep over both lists sorted by start, with a
 * window of the allow spans that can still overlap: linear in practice, never candidates × allows.
 */
export function withoutAllowed(candidates: Candidate[], allows: AllowSpan[]): Candidate[] {
  if (allows.length === 0 || candidates.length === 0) return candidates;
  candidates.sort((a, b) => a.start - b.start);
  allows.sort((a, b) => a.start - b.start);
  const kept: Candidate[] = [];
  let window: AllowSpan[] = [];
  let next = 0;
  for (const c of candidates) {
    while (next < allows.length && allows[next]!.start < c.end) window.push(allows[next++]!);
    if (window.length > 8) window = window.filter((a) => a.end > c.start);
    let allowed = false;
    for (const a of window) {
      if (suppresses(a, c)) {
        allowed = true;
        break;
      }
    }
    if (!allowed) kept.push(c);
  }
  return kept;
}

const VIA_RANK = { text: 0, detector: 0, pinyin: 1 } as const;

function order(a: Candidate, b: Candidate): number {
  return (
    a.start - b.start ||
    b.end - a.end ||
    severityRank(b.severity) - severityRank(a.severity) ||
    VIA_RANK[a.via] - VIA_RANK[b.via]
  );
}

/** Leftmost-longest per category; the result is ordered by start, then category. */
export function leftmostLongest(candidates: Candidate[]): Candidate[] {
  if (candidates.length <= 1) return candidates;
  candidates.sort(order);
  const kept: Candidate[] = [];
  const reachedEnd = { extreme: -1, exclusive: -1, medical: -1, contact: -1 };
  for (const c of candidates) {
    if (c.start < reachedEnd[c.category]) continue;
    kept.push(c);
    reachedEnd[c.category] = c.end;
  }
  return kept;
}
