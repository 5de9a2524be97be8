/**
 * A stream's `end` as moderators see it: the stream reads as ended from its `end` message until it
 * is heard from again, which the feed can tell only by a flag past the end or a PK start. The core
 * (live and on replay), the feed's fold and the console apply this one rule, so a moderator who
 * stayed, one who reloads and one who connects after a restart see the same.
 */
/** A stream's end: the `end` message's seq and event time. */
export interface EndMark {
  seq: number;
  ts: number;
}

/**
 * Whether a flag was raised after the stream's `end` (a later seq, or a later event time: a stream
 * forgotten after its end may start its seqs again). The console applies the same test to the
 * flags it receives (src/console/stream-board.ts), live or replayed.
 */
export function flagAfterEnd(flag: { seq?: number; ts?: number }, end: EndMark): boolean {
  return flag.seq === undefined || flag.seq > end.seq || (flag.ts !== undefined && flag.ts > end.ts);
}

/** Whether any of `flags` lifts `end`: a replay of older flags does not. */
export function flagsLiftEnd(flags: readonly { seq?: number; ts?: number }[], end: EndMark): boolean {
  for (const f of flags) if (flagAfterEnd(f, end)) return true;
  return false;
}
