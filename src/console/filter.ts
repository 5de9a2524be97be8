/**
 * The moderator's filter: categories, minimum severity and stream ids. It is applied to what the
 * console already holds and sent as the feed's `subscribe`, so the server stops sending the rest.
 */
import { CATEGORIES, severityRank, type Category, type Severity, type WireFlag } from './wire.js';

export interface FeedFilter {
  categories: ReadonlySet<Category>;
  minSeverity: Severity;
  /** Exact stream ids; empty means every stream. */
  streams: readonly string[];
}

export const ALL: FeedFilter = { categories: new Set(CATEGORIES), minSeverity: 'low', streams: [] };

/** Stream ids from the search box: separated by commas or white space. */
export function parseStreams(input: string): string[] {
  return [...new Set(input.split(/[\s,]+/).filter((s) => s.length > 0))].slice(0, 1000);
}

export function matchesFlag(f: FeedFilter, flag: WireFlag): boolean {
  return f.categories.has(flag.category) && severityRank(flag.severity) >= severityRank(f.minSeverity) && matchesStream(f, flag.stream);
}

export function matchesStream(f: FeedFilter, stream: string | undefined): boolean {
  return f.streams.length === 0 || (stream !== undefined && f.streams.includes(stream));
}

/** Where the subscription starts: after a flag id (resume), or this many ids back from the newest. */
export type Position = { since: string } | { history: number };

/**
 * Whether `next` lets through a flag that `prev` held back. A connection never goes back to send
 * what its filter skipped, so a wider filter needs a new connection that replays history.
 */
export function widens(prev: FeedFilter, next: FeedFilter): boolean {
  if ([...next.categories].some((c) => !prev.categories.has(c))) return true;
  if (severityRank(next.minSeverity) < severityRank(prev.minSeverity)) return true;
  if (prev.streams.length === 0) return false;
  return next.streams.length === 0 || next.streams.some((s) => !prev.streams.includes(s));
}

/** Without a position, a subscribe only changes the filter: the connection goes on from where it is. */
export function subscribeMessage(f: FeedFilter, position?: Position): object {
  return {
    type: 'subscribe',
    ...(f.categories.size < CATEGORIES.length ? { categories: [...f.categories] } : {}),
    ...(f.minSeverity !== 'low' ? { minSeverity: f.minSeverity } : {}),
    ...(f.streams.length > 0 ? { streams: [...f.streams] } : {}),
    ...position,
  };
}
