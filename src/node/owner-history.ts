/**
 * `since` across owner processes: every owner's journaled flags above a number, merged into one id
 * order, up to the merge's frontier (flag-merge.ts). Flags at or above it have not been released
 * to the feed yet; they reach a resuming client live, after the replay, so none is sent twice or
 * skipped. An owner that cannot be reached fails the replay (its flags would be a gap).
 */
import type { FlagEntry, FlagHistory } from '../stream/contracts.js';

/** Flags per round trip to another owner. */
export const HISTORY_PAGE = 512;

export interface OwnerHistories {
  owners: number;
  self: number;
  local: FlagHistory;
  /** A page of owner `o`'s flags above `after` (`undefined`: it cannot be reached). */
  page(o: number, after: number, max: number): Promise<FlagEntry[] | undefined>;
  retained(o: number): Promise<number | undefined | null>;
  frontier(): number;
}

const numberOf = (e: FlagEntry) => Number(e.flag.id.slice(1));

async function* remote(h: OwnerHistories, o: number, after: number): AsyncGenerator<FlagEntry> {
  let from = after;
  for (;;) {
    const page = await h.page(o, from, HISTORY_PAGE);
    if (page === undefined) throw new Error(`owner ${o} is unavailable; resume again once it is back`);
    yield* page;
    if (page.length < HISTORY_PAGE) return;
    from = numberOf(page[page.length - 1]!);
  }
}

export function mergedHistory(h: OwnerHistories): FlagHistory {
  return {
    async *flagEntriesSince(after: number): AsyncGenerator<FlagEntry> {
      const until = h.frontier();
      const sources = Array.from({ length: h.owners }, (_, o) => (o === h.self ? h.local.flagEntriesSince(after) : remote(h, o, after)));
      try {
      const heads = await Promise.all(sources.map((s) => s.next()));
      for (;;) {
        let best = -1;
        for (let o = 0; o < heads.length; o++) if (!heads[o]!.done && (best < 0 || numberOf(heads[o]!.value as FlagEntry) < numberOf(heads[best]!.value as FlagEntry))) best = o;
        if (best < 0) return;
        const e = heads[best]!.value as FlagEntry;
        if (numberOf(e) >= until) return;
        yield e;
        heads[best] = await sources[best]!.next();
      }
      } finally {
        // The journal readers of the owners not read to the end.
        await Promise.all(sources.map((s) => s.return(undefined).catch(() => undefined)));
      }
    },
    async retainedFrom() {
      let oldest: number | undefined;
      for (let o = 0; o < h.owners; o++) {
        const r = o === h.self ? await h.local.retainedFrom() : await h.retained(o);
        if (r !== undefined && r !== null) oldest = Math.max(oldest ?? 0, r);
      }
      return oldest;
    },
  };
}
