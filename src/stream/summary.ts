/**
 * A stream as the console's cards show it: the `streams` pages of the feed. A pure module (no
 * Node imports): the console is compiled with it (src/console/tsconfig.json).
 */
import type { EndMark } from './ended.js';

export interface StreamSummary {
  stream: string;
  level: string;
  risk: number;
  pk: boolean;
  opponent?: string;
  /** Why it is shut down, while it is. */
  reason?: string;
  /** `recommend` mode: why pkguard recommends shutting it down, while the recommendation waits for a moderator. */
  recommended?: string;
  /** The stream's `end` (its seq and event time), while it has not been heard from since (stream/ended.ts). */
  ended?: EndMark;
}
