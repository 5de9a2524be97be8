import type { Flag } from '../flag.js';

/**
 * Two flags are the same finding when category and term agree and their spans overlap: how a
 * backtest and the shadow lexicon decide whether a candidate flag was gained or a live one lost.
 */
export function sameFinding(a: Flag, b: Flag): boolean {
  return a.category === b.category && a.term === b.term && a.start < b.end && b.start < a.end;
}
