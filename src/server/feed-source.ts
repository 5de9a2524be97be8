/**
 * What a feed subscription needs from the stream core: flag history for `since`, the newest flag
 * number, the stream summaries, and the thresholds a console scales its gauges by.
 */
import type { FlagHistory, StreamSummary } from '../stream/contracts.js';

/** What the hub needs from the server: flag history, the newest flag number, the stream summaries. */
export interface FeedSource {
  history: FlagHistory;
  lastFlagNumber(): number | Promise<number>;
  /** Where a `history: n` replay starts (counted back from `latest`); without it `latest - n`. */
  historyStart?(latest: number, n: number): number;
  summaries(): StreamSummary[] | Promise<StreamSummary[]>;
  /** Escalation thresholds, so a console can scale its risk gauges. */
  thresholds: { watch: number; alert: number; shutdown: number };
}
